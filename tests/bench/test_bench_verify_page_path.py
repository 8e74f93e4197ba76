"""The whole 核验名单 path (issue 16 item 4): upload → preview → submit the job → poll → fetch the
results → save them into the database, calling the same service functions the page calls, for
1,000 / 10,000 / 50,000 rows (ANPEI_BENCH_PAGE_ROWS, comma-separated) in one run.

The verifier service runs in its own process (`anpei verifier serve`), the platform double in a third
(zero latency, no pacing, a fixed captcha); the campaign database is a migrated SQLite file with the
roster's enterprise. Polling is the page's own interval (`staff.REFRESH_S`). Prints seconds per stage,
rows/s and ms/row per size with `uptime`; the cost per row must stay flat across the sizes.

Run: `.venv/bin/pytest tests/bench/test_bench_verify_page_path.py -s -p no:randomly -o addopts=""`.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, func, select

from db.engine import make_engine
from db.models import CertificateCheck
from tests.bench.test_bench_verifier import double_process
from tests.bench.test_bench_verifier_service import SERVICE_PIDS, _env, process_cpu_s, service_process
from tests.dashboard.staff.conftest import build_county
from tests.kits.staffkit import CAPTCHA, people, roster_rows, write_cassettes, xlsx_bytes

SIZES = [int(n) for n in os.environ.get("ANPEI_BENCH_PAGE_ROWS", "1000,10000,50000").split(",")]
ACTIVE = {"queued", "running", "waiting_captcha"}
FIGURES: list[str] = []
TOKEN = "bench-token-" + "0" * 32  # `anpei verifier serve` refuses to run without one


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def page_path(
    client: Any, sessions: Callable[[], Session], principal: Any, target: dict[str, Any], data: bytes
) -> dict[str, float]:
    """What the page does, stage by stage (the service functions of `dashboard.verify_service`)."""
    from dashboard import roster_preview, staff, verify_service
    from verifier.types import Family

    stages: dict[str, float] = {}
    started = time.perf_counter()
    as_of = dt.date.today()
    preview = roster_preview.preview_roster(data, filename="名单.xlsx", family=Family.SPECIAL, as_of=as_of)
    stages["preview"] = time.perf_counter() - started
    mark = time.perf_counter()
    job_id = verify_service.submit(
        client,
        sessions,
        principal=principal,
        data=data,
        filename="名单.xlsx",
        family=Family.SPECIAL.value,
        as_of=as_of,
        target=verify_service.Target(**target),
        rows=preview.total,
        captcha=f"fixed:{CAPTCHA}",
    )
    stages["submit"] = time.perf_counter() - mark
    mark = time.perf_counter()
    while client.job(job_id)["status"] in ACTIVE:
        time.sleep(staff.REFRESH_S)
    stages["verify (polled)"] = time.perf_counter() - mark
    mark = time.perf_counter()
    job = client.job(job_id)
    rows = client.results(job_id)
    outcome = verify_service.save_if_finished(sessions, principal=principal, client=client, job=job)
    assert outcome.saved_now, outcome.message
    stages["results + save"] = time.perf_counter() - mark
    stages["rows"] = len(rows)
    return stages


@pytest.mark.parametrize("n", SIZES)
def test_page_path(tmp_path: Path, migrated_sqlite_url: str, n: int) -> None:
    crowd = people(n)
    cassettes = write_cassettes(tmp_path / "cassettes", crowd)
    data = xlsx_bytes(roster_rows(crowd))
    engine = make_engine(migrated_sqlite_url)
    county = build_county(engine, migrated_sqlite_url)
    target = {"jurisdiction_id": None, "enterprise_id": county.ids["三合机械厂"], "label": "三合机械厂"}
    with double_process(cassettes) as double_url:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        env = {**_env(tmp_path, double_url, "service"), "ANPEI_VERIFIER_TOKEN": TOKEN}
        with service_process(env, port) as url:
            from dashboard.verifier_api import VerifierClient

            client = VerifierClient(url, token=TOKEN)
            cpu = time.process_time()
            service_cpu = process_cpu_s(SERVICE_PIDS[-1])
            started = time.perf_counter()
            stages = page_path(client, lambda: Session(engine), county.county_staff, target, data)
            total = time.perf_counter() - started
            cpu = time.process_time() - cpu
            service_cpu = process_cpu_s(SERVICE_PIDS[-1]) - service_cpu
    with Session(engine) as s:
        saved = s.exec(select(func.count()).select_from(CertificateCheck)).one()
    engine.dispose()
    assert stages.pop("rows") == n and saved == n  # 查无此证 is a verdict: saved too
    line = (
        f"[page path] {n} rows: {total:.1f} s = {n / total:.0f} rows/s, {1000 * total / n:.2f} ms/row "
        f"(service CPU {service_cpu:.1f} s = {1000 * service_cpu / n:.2f} ms/row; dashboard-side CPU {cpu:.1f} s); "
        + ", ".join(f"{k} {v:.1f} s" for k, v in stages.items())
        + f" | {uptime()}"
    )
    FIGURES.append(line)
    print("\n" + line)
