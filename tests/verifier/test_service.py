"""The verification service over HTTP: jobs, the captcha queue, results, the token, size limits, a SIGKILL."""

from __future__ import annotations

import csv
import io
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.engine import Engine

from anpei.settings import Settings
from tests.kits.certkit import many_rows_xlsx
from tests.kits.jobkit import (
    AS_OF,
    EXPIRED,
    JOB_CASSETTES,
    NAME_MISMATCH,
    NOT_FOUND,
    VALID,
    QueryLog,
    counting_double,
    free_port,
    roster_rows,
    synthetic_people,
    valid_cassettes,
    write_xlsx,
)
from verifier.ids import mask_id
from verifier.results import FILE_COLUMNS
from verifier.service import create_app
from verifier.store import JobStore

BAD_ID = "500230198503120112"
TOKEN = "s3cret-token-for-tests-0123456789abcdef"


def _settings(tmp_path: Path, **values: Any) -> Settings:
    env = {"ANPEI_VERIFIER_DATABASE_URL": f"sqlite:///{tmp_path / 'verifier.db'}"}
    env.update(values)
    return Settings(_env_file=None, **env)  # type: ignore[call-arg]


@pytest.fixture
def double() -> Iterator[tuple[str, QueryLog]]:
    with counting_double(JOB_CASSETTES) as running:
        yield running


@pytest.fixture
def api(tmp_path: Path, double: tuple[str, QueryLog]) -> Iterator[TestClient]:
    app = create_app(
        _settings(tmp_path), platform_url=double[0], min_interval_s=0, backoff_base_s=0, captcha_wait_s=10
    )
    with TestClient(app) as client:
        yield client


def _xlsx_bytes(tmp_path: Path, rows: list[list[Any]]) -> bytes:
    return write_xlsx(tmp_path / "名单.xlsx", rows, title="2023年第二季度特种作业人员名单").read_bytes()


def _submit(
    api: TestClient, data: bytes, *, captcha: str = "fixed:8888", name: str = "名单.xlsx"
) -> dict[str, Any]:
    response = api.post(
        "/v1/jobs",
        files={"file": (name, data, "application/octet-stream")},
        data={"family": "special", "as_of": AS_OF.isoformat(), "captcha": captcha},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _wait(api: TestClient, job_id: int, *statuses: str, timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = api.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in statuses:
            return dict(job)
        assert time.monotonic() < deadline, f"job {job_id} stuck in {job['status']}"
        time.sleep(0.02)


def test_roster_upload_runs_to_results(api: TestClient, double: tuple[str, QueryLog], tmp_path: Path) -> None:
    rows = [
        *roster_rows([VALID, EXPIRED, VALID, NAME_MISMATCH]),
        ["吴刚", BAD_ID, "", ""],
        *roster_rows([NOT_FOUND]),
    ]
    created = _submit(api, _xlsx_bytes(tmp_path, rows))
    assert created["total_rows"] == 6 and created["total_persons"] == 4 and created["header_row"] == 2
    assert [p["row"] for p in created["problems"]] == [7]
    job = _wait(api, created["job_id"], "done")
    assert job["progress"] == {
        "total": 6,
        "done": 6,
        "pending": 0,
        "by_outcome": {"VALID": 2, "EXPIRED": 1, "NAME_MISMATCH": 1, "INPUT_INVALID": 1, "NOT_FOUND": 1},
    }
    assert job["platform_queries"] == 4 and len(double[1]) == 4

    body = api.get(f"/v1/jobs/{created['job_id']}/results").json()
    results = body["rows"]
    assert [r["行号"] for r in results] == [3, 4, 5, 6, 7, 8]
    assert [r["outcome"] for r in results] == [
        "VALID",
        "EXPIRED",
        "VALID",
        "NAME_MISMATCH",
        "INPUT_INVALID",
        "NOT_FOUND",
    ]
    assert results[0]["身份证号"] == mask_id(VALID.id_number) and results[0]["结论"] == "有效"
    assert VALID.id_number not in str(body)  # masked everywhere, also in 证号
    full = api.get(f"/v1/jobs/{created['job_id']}/results", params={"full_ids": "true"}).json()["rows"]
    assert full[0]["身份证号"] == VALID.id_number

    csv_response = api.get(f"/v1/jobs/{created['job_id']}/results", params={"format": "csv"})
    assert csv_response.status_code == 200 and csv_response.headers["content-type"].startswith("text/csv")
    assert "filename*=UTF-8''" in csv_response.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert tuple(table[0][: len(FILE_COLUMNS)]) == FILE_COLUMNS
    assert [r[4] for r in table[1:]] == [r["outcome"] for r in results]

    xlsx_response = api.get(f"/v1/jobs/{created['job_id']}/results", params={"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx_response.content)).active
    assert sheet is not None
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    width = len(FILE_COLUMNS)
    assert tuple(header[:width]) == FILE_COLUMNS and header[width:] == [
        "姓名",
        "身份证号",
        "操作项目",
        "证书编号",
    ]
    assert sheet.max_row == 7

    listed = api.get("/v1/jobs").json()
    assert listed[0]["id"] == created["job_id"] and "problems" not in listed[0]


def test_json_rows_and_single_verify(api: TestClient, double: tuple[str, QueryLog]) -> None:
    rows = [
        {"name": VALID.name, "id_number": VALID.id_number, "item": "低压电工作业"},
        {"name": "吴刚", "id_number": BAD_ID},
        {"name": EXPIRED.name, "id_number": EXPIRED.id_number, "cert_number": "T" + EXPIRED.id_number},
    ]
    created = api.post("/v1/jobs", json={"rows": rows, "as_of": AS_OF.isoformat(), "captcha": "fixed:8888"})
    assert created.status_code == 201, created.text
    assert [p["row"] for p in created.json()["problems"]] == [2]
    job_id = created.json()["job_id"]
    _wait(api, job_id, "done")
    results = api.get(f"/v1/jobs/{job_id}/results").json()["rows"]
    assert [(r["行号"], r["outcome"]) for r in results] == [
        (1, "VALID"),
        (2, "INPUT_INVALID"),
        (3, "EXPIRED"),
    ]
    asked = len(double[1])

    one = api.post(
        "/v1/verify",
        json={
            "name": VALID.name,
            "id_number": VALID.id_number,
            "as_of": AS_OF.isoformat(),
            "captcha": "fixed:8888",
        },
    )
    assert one.status_code == 200, one.text
    assert one.json()["result"]["outcome"] == "VALID" and one.json()["result"]["身份证号"] == mask_id(
        VALID.id_number
    )
    assert len(double[1]) == asked  # answered from the cache
    fresh = api.post(
        "/v1/verify",
        json={
            "name": NOT_FOUND.name,
            "id_number": NOT_FOUND.id_number,
            "as_of": "2023-06-30",
            "captcha": "fixed:8888",
            "full_ids": True,
        },
    )
    assert (
        fresh.json()["result"]["outcome"] == "NOT_FOUND"
        and fresh.json()["result"]["身份证号"] == NOT_FOUND.id_number
    )
    assert len(double[1]) == asked + 1
    invalid = api.post("/v1/verify", json={"name": "吴刚", "id_number": "123", "captcha": "fixed:8888"})
    assert (
        invalid.json()["result"]["outcome"] == "INPUT_INVALID"
        and "身份证号" in invalid.json()["result"]["说明"]
    )


def _answer_next(api: TestClient, job_id: int, code: str = "8888") -> None:
    deadline = time.monotonic() + 10
    while True:
        image = api.get(f"/v1/jobs/{job_id}/captcha")
        if image.status_code == 200:
            break
        assert image.status_code == 204 and time.monotonic() < deadline
        time.sleep(0.02)
    assert image.headers["content-type"] == "image/png" and image.content.startswith(b"\x89PNG")
    assert api.get(f"/v1/jobs/{job_id}").json()["status"] == "waiting_captcha"
    info = api.get(f"/v1/jobs/{job_id}/captcha", params={"format": "json"}).json()
    assert info["attempt"] == 1 and "*" in info["masked_id"]
    assert api.post(f"/v1/jobs/{job_id}/captcha", json={"code": code}).json() == {"accepted": True}


def test_captcha_queue_pause_resume_cancel(
    api: TestClient, double: tuple[str, QueryLog], tmp_path: Path
) -> None:
    data = _xlsx_bytes(tmp_path, roster_rows([VALID, EXPIRED, NOT_FOUND]))
    job_id = _submit(api, data, captcha="queue")["job_id"]
    _answer_next(api, job_id)
    deadline = time.monotonic() + 15  # the status reads waiting_captcha until the worker takes the answer
    while (job := api.get(f"/v1/jobs/{job_id}").json())["progress"]["done"] < 1:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    _wait(api, job_id, "waiting_captcha")
    assert api.get(f"/v1/jobs/{job_id}").json()["progress"]["done"] == 1

    paused = api.post(f"/v1/jobs/{job_id}/pause")
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert api.get(f"/v1/jobs/{job_id}/captcha").status_code == 204
    refused = api.post(f"/v1/jobs/{job_id}/captcha", json={"code": "8888"})
    assert refused.status_code == 409 and "验证码" in refused.json()["detail"]
    assert api.post(f"/v1/jobs/{job_id}/pause").status_code == 409

    assert api.post(f"/v1/jobs/{job_id}/resume").json()["status"] in ("queued", "running", "waiting_captcha")
    _answer_next(api, job_id)
    _answer_next(api, job_id)
    job = _wait(api, job_id, "done")
    assert job["progress"]["by_outcome"] == {"VALID": 1, "EXPIRED": 1, "NOT_FOUND": 1}
    assert len(double[1]) == 3

    other = _submit(api, data, captcha="queue")["job_id"]  # all cached now: no captcha needed
    _wait(api, other, "done")
    api.app.state.store.clear_cache()  # type: ignore[attr-defined]
    third = _submit(api, data, captcha="queue")["job_id"]
    _wait(api, third, "waiting_captcha")
    cancelled = api.post(f"/v1/jobs/{third}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["progress"]["by_outcome"] == {"NOT_CHECKED": 3}
    assert api.post(f"/v1/jobs/{third}/resume").status_code == 409
    assert len(double[1]) == 3


def test_single_verify_overtakes_a_running_batch(tmp_path: Path) -> None:
    people = synthetic_people(31)
    batch, single = people[:30], people[30]
    with counting_double(valid_cassettes(tmp_path / "c", people), latency_ms=40) as (url, log):
        app = create_app(_settings(tmp_path), platform_url=url, min_interval_s=0, backoff_base_s=0)
        with TestClient(app) as api:
            job_id = _submit(api, _xlsx_bytes(tmp_path, roster_rows(batch)))["job_id"]
            _wait(api, job_id, "running")
            started = time.monotonic()
            one = api.post(
                "/v1/verify",
                json={
                    "name": single.name,
                    "id_number": single.id_number,
                    "as_of": "2023-06-30",
                    "captcha": "fixed:8888",
                },
            )
            took = time.monotonic() - started
            assert one.status_code == 200 and one.json()["result"]["outcome"] == "VALID"
            assert (
                api.get(f"/v1/jobs/{job_id}").json()["progress"]["pending"] > 0
            )  # the batch was not finished
            assert took < 1.5
            job = _wait(api, job_id, "done", timeout=30)
    assert job["progress"]["by_outcome"] == {"VALID": 30}
    assert len(log) == 31 and set(log.per_person().values()) == {1}


def test_token_required_on_every_path_but_healthz(tmp_path: Path, double: tuple[str, QueryLog]) -> None:
    app = create_app(
        _settings(tmp_path, ANPEI_VERIFIER_TOKEN=TOKEN), platform_url=double[0], min_interval_s=0
    )
    paths = [
        (m, r.path.replace("{job_id}", "1")) for r in app.routes if isinstance(r, APIRoute) for m in r.methods
    ]
    paths += [("GET", "/docs"), ("GET", "/openapi.json"), ("GET", "/nowhere")]
    assert len(paths) >= 12
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        for method, path in paths:
            if path == "/healthz":
                continue
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
                response = client.request(method, path, headers=headers)
                assert response.status_code == 401, (method, path, headers)
                assert "令牌" in response.json()["detail"]
        good = {"Authorization": f"Bearer {TOKEN}"}
        assert client.get("/docs", headers=good).status_code == 200
        assert client.get("/v1/jobs", headers=good).json() == []
        missing = client.get("/v1/jobs/99", headers=good)
        assert missing.status_code == 404 and missing.json()["detail"] == "任务 99 不存在"


def test_upload_limit_and_error_messages(tmp_path: Path, double: tuple[str, QueryLog]) -> None:
    app = create_app(_settings(tmp_path, ANPEI_MAX_UPLOAD_MB="1"), platform_url=double[0], min_interval_s=0)
    big = b"x" * (1024 * 1024 + 10)
    with TestClient(app) as client:
        response = client.post("/v1/jobs", files={"file": ("big.csv", big, "text/csv")})
        assert response.status_code == 413 and "1 MB" in response.json()["detail"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            for _ in range(20):
                yield b"y" * (64 * 1024)

        chunked = client.post("/v1/verify", content=chunks(), headers={"Content-Type": "application/json"})
        assert chunked.status_code == 413 and "上限" in chunked.json()["detail"]

        no_name = client.post("/v1/jobs", files={"file": ("r.csv", "编号,电话\n1,2\n".encode(), "text/csv")})
        assert no_name.status_code == 422 and "姓名" in no_name.json()["detail"]
        bad_family = client.post("/v1/jobs", files={"file": ("r.csv", b"a")}, data={"family": "x"})
        assert bad_family.status_code == 422 and "证书类型" in bad_family.json()["detail"]
        bad_captcha = client.post("/v1/jobs", json={"rows": [{"name": "王磊"}], "captcha": "manual"})
        assert bad_captcha.status_code == 422 and "验证码方式" in bad_captcha.json()["detail"]
        invalid = client.post("/v1/verify", json={"id_number": VALID.id_number})
        assert invalid.status_code == 422 and invalid.json()["detail"].startswith("请求参数有误")
        wrong_type = client.post("/v1/jobs", content=b"x", headers={"Content-Type": "text/plain"})
        assert wrong_type.status_code == 415 and "multipart" in wrong_type.json()["detail"]
        assert client.get("/healthz").json()["worker"] is True


def test_logs_carry_no_personal_data(
    api: TestClient, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    created = _submit(api, _xlsx_bytes(tmp_path, roster_rows([VALID, EXPIRED])))
    _wait(api, created["job_id"], "done")
    for person in (VALID, EXPIRED):
        assert person.id_number not in caplog.text and person.name not in caplog.text
    assert f"job {created['job_id']}" in caplog.text


# --- SIGKILL in the middle of a batch -----------------------------------------------------------


def _start_service(port: int, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    log = open(log_path, "ab")  # noqa: SIM115 - the child keeps it
    proc = subprocess.Popen(
        [sys.executable, "-m", "anpei_cli", "verifier", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except requests.ConnectionError:
            pass
        assert proc.poll() is None, log_path.read_text(errors="replace")
        assert time.monotonic() < deadline, "service did not start"
        time.sleep(0.1)


@pytest.mark.slow
def test_sigkill_mid_batch_loses_no_row_and_asks_no_person_twice(
    tmp_path: Path, db_url_engine: tuple[str, Engine]
) -> None:
    url, engine = db_url_engine
    people = synthetic_people(50)
    rows = (
        roster_rows(people)
        + roster_rows(people[:8])
        + [["吴刚", BAD_ID, "", ""], ["", people[9].id_number, "", ""]]
    )
    cassettes = valid_cassettes(tmp_path / "c", people)
    port = free_port()
    log_path = tmp_path / "service.log"
    # each of a person's two platform calls (captcha, query) takes 30 ms: the kill lands mid-exchange
    with counting_double(cassettes, latency_ms=30) as (platform, log):
        env = {
            **os.environ,
            "ANPEI_VERIFIER_DATABASE_URL": url,
            "ANPEI_PLATFORM_URL": platform,
            "ANPEI_MIN_INTERVAL": "0",
            "ANPEI_VERIFIER_TOKEN": "",
            "ANPEI_DEMO": "1",  # tokenless only in demo mode
        }
        env.pop("ANPEI_VERIFIER_TOKEN")
        base = f"http://127.0.0.1:{port}"
        proc = _start_service(port, env, log_path)
        try:
            data = write_xlsx(tmp_path / "名单.xlsx", rows).read_bytes()
            created = requests.post(
                f"{base}/v1/jobs",
                files={"file": ("名单.xlsx", data)},
                data={"as_of": AS_OF.isoformat(), "captcha": "fixed:8888"},
                timeout=10,
            ).json()
            job_id = created["job_id"]
            assert created["total_rows"] == 60 and created["total_persons"] == 50
            deadline = time.monotonic() + 30
            while requests.get(f"{base}/v1/jobs/{job_id}", timeout=5).json()["progress"]["done"] < 20:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            time.sleep(0.04)  # somewhere inside the next person's exchange (its query)
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()

        store = JobStore(engine)
        before = {s.seq: (s.decision, s.answered_at) for s in store.iter_rows(job_id) if s.decision}
        asked_before = len(log)
        job = store.get_job(job_id)
        assert job is not None and job.status.value == "running"
        assert 20 <= len(before) < 60

        proc = _start_service(port, env, log_path)  # resumes the job by itself
        try:
            deadline = time.monotonic() + 60
            while (status := requests.get(f"{base}/v1/jobs/{job_id}", timeout=5).json())["status"] != "done":
                assert time.monotonic() < deadline, status
                time.sleep(0.1)
            results = requests.get(f"{base}/v1/jobs/{job_id}/results", timeout=10).json()["rows"]
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(15)

    # every row answered exactly once: all 60 present once, nothing stored before the kill rewritten
    assert [r["行号"] for r in results] == list(range(2, 62))
    assert [r["outcome"] for r in results] == ["VALID"] * 58 + ["INPUT_INVALID"] * 2
    after = {s.seq: (s.decision, s.answered_at) for s in store.iter_rows(job_id)}
    assert all(after[seq] == value for seq, value in before.items())
    # no person asked twice, except at most the one in flight at the kill
    counts = log.per_person()
    assert set(counts) == {p.id_number for p in people}
    repeats = [pid for pid, n in counts.items() if n > 1]
    print(
        f"\nSIGKILL: {len(before)} rows stored before the kill, {asked_before} queries; {len(repeats)} person asked twice"
    )
    assert len(repeats) <= 1 and all(counts[pid] == 2 for pid in repeats)
    assert len(log) - asked_before <= 50 - len({pid for pid in log.ids[:asked_before]}) + 1
    final = store.get_job(job_id)
    assert final is not None and final.queries == 50  # one stored answer per person
    # the service log names no person
    text = log_path.read_text(errors="replace")
    assert all(p.id_number not in text and p.name not in text for p in people[:20])
    assert "Uvicorn running" in text or "Application startup complete" in text


def test_serve_refuses_open_bind_without_token(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from anpei.settings import get_settings
    from anpei_cli.cli import app

    monkeypatch.delenv("ANPEI_VERIFIER_TOKEN", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["verifier", "serve", "--host", "0.0.0.0", "--port", "1"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "ANPEI_VERIFIER_TOKEN" in result.output


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.168.1.5", False),
        ("example", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    from verifier.service import is_loopback

    assert is_loopback(host) is loopback


# --- issue 12 and issue 11.13 ---------------------------------------------------------------------


def test_the_service_accepts_its_own_family_codes(api: TestClient) -> None:
    """Issue 12.4: `special` / `safety` in JSON rows and /v1/verify were INPUT_INVALID."""
    rows = [
        {"name": VALID.name, "id_number": VALID.id_number, "family": "special", "item": "低压电工作业"},
        {
            "name": NOT_FOUND.name,
            "id_number": NOT_FOUND.id_number,
            "family": "safety",
            "person_type": "主要负责人",
            "appointment_date": "2023-05-01",
        },
    ]
    created = api.post("/v1/jobs", json={"rows": rows, "as_of": AS_OF.isoformat(), "captcha": "fixed:8888"})
    assert created.status_code == 201, created.text
    assert created.json()["problems"] == []
    _wait(api, created.json()["job_id"], "done")
    results = api.get(f"/v1/jobs/{created.json()['job_id']}/results").json()["rows"]
    assert results[0]["outcome"] == "VALID" and results[0]["证书类型"] == "特种作业操作证"
    assert (
        results[1]["证书类型"] == "安全生产知识和管理能力考核合格证"
        and results[1]["outcome"] != "INPUT_INVALID"
    )
    one = api.post(
        "/v1/verify",
        json={
            "name": VALID.name,
            "id_number": VALID.id_number,
            "family": "special",
            "as_of": AS_OF.isoformat(),
            "captcha": "fixed:8888",
        },
    )
    assert one.status_code == 200 and one.json()["result"]["outcome"] == "VALID", one.text


def test_oversized_rosters_are_refused_at_once(api: TestClient) -> None:
    """Issue 12.6: the service took any roster under 20 MB, however many rows it unpacked to."""
    bomb = many_rows_xlsx(200_000)
    started = time.monotonic()
    response = api.post(
        "/v1/jobs",
        files={"file": ("名单.xlsx", bomb, "application/octet-stream")},
        data={"captcha": "fixed:8888"},
    )
    assert response.status_code == 413 and "60,000" in response.json()["detail"], response.text
    assert time.monotonic() - started < 10
    many = [{"name": "张伟", "id_number": VALID.id_number}] * 60_001
    response = api.post("/v1/jobs", json={"rows": many, "captcha": "fixed:8888"})
    assert response.status_code == 413 and "60,000" in response.json()["detail"]
    assert api.get("/v1/jobs").json() == []  # nothing was stored


@pytest.mark.parametrize(
    "path",
    ["/v1/jobs/99999999999999999999", "/v1/jobs/99999999999999999999/results", "/v1/jobs/0", "/v1/jobs/-1"],
)
def test_job_ids_beyond_any_stored_one_are_404(api: TestClient, path: str) -> None:
    """Issue 12.8 / 11.13: a job id of 10**20 answered 500."""
    response = api.get(path)
    assert response.status_code == 404 and "不存在" in response.json()["detail"]
    assert api.post("/v1/jobs/99999999999999999999/pause").status_code == 404


def test_download_name_quotes_slashes(api: TestClient) -> None:
    """Issue 11.13: `filename*` must percent-encode `/` (a client could read it as a path)."""
    rows = [{"name": "吴刚", "id_number": BAD_ID}]
    created = api.post(
        "/v1/jobs", json={"rows": rows, "captcha": "fixed:8888", "filename": "../乡/镇名单.xlsx"}
    )
    job_id = created.json()["job_id"]
    _wait(api, job_id, "done")
    disposition = api.get(f"/v1/jobs/{job_id}/results", params={"format": "csv"}).headers[
        "content-disposition"
    ]
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert "/" not in encoded and "%2F" in encoded


def test_nul_bytes_are_refused_or_marked_never_a_500(db_url_engine: tuple[str, Any], tmp_path: Path) -> None:
    """Issue 11.13: NUL bytes in names answered 500 on PostgreSQL."""
    app = create_app(_settings(tmp_path), store=JobStore(db_url_engine[1]), start_worker=False)
    app.state.store.create_tables()
    with TestClient(app) as client:
        response = client.post(
            "/v1/jobs", json={"rows": [{"name": "张\x00伟", "id_number": VALID.id_number}]}
        )
        assert response.status_code == 422 and "控制字符" in response.json()["detail"], response.text
        one = client.post("/v1/verify", json={"name": "张\x00伟", "id_number": VALID.id_number, "wait_s": 0})
        assert one.status_code == 422
        data = f"姓名,身份证号\n张\x00伟,{VALID.id_number}\n".encode()
        upload = client.post(
            "/v1/jobs", files={"file": ("名\x00单.csv", data, "text/csv")}, data={"captcha": "fixed:8888"}
        )
        assert upload.status_code == 201, upload.text
        assert upload.json()["problems"][0]["message"].startswith("姓名中含有不可见的控制字符")


def test_the_api_workbook_masks_every_id_column(api: TestClient) -> None:
    """Issue 12.2 through the API: malformed IDs in the roster's own column leaked in full."""
    malformed = "500230-19860819-6114"
    wide = "".join(chr(ord(ch) + 0xFEE0) for ch in VALID.id_number)  # full-width digits
    data = f"姓名,身份证号码,备注\n吴刚,{malformed},x\n{VALID.name},{wide},\n".encode()
    created = _submit(api, data, name="r.csv")
    _wait(api, created["job_id"], "done", "stopped")
    xlsx = api.get(f"/v1/jobs/{created['job_id']}/results", params={"format": "xlsx"}).content
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet is not None
    text = "".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)
    assert "19860819" not in text and VALID.id_number[6:14] not in text and wide[6:14] not in text
