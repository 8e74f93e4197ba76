"""Export commands, so staff can script the monthly runs: `anpei export township-summary`,
`anpei export verification`, `anpei export findings`, `anpei export circular`.

They act as `db.rules.access.SYSTEM` (county staff rights, audited as `system`); ID numbers are masked
unless `--full-ids` is given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError
from sqlmodel import Session

from anpei import clock
from anpei.periods import Month, PeriodFormatError, Quarter
from anpei_cli.db_commands import DATABASE_URL_OPTION, fail, open_engine, write_xlsx_file
from db.reads.jurisdiction_list import list_jurisdictions
from db.records.common import InputError
from db.rules.access import SYSTEM, AccessDenied
from db.xlsx.circular import circular_workbook
from db.xlsx.findings_export import findings_xlsx
from db.xlsx.summary_figures import SOURCES
from db.xlsx.township_summary import township_summary_xlsx
from db.xlsx.verification_export import verification_xlsx

export_app = typer.Typer(
    help="导出打印版表格：乡镇汇总表、证书核验结果、问题清单、季度通报（均为 .xlsx，A4 打印）。",
    no_args_is_help=True,
    rich_markup_mode=None,
)

NOT_MIGRATED = "数据库尚未建表，请先运行 anpei db upgrade"
OUT_OPTION = typer.Option(..., "--out", "-o", help="输出文件（.xlsx），已存在时覆盖。")
JURISDICTION_HELP = "乡镇（街道）或成员单位的全称，例如 三合街道。"


@contextmanager
def _session(database_url: str | None) -> Iterator[Session]:
    """A session that commits the audit entry; known errors end the command with one Chinese line."""
    engine = open_engine(database_url)
    try:
        with Session(engine) as session:
            yield session
            session.commit()
    except (InputError, AccessDenied, PeriodFormatError, LookupError) as exc:
        fail(str(exc))
    except (OperationalError, ProgrammingError, DBAPIError) as exc:
        text = str(exc)
        if "no such table" in text or "does not exist" in text:
            fail(NOT_MIGRATED)
        fail(f"数据库操作失败：{text.splitlines()[0]}")
    finally:
        engine.dispose()


def _jurisdiction_id(session: Session, name: str) -> int:
    refs = list_jurisdictions(session, kinds=None)
    found = [r for r in refs if r.name == name.strip()]
    if not found:
        close = [r.name for r in refs if name.strip() and name.strip() in r.name]
        hint = f"（是否指：{'、'.join(close[:5])}）" if close else ""
        fail(f"找不到单位“{name}”{hint}：请使用乡镇（街道）或成员单位的全称")
    return found[0].id


def _write(out: Path, data: bytes) -> None:
    write_xlsx_file(out, data)
    typer.echo(f"已导出：{out}（{len(data) / 1024:.0f} KB）")


def _date(text: str | None, *, option: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        fail(f"{option} 日期格式不正确：{text!r}，应为 YYYY-MM-DD，例如 2023-06-30")


@export_app.command("township-summary")
def township_summary(
    month: str = typer.Option(..., "--month", "-m", help="统计月份，YYYY-MM，例如 2023-05。"),
    jurisdiction: str | None = typer.Option(
        None,
        "--jurisdiction",
        "-j",
        help=JURISDICTION_HELP + "不填则导出全部单位（每个单位一张工作表，另加全县合计表）。",
    ),
    source: str = typer.Option(
        "auto",
        "--source",
        help="数字来源：auto（已报送的用报送数，未报送的用系统记录，默认）、reported（报送数）、records（系统记录）。",
    ),
    out: Path = OUT_OPTION,
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """导出某月的汇总表（打印版：A4 横向、表头每页重复、含填报单位盖章栏）。"""
    if source not in SOURCES:
        fail(f"--source 只能是 auto、reported 或 records，而不是 {source!r}")
    with _session(database_url) as session:
        jid = _jurisdiction_id(session, jurisdiction) if jurisdiction else None
        data = township_summary_xlsx(
            session,
            principal=SYSTEM,
            month=Month.parse(month),
            jurisdiction_id=jid,
            source=source,  # type: ignore[arg-type]
        )
    _write(out, data)


@export_app.command("verification")
def verification(
    jurisdiction: str = typer.Option(..., "--jurisdiction", "-j", help=JURISDICTION_HELP),
    month: str | None = typer.Option(
        None, "--month", "-m", help="只导出该月（YYYY-MM）的核验；与 --from/--to 二选一。"
    ),
    date_from: str | None = typer.Option(
        None, "--from", help="起始核验日期（含），YYYY-MM-DD；默认 2000-01-01。"
    ),
    date_to: str | None = typer.Option(None, "--to", help="截止核验日期（含），YYYY-MM-DD；默认今天。"),
    problems_only: bool = typer.Option(
        False, "--problems-only", help="只导出有问题的人员（无证上岗、疑似持假证等）。"
    ),
    full_ids: bool = typer.Option(
        False, "--full-ids", help="导出完整身份证号（默认打码，导出会记入审计日志）。"
    ),
    out: Path = OUT_OPTION,
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """导出某乡镇（街道）的证书核验结果（按结论着色，身份证号默认打码）。"""
    if month:
        if date_from or date_to:
            fail("--month 与 --from/--to 只能选一种")
        try:
            m = Month.parse(month)
        except PeriodFormatError as exc:
            fail(str(exc))
        first, last = m.first, m.last
    else:
        first = _date(date_from, option="--from") or dt.date(2000, 1, 1)
        last = _date(date_to, option="--to") or clock.local_today()
    with _session(database_url) as session:
        jid = _jurisdiction_id(session, jurisdiction)
        data = verification_xlsx(
            session,
            principal=SYSTEM,
            jurisdiction_id=jid,
            first=first,
            last=last,
            full_ids=full_ids,
            problems_only=problems_only,
        )
    _write(out, data)


@export_app.command("findings")
def findings(
    jurisdiction: str | None = typer.Option(
        None, "--jurisdiction", "-j", help=JURISDICTION_HELP + "不填则导出全部单位。"
    ),
    as_of: str | None = typer.Option(None, "--as-of", help="按这一天判断是否逾期，YYYY-MM-DD；默认今天。"),
    overdue_only: bool = typer.Option(False, "--overdue-only", help="只导出逾期未整改的问题。"),
    out: Path = OUT_OPTION,
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """导出问题清单（问题、整改措施、期限、责任人、复查情况）。"""
    day = _date(as_of, option="--as-of")
    with _session(database_url) as session:
        jid = _jurisdiction_id(session, jurisdiction) if jurisdiction else None
        data = findings_xlsx(
            session, principal=SYSTEM, jurisdiction_id=jid, as_of=day, overdue_only=overdue_only
        )
    _write(out, data)


@export_app.command("circular")
def circular(
    quarter: str = typer.Option(..., "--quarter", "-q", help="考核季度，例如 2023Q2。"),
    as_of: str | None = typer.Option(
        None, "--as-of", help="统计截至日期，YYYY-MM-DD；默认今天（专项整治结束后取结束日）。"
    ),
    out: Path = OUT_OPTION,
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """导出季度督查考核通报（各乡镇与成员单位的得分、排名、等次）。"""
    try:
        which = Quarter.parse(quarter)
    except PeriodFormatError as exc:
        fail(f"--quarter {exc}")
    day = _date(as_of, option="--as-of")
    with _session(database_url) as session:
        data, _name = circular_workbook(session, principal=SYSTEM, quarter=which, as_of=day)
    _write(out, data)


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
