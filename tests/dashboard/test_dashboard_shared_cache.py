"""The dashboard's read caches are shared by every session (issue 16): one county-wide assessment
serves every reader, narrowed to what each may read; the figures equal the services' own; a write
drops the shared entries."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from anpei.periods import Month, Quarter
from dashboard import data
from db.codes import JurisdictionKind, Role
from db.engine import make_engine
from db.models import Jurisdiction
from db.reads import campaign_calendar, month_figures, one_jurisdiction
from db.rules import scoring, scoring_assessment
from db.rules.access import SYSTEM, AccessDenied, Principal

AS_OF = dt.date(2023, 10, 31)


@pytest.fixture
def url(sample_url: str, clean_streamlit_caches: None) -> Iterator[str]:
    yield sample_url


def _local(jurisdiction_id: int) -> Principal:
    return Principal(username="staff", role=Role.LOCAL_STAFF, jurisdiction_id=jurisdiction_id)


def _service(url: str, fn: str, **kwargs: object) -> object:
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            campaign = campaign_calendar.get_campaign(s)
            return getattr(scoring_assessment, fn)(
                s, campaign=campaign, rules=scoring.load_rules(), as_of=AS_OF, **kwargs
            )
    finally:
        engine.dispose()


def test_one_assessment_serves_every_reader_narrowed_to_what_each_may_read(url: str) -> None:
    campaign = data.campaigns(url)[0]
    key = data.rules_key()
    towns = [r for r in data.jurisdictions(url) if r.kind == JurisdictionKind.TOWNSHIP.value][:2]
    county = data.assessment(url, SYSTEM, campaign.id, Quarter(2023, 3), AS_OF, key)
    mine = data.assessment(url, _local(towns[0].id), campaign.id, Quarter(2023, 3), AS_OF, key)
    theirs = data.assessment(url, _local(towns[1].id), campaign.id, Quarter(2023, 3), AS_OF, key)
    assert mine.groups is county.groups is theirs.groups, "one computation, not one per reader"
    assert set(mine.measures) == {towns[0].id} and set(theirs.measures) == {towns[1].id}
    assert len(county.measures) == len(data.jurisdictions(url))
    # the same as the service computes for that reader
    assert mine == _service(url, "assess_quarter", principal=_local(towns[0].id), quarter=Quarter(2023, 3))
    assert county == _service(url, "assess_quarter", principal=SYSTEM, quarter=Quarter(2023, 3))


def test_score_history_from_the_shared_assessments_equals_the_service(url: str) -> None:
    campaign = data.campaigns(url)[0]
    key = data.rules_key()
    refs = data.jurisdictions(url)
    for ref in (refs[0], refs[-1]):
        who = _local(ref.id)
        shown = data.score_history(url, who, campaign.id, ref.id, AS_OF, key)
        assert shown, "the sample county has scores"
        assert shown == _service(url, "score_history", principal=who, jurisdiction_id=ref.id)
    with pytest.raises(AccessDenied):
        data.score_history(url, _local(refs[0].id), campaign.id, refs[1].id, AS_OF, key)


def test_a_write_drops_the_shared_entries(url: str, tmp_path: Path) -> None:
    copy = tmp_path / "county.db"
    shutil.copyfile(url.removeprefix("sqlite:///"), copy)
    url = f"sqlite:///{copy}"
    before = data.jurisdictions(url)
    assert data.jurisdictions(url) is before, "a second read is the shared object"
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            s.add(
                Jurisdiction(
                    name="新设街道", code="999", kind=JurisdictionKind.TOWNSHIP.value, sort_order=999
                )
            )
            s.commit()
    finally:
        engine.dispose()
    assert data.jurisdictions(url) is before  # until a write says so, the cache answers
    data.invalidate()
    after = data.jurisdictions(url)
    assert len(after) == len(before) + 1 and "新设街道" in {r.name for r in after}


def _read(url: str, fn: object, **kwargs: object) -> object:
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            return fn(s, **kwargs)  # type: ignore[operator]
    finally:
        engine.dispose()


def test_month_rows_cut_from_the_shared_county_summary_equal_the_services(url: str) -> None:
    refs = data.jurisdictions(url)
    months = (Month(2023, 4), Month(2023, 5), Month(2023, 7))
    for month in months:
        for who in (SYSTEM, _local(refs[0].id), _local(refs[-1].id)):
            assert data.month_summary(url, who, month, AS_OF) == _read(
                url,
                month_figures.township_month_summary,
                principal=who,
                month=month,
                as_of=month_figures.month_as_of(month, AS_OF),
            )
    for ref in (refs[0], refs[-1]):
        who = _local(ref.id)
        rows = data.jurisdiction_months(url, who, ref.id, months, AS_OF)
        assert [r.month for r in rows] == [str(m) for m in months]
        assert rows == _read(
            url,
            one_jurisdiction.jurisdiction_months,
            principal=who,
            jurisdiction_id=ref.id,
            months=months,
            as_of=AS_OF,
        )
    with pytest.raises(AccessDenied):
        data.jurisdiction_months(url, _local(refs[0].id), refs[1].id, months, AS_OF)
    assert len(data.month_summary(url, _local(refs[0].id), Month(2023, 5), AS_OF)) == 1
