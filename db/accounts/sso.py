"""Single sign-on through the bureau's OIDC provider (Streamlit's `st.login`): map a verified e-mail
address to an existing, active account. No account is ever created from a sign-on.

The rule is deliberately narrow: the address must be in the configured domain and its local part
must be the username of an active account (`zhangsan@yjj.example.gov.cn` → `zhangsan`). Every
sign-on is audited like a password login.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlmodel import Session, select

from db.accounts.auth import is_locked, normalise_username, principal_for
from db.audit import trail
from db.codes import AuditAction, Role
from db.models import User
from db.rules.access import Principal


def username_for_email(email: str, *, domain: str) -> str | None:
    """The username an e-mail address stands for, or None when it is not in `domain`."""
    local, at, host = email.strip().rpartition("@")
    if not at or not local or not domain.strip() or host.casefold() != domain.strip().casefold():
        return None
    return normalise_username(local)


def email_verified(claims: Mapping[str, object]) -> bool:
    """True only when the provider says so (`email_verified` true); a missing claim is not verified."""
    value = claims.get("email_verified")
    return value is True or (isinstance(value, str) and value.strip().casefold() == "true")


def login_by_email(
    session: Session, *, email: str, domain: str, verified: bool, now: dt.datetime | None = None
) -> Principal | None:
    """The Principal of the active account the provider's verified e-mail maps to, else None. Commits."""
    moment = now or dt.datetime.now(dt.UTC)
    name = username_for_email(email, domain=domain) if verified else None
    user = session.exec(select(User).where(User.username == name)).first() if name else None
    refused = user is None or not user.active or is_locked(user, now=moment)
    principal: Principal | None = None
    if user is not None and not refused:
        try:
            principal = principal_for(user)
        except ValueError:  # local staff without a jurisdiction
            principal = None
    if principal is None:
        who = Principal(
            username=(name or "(单点登录)")[:50], role=Role.LEADER, user_id=user.id if user else None
        )
        trail.record(
            session,
            principal=who,
            action=AuditAction.LOGIN_FAILED,
            entity="user",
            entity_id=user.id if user else "",
            detail="单点登录未能对应到可用账号",
            at=moment,
        )
        session.commit()
        return None
    assert user is not None
    user.last_login_at = moment
    session.add(user)
    trail.record(
        session,
        principal=principal,
        action=AuditAction.LOGIN,
        entity="user",
        entity_id=user.id,
        detail="单点登录",
        at=moment,
    )
    session.commit()
    return principal
