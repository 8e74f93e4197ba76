"""One 乡镇（街道） or member unit in depth; reached from any township name (`?j=<code>`).

Township and unit staff see only their own jurisdiction: the choice is fixed to it and a `?j=` of
another is ignored (the services refuse another's rows in any case).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from anpei import clock
from dashboard import auth_ui, charts, data, frames, state, ui
from db.audit import personal_data
from db.reads import campaign_calendar, month_figures
from db.rules.access import AccessDenied, narrow, read_scope

KEY_SELECT = "township.select"

principal = auth_ui.current()
scope = read_scope(principal).username  # names the reader in the keys of the shared tables and charts
sel = state.selection()
campaign = sel.campaign
readable = narrow(principal, None)
refs = [r for r in data.jurisdictions(sel.url) if readable is None or r.id in readable]
if not refs:
    st.warning("还没有乡镇（街道）或成员单位。")
    st.stop()
by_id = {r.id: r for r in refs}
by_code = {r.code: r.id for r in refs}

# a link (?j=code) or another page (session state) chooses the jurisdiction once; then the selectbox rules
wanted = st.query_params.get("j")
if wanted and wanted in by_code and st.session_state.get("township.consumed") != wanted:
    st.session_state[KEY_SELECT] = by_code[wanted]
    st.session_state["township.consumed"] = wanted
elif state.KEY_TOWNSHIP in st.session_state:
    st.session_state[KEY_SELECT] = st.session_state.pop(state.KEY_TOWNSHIP)
if st.session_state.get(KEY_SELECT) not in by_id:
    st.session_state[KEY_SELECT] = refs[0].id

jid = st.selectbox(
    "乡镇（街道）或安委会成员单位",
    list(by_id),
    key=KEY_SELECT,
    disabled=len(by_id) == 1,
    format_func=lambda i: f"{by_id[i].name}（{by_id[i].kind_label}）",
    placeholder="请选择",
)
ref = by_id[jid]
if st.query_params.get("j") != ref.code:
    st.query_params["j"] = ref.code
    st.session_state["township.consumed"] = ref.code

st.title(ref.name)
data.prefetch_score_history(sel.url, campaign.id, sel.as_of, data.rules_key())  # drawn last, computed now
st.caption(f"{ref.kind_label}　·　截至 {state.date_label(sel.as_of)}　·　统计月份 {sel.month.label}")

months = tuple(campaign_calendar.begun_months(campaign.enforcement_months, sel.as_of))
shown_months = tuple(dict.fromkeys([*months, sel.month]))
rows = {
    r.month: r
    for r in data.jurisdiction_months(
        sel.url, principal, jid, (sel.month.previous(), *shown_months), sel.as_of
    )
}
now, before = rows[str(sel.month)], rows.get(str(sel.month.previous()))

# --- this month -----------------------------------------------------------------------------------
cards = [
    (
        "检查生产经营单位（家）",
        now.enterprises_inspected,
        before.enterprises_inspected if before else None,
        "",
        False,
    ),
    (
        "高危工贸覆盖率",
        now.target_coverage or 0.0,
        (before.target_coverage or 0.0) if before else None,
        "%",
        False,
    ),
    ("问题整改中（条）", now.findings_open, before.findings_open if before else None, "", True),
    ("逾期未整改（条）", now.findings_overdue, before.findings_overdue if before else None, "", True),
    ("无证上岗（人）", now.unlicensed, before.unlicensed if before else None, "", True),
    ("疑似持假证（人）", now.suspected_fake, before.suspected_fake if before else None, "", True),
    ("立案（起）", now.cases, before.cases if before else None, "", False),
]
columns = [c for _ in range(2) for c in st.columns(4)]
for column, (label, value, prev, unit, lower) in zip(columns, cards, strict=False):
    with column:
        delta = None if prev is None else float(value) - float(prev)
        st.metric(
            label,
            ui.fmt_value(float(value), unit),
            **ui.delta_args(delta, unit, lower_is_better=lower),
            border=True,
        )
with columns[-1]:
    submitted = f"{clock.to_local(now.submitted_at):%m-%d} 报送" if now.submitted_at else "尚未报送"
    st.metric("本月汇总表", now.monthly_status_label, help=submitted, border=True)

# --- enterprises and coverage ---------------------------------------------------------------------
st.subheader("辖区企业与检查覆盖")
left, right = st.columns([1, 1])
with left:
    mix_df = data.frame(
        sel.url,
        ("township.mix", scope, jid, sel.month, months),
        lambda: frames.enterprise_mix_frame(data.enterprise_mix(sel.url, principal, jid, sel.month, months)),
        jid,
    )
    st.dataframe(
        ui.arrow(mix_df),
        hide_index=True,
        placeholder="—",
        width="stretch",
        key="township.mix",
        column_config={  # half the page of a 1366×768 laptop: short headings, the rest in tooltips
            "类别": st.column_config.TextColumn(width=96),
            "在册": st.column_config.NumberColumn(width=52),
            "本月已检": st.column_config.NumberColumn(width=72),
            "本月覆盖率": ui.percent_bar(width=112),
            "执法检查阶段累计已检": st.column_config.NumberColumn(
                "累计已检", help="执法检查阶段累计已检查的企业数", width=72
            ),
        },
    )
with right:
    month_df = data.frame(
        sel.url,
        ("township.months", scope, jid, months, sel.as_of),
        lambda: frames.month_rows_frame([rows[str(m)] for m in months]),
    )
    if month_df.empty:
        st.info("执法检查阶段尚未开始。")
    else:

        def coverage_chart() -> dict[str, object]:
            long = frames.trend_long(
                month_df.assign(覆盖率=month_df["覆盖率"].fillna(0) / 100),
                ["覆盖率"],
                series="项目",
                value="数值",
            )
            long["项目"] = "高危工贸覆盖率"
            return charts.configure(
                charts.line_chart(
                    long, value="数值", series="项目", title="各月检查覆盖率", percent=True, colours=[ui.BLUE]
                )
            )

        ui.chart(
            data.chart(sel.url, ("township.coverage", scope, jid, months, sel.as_of), coverage_chart),
            width="stretch",
        )
with st.expander("各月检查、问题、核查与处罚", icon="📄", expanded=True):
    st.dataframe(
        ui.arrow(month_df),
        hide_index=True,
        placeholder="—",
        width="stretch",
        key="township.months",
        column_config={"覆盖率": ui.percent_bar()},
    )
    ui.download_csv(month_df, name=f"{ref.name}_各月情况", key="township.months.csv")

# --- findings -------------------------------------------------------------------------------------
st.subheader("问题清单：整改中与逾期")
open_df = data.frame(
    sel.url,
    ("township.open", scope, jid, sel.month, sel.as_of),
    lambda: data.detail(sel.url, principal, "findings_open", sel.month, sel.as_of, jid).drop(
        columns=["责任单位", "整改完成日期"]
    ),
    jid,
)
overdue = int((open_df["逾期天数"] > 0).sum()) if not open_df.empty else 0
st.markdown(
    f"截至 {state.date_label(month_figures.month_as_of(sel.month, sel.as_of))}，整改中 **{len(open_df)}** 条，"
    f"其中逾期 <span class='anpei-behind'>{overdue}</span> 条（按整改期限排序，逾期的在前）。",
    unsafe_allow_html=True,
)
ui.detail_block(
    open_df,
    name=f"{ref.name}_整改中问题",
    key="township.findings",
    height=ui.table_height(len(open_df), cap=500),
)

# --- certificates ---------------------------------------------------------------------------------
st.subheader("证书核查结果")
first = months[0].first if months else sel.month.first
last = month_figures.month_as_of(sel.month, sel.as_of)
outcomes, problems = data.certificates(sel.url, principal, jid, first, last)
st.caption(f"{first:%Y-%m-%d} 至 {last:%Y-%m-%d} 本单位核查的证书；身份证号已隐去中间位。")
c_left, _ = st.columns([3, 2])
with c_left:
    st.dataframe(
        ui.arrow(outcomes), hide_index=True, placeholder="—", width="stretch", key="township.outcomes"
    )
st.markdown("**发现问题的核查记录**")
ui.detail_block(
    problems,
    name=f"{ref.name}_证书问题",
    key="township.problems",
    height=ui.table_height(len(problems), cap=420),
)
if principal.may_reveal_ids:
    box_reveal = st.expander(
        "显示完整身份证号", icon="🔓", key=f"township.reveal.box.{jid}", on_change="rerun"
    )  # drawn only when opened
    with box_reveal:
        if box_reveal.open:
            st.caption("仅在核对身份时使用；每次查看都会记入审计日志。")
            with data.session(sel.url) as s:
                people = personal_data.problem_people(
                    s, principal=principal, jurisdiction_id=jid, first=first, last=last
                )
            if not people:
                st.caption("本期没有发现问题的人员。")
            else:
                by_person = {p.person_id: p for p in people}
                person_id = st.selectbox(
                    "人员",
                    list(by_person),
                    format_func=lambda i: by_person[i].label,
                    key="township.reveal.person",
                    placeholder="请选择",
                )
                if st.button("显示完整身份证号", key="township.reveal"):
                    try:
                        with data.session(sel.url) as s:
                            full = personal_data.reveal_id_number(s, principal=principal, person_id=person_id)
                    except (AccessDenied, personal_data.PersonNotFound) as exc:
                        st.error(str(exc))
                    else:
                        st.info(f"{ui.plain(by_person[person_id].name)}：{full}（已记入审计日志）")

# --- monthly tables -------------------------------------------------------------------------------
st.subheader("月报（汇总表）")


def reports_table() -> pd.DataFrame:
    reports = ui.whole_numbers(
        data.monthly_reports(sel.url, principal, jid, tuple(campaign.enforcement_months))
    )
    return reports.assign(状态=ui.status_cells(reports["状态"]))


st.dataframe(  # column configuration, no pandas Styler (issue 16)
    ui.arrow(
        data.frame(
            sel.url, ("township.reports", scope, jid, tuple(campaign.enforcement_months)), reports_table, jid
        )
    ),
    hide_index=True,
    placeholder="—",
    width="stretch",
    key="township.reports",
    column_config={
        "状态": ui.status_column(),
        "罚款金额（万元）": st.column_config.NumberColumn(format="%.2f"),
    },
)

# --- score history --------------------------------------------------------------------------------
st.subheader("季度考核得分")


def scores_table() -> pd.DataFrame:
    history = data.score_history(
        sel.url, principal, campaign.id, jid, sel.as_of, data.rules_key()
    )  # prefetched
    return pd.DataFrame(
        [
            {
                "季度": h.quarter.label,
                "总分": round(h.score, 1) if h.score is not None else None,
                "排名": f"{h.rank}/{h.of}" if h.rank else "—",
                "等次": h.grade or "无考核数据",
                "说明": "暂评" if h.provisional else "",
            }
            for h in history
        ]
    )


scores_key = ("township.scores", scope, jid, campaign.id, sel.as_of, data.rules_key())
hist_df = data.frame(sel.url, scores_key, scores_table)
if hist_df.empty:
    st.info("暂无季度考核结果。")
else:
    h_left, h_right = st.columns([3, 2])
    with h_left:
        ui.chart(
            data.chart(
                sel.url,
                scores_key,
                lambda: charts.configure(charts.score_line(hist_df.dropna(subset=["总分"]))),
            ),
            width="stretch",
        )
    with h_right:
        st.dataframe(
            ui.arrow(hist_df), hide_index=True, placeholder="—", width="stretch", key="township.scores"
        )
        if st.button("查看季度考核详情", key="township.to_assessment"):
            st.switch_page("app_pages/assessment.py")
