"""The service path against the CLI on the same roster (issue 16 item 4): a roster of 1,000 / 10,000 /
50,000 people (ANPEI_BENCH_SERVICE_ROWS, comma-separated) through `anpei verifier serve` (its own
process) and through `anpei verify` (its own process), both against `anpei platform-double` in a third
process, no pacing, a fixed captcha. Prints rows/s and ms/row for each; not part of `make test`.

Run with `make bench` or `.venv/bin/pytest tests/bench/test_bench_verifier_service.py -s -o addopts=""`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from dashboard.verifier_api import VerifierClient
from tests.bench.test_bench_verifier import double_process
from tests.kits.staffkit import CAPTCHA, people, roster_rows, write_cassettes, xlsx_bytes

SIZES = [int(n) for n in os.environ.get("ANPEI_BENCH_SERVICE_ROWS", "1000,10000,50000").split(",")]
POLL_S = 0.5  # what the dashboard's results page does, roughly
TOKEN = "bench-token-" + "0" * 32  # `anpei verifier serve` refuses to run without one


def _env(tmp: Path, double_url: str, name: str) -> dict[str, str]:
    return {
        **os.environ,
        "ANPEI_VERIFIER_DATABASE_URL": f"sqlite:///{tmp / (name + '.db')}",
        "ANPEI_PLATFORM_URL": double_url,
        "ANPEI_MIN_INTERVAL": "0",
        "ANPEI_BACKOFF_BASE": "0",
    }


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds a live process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


SERVICE_PIDS: list[int] = []  # the running service's process id (for its CPU time)


@contextmanager
def service_process(env: dict[str, str], port: int) -> Iterator[str]:
    """`anpei verifier serve` in its own process on 127.0.0.1:`port`, once /healthz answers."""
    import requests

    proc = subprocess.Popen(
        [sys.executable, "-m", "anpei_cli", "verifier", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if requests.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "the service did not start"
            time.sleep(0.2)
        SERVICE_PIDS.append(proc.pid)
        yield url
    finally:
        if proc.pid in SERVICE_PIDS:
            SERVICE_PIDS.remove(proc.pid)
        proc.terminate()
        proc.wait(20)


@pytest.mark.parametrize("n", SIZES)
def test_service_against_cli(tmp_path: Path, n: int) -> None:
    import socket

    crowd = people(n)
    cassettes = write_cassettes(tmp_path / "cassettes", crowd)
    roster = tmp_path / "名单.xlsx"
    roster.write_bytes(xlsx_bytes(roster_rows(crowd)))
    with double_process(cassettes) as double_url:
        started = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "anpei_cli",
                "verify",
                str(roster),
                "--out",
                str(tmp_path / "o.csv"),
                "--captcha",
                f"fixed:{CAPTCHA}",
                "--min-interval",
                "0",
            ],
            env=_env(tmp_path, double_url, "cli"),
            capture_output=True,
            text=True,
            timeout=3600,
        )
        cli_s = time.perf_counter() - started
        assert done.returncode == 0, done.stderr

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        env = {**_env(tmp_path, double_url, "service"), "ANPEI_VERIFIER_TOKEN": TOKEN}
        with service_process(env, port) as url:
            client = VerifierClient(url, token=TOKEN)
            started = time.perf_counter()
            submitted = client.submit_roster(
                roster.read_bytes(), filename=roster.name, family="special", captcha=f"fixed:{CAPTCHA}"
            )
            job_id = int(submitted["job_id"])
            while client.job(job_id)["status"] not in ("done", "stopped", "cancelled"):
                time.sleep(POLL_S)
            rows = client.results(job_id)
            service_s = time.perf_counter() - started
    assert len(rows) == n
    print(
        f"\n[service vs CLI] {n} rows: CLI {cli_s:.1f} s ({n / cli_s:.0f} rows/s, {1000 * cli_s / n:.2f} ms/row, "
        f"process start included); service {service_s:.1f} s ({n / service_s:.0f} rows/s, "
        f"{1000 * service_s / n:.2f} ms/row, upload to results)"
    )
