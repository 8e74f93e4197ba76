"""Batch jobs end to end: real rosters, the real double over HTTP, the job store on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from tests.kits.jobkit import (
    AS_OF,
    BLOCK_THEN_OK,
    ERROR_ALWAYS,
    EXPIRED,
    HEADERS,
    JOB_CASSETTES,
    NAME_MISMATCH,
    NOT_FOUND,
    RATE_THEN_OK,
    VALID,
    Person,
    QueryLog,
    counting_double,
    interaction,
    make_client,
    ok,
    roster_rows,
    synthetic_people,
    valid_cassettes,
    valid_record,
    write_cassette,
    write_csv,
    write_xlsx,
)
from verifier.captcha import NoSolver
from verifier.captcha_queue import CaptchaHub, QueueSolver
from verifier.exports import result_table
from verifier.jobs import (
    CAPTCHA_TIMEOUT_REASON,
    JobRunner,
    PersonDone,
    cancel_job,
    create_job,
    pause_job,
    recheck_after,
    resume_job,
    run_to_end,
    single_client,
)
from verifier.roster import read_roster
from verifier.store import JobStatus, JobStore, may_reuse
from verifier.types import CertRecord, Family

BAD_ID = "500230198503120112"  # wrong check character


@pytest.fixture
def store(db_url_engine: tuple[str, Engine]) -> Iterator[JobStore]:
    """The verifier's tables in an empty database (SQLite file or a fresh PostgreSQL schema)."""
    job_store = JobStore(db_url_engine[1])
    job_store.create_tables()
    yield job_store


@pytest.fixture
def double() -> Iterator[tuple[str, QueryLog]]:
    with counting_double(JOB_CASSETTES) as running:
        yield running


def _job(store: JobStore, path: Path, *, captcha: str = "fixed:8888") -> int:
    roster = read_roster(path, default_family=Family.SPECIAL, as_of=AS_OF)
    return create_job(
        store, roster, filename=path.name, as_of=AS_OF, default_family=Family.SPECIAL, captcha=captcha
    )


def _runner(store: JobStore, url: str, **kwargs: Any) -> JobRunner:
    client = make_client(url, solver=kwargs.pop("solver")) if "solver" in kwargs else make_client(url)
    return JobRunner(store, client_factory=single_client(client), cache_ttl_days=30, **kwargs)


def _outcomes(store: JobStore, job_id: int) -> list[tuple[int, str]]:
    job = store.get_job(job_id)
    assert job is not None
    return [(row["行号"], row["outcome"]) for row in result_table(store, job)]


def _rows(*people: Person | str) -> list[list[Any]]:
    rows = []
    for p in people:
        rows.append(["吴刚", p, "低压电工作业", ""] if isinstance(p, str) else roster_rows([p])[0])
    return rows


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_outcomes_duplicates_and_invalid_rows(
    store: JobStore, double: tuple[str, QueryLog], tmp_path: Path, fmt: str
) -> None:
    url, log = double
    rows = _rows(VALID, EXPIRED, VALID, NAME_MISMATCH, NOT_FOUND, BAD_ID, ERROR_ALWAYS, EXPIRED, VALID)
    path = (
        write_xlsx(tmp_path / "r.xlsx", rows, title="某县特种作业人员名单")
        if fmt == "xlsx"
        else write_csv(tmp_path / "r.csv", rows)
    )
    first = 3 if fmt == "xlsx" else 2  # data starts below the title row and the header
    job_id = _job(store, path)

    assert run_to_end(_runner(store, url), job_id) is JobStatus.DONE
    expected = [
        "VALID",
        "EXPIRED",
        "VALID",
        "NAME_MISMATCH",
        "NOT_FOUND",
        "INPUT_INVALID",
        "PLATFORM_ERROR",
        "EXPIRED",
        "VALID",
    ]
    assert _outcomes(store, job_id) == [(first + i, code) for i, code in enumerate(expected)]
    # each distinct person asked once (the 502 person once, with its three attempts); the bad ID never
    counts = log.per_person()
    assert counts[VALID.id_number] == counts[EXPIRED.id_number] == 1
    assert counts[NAME_MISMATCH.id_number] == counts[NOT_FOUND.id_number] == 1
    assert counts[ERROR_ALWAYS.id_number] == 3
    assert BAD_ID not in counts
    job = store.get_job(job_id)
    assert job is not None and job.queries == 5 and job.total_persons == 5 and job.total_rows == 9
    progress = store.progress(job_id)
    assert progress.done == progress.total == 9
    assert progress.by_outcome == {
        "VALID": 3,
        "EXPIRED": 2,
        "NAME_MISMATCH": 1,
        "NOT_FOUND": 1,
        "INPUT_INVALID": 1,
        "PLATFORM_ERROR": 1,
    }


@pytest.mark.parametrize(
    ("stopper", "code"), [(BLOCK_THEN_OK, "BLOCKED"), (RATE_THEN_OK, "RATE_LIMITED")], ids=["403", "429"]
)
def test_stop_marks_the_rest_not_checked_and_resume_finishes(
    store: JobStore, double: tuple[str, QueryLog], tmp_path: Path, stopper: Person, code: str
) -> None:
    url, log = double
    rows = _rows(VALID, stopper, BAD_ID, EXPIRED, stopper, NOT_FOUND, VALID)
    job_id = _job(store, write_xlsx(tmp_path / "r.xlsx", rows))
    runner = _runner(store, url)

    assert run_to_end(runner, job_id) is JobStatus.STOPPED
    assert [o for _, o in _outcomes(store, job_id)] == [
        "VALID",
        code,
        "INPUT_INVALID",
        "NOT_CHECKED",
        code,
        "NOT_CHECKED",
        "VALID",
    ]
    job = store.get_job(job_id)
    assert job is not None and job.stop_outcome == code and job.stop_reason
    assert len(log) == 2  # nothing after the stop

    assert resume_job(store, job_id)
    assert run_to_end(runner, job_id) is JobStatus.DONE
    assert [o for _, o in _outcomes(store, job_id)] == [
        "VALID",
        "VALID",
        "INPUT_INVALID",
        "EXPIRED",
        "VALID",
        "NOT_FOUND",
        "VALID",
    ]
    counts = log.per_person()
    assert counts[VALID.id_number] == 1  # answered before the stop: never asked again
    assert counts[stopper.id_number] == 2  # the stop, then the answer after the block was lifted
    assert counts[EXPIRED.id_number] == counts[NOT_FOUND.id_number] == 1
    job = store.get_job(job_id)
    assert job is not None and job.stop_reason is None and job.queries == 5


def test_rerun_within_ttl_makes_no_platform_query(
    store: JobStore, double: tuple[str, QueryLog], tmp_path: Path
) -> None:
    url, log = double
    path = write_xlsx(tmp_path / "r.xlsx", _rows(VALID, EXPIRED, NAME_MISMATCH, NOT_FOUND, ERROR_ALWAYS))
    runner = _runner(store, url)
    first = _job(store, path)
    run_to_end(runner, first)
    asked = len(log)

    second = _job(store, path)
    assert run_to_end(runner, second) is JobStatus.DONE
    assert _outcomes(store, second) == _outcomes(store, first)
    # verdicts (records, also an empty list) come from the cache; failures are never cached
    assert log.ids[asked:] == [ERROR_ALWAYS.id_number] * 3
    job = store.get_job(second)
    assert job is not None and job.queries == 1
    cached = [s.from_cache for s in store.iter_rows(second)]
    assert cached == [True, True, True, True, False]


def test_cache_expiry_asks_again(store: JobStore, double: tuple[str, QueryLog], tmp_path: Path) -> None:
    url, log = double
    path = write_csv(tmp_path / "r.csv", _rows(VALID))
    runner = JobRunner(store, client_factory=single_client(make_client(url)), cache_ttl_days=0)
    run_to_end(runner, _job(store, path))
    run_to_end(runner, _job(store, path))
    assert log.per_person()[VALID.id_number] == 2


def _record(**kw: Any) -> CertRecord:
    return CertRecord(name="王磊", **kw)


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        ((), dt.datetime(2023, 7, 30, 12)),
        ((_record(valid_until=dt.date(2027, 1, 1)),), dt.datetime(2023, 7, 30, 12)),
        ((_record(valid_until=dt.date(2023, 7, 10)),), dt.datetime(2023, 7, 10)),
        (
            (_record(review_due=dt.date(2023, 7, 5), valid_until=dt.date(2023, 7, 10)),),
            dt.datetime(2023, 7, 5),
        ),
        ((_record(valid_until=dt.date(2023, 1, 1)),), dt.datetime(2023, 7, 30, 12)),  # already past
        ((_record(valid_until=dt.date(2023, 7, 10), is_history=True),), dt.datetime(2023, 7, 30, 12)),
    ],
    ids=["empty", "far", "expiry-soon", "review-soon", "past", "history"],
)
def test_recheck_after(records: tuple[CertRecord, ...], expected: dt.datetime) -> None:
    fetched = dt.datetime(2023, 6, 30, 12)
    assert recheck_after(records, fetched_at=fetched, ttl_days=30) == expected


def test_pause_resume_cancel(store: JobStore, tmp_path: Path) -> None:
    people = synthetic_people(12)
    cassettes = valid_cassettes(tmp_path / "c", people)
    path = write_xlsx(tmp_path / "r.xlsx", roster_rows(people))
    with counting_double(cassettes) as (url, log):
        job_id = _job(store, path)
        seen: list[PersonDone] = []

        def pause_after_three(done: PersonDone) -> None:
            seen.append(done)
            if len(seen) == 3:
                assert pause_job(store, job_id)

        runner = _runner(store, url, on_person=pause_after_three)
        assert run_to_end(runner, job_id) is JobStatus.PAUSED
        progress = store.progress(job_id)
        assert progress.done == 3 and progress.pending == 9
        assert not pause_job(store, job_id)  # already paused
        assert resume_job(store, job_id)
        assert run_to_end(_runner(store, url), job_id) is JobStatus.DONE
        assert store.progress(job_id).by_outcome == {"VALID": 12}
        assert len(log) == 12 and set(log.per_person().values()) == {1}

        other = _job(store, path)
        store.clear_cache()

        def cancel_after_two(done: PersonDone) -> None:
            if done.job_id == other and store.progress(other).done == 2:
                assert cancel_job(store, other)

        assert run_to_end(_runner(store, url, on_person=cancel_after_two), other) is JobStatus.CANCELLED
        assert store.progress(other).by_outcome == {"VALID": 2, "NOT_CHECKED": 10}
        assert not resume_job(store, other) and not cancel_job(store, other)
        assert len(log) == 14


def test_no_way_to_answer_captcha_gives_captcha_required(
    store: JobStore, double: tuple[str, QueryLog], tmp_path: Path
) -> None:
    url, log = double
    job_id = _job(store, write_csv(tmp_path / "r.csv", _rows(VALID, BAD_ID, EXPIRED)))
    assert run_to_end(_runner(store, url, solver=NoSolver()), job_id) is JobStatus.STOPPED
    assert [o for _, o in _outcomes(store, job_id)] == [
        "CAPTCHA_REQUIRED",
        "INPUT_INVALID",
        "CAPTCHA_REQUIRED",
    ]
    assert len(log) == 0  # no query without a captcha answer


def test_queue_solver_waits_for_a_person(
    store: JobStore, double: tuple[str, QueryLog], tmp_path: Path
) -> None:
    url, log = double
    job_id = _job(store, write_csv(tmp_path / "r.csv", _rows(VALID, EXPIRED)), captcha="queue")
    hub = CaptchaHub()
    statuses: list[JobStatus] = []

    def on_wait(waiting: bool) -> None:
        job = store.get_job(job_id)
        assert job is not None
        statuses.append(job.status)

    runner = _runner(store, url, solver=QueueSolver(hub, job_id=job_id, wait_s=5, on_wait=on_wait))

    def person() -> None:
        answered = 0
        deadline = time.monotonic() + 10
        while answered < 2 and time.monotonic() < deadline:
            challenge = hub.current(job_id)
            if challenge is not None:
                assert challenge.image_png.startswith(b"\x89PNG")
                assert challenge.context.masked_id != challenge.context.name
                answered += hub.answer(job_id, "8888")
            time.sleep(0.01)

    helper = threading.Thread(target=person)
    helper.start()
    assert run_to_end(runner, job_id) is JobStatus.DONE
    helper.join()
    assert [o for _, o in _outcomes(store, job_id)] == ["VALID", "EXPIRED"]
    assert len(log) == 2


def test_queue_solver_timeout_pauses_the_job(
    store: JobStore, double: tuple[str, QueryLog], tmp_path: Path
) -> None:
    url, log = double
    job_id = _job(store, write_csv(tmp_path / "r.csv", _rows(VALID)), captcha="queue")
    solver = QueueSolver(CaptchaHub(), job_id=job_id, wait_s=0.05)
    assert run_to_end(_runner(store, url, solver=solver), job_id) is JobStatus.PAUSED
    job = store.get_job(job_id)
    assert job is not None and job.stop_reason == CAPTCHA_TIMEOUT_REASON
    assert store.progress(job_id).pending == 1 and len(log) == 0


# --- reusing answers (verification.md §3) -------------------------------------------------------


def _lagging_runs(
    store: JobStore,
    tmp_path: Path,
    *,
    rows: list[list[Any]],
    headers: tuple[str, ...],
    family: Family,
    first: dict[str, Any],
    second: dict[str, Any],
    as_ofs: tuple[dt.date, dt.date],
) -> tuple[list[str], list[str], int]:
    """Run the roster twice against two doubles (the platform before and after it gained a record)."""
    path = write_csv(tmp_path / "r.csv", rows, headers=headers)
    outcomes: list[list[str]] = []
    queries = 0
    for index, (response, as_of) in enumerate(zip((first, second), as_ofs, strict=True)):
        directory = tmp_path / f"c{index}"
        answer = interaction(LAGGING, response)
        answer["match"]["family"] = family.value
        write_cassette(directory, "p.json", [answer])
        with counting_double(directory) as (url, log):
            roster = read_roster(path, default_family=family, as_of=as_of)
            job_id = create_job(
                store, roster, filename=path.name, as_of=as_of, default_family=family, captcha="fixed:8888"
            )
            run_to_end(_runner(store, url), job_id)
            outcomes.append([o for _, o in _outcomes(store, job_id)])
            queries = len(log)
    return outcomes[0], outcomes[1], queries


LAGGING = synthetic_people(1, region="500250")[0]


def test_an_empty_answer_is_not_reused_for_a_later_as_of(store: JobStore, tmp_path: Path) -> None:
    """Issue 12.1: NOT_FOUND + DATA_MAY_LAG, then the platform gains the record: asked again."""
    rows = [[LAGGING.name, LAGGING.id_number, "低压电工作业", "", "2023-06-29"]]
    first, second, asked = _lagging_runs(
        store,
        tmp_path,
        rows=rows,
        headers=(*HEADERS, "发证日期"),
        family=Family.SPECIAL,
        first=ok(),
        second=ok(valid_record(LAGGING)),
        as_ofs=(AS_OF, AS_OF + dt.timedelta(days=4)),
    )
    assert first == ["NOT_FOUND"]
    assert second == ["VALID"] and asked == 1


def test_an_other_names_answer_is_not_reused_for_a_later_as_of(store: JobStore, tmp_path: Path) -> None:
    other = valid_record(LAGGING, name="王某某")
    first, second, asked = _lagging_runs(
        store,
        tmp_path,
        rows=roster_rows([LAGGING]),
        headers=HEADERS,
        family=Family.SPECIAL,
        first=ok(other),
        second=ok(other, valid_record(LAGGING)),
        as_ofs=(AS_OF, AS_OF + dt.timedelta(days=1)),
    )
    assert first == ["NAME_MISMATCH"] and second == ["VALID"] and asked == 1


def test_a_grace_recheck_asks_again(store: JobStore, tmp_path: Path) -> None:
    """A safety NOT_FOUND within the 6-month grace, re-checked after it: the platform is asked again."""
    rows = [[LAGGING.name, LAGGING.id_number, "安全合格证", "主要负责人", "2023-03-01"]]
    headers = ("姓名", "身份证号", "证书类型", "人员类型", "任职日期")
    safety = {"status": 200, "json": {"code": 200, "msg": "查询成功", "data": []}}
    first, second, asked = _lagging_runs(
        store,
        tmp_path,
        rows=rows,
        headers=headers,
        family=Family.SAFETY,
        first=safety,
        second=safety,
        as_ofs=(AS_OF, dt.date(2023, 9, 5)),
    )
    assert first == ["NOT_FOUND"] and second == ["NOT_FOUND"]
    assert asked == 1  # not the cached empty answer of June


def test_a_same_day_empty_answer_is_reused(store: JobStore, tmp_path: Path) -> None:
    first, second, asked = _lagging_runs(
        store,
        tmp_path,
        rows=roster_rows([LAGGING]),
        headers=HEADERS,
        family=Family.SPECIAL,
        first=ok(),
        second=ok(valid_record(LAGGING)),
        as_ofs=(AS_OF, AS_OF),
    )
    assert first == second == ["NOT_FOUND"] and asked == 0


def test_an_answer_whose_end_date_passed_in_between_is_asked_again(store: JobStore, tmp_path: Path) -> None:
    soon = valid_record(LAGGING, validEndDate="2023-07-10")
    renewed = valid_record(LAGGING, validEndDate="2029-07-10")
    first, second, asked = _lagging_runs(
        store,
        tmp_path,
        rows=roster_rows([LAGGING]),
        headers=HEADERS,
        family=Family.SPECIAL,
        first=ok(soon),
        second=ok(renewed),
        as_ofs=(AS_OF, dt.date(2023, 7, 20)),
    )
    assert first == ["VALID_WITH_WARNINGS"] and second == ["VALID"] and asked == 1


def test_reuse_counts_days_and_as_of() -> None:
    record = CertRecord(name="王磊", valid_until=dt.date(2023, 7, 10))
    base = {"name_key": "王磊", "fetched_day": dt.date(2026, 12, 5), "today": dt.date(2026, 12, 5)}
    assert may_reuse((record,), fetched_for=AS_OF, as_of=AS_OF, **base)  # type: ignore[arg-type]
    assert may_reuse((record,), fetched_for=AS_OF, as_of=dt.date(2023, 7, 5), **base)  # type: ignore[arg-type]
    assert not may_reuse((record,), fetched_for=AS_OF, as_of=dt.date(2023, 7, 10), **base)  # type: ignore[arg-type]
    assert not may_reuse((), fetched_for=AS_OF, as_of=AS_OF, **{**base, "today": dt.date(2026, 12, 6)})  # type: ignore[arg-type]
    assert may_reuse((), fetched_for=AS_OF, as_of=AS_OF, **base)  # type: ignore[arg-type]


def test_a_store_made_before_fetched_for_gains_the_column(db_url_engine: tuple[str, Engine]) -> None:
    """`create_all` never alters a table: a store of an earlier version gets the new column once."""
    from sqlalchemy import inspect, text

    engine = db_url_engine[1]
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE verifier_answers (family VARCHAR(10), id_number VARCHAR(32), name_key TEXT,"
                " records JSON NOT NULL, fetched_at TIMESTAMP NOT NULL, recheck_after TIMESTAMP NOT NULL,"
                " evidence TEXT, PRIMARY KEY (family, id_number, name_key))"
            )
        )
    store = JobStore(engine)
    store.create_tables()
    store.create_tables()  # a second start finds it in place
    assert "fetched_for" in {c["name"] for c in inspect(engine).get_columns("verifier_answers")}


# --- the per-person cost (issue 16 item 4) ---------------------------------------------------------


def _worker(store: JobStore, url: str) -> Any:
    from anpei.settings import Settings
    from verifier.worker import Worker

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    return Worker(
        store,
        settings=settings,
        hub=CaptchaHub(),
        platform_url=url,
        min_interval_s=0,
        backoff_base_s=0,
        purge_every_s=None,
        record_dir=None,
    )


def test_the_worker_does_not_ask_for_a_more_urgent_job_before_every_person(
    store: JobStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = synthetic_people(20)
    looks: list[int] = []
    real = store.has_higher_priority

    def counted(job: Any) -> bool:
        looks.append(job.id)
        return real(job)

    monkeypatch.setattr(store, "has_higher_priority", counted)
    with counting_double(valid_cassettes(tmp_path / "c", people)) as (url, log):
        worker = _worker(store, url)
        job_id = _job(store, write_xlsx(tmp_path / "r.xlsx", roster_rows(people)))
        worker.wake()  # what the service does when a job is queued
        assert worker.runner.run(job_id) is JobStatus.DONE
    assert len(log) == 20
    assert 1 <= len(looks) <= 2  # once for the queued job (and once more if the run took a second)


def test_a_job_queued_through_the_service_is_noticed_at_the_next_person(
    store: JobStore, tmp_path: Path
) -> None:
    people = synthetic_people(12)
    with counting_double(valid_cassettes(tmp_path / "c", people)) as (url, log):
        worker = _worker(store, url)
        job_id = _job(store, write_xlsx(tmp_path / "r.xlsx", roster_rows(people[:10])))
        done: list[PersonDone] = []

        def on_person(person: PersonDone) -> None:
            done.append(person)
            if len(done) == 3:  # an urgent job arrives while the batch runs
                roster = read_roster(
                    write_xlsx(tmp_path / "u.xlsx", roster_rows(people[10:])),
                    default_family=Family.SPECIAL,
                    as_of=AS_OF,
                )
                create_job(
                    store,
                    roster,
                    filename="u.xlsx",
                    as_of=AS_OF,
                    default_family=Family.SPECIAL,
                    captcha="fixed:8888",
                    priority=10,
                )
                worker.wake()

        worker.runner.on_person = on_person
        assert worker.runner.run(job_id) is JobStatus.QUEUED
    assert len(done) == 3 and len(log) == 3
    assert store.progress(job_id).done == 3


def test_rows_and_answers_are_read_for_many_people_at_once(store: JobStore, tmp_path: Path) -> None:
    """What the runner reads per chunk: each person's pending rows, and stored answers only for the
    exact (family, ID, name) asked — another name under the same ID is someone else's answer."""
    people = synthetic_people(3)
    rows = [*roster_rows(people), roster_rows(people[:1])[0]]  # the first person twice
    with counting_double(valid_cassettes(tmp_path / "c", people[:1])) as (url, _log):
        job_id = _job(store, write_xlsx(tmp_path / "r.xlsx", rows))
        keys = store.pending_persons(job_id)
        pending = store.pending_rows_of(job_id, keys)
        assert [seq for seq, _row in pending[keys[0]]] == [0, 3] and len(pending) == 3
        assert store.cached_answers([]) == {}
        run_to_end(_runner(store, url), job_id)
    assert store.pending_rows_of(job_id, keys) == {}
    first = people[0]
    from verifier.names import name_key

    own = ("special", first.id_number, name_key(first.name))
    found = store.cached_answers([own, ("special", first.id_number, "某某"), ("safety", *own[1:])])
    assert list(found) == [own]
    assert found[own].reusable(name_key=own[2], as_of=AS_OF) is not None
