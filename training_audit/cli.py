"""`anpei audit-training`: audit training archives from files alone, no database (training-audit.md §1, §5).

Exit codes: 0 when the run completes (whatever it found); 1 when an archive is unusable (nothing
written); 2 for a usage error (`--out` neither .csv nor .xlsx, a cap that is not a number > 0, a
rules file that does not read, an output that cannot be written).
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NoReturn

import typer

USAGE_ERROR = 2
ARCHIVE_ERROR = 1


def _stop(message: str, code: int) -> NoReturn:
    typer.echo(f"错误：{message}", err=True)
    raise typer.Exit(code)


def _daily_cap(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        cap = Decimal(text.strip())
    except InvalidOperation:
        _stop(f"--daily-cap 应为大于 0 的数字，收到“{text}”", USAGE_ERROR)
    if not cap.is_finite() or cap <= 0:
        _stop(f"--daily-cap 应为大于 0 的数字，收到“{text}”", USAGE_ERROR)
    return cap


def audit_training(
    archives: list[Path] = typer.Argument(
        ...,
        help="培训档案：.xlsx 工作簿，或存有 班次.csv（及 课程安排.csv、签到.csv、考试.csv）的文件夹；可给多份。",
        show_default=False,
    ),
    out: Path = typer.Option(
        ..., "--out", "-o", help="线索文件：.csv（另写“文件名-输入问题.csv”）或 .xlsx（两张表）。"
    ),
    daily_cap: str | None = typer.Option(
        None, "--daily-cap", help="每日学时上限（本县设定），默认取规则文件，规则文件默认 8。"
    ),
    rules_file: Path | None = typer.Option(
        None, "--rules", help="本县规则文件（.toml），只需写要改的项；默认用内置规则。"
    ),
    full_ids: bool = typer.Option(
        False, "--full-ids", help="输出完整身份证号（默认只显示前 6 位和后 4 位）。"
    ),
) -> None:
    """核查培训档案：读取班次、课程安排、签到、考试记录，按规则列出需要人工核实的线索和无法使用的行。"""
    from training_audit.audit import audit
    from training_audit.output import OutputError, write_result
    from training_audit.read import ArchiveError, read_archive
    from training_audit.rules_config import RulesError, load_rules

    if out.suffix.lower() not in (".csv", ".xlsx"):
        _stop(f"输出文件“{out}”应以 .csv 或 .xlsx 结尾", USAGE_ERROR)
    cap = _daily_cap(daily_cap)
    try:
        rules = load_rules(rules_file)
    except RulesError as exc:
        _stop(str(exc), USAGE_ERROR)
    try:
        read = [read_archive(path) for path in archives]
        result = audit(read, rules=rules, daily_cap=cap)
    except ArchiveError as exc:
        _stop(f"{exc.message}。未写出任何文件", ARCHIVE_ERROR)
    try:
        written = write_result(result, out, full_ids=full_ids)
    except OutputError as exc:
        _stop(str(exc), USAGE_ERROR)
    counts = Counter(lead.code for lead in result.leads)
    typer.echo(
        f"已核查 {len(read)} 份档案：线索 {len(result.leads)} 条，输入问题 {len(result.problems)} 行。"
    )
    for code, count in sorted(counts.items()):
        typer.echo(f"  {code}：{count} 条")
    for path in written:
        typer.echo(f"已保存：{path}")


def register(app: typer.Typer) -> None:
    app.command("audit-training", no_args_is_help=True)(audit_training)
