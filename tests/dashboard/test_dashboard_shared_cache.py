"""The dashboard's read caches are shared by every session (issue 16): one county-wide assessment
serves every reader, narrowed to what each may read; the figures equal the services' own; a write
drops the shared entries."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from anpei import clock
from anpei.periods import Month, Quarter
from dashboard import data
from db.codes import JurisdictionKind, Role
from db.engine import make_engine
from db.models import Jurisdiction, StoredFigure
from db.reads import campaign_calendar, data_generation, month_figures, one_jurisdiction, stored_figures
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


def _own_copy(url: str, tmp_path: Path) -> str:
    """A copy of the module's sample county that this test may write to."""
    copy = tmp_path / "county.db"
    shutil.copyfile(url.removeprefix("sqlite:///"), copy)
    return f"sqlite:///{copy}"


def _add_township(url: str, *, code: str) -> None:
    """A new township 新设街道, written through an engine of its own (as another process would)."""
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            kind = JurisdictionKind.TOWNSHIP.value
            s.add(Jurisdiction(name="新设街道", code=code, kind=kind, sort_order=int(code)))
            s.commit()
    finally:
        engine.dispose()


def test_a_write_drops_the_shared_entries(url: str, tmp_path: Path) -> None:
    url = _own_copy(url, tmp_path)
    before = data.jurisdictions(url)
    assert data.jurisdictions(url) is before, "a second read is the shared object"
    _add_township(url, code="999")
    assert data.jurisdictions(url) is before  # until a write says so, the cache answers
    data.invalidate()
    after = data.jurisdictions(url)
    assert len(after) == len(before) + 1 and "新设街道" in {r.name for r in after}


def test_a_write_by_another_process_is_seen_at_the_next_page_run(url: str, tmp_path: Path) -> None:
    """Another dashboard process (or the command line) writes: this process's next page run starts
    with `data.sync`, which sees the data generation moved and drops what it kept — no TTL to wait out."""
    url = _own_copy(url, tmp_path)
    data.sync(url)
    before = data.jurisdictions(url)
    months = data.month_summary(url, SYSTEM, Month(2023, 7), AS_OF)
    data.sync(url)  # nothing written: what is kept stays
    assert data.jurisdictions(url) is before
    assert data.month_summary(url, SYSTEM, Month(2023, 7), AS_OF) == months
    _add_township(url, code="998")  # the other process
    assert data.jurisdictions(url) is before  # within the page run that started before the write
    data.sync(url)  # the next page run
    after = data.jurisdictions(url)
    assert "新设街道" in {r.name for r in after}
    assert "新设街道" in {r.jurisdiction for r in data.month_summary(url, SYSTEM, Month(2023, 7), AS_OF)}


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


def test_the_process_cache_computes_once_per_key_evicts_and_clears(
    clean_streamlit_caches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    import time

    import streamlit as st

    calls: list[tuple[object, ...]] = []
    gate = threading.Event()

    @data._shared(max_entries=2)
    def read(url: str, who: Principal, n: int, _ignored: object) -> tuple[str, int]:
        calls.append((url, who.username, n))
        gate.wait(5)
        return (url, n)

    def many() -> None:
        read("u", _local(1), 1, object())

    threads = [threading.Thread(target=many) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    gate.set()
    for t in threads:
        t.join()
    assert calls == [("u", "staff", 1)], "eight sessions at once, one computation"
    first = read("u", _local(1), 1, "another _ignored")
    assert read("u", _local(1), 1, None) is first and len(calls) == 1
    assert read("u", _local(2), 1, None) == ("u", 1) and len(calls) == 2  # another scope, another key
    read("u", _local(1), 2, None)  # a third key: the least recently used (scope 1, n 1) goes
    read("u", _local(1), 1, None)
    assert len(calls) == 4
    monkeypatch.setattr(data, "TTL", dt.timedelta(seconds=-1))  # stored already expired
    read("u", _local(1), 3, None)
    read("u", _local(1), 3, None)
    assert len(calls) == 6
    monkeypatch.undo()
    read("u", _local(1), 1, None)
    assert len(calls) == 6  # still kept
    st.cache_resource.clear()  # Streamlit's "clear cache" drops these entries too
    read("u", _local(1), 1, None)
    assert len(calls) == 7


def test_a_save_recomputes_the_county_figures_at_once_on_postgresql(
    seeded: Engine,
    db_url_engine: tuple[str, Engine],
    clean_streamlit_caches: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Refresh on write: after a save the county-wide figures every first page needs are computed
    in the background and stored for every process — not left to the next reader."""
    url = db_url_engine[0]
    monkeypatch.setattr(stored_figures, "STORE_AFTER_S", 0.0)  # the sample county's figures are quick
    started = data.after_write(url)
    if seeded.dialect.name != "postgresql":
        assert started is None  # one process on the embedded database: the next reader computes them
        return
    assert started is not None
    started.result(timeout=120)
    campaign = data.campaigns(url)[0]
    as_of = campaign_calendar.default_as_of(campaign, today=clock.local_today())
    month = campaign_calendar.default_month(campaign, as_of=as_of)
    wanted = {
        stored_figures.key_of("county_month", (m, month_figures.month_as_of(m, as_of)))
        for m in [month.previous(), *campaign_calendar.begun_months(campaign.enforcement_months, as_of)]
    }
    with Session(seeded) as s:
        generation = data_generation.current(s)
        stored = {f.key: f.generation for f in s.exec(select(StoredFigure)).all()}
    assert wanted <= set(stored)
    assert {k for k in stored if k.startswith("quarter_measures@")}, "the quarters' measures too"
    assert set(stored.values()) == {generation}
    # what a first page then reads is the refreshed figure (the live one)
    with Session(seeded) as s:
        live = month_figures.township_month_summary(
            s, principal=SYSTEM, month=month, as_of=month_figures.month_as_of(month, as_of), kinds=None
        )
    assert data.month_summary(url, SYSTEM, month, as_of) == [
        r for r in live if r.kind in {"township", "member_unit"}
    ]


def test_month_rows_and_score_history_read_at_once_equal_the_services(
    seeded: Engine, db_url_engine: tuple[str, Engine], clean_streamlit_caches: None
) -> None:
    """On PostgreSQL a page's months and quarters are read at the same time (threads); on SQLite one
    after another: the rows are the services' own either way."""
    url = db_url_engine[0]
    campaign = data.campaigns(url)[0]
    ref = data.jurisdictions(url)[0]
    who = _local(ref.id)
    months = tuple(campaign.months[:4])
    data.prefetch_score_history(url, campaign.id, AS_OF, data.rules_key())
    with Session(seeded) as s:
        rules = scoring.load_rules()
        expected_history = scoring_assessment.score_history(
            s, principal=who, campaign=campaign, jurisdiction_id=ref.id, as_of=AS_OF, rules=rules
        )
        expected_months = one_jurisdiction.jurisdiction_months(
            s, principal=who, jurisdiction_id=ref.id, months=months, as_of=AS_OF
        )
    assert data.score_history(url, who, campaign.id, ref.id, AS_OF, data.rules_key()) == expected_history
    assert expected_history, "the sample county has scores"
    assert data.jurisdiction_months(url, who, ref.id, months, AS_OF) == expected_months


def test_a_save_by_one_township_keeps_the_other_townships_tables(url: str, tmp_path: Path) -> None:
    """Deadline morning: township y saves its monthly table (from another process). At this process's
    next page run y's tables and the county-wide figures are read afresh; x's stay kept."""
    url = _own_copy(url, tmp_path)
    data.sync(url)
    campaign = data.campaigns(url)[0]
    months = tuple(campaign.months)
    x, y = [r.id for r in data.jurisdictions(url)][:2]
    kept_x = data.monthly_reports(url, SYSTEM, x, months)
    kept_y = data.monthly_reports(url, SYSTEM, y, months)
    county = data.month_summary(url, SYSTEM, Month(2023, 7), AS_OF)
    table_x = data.frame(url, ("test.x", x), lambda: kept_x.head(2), x)
    untagged = data.frame(url, ("test.any",), lambda: kept_x.head(1))
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE monthlyreport SET filled_by = '新填表人' WHERE jurisdiction_id = :y"), {"y": y}
            )
    finally:
        engine.dispose()
    data.sync(url)
    assert data.monthly_reports(url, SYSTEM, x, months) is kept_x
    fresh_y = data.monthly_reports(url, SYSTEM, y, months)
    assert fresh_y is not kept_y and "新填表人" in set(fresh_y["填报人"])
    assert data.month_summary(url, SYSTEM, Month(2023, 7), AS_OF) is not county
    assert data.frame(url, ("test.x", x), lambda: kept_x.head(2), x) is table_x
    assert data.frame(url, ("test.any",), lambda: kept_x.head(1)) is not untagged
    _add_township(url, code="997")  # a write that reaches the whole county
    data.sync(url)
    assert data.monthly_reports(url, SYSTEM, x, months) is not kept_x


def test_a_quarter_read_with_last_quarter_alongside_equals_the_service(
    seeded: Engine,
    db_url_engine: tuple[str, Engine],
    clean_streamlit_caches: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On PostgreSQL the 季度考核 page's read computes last quarter on the pool while this quarter's
    waits for its stored measures: the assessment (ranks and rank changes) is the service's own."""
    url = db_url_engine[0]
    monkeypatch.setattr(stored_figures, "STORE_AFTER_S", 0.0)  # as at province size: measures are stored
    campaign = data.campaigns(url)[0]
    with Session(seeded) as s:
        expected = scoring_assessment.assess_quarter(
            s,
            principal=SYSTEM,
            campaign=campaign,
            quarter=Quarter(2023, 3),
            as_of=AS_OF,
            rules=scoring.load_rules(),
        )
    shown = data.assessment(url, SYSTEM, campaign.id, Quarter(2023, 3), AS_OF, data.rules_key())
    assert shown == expected
    assert shown.previous_quarter == Quarter(2023, 2), "the rank change has last quarter to compare with"
