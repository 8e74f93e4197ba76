"""The 培训档案核查 page through AppTest: upload, input problems, store, leads, evidence, status."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from sqlmodel import select

from db.codes import Sector
from db.models import AuditLog, Enterprise, Finding, TrainingArchive, TrainingInstitution, TrainingLead
from tests.kits.countykit import County
from tests.kits.inputkit import open_page, texts
from training_audit.sample import COMPANY, SCHOOL, write_sample

P = "training_audit"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def archives(page_county: County, tmp_path: Path) -> dict[str, list[tuple[str, bytes, str]]]:
    with page_county.session() as s:
        school = TrainingInstitution(name=SCHOOL, jurisdiction_id=page_county.ids["三合街道"])
        s.add(school)
        s.flush()
        company = Enterprise(
            name=COMPANY, sector=Sector.OTHER.value, jurisdiction_id=page_county.ids["名山街道"]
        )
        s.add(company)
        s.commit()
    workbook, folder = write_sample(tmp_path / "sample")
    return {
        "school": [(workbook.name, workbook.read_bytes(), XLSX)],
        "company": [(p.name, p.read_bytes(), "text/csv") for p in sorted(folder.iterdir())],
    }


def upload(at: object, files: list[tuple[str, bytes, str]]) -> None:
    at.file_uploader(key=f"{P}.upload").set_value(files)  # type: ignore[attr-defined]
    at.run()  # type: ignore[attr-defined]
    assert not at.exception, [e.value for e in at.exception]  # type: ignore[attr-defined]


def frames_with(at: object, column: str) -> list[object]:
    """The tables showing `column` (AppTest does not expose a dataframe's key)."""
    return [d.value for d in at.dataframe if column in d.value.columns]  # type: ignore[attr-defined]


def store_button(at: object) -> object:
    (button,) = [b for b in at.button if str(b.key).startswith(f"{P}.store.")]  # type: ignore[attr-defined]
    return button


def test_upload_shows_problems_then_stores_and_lists_leads(
    page_county: County, archives: dict[str, list[tuple[str, bytes, str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page("training_audit.py", page_county.county_staff, monkeypatch)
    assert "暂无线索" in texts(at)
    # the enterprise's CSV files are one archive; its input problems are listed by row before storing
    upload(at, archives["company"])
    problems = frames_with(at, "问题")
    assert len(problems) == 1 and set(problems[0]["工作表"]) == {"签到", "考试"}
    assert not [
        text for text in problems[0]["问题"] if re.search(r"[0-9]{17}[0-9X]", text)
    ]  # no full ID on screen
    with page_county.session() as s:
        assert not s.exec(select(TrainingArchive)).all()  # nothing stored yet
    store_button(at).click().run()  # type: ignore[attr-defined]
    assert "已入库" in texts(at), texts(at)
    upload(at, archives["school"])
    store_button(at).click().run()  # type: ignore[attr-defined]
    assert "全县重新核查后新增线索" in texts(at)
    at.run()
    listed = frames_with(at, "说明")[0]
    assert "同一人同时段在两个班次" in set(listed["规则"])
    assert all("*" in v for v in listed["身份证号"] if v)
    # the same file again is recognised
    upload(at, archives["school"])
    assert "同一文件已入库" in texts(at)
    assert not [b for b in at.button if str(b.key).startswith(f"{P}.store.")]


def test_lead_opens_evidence_and_status_becomes_a_finding(
    page_county: County, archives: dict[str, list[tuple[str, bytes, str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page("training_audit.py", page_county.county_staff, monkeypatch)
    for files in (archives["school"], archives["company"]):
        upload(at, files)
        store_button(at).click().run()  # type: ignore[attr-defined]
    at.file_uploader(key=f"{P}.upload").set_value([])
    at.selectbox(key=f"{P}.filter.rule").set_value("PERSON_OVERLAP").run()
    assert len(frames_with(at, "说明")[0]) == 1
    with page_county.session() as s:
        lead = s.exec(select(TrainingLead).where(TrainingLead.code == "PERSON_OVERLAP")).one()
    evidence = frames_with(at, "行号")
    assert len(evidence) >= 3  # sessions and sign-ins of both archives
    assert len(at.get("vega_lite_chart")) == 2  # the day's sessions and the class timeline
    at.radio(key=f"{P}.status_value.{lead.id}").set_value("confirmed")
    at.text_input(key=f"{P}.reason.{lead.id}").input("两处签到表笔迹相同")
    at.button(key=f"FormSubmitter:{P}.status.{lead.id}-保存核实结果").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "已改为“属实”" in texts(at)
    with page_county.session() as s:
        stored = s.get(TrainingLead, lead.id)
        assert stored is not None and stored.status == "confirmed" and stored.finding_id is not None
        finding = s.get(Finding, stored.finding_id)
        assert finding is not None and finding.check_item_number == 3
    # dismissing without a reason is refused with a Chinese message
    at.radio(key=f"{P}.status_value.{lead.id}").set_value("dismissed")
    at.text_input(key=f"{P}.reason.{lead.id}").input("")
    at.button(key=f"FormSubmitter:{P}.status.{lead.id}-保存核实结果").click().run()
    assert any("排除线索须填写理由" in e.value for e in at.error)


def test_leader_reads_only_and_township_sees_its_units(
    page_county: County, archives: dict[str, list[tuple[str, bytes, str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page("training_audit.py", page_county.county_staff, monkeypatch)
    upload(at, archives["company"])
    store_button(at).click().run()  # type: ignore[attr-defined]
    leader = open_page("training_audit.py", page_county.leader, monkeypatch)
    assert "只读" in texts(leader)
    assert not [u for u in leader.get("file_uploader")]
    assert not [b for b in leader.button if str(b.key).startswith("FormSubmitter:")]
    assert len(frames_with(leader, "说明")[0]) > 0
    other = open_page("training_audit.py", page_county.township("三合街道"), monkeypatch)
    assert "暂无线索" in texts(other)
    own = open_page("training_audit.py", page_county.township("名山街道"), monkeypatch)
    assert len(frames_with(own, "说明")[0]) > 0


def test_nonstandard_header_is_mapped_then_stored_on_confirmation(
    page_county: County,
    archives: dict[str, list[tuple[str, bytes, str]]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from dashboard.training_upload import map_key
    from tests.training_audit.test_training_audit_headers import renamed

    path = renamed(tmp_path, "班次", "培训单位", "机构全称")
    at = open_page("training_audit.py", page_county.county_staff, monkeypatch)
    upload(at, [(path.name, path.read_bytes(), XLSX)])
    # the columns per sheet: 机构全称 not recognised, 培训单位 missing; no store button yet
    columns = frames_with(at, "识别方式")[0]
    row = columns[columns["表头"] == "机构全称"].iloc[0]
    assert (row["工作表"], row["对应字段"], row["识别方式"]) == ("班次", "", "未识别")
    assert "“班次”缺少必填列 培训单位" in texts(at)
    assert not [b for b in at.button if str(b.key).startswith(f"{P}.store.")]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    key = map_key(digest[:12], "班次", "机构全称")
    assert at.selectbox(key=key).options[1] == "培训单位"
    at.selectbox(key=key).set_value("培训单位").run()
    assert not at.exception, [e.value for e in at.exception]
    columns = frames_with(at, "识别方式")[0]
    row = columns[columns["表头"] == "机构全称"].iloc[0]
    assert (row["对应字段"], row["识别方式"]) == ("培训单位", "手工对应")
    with page_county.session() as s:
        assert not s.exec(select(TrainingArchive)).all()  # nothing stored before 确认入库
    button = store_button(at)
    assert button.label == "确认入库"  # type: ignore[attr-defined]
    button.click().run()  # type: ignore[attr-defined]
    assert "已入库" in texts(at), texts(at)
    with page_county.session() as s:
        (stored,) = s.exec(select(TrainingArchive)).all()
        assert stored.file_name == path.name and stored.class_count > 0


def test_input_problems_by_row_before_storing(
    page_county: County, archives: dict[str, list[tuple[str, bytes, str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page("training_audit.py", page_county.county_staff, monkeypatch)
    upload(at, archives["company"])
    (problems,) = frames_with(at, "问题")
    assert list(problems.columns) == ["档案", "工作表", "行号", "问题"]
    assert set(problems["档案"]) == {"上传档案"} and all(problems["行号"])
    with page_county.session() as s:
        assert not s.exec(select(TrainingArchive)).all()


def _overlap_lead(page_county: County, at: object, archives: dict[str, list[tuple[str, bytes, str]]]) -> int:
    for files in (archives["school"], archives["company"]):
        upload(at, files)
        store_button(at).click().run()  # type: ignore[attr-defined]
    at.file_uploader(key=f"{P}.upload").set_value([])  # type: ignore[attr-defined]
    at.selectbox(key=f"{P}.filter.rule").set_value("PERSON_OVERLAP").run()  # type: ignore[attr-defined]
    with page_county.session() as s:
        return int(s.exec(select(TrainingLead.id).where(TrainingLead.code == "PERSON_OVERLAP")).one())


def test_county_staff_reveals_full_ids_audited_township_has_no_control(
    page_county: County, archives: dict[str, list[tuple[str, bytes, str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page("training_audit.py", page_county.county_staff, monkeypatch)
    lead_id = _overlap_lead(page_county, at, archives)
    full = re.compile(r"[0-9]{17}[0-9X]")
    shown = [v for frame in frames_with(at, "行号") for col in frame.columns for v in frame[col].astype(str)]
    assert not [v for v in shown if full.search(v)]  # masked until asked
    at.button(key=f"{P}.reveal.{lead_id}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [v for frame in frames_with(at, "行号") for col in frame.columns for v in frame[col].astype(str)]
    assert [v for v in shown if full.search(v)]
    with page_county.session() as s:
        entry = s.exec(select(AuditLog).where(AuditLog.action == "reveal")).one()
        assert entry.entity_id == str(lead_id)
    at.run()  # the next run is masked again
    shown = [v for frame in frames_with(at, "行号") for col in frame.columns for v in frame[col].astype(str)]
    assert not [v for v in shown if full.search(v)]
    # the xlsx with full numbers: built only on request, after the audit entry
    at.checkbox(key=f"{P}.full_ids").check().run()
    at.button(key=f"{P}.full_ids.build").click().run()
    assert not at.exception, [e.value for e in at.exception]
    with page_county.session() as s:
        assert len(s.exec(select(AuditLog).where(AuditLog.action == "reveal")).all()) == 2
    for who in (page_county.township("三合街道"), page_county.leader):
        other = open_page("training_audit.py", who, monkeypatch)
        other.selectbox(key=f"{P}.filter.rule").set_value("PERSON_OVERLAP").run()
        assert not [b for b in other.button if "reveal" in str(b.key)]
        assert not [c for c in other.checkbox if str(c.key) == f"{P}.full_ids"]


def test_confirmed_lead_and_its_finding_show_each_other(
    page_county: County, archives: dict[str, list[tuple[str, bytes, str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page("training_audit.py", page_county.county_staff, monkeypatch)
    lead_id = _overlap_lead(page_county, at, archives)
    at.radio(key=f"{P}.status_value.{lead_id}").set_value("confirmed")
    at.button(key=f"FormSubmitter:{P}.status.{lead_id}-保存核实结果").click().run()
    with page_county.session() as s:
        finding_id = s.get(TrainingLead, lead_id).finding_id  # type: ignore[union-attr]
    assert f"已列入问题清单：问题 #{finding_id}" in texts(at)
    assert f"问题 #{finding_id}" in set(frames_with(at, "说明")[0]["问题清单"])
    page = open_page("data_findings.py", page_county.county_staff, monkeypatch)
    listed = next(d.value for d in page.dataframe)
    listed = listed.data if hasattr(listed, "data") else listed  # a Styler
    row = listed[listed["编号"] == finding_id].iloc[0]
    assert row["来源"] == f"来自培训档案线索 #{lead_id}（同一人同时段在两个班次）"
    assert not str(row["问题描述"]).startswith("【")
