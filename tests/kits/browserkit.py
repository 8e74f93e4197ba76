"""The browser tests' shared parts: the dashboard started as `streamlit run` on a free loopback port,
and Debian's Chromium launched headless through Playwright."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from anpei_cli.procs import free_port, streamlit_command, wait_http

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def county_copy(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The sample county at full scale (a few seconds to seed) as a SQLite file of the caller's own:
    seeded once per test run, shared by the pytest-xdist workers (a lock file, then a file copy)."""
    import fcntl

    from db.engine import make_engine
    from db.sample.seed import seed_sample

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the run's own folder
    seeded = shared / "county_full_scale.db"
    with (shared / "county_full_scale.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other workers wait for the first one's seeding
        if not seeded.exists():
            building = shared / f"county_full_scale.{os.getpid()}.tmp"
            engine = make_engine(f"sqlite:///{building}")
            seed_sample(engine, scale=1, demo_accounts=True)
            with engine.connect() as conn:  # everything in the main file: one copy is whole
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            engine.dispose()
            building.replace(seeded)
    target = tmp_path_factory.mktemp("county") / "county.db"
    shutil.copyfile(seeded, target)
    return f"sqlite:///{target}"


@contextmanager
def running_dashboard(env: dict[str, str], *, log: Path) -> Iterator[str]:
    """The dashboard with `env` over this process's environment (minus ANPEI_SCORING_RULES: the
    default rules), output to `log`; yields its base URL and stops it afterwards."""
    port = free_port()
    full_env = {**os.environ, **env}
    full_env.pop("ANPEI_SCORING_RULES", None)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            streamlit_command(host="127.0.0.1", port=port),
            env=full_env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        if not wait_http(f"{url}/_stcore/health", proc=proc, timeout_s=60):
            pytest.fail(f"看板未能启动：{log.read_text(errors='replace')[-2000:]}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@contextmanager
def launch_browser() -> Iterator[Any]:
    """Headless Chromium (a Playwright Browser), closed afterwards."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("缺少 /usr/bin/chromium：请运行 make browser（安装 chromium 与 fonts-noto-cjk）")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
