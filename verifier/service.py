"""The verification service (FastAPI): one person, roster jobs, the captcha queue, results.

`create_app()` builds the app; `serve()` runs it with uvicorn (127.0.0.1 by default). When
`ANPEI_VERIFIER_TOKEN` is set, every path but `/healthz` needs `Authorization: Bearer <token>`.
Logs carry job ids and counts, never names or ID numbers.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hmac
import json
import logging
import time
import unicodedata
from collections.abc import AsyncIterator, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any, Literal
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from anpei import __version__
from anpei.settings import Settings, get_settings
from verifier import jobs
from verifier.captcha_queue import DEFAULT_WAIT_S, CaptchaHub
from verifier.contract import JobResults
from verifier.exports import EXPORT_MEDIA, export_bytes, job_records, result_table
from verifier.roster import (
    FIELD_LABELS,
    MAX_ROWS,
    RosterError,
    RosterReadResult,
    RosterTooLarge,
    read_records,
    read_roster,
    too_many_rows,
)
from verifier.store import ACTIVE, JobInfo, JobStore
from verifier.types import Family
from verifier.worker import QUEUE, Worker, check_captcha_spec

log = logging.getLogger(__name__)

STATUS_TEXT = {
    400: "请求有误",
    401: "未授权：请在请求头中提供正确的访问令牌（Authorization: Bearer …）",
    403: "无权访问",
    404: "未找到请求的资源",
    405: "不支持该请求方法",
    409: "当前状态下不能执行该操作",
    413: "上传内容过大",
    415: "不支持的内容类型",
    422: "请求参数有误",
    500: "核验服务内部错误",
}


MAX_JOB_ID = 2**31 - 1


def roster_http_error(exc: RosterError) -> HTTPException:
    """A roster over the caps is 413 (content too large), any other unusable roster 422."""
    return HTTPException(413 if isinstance(exc, RosterTooLarge) else 422, exc.message)


def clean_filename(name: str) -> str:
    """An uploaded file's name without control characters (PostgreSQL text refuses NUL)."""
    return "".join(ch for ch in name if unicodedata.category(ch) != "Cc").strip() or "名单"


# --- request and response shapes ----------------------------------------------------------------


class PersonIn(BaseModel):
    """One person as a roster row would give them (field names of `verification.md` §8)."""

    name: str = Field(description="姓名")
    id_number: str | None = Field(default=None, description="身份证号（18 位或 15 位旧号）")
    family: Family | None = Field(
        default=None, description="证书类型：special 特种作业操作证 / safety 安全合格证"
    )
    cert_number: str | None = Field(default=None, description="证书编号")
    category: str | None = Field(default=None, description="作业类别")
    item: str | None = Field(default=None, description="操作项目")
    person_type: str | None = Field(default=None, description="人员类型（主要负责人 / 安全生产管理人员）")
    appointment_date: str | None = Field(default=None, description="任职日期")
    issue_date: str | None = Field(default=None, description="发证日期")
    enterprise: str | None = Field(default=None, description="单位名称")
    uscc: str | None = Field(default=None, description="统一社会信用代码")

    @field_validator("*")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        if isinstance(value, str) and any(unicodedata.category(ch) == "Cc" for ch in value):
            raise ValueError("含有不可见的控制字符（如 NUL），请删除后重新提交")
        return value


class VerifyIn(PersonIn):
    as_of: dt.date | None = Field(default=None, description="核验基准日，默认今天")
    captcha: str | None = Field(
        default=None, description="验证码方式：queue（人工输入）或 fixed:验证码；默认服务设置"
    )
    wait_s: float = Field(default=60.0, ge=0, le=600, description="最多等待结果的秒数；超时返回 202 与任务号")
    full_ids: bool = Field(default=False, description="结果中显示完整身份证号")


class JobRowsIn(BaseModel):
    rows: list[PersonIn] = Field(min_length=1, description="名单行")
    family: Family = Field(default=Family.SPECIAL, description="默认证书类型")
    as_of: dt.date | None = Field(default=None, description="核验基准日，默认今天")
    captcha: str | None = Field(default=None, description="验证码方式：queue 或 fixed:验证码")
    filename: str = Field(default="接口提交名单", description="名单名称")


class CaptchaAnswerIn(BaseModel):
    code: str = Field(min_length=1, max_length=16, description="验证码")


# --- middleware ---------------------------------------------------------------------------------


def _json_error(status: int, detail: str) -> Response:
    return JSONResponse({"detail": detail}, status_code=status)


class GuardMiddleware:
    """Bearer token on every path but /healthz, and a limit on the request body size."""

    def __init__(self, app: ASGIApp, *, token: str | None, max_bytes: int) -> None:
        self.app = app
        self.token = token
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if self.token and scope.get("path") != "/healthz" and not self._authorised(headers):
            response = _json_error(401, STATUS_TEXT[401])
            response.headers["WWW-Authenticate"] = "Bearer"
            await response(scope, receive, send)
            return
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        received = 0
        rejected = False

        async def limited_receive() -> Message:
            nonlocal received, rejected
            message = await receive()
            if message["type"] == "http.request" and not rejected:
                received += len(message.get("body", b""))
                if received > self.max_bytes:  # a body without Content-Length, counted as it comes
                    rejected = True
                    await self._too_large(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: MutableMapping[str, Any]) -> None:
            if not rejected:  # after a 413 the app's own answer is dropped
                await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not rejected:
                raise

    def _authorised(self, headers: dict[str, str]) -> bool:
        scheme, _, given = headers.get("authorization", "").partition(" ")
        expected = self.token or ""
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected.encode())

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit_mb = self.max_bytes / (1024 * 1024)
        await _json_error(413, f"上传内容过大：超过 {limit_mb:g} MB 的上限，请拆分名单后分批提交")(
            scope, receive, send
        )


# --- helpers ------------------------------------------------------------------------------------


def _today() -> dt.date:
    from anpei.clock import local_today

    return local_today()


def _read_json_rows(rows: list[PersonIn], *, family: Family, as_of: dt.date) -> RosterReadResult:
    """JSON rows through the roster reader's row checks (numbered 1, 2, …), no file in between."""
    return read_records([row.model_dump() for row in rows], default_family=family, as_of=as_of)


def _job_json(store: JobStore, job: JobInfo, hub: CaptchaHub, *, problems: bool = True) -> dict[str, Any]:
    progress = store.progress(job.id)
    data: dict[str, Any] = {
        "id": job.id,
        "status": job.status.value,
        "status_label": job.status.label,
        "created_at": job.created_at.isoformat() + "Z",
        "finished_at": job.finished_at.isoformat() + "Z" if job.finished_at else None,
        "filename": job.filename,
        "as_of": job.as_of.isoformat(),
        "family": job.default_family,
        "captcha": QUEUE if job.captcha == QUEUE else "fixed",
        "total_rows": job.total_rows,
        "total_persons": job.total_persons,
        "platform_queries": job.queries,
        "progress": {
            "total": progress.total,
            "done": progress.done,
            "pending": progress.pending,
            "by_outcome": progress.by_outcome,
        },
        "stop_outcome": job.stop_outcome,
        "stop_reason": job.stop_reason,
        "captcha_waiting": hub.current(job.id) is not None,
    }
    if problems:
        data["problems"] = job.problems
    return data


def _download_name(job: JobInfo, fmt: str) -> str:
    stem = job.filename.rsplit(".", 1)[0] or "名单"
    return f"{stem}-核验结果-{job.id}.{fmt}"


# --- the app ------------------------------------------------------------------------------------


def create_app(
    settings: Settings | None = None,
    *,
    store: JobStore | None = None,
    platform_url: str | None = None,
    min_interval_s: float | None = None,
    backoff_base_s: float | None = None,
    default_captcha: str = QUEUE,
    captcha_wait_s: float = DEFAULT_WAIT_S,
    start_worker: bool = True,
) -> FastAPI:
    """The service app. Its store, worker and captcha hub are on `app.state`."""
    settings = settings or get_settings()
    # urllib3 logs every request line at DEBUG, query string (ID number, name) included
    logging.getLogger("urllib3").setLevel(max(logging.getLogger("urllib3").level, logging.INFO))
    store = store or JobStore.from_url(settings.verifier_database_url)
    hub = CaptchaHub()
    worker = Worker(
        store,
        settings=settings,
        hub=hub,
        platform_url=platform_url,
        min_interval_s=min_interval_s,
        backoff_base_s=backoff_base_s,
        captcha_wait_s=captcha_wait_s,
    )
    default_captcha = check_captcha_spec(default_captcha)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if start_worker:
            worker.start()
        try:
            yield
        finally:
            await asyncio.to_thread(worker.stop)

    app = FastAPI(
        title="安培 证书核验服务",
        version=__version__,
        description="批量核验特种作业操作证与安全生产知识和管理能力考核合格证（全国查询平台）。",
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.worker = worker
    app.state.hub = hub
    app.add_middleware(
        GuardMiddleware, token=settings.verifier_token or None, max_bytes=settings.max_upload_mb * 1024 * 1024
    )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) and not exc.detail.isascii() else None
        return JSONResponse(
            {"detail": detail or STATUS_TEXT.get(exc.status_code, "请求失败")},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> Response:
        return JSONResponse(
            {"detail": "请求参数有误：" + validation_text(exc.errors()), "errors": jsonable_errors(exc)},
            status_code=422,
        )

    @app.exception_handler(Exception)
    async def internal_error(_request: Request, exc: Exception) -> Response:
        log.error("internal error: %s", type(exc).__name__)
        return _json_error(500, STATUS_TEXT[500])

    def get_job_or_404(job_id: int) -> JobInfo:
        if not 1 <= job_id <= MAX_JOB_ID:  # beyond any stored id (and the databases' integers)
            raise HTTPException(404, f"任务 {job_id} 不存在")
        job = store.get_job(job_id)
        if job is None:
            raise HTTPException(404, f"任务 {job_id} 不存在")
        return job

    def captcha_or_422(spec: str | None) -> str:
        try:
            return check_captcha_spec(spec or default_captcha)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc

    def new_job(
        roster: RosterReadResult,
        *,
        filename: str,
        as_of: dt.date,
        family: Family,
        captcha: str,
        priority: int = 0,
    ) -> int:
        job_id = jobs.create_job(
            store,
            roster,
            filename=filename,
            as_of=as_of,
            default_family=family,
            captcha=captcha,
            priority=priority,
        )
        log.info("job %s queued: %d rows", job_id, len(roster.rows))
        worker.wake()
        return job_id

    # --- routes ---------------------------------------------------------------------------------

    @app.get("/healthz", summary="健康检查（无需令牌）")
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "worker": worker.is_alive()}

    @app.post("/v1/verify", summary="核验一人，返回结果行（§7 列）")
    def verify(body: VerifyIn) -> Response:
        as_of = body.as_of or _today()
        captcha = captcha_or_422(body.captcha)
        try:
            roster = _read_json_rows([body], family=body.family or Family.SPECIAL, as_of=as_of)
        except RosterError as exc:
            raise HTTPException(422, exc.message) from exc
        job_id = new_job(
            roster,
            filename="单人核验",
            as_of=as_of,
            family=body.family or Family.SPECIAL,
            captcha=captcha,
            priority=1,
        )
        deadline = time.monotonic() + body.wait_s
        job = get_job_or_404(job_id)
        while job.status in ACTIVE and time.monotonic() < deadline:
            time.sleep(0.02)
            job = get_job_or_404(job_id)
        rows = result_table(store, job, full_ids=body.full_ids)
        payload = {
            "job_id": job_id,
            "status": job.status.value,
            "stop_reason": job.stop_reason,
            "result": rows[0],
        }
        return JSONResponse(payload, status_code=202 if job.status in ACTIVE else 200)

    @app.post(
        "/v1/jobs",
        status_code=201,
        summary="提交名单（上传文件或 JSON 行），返回任务号与名单问题",
        openapi_extra={
            "requestBody": {
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {
                                "file": {
                                    "type": "string",
                                    "format": "binary",
                                    "description": "名单 .xlsx/.xls/.csv",
                                },
                                "family": {"type": "string", "enum": ["special", "safety"]},
                                "as_of": {"type": "string", "format": "date"},
                                "captcha": {"type": "string", "description": "queue 或 fixed:验证码"},
                                "columns": {
                                    "type": "string",
                                    "description": '人工指定的列含义（JSON，表头 → 字段），如 {"工种": "item"}',
                                },
                            },
                        }
                    },
                    "application/json": {"schema": JobRowsIn.model_json_schema()},
                },
                "required": True,
            }
        },
    )
    async def submit_job(request: Request) -> Response:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("multipart/form-data"):
            form = await request.form(max_part_size=settings.max_upload_mb * 1024 * 1024)
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise HTTPException(422, "请以 file 字段上传名单文件")
            data = await upload.read()
            filename = clean_filename(upload.filename or "名单.xlsx")
            family = _form_family(form.get("family"))
            as_of = _form_date(form.get("as_of"))
            captcha = captcha_or_422(_form_text(form.get("captcha")))
            synonyms = _form_columns(form.get("columns"))
            try:
                roster = await asyncio.to_thread(
                    read_roster,
                    data,
                    filename=filename,
                    default_family=family,
                    as_of=as_of,
                    extra_synonyms=synonyms,
                )
            except RosterError as exc:
                raise roster_http_error(exc) from exc
        elif content_type.startswith("application/json"):
            try:
                body = JobRowsIn.model_validate(json.loads(await request.body()))
            except ValidationError as exc:
                raise HTTPException(422, f"JSON 名单格式有误：{validation_text(exc.errors())}") from exc
            except ValueError as exc:
                raise HTTPException(422, f"JSON 名单格式有误：{_short(exc)}") from exc
            family, as_of, filename = body.family, body.as_of or _today(), clean_filename(body.filename)
            captcha = captcha_or_422(body.captcha)
            if len(body.rows) > MAX_ROWS:
                raise roster_http_error(too_many_rows(filename))
            try:
                roster = await asyncio.to_thread(_read_json_rows, body.rows, family=family, as_of=as_of)
            except RosterError as exc:
                raise roster_http_error(exc) from exc
        else:
            raise HTTPException(
                415, "请以 multipart/form-data 上传名单文件，或以 application/json 提交名单行"
            )
        job_id = await asyncio.to_thread(
            new_job, roster, filename=filename, as_of=as_of, family=family, captcha=captcha
        )
        job = get_job_or_404(job_id)
        return JSONResponse(
            {
                "job_id": job_id,
                "status": job.status.value,
                "total_rows": job.total_rows,
                "total_persons": job.total_persons,
                "header_row": roster.header_row,
                "sheet": roster.sheet,
                "columns": roster.columns,
                "unknown_headers": roster.unknown_headers,
                "problems": job.problems,
            },
            status_code=201,
        )

    @app.get("/v1/jobs", summary="最近的任务")
    def list_jobs(limit: int = Query(50, ge=1, le=500, description="最多返回条数")) -> list[dict[str, Any]]:
        return [_job_json(store, job, hub, problems=False) for job in store.list_jobs(limit=limit)]

    @app.get("/v1/jobs/{job_id}", summary="任务状态与进度（按结论统计）")
    def get_job(job_id: int) -> dict[str, Any]:
        return _job_json(store, get_job_or_404(job_id), hub)

    @app.get(
        "/v1/jobs/{job_id}/captcha",
        summary="等待输入的验证码图片（PNG；没有时 204）",
        responses={200: {"content": {"image/png": {}}}, 204: {"description": "没有等待输入的验证码"}},
    )
    def get_captcha(
        job_id: int, format: Literal["png", "json"] = Query("png", description="png 图片或 json（base64）")
    ) -> Response:
        get_job_or_404(job_id)
        challenge = hub.current(job_id)
        if challenge is None:
            return Response(status_code=204)
        if format == "json":
            ctx = challenge.context
            return JSONResponse(
                {
                    "image_base64": base64.b64encode(challenge.image_png).decode("ascii"),
                    "attempt": ctx.attempt,
                    "family": ctx.family.value,
                    "name": ctx.name,
                    "masked_id": ctx.masked_id,
                    "waiting_s": round(time.time() - challenge.created_at, 1),
                }
            )
        return Response(challenge.image_png, media_type="image/png", headers={"Cache-Control": "no-store"})

    @app.post("/v1/jobs/{job_id}/captcha", summary="提交验证码答案")
    def answer_captcha(job_id: int, body: CaptchaAnswerIn) -> dict[str, Any]:
        get_job_or_404(job_id)
        if not hub.answer(job_id, body.code):
            raise HTTPException(409, "该任务当前没有等待输入的验证码")
        return {"accepted": True}

    @app.get("/v1/jobs/{job_id}/results", summary="核验结果（§7 列）：json、csv 或 xlsx")
    def results(
        job_id: int,
        format: Literal["json", "csv", "xlsx"] = Query("json", description="json、csv 或 xlsx"),
        full_ids: bool = Query(False, description="显示完整身份证号（默认打码）"),
    ) -> Response:
        job = get_job_or_404(job_id)
        if format == "json":
            rows = result_table(store, job, full_ids=full_ids)
            return JSONResponse({"job_id": job.id, "status": job.status.value, "rows": rows})
        data = export_bytes(store, job, fmt=format, full_ids=full_ids)
        name = _download_name(job, format)
        disposition = (
            f"attachment; filename=\"results-{job.id}.{format}\"; filename*=UTF-8''{quote(name, safe='')}"
        )
        return Response(data, media_type=EXPORT_MEDIA[format], headers={"Content-Disposition": disposition})

    @app.get(
        "/v1/jobs/{job_id}/records",
        response_model=JobResults,
        summary="核验结果（供程序读取）：英文字段、结论代码、ISO 日期、UTC 时间、名单字段已规范化",
    )
    def records(
        job_id: int, full_ids: bool = Query(False, description="显示完整身份证号（默认打码）")
    ) -> Response:
        job = get_job_or_404(job_id)
        body = job_records(store, job, full_ids=full_ids).model_dump_json()
        return Response(body, media_type="application/json")

    def control(job_id: int, action: Callable[[JobStore, int], bool], verb: str) -> dict[str, Any]:
        job = get_job_or_404(job_id)
        if not action(store, job_id):
            raise HTTPException(409, f"任务当前状态为“{job.status.label}”，不能{verb}")
        return _job_json(store, get_job_or_404(job_id), hub, problems=False)

    @app.post("/v1/jobs/{job_id}/pause", summary="暂停任务")
    def pause(job_id: int) -> dict[str, Any]:
        data = control(job_id, jobs.pause_job, "暂停")
        hub.abort(job_id)
        return data

    @app.post("/v1/jobs/{job_id}/resume", summary="继续已暂停或已中止的任务")
    def resume(job_id: int) -> dict[str, Any]:
        data = control(job_id, jobs.resume_job, "继续")
        worker.wake()
        return data

    @app.post("/v1/jobs/{job_id}/cancel", summary="取消任务（未核验的行记为未核验）")
    def cancel(job_id: int) -> dict[str, Any]:
        data = control(job_id, jobs.cancel_job, "取消")
        hub.abort(job_id)
        return data

    return app


_PYDANTIC_TEXT = {
    "missing": "缺少该字段",
    "string_type": "应为文本",
    "enum": "取值无法识别（应为 special 或 safety）",
    "date_from_datetime_parsing": "应为 YYYY-MM-DD 格式的日期",
    "date_parsing": "应为 YYYY-MM-DD 格式的日期",
    "too_short": "不能为空",
    "list_type": "应为列表",
    "bool_parsing": "应为 true 或 false",
}


def validation_text(errors: Any) -> str:
    """Pydantic errors as one Chinese line: where (rows.3.name) and what (our own messages as written)."""
    parts = []
    for error in errors:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        kind = str(error.get("type", ""))
        if kind == "value_error":
            what = str(error.get("ctx", {}).get("error", error.get("msg", "")))
        else:
            what = _PYDANTIC_TEXT.get(kind, str(error.get("msg", "")))
        parts.append(f"{where}：{what}" if where else what)
    return "；".join(parts[:10])


def jsonable_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))} for e in exc.errors()]


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200]


def _form_text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _form_columns(value: Any) -> dict[str, list[str]] | None:
    """The `columns` form field: header text → field, chosen by hand for headers the reader does not
    know; given to the reader as extra synonyms (the file itself is never rewritten)."""
    text = _form_text(value)
    if text is None:
        return None
    try:
        mapping = json.loads(text)
    except ValueError as exc:
        raise HTTPException(422, f"列含义（columns）格式有误：{_short(exc)}") from exc
    if not isinstance(mapping, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
    ):
        raise HTTPException(422, "列含义（columns）应为“表头 → 字段”的 JSON 对象")
    unknown = sorted({v for v in mapping.values() if v not in FIELD_LABELS})
    if unknown:
        raise HTTPException(422, f"列含义（columns）中的字段无法识别：{'、'.join(unknown)}")
    synonyms: dict[str, list[str]] = {}
    for header, field_name in mapping.items():
        synonyms.setdefault(field_name, []).append(header)
    return synonyms


def _form_family(value: Any) -> Family:
    text = _form_text(value)
    if text is None:
        return Family.SPECIAL
    try:
        return Family(text)
    except ValueError as exc:
        raise HTTPException(422, f"证书类型 {text!r} 无法识别：应为 special 或 safety") from exc


def _form_date(value: Any) -> dt.date:
    text = _form_text(value)
    if text is None:
        return _today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise HTTPException(422, f"核验基准日 {text!r} 格式有误：应为 YYYY-MM-DD") from exc


def serve(*, host: str | None = None, port: int | None = None, settings: Settings | None = None) -> None:
    """Run the service with uvicorn until interrupted."""
    import uvicorn

    settings = settings or get_settings()
    bind = host or settings.verifier_host
    if not settings.verifier_token and not is_loopback(bind):
        raise OpenBindRefused(
            f"拒绝在 {bind} 上无令牌运行核验服务：对本机以外开放时必须设置 ANPEI_VERIFIER_TOKEN"
        )
    if not settings.verifier_token and not settings.demo:
        raise OpenBindRefused(
            "核验服务需要令牌：请设置 ANPEI_VERIFIER_TOKEN（至少 32 个字符，看板设置同一个值）；"
            "只有演示（anpei demo）可以不设"
        )
    app = create_app(settings)
    uvicorn.run(
        app,
        host=bind,
        port=settings.verifier_port if port is None else port,
        log_level="info",
        access_log=False,  # paths and query strings stay out of the logs
    )


class OpenBindRefused(RuntimeError):
    """The service would listen beyond this machine without a token."""


def is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
