"""What the audit log shows a person instead of its stored codes: the Chinese name of each kind of
object (`user` → 账号), a readable object number (`verifier:1:20261205…` → 核验任务 1), and the
before/after snapshots as "字段：旧 → 新" text in place of raw JSON.

The stored codes are unchanged (the log is append-only); only the display and the export use these.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

# audit entity code → label; the filter offers exactly these
ENTITY_LABELS: dict[str, str] = {
    "user": "账号",
    "enterprise": "企业",
    "institution": "培训机构",
    "jurisdiction": "单位",
    "person": "人员",
    "certificatecheck": "证书核查",
    "verifier_job": "核验任务",
    "monthlyreport": "月度汇总表",
    "inspection": "检查记录",
    "finding": "问题",
    "enforcementaction": "执法措施",
    "selfinspectionreport": "自查报告",
    "tip": "举报线索",
    "summaryreport": "总结报告",
    "assessment": "季度考核",
    "auditlog": "审计日志",
}

# snapshot field → label (fields not listed keep their stored name)
FIELD_LABELS: dict[str, str] = {
    "username": "用户名",
    "display_name": "姓名",
    "role": "角色",
    "active": "启用",
    "jurisdiction_id": "所属单位",
    "password_hash": "密码",
    "failed_logins": "连续登录失败次数",
    "locked_until": "锁定至",
    "last_login_at": "最近登录",
    "session_version": "登录版本",
    "status": "状态",
    "month": "月份",
    "submitted_at": "报送时间",
    "filled_on": "填报日期",
    "filled_by": "填报人",
    "phone": "联系电话",
    "notes": "备注",
    "scan_path": "盖章扫描件",
    "enterprises_inspected": "检查企业数",
    "institutions_inspected": "检查培训机构数",
    "workers_checked": "核查人数",
    "unlicensed": "无证上岗",
    "cases": "立案数",
    "fines_wan": "罚款（万元）",
    "exposures": "曝光数",
    "problems_found": "发现问题数",
    "problems_by_item": "各检查项问题数",
    "inspected_on": "检查日期",
    "inspectors": "检查人员",
    "target_kind": "对象类型",
    "target_name": "对象名称",
    "enterprise_id": "企业",
    "institution_id": "培训机构",
    "joint": "联合检查",
    "joint_units": "联合单位",
    "results": "检查项结果",
    "check_item_number": "检查项",
    "item_number": "检查项",
    "description": "问题描述",
    "deadline": "整改期限",
    "rectified_on": "整改完成日期",
    "revisit_date": "复查日期",
    "revisit_result": "复查结果",
    "measure": "整改措施",
    "kind": "类别",
    "action_date": "日期",
    "fine_amount": "罚款金额",
    "case_ref": "案号",
    "name": "姓名",
    "id_number": "身份证号",
    "cert_number": "证号",
    "left_on": "离职日期",
    "outcome": "核查结论",
    "as_of": "核验基准日",
    "saved": "保存条数",
    "replaced": "替换条数",
    "people_created": "新建人员",
    "left_before": "离职早于",
    "people": "人数",
    "checks_cleared": "清除核查记录",
    "received_on": "收到日期",
    "channel": "来源渠道",
    "content": "内容",
    "substantiated": "属实",
    "answered_on": "答复日期",
    "title": "标题",
    "summary": "摘要",
    "period_from": "起始日期",
    "source": "来源",
    "detail": "说明",
}


def entity_label(code: str) -> str:
    """The Chinese name of an audit object kind; an unknown code is shown as stored."""
    return ENTITY_LABELS.get(code, code)


def entity_id_label(entity_id: str) -> str:
    """A readable object number: a verifier job's stored reference (`verifier:<id>:<time>`) becomes
    "核验任务 <id>"; any other number is shown as stored."""
    parts = entity_id.split(":")
    if len(parts) == 3 and parts[0] == "verifier" and parts[1].isdigit():
        return f"核验任务 {parts[1]}"
    return entity_id


def value_text(value: Any) -> str:
    """A snapshot value as a person reads it: no JSON quotes, yes/no in Chinese, lists joined."""
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict):
        return "，".join(f"{field_label(str(k))} {value_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "、".join(value_text(v) for v in value) or "（空）"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name)


def snapshot_text(snapshot: dict[str, Any] | None) -> str:
    """A before/after snapshot as "字段：值" lines (the export's 修改前/修改后 cells)."""
    if not snapshot:
        return ""
    return "\n".join(f"{field_label(k)}：{value_text(v)}" for k, v in sorted(snapshot.items()))


def changes_text(changes: dict[str, tuple[Any, Any]]) -> str:
    """Changed fields as "字段：旧 → 新", separated by "；"."""
    return "；".join(f"{field_label(k)}：{value_text(a)} → {value_text(b)}" for k, (a, b) in changes.items())
