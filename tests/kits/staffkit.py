"""Helpers for the staff tests: synthetic people and rosters, cassettes, a verifier service on a free port.

Every person here is made up; IDs carry valid GB 11643 check characters (`verifier.ids.make_id`).
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from anpei.settings import Settings
from tests.kits.certkit import GIVEN, HEADERS, SURNAMES, Person, certificate_record, roster_workbook
from tests.kits.certkit import roster_rows as roster_rows  # re-exported for the tests
from verifier.double import running_double
from verifier.ids import make_id

TODAY = dt.date.today()  # the service checks as of today: certificates are dated around it
CAPTCHA = "8888"


def people(n: int, *, region: str = "500230") -> list[Person]:
    """`n` distinct made-up people."""
    out = []
    for i in range(n):
        birth = dt.date(1965, 1, 1) + dt.timedelta(days=(i * 37) % 12000)
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 3) % len(GIVEN)]
        out.append(Person(name, make_id(region, birth, 100 + i % 800)))
    return out


def valid_record(person: Person, **overrides: Any) -> dict[str, Any]:
    """A current low-voltage electrician certificate, valid today, review not yet due."""
    return certificate_record(
        person,
        valid_end=(TODAY + dt.timedelta(days=3 * 365)).isoformat(),
        should_review=(TODAY + dt.timedelta(days=365)).isoformat(),
        **overrides,
    )


def write_cassettes(
    directory: Path, crowd: Sequence[Person], *, not_found: int = 1, expired: int = 1
) -> Path:
    """The last `not_found` people are not on record, the `expired` before them hold expired certificates."""
    interactions = []
    for index, person in enumerate(crowd):
        if index >= len(crowd) - not_found:
            continue
        expired_here = len(crowd) - not_found - expired <= index
        record = (
            valid_record(person, validEndDate=(TODAY - dt.timedelta(days=200)).isoformat())
            if expired_here
            else valid_record(person)
        )
        interactions.append(
            {
                "match": {"idcardNum": person.id_number, "name": person.name, "family": "special"},
                "response": {"status": 200, "json": {"code": 200, "msg": "查询成功", "data": [record]}},
            }
        )
    directory.mkdir(parents=True, exist_ok=True)
    doc = {"format": "anpei-platform-cassette/1", "note": "synthetic", "interactions": interactions}
    (directory / "people.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return directory


def csv_bytes(rows: Sequence[Sequence[Any]], *, headers: Sequence[str] = HEADERS) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(
    rows: Sequence[Sequence[Any]], *, headers: Sequence[str] = HEADERS, title: str | None = None
) -> bytes:
    buffer = io.BytesIO()
    roster_workbook(rows, headers=headers, title=title).save(buffer)
    return buffer.getvalue()


# --- a real service ------------------------------------------------------------------------------


@dataclass
class ServiceRun:
    url: str
    double_url: str
    app: FastAPI
    crowd: list[Person]
    token: str | None = None
    env: dict[str, str] = field(default_factory=dict)


class _Server(uvicorn.Server):
    async def main_loop(self) -> None:  # checks the exit flag every 10 ms (uvicorn: 100 ms)
        while not await self.on_tick(0):
            await asyncio.sleep(0.01)


@contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """An ASGI app with its lifespan (the service's worker) on a free 127.0.0.1 port, in a thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = _Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError("verifier service did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def start_service(
    tmp_path: Path,
    *,
    people_count: int = 12,
    default_captcha: str = f"fixed:{CAPTCHA}",
    token: str | None = None,
    captcha_wait_s: float = 120.0,
) -> Iterator[ServiceRun]:
    """The platform double and the verifier service (temp job store, no pacing)."""
    from verifier.service import create_app

    crowd = people(people_count)
    cassettes = write_cassettes(tmp_path / "cassettes", crowd)
    env = {"ANPEI_VERIFIER_DATABASE_URL": f"sqlite:///{tmp_path / 'verifier.db'}"}
    if token:
        env["ANPEI_VERIFIER_TOKEN"] = token
    settings = Settings(_env_file=None, **env)  # type: ignore[call-arg]
    with running_double(cassettes, captcha_answer=CAPTCHA) as double_url:
        app = create_app(
            settings,
            platform_url=double_url,
            min_interval_s=0,
            backoff_base_s=0,
            default_captcha=default_captcha,
            captcha_wait_s=captcha_wait_s,
        )
        with serve_app(app) as url:
            yield ServiceRun(url, double_url, app, crowd, token, {"ANPEI_VERIFIER_URL": url, **env})
