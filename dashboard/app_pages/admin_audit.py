"""审计日志 (administrators): search the audit trail by user, action, object, time and text, and
export the matches as .xlsx (the export itself is audited). Read only — the log cannot be edited."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from anpei import clock
from dashboard import auth_ui, data
from db.audit import search
from db.audit.labels import ENTITY_LABELS
from db.codes import AuditAction
from db.rules.access import AccessDenied

K = "admin.audit."
PAGE_SIZE = 200
principal = auth_ui.current()
url = data.database_url()
st.title("审计日志")
if not principal.is_admin:
    st.error("只有管理员可以查看审计日志。")
    st.stop()
st.caption(
    "记录每次新增、修改、删除、导入、导出、查看完整身份证号和登录。日志只能查询和导出，任何人都不能修改或删除。"
)
today = clock.local_today()

c1, c2, c3 = st.columns([2, 3, 3])
username = c1.text_input("用户名", key=K + "username", max_chars=50)
actions = c2.multiselect(
    "操作", list(AuditAction), format_func=lambda a: a.label, key=K + "actions", placeholder="全部操作"
)
text = c3.text_input("包含文字（说明、对象编号、修改前后内容）", key=K + "text", max_chars=100)
d1, d2, d3 = st.columns([2, 2, 4])
since = d1.date_input("起始日期", value=today - dt.timedelta(days=30), key=K + "since")
until = d2.date_input("截止日期", value=today, key=K + "until")
entity = d3.selectbox(
    "对象",
    list(ENTITY_LABELS),
    index=None,
    format_func=ENTITY_LABELS.__getitem__,
    placeholder="全部对象",
    key=K + "entity",
)


def start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=clock.local_zone())


where = search.AuditFilter(
    username=username.strip() or None,
    actions=tuple(actions),
    entity=entity,
    since=start_of(since) if isinstance(since, dt.date) else None,
    until=start_of(until + dt.timedelta(days=1)) if isinstance(until, dt.date) else None,
    text=text.strip() or None,
)
try:
    with data.session(url) as s:
        total = search.count_audit(s, principal=principal, where=where)
        entries = search.search_audit(s, principal=principal, where=where, limit=PAGE_SIZE)
except AccessDenied as exc:
    st.error(str(exc))
    st.stop()


st.caption(f"共 {total:,} 条" + (f"，显示最近 {len(entries)} 条" if total > len(entries) else ""))
st.dataframe(
    pd.DataFrame(
        [
            {
                "时间": clock.format_local(e.at, seconds=True),
                "用户": e.username,
                "操作": e.action_label,
                "对象": e.entity_label,
                "编号": e.entity_id_label,
                "说明": e.detail,
                "修改内容": e.changes_text,
            }
            for e in entries
        ],
        columns=["时间", "用户", "操作", "对象", "编号", "说明", "修改内容"],
    ),
    hide_index=True,
    width="stretch",
    key=K + "table",
)

if st.button(f"导出这 {min(total, search.MAX_ROWS):,} 条（Excel）", key=K + "export", disabled=total == 0):
    with data.session(url) as s:
        payload = search.export_audit_xlsx(s, principal=principal, where=where)
        s.commit()
    st.session_state[f"{K}file.{principal.username}"] = payload  # offered only to the admin who exported it
if exported := st.session_state.get(f"{K}file.{principal.username}"):
    st.download_button(
        "下载审计日志",
        exported,
        file_name=f"审计日志-{today.isoformat()}.xlsx",
        type="primary",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=K + "download",
        icon="⬇️",
    )
