"""`anpei dashboard` under a service manager: SIGTERM to the process it started stops the dashboard;
no Streamlit child is left running (issue 15 item 7)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from anpei_cli.procs import free_port, wait_http

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status < 500)
    except OSError:
        return False


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def test_sigterm_stops_the_dashboard_and_leaves_no_child(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    log = (tmp_path / "dashboard.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "anpei_cli", "dashboard", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    health = f"http://127.0.0.1:{port}/_stcore/health"
    children: list[int] = []
    try:
        assert wait_http(health, proc=proc, timeout_s=60), (tmp_path / "dashboard.log").read_text()
        children = _children(proc.pid)
        assert children == []  # the command became Streamlit instead of waiting on it
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        assert not _answers(health), "a Streamlit process outlived `anpei dashboard`"
    finally:
        for pid in [proc.pid, *children]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        log.close()
