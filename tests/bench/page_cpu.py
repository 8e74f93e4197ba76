"""Server CPU of one warm page per role, in the real dashboard process (issue 16). Prints a table.

`python -m tests.bench.page_cpu [DATABASE_URL] [--repeat N] [--profile DIR]`

One dashboard process (as `anpei dashboard` starts it) on the sample county (a fresh SQLite copy at
scale 1 when no URL is given). For each role — 领导 and 县局 (总览), a township's staff (乡镇详情), a
member unit's staff (单位详情), the township's staff on 季度考核 — a warm-up session opens the page
and changes the sidebar month once (the shared caches now hold that scope's rows), then `--repeat`
new sessions do the same, each timed by the server's own CPU seconds (user + system from /proc,
every thread: the script run, Arrow and protobuf encoding, the websocket) — CPU time, so the figure
holds on a busy machine where wall time does not. The first page and the rerun are reported apart.

`--profile DIR`: the server runs every page script under cProfile (one profile per role, written to
`DIR/<role>.prof`, read with `python -m pstats` or snakeviz); the CPU figures are then inflated.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, select

from tests.kits import sessionkit as sk

# Runs the Streamlit CLI with every script run under cProfile (timed by the script thread's CPU), one
# file per run named after the path in $ANPEI_PROFILE_TARGET (the client changes it between roles).
_PROFILED = """
import cProfile, os, sys, time
from streamlit.runtime.scriptrunner import script_runner as sr
_orig = sr.ScriptRunner._run_script
def _run_script(self, rerun_data):
    target = open(os.environ["ANPEI_PROFILE_TARGET"]).read().strip()
    prof = cProfile.Profile(time.thread_time)  # CPU of the script thread, not waits for the GIL
    prof.enable()
    try:
        _orig(self, rerun_data)
    finally:
        prof.disable()
        if target:
            prof.dump_stats(target + f".{time.monotonic_ns()}")
sr.ScriptRunner._run_script = _run_script
from streamlit.web.cli import main
sys.argv = ["streamlit", *sys.argv[1:]]
main()
"""


@dataclass(frozen=True)
class Role:
    name: str
    account: sk.Account


def roles(url: str) -> list[Role]:
    from db.codes import JurisdictionKind
    from db.engine import make_engine
    from db.models import Jurisdiction

    accounts = sk.bench_accounts(url, 55)
    engine = make_engine(url)
    with Session(engine) as s:
        kinds = {j.name: j.kind for j in s.exec(select(Jurisdiction))}
    engine.dispose()
    township = next(a for a in accounts if kinds.get(a.jurisdiction) == JurisdictionKind.TOWNSHIP.value)
    unit = next(a for a in accounts if kinds.get(a.jurisdiction) == JurisdictionKind.MEMBER_UNIT.value)
    return [
        Role("领导 总览", accounts[0]),
        Role("县局 总览", accounts[5]),
        Role("乡镇 乡镇详情", township),
        Role("部门 单位详情", unit),
    ]


async def _session(base: str, account: sk.Account, pid: int, timeout_s: float) -> tuple[float, float, str]:
    """One session: (CPU of the first page, CPU of the sidebar rerun + closing), error or ""."""
    import websockets

    from db.accounts import sessions

    ws_url = base.replace("http://", "ws://") + "/_stcore/stream"
    before = sk.sample_proc(pid).cpu_s
    async with websockets.connect(
        ws_url,
        subprotocols=["streamlit"],  # type: ignore[list-item]
        max_size=None,
        additional_headers={"Cookie": f"{sessions.COOKIE_NAME}={account.token}"},
    ) as ws:
        await ws.send(sk._rerun())
        first = sk._Page()
        status = await sk._until_finished(ws, first, timeout_s=timeout_s)
        error = sk._check(first, status) or ""
        middle = sk.sample_proc(pid).cpu_s
        if first.selectbox is not None:
            widget_id, options, current = first.selectbox
            other = next((o for o in reversed(options) if o != current), current)
            await ws.send(sk._rerun(widget_id, other, first.page_hash))
            second = sk._Page()
            status = await sk._until_finished(ws, second, timeout_s=timeout_s)
            error = error or sk._check(second, status) or ""
    await asyncio.sleep(0.3)  # the server closes the session
    return middle - before, sk.sample_proc(pid).cpu_s - middle, error


def measure(
    url: str, *, repeat: int = 8, profile_dir: Path | None = None, root: Path = sk.ROOT
) -> list[tuple[str, float, float]]:
    """(role, mean ms CPU of the first page, of the rerun) per role; prints as it goes."""
    chosen = roles(url)
    with tempfile.TemporaryDirectory() as tmp:
        target_file = Path(tmp) / "target"
        target_file.write_text("")
        extra_env = {}
        if profile_dir is not None:
            profile_dir.mkdir(parents=True, exist_ok=True)
            extra_env["ANPEI_PROFILE_TARGET"] = str(target_file)
        old = {k: os.environ.get(k) for k in extra_env}
        os.environ.update(extra_env)
        try:
            with sk.dashboards(
                1,
                database_url=url,
                log_dir=Path(tmp),
                root=root,
                python_code=_PROFILED if profile_dir else None,
            ) as servers:
                base, pid = servers[0]
                asyncio.run(sk.clear_caches(base, chosen[0].account))
                out = []
                for role in chosen:
                    asyncio.run(_session(base, role.account, pid, 120))  # warm this scope's caches
                    if profile_dir is not None:
                        target_file.write_text(str(profile_dir / role.name.replace(" ", "_")))
                    firsts, reruns = [], []
                    for _ in range(repeat):
                        first, rerun, error = asyncio.run(_session(base, role.account, pid, 120))
                        if error:
                            raise RuntimeError(f"{role.name}: {error}")
                        firsts.append(first * 1000)
                        reruns.append(rerun * 1000)
                    target_file.write_text("")
                    out.append(
                        (role.name, statistics.mean(firsts), statistics.mean(reruns))
                    )  # /proc ticks are 10 ms: the mean of many
                    print(
                        f"  {role.name}: first page {out[-1][1]:.0f} ms, rerun {out[-1][2]:.0f} ms",
                        flush=True,
                    )
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    return out


def table(rows: Sequence[tuple[str, float, float]]) -> str:
    lines = ["| role, page | first page CPU | rerun CPU |", "|---|---|---|"]
    lines += [f"| {name} | {first:.0f} ms | {rerun:.0f} ms |" for name, first, rerun in rows]
    return "\n".join(lines)


def sample_sqlite(directory: Path) -> str:
    from db.engine import make_engine
    from db.sample.seed import seed_sample

    url = f"sqlite:///{directory / 'county.db'}"
    engine = make_engine(url)
    seed_sample(engine, scale=1, demo_accounts=True)
    engine.dispose()
    return url


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?")
    parser.add_argument("--repeat", type=int, default=8)
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--root", type=Path, default=sk.ROOT, help="another checkout to measure")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or sample_sqlite(Path(tmp))
        if args.url:  # a database another run seeded: at this checkout's schema first
            from db import migrate
            from db.engine import make_engine

            engine = make_engine(url)
            migrate.upgrade(engine)
            engine.dispose()
        started = time.perf_counter()
        print(f"[page cpu] {url.split('@')[-1]}, load average {sk.load_average()}", flush=True)
        rows = measure(url, repeat=args.repeat, profile_dir=args.profile, root=args.root.resolve())
        print(table(rows))
        print(f"load average after {sk.load_average()} ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    sys.exit(main())
