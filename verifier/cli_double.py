"""Commands `anpei platform-double` (the test double) and `anpei verify-page` (saved result pages)."""

from __future__ import annotations

import datetime as dt
import json as jsonlib
from pathlib import Path
from typing import Any

import typer

from verifier.cassettes import CassetteError
from verifier.decide import decide
from verifier.ids import mask_id, normalise_id
from verifier.pages import PageLayoutError, SavedPage, parse_saved_page
from verifier.serial import record_to_json
from verifier.types import CertRecord, Family, PlatformAnswer, RosterRow

RECORD_LABELS: tuple[tuple[str, str], ...] = (
    ("name", "姓名"),
    ("sex", "性别"),
    ("cert_number", "证号"),
    ("category", "作业类别"),
    ("item", "操作项目"),
    ("person_type", "人员类型"),
    ("industry", "行业类别"),
    ("first_issue_date", "初领日期"),
    ("valid_from", "有效期开始"),
    ("valid_until", "有效期结束"),
    ("review_due", "应复审日期"),
    ("review_done", "实际复审日期"),
    ("issuer", "签发机关"),
    ("status", "状态"),
)
LAYOUT_LABELS = {"current": "现行查询平台", "legacy": "旧版查询平台"}


def platform_double(
    cassettes: Path = typer.Option(
        ..., "--cassettes", help="录制文件目录（*.json，按文件名顺序读取），也可以是单个录制文件。"
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址，默认只监听本机。"),
    port: int = typer.Option(0, "--port", help="监听端口；0 表示自动选择空闲端口。"),
    captcha_answer: str = typer.Option(
        "8888", "--captcha-answer", help="验证码的固定答案（图片显示此答案）。"
    ),
    latency_ms: int = typer.Option(0, "--latency-ms", min=0, help="每个响应额外增加的延迟（毫秒）。"),
) -> None:
    """启动查询平台的测试替身：按录制文件回答验证码和证书查询请求，启动后输出一行访问地址。"""
    from verifier.cassettes import load_cassettes
    from verifier.double import run_double

    try:
        loaded = load_cassettes(cassettes)
    except CassetteError as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(2) from exc
    try:
        run_double(loaded, host=host, port=port, captcha_answer=captcha_answer, latency_ms=latency_ms)
    except OSError as exc:
        typer.echo(f"错误：无法在 {host}:{port} 上监听（{exc.strerror or exc}）", err=True)
        raise typer.Exit(2) from exc
    except KeyboardInterrupt:
        pass


def _infer_family(records: tuple[CertRecord, ...]) -> Family:
    if records and all((r.person_type or r.industry) and not (r.category or r.item) for r in records):
        return Family.SAFETY
    return Family.SPECIAL


def _page_report(
    page: SavedPage, *, as_of: dt.date, name: str | None, id_number: str | None, family: Family
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "layout": page.layout,
        "not_found": page.not_found,
        "records": [record_to_json(r) for r in page.records],
    }
    if name:
        row = RosterRow(row_number=1, name=name, id_number=normalise_id(id_number or ""), family=family)
        decision = decide(row, PlatformAnswer(records=page.records), as_of=as_of)
        report["decision"] = {
            "outcome": decision.outcome.value,
            "label": decision.outcome.label,
            "problem": decision.problem,
            "warnings": [w.value for w in decision.warnings],
            "explanation": decision.explanation,
        }
    return report


def verify_page(
    file: Path = typer.Argument(..., help="从查询平台保存的结果网页（.html）。"),
    as_of: str = typer.Option("", "--as-of", help="核验基准日期 YYYY-MM-DD，默认今天。", show_default="今天"),
    name: str | None = typer.Option(None, "--name", help="名册上的姓名；给出后按核验规则给出结论。"),
    id_number: str | None = typer.Option(
        None, "--id-number", help="名册上的身份证号（用于性别核对，显示时打码）。"
    ),
    family: Family | None = typer.Option(
        None,
        "--family",
        help="证书类型：special（特种作业操作证）或 safety（安全合格证）；默认按页面内容判断。",
    ),
    json: bool = typer.Option(False, "--json", help="以 JSON 输出（机器读取用）。"),
) -> None:
    """读取人工查询时保存的结果网页，列出其中的证书记录；给出姓名时按规则给出核验结论。"""
    try:
        day = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    except ValueError as exc:
        typer.echo(f"错误：--as-of 应为 YYYY-MM-DD 格式的日期（收到 {as_of!r}）", err=True)
        raise typer.Exit(2) from exc
    try:
        page = parse_saved_page(file.read_bytes())
    except OSError as exc:
        typer.echo(f"错误：无法读取文件 {file}（{exc.strerror or exc}）", err=True)
        raise typer.Exit(2) from exc
    except PageLayoutError as exc:
        typer.echo(f"错误：{file.name}：{exc}", err=True)
        raise typer.Exit(1) from exc
    report = _page_report(
        page, as_of=day, name=name, id_number=id_number, family=family or _infer_family(page.records)
    )
    if json:
        typer.echo(jsonlib.dumps(report, ensure_ascii=False, indent=2))
        return
    typer.echo(f"页面：{file.name}（{LAYOUT_LABELS[page.layout]}）")
    if page.not_found:
        typer.echo("结果：没有查询到相关证件信息（查无此证）")
    for index, record in enumerate(page.records, start=1):
        suffix = "（历史数据）" if record.is_history else ""
        typer.echo(f"\n证书 {index}{suffix}")
        for field_name, label in RECORD_LABELS:
            value = getattr(record, field_name)
            if value is not None:
                typer.echo(f"  {label}：{value}")
    decision = report.get("decision")
    if decision is not None:
        who = f"{name}（{mask_id(normalise_id(id_number))}）" if id_number else str(name)
        typer.echo(f"\n核验结论（{who}，基准日 {day.isoformat()}）：{decision['label']}")
        if decision["problem"]:
            typer.echo(f"  问题：{decision['problem']}")
        if decision["explanation"]:
            typer.echo(f"  说明：{decision['explanation']}")


def register(app: typer.Typer) -> None:
    """Attach `platform-double` and `verify-page` to the root `anpei` app."""
    app.command("platform-double")(platform_double)
    app.command("verify-page")(verify_page)
