"""Cached access to the read services: one engine per database URL, query results with a TTL.

Results are shared by every session of the process (`_shared`: one object, never a copy per session,
held under `st.cache_resource` so Streamlit's "clear cache" drops them: issue 16) and are read-only — pages build new frames from them, never change them. They are
kept for one data generation (`db.reads.data_generation`, raised by database triggers on every write to
a campaign table, from whichever process or tool): every page run starts with `sync`, which drops
what the writes since made stale once the generation has moved — the county-wide reads, and the own
tables of the jurisdictions the writes reached — so no process serves figures older than the last
commit, also behind a proxy with several dashboard processes. The reads are kept in the database as well
(`db.reads.stored_figures`: the county-wide month figures and ranking measures, 总览's trends and grid,
each scope's township tables), computed once for every process and restart until the next write that
reaches them.

Every cached function takes the database URL first, so two databases never share a cache entry,
and the reader's scope (`db.rules.access.read_scope` of the logged-in user) second, so users who may read
the same share entries and a township's cache never holds another township's rows. The services
check the scope themselves (AccessDenied for another jurisdiction). Results are read models (frozen
dataclasses) or DataFrames, never ORM rows.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar, cast

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from anpei import clock
from anpei.periods import Month, Quarter
from anpei.settings import get_settings
from db.engine import make_engine
from db.reads import (
    campaign_calendar,
    county_dedup,
    data_generation,
    jurisdiction_list,
    kpi_cards,
    kpi_details,
    month_figures,
    month_trends,
    one_jurisdiction,
    rankings,
    status_grid,
    stored_figures,
)
from db.rules import scoring, scoring_assessment
from db.rules.access import SYSTEM, Principal, can_read, read_scope, require_read
from db.training import leads

# what the database keeps of these reads (db.reads.stored_figures), by their types
_GRID = stored_figures.typed(list[status_grid.GridCell])
_TRENDS = stored_figures.typed(list[month_trends.MonthTrend])
_MIX = stored_figures.typed(list[one_jurisdiction.EnterpriseMix])

TTL = dt.timedelta(hours=1)  # a bound on memory and on the few reads no trigger watches (none today)


def database_url() -> str:
    """`Settings.database_url` (DATABASE_URL)."""
    return get_settings().database_url


_SHARED: list[Any] = []
F = TypeVar("F", bound=Callable[..., Any])


def _principal_key(principal: Principal) -> tuple[object, ...]:
    return (
        principal.username,
        principal.role.value,
        principal.user_id,
        principal.jurisdiction_id,
        principal.display_name,
    )


def _arg_key(value: object) -> object:
    return _principal_key(value) if isinstance(value, Principal) else value


class _Entries:
    """One cached function's values in this process: computed once per key (a lock per key), kept for
    TTL, the least recently used dropped beyond `max_entries`."""

    def __init__(self, max_entries: int | None) -> None:
        self.max_entries = max_entries
        self.values: OrderedDict[tuple[object, ...], tuple[float, object]] = OrderedDict()
        self.locks: dict[tuple[object, ...], threading.Lock] = {}
        self.guard = threading.Lock()


@st.cache_resource(show_spinner=False)
def _memory() -> dict[str, _Entries]:
    """Every cached read's entries, held by Streamlit: its "clear cache" (and `st.cache_resource.clear`)
    drops them with everything else."""
    return {}


def _shared(*, max_entries: int | None = None, jurisdiction: str | None = None) -> Callable[[F], F]:
    """A read shared by every session of the process, with the TTL, registered for `invalidate`.

    Keys are the arguments themselves (a `Principal` by its fields; arguments named with a leading
    underscore are left out, as Streamlit does): plain tuple hashing, where Streamlit's own cache
    hashed every argument through MD5 — about 0.4 ms a call and some twenty calls a page run (issue 16).

    `jurisdiction`: the argument naming the one jurisdiction whose own table the read is (None there:
    county-wide). Such entries are dropped only when a write reached that jurisdiction or the county
    (`data_generation.REACH`); every other entry, whenever the generation moved.
    """

    def wrap(func: F) -> F:
        name = f"{func.__module__}.{func.__qualname__}"
        names = func.__code__.co_varnames[: func.__code__.co_argcount]
        kept = [i for i, n in enumerate(names) if not n.startswith("_")]
        tag = None if jurisdiction is None else [names[i] for i in kept].index(jurisdiction)
        defaults = func.__defaults__ or ()

        def entries() -> _Entries:
            memory = _memory()
            found = memory.get(name)
            if found is None:
                found = memory.setdefault(name, _Entries(max_entries))
            return found

        @functools.wraps(func)
        def call(*args: Any) -> Any:
            if len(args) < len(names):  # trailing arguments left to their defaults
                args = (*args, *defaults[len(defaults) - (len(names) - len(args)) :])
            key = tuple(_arg_key(args[i]) for i in kept)
            box = entries()
            with box.guard:
                hit = box.values.get(key)
                if hit is not None and hit[0] > time.monotonic():
                    box.values.move_to_end(key)
                    return hit[1]
                lock = box.locks.setdefault(key, threading.Lock())
            with lock:  # one computation per key; the others wait for it
                with box.guard:
                    hit = box.values.get(key)
                    if hit is not None and hit[0] > time.monotonic():
                        return hit[1]
                value = func(*args)
                with box.guard:
                    box.values[key] = (time.monotonic() + TTL.total_seconds(), value)
                    box.values.move_to_end(key)
                    while box.max_entries is not None and len(box.values) > box.max_entries:
                        old, _ = box.values.popitem(last=False)
                        box.locks.pop(old, None)
            return value

        def clear(reached: Collection[int] | None = None) -> None:
            if reached is None or tag is None:
                _memory().pop(name, None)
                return
            box = entries()
            with box.guard:
                for key in [k for k in box.values if k[tag] is None or k[tag] in reached]:
                    del box.values[key]

        call.clear = clear  # type: ignore[attr-defined]
        _SHARED.append(call)
        return cast(F, call)

    return wrap


def invalidate(reached: Collection[int] | None = None) -> None:
    """After a write: the cached reads of this process are dropped (the engines stay) — every one, or
    with `reached` (the jurisdictions the writes reached) every one but the other jurisdictions' own
    tables."""
    st.cache_data.clear()
    for cached in _SHARED:
        cached.clear(reached)


@st.cache_resource(show_spinner=False)
def engine_for(url: str) -> Engine:
    return make_engine(url)


_seen_generation: dict[str, int] = {}

# Independent shared reads of one page run go out together: the database has more than one core, and a
# cold page waited for five month summaries and two assessments one after another (issue 16). The
# cached functions are context-free, which Streamlit allows off the script thread; entries are still
# computed once (a lock per key in the process, an advisory lock across processes).
_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="anpei-read")
A = TypeVar("A")
R = TypeVar("R")


def _at_once(url: str, read: Callable[[A], R], items: Sequence[A]) -> list[R]:
    """`[read(x) for x in items]`, the reads running at the same time on PostgreSQL (in order; the first
    error raised). Called from a page's own thread only: a pool task never waits for another (no
    deadlock). On the embedded SQLite a small county's reads take milliseconds: one after another is
    cheaper than handing them to threads."""
    if len(items) < 2 or not _parallel(url):
        return [read(x) for x in items]
    return list(_POOL.map(read, items))


def _parallel(url: str) -> bool:
    return engine_for(url).dialect.name == "postgresql"


def sync(url: str) -> int:
    """At the start of a page run: the data generation now (one small query per run). If it moved
    since the last run of any session of this process, the kept reads the writes made stale are
    dropped: the county-wide ones, and the own tables of the jurisdictions the writes reached
    (`data_generation.changed_since`) — a township's save leaves the other townships' tables kept."""
    with engine_for(url).connect() as conn:
        generation = data_generation.current(conn)
        before = _seen_generation.get(url)
        if before is not None and before != generation:
            invalidate(data_generation.changed_since(conn, before))
    _seen_generation[url] = generation
    return generation


def session(url: str) -> Session:
    return Session(engine_for(url))


@_shared()
def campaigns(url: str) -> list[campaign_calendar.CampaignInfo]:
    with session(url) as s:
        return campaign_calendar.list_campaigns(s)


@_shared()
def is_empty(url: str) -> bool:
    with session(url) as s:
        return jurisdiction_list.is_empty(s)


def campaign(url: str, campaign_id: int) -> campaign_calendar.CampaignInfo:
    found = next((c for c in campaigns(url) if c.id == campaign_id), None)
    if found is None:
        raise LookupError(f"专项整治 {campaign_id} 不存在")
    return found


@_shared()
def jurisdictions(url: str) -> list[jurisdiction_list.JurisdictionRef]:
    with session(url) as s:
        return jurisdiction_list.list_jurisdictions(s)


def kpis(
    url: str, principal: Principal, campaign_id: int, month: Month, as_of: dt.date
) -> list[kpi_cards.Kpi]:
    """The KPI cards, from the same cached month rows as the trend charts (one pass for both)."""
    months = tuple(kpi_cards.trend_months(campaign(url, campaign_id), month=month, as_of=as_of))
    return kpi_cards.kpis_from_trends(trends(url, principal, months, as_of), month=month)


def county_vs_units(
    url: str, principal: Principal, campaign_id: int, month: Month, as_of: dt.date
) -> list[county_dedup.CountyVsUnits]:
    """检查生产经营单位 (and 其中): the KPI's 全县（去重） next to the sum of the units' rows."""
    months = tuple(kpi_cards.trend_months(campaign(url, campaign_id), month=month, as_of=as_of))
    county = next((t for t in trends(url, principal, months, as_of) if t.month == str(month)), None)
    if county is None:
        return []
    return county_dedup.county_vs_units(
        county=county, units_sum=county_dedup.units_sum(month_summary(url, principal, month, as_of))
    )


def month_summary(
    url: str, principal: Principal, month: Month, as_of: dt.date
) -> list[month_figures.JurisdictionMonthRow]:
    """Every readable township and member unit in `month` (`month_figures.township_month_summary`), cut from
    the one county-wide summary of that month that every session shares."""
    kinds = set(jurisdiction_list.DEFAULT_KINDS)
    return [
        r
        for r in _county_month(url, month, month_figures.month_as_of(month, as_of))
        if r.kind in kinds and can_read(principal, r.jurisdiction_id)
    ]


@_shared(max_entries=256)
def _county_month(url: str, month: Month, day: dt.date) -> list[month_figures.JurisdictionMonthRow]:
    """Every jurisdiction of any kind in `month` as of `day`: shared, narrowed by the callers."""
    return stored_figures.county_month(engine_for(url), month=month, as_of=day)


def grid(url: str, principal: Principal, campaign_id: int, as_of: dt.date) -> list[status_grid.GridCell]:
    return _grid(url, read_scope(principal), campaign_id, as_of)


@_shared(max_entries=256)
def _grid(url: str, scope: Principal, campaign_id: int, as_of: dt.date) -> list[status_grid.GridCell]:
    return stored_figures.kept(
        engine_for(url),
        name="grid",
        inputs=(scope.username, campaign_id, as_of),
        codec=_GRID,
        compute=lambda s: status_grid.status_grid(
            s, principal=scope, campaign=campaign(url, campaign_id), as_of=as_of
        ),
    )


@_shared()
def codes(url: str) -> dict[int, str]:
    with session(url) as s:
        return rankings.jurisdiction_codes(s)


def ranking(
    url: str, principal: Principal, campaign_id: int, month: Month, as_of: dt.date, kind: str
) -> list[rankings.RankRow]:
    """The month's ranking of one kind, from the cached all-kinds summary and grid (no extra query)."""
    return rankings.ranking_of(
        month_summary(url, principal, month, as_of),
        kind=kind,
        month=month,
        codes=codes(url),
        cells=grid(url, principal, campaign_id, as_of),
    )


def trends(
    url: str, principal: Principal, months: tuple[Month, ...], as_of: dt.date
) -> list[month_trends.MonthTrend]:
    return _trends(url, read_scope(principal), months, as_of)


@_shared(max_entries=256)
def _trends(
    url: str, scope: Principal, months: tuple[Month, ...], as_of: dt.date
) -> list[month_trends.MonthTrend]:
    return stored_figures.kept(
        engine_for(url),
        name="trends",
        inputs=(scope.username, months, as_of),
        codec=_TRENDS,
        compute=lambda s: month_trends.county_trends(s, principal=scope, months=months, as_of=as_of),
    )


def detail(
    url: str,
    principal: Principal,
    kind: str,
    month: Month,
    as_of: dt.date,
    jurisdiction_id: int | None = None,
) -> pd.DataFrame:
    return _detail(url, read_scope(principal), kind, month, as_of, jurisdiction_id)


@_shared(max_entries=256, jurisdiction="jurisdiction_id")
def _detail(
    url: str, scope: Principal, kind: str, month: Month, as_of: dt.date, jurisdiction_id: int | None
) -> pd.DataFrame:
    table = stored_figures.kept(
        engine_for(url),
        name="detail",
        inputs=(scope.username, kind, month, as_of, jurisdiction_id),
        codec=stored_figures.TABLE,
        jurisdiction_id=jurisdiction_id,
        compute=lambda s: kpi_details.detail_rows(
            s, principal=scope, kind=kind, month=month, as_of=as_of, jurisdiction_id=jurisdiction_id
        ),
    )
    return table_frame(table)


def table_frame(table: kpi_details.Table) -> pd.DataFrame:
    frame = pd.DataFrame(table.rows, columns=list(table.columns))
    frame.attrs["total"] = table.total
    return frame


def jurisdiction_months(
    url: str,
    principal: Principal,
    jurisdiction_id: int,
    months: tuple[Month, ...],
    as_of: dt.date,
) -> list[month_figures.JurisdictionMonthRow]:
    """The jurisdiction's row of each month (`one_jurisdiction.jurisdiction_months`: AccessDenied for another's
    staff), from the county-wide month summaries every session shares."""
    require_read(principal, jurisdiction_id)
    summaries = _at_once(
        url, lambda month: _county_month(url, month, month_figures.month_as_of(month, as_of)), months
    )
    return [r for rows in summaries for r in rows if r.jurisdiction_id == jurisdiction_id]


def enterprise_mix(
    url: str, principal: Principal, jurisdiction_id: int, month: Month, months: tuple[Month, ...]
) -> list[one_jurisdiction.EnterpriseMix]:
    return _enterprise_mix(url, read_scope(principal), jurisdiction_id, month, months)


@_shared(max_entries=256, jurisdiction="jurisdiction_id")
def _enterprise_mix(
    url: str, scope: Principal, jurisdiction_id: int, month: Month, months: tuple[Month, ...]
) -> list[one_jurisdiction.EnterpriseMix]:
    return stored_figures.kept(
        engine_for(url),
        name="enterprise_mix",
        inputs=(scope.username, jurisdiction_id, month, months),
        codec=_MIX,
        jurisdiction_id=jurisdiction_id,
        compute=lambda s: one_jurisdiction.enterprise_mix(
            s, principal=scope, jurisdiction_id=jurisdiction_id, month=month, campaign_months=months
        ),
    )


def certificates(
    url: str, principal: Principal, jurisdiction_id: int, first: dt.date, last: dt.date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    return _certificates(url, read_scope(principal), jurisdiction_id, first, last)


@_shared(max_entries=256, jurisdiction="jurisdiction_id")
def _certificates(
    url: str, scope: Principal, jurisdiction_id: int, first: dt.date, last: dt.date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    outcomes, problems = stored_figures.kept(
        engine_for(url),
        name="certificates",
        inputs=(scope.username, jurisdiction_id, first, last),
        codec=stored_figures.TABLES,
        jurisdiction_id=jurisdiction_id,
        compute=lambda s: (
            one_jurisdiction.certificate_outcomes(
                s, principal=scope, jurisdiction_id=jurisdiction_id, first=first, last=last
            ),
            one_jurisdiction.problem_checks(
                s, principal=scope, jurisdiction_id=jurisdiction_id, first=first, last=last
            ),
        ),
    )
    return table_frame(outcomes), table_frame(problems)


def monthly_reports(
    url: str, principal: Principal, jurisdiction_id: int, months: tuple[Month, ...]
) -> pd.DataFrame:
    return _monthly_reports(url, read_scope(principal), jurisdiction_id, months)


@_shared(max_entries=256, jurisdiction="jurisdiction_id")
def _monthly_reports(
    url: str, scope: Principal, jurisdiction_id: int, months: tuple[Month, ...]
) -> pd.DataFrame:
    table = stored_figures.kept(
        engine_for(url),
        name="monthly_reports",
        inputs=(scope.username, jurisdiction_id, months),
        codec=stored_figures.TABLE,
        jurisdiction_id=jurisdiction_id,
        compute=lambda s: one_jurisdiction.monthly_reports(
            s, principal=scope, jurisdiction_id=jurisdiction_id, months=months
        ),
    )
    return table_frame(table)


@_shared(max_entries=1024)
def chart(url: str, key: tuple[object, ...], _build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A chart spec with its tables encoded once (`charts.encoded`), shared by every session whose
    `key` is the same: the key must name everything the spec is built from (the reader's scope, the
    campaign, the month, the day), `_build` is called only on a miss. Dropped by `invalidate`."""
    from dashboard import charts

    return charts.encoded(_build())


def lead_counts(url: str, principal: Principal) -> dict[str, int]:
    """Active training-archive leads by status, as the reader may see them (总览)."""
    return _lead_counts(url, read_scope(principal))


@_shared(max_entries=64)
def _lead_counts(url: str, scope: Principal) -> dict[str, int]:
    with session(url) as s:
        return leads.lead_status_counts(s, principal=scope)


@_shared(max_entries=2048, jurisdiction="jurisdiction_id")
def frame(
    url: str,
    key: tuple[object, ...],
    _build: Callable[[], pd.DataFrame],
    jurisdiction_id: int | None = None,
) -> pd.DataFrame:
    """A page's table built once and shared by every session whose `key` is the same (as `chart`: the
    key names the reader's scope and every input; `_build` reads through the services, which check
    the scope, and is called only on a miss). The same object each run, so its Arrow form is built
    once too (`ui.arrow`); read-only like every shared result. Dropped by `invalidate` — with
    `jurisdiction_id`, when it is built only from that jurisdiction's own tables, only once a write
    reached that jurisdiction or the county."""
    return _build()


# --- scoring --------------------------------------------------------------------------------------


def rules_key() -> tuple[str, float]:
    """The rule file in use and its modification time: an edited file is read again."""
    configured = get_settings().scoring_rules_file  # as scoring.rules_path()
    path = Path(configured) if configured else scoring.DEFAULT_RULES_PATH
    try:
        return str(path), path.stat().st_mtime
    except OSError:
        return str(path), 0.0


@_shared()
def rules(key: tuple[str, float]) -> scoring.ScoringRules:
    return scoring.load_rules(Path(key[0]))


def assessment(
    url: str, principal: Principal, campaign_id: int, quarter: Quarter, as_of: dt.date, key: tuple[str, float]
) -> scoring_assessment.Assessment:
    """The quarter's assessment as `principal` may read it, from one county-wide computation shared by all.

    On PostgreSQL last quarter's assessment (its measures give the rank change) is computed alongside,
    on the pool: the quarter's own computation then finds its measures stored, or waits for them on
    their advisory lock, instead of computing the two quarters one after the other (issue 16)."""
    if _parallel(url):
        _POOL.submit(_county_assessment, url, campaign_id, quarter.previous(), as_of, key, False)
    return scoring_assessment.for_reader(
        _county_assessment(url, campaign_id, quarter, as_of, key, True), principal=principal
    )


@_shared(max_entries=32)
def _county_assessment(
    url: str, campaign_id: int, quarter: Quarter, as_of: dt.date, key: tuple[str, float], with_previous: bool
) -> scoring_assessment.Assessment:
    """Every township's and unit's scores with every measure: shared (read-only) by every session and
    never handed out as it is — `assessment` and `score_history` narrow it to the reader first."""
    with session(url) as s:
        return scoring_assessment.assess_quarter(
            s,
            principal=SYSTEM,
            campaign=campaign(url, campaign_id),
            quarter=quarter,
            as_of=as_of,
            rules=rules(key),
            with_previous=with_previous,
            measures_reader=stored_figures.measures_reader(engine_for(url)),
        )


def score_history(
    url: str,
    principal: Principal,
    campaign_id: int,
    jurisdiction_id: int,
    as_of: dt.date,
    key: tuple[str, float],
) -> list[scoring_assessment.ScorePoint]:
    """One jurisdiction's quarters (`scoring_assessment.score_history`: AccessDenied for another's staff), from the
    shared county-wide assessments rather than one computation per reader."""
    require_read(principal, jurisdiction_id)
    if not _parallel(url):
        quarters = scoring_assessment.history_quarters(campaign(url, campaign_id), as_of=as_of)
        assessments = [_county_assessment(url, campaign_id, x, as_of, key, False) for x in quarters]
    else:
        assessments = [f.result() for f in _history(url, campaign_id, as_of, key)]
    return scoring_assessment.history_points(assessments, jurisdiction_id=jurisdiction_id)


def prefetch_score_history(url: str, campaign_id: int, as_of: dt.date, key: tuple[str, float]) -> None:
    """Start the county-wide assessments a score history needs, without waiting: a page calls it first
    and reads `score_history` at its end, so the heaviest figures are computed while the rest is drawn
    (PostgreSQL; on SQLite `score_history` computes them when it is reached)."""
    if _parallel(url):
        _history(url, campaign_id, as_of, key)


def _history(
    url: str, campaign_id: int, as_of: dt.date, key: tuple[str, float]
) -> list[Future[scoring_assessment.Assessment]]:
    """One task per quarter, each a leaf (a task never waits for another task of the pool)."""
    quarters = scoring_assessment.history_quarters(campaign(url, campaign_id), as_of=as_of)
    return [_POOL.submit(_county_assessment, url, campaign_id, x, as_of, key, False) for x in quarters]


# --- after a write: the county-wide figures computed again at once, not by the next reader ----------

_refresh_guard = threading.Lock()
_refreshing: dict[str, Future[None]] = {}
_refresh_again: set[str] = set()
log = logging.getLogger(__name__)


def after_write(url: str) -> Future[None] | None:
    """A page saved something: drop what it made stale in this process (`sync`) and start computing the
    county-wide figures every first page needs — each begun month's figures and each begun quarter's
    assessment at today's default day — in the background, stored for every process
    (`db.reads.stored_figures`). Writes in quick succession share one refresh (one more run at most).

    PostgreSQL only, where several dashboard processes share the stored figures and a province's
    figures take seconds; on the embedded SQLite the next reader computes them (`None` is returned)."""
    if url in _seen_generation:
        sync(url)  # what this write reached is dropped, the other jurisdictions' tables stay
    else:
        invalidate()
    if not _parallel(url):
        return None
    with _refresh_guard:
        running = _refreshing.get(url)
        if running is not None and not running.done():
            _refresh_again.add(url)
            return running
        started = _POOL.submit(_refresh, url)
        _refreshing[url] = started
        return started


def _refresh(url: str) -> None:
    while True:
        try:
            key = rules_key()
            for info in campaigns(url):
                as_of = campaign_calendar.default_as_of(info, today=clock.local_today())
                month = campaign_calendar.default_month(info, as_of=as_of)
                # 总览's first page (cut from the month summaries, trends and grid) …
                kpis(url, SYSTEM, info.id, month, as_of)
                month_summary(url, SYSTEM, month, as_of)
                grid(url, SYSTEM, info.id, as_of)
                # … and every township's: its months and its score history
                months = [month.previous(), *campaign_calendar.begun_months(info.enforcement_months, as_of)]
                for m in dict.fromkeys(months):
                    _county_month(url, m, month_figures.month_as_of(m, as_of))
                for quarter in scoring_assessment.history_quarters(info, as_of=as_of):
                    _county_assessment(url, info.id, quarter, as_of, key, False)
        except Exception:  # the next reader computes what is missing; a refresh never breaks a save
            log.exception("refreshing the county-wide figures after a write failed")
        with _refresh_guard:
            if url not in _refresh_again:
                return
            _refresh_again.discard(url)
