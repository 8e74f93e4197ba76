"""导出: the monthly 汇总表 per township as print-ready .xlsx (one, or all with a county total), a
township's verification results and problem list, and the quarterly circular. Every export is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from anpei import clock
from anpei.periods import Month
from dashboard import data, staff, state
from dashboard.services import exports as export_files
from db.reads import campaign_calendar
from db.xlsx import file_names, summary_figures

K = "exports."
ALL = 0  # "every jurisdiction" in the township choices

principal = staff.principal()
url = data.database_url()
selection = st.session_state.get(state.KEY_SELECTION)

st.title("导出")
st.caption(
    "生成可直接打印的 Excel 文件（A4 横向、表头每页重复、按页宽缩放）。身份证号默认打码；"
    "每次导出都记入审计日志。"
)

try:
    campaigns = data.campaigns(url)
    refs = staff.jurisdictions(principal)
except Exception as exc:  # the database is unreachable or not migrated
    st.error(f"无法读取数据库：{str(exc).splitlines()[0][:200]}")
    st.stop()
if not campaigns or not refs:
    st.warning("数据库为空，请先运行 anpei db seed --sample 载入示例县数据。")
    st.stop()
campaign = selection.campaign if isinstance(selection, state.Selection) else campaigns[0]
months = campaign.enforcement_months or campaign.months
default_month = (
    selection.month
    if isinstance(selection, state.Selection)
    else campaign_calendar.default_month(
        campaign, as_of=campaign_calendar.default_as_of(campaign, today=clock.local_today())
    )
)
names = {r.id: r.name for r in refs}
townships = [r.id for r in refs if r.kind != "county"]


def file_key(key: str) -> str:
    """Where a generated file is kept: under the user who generated it, offered to nobody else."""
    return f"{K}file.{principal.username}.{key}"


def build(key: str, make: Callable[..., export_files.File], **values: Any) -> None:
    """Build a file with a `dashboard.services.exports` function (its audit entry is committed with
    it) and keep it for this user."""
    try:
        with data.session(url) as session:
            payload, name = make(session, principal=principal, **values)
    except export_files.REFUSED as exc:
        st.session_state.pop(file_key(key), None)
        st.error(str(exc))
        return
    st.session_state[file_key(key)] = (payload, name)
    st.toast(f"已生成：{name}")


def offer(key: str) -> None:
    found = st.session_state.get(file_key(key))
    if found:
        payload, name = found
        st.download_button(
            f"下载 {name}",
            payload,
            file_name=name,
            mime=file_names.XLSX_MEDIA,
            key=K + key + ".download",
            type="primary",
            icon="⬇️",
        )


# --- the 汇总表 ----------------------------------------------------------------------------------

st.subheader("月度汇总表（打印报送版）")
c1, c2, c3 = st.columns([2, 3, 3])
month = c1.selectbox(
    "月份",
    months,
    index=months.index(default_month) if default_month in months else 0,
    format_func=lambda m: m.label,
    key=K + "month",
    placeholder="请选择",
)
choices = ([ALL] if principal.sees_all else []) + townships
which = c2.selectbox(
    "单位",
    choices,
    key=K + "summary.jurisdiction",
    format_func=lambda i: "全部单位（每个单位一张工作表 + 全县合计）" if i == ALL else names[i],
    placeholder="请选择",
)
source = c3.radio(
    "数字来源",
    list(summary_figures.SOURCES),
    format_func=summary_figures.SOURCES.__getitem__,
    key=K + "source",
    help="报送数：各单位报送的汇总表；系统记录：按录入的检查、问题、核验和处罚记录统计。",
)
st.caption(
    "每张表含标题、填报单位（盖章）栏、填报人 / 联系电话 / 填报日期；全县合计表的数字等于各单位工作表之和。"
)
if st.button("生成汇总表", key=K + "summary.build"):
    with st.spinner("正在生成……"):
        build(
            "summary",
            export_files.summary,
            month=month,
            jurisdiction_id=None if which == ALL else which,
            unit="全部单位" if which == ALL else names[which],
            source=source,
        )
offer("summary")

st.divider()

# --- a township's verification results and problem list -----------------------------------------

left, right = st.columns(2, gap="large")
with left:
    st.subheader("证书核验结果")
    jid = st.selectbox(
        "单位", townships, format_func=names.__getitem__, key=K + "checks.jurisdiction", placeholder="请选择"
    )
    span = st.selectbox(
        "核验月份",
        [export_files.WHOLE_CAMPAIGN, *months],
        key=K + "checks.month",
        format_func=lambda m: m.label if isinstance(m, Month) else "专项整治全程",
        placeholder="请选择",
    )
    problems_only = st.checkbox("只导出有问题的人员（无证上岗、疑似持假证等）", key=K + "checks.problems")
    full_ids = principal.may_reveal_ids and st.checkbox(
        "含完整身份证号（会记入审计日志）", key=K + "checks.full"
    )
    if st.button("生成核验结果", key=K + "checks.build"):
        build(
            "checks",
            export_files.verification,
            jurisdiction_id=jid,
            unit=names[jid],
            span=span,
            campaign_days=(campaign.starts_on, campaign.ends_on),
            full_ids=bool(full_ids),
            problems_only=problems_only,
        )
    offer("checks")

with right:
    st.subheader("问题清单")
    fid = st.selectbox(
        "单位",
        choices,
        key=K + "findings.jurisdiction",
        format_func=lambda i: "全部单位" if i == ALL else names[i],
        placeholder="请选择",
    )
    overdue = st.checkbox("只导出逾期未整改的问题", key=K + "findings.overdue")
    if st.button("生成问题清单", key=K + "findings.build"):
        build(
            "findings",
            export_files.findings,
            jurisdiction_id=None if fid == ALL else fid,
            unit="全部单位" if fid == ALL else names[fid],
            as_of=selection.as_of if isinstance(selection, state.Selection) else None,
            overdue_only=overdue,
        )
    offer("findings")

st.divider()

# --- the quarterly circular -------------------------------------------------------------------------

st.subheader("季度督查考核通报")
if not principal.sees_all:
    st.caption("季度通报含全部乡镇（部门），由县局导出。")
elif not campaign.quarters:
    st.caption("本专项整治没有执法检查月份，无季度考核。")
else:
    quarters = campaign.quarters
    chosen = selection.quarter if isinstance(selection, state.Selection) else None
    quarter = st.selectbox(
        "考核季度",
        quarters,
        index=quarters.index(chosen) if chosen in quarters else len(quarters) - 1,
        format_func=lambda q: q.label,
        key=K + "circular.quarter",
        placeholder="请选择",
    )
    if st.button("生成季度通报", key=K + "circular.build"):
        build(
            "circular",
            export_files.circular,
            quarter=quarter,
            as_of=selection.as_of if isinstance(selection, state.Selection) else None,
        )
    offer("circular")
