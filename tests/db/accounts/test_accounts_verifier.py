"""The verifier through the dashboard, per role: the service wants its token, and a township user's
核验名单 and 验证码队列 pages show only the jobs submitted by its own unit."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from dashboard.verifier_api import VerifierClient, VerifierError
from db.audit import trail
from db.codes import AuditAction, Role
from db.records import verifier_jobs
from db.rules.access import AccessDenied, Principal
from tests.kits.accountkit import World
from tests.kits.authkit import acting
from tests.kits.staffkit import ServiceRun, csv_bytes, roster_rows, start_service

ROOT = Path(__file__).resolve().parents[3]
VERIFY = str(ROOT / "dashboard" / "app_pages" / "verify.py")
CAPTCHA = str(ROOT / "dashboard" / "app_pages" / "captcha.py")
TOKEN = "accounts-test-token-0123456789abcdef"


@pytest.fixture
def service(tmp_path: Path) -> Iterator[ServiceRun]:
    with start_service(tmp_path, people_count=4, token=TOKEN, default_captcha="queue") as run:
        yield run


@pytest.fixture
def jobs(
    db_url_engine: tuple[str, Engine], world: World, service: ServiceRun, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, object]]:
    """Two jobs in the service: one submitted by 甲镇's account, one by 乙镇's (as the page records them)."""
    monkeypatch.setenv("DATABASE_URL", db_url_engine[0])
    for key, value in service.env.items():
        monkeypatch.setenv(key, value)
    st.cache_data.clear()
    st.cache_resource.clear()
    client = VerifierClient(service.url, token=TOKEN)
    people = {
        "甲镇": world.principal("jia", Role.LOCAL_STAFF, jurisdiction="甲镇"),
        "乙镇": world.principal("yi", Role.LOCAL_STAFF, jurisdiction="乙镇"),
    }
    ids: dict[str, int] = {}
    keys: dict[str, verifier_jobs.JobKey] = {}
    for n, (town, who) in enumerate(people.items()):
        answer = client.submit_roster(
            csv_bytes(roster_rows(service.crowd[n : n + 1])), filename=f"{town}名单.csv", family="special"
        )
        ids[town] = int(answer["job_id"])
        keys[town] = verifier_jobs.job_key(client.job(ids[town]))
        verifier_jobs.record_submission(
            world.session,
            principal=who,
            job=keys[town],
            jurisdiction_id=who.jurisdiction_id,
            enterprise_id=None,
            label=town,
        )
        trail.record(
            world.session,
            principal=who,
            action=AuditAction.IMPORT,
            entity=verifier_jobs.ENTITY,
            entity_id=ids[town],
            detail=f"提交名单核验：{town}名单.csv",
        )
    world.session.commit()
    yield {"ids": ids, "keys": keys, "people": people, "client": client}
    st.cache_data.clear()
    st.cache_resource.clear()


def test_the_service_wants_its_token(service: ServiceRun) -> None:
    with pytest.raises(VerifierError) as refused:
        VerifierClient(service.url).jobs()
    assert refused.value.status == 401
    with pytest.raises(VerifierError):
        VerifierClient(service.url, token="wrong-token").jobs()
    assert VerifierClient(service.url, token=TOKEN).jobs() == []


def test_job_visibility_by_role(world: World, jobs: dict[str, object]) -> None:
    keys: dict[str, verifier_jobs.JobKey] = jobs["keys"]  # type: ignore[assignment]
    people: dict[str, Principal] = jobs["people"]  # type: ignore[assignment]
    s: Session = world.session
    every = set(keys.values())
    assert verifier_jobs.visible_jobs(s, principal=people["甲镇"], jobs=every) == {keys["甲镇"]}
    assert verifier_jobs.visible_jobs(s, principal=people["乙镇"], jobs=every) == {keys["乙镇"]}
    county = world.principal("county1", Role.COUNTY_STAFF)
    assert verifier_jobs.visible_jobs(s, principal=county, jobs=every) == every
    with pytest.raises(AccessDenied):
        verifier_jobs.require_job(s, principal=people["甲镇"], job=keys["乙镇"])


def test_a_township_user_sees_only_its_own_jobs_on_the_pages(jobs: dict[str, object]) -> None:
    ids: dict[str, int] = jobs["ids"]  # type: ignore[assignment]
    people: dict[str, Principal] = jobs["people"]  # type: ignore[assignment]
    at = acting(AppTest.from_file(VERIFY, default_timeout=60), people["甲镇"]).run()
    assert not at.exception, [e.value for e in at.exception]
    options = at.selectbox(key="verify.pick").options
    assert len(options) == 1 and options[0].startswith(f"任务 {ids['甲镇']}：甲镇名单.csv")
    # a job id of another township put into the page's state (as a form or URL edit would)
    at.session_state["verify.job_id"] = ids["乙镇"]
    at.run()
    assert any("无权查看" in e.value for e in at.error)
    # the captcha queue: 甲镇's job waits for its captcha; 乙镇 must not be shown it
    client: VerifierClient = jobs["client"]  # type: ignore[assignment]
    deadline = time.monotonic() + 20
    while client.captcha(ids["甲镇"]) is None:
        assert time.monotonic() < deadline, "the first job never asked for a captcha"
        time.sleep(0.05)
    theirs = acting(AppTest.from_file(CAPTCHA, default_timeout=60), people["乙镇"]).run()
    assert not theirs.exception, [e.value for e in theirs.exception]
    assert not theirs.get("image") and "甲镇名单" not in "\n".join(m.value for m in theirs.markdown)
    assert any("没有等待输入" in i.value for i in theirs.info)
    mine = acting(AppTest.from_file(CAPTCHA, default_timeout=60), people["甲镇"]).run()
    assert len(mine.get("image")) == 1 and "甲镇名单.csv" in "\n".join(m.value for m in mine.markdown)


def test_the_pages_report_a_missing_token(jobs: dict[str, object], monkeypatch: pytest.MonkeyPatch) -> None:
    people: dict[str, Principal] = jobs["people"]  # type: ignore[assignment]
    monkeypatch.delenv("ANPEI_VERIFIER_TOKEN")
    st.cache_resource.clear()
    at = acting(AppTest.from_file(VERIFY, default_timeout=60), people["甲镇"]).run()
    assert not at.exception
    assert at.error and "令牌" in at.error[0].value
