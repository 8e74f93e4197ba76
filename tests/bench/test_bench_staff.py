"""Staff workflow figures (issue 7): a 5,000-row roster from upload to results against the double with
no latency and no pacing, and the all-townships 汇总表 workbook at the sample county and at scale 40.

Cases for the workbook come from ANPEI_BENCH_STAFF (default `sqlite:1,postgresql:40`; scale 40 on
PostgreSQL seeds for several minutes).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from anpei.periods import Month
from dashboard.verifier_api import VerifierClient
from db.engine import make_engine
from db.rules.access import SYSTEM
from db.xlsx import township_summary
from tests.kits.staffkit import roster_rows, start_service, xlsx_bytes

ROSTER_ROWS = 5000
CASES = [
    tuple(c.split(":")) for c in os.environ.get("ANPEI_BENCH_STAFF", "sqlite:1,postgresql:40").split(",")
]


def test_bench_roster_upload_to_results(tmp_path: Path) -> None:
    with start_service(tmp_path, people_count=ROSTER_ROWS) as run:
        data = xlsx_bytes(roster_rows(run.crowd), title="5000 人名单")
        client = VerifierClient(run.url)
        started = time.perf_counter()
        job_id = int(client.submit_roster(data, filename="名单.xlsx", family="special")["job_id"])
        uploaded = time.perf_counter() - started
        while client.job(job_id)["status"] not in ("done", "stopped", "cancelled"):
            time.sleep(0.05)
        verified = time.perf_counter() - started
        rows = client.results(job_id)
        parsed = client.records(job_id, full_ids=True).records
        done = time.perf_counter() - started
    assert len(rows) == len(parsed) == ROSTER_ROWS
    print(
        f"\n[staff bench] {ROSTER_ROWS} 行名单：上传并建任务 {uploaded:.1f} s，核验完成 {verified:.1f} s，"
        f"取回结果（显示用 JSON + 保存用记录）共 {done:.1f} s；{ROSTER_ROWS / verified:.0f} 行/秒（替身无延迟、无查询间隔）"
    )


@pytest.fixture(params=[pytest.param(c, id=f"{c[0]}-scale{c[1]}") for c in CASES])
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, float, Callable[[], Engine]]]:
    backend, scale_text = request.param
    scale = float(scale_text)
    from db.sample.seed import seed_sample

    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('bench-staff') / 'county.db'}"
        engine = make_engine(url)
        seed_sample(engine, scale=scale, demo_accounts=True)
        engine.dispose()
        yield backend, scale, lambda: make_engine(url)
        return
    from tests.conftest import PgSchema

    pg = PgSchema(request.getfixturevalue("pg_url"))
    try:
        seed_sample(pg.engine, scale=scale, demo_accounts=True)
        yield backend, scale, lambda: pg.engine
    finally:
        pg.drop()


def test_bench_all_townships_workbook(seeded: tuple[str, float, Callable[[], Engine]]) -> None:
    backend, scale, factory = seeded
    engine = factory()
    timings = []
    for _ in range(3):
        with Session(engine) as session:
            started = time.perf_counter()
            data = township_summary.township_summary_xlsx(session, principal=SYSTEM, month=Month(2023, 5))
            timings.append(time.perf_counter() - started)
            session.rollback()
    print(
        f"\n[staff bench] {backend} scale {scale:g}: 全部单位汇总表 {len(data) / 1024:.0f} KB，"
        f"首次 {timings[0]:.2f} s，最快 {min(timings):.2f} s"
    )
    assert data[:2] == b"PK"
