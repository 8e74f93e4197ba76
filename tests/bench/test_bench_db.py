"""Benchmark: the sample-county seed and `anpei summary`, at scale 1 and 40, on SQLite and PostgreSQL.

Run with `make bench` (or `pytest tests/bench/test_bench_db.py -s -o addopts=""`). Scales come from
ANPEI_BENCH_SCALES (default `1,40`). PostgreSQL runs in its own throw-away schema. Figures are
printed; the one hard target is `anpei summary` for one month at scale 40 under 2 s on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import time

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from anpei_cli.cli import app
from db.sample.seed import seed_sample

SCALES = [float(s) for s in os.environ.get("ANPEI_BENCH_SCALES", "1,40").split(",") if s.strip()]
MONTH = "2023-05"
TARGET_S = 2.0


def _summary_seconds(url: str) -> tuple[float, float, int]:
    """(first run, best of three more) for `anpei summary --month MONTH --json`, and its row count."""
    runner = CliRunner()
    timings = []
    rows = 0
    for _ in range(4):
        started = time.perf_counter()
        result = runner.invoke(app, ["summary", "--month", MONTH, "--json", "--database-url", url])
        timings.append(time.perf_counter() - started)
        assert result.exit_code == 0, result.stderr
        rows = len(json.loads(result.stdout)["jurisdictions"])
    return timings[0], min(timings[1:]), rows


@pytest.mark.parametrize("scale", SCALES, ids=lambda s: f"scale{s:g}")
def test_bench_seed_and_summary(db_url_engine: tuple[str, Engine], scale: float) -> None:
    url, engine = db_url_engine
    backend = engine.dialect.name
    started = time.perf_counter()
    report = seed_sample(engine, scale=scale, demo_accounts=True)
    seed_s = time.perf_counter() - started
    engine.dispose()
    first_s, warm_s, rows = _summary_seconds(url)
    print(
        f"\n[bench db] {backend:<10} scale {scale:>4g}: seed {seed_s:7.1f} s, {report.total_rows:>9,} rows "
        f"({report.total_rows / seed_s:,.0f} rows/s; enterprises {report.counts['enterprise']:,}, "
        f"people {report.counts['person']:,}, inspections {report.counts['inspection']:,}); "
        f"summary {MONTH}: first {first_s:.2f} s, warm {warm_s:.2f} s, {rows} jurisdictions"
    )
    if backend == "postgresql" and scale >= 40:
        assert warm_s < TARGET_S, (
            f"anpei summary took {warm_s:.2f} s at scale {scale:g} (target {TARGET_S} s)"
        )
