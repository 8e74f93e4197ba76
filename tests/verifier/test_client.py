"""The platform client against the running double: every fault mode through the real HTTP path."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route

from anpei.settings import Settings
from verifier.captcha import CaptchaContext, FixedSolver, NoSolver
from verifier.client import PlatformClient, PlatformPaths, Scrubber, user_agent
from verifier.double import CAPTCHA_PATH, QUERY_PATH, DoubleState, create_app, running_double, serving
from verifier.ids import is_valid_id
from verifier.types import Family, Outcome, PlatformAnswer

CASSETTES = Path(__file__).resolve().parent / "platform_cassettes"
SETTINGS = Settings(_env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def double() -> Iterator[tuple[str, DoubleState]]:
    """A fresh double per test (sequence positions start at zero)."""
    app = create_app(CASSETTES)
    with serving(app) as url:
        yield url, app.state.double


def _client(url: str, **kwargs: Any) -> PlatformClient:
    options: dict[str, Any] = {
        "solver": FixedSolver("8888"),
        "settings": SETTINGS,
        "min_interval_s": 0,
        "backoff_base_s": 0,
        "connect_timeout_s": 2,
        "read_timeout_s": 5,
    }
    options.update(kwargs)
    return PlatformClient(url, **options)


def _ask(url: str, idcard: str, name: str, family: Family = Family.SPECIAL, **kwargs: Any) -> PlatformAnswer:
    with _client(url, **kwargs) as client:
        return client.query(id_number=idcard, name=name, family=family)


# (cassette, ID, name, expected failure, attempts)
FAILURES = [
    ("blocked-403-challenge", "500230199001096410", "周杰", Outcome.BLOCKED, 1),
    ("rate-limited-429", "500101199207168603", "郑丽", Outcome.RATE_LIMITED, 1),
    ("fault-200-html-challenge", "500224198102113038", "冯刚", Outcome.BLOCKED, 1),
    ("fault-500-always", "500224198203123059", "蒋涛", Outcome.PLATFORM_ERROR, 3),
    ("fault-envelope-no-code", "500224198607163137", "朱琳", Outcome.PARSE_ERROR, 1),
    ("fault-envelope-data-null", "500224198708173158", "秦朗", Outcome.PARSE_ERROR, 1),
    ("fault-envelope-data-object", "500224198809183179", "尤佳", Outcome.PARSE_ERROR, 1),
    ("fault-record-without-name", "500224198901193193", "许峰", Outcome.PARSE_ERROR, 1),
    ("fault-record-bad-date", "500224199002203217", "何平", Outcome.PARSE_ERROR, 1),
    ("fault-msg-captcha", "500224199103213238", "吕方", Outcome.CAPTCHA_FAILED, 3),
    ("fault-msg-frequent", "50022419930523327X", "张勇", Outcome.RATE_LIMITED, 1),
    ("fault-msg-later", "500224199406243290", "孔亮", Outcome.RATE_LIMITED, 1),
    ("fault-msg-other", "500224198007253315", "曹阳", Outcome.PLATFORM_ERROR, 3),
    ("fault-status-404", "500224198209273357", "华明", Outcome.PARSE_ERROR, 1),
    ("fault-status-302-no-location", "500224198301283371", "金鑫", Outcome.PARSE_ERROR, 1),
    ("fault-200-plain-text", "500224198402293392", "魏然", Outcome.PARSE_ERROR, 1),
    ("fault-200-empty", "500224198503303414", "陶然", Outcome.PARSE_ERROR, 1),
    ("fault-json-not-object", "500224198604213434", "姜文", Outcome.PARSE_ERROR, 1),
]


def _assert_failure(answer: PlatformAnswer, outcome: Outcome, attempts: int) -> None:
    assert answer.records is None, "a fault must never yield records"
    assert answer.failure is outcome
    assert not outcome.is_verdict
    assert answer.attempts == attempts
    assert any("\u4e00" <= ch <= "\u9fff" for ch in answer.detail)


@pytest.mark.parametrize("stem,idcard,name,outcome,attempts", FAILURES, ids=[f[0] for f in FAILURES])
def test_fault_modes(
    double: tuple[str, DoubleState], stem: str, idcard: str, name: str, outcome: Outcome, attempts: int
) -> None:
    url, state = double
    answer = _ask(url, idcard, name)
    _assert_failure(answer, outcome, attempts)
    assert state.queries_received == attempts
    assert idcard not in answer.detail and name not in answer.detail


# (cassette, ID, name, family, number of records, attempts)
ANSWERS = [
    ("special-valid", "500230198806143136", "刘洋", Family.SPECIAL, 1, 1),
    ("special-expired", "500233197902034209", "王芳", Family.SPECIAL, 1, 1),
    ("special-history-only", "500102197604125305", "赵敏", Family.SPECIAL, 2, 1),
    ("special-review-overdue", "500101198309271711", "李强", Family.SPECIAL, 1, 1),
    ("safety-principal", "500243197108052111", "孙海", Family.SAFETY, 1, 1),
    ("retry-502-502-200", "500233198603217536", "吴磊", Family.SPECIAL, 1, 3),
    ("fault-503-then-ok", "50022419830413307X", "沈洁", Family.SPECIAL, 1, 2),
    ("fault-msg-captcha-then-ok", "500224199204223259", "施红", Family.SPECIAL, 1, 2),
    ("fault-code-string-200", "500224198108263336", "严华", Family.SPECIAL, 1, 1),
    ("nothing on record", "500224198001013021", "无名", Family.SPECIAL, 0, 1),
]


@pytest.mark.parametrize("stem,idcard,name,family,count,attempts", ANSWERS, ids=[a[0] for a in ANSWERS])
def test_answers_with_records(
    double: tuple[str, DoubleState],
    stem: str,
    idcard: str,
    name: str,
    family: Family,
    count: int,
    attempts: int,
) -> None:
    url, _ = double
    answer = _ask(url, idcard, name, family)
    assert answer.failure is None and answer.records is not None
    assert len(answer.records) == count and answer.attempts == attempts
    assert all(r.name == name for r in answer.records)
    assert answer.detail


def test_example_records_are_read_through_the_key_map(double: tuple[str, DoubleState]) -> None:
    url, _ = double
    answer = _ask(url, "500102197604125305", "赵敏")
    assert answer.records is not None
    first = answer.records[0]
    assert first.is_history and first.item == "低压电工作业" and first.valid_until is not None
    assert first.raw["certNum"] == "T500102197604125305"


def test_500_three_times_is_platform_error_and_more_attempts_are_honoured(
    double: tuple[str, DoubleState],
) -> None:
    url, state = double
    answer = _ask(url, "500224198203123059", "蒋涛", max_attempts=5)
    _assert_failure(answer, Outcome.PLATFORM_ERROR, 5)
    assert "HTTP 500" in answer.detail and state.captchas_served == 5


def test_fewer_than_three_attempts_is_refused() -> None:
    with pytest.raises(ValueError, match="至少尝试 3 次"):
        PlatformClient("http://127.0.0.1:9", solver=NoSolver(), settings=SETTINGS, max_attempts=2)


def test_timeouts_retry_then_platform_error(double: tuple[str, DoubleState]) -> None:
    url, state = double
    start = time.monotonic()
    answer = _ask(url, "500224198405143090", "韩冰", read_timeout_s=0.3)
    _assert_failure(answer, Outcome.PLATFORM_ERROR, 3)
    assert "超时" in answer.detail
    assert time.monotonic() - start < 1.4  # three 0.3 s timeouts, never the 1.5 s delay
    assert state.queries_received == 3


def test_timeout_then_answer(double: tuple[str, DoubleState]) -> None:
    url, _ = double
    answer = _ask(url, "500224198506153116", "杨帆", read_timeout_s=0.3)
    assert answer.records is not None and len(answer.records) == 1 and answer.attempts == 2


def test_connection_refused_is_platform_error() -> None:
    with running_double(CASSETTES) as url:
        pass  # stopped: nothing listens on that port any more
    answer = _ask(url, "500230198806143136", "刘洋")
    _assert_failure(answer, Outcome.PLATFORM_ERROR, 3)
    assert "无法连接" in answer.detail and "500230198806143136" not in answer.detail


def test_wrong_captcha_answer_is_captcha_failed_and_counts_no_sequence_step(
    double: tuple[str, DoubleState],
) -> None:
    url, state = double
    answer = _ask(url, "500233198603217536", "吴磊", solver=FixedSolver("1234"))
    _assert_failure(answer, Outcome.CAPTCHA_FAILED, 3)
    assert state.captchas_refused == 3 and state.sequence_counts == {}
    # The refused attempts left the 502, 502, 200 sequence where it was.
    answer = _ask(url, "500233198603217536", "吴磊")
    assert answer.records is not None and answer.attempts == 3


def test_no_captcha_answer_is_captcha_required_without_any_query(double: tuple[str, DoubleState]) -> None:
    url, state = double
    answer = _ask(url, "500230198806143136", "刘洋", solver=NoSolver())
    _assert_failure(answer, Outcome.CAPTCHA_REQUIRED, 1)
    assert state.queries_received == 0


def test_solver_gets_the_image_and_a_masked_context(double: tuple[str, DoubleState]) -> None:
    url, _ = double
    seen: list[tuple[bytes, CaptchaContext]] = []

    class Recording:
        def solve(self, image_png: bytes, *, context: CaptchaContext) -> str | None:
            seen.append((image_png, context))
            return "8888"

    _ask(url, "500233198603217536", "吴磊", solver=Recording())
    assert [c.attempt for _, c in seen] == [1, 2, 3]
    assert all(png.startswith(b"\x89PNG") for png, _ in seen)
    assert seen[0][1].masked_id == "500233********7536" and seen[0][1].family is Family.SPECIAL


@pytest.mark.parametrize(
    "family,name,codes,expected_name",
    [
        (Family.SAFETY, "任意", None, "钱七"),  # the safety interaction has no name: any name
        (Family.SPECIAL, "钱七", None, "钱七"),
        (Family.SPECIAL, "钱七", {Family.SPECIAL: "99"}, "钱柒"),  # unknown code: family-less interaction
    ],
)
def test_person_type_codes(
    double: tuple[str, DoubleState],
    family: Family,
    name: str,
    codes: dict[Family, str] | None,
    expected_name: str,
) -> None:
    url, _ = double
    kwargs = {"person_type_codes": codes} if codes else {}
    answer = _ask(url, "500224198705223455", name, family, **kwargs)
    assert answer.records is not None and answer.records[0].name == expected_name


# --- the captcha call, and redirects: a wrapper app in front of the double ---------------------


def _wrapped(captcha: Any) -> Starlette:
    return Starlette(routes=[Route(CAPTCHA_PATH, captcha), Mount("/", app=create_app(CASSETTES))])


def _json(obj: Any, status: int = 200) -> Response:
    return Response(json.dumps(obj), status, media_type="application/json")


CAPTCHA_FAULTS = [
    ("403", lambda: Response("<html>denied</html>", 403, media_type="text/html"), Outcome.BLOCKED, 1),
    ("429", lambda: Response(b"", 429), Outcome.RATE_LIMITED, 1),
    ("502", lambda: Response(b"", 502), Outcome.PLATFORM_ERROR, 3),
    (
        "html",
        lambda: Response("  <html><script>x</script></html>", 200, media_type="text/html"),
        Outcome.BLOCKED,
        1,
    ),
    ("no-img", lambda: _json({"code": 200, "msg": "操作成功", "uuid": "u"}), Outcome.PARSE_ERROR, 1),
    (
        "no-uuid",
        lambda: _json({"code": 200, "msg": "操作成功", "img": "iVBORw0KGgo="}),
        Outcome.PARSE_ERROR,
        1,
    ),
    (
        "bad-base64",
        lambda: _json({"code": 200, "msg": "操作成功", "img": "%%%", "uuid": "u"}),
        Outcome.PARSE_ERROR,
        1,
    ),
    ("no-code", lambda: _json({"img": "iVBORw0KGgo=", "uuid": "u"}), Outcome.PARSE_ERROR, 1),
    ("busy", lambda: _json({"code": 500, "msg": "请稍后再试"}), Outcome.RATE_LIMITED, 1),
    ("captcha-msg", lambda: _json({"code": 500, "msg": "验证码生成失败"}), Outcome.CAPTCHA_FAILED, 3),
    ("404", lambda: Response(b"", 404), Outcome.PARSE_ERROR, 1),
]


@pytest.mark.parametrize("label,make,outcome,attempts", CAPTCHA_FAULTS, ids=[c[0] for c in CAPTCHA_FAULTS])
def test_captcha_call_faults(label: str, make: Any, outcome: Outcome, attempts: int) -> None:
    async def captcha(request: Request) -> Response:
        response: Response = make()
        return response

    app = _wrapped(captcha)
    with serving(app) as url:
        answer = _ask(url, "500230198806143136", "刘洋")
    _assert_failure(answer, outcome, attempts)


def test_redirects_are_followed() -> None:
    async def old_captcha(request: Request) -> Response:
        return RedirectResponse(CAPTCHA_PATH, status_code=302)

    async def old_query(request: Request) -> Response:
        return RedirectResponse(f"{QUERY_PATH}?{request.url.query}", status_code=301)

    app = Starlette(
        routes=[
            Route("/old/code", old_captcha),
            Route("/old/query", old_query),
            Mount("/", app=create_app(CASSETTES)),
        ]
    )
    with serving(app) as url:
        answer = _ask(
            url, "500230198806143136", "刘洋", paths=PlatformPaths(captcha="/old/code", query="/old/query")
        )
    assert answer.records is not None and answer.records[0].cert_number == "T500230198806143136"


def test_headers_user_agent_and_tls() -> None:
    seen: dict[str, str] = {}

    async def captcha(request: Request) -> Response:
        seen.update(request.headers)
        return JSONResponse({"code": 200, "msg": "ok"})

    app = _wrapped(captcha)
    with serving(app) as url, _client(url, contact="mailto:ops@county.example") as client:
        client.query(id_number="500230198806143136", name="刘洋", family=Family.SPECIAL)
        assert client.session.verify is True
        assert client.timeout == (2, 5)
    assert (
        seen["user-agent"]
        == "Anpei/0.1.0 (county safety-training certificate checks; +mailto:ops@county.example)"
    )
    assert user_agent().startswith("Anpei/")


def test_timeouts_default_from_settings() -> None:
    settings = Settings(_env_file=None, ANPEI_CONNECT_TIMEOUT=4, ANPEI_READ_TIMEOUT=9, ANPEI_MIN_INTERVAL=2.5)  # type: ignore[call-arg]
    with PlatformClient("http://127.0.0.1:9", solver=NoSolver(), settings=settings) as client:
        assert client.timeout == (4, 9) and client.min_interval_s == 2.5 and client.max_attempts == 3


# --- pacing and backoff ----------------------------------------------------------------------


def test_pacing_spaces_queries(double: tuple[str, DoubleState]) -> None:
    url, _ = double
    n = 5
    with _client(url, min_interval_s=0.2) as client:
        start = time.monotonic()
        for _ in range(n):
            assert client.query(id_number="500230198806143136", name="刘洋", family=Family.SPECIAL).records
        elapsed = time.monotonic() - start
    assert elapsed >= (n - 1) * 0.2


def test_backoff_and_pacing_with_a_fake_clock(double: tuple[str, DoubleState]) -> None:
    url, _ = double
    now = [100.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    with _client(url, backoff_base_s=0.5, min_interval_s=3, clock=lambda: now[0], sleep=sleep) as client:
        answer = client.query(id_number="500224198203123059", name="蒋涛", family=Family.SPECIAL)  # 500 ×3
    assert answer.failure is Outcome.PLATFORM_ERROR
    # attempt 2: backoff 0.5 s, then pacing tops up to 3 s; attempt 3: backoff 1 s, pacing tops up to 3 s.
    assert sleeps == [0.5, 2.5, 1.0, 2.0]


# --- record mode -----------------------------------------------------------------------------

RECORDED = [
    ("500230198806143136", "刘洋", Family.SPECIAL),
    ("500233198603217536", "吴磊", Family.SPECIAL),  # 502, 502, 200 → a sequence
    ("500102197604125305", "赵敏", Family.SPECIAL),
    ("500243197108052111", "孙海", Family.SAFETY),
    ("500230199001096410", "周杰", Family.SPECIAL),  # 403 page
    ("500224198506153116", "杨帆", Family.SPECIAL),  # timeout, then the record
    ("500224199204223259", "施红", Family.SPECIAL),  # 验证码 message, then the record
    ("500224198001013021", "无名", Family.SPECIAL),  # nothing on record
]


def _answers(
    url: str, people: list[tuple[str, str, Family]], **kwargs: Any
) -> tuple[list[PlatformAnswer], PlatformClient]:
    client = _client(url, read_timeout_s=0.3, **kwargs)
    with client:
        return [client.query(id_number=i, name=n, family=f) for i, n, f in people], client


def _same(a: PlatformAnswer, b: PlatformAnswer) -> None:
    assert (a.failure, a.records, a.attempts) == (b.failure, b.records, b.attempts)


def test_record_mode_round_trip(tmp_path: Path) -> None:
    with running_double(CASSETTES) as url:
        original, _ = _answers(url, RECORDED, record_dir=tmp_path)
    files = sorted(tmp_path.glob("*.json"))
    assert len(files) == len(RECORDED)
    assert all(a.evidence and Path(a.evidence).exists() for a in original)
    sequence = json.loads(files[1].read_text(encoding="utf-8"))["interactions"][0]["response"]["sequence"]
    assert [item["status"] for item in sequence] == [502, 502, 200]
    with running_double(tmp_path) as url:
        replayed, _ = _answers(url, RECORDED)
    for a, b in zip(original, replayed, strict=True):
        _same(a, b)


def test_record_mode_scrubbed(tmp_path: Path) -> None:
    with running_double(CASSETTES) as url:
        original, client = _answers(url, RECORDED, record_dir=tmp_path, scrub=True)
    text = "".join(p.read_text(encoding="utf-8") for p in tmp_path.glob("*.json"))
    for idcard, name, _ in RECORDED:
        assert idcard not in text and idcard[:17] not in text
        assert name not in text
    scrubber = client.scrubber
    assert scrubber is not None
    assert all(
        is_valid_id(fake, as_of=__import__("datetime").date(2024, 1, 1)) for fake in scrubber.ids.values()
    )
    people = [(scrubber.ids[i], scrubber.names[n], f) for i, n, f in RECORDED]
    with running_double(tmp_path) as url:
        replayed, _ = _answers(url, people)
    for (idcard, name, _), a, b in zip(people, original, replayed, strict=True):
        assert (a.failure, a.attempts) == (b.failure, b.attempts)
        if a.records is not None:
            assert b.records is not None and len(a.records) == len(b.records)
            for ra, rb in zip(a.records, b.records, strict=True):
                assert rb.name == name and rb.valid_until == ra.valid_until and rb.item == ra.item
                assert rb.cert_number in (None, idcard, "T" + idcard)


def test_scrubber_is_consistent_and_keeps_sex() -> None:
    scrub = Scrubber()
    a, b = scrub.id("500230198806143136"), scrub.id("500102197604125305")
    assert scrub.id("500230198806143136") == a and a != b
    assert int(a[16]) % 2 == 1 and int(b[16]) % 2 == 0  # 男 stays 男, 女 stays 女
    assert scrub.name("刘 洋") == scrub.name("刘洋") != scrub.name("王芳")
    assert not any(ch.isdigit() for ch in scrub.name("刘洋"))
    assert scrub.text("证号 T500230198806143136，刘洋") == f"证号 T{a}，{scrub.names['刘洋']}"


def test_record_mode_keeps_text_bodies(tmp_path: Path) -> None:
    with running_double(CASSETTES) as url:
        _ask(url, "500230199001096410", "周杰", record_dir=tmp_path)
    (path,) = tmp_path.glob("*.json")
    response = json.loads(path.read_text(encoding="utf-8"))["interactions"][0]["response"]
    assert response["status"] == 403 and response["content_type"].startswith("text/html")
    assert response["text"].startswith("<!DOCTYPE html>")


def test_requests_never_disable_tls_verification() -> None:
    source = (Path(__file__).resolve().parents[2] / "verifier" / "client.py").read_text(encoding="utf-8")
    assert "verify=False" not in source and "verify = False" not in source
    assert isinstance(requests.Session().verify, bool)


# --- the whole-call deadline (§3) -----------------------------------------------------------------


@contextlib.contextmanager
def _trickling_server(*, headers_too: bool) -> Iterator[str]:
    """A server on 127.0.0.1 that sends one byte every 0.05 s and never finishes (issue 12.5)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(0.2)
            with contextlib.suppress(OSError):
                conn.recv(65536)
                head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
                body = head if headers_too else b""
                if not headers_too:
                    conn.sendall(head)
                stream = body + b"{" + b" " * 100000
                for byte in stream:
                    if stop.is_set():
                        return
                    conn.sendall(bytes([byte]))
                    time.sleep(0.05)

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(2)
        listener.close()


@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "headers"])
def test_a_trickling_server_cannot_hold_a_call_beyond_its_deadline(headers_too: bool) -> None:
    """A byte every 0.05 s never trips the 5 s read timeout; the 0.4 s whole-call deadline does."""
    with _trickling_server(headers_too=headers_too) as url:
        started = time.monotonic()
        answer = _ask(url, "500224198405143090", "韩冰", call_deadline_s=0.4)
        elapsed = time.monotonic() - started
    assert answer.failure is Outcome.PLATFORM_ERROR and answer.attempts == 3
    assert "整次调用超过 0.4 秒" in answer.detail
    assert elapsed < 3  # three attempts of about 0.4 s, never the 100,000 bytes' 80 minutes


def test_the_deadline_comes_from_the_settings() -> None:
    settings = Settings(_env_file=None, ANPEI_CALL_DEADLINE=7)  # type: ignore[call-arg]
    with PlatformClient("http://127.0.0.1:9", solver=FixedSolver("1"), settings=settings) as client:
        assert client.call_deadline_s == 7
    assert SETTINGS.call_deadline_s == 30


# --- the per-call cost (issue 16 item 4) ---------------------------------------------------------


def test_the_environment_is_read_once_per_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """Proxy variables and the CA bundle are taken when the client is made, not re-read on every
    call (requests walks all of os.environ and looks for ~/.netrc twice per person otherwise)."""
    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.county.example:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/county-ca.pem")
    with running_double(CASSETTES) as url, _client(url) as client:
        assert client.session.proxies.get("https") == "http://proxy.county.example:3128"
        assert client._verify == "/etc/ssl/county-ca.pem"  # still verified, against the named bundle
        # set after the client was made: a client re-reading the environment would now go through a
        # proxy that does not exist and get no answer
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
        answer = client.query(id_number="500230198806143136", name="刘洋", family=Family.SPECIAL)
    assert answer.failure is None and answer.records is not None


def test_the_deadline_watchdog_is_not_woken_for_every_call() -> None:
    """Arming a deadline later than the one the watchdog already waits for leaves it asleep."""
    from verifier.client import _WATCHDOG

    with running_double(CASSETTES) as url, _client(url) as client:
        client.query(id_number="500230198806143136", name="刘洋", family=Family.SPECIAL)
        before = _WATCHDOG.notifies
        for _ in range(10):  # 20 calls: a captcha and a query each
            client.query(id_number="500230198806143136", name="刘洋", family=Family.SPECIAL)
        assert _WATCHDOG.notifies - before <= 2


def test_a_shorter_deadline_still_wakes_a_watchdog_waiting_for_a_longer_one() -> None:
    from verifier.client import _WATCHDOG, _InFlight

    long_call = _InFlight()
    _WATCHDOG.arm(long_call, 600)  # the watchdog now sleeps for ten minutes
    try:
        with _trickling_server(headers_too=False) as url:
            started = time.monotonic()
            answer = _ask(url, "500224198405143090", "韩冰", call_deadline_s=0.4)
            elapsed = time.monotonic() - started
    finally:
        _WATCHDOG.disarm(long_call)
    assert answer.failure is Outcome.PLATFORM_ERROR and "整次调用超过 0.4 秒" in answer.detail
    assert elapsed < 3 and not long_call.expired
