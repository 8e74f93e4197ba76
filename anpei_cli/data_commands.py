"""Getting the data in from a terminal: `anpei template …` and `anpei import …`.

The command line acts as `db.rules.access.SYSTEM` (county staff rights, audited as `system`). A refused
file ends with a non-zero exit, every reason on stderr in Chinese, and nothing stored.
"""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session

from anpei.periods import Month
from anpei.settings import get_settings
from anpei_cli.db_commands import DATABASE_URL_OPTION, EMPTY_MESSAGE, fail, open_engine, write_xlsx_file
from db.records import inspection_import, inspection_sheet, monthly_saving, monthly_table
from db.records.common import FileImporter, InputError, jurisdiction_by_name
from db.rules.access import SYSTEM, AccessDenied
from db.xlsx.tables import ImportRefused
from training_audit.template import training_template

template_app = typer.Typer(
    help="下载填报模板（汇总表、检查记录、培训档案）。", no_args_is_help=True, rich_markup_mode=None
)
import_app = typer.Typer(
    help="导入填好的表格（汇总表、检查记录）；有错误时整份拒收。", no_args_is_help=True, rich_markup_mode=None
)

OUT_OPTION = typer.Option(..., "--out", "-o", help="保存到这个 .xlsx 文件。")
FILE_ARGUMENT = typer.Argument(..., help="要导入的 .xlsx 或 .csv 文件。", show_default=False)


def _read_upload(path: Path) -> bytes:
    """At most one byte more than the upload limit: an oversize file is refused without reading it all."""
    if not path.is_file():
        fail(f"找不到文件：{path}")
    limit = get_settings().max_upload_mb * 1024 * 1024
    with path.open("rb") as handle:
        return handle.read(limit + 1)


def _refused(exc: ImportRefused, filename: str) -> None:
    for problem in exc.problems:
        typer.echo(f"  - {problem}", err=True)
    fail(f"文件“{filename}”有 {len(exc.problems)} 处错误，已整份拒收，未保存任何数据")


def _db_error(exc: Exception) -> None:
    text = str(exc)
    if "no such table" in text or "does not exist" in text:
        fail(EMPTY_MESSAGE)
    fail(f"数据库操作失败：{text.splitlines()[0]}")


@template_app.command("monthly")
def template_monthly(
    jurisdiction: str = typer.Option(
        ..., "--jurisdiction", "-j", help="乡镇（街道）或成员单位全称，例如 三合街道。"
    ),
    month: str = typer.Option(..., "--month", "-m", help="月份，格式 YYYY-MM，例如 2023-05。"),
    out: Path = OUT_OPTION,
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """下载某单位某月的执法检查汇总表模板（已填单位、月份，附本单位企业名单，可直接打印）。"""
    engine = open_engine(database_url)
    try:
        with Session(engine) as session:
            target = jurisdiction_by_name(session, jurisdiction)
            assert target.id is not None
            data = monthly_table.build_template(
                session, principal=SYSTEM, jurisdiction_id=target.id, month=Month.parse(month)
            )
            session.commit()
    except (InputError, ValueError) as exc:
        fail(str(exc))
    except (OperationalError, ProgrammingError) as exc:
        _db_error(exc)
    write_xlsx_file(out, data)
    typer.echo(f"模板已保存：{out}", err=True)


@template_app.command("inspections")
def template_inspections(out: Path = OUT_OPTION, database_url: str | None = DATABASE_URL_OPTION) -> None:
    """下载检查记录批量导入模板（含检查项说明）。"""
    engine = open_engine(database_url)
    try:
        with Session(engine) as session:
            data = inspection_sheet.inspections_template(session)
            session.commit()
    except (OperationalError, ProgrammingError) as exc:
        _db_error(exc)
    write_xlsx_file(out, data)
    typer.echo(f"模板已保存：{out}", err=True)


@template_app.command("training")
def template_training(out: Path = OUT_OPTION) -> None:
    """下载培训档案模板（班次、课程安排、签到、考试四张表，含填写说明和示例行），供 anpei audit-training 核查。"""
    write_xlsx_file(out, training_template())
    typer.echo(f"模板已保存：{out}", err=True)


def _import(file: Path, database_url: str | None, importer: FileImporter) -> None:
    """Read `file`, import it as the system in one transaction, print the summary; refusals end the command."""
    data = _read_upload(file)
    engine = open_engine(database_url)
    try:
        with Session(engine) as session:
            report = importer(session, principal=SYSTEM, data=data, filename=file.name)
            session.commit()
    except ImportRefused as exc:
        _refused(exc, file.name)
    except (InputError, AccessDenied) as exc:
        fail(str(exc))
    except (OperationalError, ProgrammingError) as exc:
        _db_error(exc)
    typer.echo(report.summary)


@import_app.command("monthly")
def import_monthly_cmd(file: Path = FILE_ARGUMENT, database_url: str | None = DATABASE_URL_OPTION) -> None:
    """导入填好的汇总表；任何一处错误都整份拒收（列出所在工作表、行、列），同一文件不会重复计入。"""
    _import(file, database_url, monthly_saving.import_monthly)


@import_app.command("inspections")
def import_inspections_cmd(
    file: Path = FILE_ARGUMENT, database_url: str | None = DATABASE_URL_OPTION
) -> None:
    """批量导入检查记录；任何一行有错都整份拒收（列出行号和原因），同一文件不会重复计入。"""
    _import(file, database_url, inspection_import.import_inspections)


def register(app: typer.Typer) -> None:
    app.add_typer(template_app, name="template")
    app.add_typer(import_app, name="import")
