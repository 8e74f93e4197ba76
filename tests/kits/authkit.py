"""Logging in for the AppTest and browser tests: a signed token for an existing account.

AppTests put it in `at.session_state["auth.token"]` (the login gate resolves it on every run);
`login_through_page` logs in through the login form like a person would.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from db.accounts import sessions
from db.codes import Role
from db.engine import make_engine
from db.models import User
from db.rules.access import Principal

# The sample county's demo accounts (db.sample.seed.DEMO_PASSWORD)
DEMO_USERS = {"admin": "admin", "leader": "leader", "county": "county_staff", "sanhe": "local_staff"}


def token_for(url: str, username: str) -> str:
    """A fresh login token for `username` in the database at `url`."""
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            user = s.exec(select(User).where(User.username == username)).one()
            return sessions.issue_token(user)
    finally:
        engine.dispose()


def logged_in(at: Any, url: str, username: str = "county") -> Any:
    """The AppTest `at`, logged in as `username` (before its first run)."""
    at.session_state["auth.token"] = token_for(url, username)
    return at


COUNTY_STAFF = Principal(username="county-test", role=Role.COUNTY_STAFF, display_name="县局测试")


def acting(at: Any, principal: Principal = COUNTY_STAFF) -> Any:
    """The AppTest of a page run on its own (no login gate), acting as `principal`."""
    at.session_state["auth.principal"] = principal
    return at


def logged_in_page(at: Any, url: str, username: str = "county") -> Any:
    """A page run on its own, acting as a seeded account (its audit entries carry the user)."""
    from db.accounts.auth import principal_for

    engine = make_engine(url)
    try:
        with Session(engine) as s:
            user = s.exec(select(User).where(User.username == username)).one()
            at.session_state["auth.principal"] = principal_for(user)
    finally:
        engine.dispose()
    return at


def browser_log_in(page: Any, base: str, username: str, password: str | None = None) -> None:
    """Log in through the login page in a Playwright page; returns once the cookie is written."""
    from db.sample.seed import DEMO_PASSWORD

    page.goto(f"{base}/", wait_until="domcontentloaded")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(password or DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="退出登录").wait_for(timeout=60_000)
    page.wait_for_function("() => document.cookie.includes('anpei_session=')", timeout=30_000)
