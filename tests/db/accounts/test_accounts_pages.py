"""The dashboard as each role sees it (AppTest): the login page, navigation by role, a township user's
fixed township page, logout, expired and forged tokens or cookies, lock-out, hostile input."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from dashboard import auth_ui, nav
from db.accounts import sessions
from db.accounts.auth import MAX_FAILED_LOGINS, hash_password
from db.codes import AuditAction, Role
from db.engine import make_engine
from db.models import AuditLog, User
from db.reads import jurisdiction_list
from db.sample.seed import DEMO_PASSWORD
from tests.kits.authkit import logged_in, token_for
from tests.kits.dbkit import Templates

ROOT = Path(__file__).resolve().parents[3]
APP = str(ROOT / "dashboard" / "app.py")
EXPECTED = {
    "admin": {"overview", "township", "assessment", "admin_users", "admin_audit"},
    "leader": {"overview", "township", "assessment", "training_audit"},
    "county": {
        "overview",
        "township",
        "assessment",
        "data_monthly",
        "data_inspections",
        "data_findings",
        "data_other",
        "verify",
        "captcha",
        "training_audit",
        "exports",
    },
    "sanhe": {
        "township",
        "assessment",
        "data_monthly",
        "data_inspections",
        "data_findings",
        "data_other",
        "verify",
        "captcha",
        "training_audit",
        "exports",
    },
}


ROLE_LABELS = {
    "admin": "系统管理员**　管理员",
    "leader": "局领导**　领导",
    "county": "宣教法规科**　县局工作人员",
    "sanhe": "三合街道应急办**　乡镇/部门工作人员  \n三合街道",
}


@pytest.fixture
def url(db_templates: Templates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh copy of the sample county per test (lock-outs and logouts change it)."""
    address = db_templates.sqlite_copy("sample", tmp_path / "sample.db")
    monkeypatch.setenv("DATABASE_URL", address)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield address
    st.cache_data.clear()
    st.cache_resource.clear()


def _app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=60)


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def _pages(at: AppTest) -> set[str]:
    return {Path(str(info["script_path"])).stem for info in at._registered_pages.values()}


def _is_login_page(at: AppTest) -> bool:
    return [b.label for b in at.button][:1] == ["登录"] and len(at.text_input) == 2


def _login(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click()
    return _ok(at.run())


def _texts(at: AppTest) -> str:
    return "\n".join(
        str(e.value)
        for kind in ("error", "warning", "info", "success", "markdown", "title", "caption")
        for e in getattr(at, kind)
    )


def _audit(url: str, action: AuditAction) -> list[AuditLog]:
    engine = make_engine(url)
    with Session(engine) as s:
        rows = list(s.exec(select(AuditLog).where(AuditLog.action == action.value)).all())
    engine.dispose()
    return rows


# --- navigation -----------------------------------------------------------------------------------


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_each_role_is_offered_its_pages(url: str, username: str) -> None:
    at = _ok(logged_in(_app(), url, username).run())
    assert _pages(at) == EXPECTED[username]
    sidebar = "\n".join(m.value for m in at.sidebar.markdown)
    assert ROLE_LABELS[username] in sidebar
    assert any(b.label == "退出登录" for b in at.sidebar.button)


def test_nav_table_matches_the_roles() -> None:
    assert nav.allowed_files(Role.LEADER) == {
        "overview.py",
        "township.py",
        "assessment.py",
        "training_audit.py",
    }
    assert "admin_users.py" not in nav.allowed_files(Role.COUNTY_STAFF)
    assert "overview.py" not in nav.allowed_files(Role.LOCAL_STAFF)
    assert {"admin_users.py", "admin_audit.py"} <= nav.allowed_files(Role.ADMIN)
    assert not {p for p in nav.allowed_files(Role.ADMIN) if p.startswith(("data_", "verify", "captcha"))}


def test_a_forbidden_page_cannot_be_opened(url: str) -> None:
    at = _ok(logged_in(_app(), url, "leader").run())
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/data_monthly.py")
    at = _ok(logged_in(_app(), url, "sanhe").run())
    with pytest.raises(ValueError):
        at.switch_page("app_pages/admin_users.py")


def test_a_township_user_opening_another_townships_link_sees_its_own(url: str) -> None:
    engine = make_engine(url)
    with Session(engine) as s:
        refs = {r.name: r for r in jurisdiction_list.list_jurisdictions(s)}
    engine.dispose()
    other = refs["名山街道"]
    at = logged_in(_app(), url, "sanhe")
    at.query_params["j"] = other.code
    _ok(at.run())
    assert at.title[0].value == "三合街道"
    box = at.selectbox(key="township.select")
    assert box.options == ["三合街道（乡镇（街道））"] and box.disabled
    assert "名山街道" not in _texts(at)
    # county staff following the same link see 名山街道
    at = logged_in(_app(), url, "county")
    at.query_params["j"] = other.code
    _ok(at.run())
    at.switch_page("app_pages/township.py")
    _ok(at.run())
    assert at.title[0].value == "名山街道"


def test_the_assessment_breakdown_is_only_the_township_users_own(url: str) -> None:
    at = _ok(logged_in(_app(), url, "sanhe").run())
    at.switch_page("app_pages/assessment.py")
    _ok(at.run())
    towns = next(d.value for d in at.dataframe if "等次" in d.value.columns)
    assert len(towns) == 30  # the ranking is public
    assert [o.split("（")[0] for o in at.selectbox(key="assessment.jurisdiction").options] == ["三合街道"]
    assert not [b for b in at.get("download_button") if "通报" in str(b.proto.label)]


# --- logging in and out ---------------------------------------------------------------------------


def test_nobody_logged_in_sees_only_the_login_page(url: str) -> None:
    at = _ok(_app().run())
    assert _is_login_page(at)
    assert _pages(at) == {"login"}
    assert not at.metric and not at.dataframe


def test_login_through_the_page_then_logout(url: str) -> None:
    at = _ok(_app().run())
    _login(at, "county", DEMO_PASSWORD)
    assert at.title[0].value == "总览"
    token = at.session_state["auth.token"]
    _ok(at.run())  # the next run writes the cookie and keeps the user logged in
    assert at.title[0].value == "总览"
    assert _audit(url, AuditAction.LOGIN)
    next(b for b in at.sidebar.button if b.label == "退出登录").click()
    _ok(at.run())
    assert _is_login_page(at)
    assert "已退出登录" in _texts(at)
    engine = make_engine(url)
    with Session(engine) as s:
        assert sessions.principal_from_token(s, token) is None  # the old cookie no longer works anywhere
    engine.dispose()


def test_wrong_password_and_lock_out(url: str) -> None:
    at = _ok(_app().run())
    for _ in range(MAX_FAILED_LOGINS):
        _login(at, "sanhe", "not-the-password-1")
        assert "用户名或密码不正确" in _texts(at)
        assert _is_login_page(at)
    _login(at, "sanhe", DEMO_PASSWORD)  # the right password, but locked now
    assert "锁定" in _texts(at) and _is_login_page(at)
    assert len(_audit(url, AuditAction.LOGIN_FAILED)) == MAX_FAILED_LOGINS + 1


def test_a_refresh_keeps_the_user_logged_in_through_the_cookie(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = token_for(url, "leader")
    monkeypatch.setattr(auth_ui, "cookie_token", lambda: token)
    at = _ok(_app().run())  # a new browser session: nothing in session state, only the cookie
    assert at.title[0].value == "总览"
    assert at.session_state["auth.token"] == token


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: t[:-3] + ("AAA" if not t.endswith("AAA") else "BBB"),  # signature tampered with
        lambda t: t.replace("v1.1.", "v1.4.", 1) if t.startswith("v1.1.") else "v1.4" + t[4:],  # other user
        lambda t: "v1.1.0.0.99999999999.c2lnbmF0dXJl",  # made up
        lambda t: "'; DROP TABLE user; --",
    ],
)
def test_a_forged_cookie_gets_the_login_page(url: str, monkeypatch: pytest.MonkeyPatch, forge: Any) -> None:
    forged = forge(token_for(url, "admin"))
    monkeypatch.setattr(auth_ui, "cookie_token", lambda: forged)
    at = _ok(_app().run())
    assert _is_login_page(at)
    assert "auth.token" not in at.session_state


def test_an_expired_token_gets_the_login_page(url: str) -> None:
    engine = make_engine(url)
    with Session(engine) as s:
        user = s.exec(select(User).where(User.username == "county")).one()
        stale = sessions.issue_token(user, now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=9))
    engine.dispose()
    at = _app()
    at.session_state["auth.token"] = stale
    _ok(at.run())
    assert _is_login_page(at)


def test_disabling_a_user_ends_the_open_session_at_once(url: str) -> None:
    from db.accounts import users
    from db.rules.access import SYSTEM_ADMIN

    at = _ok(logged_in(_app(), url, "sanhe").run())
    assert at.title[0].value == "三合街道"
    engine = make_engine(url)
    with Session(engine) as s:
        users.disable_user(s, principal=SYSTEM_ADMIN, username="sanhe")
        s.commit()
    engine.dispose()
    _ok(at.run())
    assert _is_login_page(at)


def test_sql_looking_login_input_is_just_a_wrong_username(url: str) -> None:
    at = _ok(_app().run())
    _login(at, "'; DROP TABLE user; --", "' OR '1'='1")
    assert "用户名或密码不正确" in _texts(at)
    engine = make_engine(url)
    with Session(engine) as s:
        assert len(s.exec(select(User)).all()) == 5
    engine.dispose()


# --- the administrator's pages --------------------------------------------------------------------


def test_admin_adds_a_user_who_can_then_log_in(url: str) -> None:
    at = _ok(logged_in(_app(), url, "admin").run())
    at.switch_page("app_pages/admin_users.py")
    _ok(at.run())
    assert at.title[0].value == "账号管理"
    assert len(at.dataframe[0].value) == 5
    form = [t for t in at.text_input if t.label in ("用户名", "姓名", "初始密码（至少 10 位）")]
    values = {
        "用户名": "mingshan",
        "姓名": '=HYPERLINK("http://x","点我")',
        "初始密码（至少 10 位）": "Mingshan-2023",
    }
    for box in form:
        box.input(values[box.label])
    at.selectbox[[s.label for s in at.selectbox].index("角色")].set_value(Role.LOCAL_STAFF)
    units = at.selectbox[
        [s.label for s in at.selectbox].index("所属乡镇（街道）或部门（仅乡镇/部门工作人员）")
    ]
    engine = make_engine(url)
    with Session(engine) as s:
        mingshan = next(r.id for r in jurisdiction_list.list_jurisdictions(s) if r.name == "名山街道")
    units.set_value(mingshan)
    next(b for b in at.button if b.label == "新增").click()
    _ok(at.run())
    assert "已新增账号" in _texts(at), _texts(at)
    with Session(engine) as s:
        user = s.exec(select(User).where(User.username == "mingshan")).one()
        assert user.display_name == '=HYPERLINK("http://x","点我")'  # stored as typed, as text
        assert user.jurisdiction_id == mingshan and user.role == "local_staff"
    engine.dispose()
    fresh = _ok(_app().run())
    _login(fresh, "mingshan", "Mingshan-2023")
    assert fresh.title[0].value == "名山街道"


def test_admin_audit_page_searches_and_exports(url: str) -> None:
    at = _ok(_app().run())
    _login(at, "admin", DEMO_PASSWORD)
    at.switch_page("app_pages/admin_audit.py")
    _ok(at.run())
    assert at.title[0].value == "审计日志"
    table = at.dataframe[0].value
    assert "登录" in set(table["操作"])
    at.text_input(key="admin.audit.username").input("nobody-like-this")
    _ok(at.run())
    assert at.dataframe[0].value.empty
    at.text_input(key="admin.audit.username").input("admin")
    _ok(at.run())
    next(b for b in at.button if b.label.startswith("导出")).click()
    _ok(at.run())
    payload = at.session_state["admin.audit.file.admin"]  # kept under the admin who exported it
    assert payload[:2] == b"PK"
    assert any(e.entity == "auditlog" for e in _audit(url, AuditAction.EXPORT))


@pytest.mark.parametrize(("username", "title"), [("sanhe", "乡镇（街道）详情"), ("jxw", "单位详情")])
def test_a_member_units_page_is_called_unit_detail(url: str, username: str, title: str) -> None:
    """A member unit is no 乡镇（街道）: its own page is offered as 单位详情 (issue 15 item 6)."""
    at = _ok(logged_in(_app(), url, username).run())
    titles = {
        Path(str(info["script_path"])).stem: info["page_name"] for info in at._registered_pages.values()
    }
    assert titles["township"] == title


def test_admin_page_warns_while_an_account_has_the_demo_password(url: str) -> None:
    """Issue 11 item 10: the public demo password must not survive unnoticed."""
    at = _ok(logged_in(_app(), url, "admin").run())
    at.switch_page("app_pages/admin_users.py")
    _ok(at.run())
    (warning,) = [w.value for w in at.warning if "演示密码" in w.value]
    assert "5 个账号" in warning and "admin、county、jxw、leader、sanhe" in warning
    engine = make_engine(url)
    with Session(engine) as s:
        for user in s.exec(select(User)).all():
            user.password_hash = hash_password("Hdx-7731-wq-peixun")
            s.add(user)
        s.commit()
    engine.dispose()
    at.run()
    assert not [w.value for w in at.warning if "演示密码" in w.value]
