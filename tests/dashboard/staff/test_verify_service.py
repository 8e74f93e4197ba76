"""`dashboard.verify_service` with plain pytest (no Streamlit), on SQLite and PostgreSQL, against a real
verifier service: submitting records the target and an audit entry, a finished job is saved from the
service's typed records (UTC times kept, faults and invalid rows never saved as verdicts), once per
answered row count; township staff see only their own unit's jobs."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from sqlmodel import select

from dashboard import verify_service
from dashboard.verifier_api import VerifierClient
from db.models import AuditLog, CertificateCheck, Person
from tests.dashboard.staff.conftest import County
from tests.kits.staffkit import ServiceRun, csv_bytes, roster_rows

ACTIVE = {"queued", "running", "waiting_captcha"}


def _finished(client: VerifierClient, job_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while (job := client.job(job_id))["status"] in ACTIVE:
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
    return job


def test_submit_then_save_from_the_typed_records(county: County, service: ServiceRun) -> None:
    client = VerifierClient(service.url)
    staff = county.township("三合街道")
    eid = county.ids["三合化工有限公司"]
    target = verify_service.Target(None, eid, "三合化工有限公司")
    rows = [*roster_rows(service.crowd), ["吴刚", "500230198503120112", "低压电工作业", ""]]
    job_id = verify_service.submit(
        client,
        county.session,
        principal=staff,
        data=csv_bytes(rows),
        filename="名单.csv",
        family="special",
        as_of=dt.date.today(),
        target=target,
        rows=len(rows),
    )
    job = _finished(client, job_id)
    assert [j["id"] for j in verify_service.visible_jobs(client, county.session, principal=staff)] == [job_id]
    assert verify_service.visible_jobs(client, county.session, principal=county.township("名山街道")) == []

    outcome = verify_service.save_if_finished(county.session, principal=staff, client=client, job=job)
    assert outcome.saved_now and "已保存 12 条" in outcome.message
    records = {r.id_number: r for r in client.records(job_id, full_ids=True).records}
    with county.session() as s:
        checks = s.exec(select(CertificateCheck)).all()
        assert len(checks) == 12  # the invalid row is not a verdict
        assert {c.enterprise_id for c in checks} == {eid}
        people = {p.id: p for p in s.exec(select(Person)).all()}
        for check in checks:
            record = records[people[check.person_id or 0].id_number]
            assert check.outcome == record.outcome.value
            stored = check.checked_at if check.checked_at.tzinfo else check.checked_at.replace(tzinfo=dt.UTC)
            assert record.checked_at is not None and abs(stored - record.checked_at) < dt.timedelta(seconds=1)
        assert sorted(c.outcome for c in checks).count("NOT_FOUND") == 1
        actions = {(a.action, a.entity) for a in s.exec(select(AuditLog)).all()}
    assert ("import", "verifier_job") in actions and ("import", "certificatecheck") in actions

    again = verify_service.save_if_finished(county.session, principal=staff, client=client, job=job)
    assert not again.saved_now and "已于" in again.message
    moved = verify_service.save_to(
        county.session,
        principal=staff,
        client=client,
        job=job,
        target=verify_service.Target(county.ids["三合街道"], None, "三合街道"),
    )
    assert "替换本任务此前保存的 12 条" in moved
    with county.session() as s:
        assert len(s.exec(select(CertificateCheck)).all()) == 12


def test_result_files_are_audited_the_full_one_first(county: County, service: ServiceRun) -> None:
    client = VerifierClient(service.url)
    job_id = verify_service.submit(
        client,
        county.session,
        principal=county.county_staff,
        data=csv_bytes(roster_rows(service.crowd[:2])),
        filename="名单.csv",
        family="special",
        as_of=dt.date.today(),
        target=verify_service.Target(county.ids["三合街道"], None, "三合街道"),
        rows=2,
    )
    _finished(client, job_id)
    seen: list[int] = []
    real = client.results_file

    def spy(job: int, **kwargs: Any) -> bytes:
        seen.append(len(county.audit_entries(action="reveal")))
        return real(job, **kwargs)

    client.results_file = spy  # type: ignore[method-assign]
    data = verify_service.full_id_file(client, county.session, principal=county.county_staff, job_id=job_id)
    assert data[:2] == b"PK" and seen == [1]  # the reveal was committed before the file was fetched
    masked = verify_service.masked_file(client, county.session, principal=county.county_staff, job_id=job_id)
    assert masked[:2] == b"PK" and len(county.audit_entries(action="export", entity="verifier_job")) == 1
