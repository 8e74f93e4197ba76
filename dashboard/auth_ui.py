"""The login gate of the dashboard: who is logged in, the login cookie, the account block in the sidebar.

The session keeps the signed token (`auth.token`), never a trusted principal: every run resolves it
again through `db.accounts.sessions.principal_from_token`, so a logout elsewhere, a disabled account, a reset
password or a changed role takes effect on the next click. The resolved `Principal` is left in
`auth.principal` for the pages of that run. A page refresh starts a new Streamlit session; the token
then comes from the `anpei_session` cookie, written by a small script after a successful login.
"""

from __future__ import annotations

import streamlit as st

from dashboard import data, ui
from db.accounts import sessions
from db.models import User
from db.rules.access import Principal

KEY_TOKEN = "auth.token"
KEY_PRINCIPAL = "auth.principal"
KEY_COOKIE_SCRIPT = "auth.cookie_script"  # a script to render on the next run (set or clear the cookie)
KEY_NOTICE = "auth.notice"  # a message for the login page (e.g. "已退出登录")


def cookie_secure() -> bool:
    """Secure cookies except on plain http (the demo on 127.0.0.1); behind nginx the URL is https."""
    try:
        url = st.context.url or ""
    except Exception:  # no browser context (AppTest)
        url = ""
    return not url.startswith("http://")


def cookie_token() -> str | None:
    try:
        cookies = st.context.cookies
    except Exception:  # no browser context
        return None
    return cookies.get(sessions.COOKIE_NAME) if cookies else None


def render_cookie_script() -> None:
    """Render the pending set/clear-cookie script once (a run after login or logout)."""
    script = st.session_state.pop(KEY_COOKIE_SCRIPT, None)
    if script:
        st.html(script, unsafe_allow_javascript=True)


def resolve(url: str) -> Principal | None:
    """The logged-in principal of this run (token in the session, else the cookie), or None."""
    token = st.session_state.get(KEY_TOKEN)
    from_cookie = not token
    if from_cookie:
        token = cookie_token()
    principal: Principal | None = None
    if token:
        with data.session(url) as s:
            principal = sessions.principal_from_token(s, str(token))
    if principal is None:
        st.session_state.pop(KEY_TOKEN, None)
        st.session_state.pop(KEY_PRINCIPAL, None)
        if token and from_cookie and KEY_COOKIE_SCRIPT not in st.session_state:
            st.session_state[KEY_COOKIE_SCRIPT] = sessions.clear_cookie_script(secure=cookie_secure())
        return None
    st.session_state[KEY_TOKEN] = token
    st.session_state[KEY_PRINCIPAL] = principal
    return principal


def log_in(url: str, user_id: int) -> None:
    """After a successful authentication: issue a token, keep it, and write the cookie on the next run."""
    with data.session(url) as s:
        user = s.get(User, user_id)
        if user is None:
            raise LookupError("账号不存在")
        token = sessions.issue_token(user)
    st.session_state[KEY_TOKEN] = token
    st.session_state[KEY_COOKIE_SCRIPT] = sessions.set_cookie_script(token, secure=cookie_secure())
    st.session_state.pop(KEY_NOTICE, None)


def log_out(url: str, principal: Principal) -> None:
    """End every session of the user (all cookies stop working), clear the cookie, and forget
    everything this browser session held: the token, every page's choices and inputs, generated
    files (full-ID exports), verification jobs — the next person on the same tab starts empty."""
    with data.session(url) as s:
        sessions.logout(s, principal=principal)
    st.session_state.clear()
    st.session_state[KEY_COOKIE_SCRIPT] = sessions.clear_cookie_script(secure=cookie_secure())
    st.session_state[KEY_NOTICE] = "已退出登录。"


def current() -> Principal:
    """The acting user for a page; a page opened without the gate resolves the cookie itself.

    Stops the page with a login prompt when nobody is logged in (there is no anonymous fallback).
    """
    found = st.session_state.get(KEY_PRINCIPAL)
    if isinstance(found, Principal):
        return found
    token = st.session_state.get(KEY_TOKEN) or cookie_token()
    if token:
        with data.session(data.database_url()) as s:
            principal = sessions.principal_from_token(s, str(token))
        if principal is not None:
            st.session_state[KEY_PRINCIPAL] = principal
            return principal
    st.warning("请先登录。")
    st.stop()
    raise AssertionError  # pragma: no cover - st.stop() ends the run


def _unit_name(url: str, principal: Principal) -> str:
    if principal.jurisdiction_id is None:
        return ""
    shared = next((r.name for r in data.jurisdictions(url) if r.id == principal.jurisdiction_id), None)
    if shared is not None:  # the shared list every run reads anyway: no query of its own
        return shared
    from db.models import Jurisdiction

    with data.session(url) as s:
        row = s.get(Jurisdiction, principal.jurisdiction_id)
    return row.name if row is not None else ""


def account_sidebar(url: str, principal: Principal) -> None:
    """The user's name, role and unit, a logout button, and changing one's own password."""
    from db.accounts import users

    with st.sidebar:
        unit = _unit_name(url, principal)
        name = ui.plain(principal.display_name or principal.username)
        st.markdown(f"**{name}**　{principal.role.label}" + (f"  \n{ui.plain(unit)}" if unit else ""))
        if st.button("退出登录", key="auth.logout", icon="🚪"):
            log_out(url, principal)
            from dashboard import sso

            if sso.configured() and st.user.is_logged_in:
                st.logout()
            st.rerun()
        with st.expander("修改密码"), st.form("auth.password", clear_on_submit=True):
            old = st.text_input("原密码", type="password")
            new = st.text_input("新密码（至少 10 位）", type="password")
            again = st.text_input("再次输入新密码", type="password")
            if st.form_submit_button("修改"):
                if new != again:
                    st.error("两次输入的新密码不一致")
                else:
                    try:
                        with data.session(url) as s:
                            users.change_password(s, principal=principal, old_password=old, new_password=new)
                            s.commit()
                    except ValueError as exc:
                        st.error(str(exc))
                    else:
                        # the change ended every session, this one too: log in again with the new password
                        log_out(url, principal)
                        st.session_state[KEY_NOTICE] = "密码已修改，请用新密码重新登录。"
                        st.rerun()
