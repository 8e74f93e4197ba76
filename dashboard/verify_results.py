"""A job's results for the screen: the table, its colours, the next step per outcome. Streamlit-free."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from verifier.results import COLOURS, outcome_class
from verifier.types import Outcome, WarningCode

_ASK_CARD = "向本人索要证书原件（或电子证书）核对，必要时向发证机关核实"
NEXT_STEPS: dict[Outcome, str] = {
    Outcome.VALID: "",
    Outcome.VALID_WITH_WARNINGS: "证书有效；按“说明”提醒本人（到期换证、按期复审等）",
    Outcome.NOT_FOUND: "先核对名单中的姓名和身份证号；无误则" + _ASK_CARD,
    Outcome.NAME_MISMATCH: "先核对姓名是否录错（同音字、生僻字）；无误则" + _ASK_CARD,
    Outcome.CERT_NUMBER_MISMATCH: "向本人索要证书原件核对证号，必要时向发证机关核实",
    Outcome.EXPIRED: "要求停止相应作业，办理延期换证或重新考核后再上岗",
    Outcome.REVIEW_OVERDUE: "向本人和发证机关核实复审情况；未按期复审的证书失效，须停止相应作业",
    Outcome.REVOKED_OR_CANCELLED: "向发证机关核实证书状态；该证书不能作为持证依据",
    Outcome.HISTORICAL_ONLY: "向本人索要现行证书，向发证机关核实",
    Outcome.CATEGORY_MISMATCH: "核对名单所填操作项目；从事该作业须持对应项目的证书",
    Outcome.INPUT_INVALID: "更正名单中这一行（见“说明”）后重新上传核验",
    Outcome.CAPTCHA_REQUIRED: "不是结论：有人输入验证码时重新核验",
    Outcome.CAPTCHA_FAILED: "不是结论：稍后重新核验，注意验证码看清再输入",
    Outcome.BLOCKED: "不是结论：平台暂时拒绝访问，隔几小时后点“继续”",
    Outcome.RATE_LIMITED: "不是结论：平台提示查询过于频繁，稍后点“继续”",
    Outcome.PLATFORM_ERROR: "不是结论：平台故障或网络问题，稍后重新核验",
    Outcome.PARSE_ERROR: "不是结论：平台返回内容无法识别，请联系系统管理员后再继续",
    Outcome.NOT_CHECKED: "不是结论：本批已停止，点“继续”核验剩余人员",
}
CLASS_LABELS = {
    "valid": "有效",
    "warn": "有效（需关注）",
    "red": "疑似无证或假证",
    "orange": "证书失效或不符",
    "grey": "未得出结论",
}
SHOWN_COLUMNS = (
    "行号",
    "姓名",
    "身份证号",
    "结论",
    "问题",
    "下一步",
    "说明",
    "提示",
    "证号",
    "操作项目",
    "有效期结束",
    "核验时间",
)


def next_step(outcome: Outcome | str, warnings: Sequence[str] = ()) -> str:
    """What staff should do next for a row, in plain words ('' for a valid certificate)."""
    code = Outcome(outcome)
    if code in (Outcome.NOT_FOUND, Outcome.NAME_MISMATCH):
        if WarningCode.DATA_MAY_LAG.value in warnings:
            return "发证不足3天，平台数据可能滞后：3天后重新核验"
        if WarningCode.WITHIN_APPOINTMENT_GRACE.value in warnings:
            return "任职未满6个月，仍在考核期内：督促其按期考核合格，期满后重新核验"
    return NEXT_STEPS[code]


def warning_labels(codes: str) -> str:
    labels = []
    for code in filter(None, (codes or "").split(";")):
        try:
            labels.append(WarningCode(code).label)
        except ValueError:
            labels.append(code)
    return "；".join(labels)


def results_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The §7 rows as the screen shows them, with `outcome` and `类别` kept for colours and filters."""
    records = []
    for row in rows:
        warnings = [w for w in str(row.get("warnings") or "").split(";") if w]
        records.append(
            {
                **{
                    column: row.get(column, "")
                    for column in SHOWN_COLUMNS
                    if column not in ("下一步", "提示")
                },
                "下一步": next_step(str(row["outcome"]), warnings),
                "提示": warning_labels(str(row.get("warnings") or "")),
                "outcome": row["outcome"],
                "类别": CLASS_LABELS[outcome_class(str(row["outcome"]))],
            }
        )
    frame = pd.DataFrame(records, columns=[*SHOWN_COLUMNS, "outcome", "类别"])
    return frame


def row_colour(outcome: str) -> str:
    """CSS background of a row's 结论 and 问题 cells (the result file's colours)."""
    return f"background-color: #{COLOURS[outcome_class(outcome)]}"


def outcome_counts(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Rows per Chinese conclusion, in the order of precedence."""
    counts = dict.fromkeys((o.label for o in Outcome), 0)
    for row in rows:
        counts[Outcome(str(row["outcome"])).label] += 1
    return {label: n for label, n in counts.items() if n}
