"""Read results kept in the database against the data generation (issue 16).

The dashboard's heaviest reads are the same for every reader: a month's figures for every township
and unit (`month_figures.township_month_summary`) and a quarter's ranking measures
(`scoring_measures.ranking_measures`); the rest are the same for every reader of one scope (a
township's tables). Each dashboard process used to compute them again, and again after every
restart. Here the first reader after a write computes one, and every process reads it back while the
data generation (`db.reads.data_generation`) it was computed at is still current — a materialised
summary refreshed by the first read after a write. On PostgreSQL an advisory lock per key makes the
processes that want it at once wait for the first instead of computing it too. Rows of a generation
that has passed are deleted when a newer result is stored. One jurisdiction's own tables
(`jurisdiction_id` given) outlive the generation: they stay valid until a write reaches that
jurisdiction or the whole county (`data_generation.REACH`), so one township's save leaves the other
townships' tables stored. A result computed in less than
`STORE_AFTER_S` is not stored (cheaper to compute again), and a read whose last computation in this
process was that quick skips the store altogether (a small county's dashboard never touches it).

The stored value is the live function's own result, serialised to JSON and read back into the same
types (`Codec`); `tests/db/test_db_stored_figures.py` holds it equal to the live result on both
databases, and holds a write in between making the next read compute afresh. Keys name the read and
every input (the reader's scope included), hashed.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter
from sqlalchemy import and_, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

import anpei
from anpei.periods import Month
from db.models import StoredFigure
from db.reads import campaign_calendar, data_generation, month_figures
from db.reads.kpi_details import Table
from db.rules.access import SYSTEM
from db.rules.scoring_measures import QuarterWindow, ranking_measures

T = TypeVar("T")


@dataclass(frozen=True)
class Codec(Generic[T]):
    """How a result travels to the `payload` column and back, exactly."""

    dump: Callable[[T], str]
    load: Callable[[str], T]


def typed(kind: Any) -> Codec[Any]:
    """A codec for dataclasses, lists and dicts of them, by their annotations (pydantic)."""
    adapter: TypeAdapter[Any] = TypeAdapter(kind)
    return Codec(lambda value: adapter.dump_json(value).decode(), adapter.validate_json)


def _cell_out(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime):
        return {"t": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    raise TypeError(f"a table cell of type {type(value).__name__} is not stored")


def _cell_in(value: Any) -> Any:
    if isinstance(value, dict):
        ((tag, text_value),) = value.items()
        if tag == "t":
            return dt.datetime.fromisoformat(text_value)
        if tag == "d":
            return dt.date.fromisoformat(text_value)
        return Decimal(text_value)
    return value


def _table_out(table: Table) -> dict[str, Any]:
    return {
        "columns": table.columns,
        "rows": [[_cell_out(v) for v in row] for row in table.rows],
        "total": table.total,
    }


def _table_in(raw: dict[str, Any]) -> Table:
    return Table(
        tuple(raw["columns"]), [tuple(_cell_in(v) for v in row) for row in raw["rows"]], raw["total"]
    )


TABLE: Codec[Table] = Codec(
    lambda table: json.dumps(_table_out(table), ensure_ascii=False),
    lambda payload: _table_in(json.loads(payload)),
)
TABLES: Codec[tuple[Table, ...]] = Codec(
    lambda tables: json.dumps([_table_out(t) for t in tables], ensure_ascii=False),
    lambda payload: tuple(_table_in(raw) for raw in json.loads(payload)),
)
# A result is stored when computing it took at least this long: a small county's figures take a few
# milliseconds, less than writing them and reading them back (and, on SQLite, the write lock they
# would take); a province's take from tens of milliseconds to a second.
STORE_AFTER_S = 0.02

_MONTH_ROWS = typed(list[month_figures.JurisdictionMonthRow])
_MEASURES = typed(dict[int, dict[str, float]])
_TABLE = StoredFigure.__table__  # type: ignore[attr-defined]


def county_month(engine: Engine, *, month: Month, as_of: dt.date) -> list[month_figures.JurisdictionMonthRow]:
    """Every jurisdiction of any kind in `month` as of `as_of`, as `township_month_summary` gives it
    to a reader of everything (callers narrow it to their reader)."""
    return kept(
        engine,
        name="county_month",
        inputs=(month, as_of),
        codec=_MONTH_ROWS,
        compute=lambda s: month_figures.township_month_summary(
            s, principal=SYSTEM, month=month, as_of=as_of, kinds=None
        ),
    )


def quarter_measures(
    engine: Engine,
    *,
    campaign: campaign_calendar.CampaignInfo,
    window: QuarterWindow,
    jurisdiction_ids: Sequence[int],
) -> dict[int, dict[str, float]]:
    """`scoring_measures.ranking_measures` for the window and jurisdictions (whoever asks)."""
    ids = list(jurisdiction_ids)
    return kept(
        engine,
        name="quarter_measures",
        inputs=(campaign.id, window, ids),
        codec=_MEASURES,
        compute=lambda s: ranking_measures(s, campaign=campaign, window=window, jurisdiction_ids=ids),
    )


def measures_reader(engine: Engine) -> Callable[..., dict[int, dict[str, float]]]:
    """A `ranking_measures` stand-in for `scoring_assessment.assess_quarter` that reads the kept figures."""

    def read(
        _session: Session,
        *,
        campaign: campaign_calendar.CampaignInfo,
        window: QuarterWindow,
        jurisdiction_ids: Sequence[int],
    ) -> dict[int, dict[str, float]]:
        return quarter_measures(engine, campaign=campaign, window=window, jurisdiction_ids=jurisdiction_ids)

    return read


def forget_all(engine: Engine) -> int:
    """Drop every stored figure (the benchmark's cold start; never needed for correctness)."""
    with engine.begin() as conn:
        return conn.execute(_TABLE.delete()).rowcount or 0


def key_of(name: str, inputs: tuple[Any, ...]) -> str:
    """`name`, the code that computes it (`code_version`) and a digest of every input (their `repr`:
    dataclasses, dates and scopes spell out their fields)."""
    return f"{name}@{code_version()}:{hashlib.sha256(repr(inputs).encode()).hexdigest()[:40]}"


@functools.cache
def code_version() -> str:
    """A digest of the source of `db/` and `anpei/`, where every stored read and its rules live. An
    upgrade that changes how a figure is computed (a definition fixed) writes no row, so the data
    generation does not move: without this the store would serve the old code's figures until the next
    write. With it the new code computes its own, and the old rows are pruned (`_store`)."""
    digest = hashlib.sha256()
    for package in (Path(__file__).resolve().parents[1], Path(anpei.__file__).resolve().parent):
        for source in sorted(package.rglob("*.py")):
            digest.update(source.relative_to(package).as_posix().encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


def kept(
    engine: Engine,
    *,
    name: str,
    inputs: tuple[Any, ...],
    codec: Codec[T],
    compute: Callable[[Session], T],
    jurisdiction_id: int | None = None,
) -> T:
    """`compute`'s result for these inputs at the current data generation: read from the store, or
    computed (in a session of its own) and stored.

    `jurisdiction_id`: the read is that one jurisdiction's own table, which no write outside it can
    change (`data_generation.REACH`): the stored result stays valid while no write has reached that
    jurisdiction or the whole county since it was computed, however far the generation moved."""
    if _last_took.get(name, STORE_AFTER_S) < STORE_AFTER_S:  # this read was quick last time: no store
        with Session(engine) as session:
            return _timed(name, compute, session)
    key = key_of(name, inputs)
    with engine.connect() as conn:
        with conn.begin():
            generation = data_generation.current(conn)  # first: what is computed below is at least this new
            if conn.dialect.name == "postgresql":
                # the processes that want this figure now wait for the first; released at commit
                conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
            fresh = (
                _TABLE.c.generation == generation
                if jurisdiction_id is None
                else _TABLE.c.generation >= data_generation.last_reached(jurisdiction_id)
            )
            stored = conn.execute(select(_TABLE.c.payload).where(_TABLE.c.key == key, fresh)).scalar()
            if stored is not None:
                return codec.load(stored)
            started = time.perf_counter()
            with Session(bind=conn) as session:
                value = _timed(name, compute, session)
            if time.perf_counter() - started < STORE_AFTER_S:
                return value  # quicker to compute again than to store, read back and decode
            try:
                payload = codec.dump(value)
            except TypeError:  # a value the codec cannot carry exactly: served, not stored
                return value
            if conn.dialect.name == "postgresql":
                _store(conn, key=key, generation=generation, payload=payload, jurisdiction_id=jurisdiction_id)
                return value
        # SQLite: a read transaction cannot become a writer once another connection has committed
        # (WAL), so the figure is stored in a transaction of its own; failing to keep it costs only time
        try:
            with conn.begin():
                _store(conn, key=key, generation=generation, payload=payload, jurisdiction_id=jurisdiction_id)
        except OperationalError:
            pass
        return value


_last_took: dict[str, float] = {}  # seconds the last computation of each read took, in this process


def _timed(name: str, compute: Callable[[Session], T], session: Session) -> T:
    started = time.perf_counter()
    value = compute(session)
    _last_took[name] = time.perf_counter() - started
    return value


def _store(
    conn: Connection, *, key: str, generation: int, payload: str, jurisdiction_id: int | None = None
) -> None:
    """Insert or replace, never with an older generation than the one stored; drop the rows that can
    no longer be served (county-wide: a passed generation; a jurisdiction's: a write reached it since)."""
    row: dict[str, Any] = {
        "key": key,
        "generation": generation,
        "jurisdiction_id": jurisdiction_id,
        "payload": payload,
        "computed_at": dt.datetime.now(dt.UTC),
    }
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(_TABLE).values(**row)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[_TABLE.c.key],
            set_={k: stmt.excluded[k] for k in ("generation", "jurisdiction_id", "payload", "computed_at")},
            where=_TABLE.c.generation < stmt.excluded.generation,
        )
    )
    passed = or_(
        and_(
            _TABLE.c.generation < generation,
            or_(
                _TABLE.c.jurisdiction_id.is_(None),
                _TABLE.c.generation < data_generation.last_reached(_TABLE.c.jurisdiction_id),
            ),
        ),
        _TABLE.c.key.not_like(f"%@{code_version()}:%"),  # computed by another version of the code
    )
    if conn.dialect.name == "postgresql":  # rows another process is replacing now are left to it (no waits)
        locked = select(_TABLE.c.key).where(passed).with_for_update(skip_locked=True)
        conn.execute(_TABLE.delete().where(_TABLE.c.key.in_(locked.scalar_subquery())))
    else:
        conn.execute(_TABLE.delete().where(passed))
