"""The platform test double: a Starlette app serving cassettes as the national query platform would.

`GET /prod-api/certsearch/code` hands out single-use captchas showing a fixed answer;
`GET /prod-api/certsearch/certInfo/netQuery` answers from the cassettes (`FORMAT.md`).
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from verifier.captcha import render_code_png
from verifier.cassettes import (
    CAPTCHA_PATH,
    JSON_CONTENT_TYPE,
    QUERY_PATH,
    CassetteSet,
    load_cassettes,
    resolve,
)

CAPTCHA_REJECTED = {"code": 500, "msg": "验证码错误", "data": None}
NOTHING_ON_RECORD = {"code": 200, "msg": "查询成功", "data": []}


@dataclass
class DoubleState:
    """The double's memory: issued captchas, sequence positions, counters for tests."""

    cassettes: CassetteSet
    captcha_answer: str = "8888"
    latency_s: float = 0.0
    issued: set[str] = field(default_factory=set)
    sequence_counts: dict[int, int] = field(default_factory=dict)  # interaction index → matched requests
    captchas_served: int = 0
    queries_received: int = 0
    captchas_refused: int = 0
    _image_b64: str = ""

    def image_b64(self) -> str:
        if not self._image_b64:
            self._image_b64 = base64.b64encode(render_code_png(self.captcha_answer)).decode("ascii")
        return self._image_b64


def _json(obj: Any, status: int = 200) -> Response:
    return Response(json.dumps(obj, ensure_ascii=False).encode("utf-8"), status, media_type=JSON_CONTENT_TYPE)


def create_app(
    cassettes: CassetteSet | str | Path, *, captcha_answer: str = "8888", latency_ms: float = 0
) -> Starlette:
    """The double as an ASGI app; its `DoubleState` is `app.state.double`."""
    if not isinstance(cassettes, CassetteSet):
        cassettes = load_cassettes(cassettes)
    state = DoubleState(cassettes=cassettes, captcha_answer=captcha_answer, latency_s=latency_ms / 1000)

    async def captcha(request: Request) -> Response:
        if state.latency_s:
            await asyncio.sleep(state.latency_s)
        key = str(uuid.uuid4())
        state.issued.add(key)
        state.captchas_served += 1
        return _json({"code": 200, "msg": "操作成功", "img": state.image_b64(), "uuid": key})

    async def query(request: Request) -> Response:
        if state.latency_s:
            await asyncio.sleep(state.latency_s)
        state.queries_received += 1
        params = request.query_params
        key = params.get("uuid", "")
        known = key in state.issued
        state.issued.discard(key)  # single use, whatever the answer
        if not known or params.get("code", "").strip() != state.captcha_answer:
            state.captchas_refused += 1
            return _json(CAPTCHA_REJECTED)
        index = state.cassettes.find(
            idcard_num=params.get("idcardNum", ""),
            name=params.get("name", ""),
            person_type_code=params.get("personTypeCode"),
        )
        if index is None:
            return _json(NOTHING_ON_RECORD)
        count = state.sequence_counts.get(index, 0)
        state.sequence_counts[index] = count + 1
        delay, answer = resolve(state.cassettes.interactions[index].response, count)
        if delay:
            await asyncio.sleep(delay)
        return Response(answer.body, answer.status, media_type=answer.content_type)

    app = Starlette(routes=[Route(CAPTCHA_PATH, captcha), Route(QUERY_PATH, query)])
    app.state.double = state
    return app


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP: asyncio then sets TCP_NODELAY on accepted connections (it checks the proto);
    # without it a keep-alive client stalls ~40 ms per call (delayed ACK, see environment.md).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class _Server(uvicorn.Server):
    """Looks for the exit flag every 10 ms (uvicorn: 100 ms), so tests stop their doubles quickly."""

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            await asyncio.sleep(0.01)


def _server(app: Any) -> uvicorn.Server:
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=1
    )
    return _Server(config)


def _print_line(url: str) -> None:
    sys.stdout.write(url + "\n")
    sys.stdout.flush()


def run_double(
    cassettes_dir: str | Path | CassetteSet,
    host: str = "127.0.0.1",
    port: int = 0,
    captcha_answer: str = "8888",
    latency_ms: float = 0,
    *,
    on_ready: Callable[[str], None] = _print_line,
) -> None:
    """Serve the double until interrupted; `on_ready(url)` (default: print the URL line) once it accepts."""
    app = create_app(cassettes_dir, captcha_answer=captcha_answer, latency_ms=latency_ms)
    sock = _bind(host, port)
    server = _server(app)

    async def main() -> None:
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        if server.started:
            on_ready(_url(sock))
        await serving

    try:
        asyncio.run(main())
    finally:
        sock.close()


@contextmanager
def serving(app: Any, *, host: str = "127.0.0.1", start_timeout_s: float = 10.0) -> Iterator[str]:
    """Run any ASGI app on a free port in a background thread; yields the base URL; stops on exit."""
    sock = _bind(host, 0)
    server = _server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError("测试替身服务未能启动")
        time.sleep(0.005)
    try:
        yield _url(sock)
    finally:
        server.should_exit = True
        server.force_exit = True  # do not wait for delayed answers or idle keep-alive connections
        thread.join(timeout=5)
        sock.close()


@contextmanager
def running_double(
    cassettes: str | Path | CassetteSet,
    *,
    captcha_answer: str = "8888",
    latency_ms: float = 0,
    host: str = "127.0.0.1",
) -> Iterator[str]:
    """The double in a background thread (for tests); yields its base URL, stops it on exit."""
    app = create_app(cassettes, captcha_answer=captcha_answer, latency_ms=latency_ms)
    with serving(app, host=host) as url:
        yield url
