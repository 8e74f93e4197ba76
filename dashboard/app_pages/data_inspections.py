"""检查记录: enter one inspection (check items, problem, actions) or import many from a spreadsheet."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import streamlit as st
from sqlmodel import col, select

from dashboard import data, state
from dashboard import input_ui as iu
from db import inspections as ins
from db.codes import ActionKind, ItemResult, TargetKind
from db.findings import FindingInput
from db.input_common import check_items, registered_enterprises
from db.models import TrainingInstitution

P = "data_inspections"
sel = state.selection()
who = iu.principal()
st.title("检查记录")
iu.read_only_note(who)
enter_tab, import_tab = st.tabs(["录入一次检查", "批量导入"])

with enter_tab:
    ref = iu.pick_jurisdiction(sel.url, who, key=f"{P}.jurisdiction", label="检查单位")
    kind = TargetKind(st.radio("检查对象", [k.value for k in TargetKind], format_func=lambda v: TargetKind(v).label,
                               horizontal=True, key=f"{P}.kind"))  # fmt: skip
    with data.session(sel.url) as s:
        if kind is TargetKind.ENTERPRISE:
            targets = {e.id: e.name for e in registered_enterprises(s, ref.id) if e.id is not None}
        else:
            targets = {
                i.id: i.name
                for i in s.exec(
                    select(TrainingInstitution)
                    .where(TrainingInstitution.jurisdiction_id == ref.id)
                    .order_by(col(TrainingInstitution.name))
                ).all()
                if i.id is not None
            }
        items = check_items(s, target_kind=kind)
    if not targets:
        st.caption(f"{ref.name} 没有登记的{kind.label}。")
    else:
        with st.form(f"{P}.form"):
            a, b = st.columns([2, 1])
            target = a.selectbox(
                "对象名称", list(targets), format_func=lambda i: targets[i], key=f"{P}.target"
            )
            day = b.date_input("检查日期", value=min(dt.date.today(), sel.as_of), key=f"{P}.date")
            c, d = st.columns([1, 2])
            joint = c.checkbox("联合检查", key=f"{P}.joint")
            joint_units = d.text_input("联合单位", key=f"{P}.joint_units")
            inspectors = st.text_input("检查人员", key=f"{P}.inspectors")
            st.markdown("**检查项**")
            results: dict[int, str] = {}
            for number, item in items.items():
                results[number] = st.radio(
                    f"{number}. {item.text}", [r.value for r in ItemResult], format_func=lambda v: ItemResult(v).label,
                    horizontal=True, key=f"{P}.item{number}",
                )  # fmt: skip
            st.markdown("**发现的问题**（有不合格项时填写）")
            description = st.text_area("问题描述", key=f"{P}.description")
            e, f, g = st.columns(3)
            measure = e.text_input("整改措施", key=f"{P}.measure")
            deadline = f.date_input("整改期限", value=None, key=f"{P}.deadline")
            responsible = g.text_input("责任人", key=f"{P}.responsible")
            st.markdown("**处理措施**")
            h, i, j, k, m = st.columns(5)
            order = h.checkbox("责令整改", key=f"{P}.order")
            case_ref = i.text_input("立案案号", key=f"{P}.case_ref")
            fine = j.number_input("罚款金额（元）", min_value=0.0, step=100.0, key=f"{P}.fine")
            exposure = k.checkbox("曝光", key=f"{P}.exposure")
            blacklist = m.checkbox("纳入黑名单", key=f"{P}.blacklist")
            submitted = st.form_submit_button("保存检查记录", disabled=not who.can_write)
        if submitted:
            failed = [n for n, r in results.items() if r == ItemResult.FAIL.value]
            findings = [
                FindingInput(description=description.strip(), check_item_number=failed[0] if len(failed) == 1 else None,
                             measure=measure, deadline=deadline, responsible_person=responsible)
            ] if description.strip() and failed else []  # fmt: skip
            actions: list[ins.ActionInput] = []
            if order:
                actions.append(ins.ActionInput(ActionKind.ORDER_RECTIFY, day, deadline=deadline))
            if case_ref.strip():
                actions.append(ins.ActionInput(ActionKind.CASE, day, case_ref=case_ref))
            if fine:
                actions.append(
                    ins.ActionInput(ActionKind.FINE, day, fine_amount=Decimal(str(fine)), case_ref=case_ref)
                )
            if exposure:
                actions.append(ins.ActionInput(ActionKind.EXPOSURE, day, case_ref=case_ref))
            if blacklist:
                actions.append(ins.ActionInput(ActionKind.BLACKLIST, day, case_ref=case_ref))
            entry = ins.InspectionInput(
                inspected_on=day, jurisdiction_id=ref.id, target_kind=kind,
                enterprise_id=target if kind is TargetKind.ENTERPRISE else None,
                institution_id=target if kind is TargetKind.INSTITUTION else None, results=results,
                findings=findings, actions=actions, joint=joint, joint_units=joint_units, inspectors=inspectors,
            )  # fmt: skip

            def _save() -> object:
                with iu.writing(sel.url) as s:
                    return ins.record_inspection(s, principal=who, data=entry)

            iu.attempt(_save, success=f"已保存对 {targets[target]} 的检查记录")

with import_tab:

    def _template() -> bytes:
        with data.session(sel.url) as s:
            return ins.inspections_template(s)

    iu.template_and_import(
        key=P, url=sel.url, who=who, template=_template, template_label="下载检查记录导入模板（.xlsx）",
        template_name="检查记录导入模板.xlsx", upload_label="上传填好的检查记录（.xlsx 或 .csv）",
        importer=ins.import_inspections,
    )  # fmt: skip
