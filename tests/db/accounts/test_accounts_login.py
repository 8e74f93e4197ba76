"""Logins: success, failures with one message, lock-out and its expiry, disabled users, rehash, audit."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from argon2 import PasswordHasher
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from db.accounts import auth
from db.accounts.auth import BAD_CREDENTIALS, LOCKOUT, MAX_FAILED_LOGINS, LoginFailed, authenticate
from db.codes import AuditAction, Role
from db.models import AuditLog, User
from tests.kits.accountkit import NOW, PASSWORD, World


def _log(session: Session) -> list[AuditLog]:
    return list(session.exec(select(AuditLog).order_by(col(AuditLog.id))))


def _fail(session: Session, username: str, password: str, now: dt.datetime = NOW) -> str:
    with pytest.raises(LoginFailed) as caught:
        authenticate(session, username=username, password=password, now=now)
    return caught.value.message


def test_success_returns_principal_and_is_audited(world: World, session: Session) -> None:
    user = world.user("town_a", Role.LOCAL_STAFF, jurisdiction="甲镇")
    principal = authenticate(session, username="  Town_A ", password=PASSWORD, now=NOW)
    assert (principal.username, principal.role, principal.user_id) == ("town_a", Role.LOCAL_STAFF, user.id)
    assert principal.jurisdiction_id == world.ids["甲镇"]
    session.refresh(user)
    assert user.last_login_at == NOW
    (entry,) = _log(session)
    assert (entry.action, entry.user_id, entry.username) == (AuditAction.LOGIN.value, user.id, "town_a")


def test_unknown_user_and_wrong_password_give_the_same_message(world: World, session: Session) -> None:
    world.user("county1", Role.COUNTY_STAFF)
    assert _fail(session, "county1", "wrong-password-1") == BAD_CREDENTIALS
    assert _fail(session, "nobody", PASSWORD) == BAD_CREDENTIALS
    assert _fail(session, "", "") == BAD_CREDENTIALS
    entries = _log(session)
    assert [e.action for e in entries] == [AuditAction.LOGIN_FAILED.value] * 3
    assert entries[1].user_id is None and entries[1].username == "nobody"


def test_lock_out_after_repeated_failures_and_unlock_after_time(world: World, session: Session) -> None:
    user = world.user("county1", Role.COUNTY_STAFF)
    for n in range(MAX_FAILED_LOGINS):
        assert (
            _fail(session, "county1", f"wrong-password-{n}", NOW + dt.timedelta(seconds=n)) == BAD_CREDENTIALS
        )
    session.refresh(user)
    assert user.failed_logins == MAX_FAILED_LOGINS
    assert user.locked_until == NOW + dt.timedelta(seconds=MAX_FAILED_LOGINS - 1) + LOCKOUT
    # locked: even the right password is refused, with the same answer as a wrong one
    assert _fail(session, "county1", PASSWORD, NOW + dt.timedelta(minutes=5)) == BAD_CREDENTIALS
    # the lock runs out
    later = user.locked_until + dt.timedelta(seconds=1)
    principal = authenticate(session, username="county1", password=PASSWORD, now=later)
    assert principal.user_id == user.id
    session.refresh(user)
    assert (user.failed_logins, user.locked_until) == (0, None)


def test_failures_after_lock_expires_count_from_zero(world: World, session: Session) -> None:
    user = world.user("county1", Role.COUNTY_STAFF)
    for _ in range(MAX_FAILED_LOGINS):
        _fail(session, "county1", "wrong-password-x")
    after = NOW + LOCKOUT + dt.timedelta(minutes=1)
    _fail(session, "county1", "wrong-password-y", after)
    session.refresh(user)
    assert (user.failed_logins, user.locked_until) == (1, None)


def test_success_resets_failure_counter(world: World, session: Session) -> None:
    user = world.user("county1", Role.COUNTY_STAFF)
    for _ in range(MAX_FAILED_LOGINS - 1):
        _fail(session, "county1", "wrong-password-x")
    authenticate(session, username="county1", password=PASSWORD, now=NOW)
    _fail(session, "county1", "wrong-password-x")
    session.refresh(user)
    assert user.failed_logins == 1 and user.locked_until is None


def test_disabled_user_is_refused(world: World, session: Session) -> None:
    world.user("gone", Role.COUNTY_STAFF, active=False)
    assert _fail(session, "gone", PASSWORD) == auth.DISABLED
    assert _fail(session, "gone", "wrong-password-1") == BAD_CREDENTIALS  # no hint without the password


def test_rehash_on_login_when_parameters_change(
    world: World, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = world.user("county1", Role.COUNTY_STAFF)
    old_hash = user.password_hash
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    monkeypatch.setattr(auth, "_hasher", stronger)
    authenticate(session, username="county1", password=PASSWORD, now=NOW)
    session.refresh(user)
    assert user.password_hash != old_hash and "m=2048,t=2,p=1" in user.password_hash
    assert auth.verify_password(user.password_hash, PASSWORD)


def test_naive_now_is_refused(world: World, session: Session) -> None:
    with pytest.raises(ValueError):
        authenticate(session, username="x", password="y", now=dt.datetime(2024, 1, 1))


@pytest.mark.parametrize("attempt", ["' OR '1'='1", 'admin\'; DROP TABLE "user"; --', "=cmd|' /C calc'!A0"])
def test_sql_looking_usernames_are_just_unknown(world: World, session: Session, attempt: str) -> None:
    world.user("county1", Role.COUNTY_STAFF)
    assert _fail(session, attempt, attempt) == BAD_CREDENTIALS
    assert session.exec(select(User)).all()  # the table is still there


def test_no_password_in_any_audit_entry(world: World, session: Session) -> None:
    world.user("county1", Role.COUNTY_STAFF)
    secrets = ["wrong-password-secret", PASSWORD]
    _fail(session, "county1", secrets[0])
    authenticate(session, username="county1", password=PASSWORD, now=NOW)
    for entry in _log(session):
        text = repr((entry.username, entry.entity_id, entry.before, entry.after, entry.detail))
        assert not any(s in text for s in secrets)
        assert "argon2" not in text


def test_local_staff_without_jurisdiction_is_refused(world: World, session: Session) -> None:
    user = world.user("town_a", Role.LOCAL_STAFF, jurisdiction="甲镇")
    user.jurisdiction_id = None  # e.g. the jurisdiction was removed by a reseed
    session.add(user)
    session.commit()
    assert _fail(session, "town_a", PASSWORD) == auth.NO_JURISDICTION


# --- lock-out under parallel guesses (issue 11 item 1) --------------------------------------------


def _parallel_logins(engine: Engine, passwords: list[str], *, checked: list[str]) -> list[str]:
    """Run one login per password in its own thread and session, all at once; each one's outcome."""
    barrier = threading.Barrier(len(passwords))
    outcomes: list[str] = [""] * len(passwords)
    real_verify = auth.verify_password

    def slow_verify(password_hash: str, password: str, **kwargs: object) -> bool:
        if password_hash != auth._DUMMY_HASH:
            checked.append(password)
        time.sleep(0.05)  # as slow as argon2 with the real parameters: the window of the race
        return real_verify(password_hash, password)

    def attempt(index: int, password: str) -> None:
        barrier.wait()
        with Session(engine) as s:
            try:
                authenticate(s, username="county1", password=password, now=NOW)
                outcomes[index] = "ok"
            except LoginFailed:
                outcomes[index] = "refused"

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "verify_password", slow_verify)
        patch.setattr(auth, "_DUMMY_HASH", auth.hash_password("\x00dummy\x00"))  # the tests' cheap hasher
        threads = [threading.Thread(target=attempt, args=(n, p)) for n, p in enumerate(passwords)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    return outcomes


def test_lock_out_holds_under_40_parallel_wrong_logins(
    world: World, session: Session, engine: Engine
) -> None:
    user = world.user("county1", Role.COUNTY_STAFF)
    checked: list[str] = []
    outcomes = _parallel_logins(engine, [f"wrong-password-{n}" for n in range(40)], checked=checked)
    assert outcomes == ["refused"] * 40
    assert len(checked) == MAX_FAILED_LOGINS  # no more guesses than the limit were ever checked
    session.refresh(user)
    assert user.failed_logins >= MAX_FAILED_LOGINS and user.locked_until == NOW + LOCKOUT
    # after the limit the right password is refused too, with the same answer
    assert _fail(session, "county1", PASSWORD, NOW + dt.timedelta(minutes=1)) == BAD_CREDENTIALS


def test_parallel_guesses_including_the_right_one_check_at_most_the_limit(
    world: World, session: Session, engine: Engine
) -> None:
    world.user("county1", Role.COUNTY_STAFF)
    checked: list[str] = []
    passwords = [f"wrong-password-{n}" for n in range(39)] + [PASSWORD]
    outcomes = _parallel_logins(engine, passwords, checked=checked)
    assert outcomes.count("ok") == (1 if PASSWORD in checked else 0)
    assert outcomes.count("refused") >= 39
    if "ok" not in outcomes:
        assert len(checked) == MAX_FAILED_LOGINS
    else:  # the right password reset the count: at most the limit again after it
        assert len(checked) <= 2 * MAX_FAILED_LOGINS
