"""安培看板: page config, the login gate, navigation by role over `app_pages/`, the shared sidebar, then
the page.

Start with `anpei dashboard` (or `streamlit run dashboard/app.py`); the database is DATABASE_URL.
Nobody sees anything but the login page before logging in; the pages offered depend on the role
(`dashboard.nav`), and every service the pages call checks the role and jurisdiction again.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import streamlit as st
from streamlit.navigation.page import StreamlitPage

from dashboard import auth_ui, data, nav, sso, state, ui

HERE = Path(__file__).resolve().parent
NO_SIDEBAR_SELECTION = {"admin_users", "admin_audit"}  # these pages work on an empty database too

# Tables travel to the browser as Arrow: with pyarrow's own pool (jemalloc) the memory of every page
# run's tables stayed with the process — RSS grew by ~650 MB for 100 users at ×40; malloc's pool gives
# it back (+190 MB). Cheap and idempotent, so set on every run (issue 16).
pa.set_memory_pool(pa.system_memory_pool())

st.set_page_config(
    page_title="安全生产培训“走过场”专项整治看板",
    page_icon="🛡️",
    layout="wide",
    initial_sidebar_state="expanded",
)
ui.inject_css()


def _page(spec: nav.PageSpec, *, default: bool = False) -> StreamlitPage:
    return st.Page(
        HERE / "app_pages" / spec.file,
        title=spec.title,
        icon=spec.icon,
        url_path=spec.url_path,
        default=default,
    )


url = data.database_url()
try:
    data.sync(url)  # kept reads older than the last write, by any process, are dropped first
    principal = auth_ui.resolve(url) or sso.resolve(url)
except Exception as exc:  # the database is unreachable or not migrated
    auth_ui.render_cookie_script()
    st.error(f"无法读取数据库：{str(exc).splitlines()[0][:200]}")
    st.caption("请检查 DATABASE_URL，或先运行 anpei db upgrade。")
    st.stop()
auth_ui.render_cookie_script()

if principal is None:
    # every page address leads to the login form (a deep link opens its page after the login)
    login = [_page(nav.LOGIN, default=True)] + [
        st.Page(
            HERE / "app_pages" / nav.LOGIN.file, title=nav.LOGIN.title, icon=nav.LOGIN.icon, url_path=path
        )
        for path in sorted(nav.all_url_paths())
    ]
    st.navigation(login, position="hidden").run()
    st.stop()

own = next((r for r in data.jurisdictions(url) if r.id == principal.jurisdiction_id), None)
sections = nav.pages_for(principal.role, member_unit=own is not None and own.kind == "member_unit")
first = next(iter(sections.values()))[0]
page = st.navigation(
    {title: [_page(spec, default=spec is first) for spec in specs] for title, specs in sections.items()}
)
auth_ui.account_sidebar(url, principal)
state.keep_sidebar_state()
if page.url_path not in NO_SIDEBAR_SELECTION:
    chosen = state.sidebar(period="quarter" if page.url_path == "assessment" else "month")
    if chosen is None:
        st.stop()
ui.guarded(page.run, where=page.url_path)
