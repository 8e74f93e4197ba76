"""The verifier's batch figures (issue 3): cost per row, throughput against the double's limit, pacing,
zero queries within the time-to-live, and peak memory of a 50,000-row job. Prints its figures.

Run with `make bench` or `.venv/bin/pytest tests/bench/test_bench_verifier.py -s -o addopts=""`.
The double runs as its own process (`anpei platform-double`), so its CPU is not counted as ours.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.kits.jobkit import (
    AS_OF,
    counting_double,
    make_client,
    roster_rows,
    synthetic_people,
    valid_cassettes,
    write_xlsx,
)
from verifier.exports import write_results
from verifier.jobs import JobRunner, PersonDone, create_job, run_to_end, single_client
from verifier.roster import read_roster
from verifier.store import JobStatus, JobStore
from verifier.types import Family

RECORDED = 500  # people with a recorded certificate; the rest are answered "nothing on record"


@contextmanager
def double_process(cassettes: Path, *, latency_ms: int = 0) -> Iterator[str]:
    """`anpei platform-double` in its own process; yields the URL it prints."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "anpei_cli",
            "platform-double",
            "--cassettes",
            str(cassettes),
            "--latency-ms",
            str(latency_ms),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def _cassettes(folder: Path, n: int, *, recorded: int = RECORDED) -> Path:
    return valid_cassettes(folder / "cassettes", synthetic_people(n)[:recorded])


def _job(store: JobStore, roster: Path) -> int:
    read = read_roster(roster, default_family=Family.SPECIAL, as_of=AS_OF)
    return create_job(
        store, read, filename=roster.name, as_of=AS_OF, default_family=Family.SPECIAL, captcha="fixed:8888"
    )


def test_cost_per_row_10k(tmp_path: Path) -> None:
    n = 10_000
    roster = write_xlsx(tmp_path / "roster.xlsx", roster_rows(synthetic_people(n)))
    store = JobStore.from_url(f"sqlite:///{tmp_path / 'verifier.db'}")
    with double_process(_cassettes(tmp_path, n)) as url:
        client = make_client(url)
        runner = JobRunner(store, client_factory=single_client(client), cache_ttl_days=30)
        t0, c0 = time.perf_counter(), time.process_time()
        job_id = _job(store, roster)
        t1 = time.perf_counter()
        assert run_to_end(runner, job_id) is JobStatus.DONE
        t2 = time.perf_counter()
        job = store.get_job(job_id)
        assert job is not None
        write_results(store, job, tmp_path / "out.xlsx", fmt="xlsx")
        t3, c3 = time.perf_counter(), time.process_time()
    progress = store.progress(job_id)
    assert progress.done == n and job.queries == n
    total = t3 - t0
    print(
        f"\n[verifier] {n} rows, {n} distinct people, zero-latency double (own process), SQLite job store:"
        f"\n  read + create job {t1 - t0:.2f} s, query + decide + store {t2 - t1:.2f} s, "
        f"result .xlsx {t3 - t2:.2f} s"
        f"\n  end to end {total:.2f} s = {n / total:.0f} rows/s = {1000 * total / n:.2f} ms/row "
        f"(run alone: {n / (t2 - t1):.0f} rows/s, {1000 * (t2 - t1) / n:.2f} ms/row, 2 HTTP calls each)"
        f"\n  our own CPU (reading, rules, HTTP client, storing, export; the double excluded): "
        f"{1000 * (c3 - c0) / n:.2f} ms/row"
        f"\n  outcomes {progress.by_outcome}"
    )
    assert 1000 * (c3 - c0) / n < 5  # "at most a few milliseconds" per row


def test_throughput_against_the_double_limit(tmp_path: Path) -> None:
    n, latency_ms = 20, 300
    roster = write_xlsx(tmp_path / "roster.xlsx", roster_rows(synthetic_people(n)))
    store = JobStore.from_url(f"sqlite:///{tmp_path / 'verifier.db'}")
    with double_process(_cassettes(tmp_path, n), latency_ms=latency_ms) as url:
        runner = JobRunner(store, client_factory=single_client(make_client(url)), cache_ttl_days=30)
        job_id = _job(store, roster)
        started = time.perf_counter()
        run_to_end(runner, job_id)
        elapsed = time.perf_counter() - started
    limit = 1000 / (2 * latency_ms)  # a person is a captcha call and a query call, each delayed
    rate = n / elapsed
    print(
        f"\n[verifier] double at {latency_ms} ms per call, pacing 0: {n} people in {elapsed:.2f} s = "
        f"{rate:.3f} people/s; the double's limit {limit:.3f}/s → {100 * rate / limit:.1f} %"
    )
    assert rate >= 0.9 * limit


@pytest.mark.parametrize("pacing_s", [1.0])
def test_pacing(tmp_path: Path, pacing_s: float) -> None:
    n = 8
    people = synthetic_people(n)
    roster = write_xlsx(tmp_path / "roster.xlsx", roster_rows(people))
    store = JobStore.from_url(f"sqlite:///{tmp_path / 'verifier.db'}")
    stamps: list[float] = []

    def on_person(_done: PersonDone) -> None:
        stamps.append(time.perf_counter())

    with counting_double(valid_cassettes(tmp_path / "c", people)) as (url, log):
        client = make_client(url, min_interval_s=pacing_s)
        runner = JobRunner(
            store, client_factory=single_client(client), cache_ttl_days=30, on_person=on_person
        )
        run_to_end(runner, _job(store, roster))
    rate = (len(stamps) - 1) / (stamps[-1] - stamps[0])
    print(
        f"\n[verifier] pacing {pacing_s} s: {len(log)} queries, {rate:.4f} people/s "
        f"vs 1/N = {1 / pacing_s:.4f} → {100 * rate * pacing_s:.1f} %"
    )
    assert abs(rate * pacing_s - 1) <= 0.05


def test_rerun_within_ttl_makes_zero_queries(tmp_path: Path) -> None:
    n = 1000
    people = synthetic_people(n)
    roster = write_xlsx(tmp_path / "roster.xlsx", roster_rows(people))
    store = JobStore.from_url(f"sqlite:///{tmp_path / 'verifier.db'}")
    with counting_double(valid_cassettes(tmp_path / "c", people[:RECORDED])) as (url, log):
        runner = JobRunner(store, client_factory=single_client(make_client(url)), cache_ttl_days=30)
        run_to_end(runner, _job(store, roster))
        first = len(log)
        second_job = _job(store, roster)
        started = time.perf_counter()
        run_to_end(runner, second_job)
        elapsed = time.perf_counter() - started
    job = store.get_job(second_job)
    assert job is not None
    print(
        f"\n[verifier] re-run of {n} rows within the TTL: {len(log) - first} platform queries "
        f"(first run {first}); {elapsed:.2f} s = {n / elapsed:.0f} rows/s from the cache"
    )
    assert len(log) == first and job.queries == 0


MEMORY_SCRIPT = textwrap.dedent(
    """
    import json, sys, time, datetime as dt

    def hwm_kb():  # this process's own peak RSS (ru_maxrss would carry the parent's over exec)
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

    sys.path.insert(0, sys.argv[4])
    from tests.kits.jobkit import make_client
    from verifier.exports import write_results
    from verifier.jobs import JobRunner, create_job, run_to_end, single_client
    from verifier.roster import read_roster
    from verifier.store import JobStore
    from verifier.types import Family
    base = hwm_kb()
    roster, db, url = sys.argv[1:4]
    as_of = dt.date(2023, 6, 30)
    t0 = time.perf_counter()
    read = read_roster(roster, default_family=Family.SPECIAL, as_of=as_of)
    store = JobStore.from_url(db)
    job_id = create_job(store, read, filename="r.xlsx", as_of=as_of, default_family=Family.SPECIAL,
                        captcha="fixed:8888")
    del read
    after_create = hwm_kb()
    t1 = time.perf_counter()
    run_to_end(JobRunner(store, client_factory=single_client(make_client(url)), cache_ttl_days=30), job_id)
    after_run = hwm_kb()
    t2 = time.perf_counter()
    write_results(store, store.get_job(job_id), sys.argv[5], fmt="xlsx")
    t3 = time.perf_counter()
    print(json.dumps({"base_kb": base, "after_create_kb": after_create, "after_run_kb": after_run,
                      "peak_kb": hwm_kb(), "create_s": t1 - t0, "run_s": t2 - t1, "export_s": t3 - t2,
                      "progress": store.progress(job_id).by_outcome}))
    """
)


def test_peak_memory_50k_job(tmp_path: Path) -> None:
    n = 50_000
    roster = write_xlsx(tmp_path / "roster.xlsx", roster_rows(synthetic_people(n)))
    with double_process(_cassettes(tmp_path, n, recorded=100)) as url:
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                MEMORY_SCRIPT,
                str(roster),
                f"sqlite:///{tmp_path / 'v.db'}",
                url,
                str(Path(__file__).resolve().parents[2]),
                str(tmp_path / "out.xlsx"),
            ],
            capture_output=True,
            text=True,
            timeout=1800,
        )
    assert done.returncode == 0, done.stderr
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"\n[verifier] 50,000-row job in a fresh process, peak RSS (VmHWM): after imports "
        f"{figures['base_kb'] / 1024:.0f} MB, after reading + storing the roster "
        f"{figures['after_create_kb'] / 1024:.0f} MB, after the run {figures['after_run_kb'] / 1024:.0f} MB, "
        f"after the .xlsx export {figures['peak_kb'] / 1024:.0f} MB"
        f"\n  read + create {figures['create_s']:.1f} s, run {figures['run_s']:.1f} s "
        f"({n / figures['run_s']:.0f} rows/s), export {figures['export_s']:.1f} s; {figures['progress']}"
    )
    assert sum(figures["progress"].values()) == n
