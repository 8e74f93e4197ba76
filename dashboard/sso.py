"""Optional single sign-on: offered only when `.streamlit/secrets.toml` has an `[auth]` section.

`[auth]` holds Streamlit's own OIDC settings (redirect_uri, cookie_secret, client_id, client_secret,
server_metadata_url) plus `anpei_email_domain`, the domain whose addresses map to usernames
(`db.accounts.sso`). After the provider's redirect, `resolve` turns the signed-in e-mail into a login token.
"""

from __future__ import annotations

import streamlit as st

from dashboard import auth_ui, data
from db.accounts import sso
from db.rules.access import Principal


def _settings() -> dict[str, object] | None:
    try:
        found = st.secrets.get("auth")
    except Exception:  # no secrets file
        return None
    return dict(found) if found else None


def configured() -> bool:
    return _settings() is not None


def login_button() -> None:
    if st.button("使用统一身份认证登录", key="auth.sso", width="stretch"):
        st.login()


def resolve(url: str) -> Principal | None:
    """After the provider's redirect: log in the account the e-mail maps to (None if there is none)."""
    settings = _settings()
    if settings is None or not st.user.is_logged_in:
        return None
    email = str(st.user.get("email") or "")
    verified = sso.email_verified({"email_verified": st.user.get("email_verified")})  # missing: not verified
    with data.session(url) as s:
        principal = sso.login_by_email(
            s, email=email, domain=str(settings.get("anpei_email_domain", "")), verified=verified
        )
    if principal is None or principal.user_id is None:
        st.session_state[auth_ui.KEY_NOTICE] = "统一身份认证的账号没有对应的本系统账号，请联系管理员。"
        st.logout()
        return None
    auth_ui.log_in(url, principal.user_id)
    return auth_ui.resolve(url)
