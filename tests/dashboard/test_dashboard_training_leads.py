"""The sample county's training archives on screen: the overview's 培训档案线索 and the page in the app."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from db.engine import make_engine
from db.rules.access import SYSTEM
from db.training.leads import lead_status_counts, list_leads
from tests.dashboard.conftest import APP
from tests.kits.authkit import logged_in

pytestmark = pytest.mark.usefixtures("clean_streamlit_caches")


@pytest.fixture
def app_env(sample_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", sample_url)
    yield sample_url


def _run(page: str | None = None, *, user: str = "county") -> AppTest:
    at = logged_in(AppTest.from_file(APP, default_timeout=60), os.environ["DATABASE_URL"], user)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_overview_counts_training_leads(app_env: str) -> None:
    with Session(make_engine(app_env)) as s:
        counts = lead_status_counts(s, principal=SYSTEM)
    assert counts["pending"] >= 13  # the sample plants every rule
    at = _run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["待核实"] == f"{counts['pending']:,}" and metrics["属实"] == "0"
    rows = [d.value for d in at.dataframe if "说明" in d.value.columns]
    assert len(rows) == 1 and len(rows[0]) == counts["pending"]


def test_page_in_the_app_for_county_and_township(app_env: str) -> None:
    with Session(make_engine(app_env)) as s:
        every = list_leads(s, principal=SYSTEM)
    assert {lead.code for lead in every} == {
        "CLASS_DAY_OVER_CAP",
        "HOURS_INFLATED",
        "CLASS_BELOW_MINIMUM",
        "ROOM_OVER_CAPACITY",
        "EXAM_BEFORE_TRAINING_END",
        "UNIFORM_SCORES",
        "IDENTICAL_SIGNIN",
        "NO_ATTENDANCE_RECORDS",
        "PASSED_WITHOUT_HOURS",
        "EXAM_WITHOUT_ATTENDANCE",
        "PERSON_OVERLAP",
        "PERSON_DAY_OVER_CAP",
        "TEACHER_OVERLAP",
    }
    county = _run("app_pages/training_audit.py")
    assert county.title[0].value == "培训档案核查"
    assert len(next(d.value for d in county.dataframe if "说明" in d.value.columns)) == len(every)
    # 三合街道 owns the sample enterprise's archive: it sees that archive's leads (and the shared ones)
    sanhe = _run("app_pages/training_audit.py", user="sanhe")
    own = next(d.value for d in sanhe.dataframe if "说明" in d.value.columns)
    assert 0 < len(own) <= len(every)
    assert "缺少签到记录" in set(own["规则"])  # the enterprise class without sign-in sheets
