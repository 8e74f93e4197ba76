"""自查自改, 12350 举报线索, 曝光与黑名单, 总结报告."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pandas as pd
import streamlit as st

from anpei import clock
from dashboard import data, input_ui, state, ui
from db.codes import ActionKind, JurisdictionKind, TargetKind, TipStatus
from db.reads import exposures
from db.records import self_inspections, summary_reports, tips
from db.records.common import active_campaign, target_choices
from db.records.findings import FindingInput
from db.records.inspections import ActionInput, add_action
from db.records.row_versions import NO_ROW


def flag_rows(column: str) -> Callable[[pd.DataFrame], Any]:
    """A styler painting the rows whose `column` is non-empty red (the tips past their time)."""

    def paint(frame: pd.DataFrame) -> Any:
        def colours(table: pd.DataFrame) -> pd.DataFrame:
            out = pd.DataFrame("", index=table.index, columns=table.columns)
            out.loc[table[column].astype(str) != "", :] = "background-color: #f5c6c1; color: #78281f"
            return out

        return frame.style.apply(colours, axis=None)

    return paint


def tip_action_days(url: str) -> int:
    with data.session(url) as s:
        return active_campaign(s).tip_action_days


P = "data_other"
sel = state.selection()
principal = input_ui.principal()
st.title("自查、举报、曝光与总结")
input_ui.read_only_note(principal)
today = min(clock.local_today(), sel.as_of)
self_tab, tip_tab, exposure_tab, summary_tab = st.tabs(
    ["自查自改", "12350举报线索", "曝光与黑名单", "总结报告"]
)

with self_tab:
    ref = input_ui.pick_jurisdiction(sel.url, principal, key=f"{P}.self_jurisdiction")
    kind = TargetKind(
        st.radio(
            "自查单位类型",
            [k.value for k in TargetKind],
            format_func=lambda v: TargetKind(v).label,
            horizontal=True,
            key=f"{P}.self_kind",
        )
    )
    with data.session(sel.url) as s:
        targets = target_choices(s, jurisdiction_id=ref.id, kind=kind)
        listed = self_inspections.list_self_inspections(s, principal=principal, jurisdiction_id=ref.id)
    if targets and principal.can_write:
        # a report of this unit's enterprise or institution: another unit or kind gets fresh inputs
        self_form = input_ui.record_form(f"{P}.self", (ref.id, kind.value), NO_ROW)
        with st.form(self_form.key("form")):
            target = st.selectbox(
                "单位",
                list(targets),
                format_func=lambda i: targets[i],
                key=self_form.key("target"),
                placeholder="请选择",
            )
            submitted_on = st.date_input("报送日期", value=today, key=self_form.key("date"))
            summary = st.text_area("自查情况", key=self_form.key("summary"))
            problem = st.text_input(
                "发现的问题（一条；更多问题请在问题清单中补充）", key=self_form.key("problem")
            )
            a, b, c = st.columns(3)
            measure = a.text_input("整改措施", key=self_form.key("measure"))
            deadline = b.date_input("整改期限", value=None, key=self_form.key("deadline"))
            responsible = c.text_input("责任人", key=self_form.key("responsible"))
            report_file = st.file_uploader(
                "自查报告（PDF、Word 或图片，可不传）",
                type=["pdf", "doc", "docx", "png", "jpg", "jpeg"],
                key=self_form.key("file"),
            )
            sent = st.form_submit_button("保存自查报告")
        if sent:
            got = input_ui.uploaded_bytes(report_file)
            problems = (
                [FindingInput(problem, measure=measure, deadline=deadline, responsible_person=responsible)]
                if problem.strip()
                else []
            )

            def _self() -> object:
                with input_ui.writing(sel.url) as s:
                    return self_inspections.submit_self_inspection(
                        s,
                        principal=principal,
                        target_kind=kind,
                        enterprise_id=target if kind is TargetKind.ENTERPRISE else None,
                        institution_id=target if kind is TargetKind.INSTITUTION else None,
                        submitted_on=submitted_on,
                        summary=summary,
                        problems=problems,
                        attachment=got[0] if got else None,
                        filename=got[1] if got else "",
                    )

            input_ui.attempt(_self, success=f"已保存 {targets[target]} 的自查报告")
    input_ui.table(
        [
            {
                "单位": r.target_name,
                "报送日期": r.submitted_on,
                "自查情况": r.summary,
                "问题": r.problems,
                "未整改": r.problems_open,
                "附件": "有" if r.attachment else "",
            }
            for r in listed
        ],
        empty="还没有自查报告。",
    )

with tip_tab:
    refs = input_ui.readable_jurisdictions(sel.url, principal)
    names = {r.id: r.name for r in refs}
    flagged_only = st.checkbox("只看超期未处理", key=f"{P}.tip_flagged")
    with data.session(sel.url) as s:
        rows = tips.list_tips(s, principal=principal, flagged_only=flagged_only, as_of=sel.as_of)
    late = sum(r.flagged for r in rows)
    limit_days = tip_action_days(sel.url)
    st.caption(
        f"共 {len(rows)} 条；"
        + (
            f":red[**超期未处理 {late} 条**]（受理后超过 {limit_days} 天未核查）"
            if late
            else f"超期未处理 0 条（受理后超过 {limit_days} 天未核查即标红）"
        )
    )
    input_ui.table(
        [
            {
                "编号": r.id,
                "受理日期": r.received_on,
                "来源": r.channel,
                "举报内容": r.content,
                "被举报单位": r.target_name,
                "承办单位": r.jurisdiction or "未交办",
                "交办日期": r.assigned_on,
                "状态": r.status_label,
                "已过天数": r.days_open,
                "超期未处理": "是" if r.flagged else "",
                "核查情况": r.check_result,
            }
            for r in rows
        ],
        empty="没有举报线索。",
        styler=flag_rows("超期未处理"),
        key=f"{P}.tip_table",
    )
    if principal.can_write and principal.sees_all:
        with st.form(f"{P}.tip_form"):
            st.markdown("**登记举报线索**")
            received_on = st.date_input("受理日期", value=today, key=f"{P}.tip_received")
            content = st.text_area("举报内容", key=f"{P}.tip_content")
            target_name = st.text_input("被举报单位", key=f"{P}.tip_target")
            assign_to = st.selectbox(
                "交办给",
                [0, *names],
                format_func=lambda i: names.get(i, "暂不交办"),
                key=f"{P}.tip_assign",
                placeholder="请选择",
            )
            added = st.form_submit_button("登记")
        if added:

            def _tip() -> object:
                with input_ui.writing(sel.url) as s:
                    return tips.record_tip(
                        s,
                        principal=principal,
                        received_on=received_on,
                        content=content,
                        target_name=target_name,
                        jurisdiction_id=assign_to or None,
                    )

            input_ui.attempt(_tip, success="举报线索已登记")
        open_tips = {
            r.id: r for r in rows if r.status not in (TipStatus.ANSWERED.value, TipStatus.CLOSED.value)
        }
        if open_tips:
            st.markdown("**交办或改派**")
            moved = st.selectbox(
                "线索",
                list(open_tips),
                key=f"{P}.tip_move_chosen",
                format_func=lambda i: (
                    f"{i}｜{open_tips[i].jurisdiction or '未交办'}｜{open_tips[i].content[:30]}"
                ),
                placeholder="请选择",
            )
            move_form = input_ui.record_form(f"{P}.tip_move", (moved,), open_tips[moved].version)
            with st.form(move_form.key("form")):
                move_to = st.selectbox(
                    "交办给",
                    list(names),
                    format_func=lambda i: names[i],
                    key=move_form.key("to"),
                    placeholder="请选择",
                )
                move_on = st.date_input("交办日期", value=today, key=move_form.key("on"))
                reassigned = st.form_submit_button("交办")
            if reassigned:

                def _move() -> int:
                    with input_ui.writing(sel.url) as s:
                        return tips.assign_tip(
                            s,
                            principal=principal,
                            tip_id=moved,
                            jurisdiction_id=move_to,
                            assigned_on=move_on,
                            expected_version=move_form.version,
                        ).version

                input_ui.attempt(_move, success=f"线索 {moved} 已交办给{names[move_to]}", form=move_form)
    handled = [r for r in rows if r.jurisdiction_id is not None and r.status not in ("answered", "closed")]
    if principal.can_write and handled:
        st.markdown("**核查与答复**")
        by_tip = {r.id: r for r in handled}
        chosen = st.selectbox(
            "线索",
            list(by_tip),
            key=f"{P}.tip_chosen",
            format_func=lambda i: f"{i}｜{by_tip[i].content[:30]}",
            placeholder="请选择",
        )
        check_form = input_ui.record_form(f"{P}.tip_check", (chosen,), by_tip[chosen].version)
        with st.form(check_form.key("form")):
            check = st.text_area("核查情况", value=by_tip[chosen].check_result, key=check_form.key("text"))
            true = st.radio("是否属实", ["是", "否"], horizontal=True, key=check_form.key("true"))
            answer = st.checkbox("同时答复并办结", key=check_form.key("answer"))
            checked = st.form_submit_button("保存核查情况")
        if checked:

            def _check() -> int:
                with input_ui.writing(sel.url) as s:
                    tip = tips.record_check(
                        s,
                        principal=principal,
                        tip_id=chosen,
                        check_result=check,
                        substantiated=true == "是",
                        expected_version=check_form.version,
                    )
                    if answer:
                        tip = tips.answer_tip(s, principal=principal, tip_id=chosen, close=True)
                    return tip.version

            input_ui.attempt(_check, success="核查情况已保存", form=check_form)

with exposure_tab:
    every_kind = st.checkbox("同时列出立案和责令整改", key=f"{P}.exposure_all")
    with data.session(sel.url) as s:
        listed_actions = exposures.list_exposures(
            s,
            principal=principal,
            kinds=[k.value for k in ActionKind] if every_kind else exposures.PUBLISHED_KINDS,
        )
    input_ui.table(
        [
            {
                "单位名称": r.target_name,
                "统一社会信用代码": r.uscc,
                "处理方式": r.kind_label,
                "日期": r.action_date,
                "案号/文号": r.case_ref,
                "罚款金额（元）": float(r.fine_amount) if r.fine_amount is not None else None,
                "查处单位": r.jurisdiction,
                "备注": r.notes,
            }
            for r in listed_actions
        ],
        empty="还没有罚款、曝光或纳入黑名单的记录。",
    )
    if principal.can_write:
        st.markdown("**登记检查后的处理措施**（立案、罚款、曝光、纳入黑名单、责令整改）")
        aref = input_ui.pick_jurisdiction(
            sel.url, principal, key=f"{P}.action_jurisdiction", label="查处单位"
        )
        akind = TargetKind(
            st.radio(
                "处理对象类型",
                [k.value for k in TargetKind],
                format_func=lambda v: TargetKind(v).label,
                horizontal=True,
                key=f"{P}.action_target_kind",
            )
        )
        with data.session(sel.url) as s:
            action_targets = target_choices(
                s, jurisdiction_id=aref.id, kind=akind, county_wide=aref.kind == JurisdictionKind.COUNTY.value
            )
        if not action_targets:
            st.caption(f"{ui.plain(aref.name)}没有登记的{akind.label}。")
        else:
            # an action by this unit against this kind of target: another unit or kind gets fresh inputs
            action_form = input_ui.record_form(f"{P}.action", (aref.id, akind.value), NO_ROW)
            with st.form(action_form.key("form")):
                a_target = st.selectbox(
                    akind.label,
                    list(action_targets),
                    format_func=lambda i: action_targets[i],
                    key=action_form.key("target"),
                    placeholder="请选择",
                )
                a1, a2 = st.columns(2)
                a_kind = a1.selectbox(
                    "处理方式",
                    [k.value for k in ActionKind],
                    format_func=lambda v: ActionKind(v).label,
                    key=action_form.key("kind"),
                    placeholder="请选择",
                )
                a_date = a2.date_input("处理日期", value=today, key=action_form.key("date"))
                b1, b2 = st.columns(2)
                a_deadline = b1.date_input(
                    "整改期限（责令整改时填写）", value=None, key=action_form.key("deadline")
                )
                a_fine = b2.number_input(
                    "罚款金额（元，罚款时填写）",
                    min_value=0.0,
                    step=1000.0,
                    format="%.2f",
                    key=action_form.key("fine"),
                )
                a_ref = st.text_input("案号/文号", key=action_form.key("ref"))
                a_notes = st.text_input("备注", key=action_form.key("notes"))
                a_sent = st.form_submit_button("登记处理措施")
            if a_sent:
                chosen_kind = ActionKind(a_kind)

                def _action() -> object:
                    with input_ui.writing(sel.url) as s:
                        return add_action(
                            s,
                            principal=principal,
                            jurisdiction_id=aref.id,
                            target_kind=akind,
                            enterprise_id=a_target if akind is TargetKind.ENTERPRISE else None,
                            institution_id=a_target if akind is TargetKind.INSTITUTION else None,
                            action=ActionInput(
                                chosen_kind,
                                a_date,
                                deadline=a_deadline if chosen_kind is ActionKind.ORDER_RECTIFY else None,
                                fine_amount=Decimal(str(a_fine))
                                if chosen_kind is ActionKind.FINE and a_fine
                                else None,
                                case_ref=a_ref,
                                notes=a_notes,
                            ),
                        )

                input_ui.attempt(_action, success=f"已登记：{action_targets[a_target]} {chosen_kind.label}")

    def _exposures() -> bytes:
        with input_ui.writing(sel.url) as s:
            return exposures.export_exposures(s, principal=principal)

    st.download_button(
        "导出曝光及黑名单（.xlsx，供公开发布）",
        data=_exposures,
        file_name="曝光及黑名单.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{P}.exposure_export",
    )

with summary_tab:
    with data.session(sel.url) as s:
        status_rows = summary_reports.summary_report_status(s, principal=principal, as_of=sel.as_of)
    if status_rows:
        st.caption(f"报送截止：{status_rows[0].due_on.isoformat()}")
    input_ui.table(
        [
            {"单位": r.jurisdiction, "状态": r.status_label, "报送日期": r.submitted_on, "标题": r.title}
            for r in status_rows
        ],
        empty="没有需要报送总结的单位。",
    )
    if principal.can_write:
        sref = input_ui.pick_jurisdiction(sel.url, principal, key=f"{P}.summary_jurisdiction")
        summary_form = input_ui.record_form(f"{P}.summary", (sref.id,), NO_ROW)  # the chosen unit's report
        title = st.text_input("标题", key=summary_form.key("title"))
        summary_file = st.file_uploader(
            "总结报告（PDF、Word 或图片）",
            type=["pdf", "doc", "docx", "png", "jpg", "jpeg"],
            key=summary_form.key("file"),
        )
        if st.button("上传总结报告", key=f"{P}.summary_save", disabled=summary_file is None):
            got_summary = input_ui.uploaded_bytes(summary_file)
            assert got_summary is not None
            summary_data, summary_name = got_summary

            def _summary() -> object:
                with input_ui.writing(sel.url) as s:
                    return summary_reports.upload_summary_report(
                        s,
                        principal=principal,
                        jurisdiction_id=sref.id,
                        title=title,
                        data=summary_data,
                        filename=summary_name,
                    )

            input_ui.attempt(_summary, success=f"已上传 {sref.name} 的总结报告")
