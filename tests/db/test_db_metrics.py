"""The metric definitions of `db.rules.metrics` give the same numbers wherever they are read: the month
summary (screen, exports, CLI) and the quarterly scoring count a unit's registered and inspected
enterprises alike (registered to the township and the member unit; inspected by it or jointly)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine
from sqlmodel import Session

from anpei.periods import Month, Quarter
from db.codes import TargetKind
from db.reads import campaign_calendar, month_figures
from db.rules import scoring_measures
from db.rules.access import SYSTEM
from db.rules.metrics import Problem, item_key
from verifier import types as verifier_types
from verifier.decide import problem_for
from verifier.types import Family, Outcome


def test_summary_and_scoring_count_registered_and_inspected_alike(seeded: Engine) -> None:
    with Session(seeded) as s:
        campaign = campaign_calendar.get_campaign(s)
        assert campaign is not None
        window = scoring_measures.quarter_window(
            campaign, quarter=Quarter(2023, 3), as_of=dt.date(2023, 10, 31)
        )
        assert window.months == (Month(2023, 7),)  # the quarter's only enforcement month
        rows = month_figures.township_month_summary(s, principal=SYSTEM, month=Month(2023, 7))
        measures = scoring_measures.quarter_measures(
            s,
            principal=SYSTEM,
            campaign=campaign,
            window=window,
            jurisdiction_ids=[r.jurisdiction_id for r in rows],
        )
    assert any(r.enterprises_inspected for r in rows)
    for r in rows:
        m = measures[r.jurisdiction_id]
        assert m["enterprises_registered"] == r.enterprises_registered, r.jurisdiction
        assert m["enterprises_inspected"] == r.enterprises_inspected, r.jurisdiction
        assert m["targets_due"] == r.high_risk_registered + r.industry_trade_registered, r.jurisdiction
        assert m["targets_inspected"] == r.high_risk_inspected + r.industry_trade_inspected, r.jurisdiction


def test_problem_codes_and_item_keys() -> None:
    assert [p.label for p in Problem] == ["无证上岗", "疑似持假证", "证书失效或不符", "逾期未考核合格"]
    # one enum: the verifier decides the 问题 and db counts it (db.rules.metrics re-exports verifier.types.Problem)
    assert Problem is verifier_types.Problem
    assert (
        problem_for(family=Family.SPECIAL, outcome=Outcome.NOT_FOUND, warnings=(), number_presented=False)
        == Problem.UNLICENSED
        and type(
            problem_for(family=Family.SPECIAL, outcome=Outcome.NOT_FOUND, warnings=(), number_presented=True)
        )
        is str
    )
    assert (
        item_key(TargetKind.ENTERPRISE, 3) == "enterprise-3" and item_key("institution", 1) == "institution-1"
    )
