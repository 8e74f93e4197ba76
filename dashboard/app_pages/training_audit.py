"""培训档案核查: upload archives, see their input problems, store them; leads county-wide by rule.

A thin page over `db.training` (`uploads`, `storing`, `leads`, `evidence`, `lead_export`): the
upload is read and audited alone first (input problems by row, nothing stored); 入库 re-checks
everything stored. Each lead opens its evidence rows, the class's timeline and, for the time
rules, the day's sessions; its status is changed in a form keyed by the lead's id.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard import input_ui, state, training_charts, training_upload, ui
from db.records.common import InputError, local_zone
from db.training.evidence import (
    RevealedLead,
    class_sessions,
    lead_evidence,
    lead_sessions,
    may_reveal_lead_ids,
    reveal_lead,
)
from db.training.lead_export import export_leads
from db.training.leads import LeadStatus, lead_finding, list_leads, set_lead_status
from db.training.storing import StoreResult, list_archives, store_archive
from db.training.uploads import TrainingUnit, Upload, guess_unit, training_units
from training_audit.leads import RULE_NAMES

P = "training_audit"
TIME_RULES = frozenset(
    {"CLASS_DAY_OVER_CAP", "HOURS_INFLATED", "PERSON_OVERLAP", "PERSON_DAY_OVER_CAP", "TEACHER_OVERLAP"}
)
sel = state.selection()
principal = input_ui.principal()
st.title("培训档案核查")
st.caption(
    "读取培训机构和企业的培训档案（班次、课程安排、签到、考试），与全县已入库的档案一起核查。"
    "线索是需要有人去核实的记录事实，不是结论。"
)
input_ui.read_only_note(principal)


# --- upload: columns, mappings, problems by row, then 确认入库 ---------------------------------
def _columns_panel(item: training_upload.Staged) -> None:
    """Per sheet: recognised columns (header → field, how), unrecognised headers to map, missing columns."""
    assert item.headers is not None
    st.dataframe(
        pd.DataFrame(
            [
                {"工作表": c.sheet, "列": c.column, "表头": c.header, "对应字段": c.field, "识别方式": c.how}
                for c in training_upload.column_lines(item.headers)
            ],
            columns=["工作表", "列", "表头", "对应字段", "识别方式"],
        ),
        hide_index=True,
        width="stretch",
        key=f"{P}.columns.{item.tag}",
    )
    for sheet in item.headers.sheets:
        choices = item.choices(sheet)
        if sheet.missing:
            st.warning(f"“{sheet.sheet}”缺少必填列：{'、'.join(sheet.missing)}")
        if not choices:
            continue
        st.markdown(
            f"“{ui.plain(sheet.sheet)}”中未识别的表头：可对应到该表尚缺的列（只用于本次读取，不改动文件）"
        )
        columns = st.columns(min(3, len(choices)))
        for n, (key, header, fields) in enumerate(choices):
            columns[n % len(columns)].selectbox(
                f"“{ui.plain(header)}”对应",
                [training_upload.NOT_USED, *fields],
                key=key,
                format_func=lambda v: "不使用" if v == training_upload.NOT_USED else v,
                placeholder="请选择",
            )


if principal.can_write:
    st.subheader("上传档案")
    st.caption(
        "每个 .xlsx 工作簿是一份档案；CSV 格式请一次选中同一档案的 班次.csv、课程安排.csv、签到.csv、考试.csv"
        "（不能上传文件夹），它们合为一份档案。先核对识别出的列和输入问题，确认后才入库；同一文件重复上传只保存一次。"
    )
    files = st.file_uploader(
        "选择档案文件", type=["xlsx", "csv"], accept_multiple_files=True, key=f"{P}.upload"
    )
    folder_name = st.text_input(
        "CSV 档案名称",
        value="上传档案",
        key=f"{P}.folder_name",
        help="多个 CSV 文件合成的档案在证据中显示的名称",
    )
    if files:
        chosen = {str(k): v for k, v in st.session_state.items() if str(k).startswith(training_upload.PREFIX)}
        try:
            with input_ui.writing(sel.url) as s:
                units = training_units(s, principal=principal)
                staged = training_upload.stage(
                    s, [(f.name, f.getvalue()) for f in files], folder_name=folder_name, chosen=chosen
                )
        except InputError as exc:
            st.error(f"无法读取：{exc}")
            staged = []
        by_key = {u.key: u for u in units} if staged else {}
        for item in staged:
            with st.container(border=True):
                preview = item.preview
                st.markdown(
                    f"**{ui.plain(item.name)}**"
                    + (
                        f"：班次 {preview.classes} 个，共 {preview.rows} 行；单独核查有线索 "
                        f"{sum(preview.lead_counts.values())} 条，输入问题 {len(preview.problems)} 行"
                        if preview
                        else ""
                    )
                )
                if item.headers is not None:
                    # open while anything is or was not recognised (the mapping choices stay in view)
                    incomplete = item.builtin is not None and (
                        not item.builtin.complete or any(sh.unrecognised for sh in item.builtin.sheets)
                    )
                    with st.expander("识别出的列（表头 → 字段）", expanded=incomplete):
                        _columns_panel(item)
                if item.error:
                    st.error(item.error)
                    continue
                assert preview is not None
                lines = training_upload.problem_lines([item])
                if lines:
                    st.markdown("**输入问题**（这些行不参与核查）")
                    st.dataframe(
                        pd.DataFrame(
                            [
                                {"档案": p.archive, "工作表": p.sheet, "行号": p.row or "", "问题": p.reason}
                                for p in lines
                            ]
                        ),
                        hide_index=True,
                        width="stretch",
                        key=f"{P}.problems.{item.tag}",
                    )
                else:
                    st.caption("没有输入问题。")
                if preview.duplicate_of is not None:
                    st.info(f"同一文件已入库（档案编号 {preview.duplicate_of}），不会重复保存。")
                    continue
                if not units:
                    st.warning("没有可选的培训机构或企业，无法入库。")
                    continue
                assert item.upload is not None
                guess = guess_unit(units, item.upload.archive)
                choice = st.selectbox(
                    "所属培训机构或企业",
                    list(by_key),
                    key=f"{P}.unit.{item.tag}",
                    index=list(by_key).index(guess.key) if guess else None,
                    placeholder="请选择",
                    format_func=lambda k: (
                        f"{by_key[k].name}（{'培训机构' if k.startswith('institution') else '企业'}）"
                    ),
                )
                if st.button(
                    "确认入库", key=f"{P}.store.{item.tag}", disabled=choice is None, type="primary"
                ):
                    chosen_unit = by_key[str(choice)]

                    def _store(
                        upload: Upload = item.upload,
                        unit: TrainingUnit = chosen_unit,
                    ) -> StoreResult:
                        with input_ui.writing(sel.url) as s:
                            return store_archive(s, principal=principal, upload=upload, unit=unit)

                    input_ui.attempt(_store, success=lambda r: r.summary)
                st.caption("入库后会与全县已入库的档案一起重新核查。")

# --- archives ----------------------------------------------------------------------------------
with input_ui.writing(sel.url) as s:
    stored = list_archives(s, principal=principal)
    leads = list_leads(s, principal=principal)
with st.expander(f"已入库档案（{len(stored)} 份）"):
    input_ui.table(
        [
            {
                "编号": a.id,
                "档案": a.file_name,
                "培训单位": a.unit_name,
                "所属单位": a.jurisdiction,
                "行数": a.rows,
                "班次": a.classes,
                "输入问题": a.problems,
                "上传人": a.uploaded_by,
                "上传时间": a.uploaded_at.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M"),
            }
            for a in stored
        ],
        empty="还没有入库的档案。",
        key=f"{P}.archives",
    )

# --- leads by rule -----------------------------------------------------------------------------
st.subheader("线索")
counts = pd.DataFrame(
    [{"规则": r.rule, "状态": r.status_label} for r in leads],
    columns=["规则", "状态"],
)
if counts.empty:
    st.caption("暂无线索。")
    st.stop()
table = counts.pivot_table(index=["规则"], columns="状态", aggfunc="size", fill_value=0)
table = table.reindex(columns=[s.label for s in LeadStatus], fill_value=0)
table["合计"] = table.sum(axis=1)
st.dataframe(table.reset_index(), hide_index=True, width="stretch", key=f"{P}.counts")

a, b, c = st.columns(3)
code = a.selectbox(
    "规则",
    [None, *sorted({r.code for r in leads})],
    key=f"{P}.filter.rule",
    format_func=lambda v: "全部规则" if v is None else RULE_NAMES.get(v, v),
    placeholder="请选择",
)
status = b.selectbox(
    "状态",
    [None, *[s.value for s in LeadStatus]],
    key=f"{P}.filter.status",
    format_func=lambda v: "全部状态" if v is None else LeadStatus(v).label,
    placeholder="请选择",
)
unit = c.selectbox(
    "培训单位",
    [None, *sorted({r.unit for r in leads if r.unit} | {r.other_unit for r in leads if r.other_unit})],
    key=f"{P}.filter.unit",
    format_func=lambda v: "全部单位" if v is None else v,
    placeholder="请选择",
)
filters: dict[str, Any] = {"code": code, "status": status, "unit": unit}
shown = [
    r
    for r in leads
    if (not code or r.code == code)
    and (not status or r.status == status)
    and (not unit or unit in (r.unit, r.other_unit))
]
st.caption(f"共 {len(shown)} 条")
st.dataframe(
    pd.DataFrame(
        [
            {
                "编号": r.id,
                "规则": r.rule,
                "培训单位": r.unit,
                "班次编号": r.class_code,
                "对方": f"{r.other_unit} {r.other_code}".strip(),
                "姓名": r.name,
                "身份证号": r.id_masked,
                "教师": r.teacher,
                "日期": r.date.isoformat() if r.date else "",
                "说明": r.text,
                "状态": r.status_label,
                "问题清单": f"问题 #{r.finding_id}" if r.finding_id else "",
            }
            for r in shown
        ]
    ),
    hide_index=True,
    width="stretch",
    key=f"{P}.leads",
)


def _export() -> bytes:
    with input_ui.writing(sel.url) as s:
        return export_leads(s, principal=principal, **filters)


st.download_button(
    "导出线索清单（.xlsx，身份证号已遮蔽）",
    data=_export,
    file_name="培训档案线索.xlsx",
    mime=input_ui.XLSX_MIME,
    key=f"{P}.export",
)
full_file = f"{P}.full_file"
if may_reveal_lead_ids(principal) and st.checkbox(
    "导出含完整身份证号的线索清单（会记入审计日志）", key=f"{P}.full_ids"
):
    # the file is built only after its audit entry is committed (never ahead, never cached)
    if st.button("生成含完整身份证号的文件（记入审计日志）", key=f"{P}.full_ids.build"):

        def _full() -> bytes:
            with input_ui.writing(sel.url) as s:
                return export_leads(s, principal=principal, full_ids=True, **filters)

        st.session_state[full_file] = input_ui.attempt(_full)
    if (payload := st.session_state.get(full_file)) is not None:
        st.download_button(
            "下载含完整身份证号的线索清单（.xlsx）",
            data=payload,
            file_name="培训档案线索（含完整身份证号）.xlsx",
            mime=input_ui.XLSX_MIME,
            key=f"{P}.export.full",
        )
else:
    st.session_state.pop(full_file, None)

# --- one lead ----------------------------------------------------------------------------------
if not shown:
    st.stop()
by_id = {r.id: r for r in shown}
lead_id = st.selectbox(
    "查看线索",
    list(by_id),
    key=f"{P}.lead",
    format_func=lambda i: f"#{i}｜{by_id[i].rule}｜{by_id[i].unit} {by_id[i].class_code} {by_id[i].name}",
    placeholder="请选择",
)
lead = by_id[int(lead_id)]
if flash := st.session_state.pop(f"{P}.flash", None):
    st.success(flash)
st.markdown(f"**{lead.rule}**　状态：**{lead.status_label}**" + (f"（{lead.reason}）" if lead.reason else ""))
st.markdown(f"{lead.text}  \n依据：{lead.basis}  \n证据：{lead.evidence}")
revealed: RevealedLead | None = None
if may_reveal_lead_ids(principal) and st.button(
    "显示完整身份证号（记入审计日志）", key=f"{P}.reveal.{lead.id}", help="仅在核对身份时使用；只在本次显示"
):

    def _reveal() -> RevealedLead:
        with input_ui.writing(sel.url) as s:
            return reveal_lead(s, principal=principal, lead_id=lead.id)

    revealed = input_ui.attempt(_reveal)
if revealed is not None:
    st.info(
        ("身份证号：" + revealed.id_number + "。" if revealed.id_number else "")
        + "以下证据行显示完整身份证号（已记入审计日志），页面刷新后恢复遮蔽。"
    )
with input_ui.writing(sel.url) as s:
    found = lead_finding(s, principal=principal, lead_id=lead.id)
    blocks = (
        revealed.evidence if revealed is not None else lead_evidence(s, principal=principal, lead_id=lead.id)
    )
    day_bars = lead_sessions(s, principal=principal, lead_id=lead.id) if lead.code in TIME_RULES else []
    class_bars = (
        class_sessions(s, principal=principal, archive_id=lead.archive_id, class_code=lead.class_code)
        if lead.class_code
        else []
    )
if found is not None:
    st.caption(
        f"已列入问题清单：问题 #{found.id}（{found.status_label}"
        + (f"，整改期限 {found.deadline.isoformat()}" if found.deadline else "")
        + "），见“问题清单”页"
    )
for n, block in enumerate(blocks):
    st.markdown(f"{block.archive} · {block.sheet}（{len(block.rows)} 行）")
    st.dataframe(
        pd.DataFrame(block.rows, columns=block.columns),
        hide_index=True,
        width="stretch",
        key=f"{P}.evidence.{lead.id}.{n}",
    )
if day_bars:
    ui.chart(training_charts.day_hours(day_bars))
if class_bars:
    ui.chart(training_charts.class_timeline(class_bars))

if principal.can_write:
    with st.form(f"{P}.status.{lead.id}"):
        new_status = st.radio(
            "核实结果",
            [s.value for s in LeadStatus],
            horizontal=True,
            key=f"{P}.status_value.{lead.id}",
            index=[s.value for s in LeadStatus].index(lead.status),
            format_func=lambda v: LeadStatus(v).label,
        )
        reason = st.text_input("理由或核实情况（排除时必填）", value=lead.reason, key=f"{P}.reason.{lead.id}")
        saved = st.form_submit_button("保存核实结果")
    if saved:

        def _save() -> object:
            with input_ui.writing(sel.url) as s:
                return set_lead_status(
                    s, principal=principal, lead_id=lead.id, status=new_status, reason=reason
                )

        if input_ui.attempt(_save) is not None:
            st.session_state[f"{P}.flash"] = f"线索 #{lead.id} 已改为“{LeadStatus(new_status).label}”"
            st.rerun()
