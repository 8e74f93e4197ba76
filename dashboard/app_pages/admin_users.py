"""账号管理 (administrators): list accounts, add one, disable or enable, reset a password, change the
role. Every change goes through `db.accounts.users` (which checks the administrator again and audits it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import streamlit as st

from anpei import clock
from dashboard import auth_ui, data, ui
from db.accounts import users
from db.codes import Role
from db.reads import jurisdiction_list
from db.rules.access import AccessDenied

K = "admin.users."
principal = auth_ui.current()
url = data.database_url()
st.title("账号管理")
if not principal.is_admin:
    st.error("只有管理员可以管理账号。")
    st.stop()
st.caption("停用账号、重置密码或更改角色后，该账号已登录的页面立即失效。所有操作记入审计日志。")


def when(moment: dt.datetime | None) -> str:
    return clock.format_local(moment)


def change(name: str, make: Callable[..., users.UserInfo], /, **kwargs: object) -> None:
    """Run an account change in one transaction; keep the outcome (Chinese) for the next run."""
    try:
        with data.session(url) as s:
            info = make(s, principal=principal, **kwargs)
            s.commit()
    except (users.UserError, AccessDenied, ValueError) as exc:
        st.session_state[K + "message"] = ("error", str(exc))
    else:
        st.session_state[K + "message"] = (
            "success",
            f"{name}：{info.username}（{info.display_name or info.role_label}）",
        )


with data.session(url) as s:
    accounts = users.list_users(s, principal=principal)
    units = jurisdiction_list.list_jurisdictions(s)
    demo_password = users.demo_password_accounts(s, principal=principal)
unit_names = {u.id: u.name for u in units}

if demo_password:
    st.warning(
        f"以下 {len(demo_password)} 个账号仍在使用公开的演示密码，任何人都能登录："
        + "、".join(ui.plain(name) for name in demo_password)
        + "。请立即重置密码或停用（演示账号只应出现在演示数据库中）。",
        icon="🚨",
    )

if message := st.session_state.pop(K + "message", None):
    kind, text = message
    (st.success if kind == "success" else st.error)(text)

now = clock.utc_now()
st.dataframe(
    pd.DataFrame(
        [
            {
                "用户名": u.username,
                "姓名": u.display_name,
                "角色": u.role_label,
                "所属单位": u.jurisdiction_name,
                "状态": "停用" if not u.active else ("锁定" if u.is_locked(now=now) else "正常"),
                "最近登录": when(u.last_login_at),
                "创建时间": when(u.created_at),
            }
            for u in accounts
        ]
    ),
    hide_index=True,
    width="stretch",
    key=K + "table",
)

roles = list(Role)
tab_add, tab_edit = st.tabs(["新增账号", "修改账号"])
with tab_add, st.form(K + "add", clear_on_submit=True):
    c1, c2 = st.columns(2)
    username = c1.text_input("用户名", max_chars=50, help="2–50 个字母、数字、汉字或 _ . -")
    display_name = c2.text_input("姓名", max_chars=50)
    role = c1.selectbox("角色", roles, format_func=lambda r: r.label, placeholder="请选择")
    unit = c2.selectbox(
        "所属乡镇（街道）或部门（仅乡镇/部门工作人员）",
        [None, *unit_names],
        format_func=lambda i: "（无）" if i is None else unit_names[i],
        placeholder="请选择",
    )
    password = c1.text_input("初始密码（至少 10 位）", type="password", autocomplete="new-password")
    if st.form_submit_button("新增", type="primary"):
        change(
            "已新增账号",
            users.add_user,
            username=username,
            password=password,
            role=role,
            jurisdiction_id=unit if role is Role.LOCAL_STAFF else None,
            display_name=display_name,
        )
        st.rerun()

with tab_edit:
    if not accounts:
        st.caption("还没有账号。")
        st.stop()
    by_name = {u.username: u for u in accounts}
    chosen = by_name[
        st.selectbox(
            "账号",
            list(by_name),
            key=K + "pick",
            format_func=lambda n: f"{n}（{by_name[n].display_name}，{by_name[n].role_label}）",
            placeholder="请选择",
        )
    ]
    left, middle, right = st.columns(3)
    with left:
        st.markdown("**启用 / 停用**")
        if chosen.active:
            if st.button("停用账号", key=K + "disable"):
                change("已停用账号", users.disable_user, username=chosen.username)
                st.rerun()
        elif st.button("启用账号", key=K + "enable"):
            change("已启用账号", users.enable_user, username=chosen.username)
            st.rerun()
    with middle, st.form(K + "reset", clear_on_submit=True):
        st.markdown("**重置密码**")
        new_password = st.text_input("新密码（至少 10 位）", type="password", autocomplete="new-password")
        if st.form_submit_button("重置密码"):
            change("已重置密码", users.reset_password, username=chosen.username, password=new_password)
            st.rerun()
    with right, st.form(K + "role"):
        st.markdown("**更改角色**")
        new_role = st.selectbox(
            "角色", roles, index=roles.index(chosen.role), format_func=lambda r: r.label, placeholder="请选择"
        )
        ids = [None, *unit_names]
        new_unit = st.selectbox(
            "所属单位",
            ids,
            index=ids.index(chosen.jurisdiction_id) if chosen.jurisdiction_id in ids else 0,
            format_func=lambda i: "（无）" if i is None else unit_names[i],
            placeholder="请选择",
        )
        if st.form_submit_button("更改角色"):
            change(
                "已更改角色",
                users.change_role,
                username=chosen.username,
                role=new_role,
                jurisdiction_id=new_unit if new_role is Role.LOCAL_STAFF else None,
            )
            st.rerun()
