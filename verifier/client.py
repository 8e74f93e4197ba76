"""The platform client: one `requests.Session`, a captcha call then a query call per attempt.

Both calls are classified exactly as `verification.md` §3 says; a fault, a block or an answer of an
unknown shape never becomes records. Polite by construction: explicit timeouts, bounded retries with
backoff, a minimum interval between queries, an honest User-Agent, TLS verification always on.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import enum
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from anpei import __version__
from anpei.settings import Settings, get_settings
from verifier.captcha import CaptchaContext, CaptchaSolver
from verifier.cassettes import CAPTCHA_PATH, QUERY_PATH, cassette_document, normalise_name, response_form
from verifier.ids import make_id, mask_id
from verifier.keymap import DEFAULT_KEY_MAP, KeyMap, RecordShapeError, parse_records
from verifier.types import CertRecord, Family, Outcome, PlatformAnswer

# personTypeCode per family: '03' is confirmed for special; '01' for safety is a placeholder.
DEFAULT_PERSON_TYPE_CODES: Mapping[Family, str] = {Family.SPECIAL: "03", Family.SAFETY: "01"}
DEFAULT_CONTACT = "contact-not-configured"
DEFAULT_BACKOFF_BASE_S = 1.0
MIN_ATTEMPTS = 3


def user_agent(contact: str = DEFAULT_CONTACT) -> str:
    return f"Anpei/{__version__} (county safety-training certificate checks; +{contact})"


@dataclass(frozen=True)
class PlatformPaths:
    captcha: str = CAPTCHA_PATH
    query: str = QUERY_PATH


class _Kind(enum.Enum):
    RETRY = "retry"  # try again (connection error, timeout, 5xx, other code ≠ 200)
    CAPTCHA_REJECTED = "captcha"  # code ≠ 200 with 验证码 in msg: retry, and CAPTCHA_FAILED at the end
    STOP = "stop"  # BLOCKED / RATE_LIMITED / PARSE_ERROR / CAPTCHA_REQUIRED at once


@dataclass(frozen=True)
class _Failure:
    kind: _Kind
    detail: str
    outcome: Outcome | None = None  # for STOP


def _stop(outcome: Outcome, detail: str) -> _Failure:
    return _Failure(_Kind.STOP, detail, outcome)


def _is_code_200(code: Any) -> bool:
    if isinstance(code, bool):
        return False
    if isinstance(code, int | float):
        return code == 200
    return isinstance(code, str) and code.strip() == "200"


def classify_response(response: requests.Response, *, call: str) -> _Failure | dict[str, Any]:
    """Steps 2–4 of §3 for one received answer: a failure, or the envelope of a `code == 200` answer."""
    status = response.status_code
    if status == 403:
        return _stop(Outcome.BLOCKED, f"{call}返回 HTTP 403，平台拒绝访问（可能被安全防护拦截）")
    if status == 429:
        return _stop(Outcome.RATE_LIMITED, f"{call}返回 HTTP 429，查询过于频繁")
    if 500 <= status <= 599:
        return _Failure(_Kind.RETRY, f"{call}返回 HTTP {status}（平台服务器错误）")
    if not 200 <= status <= 299:
        return _stop(Outcome.PARSE_ERROR, f"{call}返回 HTTP {status}，接口可能已变更")
    try:
        envelope = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        text = response.content.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n\f\v")
        if text.startswith("<"):
            return _stop(Outcome.BLOCKED, f"{call}返回了网页而不是数据（可能是安全验证或拦截页面）")
        return _stop(Outcome.PARSE_ERROR, f"{call}返回的内容不是 JSON，无法解析")
    if not isinstance(envelope, dict) or "code" not in envelope:
        return _stop(Outcome.PARSE_ERROR, f"{call}返回的 JSON 缺少 code 字段，无法解析")
    code = envelope["code"]
    if _is_code_200(code):
        return envelope
    msg = envelope.get("msg")
    msg_text = msg if isinstance(msg, str) else ("" if msg is None else str(msg))
    if "验证码" in msg_text:
        return _Failure(_Kind.CAPTCHA_REJECTED, f"平台拒绝了验证码（{msg_text}）")
    if "频繁" in msg_text or "稍后" in msg_text:
        return _stop(Outcome.RATE_LIMITED, f"平台提示：{msg_text}")
    return _Failure(_Kind.RETRY, f"{call}返回错误 code={code!r}：{msg_text or '（无说明）'}")


# --- scrubbing (record mode) ---------------------------------------------------------------

_ID_RE = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_STEMS = "甲乙丙丁戊己庚辛壬癸"


@dataclass
class Scrubber:
    """Replaces ID numbers and names with synthetic placeholders, the same real value always the same way.

    Synthetic IDs keep the sex of the order code and carry a valid check character; names become
    `样甲`, `样乙`, … (no digits, so they pass the roster checks).
    """

    name_key: str = "name"
    ids: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def id(self, real: str) -> str:
        key = real.strip().upper()
        if key not in self.ids:
            n = len(self.ids)
            birth = dt.date(1980, 1, 1) + dt.timedelta(days=n // 400)
            odd = 1 if len(key) < 17 or not key[16].isdigit() else int(key[16]) % 2
            order = 100 + (n % 400) * 2 + odd
            self.ids[key] = make_id("500000", birth, order)
        return self.ids[key]

    def name(self, real: str) -> str:
        key = normalise_name(real)
        if key not in self.names:
            n = len(self.names)
            self.names[key] = "样" + "".join(_STEMS[int(d)] for d in str(n))
        return self.names[key]

    def text(self, value: str) -> str:
        value = _ID_RE.sub(lambda m: self.id(m.group(0)), value)
        for real in sorted(self.names, key=len, reverse=True):
            value = value.replace(real, self.names[real])
        return value

    def collect_names(self, obj: Any) -> None:
        """Register every value of the name key found in `obj` (records the platform returned)."""
        if isinstance(obj, dict):
            for key, value in obj.items():
                if key == self.name_key and isinstance(value, str) and normalise_name(value):
                    self.name(value)
                else:
                    self.collect_names(value)
        elif isinstance(obj, list):
            for item in obj:
                self.collect_names(item)

    def value(self, obj: Any) -> Any:
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, dict):
            return {key: self.value(item) for key, item in obj.items()}
        if isinstance(obj, list):
            return [self.value(item) for item in obj]
        return obj


# --- the whole-call deadline (§3) ------------------------------------------------------------
#
# requests' timeouts bound each wait for bytes, not the call: a server sending one byte every 5 s
# never trips a 15 s read timeout. A timer shuts the call's socket down when the deadline passes;
# the blocked read then fails at once, and the call counts as a timeout.

_CALL = threading.local()  # the calling thread's `_InFlight`, seen by the connection it uses


class _InFlight:
    def __init__(self) -> None:
        self.connection: HTTPConnection | None = None
        self.expired = False
        self._lock = threading.Lock()

    def abort(self) -> None:
        with self._lock:
            self.expired = True
            sock = getattr(self.connection, "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread for every client: aborts calls whose deadline passed (a timer thread per call
    would cost a thread start on every captcha and query)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._armed: dict[int, tuple[float, _InFlight]] = {}
        self._thread: threading.Thread | None = None
        self._wakes_at: float | None = None  # when the sleeping thread looks next (None: not before a notify)
        self.notifies = 0  # how often the thread was woken early (the tests count them)

    def arm(self, call: _InFlight, seconds: float) -> None:
        due = time.monotonic() + seconds
        with self._cond:
            self._armed[id(call)] = (due, call)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="verifier-deadline", daemon=True)
                self._thread.start()
            # A thread already due to look before this deadline is left asleep: waking it for every
            # call would cost two thread switches per captcha and per query.
            if self._wakes_at is None or due < self._wakes_at:
                self._wakes_at = due
                self.notifies += 1
                self._cond.notify()

    def disarm(self, call: _InFlight) -> None:
        with self._cond:
            self._armed.pop(id(call), None)

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                for key, (due, call) in list(self._armed.items()):
                    if due <= now:
                        del self._armed[key]
                        call.abort()
                soonest = min((due for due, _ in self._armed.values()), default=None)
                self._wakes_at = soonest
                self._cond.wait(None if soonest is None else max(soonest - now, 0.001))


_WATCHDOG = _Watchdog()


class _Tracked:
    def request(self, *args: Any, **kwargs: Any) -> None:
        call = getattr(_CALL, "current", None)
        if call is not None:
            call.connection = self
            if call.expired:  # the deadline passed while connecting
                call.abort()
        super().request(*args, **kwargs)  # type: ignore[misc]


class _HTTPConnection(_Tracked, HTTPConnection):
    pass


class _HTTPSConnection(_Tracked, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _DeadlineAdapter(HTTPAdapter):
    """An adapter whose connections a deadline timer can cut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


# --- the client ----------------------------------------------------------------------------


class PlatformClient:
    """Queries the national platform (or the double) for one person's certificates at a time."""

    def __init__(
        self,
        base_url: str,
        *,
        solver: CaptchaSolver,
        settings: Settings | None = None,
        key_map: KeyMap = DEFAULT_KEY_MAP,
        max_attempts: int | None = None,
        connect_timeout_s: float | None = None,
        read_timeout_s: float | None = None,
        min_interval_s: float | None = None,
        backoff_base_s: float | None = None,
        call_deadline_s: float | None = None,
        paths: PlatformPaths = PlatformPaths(),
        person_type_codes: Mapping[Family, str] = DEFAULT_PERSON_TYPE_CODES,
        contact: str | None = None,
        record_dir: str | Path | None = None,
        scrub: bool = False,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        settings = settings or get_settings()
        attempts = settings.max_attempts if max_attempts is None else max_attempts
        if attempts < MIN_ATTEMPTS:
            raise ValueError(f"每次查询至少尝试 {MIN_ATTEMPTS} 次（设置为 {attempts}）")
        self.base_url = base_url.rstrip("/")
        self.solver = solver
        self.key_map = key_map
        self.max_attempts = attempts
        self.timeout = (
            settings.connect_timeout_s if connect_timeout_s is None else connect_timeout_s,
            settings.read_timeout_s if read_timeout_s is None else read_timeout_s,
        )
        self.call_deadline_s = settings.call_deadline_s if call_deadline_s is None else call_deadline_s
        self.min_interval_s = settings.min_interval_s if min_interval_s is None else min_interval_s
        self.backoff_base_s = settings.backoff_base_s if backoff_base_s is None else backoff_base_s
        self.paths = paths
        self.person_type_codes = dict(person_type_codes)
        self.record_dir = Path(record_dir) if record_dir is not None else None
        self.scrubber = Scrubber(name_key=key_map["name"]) if scrub else None
        self._clock = clock
        self._sleep = sleep
        self._last_query_at: float | None = None
        self._recorded = 0
        self.session = requests.Session()
        self.session.mount("http://", _DeadlineAdapter())
        self.session.mount("https://", _DeadlineAdapter())
        self.session.headers["User-Agent"] = user_agent(contact or settings.contact or DEFAULT_CONTACT)
        self.session.headers["Accept"] = "application/json, text/plain, */*"
        # The environment (proxy variables, CA bundle) is read once here, not on every call: requests
        # otherwise walks all of os.environ and looks for ~/.netrc twice per person.
        env = self.session.merge_environment_settings(self.base_url, {}, None, None, None)
        self.session.proxies.update(env["proxies"])
        self._verify: bool | str = env["verify"] or True  # a CA bundle named by the environment, or True
        self.session.trust_env = False

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> PlatformClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one query, all its attempts --

    def query(self, *, id_number: str, name: str, family: Family) -> PlatformAnswer:
        """Ask the platform for one person's certificates (up to `max_attempts` attempts)."""
        exchanges: list[dict[str, Any]] = []
        notes: list[str] = []
        answer = self._query(id_number=id_number, name=name, family=family, exchanges=exchanges, notes=notes)
        if self.record_dir is not None and exchanges:
            path = self._record(
                id_number=id_number, name=name, family=family, exchanges=exchanges, notes=notes
            )
            answer = replace(answer, evidence=str(path))
        return answer

    def _query(
        self,
        *,
        id_number: str,
        name: str,
        family: Family,
        exchanges: list[dict[str, Any]],
        notes: list[str],
    ) -> PlatformAnswer:
        last: _Failure | None = None
        for attempt in range(1, self.max_attempts + 1):
            if attempt > 1 and self.backoff_base_s > 0:
                self._sleep(self.backoff_base_s * 2 ** (attempt - 2))
            result = self._attempt(
                attempt=attempt,
                id_number=id_number,
                name=name,
                family=family,
                exchanges=exchanges,
                notes=notes,
            )
            if not isinstance(result, _Failure):
                detail = f"平台返回 {len(result)} 条记录" if result else "平台无此人的证书记录"
                if attempt > 1:
                    detail += f"（第 {attempt} 次尝试）"
                return PlatformAnswer(records=result, detail=detail, attempts=attempt)
            if result.kind is _Kind.STOP:
                assert result.outcome is not None
                return PlatformAnswer(failure=result.outcome, detail=result.detail, attempts=attempt)
            last = result
        assert last is not None
        outcome = Outcome.CAPTCHA_FAILED if last.kind is _Kind.CAPTCHA_REJECTED else Outcome.PLATFORM_ERROR
        return PlatformAnswer(
            failure=outcome,
            detail=f"{self.max_attempts} 次尝试均未成功，最后一次：{last.detail}",
            attempts=self.max_attempts,
        )

    def _attempt(
        self,
        *,
        attempt: int,
        id_number: str,
        name: str,
        family: Family,
        exchanges: list[dict[str, Any]],
        notes: list[str],
    ) -> _Failure | tuple[CertRecord, ...]:
        captcha = self._get(self.paths.captcha, params=None, call="验证码接口")
        if isinstance(captcha, _Failure):
            return captcha
        envelope = classify_response(captcha, call="验证码接口")
        if isinstance(envelope, _Failure):
            return envelope
        image = _captcha_image(envelope)
        if isinstance(image, _Failure):
            return image
        png, key = image
        context = CaptchaContext(attempt=attempt, family=family, name=name, masked_id=mask_id(id_number))
        code = self.solver.solve(png, context=context)
        if code is None:
            return _stop(Outcome.CAPTCHA_REQUIRED, "没有可用的验证码输入方式（需要人工输入验证码）")
        params = {
            "name": normalise_name(name),
            "searchType": "1",
            "idcardNum": id_number.strip().upper(),
            "idcardTypeCode": "01",
            "code": code.strip(),
            "uuid": key,
            "personTypeCode": self.person_type_codes.get(family, ""),
        }
        self._pace()
        response = self._get(self.paths.query, params=params, call="查询接口")
        if isinstance(response, _Failure):
            exchanges.append({"status": 504})
            notes.append(f"第 {attempt} 次查询未收到响应（{response.detail}），以 HTTP 504 记录")
            return response
        exchanges.append(
            response_form(
                status=response.status_code,
                content_type=response.headers.get("Content-Type"),
                body=response.content,
                text=response.text,
            )
        )
        envelope = classify_response(response, call="查询接口")
        if isinstance(envelope, _Failure):
            return envelope
        try:
            return parse_records(envelope.get("data"), self.key_map)
        except RecordShapeError as exc:
            return _stop(Outcome.PARSE_ERROR, f"平台返回的数据无法解析：{exc.message}")

    def _pace(self) -> None:
        if self._last_query_at is not None and self.min_interval_s > 0:
            wait = self._last_query_at + self.min_interval_s - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last_query_at = self._clock()

    def _get(self, path: str, *, params: dict[str, str] | None, call: str) -> requests.Response | _Failure:
        """Step 1 of §3. Exception texts are not passed on: they can carry the query string (ID, name)."""
        in_flight = _InFlight()
        _CALL.current = in_flight
        _WATCHDOG.arm(in_flight, self.call_deadline_s)
        try:
            response = self.session.get(
                self.base_url + path, params=params, timeout=self.timeout, verify=self._verify
            )
        except requests.Timeout:
            return _Failure(
                _Kind.RETRY, f"{call}超时（连接 {self.timeout[0]:g} 秒 / 读取 {self.timeout[1]:g} 秒）"
            )
        except requests.TooManyRedirects:
            return _stop(Outcome.PARSE_ERROR, f"{call}重定向次数过多，接口可能已变更")
        except requests.RequestException as exc:
            if in_flight.expired:
                return self._past_deadline(call)
            return _Failure(_Kind.RETRY, f"无法连接{call}（{type(exc).__name__}）")
        finally:
            _WATCHDOG.disarm(in_flight)
            _CALL.current = None
        if in_flight.expired:  # cut after the last byte arrived: what came may be incomplete
            return self._past_deadline(call)
        return response

    def _past_deadline(self, call: str) -> _Failure:
        return _Failure(_Kind.RETRY, f"{call}超时（整次调用超过 {self.call_deadline_s:g} 秒）")

    # -- record mode --

    def _record(
        self,
        *,
        id_number: str,
        name: str,
        family: Family,
        exchanges: list[dict[str, Any]],
        notes: list[str],
    ) -> Path:
        assert self.record_dir is not None
        match: dict[str, Any] = {"idcardNum": id_number.strip().upper(), "family": family.value, "name": name}
        if self.scrubber is not None:
            scrub = self.scrubber
            scrub.name(name)
            scrub.id(id_number)
            for exchange in exchanges:
                scrub.collect_names(exchange.get("json"))
            match = {"idcardNum": scrub.id(id_number), "family": family.value, "name": scrub.name(name)}
            exchanges = [scrub.value(exchange) for exchange in exchanges]
        else:
            match["name"] = normalise_name(name)
        response = exchanges[0] if len(exchanges) == 1 else {"sequence": exchanges}
        now = dt.datetime.now()
        note = f"录制于 {now:%Y-%m-%d %H:%M:%S}，平台 {self.base_url}，{len(exchanges)} 次查询"
        if self.scrubber is not None:
            note += "；身份证号与姓名已替换为虚构值"
        if notes:
            note += "；" + "；".join(notes)
        document = cassette_document(interactions=[{"match": match, "response": response}], note=note)
        self.record_dir.mkdir(parents=True, exist_ok=True)
        self._recorded += 1
        path = self.record_dir / f"{now:%Y%m%d-%H%M%S-%f}-{self._recorded:04d}.json"
        path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return path


def _captcha_image(envelope: dict[str, Any]) -> tuple[bytes, str] | _Failure:
    img, key = envelope.get("img"), envelope.get("uuid")
    if not isinstance(img, str) or not img.strip() or not isinstance(key, str) or not key.strip():
        return _stop(Outcome.PARSE_ERROR, "验证码接口返回的内容缺少 img 或 uuid，接口可能已变更")
    text = img.strip()
    if text.startswith("data:") and "," in text:
        text = text.split(",", 1)[1]
    try:
        return base64.b64decode(text, validate=True), key
    except (binascii.Error, ValueError):
        return _stop(Outcome.PARSE_ERROR, "验证码接口返回的图片不是有效的 base64 数据")
