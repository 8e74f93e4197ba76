"""Helpers for the job, service and CLI tests: synthetic people, rosters, cassettes, a counting double.

Every person here is made up; IDs carry valid GB 11643 check characters (`verifier.ids.make_id`).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import socket
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from anpei.settings import Settings
from tests.kits.certkit import GIVEN, HEADERS, SURNAMES, Person, certificate_record, roster_workbook
from tests.kits.certkit import roster_rows as roster_rows  # re-exported for the tests
from verifier.captcha import FixedSolver
from verifier.client import PlatformClient
from verifier.double import QUERY_PATH, create_app, serving
from verifier.ids import make_id

AS_OF = dt.date(2023, 6, 30)
JOB_CASSETTES = Path(__file__).resolve().parents[1] / "verifier" / "job_cassettes"
SETTINGS = Settings(_env_file=None)  # type: ignore[call-arg]


# The people of job_cassettes/people.json (as of 2023-06-30).
VALID = Person("王磊", make_id("500230", dt.date(1985, 3, 12), 11))
EXPIRED = Person("李娜", make_id("500230", dt.date(1990, 1, 9), 22))
NAME_MISMATCH = Person("陈静", make_id("500231", dt.date(1979, 7, 1), 42))
NOT_FOUND = Person("赵强", make_id("500232", dt.date(1988, 11, 30), 51))
BLOCK_THEN_OK = Person("孙丽", make_id("500233", dt.date(1992, 2, 29), 64))
ERROR_ALWAYS = Person("钱军", make_id("500234", dt.date(1975, 5, 5), 73))
RATE_THEN_OK = Person("周敏", make_id("500235", dt.date(1983, 8, 18), 86))


def synthetic_people(n: int, *, region: str = "500240") -> list[Person]:
    """`n` distinct made-up people (distinct IDs; names may repeat, as in real rosters)."""
    people = []
    for i in range(n):
        birth = dt.date(1960 + (i // 1000) % 40, 1 + i % 12, 1 + (i // 12) % 28)
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i // len(SURNAMES)) % len(GIVEN)]
        people.append(Person(name, make_id(region, birth, i % 1000)))
    return people


def valid_record(person: Person, **overrides: Any) -> dict[str, Any]:
    """A current low-voltage electrician certificate, valid on AS_OF, reviewed on time."""
    return certificate_record(person, valid_end="2027-02-28", should_review="2024-02-28", **overrides)


def ok(*records: dict[str, Any]) -> dict[str, Any]:
    return {"status": 200, "json": {"code": 200, "msg": "查询成功", "data": list(records)}}


def interaction(person: Person, response: dict[str, Any], *, with_name: bool = True) -> dict[str, Any]:
    match: dict[str, Any] = {"idcardNum": person.id_number, "family": "special"}
    if with_name:
        match["name"] = person.name
    return {"match": match, "response": response}


def write_cassette(directory: Path, name: str, interactions: Sequence[dict[str, Any]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    data = {"format": "anpei-platform-cassette/1", "note": "synthetic", "interactions": list(interactions)}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def valid_cassettes(directory: Path, people: Sequence[Person]) -> Path:
    """One cassette answering every person with a valid certificate."""
    write_cassette(directory, "people.json", [interaction(p, ok(valid_record(p))) for p in people])
    return directory


def write_xlsx(
    path: Path, rows: Sequence[Sequence[Any]], *, headers: Sequence[str] = HEADERS, title: str | None = None
) -> Path:
    roster_workbook(rows, headers=headers, title=title).save(path)
    return path


def write_csv(path: Path, rows: Sequence[Sequence[Any]], *, headers: Sequence[str] = HEADERS) -> Path:
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


@dataclass
class QueryLog:
    """ID numbers of the query requests the double received, in order."""

    ids: list[str] = field(default_factory=list)

    def per_person(self) -> Counter[str]:
        return Counter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)


@contextmanager
def counting_double(cassettes: Path, *, latency_ms: float = 0) -> Iterator[tuple[str, QueryLog]]:
    """The real double on a free port, with a log of every query request it received."""
    app = create_app(cassettes, captcha_answer="8888", latency_ms=latency_ms)
    log = QueryLog()

    async def counting(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == QUERY_PATH:
            params = parse_qs(scope.get("query_string", b"").decode())
            log.ids.append(params.get("idcardNum", [""])[0])
        await app(scope, receive, send)

    with serving(counting) as url:
        yield url, log


def make_client(url: str, **kwargs: Any) -> PlatformClient:
    options: dict[str, Any] = {
        "solver": FixedSolver("8888"),
        "settings": SETTINGS,
        "min_interval_s": 0,
        "backoff_base_s": 0,
        "read_timeout_s": 5,
    }
    options.update(kwargs)
    return PlatformClient(url, **options)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
