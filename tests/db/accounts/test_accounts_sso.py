"""Single sign-on maps a verified e-mail in the configured domain to an existing, active account."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from db.accounts.sso import email_verified, login_by_email, username_for_email
from db.codes import AuditAction, Role
from db.models import AuditLog
from tests.kits.accountkit import NOW, World

DOMAIN = "yjj.example.gov.cn"


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("ZhangSan@yjj.example.gov.cn", "zhangsan"),
        ("zhangsan@YJJ.example.gov.cn", "zhangsan"),
        ("zhangsan@other.example.cn", None),
        ("zhangsan@evil.yjj.example.gov.cn", None),
        ("not-an-address", None),
        ("@yjj.example.gov.cn", None),
    ],
)
def test_username_for_email(email: str, expected: str | None) -> None:
    assert username_for_email(email, domain=DOMAIN) == expected
    assert username_for_email(email, domain="") is None  # no domain configured: nobody


def test_login_by_email(session: Session, world: World) -> None:
    world.user("zhangsan", Role.COUNTY_STAFF)
    world.user("lisi", Role.LEADER, active=False)
    who = login_by_email(session, email="zhangsan@yjj.example.gov.cn", domain=DOMAIN, verified=True, now=NOW)
    assert who is not None and who.username == "zhangsan" and who.role is Role.COUNTY_STAFF
    assert login_by_email(session, email="zhangsan@yjj.example.gov.cn", domain=DOMAIN, verified=False) is None
    assert (
        login_by_email(session, email="lisi@yjj.example.gov.cn", domain=DOMAIN, verified=True) is None
    )  # disabled
    assert (
        login_by_email(session, email="wangwu@yjj.example.gov.cn", domain=DOMAIN, verified=True) is None
    )  # no account
    actions = [e.action for e in session.exec(select(AuditLog).order_by(AuditLog.id)).all()]  # type: ignore[arg-type]
    assert actions == [AuditAction.LOGIN.value] + [AuditAction.LOGIN_FAILED.value] * 3


@pytest.mark.parametrize(
    ("claims", "verified"),
    [
        ({}, False),
        ({"email_verified": None}, False),
        ({"email_verified": False}, False),
        ({"email_verified": "false"}, False),
        ({"email_verified": True}, True),
        ({"email_verified": "true"}, True),
    ],
)
def test_a_missing_email_verified_claim_is_not_verified(claims: dict[str, object], verified: bool) -> None:
    """Issue 11 item 13: a provider that does not say the e-mail is verified does not log anyone in."""
    assert email_verified(claims) is verified
