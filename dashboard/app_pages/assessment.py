"""季度考核: townships and member units scored from the rule file, ranked separately, explained.

The ranking is public inside the government (every role sees it, as in the circular); the breakdown
of one unit's score is offered only for jurisdictions the user may read, and the circular file only
to roles that read the whole county.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import auth_ui, data, frames, state, ui
from db.rules import scoring, scoring_ranking
from db.rules.access import can_read
from db.xlsx.circular import circular_title, circular_xlsx

principal = auth_ui.current()
sel = state.selection()
campaign = sel.campaign
if sel.quarter is None:
    st.info("本专项整治没有执法检查月份，无季度考核。")
    st.stop()
quarter = sel.quarter

try:
    key = data.rules_key()
    rules = data.rules(key)
except scoring.ScoringRulesError as exc:
    st.error(f"评分规则有误，无法考核：{exc}")
    st.stop()
result = data.assessment(sel.url, principal, campaign.id, quarter, sel.as_of, key)
window = result.window

st.title(f"季度考核 · {quarter.label}")
status = "暂评：本季度月报尚未全部到期，结果可能变化" if window.provisional else "定稿"
st.caption(
    f"考核月份：{'、'.join(m.label for m in window.months) or '无'}　·　"
    f"统计截至 {state.date_label(window.cutoff)}（{status}）　·　规则：{rules.name}"
)
if result.empty:
    st.info("本季度没有执法检查月份或尚无可考核的数据。")
    st.stop()

if principal.sees_all:
    xlsx = circular_xlsx(result, campaign_name=campaign.name, issuer=campaign.issuer, issued_on=sel.as_of)
    st.download_button(
        "下载本季度通报（Excel，A4 打印）",
        xlsx,
        file_name=f"{circular_title(campaign.name, quarter)}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="assessment.circular",
        type="primary",
    )

lowest = sorted(rules.grades, key=lambda g: g.min_score)[0].label if rules.grades else ""


def draw_group(scores: list[scoring_ranking.JurisdictionScore], *, key: str, name_label: str) -> None:
    frame = frames.assessment_frame(scores, rules)
    failing = [s.member.name for s in scores if s.grade == lowest and s.score is not None]
    if failing:
        st.error(f"{lowest}（{len(failing)} 个）：" + "、".join(failing), icon="🚩")
    # widths chosen so that every column fits a 1366×768 laptop (about 980 px beside the sidebar):
    # the indicators are headed by their short name, their full marks in the column's tooltip
    config: dict[str, Any] = {
        "排名": st.column_config.NumberColumn(width=48),
        "单位": st.column_config.LinkColumn(name_label, display_text=ui.LINK_DISPLAY, width=120),
        "总分": st.column_config.ProgressColumn(
            min_value=0, max_value=rules.total_points, format="%.1f", width=100
        ),
        "上季度排名": st.column_config.NumberColumn("上季度", width=60),
        "排名变化": st.column_config.TextColumn("变化", width=52),
        "等次": st.column_config.TextColumn(width=60),
        "扣分": st.column_config.NumberColumn(width=52),
    }
    for ind in rules.indicators:
        config[f"{ind.heading}（{ind.max_points:g}）"] = st.column_config.NumberColumn(
            ind.heading, help=f"{ind.label}，满分 {ind.max_points:g} 分", width=70
        )

    def red_grade(value: object) -> str:
        return f"color: {ui.RED}; font-weight: 600" if value == lowest else ""

    def change_colour(value: object) -> str:
        text = str(value)
        return (
            f"color: {ui.GREEN}"
            if text.startswith("↑")
            else f"color: {ui.RED}"
            if text.startswith("↓")
            else ""
        )

    styled = (
        frame.style.map(red_grade, subset=["等次"])
        .map(change_colour, subset=["排名变化"])
        .format(precision=1, na_rep="不适用")
    )
    st.dataframe(
        styled,
        hide_index=True,
        placeholder="—",
        width="stretch",
        column_config=config,
        height=ui.table_height(len(frame)),
        key=f"assessment.{key}",
    )
    for s in scores:
        if s.not_ranked:
            st.caption(f"{s.member.name}：不参与排名——{s.not_ranked}。")
    ui.download_csv(
        frames.assessment_frame(scores, rules, links=False),
        name=f"{name_label}_{quarter}",
        key=f"assessment.{key}.csv",
    )


tab_t, tab_u = st.tabs(
    [f"乡镇（街道）（{len(result.townships)}）", f"安委会成员单位（{len(result.member_units)}）"]
)
with tab_t:
    draw_group(result.townships, key="townships", name_label="乡镇（街道）")
with tab_u:
    draw_group(result.member_units, key="units", name_label="成员单位")
if result.previous_quarter:
    st.caption(f"排名变化与 {result.previous_quarter.label} 比较（↑ 上升，↓ 下降）。")
else:
    st.caption("上一季度没有考核，本季度不显示排名变化。")

# --- one jurisdiction's breakdown -----------------------------------------------------------------
st.subheader("单位得分明细")
everyone = result.townships + result.member_units
names = {s.member.jurisdiction_id: s for s in everyone if can_read(principal, s.member.jurisdiction_id)}
if not names:
    st.info("本单位不在考核名单中。")
    st.stop()
jid = st.selectbox(
    "选择单位",
    list(names),
    key="assessment.jurisdiction",
    format_func=lambda i: (
        f"{names[i].member.name}（第 {names[i].rank} 名）" if names[i].rank else names[i].member.name
    ),
    placeholder="请选择",
)
chosen = names[jid]
m1, m2, m3, m4 = st.columns(4)
m1.metric("总分", f"{chosen.score:.1f}" if chosen.score is not None else "—", border=True)
group_size = sum(1 for s in result.groups.get(chosen.member.kind, []) if s.rank is not None)
m2.metric("排名", f"{chosen.rank} / {group_size}" if chosen.rank else "—", border=True)
m3.metric("等次", chosen.grade or ("不参与排名" if chosen.not_ranked else "—"), border=True)
if chosen.not_ranked:
    st.info(f"{chosen.member.name}不参与排名：{chosen.not_ranked}。")
m4.metric("排名变化", frames.rank_change_label(chosen.rank_change, chosen.previous_rank), border=True)
breakdown = frames.breakdown_frame(chosen)
st.dataframe(
    breakdown.drop(columns=["说明"]),
    hide_index=True,
    placeholder="—",
    width="stretch",
    key="assessment.breakdown",
    column_config={
        "指标": st.column_config.TextColumn(width=180),
        "满分": st.column_config.NumberColumn(width=52),
        "完成数": st.column_config.NumberColumn(width=64),
        "应完成数": st.column_config.NumberColumn(width=76),
        "实际比率": st.column_config.NumberColumn(format="%.1f%%", width=76),
        "计分比率": ui.percent_bar(width=104),
        "得分": st.column_config.NumberColumn(width=56),
        "扣分": st.column_config.NumberColumn(width=56),
        "计分方式": st.column_config.TextColumn(width=150),
    },
)
# the explanations are sentences: as text under the table they wrap instead of being cut off
notes = [(label, note) for label, note in zip(breakdown["指标"], breakdown["说明"], strict=True) if note]
if notes:
    st.markdown("\n".join(f"- **{label}**：{note}" for label, note in notes))
with st.expander("统计量（分子、分母的来源）", icon="🔎"):
    st.dataframe(
        frames.measures_frame(result.measures.get(jid, {})),
        hide_index=True,
        placeholder="—",
        width="stretch",
        key="assessment.measures",
    )
if st.button(f"查看 {chosen.member.name} 的详情", key="assessment.to_township"):
    st.session_state[state.KEY_TOWNSHIP] = jid
    st.switch_page("app_pages/township.py")

# --- the rules, explained -------------------------------------------------------------------------
st.subheader("评分规则")
rates = result.group_rates.get("township", {})
for ind in rules.indicators:
    rate = rates.get(ind.code)
    avg = f"（乡镇平均 {rate * 100:.1f}%）" if rate is not None else ""
    heading = f"（表中“{ind.short}”）" if ind.short and ind.short != ind.label else ""
    st.markdown(f"- **{ind.label}**{heading}（满分 {ind.max_points:g}）{avg}：{ind.explain}")
st.info(rules.guard.describe(), icon="⚖️")
if rules.guard.method == "shrinkage":
    k = rules.guard.prior_strength
    cov = rates.get("coverage")
    if cov is not None:
        example = (2 + k * cov) / (2 + k)
        st.markdown(
            f"例：某乡镇只有 2 家应检企业且都已检查，实际覆盖率 100%；乡镇平均 {cov * 100:.1f}%，"
            f"计分覆盖率 =（2 + {k:g} × {cov * 100:.1f}%）÷（2 + {k:g}）= **{example * 100:.1f}%**。"
            f"有 200 家应检企业、检查了 200 家的乡镇，计分覆盖率仍接近 100%。"
        )
st.caption(
    f"不适用的指标（本季度无应完成事项）不计入满分，总分 = 实得分 ÷ 可得满分 × {rules.total_points:g}。"
    "评分规则由县应急管理局制定，调整规则无需改动系统。"
)
