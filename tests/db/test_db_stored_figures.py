"""The data generation and the county-wide figures kept against it (issue 16), on both databases.

- Every table of the models is either watched by a trigger or named as unwatched, and the database
  really has the triggers: a write to each watched table raises the generation, in the writing
  transaction (a rollback leaves it), and a write to an unwatched table does not.
- A stored figure is the live function's result, read back equal; it is served from the store while the
  generation holds, and a write in between makes the next read compute afresh.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

import db.models
from anpei.periods import Month
from db.engine import make_engine
from db.models import Finding, Inspection, StoredFigure, Tip, User
from db.reads import (
    campaign_calendar,
    data_generation,
    jurisdiction_list,
    kpi_details,
    month_figures,
    month_trends,
    one_jurisdiction,
    status_grid,
    stored_figures,
)
from db.rules import scoring, scoring_assessment
from db.rules.access import SYSTEM

AS_OF = dt.date(2023, 10, 31)


@pytest.fixture(autouse=True)
def store_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample county's figures take milliseconds, under the time that makes a result worth storing:
    these tests store every result, to test the store itself."""
    monkeypatch.setattr(stored_figures, "STORE_AFTER_S", 0.0)


def _generation(engine: Engine) -> int:
    with engine.connect() as conn:
        return data_generation.current(conn)


def _triggered_tables(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            rows = conn.execute(
                text(
                    "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE c.relnamespace = to_regnamespace(current_schema()) "
                    "AND t.tgname LIKE '%\\_bumps\\_generation%'"
                )
            )
        else:
            rows = conn.execute(
                text(
                    "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_bumps_generation_%'"
                )
            )
        return {r[0] for r in rows}


def test_every_table_is_watched_or_named_unwatched(engine: Engine) -> None:
    watched, unwatched = set(data_generation.WATCHED_TABLES), set(data_generation.UNWATCHED_TABLES)
    assert not watched & unwatched
    assert watched | unwatched == set(SQLModel.metadata.tables)
    assert _triggered_tables(engine) == watched
    assert set(inspect(engine).get_table_names()) >= watched | unwatched


def test_a_write_to_each_watched_table_raises_the_generation(seeded: Engine) -> None:
    updated = []
    for table in data_generation.WATCHED_TABLES:
        with seeded.begin() as conn:
            some = conn.execute(text(f'SELECT min(id) FROM "{table}"')).scalar()
        if some is None:  # the sample county has no rows here: an insert is tested below for one such table
            continue
        before = _generation(seeded)
        with seeded.begin() as conn:
            conn.execute(text(f'UPDATE "{table}" SET id = id WHERE id = :id'), {"id": some})
        assert _generation(seeded) > before, table
        updated.append(table)
    assert len(updated) >= 15, updated  # the sample county fills nearly every table


def test_insert_delete_and_rollback(seeded: Engine) -> None:
    before = _generation(seeded)
    with Session(seeded) as s:
        tip = Tip(received_on=dt.date(2023, 7, 3), content="测试举报")
        s.add(tip)
        s.commit()
        after_insert = _generation(seeded)
        assert after_insert > before
        s.delete(tip)
        s.commit()
    after_delete = _generation(seeded)
    assert after_delete > after_insert
    with Session(seeded) as s:
        s.add(Tip(received_on=dt.date(2023, 7, 4), content="不会保存"))
        s.flush()
        s.rollback()
    assert _generation(seeded) == after_delete


def test_unwatched_writes_leave_the_generation(seeded: Engine) -> None:
    before = _generation(seeded)
    with Session(seeded) as s:
        user = s.exec(select(User)).first()
        assert user is not None
        user.last_login_at = dt.datetime.now(dt.UTC)
        s.add(user)
        s.commit()
    assert _generation(seeded) == before


def _campaign(engine: Engine) -> campaign_calendar.CampaignInfo:
    with Session(engine) as s:
        return campaign_calendar.list_campaigns(s)[0]


def test_stored_month_figures_equal_the_live_ones(seeded: Engine) -> None:
    campaign = _campaign(seeded)
    for month in campaign.months:
        day = month_figures.month_as_of(month, AS_OF)
        with Session(seeded) as s:
            live = month_figures.township_month_summary(
                s, principal=SYSTEM, month=month, as_of=day, kinds=None
            )
        first = stored_figures.county_month(seeded, month=month, as_of=day)  # computed and stored
        again = stored_figures.county_month(seeded, month=month, as_of=day)  # read back from the store
        assert first == live
        assert again == live
    with Session(seeded) as s:
        kept = s.exec(select(StoredFigure)).all()
    assert {k.key for k in kept} == {
        stored_figures.key_of("county_month", (m, month_figures.month_as_of(m, AS_OF)))
        for m in campaign.months
    }
    assert {k.generation for k in kept} == {_generation(seeded)}


def test_stored_measures_give_the_same_assessment(seeded: Engine) -> None:
    campaign = _campaign(seeded)
    rules = scoring.load_rules()
    reader = stored_figures.measures_reader(seeded)
    for quarter in scoring_assessment.history_quarters(campaign, as_of=AS_OF):
        with Session(seeded) as s:
            live = scoring_assessment.assess_quarter(
                s, principal=SYSTEM, campaign=campaign, quarter=quarter, as_of=AS_OF, rules=rules
            )
            for _ in range(2):  # computed and stored, then read back
                kept = scoring_assessment.assess_quarter(
                    s,
                    principal=SYSTEM,
                    campaign=campaign,
                    quarter=quarter,
                    as_of=AS_OF,
                    rules=rules,
                    measures_reader=reader,
                )
                assert kept == live
                assert not live.empty


def test_served_from_the_store_until_a_write(seeded: Engine) -> None:
    month, day = Month(2023, 7), dt.date(2023, 7, 31)
    rows = stored_figures.county_month(seeded, month=month, as_of=day)
    stored_figures.county_month(
        seeded, month=Month(2023, 6), as_of=dt.date(2023, 6, 30)
    )  # another, to be pruned
    target = next(r for r in rows if r.inspections > 0)
    # mark the stored copy: the next read returns the mark, so it came from the store
    key = stored_figures.key_of("county_month", (month, day))
    marked = [
        r if r.jurisdiction_id != target.jurisdiction_id else type(r)(**{**r.__dict__, "inspections": -1})
        for r in rows
    ]
    with seeded.begin() as conn:
        payload = stored_figures._MONTH_ROWS.dump(marked)
        conn.execute(text('UPDATE storedfigure SET payload = :p WHERE "key" = :k'), {"p": payload, "k": key})
    served = stored_figures.county_month(seeded, month=month, as_of=day)
    assert next(r for r in served if r.jurisdiction_id == target.jurisdiction_id).inspections == -1

    # a write (one more inspection by that jurisdiction in the month): the next read is the live figure
    with Session(seeded) as s:
        model = s.exec(select(Inspection).where(Inspection.jurisdiction_id == target.jurisdiction_id)).first()
        assert model is not None
        extra = Inspection(
            **{
                k: v
                for k, v in model.model_dump().items()
                if k not in {"id", "version", "created_at", "updated_at"}
            }
        )
        extra.inspected_on = dt.date(2023, 7, 15)
        extra.source_ref = None
        s.add(extra)
        s.commit()
    after = stored_figures.county_month(seeded, month=month, as_of=day)
    with Session(seeded) as s:
        live = month_figures.township_month_summary(s, principal=SYSTEM, month=month, as_of=day, kinds=None)
    assert after == live
    assert next(r for r in after if r.jurisdiction_id == target.jurisdiction_id).inspections == (
        target.inspections + 1
    )
    with Session(seeded) as s:  # the rows of the passed generation went when the new one was stored
        left = s.exec(select(StoredFigure)).all()
        assert [(k.key, k.generation) for k in left] == [(key, _generation(seeded))]


def test_an_older_generation_never_replaces_a_newer_one(seeded: Engine) -> None:
    key = stored_figures.key_of("k", ())
    read = text('SELECT generation, payload FROM storedfigure WHERE "key" = :k')
    with seeded.begin() as conn:
        stored_figures._store(conn, key=key, generation=5, payload="[]")
    with seeded.begin() as conn:
        stored_figures._store(conn, key=key, generation=3, payload='["older"]')
        assert conn.execute(read, {"k": key}).one() == (5, "[]")
        stored_figures._store(conn, key=key, generation=6, payload='["newer"]')
        assert conn.execute(read, {"k": key}).one() == (6, '["newer"]')
    assert stored_figures.forget_all(seeded) == 1


def test_a_finding_rectified_by_another_process_shows_at_once(seeded: Engine) -> None:
    """The trust case: a write made elsewhere (here: through an engine of its own) is seen by the next read."""
    month, day = Month(2023, 7), dt.date(2023, 7, 31)
    before = stored_figures.county_month(seeded, month=month, as_of=day)
    other = (
        make_engine(seeded.url.render_as_string(hide_password=False))
        if seeded.dialect.name == "sqlite"
        else seeded
    )
    with Session(other) as s:
        finding = s.exec(
            select(Finding).where(Finding.rectified_on.is_(None), Finding.found_on <= day)  # type: ignore[union-attr]
        ).first()
        assert finding is not None
        jid = finding.jurisdiction_id
        finding.rectified_on = day
        finding.status = "rectified"
        s.add(finding)
        s.commit()
    after = stored_figures.county_month(seeded, month=month, as_of=day)
    mine_before = next(r for r in before if r.jurisdiction_id == jid)
    mine_after = next(r for r in after if r.jurisdiction_id == jid)
    assert mine_after.findings_open == mine_before.findings_open - 1


def test_every_kept_read_comes_back_equal(seeded: Engine) -> None:
    """Each read the dashboard keeps, on the sample county, computed then read back from the store:
    equal to the live result, cell for cell and type for type (dates, Decimals, None)."""
    campaign = _campaign(seeded)
    months = tuple(campaign.months)
    with Session(seeded) as s:
        refs = jurisdiction_list.list_jurisdictions(s)
    cases: list[tuple[str, tuple[object, ...], stored_figures.Codec[Any], Callable[[Session], Any]]] = [
        (
            "grid",
            (campaign.id,),
            stored_figures.typed(list[status_grid.GridCell]),
            lambda s: status_grid.status_grid(s, principal=SYSTEM, campaign=campaign, as_of=AS_OF),
        ),
        (
            "trends",
            (months,),
            stored_figures.typed(list[month_trends.MonthTrend]),
            lambda s: month_trends.county_trends(s, principal=SYSTEM, months=months, as_of=AS_OF),
        ),
    ]
    for kind in kpi_details.DETAIL_OF.values():
        cases.append(
            (
                "detail",
                (kind,),
                stored_figures.TABLE,
                lambda s, kind=kind: kpi_details.detail_rows(
                    s, principal=SYSTEM, kind=kind, month=Month(2023, 7), as_of=AS_OF, jurisdiction_id=None
                ),
            )
        )
    for ref in (refs[0], refs[-1]):
        jid = ref.id
        cases += [
            (
                "enterprise_mix",
                (jid,),
                stored_figures.typed(list[one_jurisdiction.EnterpriseMix]),
                lambda s, jid=jid: one_jurisdiction.enterprise_mix(
                    s, principal=SYSTEM, jurisdiction_id=jid, month=Month(2023, 7), campaign_months=months
                ),
            ),
            (
                "certificates",
                (jid,),
                stored_figures.TABLES,
                lambda s, jid=jid: (
                    one_jurisdiction.certificate_outcomes(
                        s, principal=SYSTEM, jurisdiction_id=jid, first=dt.date(2023, 4, 1), last=AS_OF
                    ),
                    one_jurisdiction.problem_checks(
                        s, principal=SYSTEM, jurisdiction_id=jid, first=dt.date(2023, 4, 1), last=AS_OF
                    ),
                ),
            ),
            (
                "monthly_reports",
                (jid,),
                stored_figures.TABLE,
                lambda s, jid=jid: one_jurisdiction.monthly_reports(
                    s, principal=SYSTEM, jurisdiction_id=jid, months=months
                ),
            ),
        ]
    filled: set[str] = set()
    for name, inputs, codec, compute in cases:
        with Session(seeded) as s:
            live = compute(s)
        first = stored_figures.kept(seeded, name=name, inputs=inputs, codec=codec, compute=compute)
        again = stored_figures.kept(seeded, name=name, inputs=inputs, codec=codec, compute=compute)
        assert first == live, name
        assert again == live, name
        assert [type(v) for v in _cells(again)] == [type(v) for v in _cells(live)], name
        if _cells(live):
            filled.add(name)
    with Session(seeded) as s:
        assert len(s.exec(select(StoredFigure)).all()) == len({(n, i) for n, i, _, _ in cases})
    assert filled == {n for n, _, _, _ in cases}  # every kind of read had rows to carry


def _cells(value: Any) -> list[Any]:
    """The leaves of a result (table cells, dataclass fields), to compare their types."""
    if isinstance(value, kpi_details.Table):
        return [v for row in value.rows for v in row]
    if isinstance(value, list | tuple):
        return [c for v in value for c in _cells(v)]
    if dataclasses.is_dataclass(value):
        return [getattr(value, f.name) for f in dataclasses.fields(value)]
    return [value]


def test_a_forced_reseed_keeps_the_generation_row_and_raises_it(seeded: Engine) -> None:
    from db.sample.seed import seed_sample

    before = _generation(seeded)
    assert before > 0
    seed_sample(seeded, scale=0.05, force=True, demo_accounts=True)
    assert _generation(seeded) > before


def test_a_result_computed_quickly_is_not_stored(seeded: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stored_figures, "STORE_AFTER_S", 60.0)
    calls: list[int] = []

    def compute(_s: Session) -> list[int]:
        calls.append(1)
        return [1, 2]

    codec = stored_figures.typed(list[int])
    for _ in range(2):
        assert stored_figures.kept(seeded, name="quick", inputs=(1,), codec=codec, compute=compute) == [1, 2]
    assert len(calls) == 2  # computed each time: storing would have cost more
    with Session(seeded) as s:
        assert s.exec(select(StoredFigure)).all() == []


# --- reach: a write makes stale only the tables of the jurisdictions it reached ---------------------


def _reached_by_last_write(engine: Engine) -> set[int]:
    with engine.connect() as conn:
        now = data_generation.current(conn)
        rows = conn.execute(
            text("SELECT jurisdiction_id FROM jurisdictionchange WHERE generation = :g"), {"g": now}
        )
        return {int(r[0]) for r in rows}


def _rule_of(conn: Any, table: str, row_id: int) -> set[int]:
    """The jurisdictions a row reaches, by the rule `data_generation` documents (spelled out in Python)."""
    columns = data_generation.REACH[table]
    row = (
        conn.execute(text(f'SELECT {", ".join(columns)} FROM "{table}" WHERE id = :id'), {"id": row_id})
        .one()
        ._mapping
    )

    def enterprise(eid: object) -> set[object]:
        return set(
            conn.execute(
                text("SELECT jurisdiction_id, member_unit_id FROM enterprise WHERE id = :i"), {"i": eid}
            ).one()
        )

    out: set[object] = set()
    for column, value in row.items():
        if value is None:
            continue
        if column in ("jurisdiction_id", "member_unit_id"):
            out.add(value)
        elif column == "enterprise_id":
            out |= enterprise(value)
        elif column == "institution_id":
            out.add(
                conn.execute(
                    text("SELECT jurisdiction_id FROM traininginstitution WHERE id = :i"), {"i": value}
                ).scalar()
            )
        else:  # inspection_id
            j, eid = conn.execute(
                text("SELECT jurisdiction_id, enterprise_id FROM inspection WHERE id = :i"), {"i": value}
            ).one()
            out |= {j} | (enterprise(eid) if eid is not None else set())
    return {int(v) for v in out if v is not None}  # type: ignore[call-overload]


def test_every_watched_table_reaches_named_jurisdictions_or_the_county(engine: Engine) -> None:
    assert set(data_generation.REACH) < set(data_generation.WATCHED_TABLES)
    assert set(data_generation.INSERTS_ONLY) <= set(data_generation.REACH)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            names = set(
                conn.execute(
                    text(
                        "SELECT c.relname || ':' || t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                        "WHERE c.relnamespace = to_regnamespace(current_schema()) AND t.tgname LIKE '%\\_touches\\_%'"
                    )
                ).scalars()
            )
            for table in data_generation.WATCHED_TABLES:
                wanted = (
                    {f"{table}:{table}_touches_{e}" for e in ("insert", "update", "delete", "truncate")}
                    if table in data_generation.REACH
                    else {f"{table}:{table}_touches_county"}
                )
                assert {n for n in names if n.startswith(f"{table}:")} == wanted, table
        else:
            bodies = dict(
                conn.execute(
                    text(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_bumps_generation_%'"
                    )
                ).all()
            )
            assert len(bodies) == 3 * len(data_generation.WATCHED_TABLES)
            assert all("jurisdictionchange" in sql for sql in bodies.values())


def test_a_write_reaches_the_jurisdictions_its_rows_name(seeded: Engine) -> None:
    """Each watched table with rows in the sample county: an update of one row reaches what the rule
    says (its own jurisdiction, its enterprise's township and unit, …), or the county."""
    scoped = []
    for table in data_generation.WATCHED_TABLES:
        with seeded.begin() as conn:
            some = conn.execute(text(f'SELECT max(id) FROM "{table}"')).scalar()
        if some is None:
            continue
        with seeded.begin() as conn:
            conn.execute(text(f'UPDATE "{table}" SET id = id WHERE id = :id'), {"id": some})
        reached = _reached_by_last_write(seeded)
        if table in data_generation.REACH and table not in data_generation.INSERTS_ONLY:
            with seeded.connect() as conn:
                wanted = _rule_of(conn, table, some)
            assert wanted, table
            assert reached == wanted, table
            scoped.append(table)
        else:
            assert reached == {data_generation.COUNTY}, table
    assert len(scoped) >= 7, scoped


def test_an_insert_reaches_and_a_delete_of_a_person_reaches_the_county(seeded: Engine) -> None:
    with seeded.begin() as conn:
        eid, j, unit = conn.execute(
            text(
                "SELECT id, jurisdiction_id, member_unit_id FROM enterprise WHERE member_unit_id IS NOT NULL ORDER BY id"
            )
        ).first()
    with Session(seeded) as s:
        person = db.models.Person(
            enterprise_id=eid, name="测试员", id_number="110101199001011237", role="special_worker"
        )
        s.add(person)
        s.commit()
        assert _reached_by_last_write(seeded) == {j, unit}
        s.delete(person)
        s.commit()
        assert _reached_by_last_write(seeded) == {data_generation.COUNTY}
    # a joint inspection of that enterprise by another unit reaches the unit, the township and the supervisor
    with seeded.begin() as conn:
        other = conn.execute(
            text("SELECT id FROM jurisdiction WHERE id NOT IN (:j, :u) ORDER BY id"), {"j": j, "u": unit}
        ).scalar()
    with Session(seeded) as s:
        s.add(
            Inspection(
                jurisdiction_id=other,
                enterprise_id=eid,
                target_kind="enterprise",
                inspected_on=dt.date(2023, 7, 20),
                joint=True,
            )
        )
        s.commit()
    assert _reached_by_last_write(seeded) == {other, j, unit}


def test_a_township_table_stays_stored_until_a_write_reaches_it(seeded: Engine) -> None:
    """One township's save leaves the other townships' stored tables served (however far the generation
    moved); its own is computed afresh and equals the live read; a write reaching the county drops all."""
    months = tuple(_campaign(seeded).months)
    with Session(seeded) as s:
        x, y = [r.id for r in jurisdiction_list.list_jurisdictions(s)][:2]
    calls: dict[int, int] = {x: 0, y: 0}

    def reports(jid: int) -> kpi_details.Table:
        def compute(s: Session) -> kpi_details.Table:
            calls[jid] += 1
            return one_jurisdiction.monthly_reports(s, principal=SYSTEM, jurisdiction_id=jid, months=months)

        return stored_figures.kept(
            seeded,
            name="monthly_reports",
            inputs=(jid, months),
            codec=stored_figures.TABLE,
            compute=compute,
            jurisdiction_id=jid,
        )

    def live(jid: int) -> kpi_details.Table:
        with Session(seeded) as s:
            return one_jurisdiction.monthly_reports(s, principal=SYSTEM, jurisdiction_id=jid, months=months)

    first_x = reports(x)
    reports(y)
    assert calls == {x: 1, y: 1}
    with seeded.begin() as conn:  # township y edits its monthly table
        changed = conn.execute(
            text("UPDATE monthlyreport SET filled_by = '新填表人' WHERE jurisdiction_id = :y"), {"y": y}
        ).rowcount
    assert changed
    assert reports(x) == first_x == live(x)
    assert calls[x] == 1, "x's table served from the store: the write did not reach x"
    after_y = reports(y)
    assert calls[y] == 2 and after_y == live(y)
    assert "新填表人" in {cell for row in after_y.rows for cell in row}
    assert reports(x) == first_x and calls[x] == 1, "storing y's new table did not prune x's"
    with seeded.begin() as conn:  # a write that reaches the whole county: a township renamed
        conn.execute(text("UPDATE jurisdiction SET name = name || '（新）' WHERE id = :y"), {"y": y})
    assert reports(x) == live(x)
    assert calls[x] == 2
    with Session(seeded) as s:
        left = s.exec(select(StoredFigure)).all()
    assert {f.jurisdiction_id for f in left} == {x}, "y's passed row went when x's was stored"


def test_a_figure_stored_by_another_version_of_the_code_is_computed_again(
    seeded: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upgrade that fixes how a figure is computed writes no row: the figures the old code stored
    must not be served by the new one (nor kept forever)."""
    calls: list[str] = []

    def compute(_s: Session) -> list[int]:
        calls.append(stored_figures.code_version())
        return [len(calls)]

    codec = stored_figures.typed(list[int])
    monkeypatch.setattr(stored_figures, "code_version", lambda: "oldversion00")
    assert stored_figures.kept(seeded, name="n", inputs=(1,), codec=codec, compute=compute) == [1]
    assert stored_figures.kept(seeded, name="n", inputs=(1,), codec=codec, compute=compute) == [1]
    assert len(calls) == 1, "the same code: served from the store"
    monkeypatch.setattr(stored_figures, "code_version", lambda: "newversion00")
    assert stored_figures.kept(seeded, name="n", inputs=(1,), codec=codec, compute=compute) == [2]
    with Session(seeded) as s:
        assert [f.key.split(":")[0] for f in s.exec(select(StoredFigure)).all()] == ["n@newversion00"]
