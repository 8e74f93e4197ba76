"""月度汇总表: download the template, upload with validation, 零报告, on-screen form, stamped scan,
and the differences from the record-level data."""

from __future__ import annotations

from decimal import Decimal

import streamlit as st

from anpei import clock
from dashboard import data, input_ui, state
from db.codes import MonthlyStatus
from db.reads import reconcile
from db.records import monthly_saving, monthly_table
from db.records.common import active_campaign, local_today
from db.records.row_versions import version_of

P = "data_monthly"
sel = state.selection()
principal = input_ui.principal()
st.title("月度汇总表")
input_ui.read_only_note(principal)
ref = input_ui.pick_jurisdiction(sel.url, principal, key=f"{P}.jurisdiction")
month = sel.month
with data.session(sel.url) as s:
    stored = monthly_saving.get_monthly(s, principal=principal, jurisdiction_id=ref.id, month=month)
    columns = monthly_table.layout_for(s)
    due_day = active_campaign(s).monthly_due_day
due = monthly_table.due_date(month, due_day)
status = MonthlyStatus(stored.status) if stored is not None else MonthlyStatus.UNREPORTED
when = clock.format_local(stored.submitted_at if stored is not None else None, empty="—")
st.caption(
    f"{ref.name}　·　{month}　·　报送截止 {due.isoformat()}　·　状态：{status.label}　·　报送时间：{when}"
    + ("　·　已上传盖章扫描件" if stored is not None and stored.scan_path else "")
)
if status is MonthlyStatus.UNREPORTED and local_today() > due:
    st.error(f"{month} 的汇总表已过报送截止日（{due.isoformat()}），尚未报送。")

upload_tab, form_tab, zero_tab, scan_tab, check_tab = st.tabs(
    ["上传汇总表", "在线填报", "零报告", "盖章扫描件", "数据核对"]
)


def _template() -> bytes:
    with input_ui.writing(sel.url) as s:
        return monthly_table.build_template(s, principal=principal, jurisdiction_id=ref.id, month=month)


with upload_tab:
    input_ui.template_and_import(
        key=P,
        url=sel.url,
        principal=principal,
        template=_template,
        template_label="下载本月汇总表模板（.xlsx）",
        template_name=f"{ref.name}{month}汇总表.xlsx",
        upload_label="上传填好的汇总表",
        importer=monthly_saving.import_monthly,
    )

# the inputs of this unit's month: keyed by (unit, month), loaded with the table's version
form = input_ui.record_form(P, (ref.id, month), version_of(stored))

with form_tab:
    values = monthly_saving.form_values(stored, columns)
    with st.form(form.key("form")):
        entered: dict[str, object] = {}
        numbers = [c for c in columns if c.kind in ("count", "money")]
        grid = st.columns(4)
        for n, column in enumerate(numbers):
            with grid[n % 4]:
                if column.kind == "money":
                    entered[column.key] = st.number_input(
                        column.header,
                        min_value=0.0,
                        step=0.1,
                        format="%.4f",
                        value=float(values[column.key]),
                        key=form.key(f"f.{column.key}"),
                    )
                else:
                    entered[column.key] = st.number_input(
                        column.header,
                        min_value=0,
                        step=1,
                        value=int(values[column.key]),
                        key=form.key(f"f.{column.key}"),
                    )
        a, b, c = st.columns(3)
        entered["filled_by"] = a.text_input(
            "填报人", value=values.get("filled_by") or "", key=form.key("f.filled_by")
        )
        entered["phone"] = b.text_input("联系电话", value=values.get("phone") or "", key=form.key("f.phone"))
        entered["filled_on"] = c.date_input(
            "填报日期", value=values.get("filled_on") or clock.local_today(), key=form.key("f.filled_on")
        )
        saved = st.form_submit_button("保存汇总表", disabled=not principal.can_write)
    if saved:
        entered["fines_wan"] = Decimal(str(entered["fines_wan"])).quantize(Decimal("0.0001"))

        def _save() -> int:
            with input_ui.writing(sel.url) as s:
                return monthly_saving.save_monthly_numbers(
                    s,
                    principal=principal,
                    jurisdiction_id=ref.id,
                    month=month,
                    values=entered,
                    expected_version=form.version,
                ).version

        input_ui.attempt(_save, success=f"已保存 {ref.name} {month} 汇总表", form=form)

with zero_tab:
    st.write("本月没有检查任务或没有可报数据时，请明确提交“零报告”，不要不报。")
    zb, zp = st.columns(2)
    zero_by = zb.text_input("填报人", key=form.key("zero_by"))
    zero_phone = zp.text_input("联系电话", key=form.key("zero_phone"))
    if st.button("提交零报告", key=f"{P}.zero", disabled=not principal.can_write):

        def _zero() -> int:
            with input_ui.writing(sel.url) as s:
                return monthly_saving.submit_zero_report(
                    s,
                    principal=principal,
                    jurisdiction_id=ref.id,
                    month=month,
                    filled_by=zero_by,
                    phone=zero_phone,
                ).version

        input_ui.attempt(_zero, success=f"已提交 {ref.name} {month} 零报告", form=form)

with scan_tab:
    scan = st.file_uploader(
        "上传盖章后的扫描件（PDF 或图片）",
        type=["pdf", "png", "jpg", "jpeg", "tif", "tiff"],
        key=form.key("scan"),
        disabled=not principal.can_write,
    )
    if st.button("上传扫描件", key=f"{P}.scan_save", disabled=scan is None or not principal.can_write):
        got_scan = input_ui.uploaded_bytes(scan)
        assert got_scan is not None
        scan_data, scan_name = got_scan

        def _scan() -> int:
            with input_ui.writing(sel.url) as s:
                return monthly_saving.attach_scan(
                    s,
                    principal=principal,
                    jurisdiction_id=ref.id,
                    month=month,
                    data=scan_data,
                    filename=scan_name,
                ).version

        input_ui.attempt(_scan, success="扫描件已保存", form=form)

with check_tab:
    with data.session(sel.url) as s:
        result = reconcile.reconcile_month(s, principal=principal, jurisdiction_id=ref.id, month=month)
    if not result.has_records:
        st.caption("本单位本月没有录入检查记录，无需核对。")
    elif status is MonthlyStatus.UNREPORTED:
        st.caption("本月尚未报送汇总表。")
    elif result.consistent:
        st.success("汇总表与录入的检查记录一致。")
    else:
        st.warning(f"汇总表与检查记录有 {len(result.differences)} 处不一致：")
        input_ui.table(
            [
                {"项目": d.label, "汇总表": d.reported, "记录": d.recorded, "记录来源": d.source}
                for d in result.differences
            ],
            empty="",
            key=f"{P}.differences",
        )
