"""检查记录: enter one inspection (check items, problem, actions), import many from a spreadsheet,
or correct / delete one already stored."""

from __future__ import annotations

from decimal import Decimal

import streamlit as st

from anpei import clock
from dashboard import data, input_ui, state
from db.codes import ActionKind, ItemResult, TargetKind
from db.records import inspection_edits, inspection_import, inspection_sheet, inspections
from db.records.common import check_items, target_choices
from db.records.findings import FindingInput
from db.records.row_versions import NO_ROW

P = "data_inspections"
sel = state.selection()
principal = input_ui.principal()
st.title("检查记录")
input_ui.read_only_note(principal)
enter_tab, import_tab, edit_tab = st.tabs(["录入一次检查", "批量导入", "更正或删除"])

with enter_tab:
    ref = input_ui.pick_jurisdiction(sel.url, principal, key=f"{P}.jurisdiction", label="检查单位")
    kind = TargetKind(
        st.radio(
            "检查对象",
            [k.value for k in TargetKind],
            format_func=lambda v: TargetKind(v).label,
            horizontal=True,
            key=f"{P}.kind",
        )
    )
    with data.session(sel.url) as s:
        targets = target_choices(s, jurisdiction_id=ref.id, kind=kind)
        items = check_items(s, target_kind=kind)
    if not targets:
        st.caption(f"{ref.name} 没有登记的{kind.label}。")
    else:
        # a new inspection by this unit of this kind of target: another unit or kind gets fresh inputs
        new = input_ui.record_form(f"{P}.new", (ref.id, kind.value), NO_ROW)
        with st.form(new.key("form")):
            a, b = st.columns([2, 1])
            target = a.selectbox(
                "对象名称",
                list(targets),
                format_func=lambda i: targets[i],
                key=new.key("target"),
                placeholder="请选择",
            )
            day = b.date_input("检查日期", value=min(clock.local_today(), sel.as_of), key=new.key("date"))
            c, d = st.columns([1, 2])
            joint = c.checkbox("联合检查", key=new.key("joint"))
            joint_units = d.text_input("联合单位", key=new.key("joint_units"))
            inspectors = st.text_input("检查人员", key=new.key("inspectors"))
            st.markdown("**检查项**")
            results: dict[int, str] = {}
            for number, item in items.items():
                results[number] = st.radio(
                    f"{number}. {item.text}",
                    [r.value for r in ItemResult],
                    format_func=lambda v: ItemResult(v).label,
                    horizontal=True,
                    key=new.key(f"item{number}"),
                )
            st.markdown("**发现的问题**（有不合格项时填写）")
            description = st.text_area("问题描述", key=new.key("description"))
            e, f, g = st.columns(3)
            measure = e.text_input("整改措施", key=new.key("measure"))
            deadline = f.date_input("整改期限", value=None, key=new.key("deadline"))
            responsible = g.text_input("责任人", key=new.key("responsible"))
            st.markdown("**处理措施**")
            h, i, j, k, m = st.columns(5)
            order = h.checkbox("责令整改", key=new.key("order"))
            case_ref = i.text_input("立案案号", key=new.key("case_ref"))
            fine = j.number_input("罚款金额（元）", min_value=0.0, step=100.0, key=new.key("fine"))
            exposure = k.checkbox("曝光", key=new.key("exposure"))
            blacklist = m.checkbox("纳入黑名单", key=new.key("blacklist"))
            submitted = st.form_submit_button("保存检查记录", disabled=not principal.can_write)
        if submitted:
            failed = [n for n, r in results.items() if r == ItemResult.FAIL.value]
            findings = (
                [
                    FindingInput(
                        description=description.strip(),
                        check_item_number=failed[0] if len(failed) == 1 else None,
                        measure=measure,
                        deadline=deadline,
                        responsible_person=responsible,
                    )
                ]
                if description.strip() and failed
                else []
            )
            actions: list[inspections.ActionInput] = []
            if order:
                actions.append(inspections.ActionInput(ActionKind.ORDER_RECTIFY, day, deadline=deadline))
            if case_ref.strip():
                actions.append(inspections.ActionInput(ActionKind.CASE, day, case_ref=case_ref))
            if fine:
                actions.append(
                    inspections.ActionInput(
                        ActionKind.FINE, day, fine_amount=Decimal(str(fine)), case_ref=case_ref
                    )
                )
            if exposure:
                actions.append(inspections.ActionInput(ActionKind.EXPOSURE, day, case_ref=case_ref))
            if blacklist:
                actions.append(inspections.ActionInput(ActionKind.BLACKLIST, day, case_ref=case_ref))
            entry = inspections.InspectionInput(
                inspected_on=day,
                jurisdiction_id=ref.id,
                target_kind=kind,
                enterprise_id=target if kind is TargetKind.ENTERPRISE else None,
                institution_id=target if kind is TargetKind.INSTITUTION else None,
                results=results,
                findings=findings,
                actions=actions,
                joint=joint,
                joint_units=joint_units,
                inspectors=inspectors,
            )

            def _save() -> object:
                with input_ui.writing(sel.url) as s:
                    return inspections.record_inspection(s, principal=principal, data=entry)

            input_ui.attempt(_save, success=f"已保存对 {targets[target]} 的检查记录")

with import_tab:

    def _template() -> bytes:
        with data.session(sel.url) as s:
            return inspection_sheet.inspections_template(s)

    input_ui.template_and_import(
        key=P,
        url=sel.url,
        principal=principal,
        template=_template,
        template_label="下载检查记录导入模板（.xlsx）",
        template_name="检查记录导入模板.xlsx",
        upload_label="上传填好的检查记录",
        importer=inspection_import.import_inspections,
    )

with edit_tab:
    E = "data_inspections.edit"
    if (flash := st.session_state.pop(f"{E}.flash", None)) is not None:
        st.success(flash)
    if not principal.can_write:
        st.caption(f"{principal.role.label}账号为只读，不能更正或删除检查记录。")
    else:
        with data.session(sel.url) as s:
            recent = inspection_edits.list_inspections(s, principal=principal)
            item_texts = {k.value: check_items(s, target_kind=k) for k in TargetKind}
        if not recent:
            st.caption("还没有可以更正的检查记录。")
        else:
            by_id = {r.id: r for r in recent}
            if st.session_state.get(f"{E}.pick") not in by_id:
                st.session_state[f"{E}.pick"] = recent[0].id
            chosen = st.selectbox(
                "选择检查记录（最近 200 次）",
                list(by_id),
                format_func=lambda i: by_id[i].label,
                key=f"{E}.pick",
                placeholder="请选择",
            )
            row = by_id[chosen]
            edit_items = item_texts[row.target_kind]
            st.markdown("**当前内容**")
            input_ui.table(
                [
                    {
                        "检查日期": row.inspected_on,
                        "检查单位": row.jurisdiction,
                        "检查对象": row.target_name,
                        "联合检查": "是" if row.joint else "否",
                        "联合单位": row.joint_units,
                        "检查人员": row.inspectors,
                        "备注": row.notes,
                        "问题": row.findings,
                        "处理措施": row.actions,
                    }
                ],
                empty="",
            )
            input_ui.table(
                [
                    {
                        "检查项": f"{n}. {item.text}",
                        "结果": ItemResult(row.results[n]).label if n in row.results else "",
                    }
                    for n, item in edit_items.items()
                ],
                empty="",
            )
            # the inputs of the chosen record: keyed by its id, loaded with its version
            form = input_ui.record_form(E, (row.id,), row.version)
            with st.form(form.key("form")):
                a, b, c = st.columns([1, 1, 2])
                new_day = a.date_input("检查日期", value=row.inspected_on, key=form.key("date"))
                new_joint = b.checkbox("联合检查", value=row.joint, key=form.key("joint"))
                new_units = c.text_input("联合单位", value=row.joint_units, key=form.key("joint_units"))
                new_inspectors = st.text_input("检查人员", value=row.inspectors, key=form.key("inspectors"))
                new_results: dict[int, str] = {}
                choices = [r.value for r in ItemResult]
                for number, item in edit_items.items():
                    current = row.results.get(number, ItemResult.PASS.value)
                    new_results[number] = st.radio(
                        f"{number}. {item.text}",
                        choices,
                        index=choices.index(current),
                        format_func=lambda v: ItemResult(v).label,
                        horizontal=True,
                        key=form.key(f"item{number}"),
                    )
                new_notes = st.text_area("备注", value=row.notes, key=form.key("notes"))
                save = st.form_submit_button("保存更正")
            if save:

                def _update() -> int:
                    with input_ui.writing(sel.url) as s:
                        return inspection_edits.update_inspection(
                            s,
                            principal=principal,
                            inspection_id=row.id,
                            inspected_on=new_day,
                            joint=new_joint,
                            joint_units=new_units,
                            results=new_results,
                            inspectors=new_inspectors,
                            notes=new_notes,
                            expected_version=form.version,
                        ).version

                if input_ui.attempt(_update, form=form) is not None:
                    st.session_state[f"{E}.flash"] = (
                        f"已更正检查记录：{row.target_name} {new_day}（编号 {row.id}）"
                    )
                    st.rerun()
            st.markdown("**删除**（仅用于误录且尚无问题、处理措施的记录）")
            confirm = st.checkbox("确认删除这条检查记录", key=form.key("confirm"))
            if st.button("删除检查记录", key=form.key("delete"), disabled=not confirm):

                def _delete() -> bool:
                    with input_ui.writing(sel.url) as s:
                        inspection_edits.delete_inspection(
                            s, principal=principal, inspection_id=row.id, expected_version=form.version
                        )
                    return True

                if input_ui.attempt(_delete, form=form):
                    st.session_state[f"{E}.flash"] = f"已删除检查记录：{row.label}"
                    st.rerun()
