"""核验名单 through AppTest, against a real verifier service and platform double on loopback ports:
columns recognised (and mapped by hand), local problems by row before anything is sent, submission
creates a job, results shown with next steps, saved against people and the enterprise."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from dashboard.verifier_api import VerifierClient
from db.engine import make_engine
from db.models import AuditLog, CertificateCheck, Person, VerifierJobTarget
from tests.dashboard.staff.conftest import ROOT, County, build_county
from tests.kits.authkit import acting
from tests.kits.staffkit import ServiceRun, csv_bytes, roster_rows, xlsx_bytes
from verifier.ids import make_id

PAGE = str(ROOT / "dashboard" / "app_pages" / "verify.py")
pytestmark = pytest.mark.usefixtures("clean_streamlit_caches")


@pytest.fixture
def county_file(migrated_sqlite_url: str) -> Iterator[County]:
    url = migrated_sqlite_url
    engine = make_engine(url)
    yield build_county(engine, url)
    engine.dispose()


@pytest.fixture
def env(
    county_file: County, service: ServiceRun, monkeypatch: pytest.MonkeyPatch
) -> tuple[County, ServiceRun]:
    monkeypatch.setenv("DATABASE_URL", county_file.url)
    for key, value in service.env.items():
        monkeypatch.setenv(key, value)
    return county_file, service


def _frames(at: AppTest, column: str) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe if column in d.value.columns]


def _selectbox(at: AppTest, label: str) -> object:
    found = [s for s in at.selectbox if s.label == label]
    assert found, [s.label for s in at.selectbox]
    return found[0]


def _start(data: bytes, name: str) -> AppTest:
    at = acting(AppTest.from_file(PAGE, default_timeout=60))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.file_uploader(key="verify.upload").set_value((name, data, "application/octet-stream"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _bad_rows() -> list[list[object]]:
    return [
        ["吴刚", "500230198503120112", "低压电工作业", ""],  # wrong check character
        ["", make_id("500230", dt.date(1980, 1, 1), 1), "焊接与热切割作业", ""],  # no name
        ["郑浩", "5.00230E+17", "高处安装、维护、拆除作业", ""],  # the spreadsheet stored the ID as a number
    ]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_columns_and_local_problems_by_row_before_submission(
    env: tuple[County, ServiceRun], kind: str
) -> None:
    _county, service = env
    rows = roster_rows(service.crowd[:3]) + _bad_rows()
    data = csv_bytes(rows) if kind == "csv" else xlsx_bytes(rows, title="2023年特种作业人员名单")
    at = _start(data, f"名单.{kind}")
    columns = _frames(at, "文件中的列")[0]
    assert dict(zip(columns["文件中的列"], columns["识别为"], strict=True)) == {
        "姓名": "姓名",
        "身份证号": "身份证号",
        "操作项目": "操作项目",
        "证书编号": "证书编号",
    }
    problems = _frames(at, "问题")[0]
    first = 3 if kind == "xlsx" else 2  # the title row pushes the xlsx rows down by one
    by_row: dict[int, str] = {}
    for r, m in zip(problems["行号"], problems["问题"], strict=True):
        by_row[int(r)] = by_row.get(int(r), "") + m
    assert set(by_row) == {first + 3, first + 4, first + 5}
    assert "校验" in by_row[first + 3]
    assert "姓名" in by_row[first + 4]
    assert "数字" in by_row[first + 5] or "科学计数" in by_row[first + 5]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["名单行数"] == "6" and metrics["有问题的行"] == "3"
    # nothing was sent: the service has no job yet
    assert VerifierClient(service.url).jobs() == []


def test_unknown_header_mapped_by_hand(env: tuple[County, ServiceRun]) -> None:
    _county, service = env
    data = csv_bytes(roster_rows(service.crowd[:2]), headers=("姓名", "身份证号", "工种", "证书编号"))
    at = _start(data, "名单.csv")
    mapping = _selectbox(at, "“工种”列是")
    mapping.set_value("item").run()  # type: ignore[attr-defined]
    columns = _frames(at, "文件中的列")[0]
    assert dict(zip(columns["文件中的列"], columns["识别为"], strict=True))["工种"] == "操作项目"


def test_header_row_chosen_by_hand_when_no_header_is_recognised(env: tuple[County, ServiceRun]) -> None:
    _county, service = env
    data = csv_bytes(roster_rows(service.crowd[:2]), headers=("职工名", "身份证号", "操作项目", "证书编号"))
    at = _start(data, "名单.csv")
    assert any("找不到表头" in w.value for w in at.warning)
    _selectbox(at, "“职工名”列是").set_value("name").run()  # type: ignore[attr-defined]
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["名单行数"] == "2" and metrics["有问题的行"] == "0"


def _wait_done(service: ServiceRun, job_id: int, timeout: float = 30) -> dict[str, object]:
    client = VerifierClient(service.url)
    deadline = time.monotonic() + timeout
    while True:
        job = client.job(job_id)
        if job["status"] not in ("queued", "running", "waiting_captcha"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def test_submission_creates_a_job_and_results_are_shown_and_saved(env: tuple[County, ServiceRun]) -> None:
    county, service = env
    rows = roster_rows(service.crowd) + _bad_rows()
    at = _start(xlsx_bytes(rows), "三合化工名单.xlsx")
    at.selectbox(key="verify.target.enterprise").set_value(county.ids["三合化工有限公司"]).run()
    at.button(key="verify.submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    job_id = at.session_state["verify.job_id"]
    assert VerifierClient(service.url).jobs()[0]["id"] == job_id
    job = _wait_done(service, job_id)
    assert job["status"] == "done"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    results = _frames(at, "下一步")[0]
    assert len(results) == len(rows)
    by_name = dict(zip(results["姓名"], results["结论"], strict=True))
    assert by_name[service.crowd[0].name] == "有效"
    assert by_name[service.crowd[10].name] == "已过期"
    assert by_name[service.crowd[11].name] == "查无此证"
    steps = dict(zip(results["结论"], results["下一步"], strict=True))
    assert "索要证书原件" in steps["查无此证"] and "更正" in steps["信息有误"] and steps["有效"] == ""
    assert not results["身份证号"].str.contains(r"\d{17}[0-9X]").any()  # masked on screen
    assert any("已保存 12 条" in s.value for s in at.success)
    with Session(county.engine) as s:
        checks = s.exec(select(CertificateCheck)).all()
        assert len(checks) == 12  # verdicts only: the three invalid rows are not conclusions
        assert {c.enterprise_id for c in checks} == {county.ids["三合化工有限公司"]}
        assert {c.jurisdiction_id for c in checks} == {county.ids["三合街道"]}
        assert sum(c.problem == "无证上岗" for c in checks) == 1
        assert len(s.exec(select(Person)).all()) == 12
        actions = {(a.action, a.entity) for a in s.exec(select(AuditLog)).all()}
    assert ("import", "verifier_job") in actions and ("import", "certificatecheck") in actions
    # filter: only the red ones
    at.multiselect(key="verify.filter.class").set_value(["疑似无证或假证"]).run()
    assert list(_frames(at, "下一步")[0]["结论"]) == ["查无此证"]


def test_service_down_is_a_chinese_message(county_file: County, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", county_file.url)
    monkeypatch.setenv("ANPEI_VERIFIER_URL", "http://127.0.0.1:9")
    at = acting(AppTest.from_file(PAGE, default_timeout=30))
    at.run()
    assert any("无法连接核验服务" in e.value for e in at.error)


SAVED_PAGES = ROOT / "tests" / "verifier" / "saved_pages"


def test_a_saved_platform_page_is_evidence_for_one_person(
    env: tuple[County, ServiceRun], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from anpei.settings import get_settings

    county, _service = env
    monkeypatch.setenv("ANPEI_UPLOAD_DIR", str(tmp_path / "uploads"))
    get_settings.cache_clear()
    html = (SAVED_PAGES / "current-valid.html").read_bytes()
    at = acting(AppTest.from_file(PAGE, default_timeout=60))
    at.run()
    at.file_uploader(key="verify.page.upload").set_value(("查询结果.html", html, "text/html"))
    at.text_input(key="verify.page.name").input("刘洋")
    at.text_input(key="verify.page.id").input("500230198806143136")
    at.text_input(key="verify.page.item").input("低压电工作业")
    at.date_input(key="verify.page.as_of").set_value(dt.date(2023, 6, 30))
    at.run()
    at.selectbox(key="verify.page.target.enterprise").set_value(county.ids["三合机械厂"]).run()
    at.button(key="verify.page.save").click().run()
    get_settings.cache_clear()
    assert not at.exception, [e.value for e in at.exception]
    assert any(s.value == "结论：有效" for s in at.success), [s.value for s in at.success]
    with Session(county.engine) as s:
        check = s.exec(select(CertificateCheck)).one()
        assert (check.source, check.outcome, check.enterprise_id) == (
            "saved_page",
            "VALID",
            county.ids["三合机械厂"],
        )
        assert check.evidence_ref and (tmp_path / "uploads" / check.evidence_ref).read_bytes() == html
    # an unrelated page is refused, never read as "not found"
    at.file_uploader(key="verify.page.upload").set_value(
        ("别的.html", (SAVED_PAGES / "unrelated-app-shell.html").read_bytes(), "text/html")
    )
    at.run()
    at.button(key="verify.page.save").click().run()
    assert any("无法识别" in e.value for e in at.error)


def test_finished_results_are_saved_to_the_submit_target_in_a_new_session(
    env: tuple[County, ServiceRun],
) -> None:
    """The target chosen at submit is stored with the job: a later session (another tab, the next
    morning) that opens the finished job saves its results there without a second click, and says so."""
    county, service = env
    at = _start(xlsx_bytes(roster_rows(service.crowd)), "三合化工名单.xlsx")
    at.selectbox(key="verify.target.enterprise").set_value(county.ids["三合化工有限公司"]).run()
    at.button(key="verify.submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    job_id = at.session_state["verify.job_id"]
    _wait_done(service, job_id)

    later = acting(AppTest.from_file(PAGE, default_timeout=60))  # a new browser session: nothing in its state
    later.run()
    later.selectbox(key="verify.pick").set_value(job_id).run()
    later.button(key="verify.open").click().run()
    assert not later.exception, [e.value for e in later.exception]
    saved = [s.value for s in later.success if "自动保存到" in s.value]
    assert saved and "三合化工有限公司" in saved[0] and "已保存 12 条" in saved[0], [
        s.value for s in later.success
    ]
    with Session(county.engine) as s:
        checks = s.exec(select(CertificateCheck)).all()
        assert len(checks) == 12 and {c.enterprise_id for c in checks} == {county.ids["三合化工有限公司"]}
        target = s.exec(select(VerifierJobTarget)).one()
        assert (target.job_id, target.saved_rows) == (job_id, 12)
    later.run()  # shown again: not saved twice, and the page says where the results went
    assert any("保存到“三合化工有限公司" in s.value for s in later.success)
    with Session(county.engine) as s:
        assert len(s.exec(select(CertificateCheck)).all()) == 12


def test_two_identical_unknown_headers_do_not_crash_the_page(env: tuple[County, ServiceRun]) -> None:
    """`备注,备注` crashed 核验名单 with StreamlitDuplicateElementKey and a traceback (issue 11 item 12)."""
    _county, service = env
    for headers in (("姓名", "身份证号", "备注", "备注"), ("职工名", "身份证号", "备注", "备注")):
        data = csv_bytes(roster_rows(service.crowd[:2]), headers=headers)
        at = _start(data, "名单.csv")  # asserts no exception
        labels = [s.label for s in at.selectbox if "备注" in s.label]
        assert labels and labels[0] == "“备注”列是" and len(set(labels)) == len(labels)
        assert list(_frames(at, "文件中的列")[0]["文件中的列"])[:3] == [*headers[:2], "备注"]


def test_markdown_in_an_unknown_header_is_shown_as_typed(env: tuple[County, ServiceRun]) -> None:
    _county, service = env
    header = "[点此领奖](http://127.0.0.1:9/x)"
    data = csv_bytes(roster_rows(service.crowd[:2]), headers=("姓名", "身份证号", header, "证书编号"))
    at = _start(data, "名单.csv")
    labels = [s.label for s in at.selectbox if "点此领奖" in s.label]
    assert labels == ["“\\[点此领奖\\]\\(http\\://127.0.0.1\\:9/x\\)”列是"]


def test_the_full_id_file_is_fetched_only_after_its_audit_entry(
    env: tuple[County, ServiceRun], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ticking 下载文件含完整身份证号 built the file at once and served it before the audit row (item 4)."""
    county, service = env
    at = _start(csv_bytes(roster_rows(service.crowd[:2])), "名单.csv")
    at.selectbox(key="verify.target.enterprise").set_value(county.ids["三合化工有限公司"]).run()
    at.button(key="verify.submit").click().run()
    job_id = at.session_state["verify.job_id"]
    assert _wait_done(service, job_id)["status"] == "done"
    at.run()
    assert not at.exception, [e.value for e in at.exception]

    def reveals() -> int:
        with Session(county.engine) as s:
            return len(s.exec(select(AuditLog).where(AuditLog.action == "reveal")).all())

    fetched: list[int] = []  # the number of reveal entries each time a full-ID file was fetched
    real = VerifierClient.results_file

    def spy(self: VerifierClient, job: int, **kwargs: object) -> bytes:
        if kwargs.get("full_ids"):
            fetched.append(reveals())
        return real(self, job, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(VerifierClient, "results_file", spy)
    at.checkbox(key="verify.full_ids").check().run()
    assert not at.exception, [e.value for e in at.exception]
    assert fetched == [] and reveals() == 0  # ticking alone fetches nothing
    at.button(key=f"verify.full_ids.build.{job_id}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert fetched == [1] and reveals() == 1  # audited first, then fetched
