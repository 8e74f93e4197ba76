"""Shared pieces of the staff pages (核验名单, 验证码队列, 导出): who is acting, the verifier client,
cached choices of jurisdictions and enterprises, links between pages.

The acting principal is the one the login gate leaves in `st.session_state["auth.principal"]`
(`dashboard.auth_ui`); without a login the page asks to log in and stops — there is no fallback.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from anpei.settings import get_settings
from dashboard import data
from dashboard.verifier_api import VerifierClient
from db.reads import jurisdiction_list
from db.records import cert_results
from db.rules.access import Principal, read_scope, readable_jurisdiction_ids

KEY_PRINCIPAL = "auth.principal"
PAGES_DIR = Path(__file__).resolve().parent / "app_pages"
REFRESH_S = 1.5  # live progress and the captcha queue look again this often


def principal() -> Principal:
    """The logged-in user; stops the page with a login prompt when there is none."""
    from dashboard.auth_ui import current

    return current()


@st.cache_resource(show_spinner=False)
def _client(url: str, token: str | None) -> VerifierClient:
    return VerifierClient(url, token=token)


def client() -> VerifierClient:
    """The verifier client for the configured URL and token."""
    settings = get_settings()
    return _client(settings.verifier_url, settings.verifier_token or None)


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _jurisdictions(url: str) -> list[jurisdiction_list.JurisdictionRef]:
    with data.session(url) as s:
        return jurisdiction_list.list_jurisdictions(s, kinds=None)


def jurisdictions(principal: Principal) -> list[jurisdiction_list.JurisdictionRef]:
    """Jurisdictions the principal may read (county, townships, member units), in sort order."""
    allowed = readable_jurisdiction_ids(principal)
    refs = _jurisdictions(data.database_url())
    return [r for r in refs if allowed is None or r.id in allowed]


@st.cache_data(ttl=data.TTL, max_entries=64, show_spinner=False)
def _enterprises(url: str, scope: Principal, jurisdiction_id: int) -> list[cert_results.EnterpriseChoice]:
    with data.session(url) as s:
        return cert_results.enterprise_choices(s, principal=scope, jurisdiction_id=jurisdiction_id)


def enterprises(jurisdiction_id: int) -> list[cert_results.EnterpriseChoice]:
    acting = principal()
    if not any(r.id == jurisdiction_id for r in jurisdictions(acting)):
        return []
    return _enterprises(data.database_url(), read_scope(acting), jurisdiction_id)


def page_link(file: str, label: str, icon: str) -> None:
    """A link to another staff page; a plain hint when the page is not in the navigation."""
    try:
        st.page_link(str(PAGES_DIR / file), label=label, icon=icon)
    except Exception:  # the page is not registered (a page run on its own, or an older frame)
        st.caption(f"{icon} 请在左侧导航中打开“{label}”页面。")
