"""Passwords and logins: argon2id hashes, the password policy, lock-out, and `authenticate`.

`authenticate` is the one way in: it checks the password, counts failures, locks the account for
`LOCKOUT` after `MAX_FAILED_LOGINS` failures in a row, upgrades old hashes, audits every attempt
(never the password) and returns the user's `Principal`.
"""

from __future__ import annotations

import datetime as dt

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import and_, case, or_, update
from sqlmodel import Session, col, select

from db.audit import trail
from db.codes import AuditAction, Role
from db.models import User
from db.rules.access import Principal

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)

# One answer for an unknown username, a wrong password and a locked account (no hint which).
BAD_CREDENTIALS = f"用户名或密码不正确（连续输错 {MAX_FAILED_LOGINS} 次的账号将锁定 {int(LOCKOUT.total_seconds() // 60)} 分钟）"
DISABLED = "账号已停用，请联系管理员"
NO_JURISDICTION = "账号未设置所属乡镇（街道）或部门，请联系管理员"

# argon2-cffi's defaults are argon2id with RFC 9106's low-memory profile (t=3, m=64 MiB, p=4).
_hasher = PasswordHasher()


class LoginFailed(Exception):
    """The login was refused; `message` is Chinese and safe to show on the login page."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PasswordPolicyError(ValueError):
    """The new password breaks the policy; the message is Chinese and safe to show."""


# --- hashing ------------------------------------------------------------------------------------


def hash_password(password: str, *, hasher: PasswordHasher | None = None) -> str:
    """An argon2id hash with a random salt, in PHC string format."""
    return (hasher or _hasher).hash(password)


def verify_password(password_hash: str, password: str, *, hasher: PasswordHasher | None = None) -> bool:
    """True when `password` matches; False for a mismatch, an empty or a malformed hash."""
    if not password_hash:
        return False
    try:
        return (hasher or _hasher).verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str, *, hasher: PasswordHasher | None = None) -> bool:
    """True when the hash was made with other parameters than the current hasher's."""
    try:
        return (hasher or _hasher).check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


# A hash of nothing anyone can type, verified when the username is unknown so that a miss costs
# as long as a wrong password (no timing hint about which usernames exist). Made on first use, not at
# import: one argon2 hash is about 0.1 s of CPU, paid by every `anpei` command and every process
# that merely imported this module.
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password("\x00anpei-no-such-user\x00")
    return _DUMMY_HASH


# --- policy -------------------------------------------------------------------------------------


# Passwords that guessers try first: the sample county's public demo password (`anpeidemo`), and words whose
# letters (digits and symbols taken away) are a common word or a keyboard run (`password12`,
# `Admin12345`, `qwertyuiop`, `abc-123456`).
_COMMON_WORDS = frozenset(
    {
        "password",
        "passwrd",
        "pass",
        "admin",
        "administrator",
        "root",
        "user",
        "login",
        "welcome",
        "letmein",
        "iloveyou",
        "monkey",
        "dragon",
        "master",
        "sunshine",
        "princess",
        "football",
        "superman",
        "shadow",
        "secret",
        "changeme",
        "default",
        "test",
        "guest",
        "hello",
        "anpei",
        "anpeidemo",
        "mima",
        "woaini",
        "zhongguo",
        "china",
        "qwerty",
        "azerty",
    }
)
_KEYBOARD_RUNS = ("qwertyuiopasdfghjklzxcvbnm", "abcdefghijklmnopqrstuvwxyz", "qazwsxedcrfvtgbyhnujmikolp")


_LEET = str.maketrans("@4310$5!7", "aaeiossit")


def _is_common(password: str) -> bool:
    folded = password.casefold()
    letters = "".join(ch for ch in folded if ch.isalpha())
    if len(letters) < 3:
        return True  # digits and symbols with at most two letters: `1234567890ab`
    if any(letters in run or letters in run[::-1] for run in _KEYBOARD_RUNS):
        return True
    for text in (letters, "".join(ch for ch in folded.translate(_LEET) if ch.isalpha())):
        if text in _COMMON_WORDS or any(len(word) >= 6 and word in text for word in _COMMON_WORDS):
            return True
    return False


def password_problem(password: str, *, username: str) -> str | None:
    """What is wrong with a proposed password (Chinese), or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"密码至少需要 {MIN_PASSWORD_LENGTH} 位"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"密码不能超过 {MAX_PASSWORD_LENGTH} 位"
    if password.isdigit():
        return "密码不能全是数字"
    if password.strip() != password:
        return "密码首尾不能有空格"
    if username and password.casefold() == username.strip().casefold():
        return "密码不能与用户名相同"
    if len(set(password)) == 1:
        return "密码不能由同一个字符重复组成"
    if _is_common(password):
        return "密码太常见（如 password12、Admin12345、qwertyuiop 或演示密码），请换一个不易猜到的密码"
    return None


def check_password_policy(password: str, *, username: str) -> None:
    """Raise PasswordPolicyError (Chinese message) unless the password meets the policy."""
    problem = password_problem(password, username=username)
    if problem:
        raise PasswordPolicyError(problem)


# --- login --------------------------------------------------------------------------------------


def principal_for(user: User) -> Principal:
    """The Principal acting for this user (role and jurisdiction as stored now)."""
    return Principal(
        username=user.username,
        role=Role(user.role),
        user_id=user.id,
        jurisdiction_id=user.jurisdiction_id,
        display_name=user.display_name,
    )


def normalise_username(username: str) -> str:
    """Usernames compare case-insensitively and without surrounding spaces."""
    return username.strip().casefold()


def _aware(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now


def is_locked(user: User, *, now: dt.datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def _claim_attempt(session: Session, *, name: str, now: dt.datetime) -> int | None:
    """Count this attempt before the password is checked; the attempt's number, or None.

    One atomic UPDATE … RETURNING: parallel attempts each get their own number, so no more than
    `MAX_FAILED_LOGINS` of them are ever checked (the counter is never read, then written). None when
    the account is unknown or locked. A lock that has run out starts the count again at 1.
    """
    expired = and_(col(User.locked_until).is_not(None), col(User.locked_until) <= now)
    statement = (
        update(User)
        .where(col(User.username) == name)
        .where(or_(col(User.locked_until).is_(None), col(User.locked_until) <= now))
        .values(
            failed_logins=case((expired, 1), else_=col(User.failed_logins) + 1),
            locked_until=case((expired, None), else_=col(User.locked_until)),
        )
        .returning(col(User.failed_logins))
        .execution_options(synchronize_session=False)
    )
    number = session.execute(statement).scalar_one_or_none()
    session.commit()
    return number


def _lock(session: Session, *, user_id: int, now: dt.datetime) -> None:
    """Lock the account (once: a lock already running is not extended by later attempts)."""
    session.execute(
        update(User)
        .where(col(User.id) == user_id)
        .where(or_(col(User.locked_until).is_(None), col(User.locked_until) <= now))
        .values(locked_until=now + LOCKOUT)
        .execution_options(synchronize_session=False)
    )


def authenticate(
    session: Session, *, username: str, password: str, now: dt.datetime | None = None
) -> Principal:
    """The Principal for a correct username and password; LoginFailed(message) otherwise.

    Every attempt is counted before the password is checked (`_claim_attempt`), so the lock-out
    holds under parallel guesses. Commits: failure counters, the lock, a rehashed password and the
    audit entry are kept whether the login succeeds or not. An unknown username, a wrong password
    and a locked account give the same message and cost the same time.
    """
    now = _aware(now)
    name = normalise_username(username)
    anonymous = Principal(username=name[:50] or "(空)", role=Role.LEADER)
    number = _claim_attempt(session, name=name, now=now) if name else None
    user = session.exec(select(User).where(User.username == name)).first() if name else None

    def refuse(message: str, *, detail: str, who: Principal) -> LoginFailed:
        trail.record(
            session,
            principal=who,
            action=AuditAction.LOGIN_FAILED,
            entity="user",
            entity_id=user.id if user else "",
            detail=detail,
            at=now,
        )
        session.commit()
        return LoginFailed(message)

    if user is None:
        verify_password(_dummy_hash(), password)
        raise refuse(BAD_CREDENTIALS, detail="用户名不存在", who=anonymous)

    assert user.id is not None
    who = Principal(username=user.username, role=Role.LEADER, user_id=user.id)
    if number is None or number > MAX_FAILED_LOGINS:  # locked, or over the limit: never checked
        verify_password(_dummy_hash(), password)
        _lock(session, user_id=user.id, now=now)
        raise refuse(BAD_CREDENTIALS, detail="账号锁定期间尝试登录", who=who)

    if not verify_password(user.password_hash, password):
        detail = f"密码错误（连续第 {number} 次）"
        if number >= MAX_FAILED_LOGINS:
            _lock(session, user_id=user.id, now=now)
            detail += f"，账号锁定 {int(LOCKOUT.total_seconds() // 60)} 分钟"
        raise refuse(BAD_CREDENTIALS, detail=detail, who=who)

    user.failed_logins = 0  # the password was right: the count starts again whatever follows
    session.add(user)
    if not user.active:
        raise refuse(DISABLED, detail="账号已停用", who=who)

    try:
        principal = principal_for(user)
    except ValueError:  # local staff whose jurisdiction link was removed
        raise refuse(NO_JURISDICTION, detail="账号未设置所属单位", who=who) from None

    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    session.add(user)
    trail.record(
        session, principal=principal, action=AuditAction.LOGIN, entity="user", entity_id=user.id, at=now
    )
    session.commit()
    return principal


def check_own_password(
    session: Session, *, user: User, password: str, now: dt.datetime | None = None
) -> bool:
    """The password a logged-in user types again (修改密码's 原密码), counted like a login attempt.

    A wrong one counts towards the lock-out and is audited; a locked account is refused whatever
    is typed. Commits (the count and the lock must outlast the caller's rollback).
    """
    now = _aware(now)
    assert user.id is not None
    number = _claim_attempt(session, name=user.username, now=now)
    who = Principal(username=user.username, role=Role.LEADER, user_id=user.id)
    if number is not None and number <= MAX_FAILED_LOGINS and verify_password(user.password_hash, password):
        session.execute(
            update(User)
            .where(col(User.id) == user.id)
            .values(failed_logins=0)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return True
    if number is None or number > MAX_FAILED_LOGINS:
        verify_password(_dummy_hash(), password)
    detail = "修改密码时原密码错误"
    if number is None or number >= MAX_FAILED_LOGINS:
        _lock(session, user_id=user.id, now=now)
        detail += "，账号锁定"
    trail.record(
        session,
        principal=who,
        action=AuditAction.LOGIN_FAILED,
        entity="user",
        entity_id=user.id,
        detail=detail,
        at=now,
    )
    session.commit()
    return False
