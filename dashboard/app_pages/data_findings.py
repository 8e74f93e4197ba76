"""问题清单: filter, see overdue ones in red, report rectification, close with a revisit (复查), export."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from anpei import clock
from dashboard import data, input_ui, state
from db.codes import FindingStatus, RevisitResult
from db.records import finding_list, findings

P = "data_findings"
sel = state.selection()
principal = input_ui.principal()
st.title("问题清单")
input_ui.read_only_note(principal)
refs = input_ui.readable_jurisdictions(sel.url, principal)
by_id = {r.id: r.name for r in refs}
a, b, c, d = st.columns([2, 2, 1, 1])
scope = a.selectbox(
    "单位",
    [0, *by_id],
    format_func=lambda i: by_id.get(i, "全部"),
    key=f"{P}.jurisdiction",
    placeholder="请选择",
)
statuses = b.multiselect(
    "状态",
    [s.value for s in FindingStatus],
    format_func=lambda v: FindingStatus(v).label,
    key=f"{P}.status",
    placeholder="全部状态",
)
overdue_only = c.checkbox("只看逾期", key=f"{P}.overdue")
recurring_only = d.checkbox("只看重复发生", key=f"{P}.recurring")
e, f, g = st.columns([1, 1, 2])
due_from = e.date_input("整改期限从", value=None, key=f"{P}.due_from")
due_to = f.date_input("整改期限到", value=None, key=f"{P}.due_to")
as_of = sel.as_of
filters: dict[str, Any] = dict(
    jurisdiction_id=scope or None,
    status=statuses or None,
    overdue_only=overdue_only,
    recurring_only=recurring_only,
    due_from=due_from,
    due_to=due_to,
)
with data.session(sel.url) as s:
    rows = finding_list.list_findings(s, principal=principal, as_of=as_of, **filters)
overdue = sum(r.overdue for r in rows)
st.caption(f"共 {len(rows)} 条，其中逾期未整改 {overdue} 条（截至 {as_of.isoformat()}）")
frame = pd.DataFrame(
    [
        {
            "编号": r.id,
            "单位": r.jurisdiction,
            "检查对象": r.target_name,
            "检查项": r.check_item,
            "发现日期": r.found_on,
            "问题描述": r.description,
            "整改措施": r.measure,
            "整改期限": r.deadline,
            "责任人": r.responsible_person,
            "状态": r.status_label,
            "逾期天数": r.days_overdue if r.overdue else None,
            "复查日期": r.revisit_date,
            "复查人": r.revisit_by,
            "重复发生": "是" if r.recurring else "",
            "来源": r.source,
        }
        for r in rows
    ]
)
if not frame.empty:
    frame["逾期天数"] = frame["逾期天数"].astype(
        "Int64"
    )  # numbers, empty when not overdue (sorts as numbers)


SHOWN = ["编号", "单位", "检查对象", "检查项", "问题描述", "整改期限", "状态", "逾期天数", "重复发生"]
WIDTHS = {
    "编号": st.column_config.NumberColumn(width=52),
    "单位": st.column_config.TextColumn(width=84),
    "检查对象": st.column_config.TextColumn(width=160),
    "检查项": st.column_config.TextColumn(width=84),
    "问题描述": st.column_config.TextColumn(width=250),
    "整改期限": st.column_config.DateColumn(width=92),
    "状态": st.column_config.TextColumn(width=104),
    "逾期天数": st.column_config.NumberColumn(width=68),
    "重复发生": st.column_config.TextColumn(width=64),
}
if any(
    r.training_lead_id for r in rows
):  # problems raised from 培训档案线索 (属实): where from, in the same width
    SHOWN.append("来源")
    WIDTHS["问题描述"] = st.column_config.TextColumn(width=130)
    WIDTHS["来源"] = st.column_config.TextColumn(width=120)


def _highlight(table: pd.DataFrame) -> pd.DataFrame:
    colours = pd.DataFrame("", index=table.index, columns=table.columns)
    late = table["逾期天数"].notna()
    colours.loc[late, :] = "background-color: #f5c6c1; color: #78281f"
    return colours


if frame.empty:
    st.caption("没有符合条件的问题。")
else:
    # the columns that decide what to do next, sized to fit a 1366×768 laptop; 发现日期, 整改措施, 责任人 and
    # the revisit columns are in the exported list and shown for the problem chosen below
    st.dataframe(
        frame.style.apply(_highlight, axis=None),
        hide_index=True,
        placeholder="—",
        width="stretch",
        column_order=SHOWN,
        column_config=WIDTHS,
    )
    st.caption("表中列出主要各列；发现日期、整改措施、责任人、复查情况见导出的问题清单。")


def _export() -> bytes:
    with input_ui.writing(sel.url) as s:
        return finding_list.export_findings(s, principal=principal, as_of=as_of, **filters)


st.download_button(
    "导出问题清单（.xlsx）",
    data=_export,
    file_name=f"问题清单{as_of.isoformat()}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key=f"{P}.export",
)

open_rows = {r.id: r for r in rows if r.status != FindingStatus.CLOSED.value}
if principal.can_write and open_rows:
    st.subheader("整改与复查销号")
    chosen = st.selectbox(
        "选择问题",
        list(open_rows),
        key=f"{P}.chosen",
        format_func=lambda i: f"{i}｜{open_rows[i].target_name}｜{open_rows[i].description[:30]}",
        placeholder="请选择",
    )
    if open_rows[chosen].source:
        st.caption(f"{open_rows[chosen].source}，见“培训档案核查”页")
    # the inputs of the chosen problem: keyed by its id, loaded with its version
    form = input_ui.record_form(P, (chosen,), open_rows[chosen].version)
    left, right = st.columns(2)
    with left, st.form(form.key("rectify")):
        rectified_on = st.date_input(
            "整改完成日期", value=min(clock.local_today(), as_of), key=form.key("rectified_on")
        )
        measure = st.text_input("整改措施", value=open_rows[chosen].measure, key=form.key("measure"))
        done = st.form_submit_button("报告已整改")
    if done:

        def _rectify() -> int:
            with input_ui.writing(sel.url) as s:
                return findings.update_finding(
                    s,
                    principal=principal,
                    finding_id=chosen,
                    rectified_on=rectified_on,
                    measure=measure,
                    expected_version=form.version,
                ).version

        input_ui.attempt(_rectify, success=f"问题 {chosen} 已标记为已整改，待复查", form=form)
    with right, st.form(form.key("revisit")):
        revisit_date = st.date_input("复查日期", value=None, key=form.key("revisit_date"))
        result = st.radio(
            "复查结果",
            [r.value for r in RevisitResult],
            format_func=lambda v: RevisitResult(v).label,
            horizontal=True,
            index=None,
            key=form.key("revisit_result"),
        )
        revisit_by = st.text_input("复查人", key=form.key("revisit_by"))
        closed = st.form_submit_button("复查销号")
    if closed:

        def _close() -> int:
            with input_ui.writing(sel.url) as s:
                return findings.close_finding(
                    s,
                    principal=principal,
                    finding_id=chosen,
                    revisit_date=revisit_date,
                    revisit_result=result,
                    revisit_by=revisit_by,
                    expected_version=form.version,
                ).version

        input_ui.attempt(_close, success=f"问题 {chosen} 已记录复查", form=form)
