"""The notice's defaults go in once, as data."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from db.models import Campaign, CampaignPhase, CheckItem
from db.rules.campaign_defaults import DEFAULT_SCORING_RULES, ensure_default_campaign


def test_ensure_default_campaign_is_idempotent(engine: Engine) -> None:
    with Session(engine) as session:
        first = ensure_default_campaign(session)
        session.commit()
        second = ensure_default_campaign(session)
        session.commit()
        assert first.id == second.id
        assert session.exec(select(func.count()).select_from(Campaign)).one() == 1
        phases = session.exec(select(CampaignPhase).order_by(CampaignPhase.seq)).all()
        items = session.exec(select(CheckItem)).all()
    assert [p.name for p in phases] == ["自查自改", "执法检查", "总结提升"]
    assert phases[1].starts_on == dt.date(2023, 4, 1) and phases[1].ends_on == dt.date(2023, 7, 31)
    assert first.summary_due_on == dt.date(2023, 10, 31)
    assert first.notice_ref == "丰都安办法（2024）40号"
    assert sorted((i.target_kind, i.number) for i in items) == [("enterprise", n) for n in range(1, 6)] + [
        ("institution", n) for n in range(1, 5)
    ]
    assert all(i.short and i.text for i in items)


def test_default_scoring_rules_are_consistent() -> None:
    indicators = DEFAULT_SCORING_RULES["indicators"]
    assert (
        len({i["code"] for i in indicators}) == len(indicators) == 6
    )  # 持证核查 is two indicators (#10 item 7)
    assert sum(i["max_points"] for i in indicators) == DEFAULT_SCORING_RULES["total_points"]
    assert abs(sum(i["weight"] for i in indicators) - 1.0) < 1e-9
    assert DEFAULT_SCORING_RULES["min_denominator"] >= 1
