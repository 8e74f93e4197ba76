"""Database commands: `anpei db upgrade`, `anpei db seed --sample`, and `anpei summary`."""

from __future__ import annotations

import datetime as dt
import json
import sys
import unicodedata
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import NoReturn

import typer
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError
from sqlmodel import Session

from anpei.periods import Month, PeriodFormatError
from db import migrate
from db.accounts.roles import RoleError, grant_app_role
from db.engine import DatabaseUrlError, make_engine
from db.reads import county_dedup, jurisdiction_list, month_figures
from db.reads.campaign_calendar import CampaignInfo, get_campaign
from db.rules.access import SYSTEM

db_app = typer.Typer(help="数据库：建表升级、载入示例县数据。", no_args_is_help=True, rich_markup_mode=None)

DATABASE_URL_OPTION = typer.Option(
    None, "--database-url", envvar="DATABASE_URL", help="数据库地址，默认读取 DATABASE_URL。"
)
EMPTY_MESSAGE = "数据库为空，请先运行 anpei db seed --sample"


def fail(message: str, code: int = 1) -> NoReturn:
    """One clear Chinese line on stderr and a non-zero exit, never a traceback."""
    typer.echo(f"错误：{message}", err=True)
    raise typer.Exit(code)


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def write_xlsx_file(out: Path, data: bytes) -> None:
    """Write a workbook the command built; a wrong suffix or an unwritable path is one clear line."""
    if out.suffix.lower() != ".xlsx":
        fail(f"输出文件“{out}”应以 .xlsx 结尾")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as exc:
        fail(f"无法写入“{out}”：{exc.strerror or exc}")


def open_engine(url: str | None) -> Engine:
    """An engine that has connected once; a bad URL or an unreachable server ends the command."""
    try:
        engine = make_engine(url)
    except DatabaseUrlError as exc:
        fail(str(exc))
    try:
        with engine.connect():
            pass
    except (OperationalError, DBAPIError) as exc:
        fail(
            f"无法连接数据库（DATABASE_URL={engine.url.render_as_string(hide_password=True)}）：{_first_line(exc)}"
        )
    return engine


@db_app.command("upgrade")
def upgrade_cmd(database_url: str | None = DATABASE_URL_OPTION) -> None:
    """把数据库结构升级到最新版本（首次使用时建表）。"""
    engine = open_engine(database_url)
    try:
        migrate.upgrade(engine)
    except (OperationalError, ProgrammingError) as exc:
        fail(f"数据库升级失败：{_first_line(exc)}")
    typer.echo(f"数据库已升级到最新版本：{engine.url.render_as_string(hide_password=True)}", err=True)


@db_app.command("grant-app-role")
def grant_app_role_cmd(
    role: str = typer.Argument(..., help="看板和核验服务登录数据库所用的角色（不是表的属主）。"),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """以表属主身份运行：让应用角色只能读写数据行，不能改表、删触发器或清空审计日志（PostgreSQL）。"""
    engine = open_engine(database_url)
    try:
        grant_app_role(engine, role=role)
    except RoleError as exc:
        fail(str(exc))
    except (OperationalError, ProgrammingError) as exc:
        fail(f"授权失败：{_first_line(exc)}")
    finally:
        engine.dispose()
    typer.echo(f"已授权 {role}：读写数据行；表结构、触发器和 TRUNCATE 仍只属于表的属主", err=True)


@db_app.command("seed")
def seed_cmd(
    sample: bool = typer.Option(False, "--sample", help="载入示例县（丰都县，虚构数据）。"),
    scale: float = typer.Option(
        1.0, "--scale", min=0.01, help="规模倍数：1 约 2500 家企业、2.3 万人；40 约为一个省的规模。"
    ),
    force: bool = typer.Option(False, "--force", help="数据库已有数据时，先清空全部业务数据再载入。"),
    seed: int = typer.Option(2024, "--seed", help="随机种子；同一种子和规模总是生成相同的数据。"),
    demo_accounts: bool = typer.Option(
        False, "--demo-accounts", help="同时建立公开密码的演示账号（只用于演示；库中已有其他账号时拒绝）。"
    ),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """载入示例县数据（先自动升级数据库结构）。已有数据时拒绝，除非加 --force。"""
    if not sample:
        fail("请加 --sample（目前只支持载入示例县数据）")
    # deferred: the sample county (about 1,500 lines of generators and its own imports) is loaded
    # only by `anpei db seed`, not by every other command
    from db.sample.seed import SeedRefused, seed_sample

    engine = open_engine(database_url)
    typer.echo(f"正在载入示例县数据（规模 {scale:g}）…", err=True)
    try:
        report = seed_sample(engine, scale=scale, seed=seed, force=force, demo_accounts=demo_accounts)
    except SeedRefused as exc:
        fail(str(exc))
    except (OperationalError, ProgrammingError) as exc:
        fail(f"载入失败：{_first_line(exc)}")
    typer.echo(f"示例县数据已载入：{report}", err=True)


# --- anpei summary ----------------------------------------------------------------------------


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int, *, right: bool) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def render_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns aligned by display width (a Chinese character is two columns); text left, numbers right."""
    widths = [max(_width(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = []
    for n, row in enumerate([header, *rows]):
        cells = [_pad(cell, w, right=i > 0) for i, (cell, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _wan(yuan: Decimal) -> str:
    return f"{yuan / Decimal(10000):.2f}"


SUMMARY_HEADER = (
    "单位",
    "月报",
    "企业(检/总)",
    "高危(检/总)",
    "工贸(检/总)",
    "检查次数",
    "发现问题",
    "整改中",
    "已整改",
    "逾期未改",
    "核验人数",
    "无证上岗",
    "疑似假证",
    "立案",
    "罚款(万元)",
)


def summary_cmd(
    month: str = typer.Option(..., "--month", help="月份，格式 YYYY-MM，例如 2023-05。"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON（便于其他程序读取）。"),
    jurisdiction: list[str] | None = typer.Option(
        None, "--jurisdiction", help="只看这个乡镇（街道）或成员单位，按名称；可重复。"
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="统计整改、逾期的截止日期 YYYY-MM-DD，默认为该月最后一天。"
    ),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """打印某月各乡镇（街道）、成员单位的检查、问题整改和月报情况。"""
    try:
        parsed = Month.parse(month)
    except PeriodFormatError as exc:
        fail(str(exc))
    cutoff: dt.date | None = None
    if as_of:
        try:
            cutoff = dt.date.fromisoformat(as_of.strip())
        except ValueError:
            fail(f"日期格式不正确：{as_of!r}，应为 YYYY-MM-DD，例如 2023-06-30")
    engine = open_engine(database_url)
    try:
        with Session(engine) as session:
            if jurisdiction_list.is_empty(session):
                fail(EMPTY_MESSAGE)
            ids: list[int] | None = None
            if jurisdiction:
                known = {ref.name: ref.id for ref in jurisdiction_list.list_jurisdictions(session)}
                missing = [name for name in jurisdiction if name.strip() not in known]
                if missing:
                    fail(
                        f"找不到单位：{'、'.join(missing)}（请使用乡镇（街道）或成员单位的全称，例如 三合街道）"
                    )
                ids = [known[name.strip()] for name in jurisdiction]
            rows = month_figures.township_month_summary(
                session, principal=SYSTEM, month=parsed, jurisdiction_ids=ids, as_of=cutoff
            )
            totals = (
                None
                if ids
                else month_figures.county_totals(
                    session, principal=SYSTEM, month=parsed, as_of=cutoff, rows=rows
                )
            )
            note = month_note(get_campaign(session), parsed)
    except (OperationalError, ProgrammingError) as exc:
        if "no such table" in str(exc) or "does not exist" in str(exc):
            fail(EMPTY_MESSAGE)
        fail(f"查询失败：{_first_line(exc)}")
    if as_json:
        payload = {
            "month": str(parsed),
            "as_of": (cutoff or parsed.last).isoformat(),
            "jurisdictions": [row.to_dict() for row in rows],
            "county": totals.to_dict() if totals else None,
            "county_vs_units": [
                {"key": f.key, "label": f.label, "county": f.county, "units": f.units, "text": f.text}
                for f in (
                    county_dedup.county_vs_units(county=totals, units_sum=county_dedup.units_sum(rows))
                    if totals
                    else []
                )
            ],
            "monthly_required": note is None,
            "note": note or "",
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    body = [
        [
            r.jurisdiction,
            r.monthly_status_label,
            f"{r.enterprises_inspected}/{r.enterprises_registered}",
            f"{r.high_risk_inspected}/{r.high_risk_registered}",
            f"{r.industry_trade_inspected}/{r.industry_trade_registered}",
            str(r.inspections),
            str(r.findings_found),
            str(r.findings_open),
            str(r.findings_rectified),
            str(r.findings_overdue),
            str(r.workers_checked),
            str(r.unlicensed),
            str(r.suspected_fake),
            str(r.cases),
            _wan(r.fines_yuan),
        ]
        for r in rows
    ]
    if totals is not None:
        t = totals
        body.append(
            [
                "全县（企业去重）",
                "—",
                f"{t.enterprises_inspected}/{t.enterprises_registered}",
                f"{t.high_risk_inspected}/{t.high_risk_registered}",
                f"{t.industry_trade_inspected}/{t.industry_trade_registered}",
                str(t.inspections),
                str(t.findings_found),
                str(t.findings_open),
                str(t.findings_rectified),
                str(t.findings_overdue),
                str(t.workers_checked),
                str(t.unlicensed),
                str(t.suspected_fake),
                str(t.cases),
                _wan(t.fines_yuan),
            ]
        )
    cutoff_text = (cutoff or parsed.last).isoformat()
    typer.echo(f"{parsed!s} 专项整治执法检查汇总（整改、逾期截至 {cutoff_text}）")
    if note:
        typer.echo(f"注意：{note}")
    typer.echo(render_table(SUMMARY_HEADER, body))
    if totals is not None:
        typer.echo(
            county_dedup.county_vs_units_text(
                county_dedup.county_vs_units(county=totals, units_sum=county_dedup.units_sum(rows))
            )
        )
    if note:
        typer.echo("月报：本月无需报送，表中“未报”不代表逾期。")
    elif totals is not None:
        c = totals.status_counts
        typer.echo(
            f"月报：已报 {c['submitted']}，零报告 {c['zero']}，逾期 {c['late']}，未报 {c['unreported']}"
        )


def month_note(campaign: CampaignInfo | None, month: Month) -> str | None:
    """Why no monthly table was due in `month` (outside the campaign or its 执法检查 months); None
    when it was due."""
    if campaign is None:
        return None
    first, last = campaign.months[:1], campaign.months[-1:]
    if not first or month < first[0] or month > last[0]:
        return (
            f"{month} 不在专项整治期间（{campaign.starts_on:%Y-%m-%d} 至 {campaign.ends_on:%Y-%m-%d}），"
            "各单位本月无需报送汇总表。"
        )
    if month not in campaign.enforcement_months:
        return f"{month} 不在执法检查阶段，各单位本月无需报送汇总表。"
    return None


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.command("summary")(summary_cmd)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(db_app())
