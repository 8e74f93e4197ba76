"""登录: username and password (`db.accounts.auth.authenticate`: lock-out after repeated failures), or the
bureau's single sign-on when `.streamlit/secrets.toml` configures one (`dashboard.sso`)."""

from __future__ import annotations

import streamlit as st

from dashboard import auth_ui, data, sso
from db.accounts import auth, users

url = data.database_url()
_, middle, _ = st.columns([1, 2, 1])
with middle:
    st.header("安全生产培训“走过场”专项整治看板", anchor=False)
    st.subheader("登录", anchor=False)
    st.caption("请使用县应急管理局分配的账号登录。账号由系统管理员开通；忘记密码请联系管理员重置。")
    try:
        with data.session(url) as s:
            first_run = not users.has_accounts(s)
    except Exception as exc:  # the database is unreachable or not migrated
        st.error(f"无法读取数据库：{str(exc).splitlines()[0][:200]}")
        st.caption("请检查 DATABASE_URL，或先运行 anpei db upgrade。")
        st.stop()
    if first_run:
        st.warning(
            "还没有任何账号。正式部署：在服务器上运行 anpei user add <用户名> --role admin 创建第一个管理员；"
            "演示：直接运行 anpei demo，或在单独的数据库上运行 anpei db seed --sample --demo-accounts（示例县数据和演示账号）。"
        )
    notice = st.session_state.pop(auth_ui.KEY_NOTICE, None)
    if notice:
        st.info(notice)
    with st.form("login", clear_on_submit=True):
        username = st.text_input("用户名", max_chars=50, autocomplete="username")
        password = st.text_input(
            "密码", type="password", max_chars=auth.MAX_PASSWORD_LENGTH, autocomplete="current-password"
        )
        submitted = st.form_submit_button("登录", type="primary", width="stretch")
    if submitted:
        try:
            with data.session(url) as s:
                principal = auth.authenticate(s, username=username, password=password)
        except auth.LoginFailed as exc:
            st.error(exc.message, icon="🚫")
        except Exception as exc:  # the database is unreachable or not migrated
            st.error(f"无法读取数据库：{str(exc).splitlines()[0][:200]}")
        else:
            assert principal.user_id is not None
            auth_ui.log_in(url, principal.user_id)
            st.rerun()
    if sso.configured():
        st.divider()
        sso.login_button()
