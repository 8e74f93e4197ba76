"""Cost of one captcha + query pair against the zero-latency double on a keep-alive session.

Run with `make bench` (or `.venv/bin/pytest tests/bench/test_bench_client.py -s -o addopts=""`).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import requests

from anpei.settings import Settings
from verifier.captcha import FixedSolver
from verifier.client import PlatformClient
from verifier.double import CAPTCHA_PATH, running_double
from verifier.types import Family

CASSETTES = Path(__file__).resolve().parents[1] / "verifier" / "platform_cassettes"
PAIRS = 500


def test_bench_client_pairs() -> None:
    with running_double(CASSETTES) as url:
        settings = Settings(_env_file=None)  # type: ignore[call-arg]
        client = PlatformClient(
            url, solver=FixedSolver("8888"), settings=settings, min_interval_s=0, backoff_base_s=0
        )
        with client:
            client.query(id_number="500230198806143136", name="刘洋", family=Family.SPECIAL)  # warm up
            timings = []
            start = time.perf_counter()
            for _ in range(PAIRS):
                t0 = time.perf_counter()
                answer = client.query(id_number="500230198806143136", name="刘洋", family=Family.SPECIAL)
                timings.append(time.perf_counter() - t0)
                assert answer.records is not None and answer.attempts == 1
            total = time.perf_counter() - start
        with requests.Session() as session:
            session.get(url + CAPTCHA_PATH)
            t0 = time.perf_counter()
            for _ in range(PAIRS):
                session.get(url + CAPTCHA_PATH)
            bare = (time.perf_counter() - t0) / PAIRS
    per_pair_ms = total / PAIRS * 1000
    timings.sort()
    print(
        f"\nclient captcha+query pairs against the zero-latency double (keep-alive): {PAIRS} pairs in "
        f"{total:.2f} s = {per_pair_ms:.2f} ms per pair "
        f"(median {statistics.median(timings) * 1000:.2f} ms, p95 {timings[int(PAIRS * 0.95)] * 1000:.2f} ms); "
        f"a bare captcha GET on the same kind of session: {bare * 1000:.2f} ms"
    )
    assert per_pair_ms < 30  # the ~40 ms delayed-ACK stall per call would show up here
