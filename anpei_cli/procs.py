"""Starting and stopping the product's processes (platform double, verifier service, dashboard)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anpei.settings import ROOT, get_settings


def free_port(host: str = "127.0.0.1", preferred: int | None = None) -> int:
    """`preferred` when it is free, else any free port."""
    if preferred:
        with socket.socket() as s:
            try:
                s.bind((host, preferred))
                return preferred
            except OSError:
                pass
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def wait_http(url: str, *, timeout_s: float = 30.0, proc: subprocess.Popen[bytes] | None = None) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status < 500:
                    return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def streamlit_command(*, host: str, port: int) -> list[str]:
    """`streamlit run dashboard/app.py`, headless and quiet, uploads capped at ANPEI_MAX_UPLOAD_MB."""
    app = ROOT / "dashboard" / "app.py"
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.headless",
        "true",
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--runner.postScriptGC",
        "false",  # no full GC after every run (.streamlit/config.toml says why)
        "--runner.magicEnabled",
        "false",  # the pages write nothing by magic (.streamlit/config.toml)
        "--client.toolbarMode",
        "viewer",
        "--client.showErrorDetails",
        "none",
        "--server.maxUploadSize",
        str(get_settings().max_upload_mb),
    ]


@dataclass
class ProcessGroup:
    """Children started together and stopped together (reverse order)."""

    procs: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def start(
        self,
        name: str,
        cmd: list[str],
        *,
        env: dict[str, str] | None = None,
        stdout: int | None = None,
        log: Path | None = None,
    ) -> subprocess.Popen[bytes]:
        out: Any = stdout
        if log is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
            out = log.open("ab")
        proc = subprocess.Popen(
            cmd,
            env={**os.environ, **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT if log is not None else None,
            cwd=ROOT,
        )
        self.procs.append((name, proc))
        return proc

    def stop(self) -> None:
        for _name, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for _name, proc in reversed(self.procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs.clear()

    def first_dead(self) -> str | None:
        for name, proc in self.procs:
            if proc.poll() is not None:
                return name
        return None
