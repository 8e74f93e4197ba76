"""The shared sidebar (campaign, 截至日期, month or quarter) and the selection pages read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from anpei import clock
from anpei.periods import Month, Quarter
from dashboard import data
from db.reads import campaign_calendar

KEY_CAMPAIGN = "sidebar.campaign"
KEY_AS_OF = "sidebar.as_of"
KEY_MONTH = "sidebar.month"
KEY_QUARTER = "sidebar.quarter"
KEY_SELECTION = "sidebar.selection"
KEY_TOWNSHIP = "township.selected"  # jurisdiction id chosen on another page (switch_page)
SIDEBAR_KEYS = (KEY_CAMPAIGN, KEY_AS_OF, KEY_MONTH, KEY_QUARTER)


@dataclass(frozen=True)
class Selection:
    url: str
    campaign: campaign_calendar.CampaignInfo
    as_of: dt.date
    month: Month
    quarter: Quarter | None


def keep_sidebar_state() -> None:
    """Widgets not drawn on a page lose their value; re-assigning keeps them across pages."""
    for key in SIDEBAR_KEYS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def date_label(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _ensure(key: str, options: list[object], default: object) -> None:
    """Initialise (or repair) a widget's value in session state before the widget is drawn."""
    if st.session_state.get(key) not in options:
        st.session_state[key] = default


def sidebar(*, period: str, today: dt.date | None = None) -> Selection | None:
    """Draw the sidebar; `period` is "month" or "quarter". None when there is nothing to show."""
    url = data.database_url()
    try:
        empty = data.is_empty(url)
        campaigns = data.campaigns(url)
    except Exception as exc:  # the database is unreachable or not migrated
        st.error(f"无法读取数据库：{str(exc).splitlines()[0][:200]}")
        st.caption("请检查 DATABASE_URL，或先运行 anpei db upgrade。")
        return None
    if empty or not campaigns:
        st.warning("数据库为空，请先运行 anpei db seed --sample 载入示例县数据。")
        return None
    with st.sidebar:
        ids = [c.id for c in campaigns]
        _ensure(KEY_CAMPAIGN, list(ids), ids[0])
        by_id = {c.id: c for c in campaigns}
        campaign_id = st.selectbox(
            "专项整治", ids, format_func=lambda i: by_id[i].name, key=KEY_CAMPAIGN, placeholder="请选择"
        )
        campaign = by_id[campaign_id]
        days = [
            campaign.starts_on + dt.timedelta(days=n)
            for n in range((campaign.ends_on - campaign.starts_on).days + 1)
        ]
        default_day = campaign_calendar.default_as_of(campaign, today=today or clock.local_today())
        _ensure(KEY_AS_OF, list(days), default_day)
        as_of = st.select_slider(
            "截至日期",
            options=days,
            format_func=date_label,
            key=KEY_AS_OF,
            help="看板按这一天的情况显示（默认今天；示例数据为2023年，默认取专项整治结束日）。",
        )
        months = campaign_calendar.begun_months(campaign.months, as_of) or campaign.months[:1]
        _ensure(KEY_MONTH, list(months), campaign_calendar.default_month(campaign, as_of=as_of))
        quarters = campaign_calendar.begun_quarters(campaign.quarters, as_of) or campaign.quarters[:1]
        _ensure(KEY_QUARTER, list(quarters), campaign_calendar.default_quarter(campaign, as_of=as_of))
        if period == "quarter":
            st.selectbox(
                "考核季度",
                quarters,
                format_func=lambda q: q.label,
                key=KEY_QUARTER,
                placeholder="请选择",
            )
        else:
            st.selectbox(
                "统计月份",
                months,
                format_func=lambda m: m.label,
                key=KEY_MONTH,
                placeholder="请选择",
            )
        st.caption(f"{campaign.notice_ref}　{campaign.issuer}")
    selection = Selection(
        url, campaign, as_of, st.session_state[KEY_MONTH], st.session_state.get(KEY_QUARTER)
    )
    st.session_state[KEY_SELECTION] = selection
    return selection


def selection() -> Selection:
    """The selection the frame drew this run (pages call this first)."""
    found = st.session_state.get(KEY_SELECTION)
    if not isinstance(found, Selection):
        st.stop()
    return found
