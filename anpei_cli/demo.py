"""`anpei demo` and `anpei dashboard`: start the product.

`anpei demo` runs everything on the embedded default: the SQLite file under var/, the sample county
(loaded when the database is empty), the platform double serving `sample_data/cassettes`, the
verifier service pointed at the double, and the dashboard. It prints the dashboard URL and the
sample county's demo accounts (one per role, `db.sample.seed.DEMO_PASSWORD`), and stops every child
on Ctrl-C.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time

import typer
from sqlmodel import Session, select

from anpei.settings import ROOT, VAR_DIR, get_settings
from anpei_cli.db_commands import open_engine
from anpei_cli.procs import ProcessGroup, free_port, streamlit_command, wait_http
from db import migrate
from db.accounts.auth import verify_password
from db.models import User

DEMO_CAPTCHA = "8888"


def _prepare_database(url: str, *, scale: float) -> None:
    engine = open_engine(url)
    migrate.upgrade(engine)
    if importlib.util.find_spec("db.sample.seed") is None:
        return
    # imported when the demo starts, not with every `anpei` command: the sample county is large
    from db.sample.seed import database_is_empty, seed_sample

    if database_is_empty(engine):
        typer.echo("数据库为空，正在载入示例县数据（约 10 秒）…", err=True)
        started = time.monotonic()
        report = seed_sample(engine, scale=scale, demo_accounts=True)
        typer.echo(f"示例县数据已载入（{time.monotonic() - started:.0f} 秒）：{report}", err=True)
    engine.dispose()


def demo_accounts(url: str) -> list[str]:
    """Lines describing the sample county's demo accounts that still have the demo password."""
    if importlib.util.find_spec("db.sample.seed") is None:
        return []
    from db.sample.seed import DEMO_ACCOUNTS, DEMO_PASSWORD  # large: see _prepare_database

    engine = open_engine(url)
    try:
        with Session(engine) as s:
            stored = {u.username: u for u in s.exec(select(User))}
    finally:
        engine.dispose()
    lines = []
    for username, _display, role, unit in DEMO_ACCOUNTS:
        user = stored.get(username)
        if user is not None and user.active and verify_password(user.password_hash, DEMO_PASSWORD):
            lines.append(f"  {username:<8}{role.label}" + (f"（{unit}）" if unit else ""))
    return lines


def _start_double(group: ProcessGroup) -> str | None:
    if importlib.util.find_spec("verifier.double") is None:
        return None
    proc = group.start(
        "平台替身",
        [
            sys.executable,
            "-m",
            "anpei_cli",
            "platform-double",
            "--cassettes",
            str(ROOT / "sample_data" / "cassettes"),
            "--port",
            "0",
            "--captcha-answer",
            DEMO_CAPTCHA,
        ],
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().decode().strip()
    if not line.startswith("http"):
        raise RuntimeError(f"平台替身未能启动：{line}")
    return line


def _start_verifier(group: ProcessGroup, *, platform_url: str) -> str | None:
    if importlib.util.find_spec("verifier.service") is None:
        return None
    port = free_port(preferred=get_settings().verifier_port)
    url = f"http://127.0.0.1:{port}"
    proc = group.start(
        "核验服务",
        [sys.executable, "-m", "anpei_cli", "verifier", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env={
            "ANPEI_PLATFORM_URL": platform_url,
            "ANPEI_MIN_INTERVAL": "0",
            "ANPEI_DEMO": "1",  # the only verifier that may run without a token
            "ANPEI_VERIFIER_DATABASE_URL": f"sqlite:///{VAR_DIR / 'verifier-demo.db'}",
        },
        log=VAR_DIR / "verifier.log",
    )
    if not wait_http(f"{url}/healthz", proc=proc):
        raise RuntimeError("核验服务未能启动，详见 var/verifier.log")
    return url


def _stop_on_signals() -> None:
    """SIGTERM and SIGHUP stop the demo like Ctrl-C does, so no child outlives it."""

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupt)


def demo(
    port: int = typer.Option(8501, "--port", help="看板端口（被占用时自动换一个空闲端口）。"),
    scale: float = typer.Option(1.0, "--scale", help="示例县数据规模（1 = 丰都县实际规模）。"),
) -> None:
    """启动完整演示：SQLite 数据库、示例县数据、平台替身、核验服务和看板，并打印看板地址。"""
    settings = get_settings()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _stop_on_signals()
    _prepare_database(settings.database_url, scale=scale)
    group = ProcessGroup()
    try:
        double_url = _start_double(group)
        verifier_url = _start_verifier(group, platform_url=double_url) if double_url else None
        dash_port = free_port(preferred=port)
        env = {"ANPEI_DEMO": "1", "DATABASE_URL": settings.database_url}
        if verifier_url:
            env["ANPEI_VERIFIER_URL"] = verifier_url
        dash = group.start(
            "看板",
            streamlit_command(host="127.0.0.1", port=dash_port),
            env=env,
            log=VAR_DIR / "dashboard.log",
        )
        dash_url = f"http://127.0.0.1:{dash_port}"
        if not wait_http(f"{dash_url}/_stcore/health", proc=dash, timeout_s=60):
            raise RuntimeError("看板未能启动，详见 var/dashboard.log")
        if double_url:
            typer.echo(f"平台替身：{double_url}（验证码 {DEMO_CAPTCHA}）")
        if verifier_url:
            typer.echo(f"核验服务：{verifier_url}/docs")
        typer.echo(f"看板地址：{dash_url}")
        accounts = demo_accounts(settings.database_url)
        if accounts:
            from db.sample.seed import DEMO_PASSWORD  # large: see _prepare_database

            typer.echo(f"演示账号（密码均为 {DEMO_PASSWORD}，仅示例县数据）：")
            for line in accounts:
                typer.echo(line)
        typer.echo("按 Ctrl-C 停止。")
        sys.stdout.flush()
        while (dead := group.first_dead()) is None:
            time.sleep(1)
        typer.echo(f"{dead}已退出，正在停止其余进程。详见 var/ 下的日志。", err=True)
        raise typer.Exit(1)
    except KeyboardInterrupt:
        typer.echo("\n正在停止…", err=True)
    except RuntimeError as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        group.stop()


def dashboard(
    port: int = typer.Option(8501, "--port", help="看板端口。"),
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址（默认只在本机可访问）。"),
) -> None:
    """只启动看板，使用已配置的 DATABASE_URL。"""
    cmd = streamlit_command(host=host, port=port)
    typer.echo(f"看板地址：http://{host}:{port}")
    sys.stdout.flush()
    sys.stderr.flush()
    # become Streamlit (same process id): a service manager's SIGTERM reaches it, no child is left behind
    os.chdir(ROOT)
    os.execvp(cmd[0], cmd)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
    app.command("dashboard")(dashboard)
