"""Signed, expiring login tokens for the dashboard cookie (no server-side session table).

A token is `v1.<user id>.<session version>.<issued at>.<expires at>.<signature>`: the signature is
HMAC-SHA256 over the rest with the secret key, compared in constant time. A token stops working
when it expires, when the user is disabled, and whenever the user's `session_version` is bumped
(logout, password reset, disable, role change), so old cookies cannot be replayed.

The key is `Settings.secret_key`; when that is empty a random key is generated once and kept in
`var/secret_key` (mode 0600), so logins survive a restart.

Dashboard use (Streamlit): read `st.context.cookies.get(COOKIE_NAME)`, call `principal_from_token`;
after `db.accounts.auth.authenticate` succeeds call `issue_token` and render `set_cookie_script(token)` with
`st.html(..., unsafe_allow_javascript=True)`; on logout call `logout` and render
`clear_cookie_script()`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from sqlmodel import Session

from anpei.settings import VAR_DIR, get_settings
from db.accounts.auth import principal_for
from db.audit import trail
from db.codes import AuditAction
from db.models import User
from db.rules.access import Principal

COOKIE_NAME = "anpei_session"
DEFAULT_TTL = dt.timedelta(hours=8)
VERSION = "v1"
CLOCK_SKEW = dt.timedelta(minutes=2)  # tokens "issued" slightly in the future are still accepted


# --- the key ------------------------------------------------------------------------------------


def default_key_file() -> Path:
    return VAR_DIR / "secret_key"


def load_or_create_key_file(path: Path) -> bytes:
    """The key kept in `path`; created (random, 32 bytes, mode 0600) the first time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        text = path.read_text(encoding="ascii").strip()
        if len(text) < 32:
            raise ValueError(f"密钥文件内容无效：{path}") from None
        return text.encode("ascii")
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_hex(32) + "\n")
    return path.read_text(encoding="ascii").strip().encode("ascii")


def signing_key(*, secret: str | None = None, key_file: Path | None = None) -> bytes:
    """The HMAC key: from `secret` (default Settings.secret_key), else from the key file.

    Derived with a purpose label, so the same secret used elsewhere never yields the same key.
    """
    if secret is None:
        secret = get_settings().secret_key
    raw = secret.encode("utf-8") if secret else load_or_create_key_file(key_file or default_key_file())
    return hmac.new(raw, b"anpei login cookie v1", hashlib.sha256).digest()


# --- tokens -------------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _sign(body: str, key: bytes) -> str:
    return _b64(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest())


def _now(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now


def issue_token(
    user: User, *, ttl: dt.timedelta = DEFAULT_TTL, now: dt.datetime | None = None, key: bytes | None = None
) -> str:
    """A signed token for this user, valid for `ttl` (and until the session version changes)."""
    if user.id is None:
        raise ValueError("user has no id yet (flush it first)")
    issued = int(_now(now).timestamp())
    body = f"{VERSION}.{user.id}.{user.session_version}.{issued}.{issued + int(ttl.total_seconds())}"
    return f"{body}.{_sign(body, key or signing_key())}"


def token_claims(token: str, *, key: bytes | None = None) -> tuple[int, int, int, int] | None:
    """(user id, session version, issued at, expires at) of a correctly signed token, else None.

    Says nothing about expiry or the user's current state; use `principal_from_token` for that.
    """
    if not token or len(token) > 200:
        return None
    body, _, signature = token.rpartition(".")
    expected = _sign(body, key or signing_key())
    if not hmac.compare_digest(signature.encode("ascii", "replace"), expected.encode("ascii")):
        return None
    parts = body.split(".")
    if len(parts) != 5 or parts[0] != VERSION or not all(p.isdigit() and p.isascii() for p in parts[1:]):
        return None
    user_id, version, issued, expires = (int(p) for p in parts[1:])
    return user_id, version, issued, expires


def principal_from_token(
    session: Session, token: str | None, *, now: dt.datetime | None = None, key: bytes | None = None
) -> Principal | None:
    """The Principal a cookie token stands for, or None.

    None when the token is missing, forged, tampered with, expired, or its user is gone, disabled,
    or has logged out / had the password reset / changed role since it was issued.
    """
    claims = token_claims(token or "", key=key)
    if claims is None:
        return None
    user_id, version, issued, expires = claims
    moment = _now(now).timestamp()
    if expires <= moment or issued > moment + CLOCK_SKEW.total_seconds():
        return None
    user = session.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    try:
        return principal_for(user)
    except ValueError:  # a local_staff account without a jurisdiction: refuse rather than guess
        return None


def invalidate_sessions(user: User) -> None:
    """Make every token issued so far for this user invalid (caller adds and commits)."""
    user.session_version += 1


def logout(session: Session, *, principal: Principal, now: dt.datetime | None = None) -> None:
    """Log the user out everywhere (every cookie of theirs stops working) and audit it. Commits."""
    if principal.user_id is None:
        return
    user = session.get(User, principal.user_id)
    if user is None:
        return
    invalidate_sessions(user)
    session.add(user)
    trail.record(
        session,
        principal=principal,
        action=AuditAction.LOGOUT,
        entity="user",
        entity_id=user.id,
        at=_now(now),
    )
    session.commit()


# --- the cookie in the browser ----------------------------------------------------------------


def set_cookie_script(
    token: str, *, ttl: dt.timedelta = DEFAULT_TTL, secure: bool = True, name: str = COOKIE_NAME
) -> str:
    """A `<script>` that stores the token as a cookie of the page (for `st.html`, JS allowed).

    The cookie is SameSite=Strict, path=/, expires with the token; `secure=False` only for plain
    http on 127.0.0.1 during development. It cannot be HttpOnly (it is written from JavaScript).
    """
    if not all(c.isalnum() or c in "._-" for c in token):
        raise ValueError("token contains characters not allowed in a cookie")
    attributes = f"; Max-Age={int(ttl.total_seconds())}; Path=/; SameSite=Strict" + (
        "; Secure" if secure else ""
    )
    return _cookie_script(f"{name}={token}{attributes}")


def clear_cookie_script(*, secure: bool = True, name: str = COOKIE_NAME) -> str:
    """A `<script>` that deletes the login cookie."""
    return _cookie_script(f"{name}=; Max-Age=0; Path=/; SameSite=Strict" + ("; Secure" if secure else ""))


def _cookie_script(cookie: str) -> str:
    literal = json.dumps(cookie)
    # st.html with JavaScript runs in the page itself; components.html runs in a same-origin iframe.
    return f"<script>(window.parent || window).document.cookie = {literal};</script>"
