"""Verifier commands: `anpei verify`, `anpei verify-page`, `anpei platform-double`, `anpei verifier serve`."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from anpei.settings import Settings
    from verifier.store import JobStore

verifier_app = typer.Typer(
    name="verifier",
    help="证书核验服务（HTTP 接口）。",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

OUT_FORMATS = (".csv", ".xlsx")


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"错误：{message}", err=True)
    return typer.Exit(code)


def load_settings() -> Settings:
    """The settings, or a Chinese message naming each bad value (never a traceback)."""
    from pydantic import ValidationError

    from anpei.settings import Settings as _Settings
    from anpei.settings import get_settings

    try:
        return get_settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error.get("loc") else ""
            info = _Settings.model_fields.get(field)
            name = (
                info.validation_alias
                if info is not None and isinstance(info.validation_alias, str)
                else field
            )
            problems.append(f"{name}={error.get('input')!r}：{_setting_problem(error)}")
        raise _fail("设置有误（环境变量或 .env）：" + "；".join(problems)) from exc


def _setting_problem(error: Any) -> str:
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    if kind == "greater_than_equal":
        return f"应不小于 {context.get('ge')}"
    if kind == "greater_than":
        return f"应大于 {context.get('gt')}"
    if kind.startswith(("float", "int")):
        return "应为数字"
    if kind.startswith("bool"):
        return "应为 true 或 false"
    return "取值无法识别"


def _check_writable(out: Path) -> None:
    """Fail before the first query when the result file cannot be written (an existing file is kept)."""
    existed = out.exists()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "ab"):
            pass
    except OSError as exc:
        raise _fail(f"结果文件“{out}”无法写入（{exc.strerror or type(exc).__name__}），请换一个位置") from exc
    if not existed:
        out.unlink(missing_ok=True)


def _parse_as_of(text: str | None) -> dt.date:
    if not text:
        from anpei.clock import local_today

        return local_today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise _fail(f"核验基准日“{text}”格式有误，应为 YYYY-MM-DD") from exc


class _Bar:
    """A progress line on stderr: redrawn in place on a terminal, every 10 % otherwise."""

    def __init__(self, total: int, done: int) -> None:
        self.total = max(total, 1)
        self.done = done
        self.tty = sys.stderr.isatty()
        self._last_tenth = -1

    def advance(self, rows: int) -> None:
        self.done += rows
        self.draw()

    def draw(self) -> None:
        share = self.done / self.total
        if self.tty:
            filled = int(share * 30)
            sys.stderr.write(f"\r核验进度 [{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total} 行")
            sys.stderr.flush()
        elif int(share * 10) != self._last_tenth:
            self._last_tenth = int(share * 10)
            sys.stderr.write(f"核验进度 {self.done}/{self.total} 行\n")

    def close(self) -> None:
        if self.tty:
            sys.stderr.write("\n")


def verify(
    roster: Path = typer.Argument(..., help="名单文件（.xlsx、.xls 或 .csv），需有姓名列和身份证号列。"),
    out: Path = typer.Option(..., "--out", "-o", help="结果文件，按扩展名写成 .csv 或 .xlsx。"),
    family: str = typer.Option(
        "special",
        "--family",
        help="名单没有“证书类型”列时的证书类型：special 特种作业操作证，safety 安全合格证。",
    ),
    as_of: str | None = typer.Option(None, "--as-of", help="核验基准日 YYYY-MM-DD，默认今天。"),
    platform_url: str | None = typer.Option(
        None, "--platform-url", help="查询平台地址，默认取设置 ANPEI_PLATFORM_URL（演示时为平台替身）。"
    ),
    captcha: str = typer.Option(
        "manual",
        "--captcha",
        help="验证码方式：manual 人工输入（保存图片后提示输入），fixed:验证码 用于平台替身。",
    ),
    min_interval: float | None = typer.Option(
        None, "--min-interval", help="两次查询之间的最小间隔（秒，不小于 0），默认取设置（3 秒）。"
    ),
    full_ids: bool = typer.Option(False, "--full-ids", help="结果文件中显示完整身份证号（默认打码）。"),
) -> None:
    """批量核验名单中人员的证书，结果写入 --out 指定的文件；进度与问题输出到标准错误。"""
    from verifier.captcha import solver_from_spec
    from verifier.client import PlatformClient
    from verifier.exports import write_results
    from verifier.jobs import JobRunner, PersonDone, create_job, pause_job, run_to_end, single_client
    from verifier.keymap import DEFAULT_KEY_MAP, KeyMapError, load_key_map
    from verifier.roster import RosterError, read_roster
    from verifier.store import JobStatus
    from verifier.types import Family, Outcome

    settings = load_settings()
    if out.suffix.lower() not in OUT_FORMATS:
        raise _fail(f"结果文件“{out.name}”的扩展名应为 .csv 或 .xlsx")
    if min_interval is not None and not min_interval >= 0:
        raise _fail(f"--min-interval 应为不小于 0 的秒数（给出的是 {min_interval:g}）")
    _check_writable(out)
    try:
        default_family = Family(family)
    except ValueError as exc:
        raise _fail(f"证书类型“{family}”无法识别，应为 special 或 safety") from exc
    day = _parse_as_of(as_of)
    try:
        solver = solver_from_spec(captcha)
        key_map = load_key_map(settings.key_map_file) if settings.key_map_file else DEFAULT_KEY_MAP
    except (ValueError, KeyMapError) as exc:
        raise _fail(str(exc)) from exc

    try:
        read = read_roster(roster, default_family=default_family, as_of=day)
    except RosterError as exc:
        raise _fail(exc.message) from exc
    for note in read.errors:
        typer.echo(f"名单提示：{note}", err=True)
    invalid = read.invalid_rows
    if invalid:
        typer.echo(f"名单中有 {len(invalid)} 行信息有误，不查询平台（结论为“信息有误”）：", err=True)
        for row in invalid[:50]:
            typer.echo(f"  第 {row.row_number} 行：{'；'.join(row.errors)}", err=True)
        if len(invalid) > 50:
            typer.echo(f"  ……另有 {len(invalid) - 50} 行，详见结果文件", err=True)

    store = open_store(settings.verifier_database_url)
    job_id = create_job(
        store, read, filename=roster.name, as_of=day, default_family=default_family, captcha=captcha
    )
    bar = _Bar(len(read.rows), len(invalid))

    def on_person(done: PersonDone) -> None:
        bar.advance(done.rows)

    client = PlatformClient(
        platform_url or settings.platform_url,
        solver=solver,
        settings=settings,
        key_map=key_map,
        min_interval_s=settings.min_interval_s if min_interval is None else min_interval,
    )
    runner = JobRunner(
        store,
        client_factory=single_client(client),
        cache_ttl_days=settings.cache_ttl_days,
        on_person=on_person,
        timezone=settings.timezone,
    )
    interrupted = False
    bar.draw()
    try:
        status = run_to_end(runner, job_id)
    except KeyboardInterrupt:
        interrupted = True
        pause_job(store, job_id)
        status = JobStatus.PAUSED
    finally:
        bar.close()
        client.close()

    job = store.get_job(job_id)
    assert job is not None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_results(store, job, out, fmt=out.suffix.lower().lstrip("."), full_ids=full_ids)
    except OSError as exc:
        store.dispose()
        raise _fail(
            f"结果文件“{out}”写入失败（{exc.strerror or type(exc).__name__}）；结果已保存在任务 {job_id} 中，"
            "换一个位置重新运行本命令即可（已有结论的人员不再查询平台）",
            code=1,
        ) from exc
    progress = store.progress(job_id)
    summary = "，".join(f"{Outcome(code).label} {n}" for code, n in _ordered(progress.by_outcome))
    typer.echo(f"已写入 {out}：共 {progress.total} 行（{summary}）；查询平台 {job.queries} 次", err=True)
    if status is JobStatus.STOPPED and job.stop_reason:
        typer.echo(f"核验已中止：{job.stop_reason}", err=True)
    if interrupted:
        typer.echo("已中断：未核验的行记为“未核验”，可稍后重新运行本命令（已有结论的人员使用缓存）", err=True)
        store.dispose()
        raise typer.Exit(130)
    store.dispose()


def open_store(url: str) -> JobStore:
    """The verifier's store, or a Chinese message when its URL is wrong or the database unreachable."""
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from verifier.store import JobStore

    try:
        return JobStore.from_url(url)
    except (ArgumentError, SQLAlchemyError, ValueError, ImportError, OSError) as exc:
        raise _fail(
            f"无法打开核验任务库（设置 ANPEI_VERIFIER_DATABASE_URL）：{type(exc).__name__}；"
            "请检查地址的写法（如 sqlite:///var/verifier.db 或 postgresql://用户@主机/库名）以及数据库是否可用"
        ) from exc


def _ordered(counts: dict[str, int]) -> list[tuple[str, int]]:
    from verifier.types import Outcome

    order = {o.value: i for i, o in enumerate(Outcome)}
    return sorted(counts.items(), key=lambda item: order.get(item[0], 99))


@verifier_app.command("serve")
def serve(
    host: str | None = typer.Option(
        None, "--host", help="监听地址，默认 127.0.0.1（设置 ANPEI_VERIFIER_HOST）。"
    ),
    port: int | None = typer.Option(None, "--port", help="监听端口，默认 8601（设置 ANPEI_VERIFIER_PORT）。"),
) -> None:
    """启动核验服务（HTTP 接口，文档见 /docs）；配置 ANPEI_VERIFIER_TOKEN 后需携带令牌访问。"""
    from verifier.service import OpenBindRefused
    from verifier.service import serve as run

    load_settings()
    try:
        run(host=host, port=port)
    except OpenBindRefused as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(2) from exc


@verifier_app.command("purge")
def purge(
    days: float | None = typer.Option(
        None, "--days", help="保留天数，默认取 ANPEI_RAW_RESPONSE_DAYS（180）。", min=0
    ),
    record_dir: Path | None = typer.Option(
        None, "--record-dir", help="记录模式文件所在目录，默认 var/recordings。"
    ),
) -> None:
    """删除超过保留期限的平台原始答复（答复缓存和记录模式文件）；核验任务的结果不受影响。"""
    from verifier.retention import purge_raw_responses
    from verifier.worker import DEFAULT_RECORD_DIR

    settings = load_settings()
    store = open_store(settings.verifier_database_url)
    try:
        store.create_tables()
        report = purge_raw_responses(
            store,
            days=settings.raw_response_days if days is None else days,
            record_dir=record_dir or DEFAULT_RECORD_DIR,
        )
    finally:
        store.dispose()
    typer.echo(str(report))


def register(app: typer.Typer) -> None:
    """Attach the verifier's commands to the root `anpei` app."""
    from verifier import cli_double

    cli_double.register(app)
    app.command("verify")(verify)
    app.add_typer(verifier_app, name="verifier")
