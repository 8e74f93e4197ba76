"""The 说明 column: what an outcome means for one row and what staff should do next (Chinese)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from verifier.dates import grace_end
from verifier.types import CertRecord, Family, Outcome, RosterRow, WarningCode

_RETRY_LATER = "这不是对人员的结论，请稍后重新核验。"
_FOLLOW_UP = "向本人索要证书原件（或电子证书）核对，必要时向发证机关核实。"

_WARNING_ADVICE: dict[WarningCode, str] = {
    WarningCode.EXPIRES_SOON: "提醒持证人及时办理延期换证",
    WarningCode.REVIEW_DUE_SOON: "提醒持证人在应复审日期前60天内申请复审",
    WarningCode.REVIEW_DATE_MISSING: "平台未给出应复审日期，请查看证书原件上的复审记录",
    WarningCode.SEX_MISMATCH: "平台登记的性别与身份证号不符，请核对身份信息，必要时请发证机关更正",
    WarningCode.UNKNOWN_ITEM: "证书的作业类别或操作项目不在目录内，请人工确认",
    WarningCode.LEGACY_ID_CONVERTED: "名单中的15位旧身份证号已按规则转换为18位，建议更新名单",
    WarningCode.DATA_MAY_LAG: "发证不足3天，平台数据可能尚未上传，请3天后重新核验",
    WarningCode.WITHIN_APPOINTMENT_GRACE: "任职未满6个月，仍在考核期内",
}
_IN_MAIN_TEXT = frozenset({WarningCode.WITHIN_APPOINTMENT_GRACE, WarningCode.DATA_MAY_LAG})


def _date(day: dt.date | None) -> str:
    return day.isoformat() if day else "无"


def _required(row: RosterRow) -> str:
    if row.family is Family.SAFETY:
        return f"人员类型“{row.person_type}”" if row.person_type else "所需证书"
    if row.item:
        return f"操作项目“{row.item}”"
    if row.category:
        return f"作业类别“{row.category}”"
    return "所需项目"


def _platform_items(records: Sequence[CertRecord], row: RosterRow) -> str:
    labels: list[str] = []
    for record in records:
        if record.is_history:
            continue
        label = record.person_type if row.family is Family.SAFETY else (record.item or record.category)
        if label and label not in labels:
            labels.append(label)
    return "、".join(labels) or "无"


def _absent(row: RosterRow, warnings: Sequence[WarningCode], *, lead: str) -> str:
    if row.family is Family.SPECIAL:
        if row.cert_number:
            tail = "名单填有证号，但平台查不到对应证书，疑似持假证。"
        else:
            tail = "名单未填证号，平台也查不到证书，疑似无证上岗。"
        return lead + tail + "也可能是姓名、身份证号录入错误或平台数据滞后；请先核对名单，再" + _FOLLOW_UP
    if WarningCode.WITHIN_APPOINTMENT_GRACE in warnings and row.appointment_date is not None:
        deadline = grace_end(row.appointment_date)
        return (
            lead
            + f"任职未满6个月，仍在考核期内；请督促其在 {deadline.isoformat()} （含当日）前考核合格，届时重新核验。"
        )
    if row.appointment_date is None:
        when = "名单未填任职日期，按已超过6个月考核期处理"
    else:
        when = f"任职日期 {row.appointment_date.isoformat()}，已超过6个月考核期"
    return lead + f"{when}，疑似逾期未考核合格。请核对名单信息，向本人索要合格证核对，必要时向发证机关核实。"


def explain(
    row: RosterRow,
    outcome: Outcome,
    *,
    warnings: Sequence[WarningCode],
    records: Sequence[CertRecord],
    chosen: CertRecord | None,
    as_of: dt.date,
    detail: str = "",
) -> str:
    """One or two Chinese sentences for the 说明 column, ending with the next step for staff."""
    text = _main(row, outcome, warnings=warnings, records=records, chosen=chosen, as_of=as_of, detail=detail)
    # Grace and data lag are already part of the main text.
    extra = [_WARNING_ADVICE[w] for w in warnings if w not in _IN_MAIN_TEXT]
    if extra and outcome is not Outcome.VALID_WITH_WARNINGS:
        text += "另：" + "；".join(extra) + "。"
    return text


def _main(
    row: RosterRow,
    outcome: Outcome,
    *,
    warnings: Sequence[WarningCode],
    records: Sequence[CertRecord],
    chosen: CertRecord | None,
    as_of: dt.date,
    detail: str,
) -> str:
    why = f"（{detail}）" if detail else ""
    match outcome:
        case Outcome.INPUT_INVALID:
            return f"名单信息有误{why}，未查询平台。请更正名单后重新上传核验。"
        case Outcome.CAPTCHA_REQUIRED:
            return f"无法取得验证码答案，未查询平台{why}。请在有人输入验证码时重新核验。"
        case Outcome.BLOCKED:
            return f"平台拒绝访问{why}，本批次已停止。" + _RETRY_LATER + "请隔一段时间（如数小时）后继续。"
        case Outcome.RATE_LIMITED:
            return f"平台提示查询过于频繁{why}，本批次已停止。" + _RETRY_LATER + "请稍后放慢查询间隔继续。"
        case Outcome.CAPTCHA_FAILED:
            return f"验证码多次被平台判为错误{why}，本行未得到结果。" + _RETRY_LATER
        case Outcome.PLATFORM_ERROR:
            return f"平台故障或网络问题{why}，多次尝试后本行仍未得到结果。" + _RETRY_LATER
        case Outcome.PARSE_ERROR:
            return (
                f"平台返回了无法识别的内容{why}，接口可能已变更，本批次已停止。"
                "这不是对人员的结论；请联系系统管理员检查后再继续核验。"
            )
        case Outcome.NOT_CHECKED:
            return "本批次在查询本行之前已停止，未核验。" + _RETRY_LATER
        case Outcome.NOT_FOUND:
            lead = "平台查无此人的证书。"
            if WarningCode.DATA_MAY_LAG in warnings:
                lead += "发证不足3天，平台数据可能尚未上传，请3天后重新核验；"
            return _absent(row, warnings, lead=lead)
        case Outcome.HISTORICAL_ONLY:
            return "平台只有此人的历史证书（已被替换或过期），没有现行证书。请" + _FOLLOW_UP
        case Outcome.NAME_MISMATCH:
            names = "、".join(dict.fromkeys(r.name for r in records if not r.is_history))
            lead = f"平台有此身份证号的现行证书，但姓名（平台为：{names}）与名单不一致。请先核对姓名是否录错（同音字、生僻字）；"
            return _absent(row, warnings, lead=lead)
        case Outcome.CATEGORY_MISMATCH:
            return (
                f"此人的现行证书中没有名单所列的{_required(row)}（平台为：{_platform_items(records, row)}）。"
                "请核对名单所填项目；如实际从事该作业，须持对应项目的证书上岗。"
            )
    assert chosen is not None
    until = _date(chosen.valid_until)
    match outcome:
        case Outcome.REVOKED_OR_CANCELLED:
            return f"证书状态为“{chosen.status}”，已注销、撤销或失效，不能作为持证依据。请向发证机关核实。"
        case Outcome.EXPIRED:
            return f"证书有效期已于 {until} 届满。请要求其停止相应作业，办理延期换证或重新考核后再上岗。"
        case Outcome.REVIEW_OVERDUE:
            return (
                f"证书应于 {_date(chosen.review_due)} 复审，平台无按期复审记录（实际复审日期：{_date(chosen.review_done)}），"
                "依《特种作业人员安全技术培训考核管理规定》第二十六条证书失效。请向本人及发证机关核实。"
            )
        case Outcome.CERT_NUMBER_MISMATCH:
            if row.family is Family.SPECIAL:
                lead = "名单所填证号不是“T+身份证号”，"
            else:
                lead = f"名单所填证号与平台证号（{chosen.cert_number}）不一致，"
            return (
                lead
                + "而平台上此人的证书有效，疑似持假证。请向本人索要证书原件核对证号，必要时向发证机关核实。"
            )
        case Outcome.VALID_WITH_WARNINGS:
            advice = "；".join(_WARNING_ADVICE[w] for w in warnings)
            return f"证书有效（有效期至 {until}），需关注：{advice}。"
        case _:
            return f"证书有效（有效期至 {until}）。"
