"""总览: where the campaign stands on the chosen day — timeline, KPIs, who is behind, trends."""

from __future__ import annotations

import functools

import pandas as pd
import streamlit as st

from dashboard import auth_ui, charts, data, frames, state, ui
from db.codes import JurisdictionKind
from db.reads import (
    campaign_calendar,
    county_dedup,
    kpi_cards,
    kpi_details,
    rankings,
    status_grid,
)
from db.rules.access import read_scope
from db.training import leads

principal = auth_ui.current()
if not principal.sees_all:
    st.warning("总览为全县汇总，只有县局、领导和管理员账号可以查看；请打开本单位的详情页。")
    st.stop()
sel = state.selection()
campaign = sel.campaign
TOWNSHIP = JurisdictionKind.TOWNSHIP.value
UNIT = JurisdictionKind.MEMBER_UNIT.value
SHOW_BEHIND = 8
scope = read_scope(principal)  # chart specs are shared by every reader who may read the same

st.title("总览")
st.caption(f"{campaign.name}　·　截至 {state.date_label(sel.as_of)}　·　统计月份 {sel.month.label}")

# --- timeline -------------------------------------------------------------------------------------
line = campaign_calendar.timeline(campaign, today=sel.as_of)
current = line.current
left, right = st.columns([3, 1])
with left:
    ui.chart(
        data.chart(
            sel.url,
            ("timeline", campaign.id, sel.as_of),
            lambda: charts.configure(charts.timeline_chart(line)),
        ),
        width="stretch",
    )
with right:
    st.metric(
        "当前阶段", current.name if current else ("已结束" if sel.as_of > campaign.ends_on else "未开始")
    )
    if line.next_deadline is not None:
        days = line.days_to_next or 0
        when = "今天截止" if days == 0 else f"还有 {days} 天"
        st.markdown(
            f"**下一个截止：** {line.next_deadline.label}  \n{state.date_label(line.next_deadline.on)}（{when}）"
        )
    else:
        st.markdown("**各项截止日期均已过。**")

# --- KPI cards ------------------------------------------------------------------------------------
kpis = data.kpis(sel.url, principal, campaign.id, sel.month, sel.as_of)
columns = st.columns(len(kpi_cards.KPI_GROUPS))
for column, group in zip(columns, kpi_cards.KPI_GROUPS, strict=True):
    with column:
        st.markdown(f"#### {group}")
        for k in (k for k in kpis if k.group == group):
            st.metric(
                k.label if k.unit == "%" else f"{k.label}（{k.unit}）",
                ui.fmt_value(k.value, k.unit),
                **ui.delta_args(k.delta, k.unit, lower_is_better=k.lower_is_better),
                help=k.note,
                border=True,
            )
figures = data.county_vs_units(sel.url, principal, campaign.id, sel.month, sel.as_of)
if figures:
    st.caption(county_dedup.county_vs_units_text(figures))

# --- who is behind --------------------------------------------------------------------------------
townships = data.ranking(sel.url, principal, campaign.id, sel.month, sel.as_of, TOWNSHIP)
units = data.ranking(sel.url, principal, campaign.id, sel.month, sel.as_of, UNIT)
behind = [r for r in townships if r.behind]
late_units = [r for r in units if r.monthly_status in ("missing", "late")]
if behind or late_units:
    worst = sorted(
        behind, key=lambda r: (-len(r.behind_reasons), r.coverage if r.coverage is not None else 1)
    )
    parts = [f"**{r.name}**（{'、'.join(r.behind_reasons)}）" for r in worst[:SHOW_BEHIND]]
    more = f"等（其余 {len(worst) - SHOW_BEHIND} 个见下表“需关注”列）" if len(worst) > SHOW_BEHIND else ""
    text = f"需关注的乡镇（街道）{len(behind)} 个：" + "；".join(parts) + more if behind else ""
    if late_units:
        text += (
            ("  \n" if text else "")
            + "月报未按时报送的成员单位："
            + "、".join(f"**{r.name}**（{status_grid.GRID_LABELS[r.monthly_status]}）" for r in late_units)
        )
    st.error(text, icon="🚩")
else:
    st.success("本月各乡镇（街道）检查覆盖、月报和整改均无落后项。", icon="✅")

# --- the rows behind a number ---------------------------------------------------------------------
# stateful (key + on_change): picking a number reruns the page and the expander stays as the user left it
with st.expander("查看数字背后的记录", icon="🔎", key="overview.detail.open", on_change="rerun"):
    labels = {k.code: f"{k.group} · {k.label}" for k in kpis}
    code = st.selectbox(
        "选择指标",
        list(labels),
        format_func=labels.__getitem__,
        key="overview.detail",
        index=None,
        placeholder="选择一个数字，列出它统计的每一条记录",
    )
    if code is not None:
        frame = data.detail(sel.url, principal, kpi_details.DETAIL_OF[code], sel.month, sel.as_of)
        ui.detail_block(frame, name=f"{labels[code]}_{sel.month}", key="overview.detail_rows")

# --- training-archive leads (培训档案核查) -------------------------------------------------------------
lead_counts = data.lead_counts(sel.url, principal)
st.markdown("#### 培训档案线索")
pending_col, confirmed_col, rows_col = st.columns([1, 1, 3])
pending_col.metric("待核实", ui.fmt_int(lead_counts["pending"]), border=True)
confirmed_col.metric("属实", ui.fmt_int(lead_counts["confirmed"]), border=True)
with rows_col.expander("查看线索", icon="🗂️"):
    wanted = st.radio(
        "状态",
        ["pending", "confirmed"],
        horizontal=True,
        key="overview.training_leads",
        format_func=lambda v: leads.LeadStatus(v).label,
    )

    def lead_table() -> pd.DataFrame:
        with data.session(sel.url) as s:
            lead_rows = leads.list_leads(s, principal=principal, status=wanted)
        return pd.DataFrame(
            [
                {
                    "编号": r.id,
                    "规则": r.rule,
                    "培训单位": r.unit,
                    "班次编号": r.class_code,
                    "姓名": r.name,
                    "身份证号": r.id_masked,
                    "日期": r.date.isoformat() if r.date else "",
                    "说明": r.text,
                }
                for r in lead_rows
            ]
        )

    ui.detail_block(
        data.frame(sel.url, ("overview.leads", scope, wanted), lead_table),
        name=f"培训档案线索_{leads.LeadStatus(wanted).label}",
        key="overview.training_lead_rows",
    )
    st.caption("在“培训档案核查”页核实和处理线索。")

# --- ranking and grid -----------------------------------------------------------------------------
st.subheader(f"乡镇（街道）排名 · {sel.month.label}")
st.caption(
    "按高危行业、工贸行业生产经营单位检查覆盖率排名（同率按逾期问题少者在前）；点击单位名称查看详情。"
    f"覆盖率低于 {rankings.BEHIND_COVERAGE:.0%}、月报逾期或未报、逾期未整改问题达 {rankings.BEHIND_OVERDUE} 条的单位列入“需关注”。"
)
rank_df = data.frame(
    sel.url,
    ("overview.ranking", scope, campaign.id, sel.month, sel.as_of),
    lambda: frames.ranking_frame(townships).pipe(lambda f: f.assign(月报=ui.status_cells(f["月报"]))),
)
rank_cfg = {
    "排名": st.column_config.NumberColumn(width=44),
    "单位": st.column_config.LinkColumn("乡镇（街道）", display_text=ui.LINK_DISPLAY, width=90),
    "需关注": st.column_config.TextColumn(width=200),
    "高危工贸覆盖率": ui.percent_bar(
        "覆盖率", width=130, help="高危行业、工贸行业生产经营单位本月检查覆盖率"
    ),
    "已检/应检": st.column_config.TextColumn(width=64),
    "问题整改率": ui.percent_bar("整改率", width=120, help="截至月末已整改问题占全部问题的比例"),
    "逾期未整改": st.column_config.NumberColumn("逾期问题", width=64, help="超过整改期限仍未整改的问题数"),
    "无证上岗": st.column_config.NumberColumn(width=64),
    "疑似持假证": st.column_config.NumberColumn("疑似假证", width=64, help="疑似持假证上岗的特种作业人员数"),
    "负责人逾期未考核": st.column_config.NumberColumn(
        "未考核", width=56, help="主要负责人、安全生产管理人员任职满6个月未考核合格"
    ),
    "立案": st.column_config.NumberColumn(width=44),
    "月报": ui.status_column(width=64),
}
# column configuration, no pandas Styler: the state is a coloured pill, the table a plain frame (issue 16)
st.dataframe(
    ui.arrow(rank_df),
    hide_index=True,
    placeholder="—",
    width="stretch",
    column_config=rank_cfg,
    height=ui.table_height(len(rank_df)),
    key="overview.ranking",
)
ui.download_csv(
    data.frame(
        sel.url,
        ("overview.ranking.csv", scope, campaign.id, sel.month, sel.as_of),
        lambda: frames.ranking_frame(townships, links=False),
    ),
    name=f"乡镇排名_{sel.month}",
    key="overview.ranking.csv",
)

box_units = st.expander(
    f"安委会成员单位 · {sel.month.label}",
    icon="🏢",
    key="overview.units.box",
    on_change="rerun",
)  # drawn only when opened
with box_units:
    if box_units.open:
        unit_df = frames.ranking_frame(units)
        st.dataframe(
            unit_df.style.format({"排名": ui.fmt_rank})
            .map(ui.status_style, subset=["月报"])
            .map(ui.red_text, subset=["需关注"]),
            hide_index=True,
            placeholder="—",
            width="stretch",
            height=ui.table_height(len(unit_df)),
            column_config={
                **rank_cfg,
                "单位": st.column_config.LinkColumn("成员单位", display_text=ui.LINK_DISPLAY),
            },
            key="overview.units",
        )

st.subheader("月报（汇总表）报送情况")
st.caption(
    f"按截至日期 {state.date_label(sel.as_of)} 的情况：每月汇总表应于次月 {campaign.monthly_due_day} 日前报送。"
)
ui.legend()
cells = data.grid(sel.url, principal, campaign.id, sel.as_of)


def grid_chart(kind: str, title: str) -> charts.Spec:
    return charts.configure(charts.status_heatmap(frames.grid_frame(cells, kind=kind), title=title))


for g_column, (g_kind, g_title) in zip(
    st.columns(2), ((TOWNSHIP, "乡镇（街道）"), (UNIT, "安委会成员单位")), strict=True
):
    with g_column:
        ui.chart(
            data.chart(
                sel.url,
                ("grid", g_kind, scope, campaign.id, sel.as_of),
                functools.partial(grid_chart, g_kind, g_title),
            ),
            width="stretch",
        )
box_grid = st.expander(
    "报送明细（含报送日期）", icon="📋", key="overview.grid.box", on_change="rerun"
)  # drawn only when opened
with box_grid:
    if box_grid.open:
        wide = frames.grid_wide(cells, kind=TOWNSHIP)
        wide_units = frames.grid_wide(cells, kind=UNIT)
        both = pd.concat([wide, wide_units], ignore_index=True)
        st.dataframe(
            both.style.map(ui.status_prefix_style, subset=list(both.columns[1:])),
            hide_index=True,
            placeholder="—",
            width="stretch",
            height=ui.table_height(len(both), cap=600),
            key="overview.grid",
        )
        ui.download_csv(both, name="月报报送情况", key="overview.grid.csv")

# --- trends ---------------------------------------------------------------------------------------
st.subheader("执法检查阶段趋势")
months = tuple(campaign_calendar.begun_months(campaign.enforcement_months, sel.as_of))
if not months:
    st.info("执法检查阶段尚未开始，暂无趋势。")
else:
    read = data.trends(
        sel.url,
        principal,
        tuple(kpi_cards.trend_months(campaign, month=sel.month, as_of=sel.as_of)),
        sel.as_of,
    )
    begun = {str(m) for m in months}
    table = data.frame(
        sel.url,
        ("overview.trends", scope, campaign.id, sel.month, sel.as_of),
        lambda: frames.trend_table([t for t in read if t.month in begun]),
    )
    specs = [
        (
            "coverage",
            "高危、工贸行业检查覆盖率",
            ["高危行业覆盖率", "工贸行业覆盖率"],
            "line_pct",
            [ui.BLUE, "#48a9a6"],
        ),
        (
            "findings",
            "问题发现与整改（条）",
            ["本月发现问题", "月末整改中", "月末逾期未整改"],
            "bars",
            [ui.BLUE, ui.AMBER, ui.RED],
        ),
        (
            "certs",
            "持证核查发现的问题（人）",
            ["无证上岗", "疑似持假证", "负责人逾期未考核"],
            "bars",
            [ui.RED, "#e67e22", "#8e44ad"],
        ),
        (
            "actions",
            "立案、曝光、黑名单（起）",
            ["立案", "曝光", "黑名单"],
            "bars",
            [ui.BLUE, ui.AMBER, "#34495e"],
        ),
    ]

    def trend_chart(
        table: pd.DataFrame, cols: list[str], kind: str, title: str, colours: list[str]
    ) -> charts.Spec:
        long = frames.trend_long(table, cols, series="项目", value="数值")
        if kind == "line_pct":
            return charts.configure(
                charts.line_chart(
                    long, value="数值", series="项目", title=title, percent=True, colours=colours
                )
            )
        return charts.configure(
            charts.grouped_bars(long, value="数值", series="项目", title=title, colours=colours)
        )

    for row in (specs[:2], specs[2:]):
        for column, (key, title, cols, kind, colours) in zip(st.columns(2), row, strict=True):
            with column:
                ui.chart(
                    data.chart(
                        sel.url,
                        ("trend", key, scope, campaign.id, sel.month, sel.as_of),
                        functools.partial(trend_chart, table, cols, kind, title, colours),
                    ),
                    width="stretch",
                )
                box_data = st.expander(
                    "图表数据", icon="📄", key=f"overview.trend.{key}.box", on_change="rerun"
                )  # drawn only when opened
                with box_data:
                    if box_data.open:
                        shown = table[["月份", *cols]]
                        st.dataframe(
                            shown,
                            hide_index=True,
                            placeholder="—",
                            width="stretch",
                            key=f"overview.trend.{key}",
                        )
                        ui.download_csv(shown, name=title, key=f"overview.trend.{key}.csv")

    cluster = data.frame(
        sel.url,
        ("overview.cluster", scope, sel.month, sel.as_of),
        lambda: frames.cluster_frame(data.month_summary(sel.url, principal, sel.month, sel.as_of)),
    )
    st.markdown(f"##### {sel.month.label} 无证上岗、疑似持假证、负责人逾期未考核集中的单位")
    if cluster.empty:
        st.info("本月未发现无证上岗、疑似持假证或负责人逾期未考核。")
    else:
        ui.chart(
            data.chart(
                sel.url,
                ("cluster", scope, sel.month, sel.as_of),
                lambda: charts.configure(charts.cluster_bars(cluster, title="")),
            ),
            width="stretch",
        )
        box_cluster = st.expander(
            "图表数据", icon="📄", key="overview.cluster.box", on_change="rerun"
        )  # drawn only when opened
        with box_cluster:
            if box_cluster.open:
                st.dataframe(
                    cluster, hide_index=True, placeholder="—", width="stretch", key="overview.cluster"
                )
                ui.download_csv(cluster, name=f"问题集中单位_{sel.month}", key="overview.cluster.csv")
