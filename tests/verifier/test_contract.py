"""The typed results contract (`GET /v1/jobs/{id}/records`, `verifier.contract`): the fields a program
reads, ISO dates, timezone-aware UTC times, the roster's normalised fields, and every outcome kept as
its own code (a fault is never "not found")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.kits.jobkit import (
    AS_OF,
    ERROR_ALWAYS,
    EXPIRED,
    JOB_CASSETTES,
    NOT_FOUND,
    VALID,
    QueryLog,
    counting_double,
    roster_rows,
)
from tests.verifier.test_service import _settings, _submit, _wait, _xlsx_bytes
from verifier.contract import JobResults, ResultRecord, result_record
from verifier.roster import read_records
from verifier.service import create_app
from verifier.types import Decision, Outcome


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    running: tuple[str, QueryLog]
    with counting_double(JOB_CASSETTES) as running:
        app = create_app(
            _settings(tmp_path),
            platform_url=running[0],
            min_interval_s=0,
            backoff_base_s=0,
            captcha_wait_s=10,
        )
        with TestClient(app) as client:
            yield client


RECORD_FIELDS = {
    "row_number",
    "name",
    "id_number",
    "id_lost_digits",
    "family",
    "family_text",
    "outcome",
    "is_verdict",
    "problem",
    "warnings",
    "explanation",
    "certificate",
    "checked_at",
    "roster",
}


def test_the_schema_names_its_fields_in_english() -> None:
    schema = JobResults.model_json_schema()
    assert set(schema["properties"]) == {
        "contract",
        "job_id",
        "status",
        "created_at",
        "finished_at",
        "as_of",
        "filename",
        "full_ids",
        "records",
    }
    record = schema["$defs"]["ResultRecord"]
    assert set(record["properties"]) == RECORD_FIELDS
    assert record["properties"]["outcome"] == {"$ref": "#/$defs/Outcome"}
    assert set(schema["$defs"]["Outcome"]["enum"]) == {o.value for o in Outcome}
    assert set(schema["$defs"]["RosterFields"]["properties"]) == {
        "cert_number",
        "category",
        "item",
        "person_type",
        "appointment_date",
        "issue_date",
        "enterprise",
        "uscc",
    }
    # times must carry their zone: a naive time is refused, not guessed
    with pytest.raises(ValueError, match="timezone"):
        JobResults.model_validate(
            {
                "job_id": 1,
                "status": "done",
                "created_at": "2026-12-05T10:00:00",
                "finished_at": None,
                "as_of": "2026-12-05",
                "filename": "x",
                "full_ids": False,
                "records": [],
            }
        )


def _job(api: TestClient, tmp_path: Any, rows: list[list[Any]]) -> dict[str, Any]:
    created = _submit(api, _xlsx_bytes(tmp_path, rows))
    _wait(api, created["job_id"], "done", "stopped")
    return dict(api.get(f"/v1/jobs/{created['job_id']}/records", params={"full_ids": True}).json())


def test_records_of_a_job_are_typed_iso_and_utc(api: TestClient, tmp_path: Any) -> None:
    rows = [
        [
            *roster_rows([VALID])[0][:2],
            "低压电工作业",
            "",
            "三合化工有限公司",
            "91500230ma0000001x",
            "2023/1/5",
        ],
        [*roster_rows([EXPIRED])[0][:2], "", "", "", "", ""],
        ["吴刚", "500230198503120112", "", "", "", "", ""],
        [*roster_rows([NOT_FOUND])[0][:2], "", "", "", "", ""],
    ]
    headers = ["姓名", "身份证号", "操作项目", "证书编号", "单位名称", "统一社会信用代码", "任职日期"]
    from tests.kits.jobkit import write_xlsx

    data = write_xlsx(tmp_path / "名单.xlsx", rows, headers=headers).read_bytes()
    created = api.post(
        "/v1/jobs",
        files={"file": ("名单.xlsx", data, "application/octet-stream")},
        data={"family": "special", "as_of": AS_OF.isoformat(), "captcha": "fixed:8888"},
    ).json()
    _wait(api, created["job_id"], "done")
    before = dt.datetime.now(dt.UTC)
    raw = api.get(f"/v1/jobs/{created['job_id']}/records", params={"full_ids": True}).json()
    results = JobResults.model_validate(raw)
    assert results.as_of == AS_OF and raw["as_of"] == AS_OF.isoformat()
    assert raw["created_at"].endswith("Z") and results.created_at.utcoffset() == dt.timedelta(0)
    assert results.created_at <= before
    by_name = {r.name: r for r in results.records}
    valid = by_name[VALID.name]
    assert (valid.outcome, valid.family.value, valid.is_verdict) == (Outcome.VALID, "special", True)
    assert valid.id_number == VALID.id_number
    assert valid.checked_at is not None and valid.checked_at.utcoffset() == dt.timedelta(0)
    assert before - dt.timedelta(minutes=5) < valid.checked_at <= before
    assert valid.certificate is not None and isinstance(valid.certificate.valid_until, dt.date)
    assert valid.roster.item == "低压电工作业" and valid.roster.enterprise == "三合化工有限公司"
    assert valid.roster.appointment_date == dt.date(2023, 1, 5)
    assert valid.roster.uscc is not None and valid.roster.uscc.upper() == "91500230MA0000001X"
    assert by_name[EXPIRED.name].outcome is Outcome.EXPIRED
    assert by_name[NOT_FOUND.name].outcome is Outcome.NOT_FOUND
    bad = by_name["吴刚"]
    assert (bad.outcome, bad.is_verdict) == (Outcome.INPUT_INVALID, False)
    # masked unless asked: the ID and any ID inside the explanation
    masked = JobResults.model_validate(api.get(f"/v1/jobs/{created['job_id']}/records").json())
    assert not masked.full_ids
    for record in masked.records:
        assert record.id_number[6:-4].strip("*") == "" and VALID.id_number not in record.explanation


def test_a_platform_fault_stays_a_fault(api: TestClient, tmp_path: Any) -> None:
    raw = _job(api, tmp_path, [*roster_rows([ERROR_ALWAYS]), *roster_rows([VALID])])
    records = [ResultRecord.model_validate(r) for r in raw["records"]]
    fault = next(r for r in records if r.name == ERROR_ALWAYS.name)
    assert fault.outcome is Outcome.PLATFORM_ERROR and not fault.is_verdict
    assert fault.outcome is not Outcome.NOT_FOUND


def test_a_missing_job_is_404_in_chinese(api: TestClient) -> None:
    response = api.get("/v1/jobs/999/records")
    assert response.status_code == 404 and "不存在" in response.json()["detail"]


@pytest.mark.parametrize("outcome", list(Outcome))
def test_every_outcome_keeps_its_code(outcome: Outcome) -> None:
    records = [{"name": "王磊", "id_number": VALID.id_number}]
    (row,) = read_records(records, default_family=None, as_of=AS_OF).rows
    at = dt.datetime(2026, 12, 5, 10, 0, 0)  # naive UTC, as the job store keeps it
    record = result_record(row, Decision(outcome), checked_at=at, full_ids=True)
    back = ResultRecord.model_validate_json(record.model_dump_json())
    assert back.outcome is outcome and back.is_verdict is outcome.is_verdict
    if outcome is not Outcome.NOT_FOUND:
        assert back.outcome is not Outcome.NOT_FOUND
    if outcome is Outcome.NOT_CHECKED:
        assert back.checked_at is None
    else:
        assert back.checked_at == at.replace(tzinfo=dt.UTC)
        assert record.model_dump(mode="json")["checked_at"].endswith("Z")


def test_json_rows_are_read_without_a_file_in_between() -> None:
    roster = read_records(
        [
            {"name": "王磊", "id_number": VALID.id_number, "appointment_date": "2023年1月5日"},
            {"name": "", "id_number": "123"},
        ],
        default_family=None,
        as_of=AS_OF,
    )
    first, second = roster.rows
    assert (first.row_number, second.row_number) == (1, 2)
    assert first.appointment_date == dt.date(2023, 1, 5) and not first.errors
    assert second.errors  # the same row checks as a file's rows


def test_a_manual_column_mapping_is_read_from_the_file_as_uploaded(api: TestClient, tmp_path: Any) -> None:
    from tests.kits.jobkit import write_xlsx

    rows = [[VALID.name, VALID.id_number, "低压电工作业"]]
    data = write_xlsx(tmp_path / "名单.xlsx", rows, headers=["职工名", "身份证号", "工种"]).read_bytes()
    form = {"family": "special", "as_of": AS_OF.isoformat(), "captcha": "fixed:8888"}
    refused = api.post("/v1/jobs", files={"file": ("名单.xlsx", data)}, data=form)
    assert refused.status_code == 422 and "表头" in refused.json()["detail"]
    mapped = api.post(
        "/v1/jobs",
        files={"file": ("名单.xlsx", data)},
        data={**form, "columns": '{"职工名": "name", "工种": "item"}'},
    )
    assert mapped.status_code == 201, mapped.text
    assert mapped.json()["columns"] == {"name": "职工名", "id_number": "身份证号", "item": "工种"}
    bad = api.post("/v1/jobs", files={"file": ("名单.xlsx", data)}, data={**form, "columns": '{"工种": "x"}'})
    assert bad.status_code == 422 and "无法识别" in bad.json()["detail"]
