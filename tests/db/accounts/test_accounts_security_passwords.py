"""修改密码 counts wrong old passwords like a login; locked and unknown accounts answer alike;
reserved usernames (issue 11 item 9)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, col, select

from db.accounts import auth, users
from db.accounts.auth import BAD_CREDENTIALS, MAX_FAILED_LOGINS, LoginFailed, authenticate
from db.accounts.users import OLD_PASSWORD_WRONG, UserError
from db.codes import AuditAction, Role
from db.models import AuditLog
from db.rules.access import SYSTEM, Principal
from tests.kits.accountkit import NOW, PASSWORD, World

NEW_PASSWORD = "Hdx-7731-wq-peixun"


def test_wrong_old_passwords_count_towards_the_lock_out(world: World, session: Session) -> None:
    user = world.user("county1", Role.COUNTY_STAFF)
    me = world.principal("county1x", Role.COUNTY_STAFF)  # another user, to be sure the count is per account
    assert me.user_id != user.id
    principal = Principal(username="county1", role=Role.COUNTY_STAFF, user_id=user.id)
    for n in range(MAX_FAILED_LOGINS):
        with pytest.raises(UserError, match="原密码不正确"):
            users.change_password(
                session,
                principal=principal,
                old_password=f"guess-{n}-xyz",
                new_password=NEW_PASSWORD,
                now=NOW,
            )
        session.rollback()  # what the page's session_scope does on the error: the count must stay
    session.refresh(user)
    assert user.failed_logins == MAX_FAILED_LOGINS and user.locked_until is not None
    # locked: the right old password is refused too, and so is the login
    with pytest.raises(UserError, match="原密码不正确"):
        users.change_password(
            session, principal=principal, old_password=PASSWORD, new_password=NEW_PASSWORD, now=NOW
        )
    with pytest.raises(LoginFailed):
        authenticate(session, username="county1", password=PASSWORD, now=NOW + dt.timedelta(minutes=1))
    details = [
        e.detail
        for e in session.exec(select(AuditLog).where(AuditLog.action == AuditAction.LOGIN_FAILED.value))
    ]
    assert details.count("修改密码时原密码错误") == MAX_FAILED_LOGINS - 1


def test_right_old_password_changes_it_and_resets_the_count(world: World, session: Session) -> None:
    user = world.user("county1", Role.COUNTY_STAFF)
    principal = Principal(username="county1", role=Role.COUNTY_STAFF, user_id=user.id)
    with pytest.raises(UserError, match=OLD_PASSWORD_WRONG.split("（")[0]):
        users.change_password(
            session, principal=principal, old_password="nope-nope-1", new_password=NEW_PASSWORD
        )
    users.change_password(
        session, principal=principal, old_password=PASSWORD, new_password=NEW_PASSWORD, now=NOW
    )
    session.commit()
    session.refresh(user)
    assert user.failed_logins == 0
    assert authenticate(session, username="county1", password=NEW_PASSWORD, now=NOW).user_id == user.id


def _timed_refusal(session: Session, username: str, password: str, hashes: list[str]) -> tuple[str, int]:
    before = len(hashes)
    with pytest.raises(LoginFailed) as caught:
        authenticate(session, username=username, password=password, now=NOW + dt.timedelta(minutes=1))
    return caught.value.message, len(hashes) - before


def test_locked_and_unknown_accounts_answer_alike(
    world: World, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same message, and each refusal checks exactly one argon2 hash of the same cost (similar time)."""
    hashes: list[str] = []
    real_verify = auth.verify_password

    def counted(password_hash: str, password: str, **kwargs: object) -> bool:
        hashes.append(password_hash)
        return real_verify(password_hash, password)

    monkeypatch.setattr(auth, "_DUMMY_HASH", auth.hash_password("\x00dummy\x00"))  # the tests' cheap hasher
    monkeypatch.setattr(auth, "verify_password", counted)
    world.user("county1", Role.COUNTY_STAFF)
    for n in range(MAX_FAILED_LOGINS):
        with pytest.raises(LoginFailed):
            authenticate(session, username="county1", password=f"wrong-{n}-password", now=NOW)
    locked, locked_checks = _timed_refusal(session, "county1", PASSWORD, hashes)
    unknown, unknown_checks = _timed_refusal(session, "nobody", PASSWORD, hashes)
    wrong_user = world.user("county2", Role.COUNTY_STAFF)
    wrong, wrong_checks = _timed_refusal(session, wrong_user.username, "wrong-password-9", hashes)
    assert locked == unknown == wrong == BAD_CREDENTIALS
    assert locked_checks == unknown_checks == wrong_checks == 1
    assert {h.split("$")[3] for h in hashes} == {"m=1024,t=1,p=1"}  # one cost for every hash checked


@pytest.mark.parametrize("name", ["system", " SYSTEM ", SYSTEM.display_name])
def test_reserved_usernames_are_refused(world: World, session: Session, admin: Principal, name: str) -> None:
    with pytest.raises(UserError, match="系统保留"):
        users.add_user(session, principal=admin, username=name, password=NEW_PASSWORD, role=Role.COUNTY_STAFF)


def test_the_command_lines_display_name_is_refused(world: World, session: Session, admin: Principal) -> None:
    with pytest.raises(UserError, match="系统保留"):
        users.add_user(
            session,
            principal=admin,
            username="clerk1",
            password=NEW_PASSWORD,
            role=Role.COUNTY_STAFF,
            display_name=SYSTEM.display_name,
        )
    assert session.exec(select(col(AuditLog.id))).first() is None
