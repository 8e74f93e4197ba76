"""Login cookie tokens: round trip, forgery, tampering, expiry, logout and other invalidations."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest
from sqlmodel import Session, select

from db.accounts import sessions
from db.accounts.sessions import issue_token, logout, principal_from_token
from db.accounts.users import change_role, disable_user, reset_password
from db.codes import AuditAction, Role
from db.models import AuditLog, User
from db.rules.access import SYSTEM_ADMIN
from tests.kits.accountkit import NOW, PASSWORD, World

KEY = b"k" * 32
OTHER_KEY = b"o" * 32


def _issue(user: User, **kw: object) -> str:
    return issue_token(user, now=NOW, key=KEY, **kw)  # type: ignore[arg-type]


def _check(session: Session, token: str | None, *, now: dt.datetime = NOW, key: bytes = KEY) -> int | None:
    principal = principal_from_token(session, token, now=now, key=key)
    return None if principal is None else principal.user_id


def test_round_trip(world: World, session: Session) -> None:
    user = world.user("town_a", Role.LOCAL_STAFF, jurisdiction="甲镇")
    token = _issue(user)
    principal = principal_from_token(session, token, now=NOW + dt.timedelta(hours=1), key=KEY)
    assert principal is not None
    assert (principal.user_id, principal.role, principal.jurisdiction_id) == (
        user.id,
        Role.LOCAL_STAFF,
        world.ids["甲镇"],
    )
    assert all(c.isalnum() or c in "._-" for c in token)


def test_expired_token_is_refused(world: World, session: Session) -> None:
    user = world.user("county1", Role.COUNTY_STAFF)
    token = _issue(user, ttl=dt.timedelta(minutes=30))
    assert _check(session, token, now=NOW + dt.timedelta(minutes=29)) == user.id
    assert _check(session, token, now=NOW + dt.timedelta(minutes=30)) is None
    assert _check(session, _issue(user), now=NOW + sessions.DEFAULT_TTL + dt.timedelta(seconds=1)) is None


def test_token_from_the_future_is_refused(world: World, session: Session) -> None:
    user = world.user("county1", Role.COUNTY_STAFF)
    token = issue_token(user, now=NOW + dt.timedelta(hours=1), key=KEY)
    assert _check(session, token) is None


def _tamper(token: str, index: int, value: str) -> str:
    parts = token.split(".")
    parts[index] = value
    return ".".join(parts)


def test_forged_and_tampered_tokens_are_refused(world: World, session: Session) -> None:
    victim = world.user("admin1", Role.ADMIN)
    attacker = world.user("town_a", Role.LOCAL_STAFF, jurisdiction="甲镇")
    token = _issue(attacker)
    assert _check(session, token) == attacker.id
    forged = [
        _tamper(token, 1, str(victim.id)),  # someone else's id, old signature
        _tamper(token, 4, str(int(token.split(".")[4]) + 86400 * 365)),  # extended expiry
        _tamper(token, 2, "7"),  # another session version
        _tamper(token, 5, "A" * 43),  # made-up signature
        _tamper(token, 5, ""),
        _tamper(token, 0, "v0"),
        issue_token(victim, now=NOW, key=OTHER_KEY),  # signed with another key
        token + "x",
        token.replace(".", "", 1),
        "v1.1.0.0.99999999999.",
        "",
        "garbage",
        "é" * 50,
        "v1." + "9" * 500,
    ]
    for bad in forged:
        assert _check(session, bad) is None, bad
    assert _check(session, None) is None


def test_logout_invalidates_every_token_of_the_user(world: World, session: Session) -> None:
    user = world.user("county1", Role.COUNTY_STAFF)
    other = world.user("county2", Role.COUNTY_STAFF)
    first, second, others = _issue(user), _issue(user), _issue(other)
    principal = principal_from_token(session, first, now=NOW, key=KEY)
    assert principal is not None
    logout(session, principal=principal, now=NOW)
    assert _check(session, first) is None and _check(session, second) is None
    assert _check(session, others) == other.id
    session.refresh(user)
    assert _check(session, _issue(user)) == user.id  # a new login works
    entry = session.exec(select(AuditLog).where(AuditLog.action == AuditAction.LOGOUT.value)).one()
    assert entry.user_id == user.id


@pytest.mark.parametrize("change", ["disable", "reset_password", "change_role", "deactivate_directly"])
def test_admin_changes_end_open_sessions(world: World, session: Session, change: str) -> None:
    world.user("admin1", Role.ADMIN)
    user = world.user("county1", Role.COUNTY_STAFF)
    token = _issue(user)
    assert _check(session, token) == user.id
    if change == "disable":
        disable_user(session, principal=SYSTEM_ADMIN, username="county1")
    elif change == "reset_password":
        reset_password(session, principal=SYSTEM_ADMIN, username="county1", password="Brand-new-pass-1")
    elif change == "change_role":
        change_role(session, principal=SYSTEM_ADMIN, username="county1", role=Role.LEADER)
    else:  # disabled by other means, without a version bump: still refused
        user.active = False
        session.add(user)
    session.commit()
    assert _check(session, token) is None


def test_role_is_read_fresh_from_the_database(world: World, session: Session) -> None:
    user = world.user("county1", Role.COUNTY_STAFF)
    token = _issue(user)
    user.display_name = "新名字"
    session.add(user)
    session.commit()
    principal = principal_from_token(session, token, now=NOW, key=KEY)
    assert principal is not None and principal.display_name == "新名字"


def test_deleted_user_token_is_refused(world: World, session: Session) -> None:
    user = world.user("county1", Role.COUNTY_STAFF)
    token = _issue(user)
    session.delete(user)
    session.commit()
    assert _check(session, token) is None


def test_key_file_is_created_once_with_owner_only_permissions(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secret_key"
    first = sessions.signing_key(secret="", key_file=path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sessions.signing_key(secret="", key_file=path) == first  # survives a restart
    assert sessions.signing_key(secret="configured-secret", key_file=path) != first
    assert sessions.signing_key(secret="configured-secret") == sessions.signing_key(
        secret="configured-secret"
    )


def test_truncated_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret_key"
    path.write_text("short")
    with pytest.raises(ValueError, match="密钥文件"):
        sessions.signing_key(secret="", key_file=path)


def test_default_key_comes_from_settings(
    monkeypatch: pytest.MonkeyPatch, world: World, session: Session
) -> None:
    from anpei.settings import get_settings

    monkeypatch.setenv("ANPEI_SECRET_KEY", "a-long-random-deployment-secret-0123456789")
    get_settings.cache_clear()
    try:
        user = world.user("county1", Role.COUNTY_STAFF)
        token = issue_token(user, now=NOW)
        assert principal_from_token(session, token, now=NOW) is not None
        assert principal_from_token(session, token, now=NOW, key=KEY) is None
    finally:
        get_settings.cache_clear()


def test_cookie_scripts() -> None:
    script = sessions.set_cookie_script("v1.1.0.1.2.abc-_", ttl=dt.timedelta(hours=8))
    assert "anpei_session=v1.1.0.1.2.abc-_" in script and "Max-Age=28800" in script
    assert "SameSite=Strict" in script and "Secure" in script
    assert "Secure" not in sessions.set_cookie_script("abc", secure=False)
    assert "Max-Age=0" in sessions.clear_cookie_script()
    with pytest.raises(ValueError):
        sessions.set_cookie_script('x";alert(1);"')


def test_password_never_in_token(world: World) -> None:
    user = world.user("county1", Role.COUNTY_STAFF)
    token = _issue(user)
    assert PASSWORD not in token and "county1" not in token
