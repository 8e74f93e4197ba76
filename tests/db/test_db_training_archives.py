"""培训档案核查, stored: the county-wide re-check, lead statuses, findings, scoping (both databases)."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from db.codes import AuditAction, Sector, TargetKind
from db.models import (
    AuditLog,
    Finding,
    TrainingArchive,
    TrainingArchiveSheet,
    TrainingInstitution,
    TrainingLead,
)
from db.records.common import InputError
from db.records.finding_list import list_findings
from db.rules.access import AccessDenied
from db.training import evidence, lead_export
from db.training.evidence import EvidenceBlock, lead_evidence, lead_sessions, may_reveal_lead_ids, reveal_lead
from db.training.lead_export import export_leads
from db.training.leads import LeadStatus, lead_status_counts, list_leads, set_lead_status
from db.training.sheets import decode_sheet, encode_sheet
from db.training.storing import list_archives, store_archive
from db.training.uploads import TrainingUnit, Upload, guess_unit, preview_upload, read_upload, training_units
from tests.kits.countykit import County, add_enterprises, add_places
from training_audit import audit, read_archive
from training_audit.sample import COMPANY, SCHOOL, write_sample

NOW = dt.datetime(2023, 8, 1, 2, 0, tzinfo=dt.UTC)
AS_OF = dt.date(2023, 8, 1)


@pytest.fixture
def county(engine: Engine) -> County:
    county = County(engine=engine)
    with Session(engine) as s:
        add_places(s, county)
        school = TrainingInstitution(name=SCHOOL, jurisdiction_id=county.ids["三合街道"])
        s.add(school)
        s.flush()
        county.ids[SCHOOL] = int(school.id or 0)
        add_enterprises(s, county, [(COMPANY, Sector.OTHER, "名山街道", None)])
        s.commit()
    return county


@pytest.fixture
def uploads(tmp_path: Path) -> dict[str, Upload]:
    workbook, folder = write_sample(tmp_path / "sample")
    (school,) = read_upload([(workbook.name, workbook.read_bytes())])
    files = [(p.name, p.read_bytes()) for p in sorted(folder.iterdir())]
    (company,) = read_upload(files, folder_name=folder.name)
    return {"school": school, "company": company}


def unit(county: County, name: str) -> TrainingUnit:
    with county.session() as s:
        return next(u for u in training_units(s, principal=county.county_staff) if u.name == name)


def store(county: County, upload: Upload, name: str) -> None:
    with county.session() as s:
        store_archive(
            s, principal=county.county_staff, upload=upload, unit=unit(county, name), now=NOW, as_of=AS_OF
        )
        s.commit()


def codes(county: County, **filters: object) -> list[str]:
    with county.session() as s:
        return [r.code for r in list_leads(s, principal=county.county_staff, **filters)]  # type: ignore[arg-type]


def test_second_archive_raises_cross_institution_leads(county: County, uploads: dict[str, Upload]) -> None:
    store(county, uploads["school"], SCHOOL)
    alone = codes(county)
    assert "PERSON_OVERLAP" not in alone and "TEACHER_OVERLAP" not in alone
    assert "CLASS_DAY_OVER_CAP" in alone

    store(county, uploads["company"], COMPANY)
    both = codes(county)
    assert both.count("PERSON_OVERLAP") == 1 and both.count("TEACHER_OVERLAP") == 1
    # the stored result is the engine's result over both archives, lead for lead
    files = audit([uploads["school"].archive, uploads["company"].archive], as_of=AS_OF)
    assert sorted(both) == sorted(lead.code for lead in files.leads)
    with county.session() as s:
        pair = list_leads(s, principal=county.county_staff, code="PERSON_OVERLAP")[0]
        assert pair.jurisdiction_id == county.ids["三合街道"]
        assert SCHOOL in pair.evidence and COMPANY in pair.evidence
        assert "*" in pair.id_masked and len(pair.id_masked) == 18
        # the per-person day view: the two overlapping sessions, one per unit
        bars = lead_sessions(s, principal=county.county_staff, lead_id=pair.id)
        assert {b.unit for b in bars} == {SCHOOL, COMPANY}
        blocks = lead_evidence(s, principal=county.county_staff, lead_id=pair.id)
        assert {b.sheet for b in blocks} >= {"课程安排", "签到"}
        signins = [b for b in blocks if b.sheet == "签到"]
        assert signins and all("*" in row[b.columns.index("身份证号")] for b in signins for row in b.rows)


def test_same_file_twice_is_stored_once(county: County, uploads: dict[str, Upload]) -> None:
    store(county, uploads["school"], SCHOOL)
    with county.session() as s:
        preview = preview_upload(s, upload=uploads["school"], as_of=AS_OF)
        assert preview.duplicate_of is not None
        again = store_archive(
            s, principal=county.county_staff, upload=uploads["school"], unit=unit(county, SCHOOL)
        )
        assert again.duplicate and "未重复保存" in again.summary
        s.commit()
        assert len(s.exec(select(TrainingArchive)).all()) == 1
        assert len(s.exec(select(TrainingArchiveSheet)).all()) == 4


def test_same_classes_in_another_file_are_refused(county: County, uploads: dict[str, Upload]) -> None:
    store(county, uploads["school"], SCHOOL)
    copy = Upload(name="另一份.xlsx", digest="0" * 64, archive=uploads["school"].archive)
    with county.session() as s, pytest.raises(InputError, match="无法入库"):
        store_archive(s, principal=county.county_staff, upload=copy, unit=unit(county, SCHOOL))


def test_statuses_survive_a_recheck(county: County, uploads: dict[str, Upload]) -> None:
    store(county, uploads["school"], SCHOOL)
    with county.session() as s:
        lead = list_leads(s, principal=county.county_staff, code="UNIFORM_SCORES")[0]
        with pytest.raises(InputError, match="理由"):
            set_lead_status(s, principal=county.county_staff, lead_id=lead.id, status=LeadStatus.DISMISSED)
        set_lead_status(
            s, principal=county.county_staff, lead_id=lead.id, status="dismissed", reason="阅卷记录核对无误"
        )
        s.commit()
    store(county, uploads["company"], COMPANY)
    with county.session() as s:
        again = list_leads(s, principal=county.county_staff, code="UNIFORM_SCORES")
        assert [(r.id, r.status_label, r.reason) for r in again] == [(lead.id, "已排除", "阅卷记录核对无误")]
        assert lead_status_counts(s, principal=county.county_staff)["dismissed"] == 1
    assert any(
        e.entity == "training_lead" and "已排除" in e.detail for e in county.audit_entries(action="update")
    )


def test_confirmed_lead_becomes_a_finding_under_its_item(county: County, uploads: dict[str, Upload]) -> None:
    store(county, uploads["school"], SCHOOL)
    store(county, uploads["company"], COMPANY)
    with county.session() as s:
        cap = list_leads(s, principal=county.county_staff, code="CLASS_DAY_OVER_CAP")[0]
        signin = list_leads(s, principal=county.county_staff, code="IDENTICAL_SIGNIN")[0]
        company = list_leads(s, principal=county.county_staff, code="NO_ATTENDANCE_RECORDS")[0]
        for lead in (cap, signin, company):
            set_lead_status(
                s, principal=county.county_staff, lead_id=lead.id, status=LeadStatus.CONFIRMED, found_on=AS_OF
            )
        # confirming twice does not add a second finding
        set_lead_status(
            s, principal=county.county_staff, lead_id=cap.id, status=LeadStatus.CONFIRMED, found_on=AS_OF
        )
        s.commit()
        findings = {f.id: f for f in s.exec(select(Finding)).all()}
        assert len(findings) == 3
        items = {}
        for lead in (cap, signin, company):
            row = s.get(TrainingLead, lead.id)
            assert row is not None and row.finding_id in findings
            finding = findings[row.finding_id]
            assert finding.training_lead_id == lead.id  # linked as data both ways
            assert "培训档案线索" not in finding.description  # no text prefix any more
            items[lead.code] = (finding.target_kind, finding.check_item_number)
        assert items == {
            "CLASS_DAY_OVER_CAP": (TargetKind.INSTITUTION.value, 2),
            "IDENTICAL_SIGNIN": (TargetKind.INSTITUTION.value, 3),
            "NO_ATTENDANCE_RECORDS": (TargetKind.ENTERPRISE.value, 5),
        }
        assert findings[s.get(TrainingLead, company.id).finding_id].jurisdiction_id == county.ids["名山街道"]  # type: ignore[union-attr]
        listed = {r.id: r for r in list_findings(s, principal=county.county_staff)}
        cap_finding = s.get(TrainingLead, cap.id).finding_id  # type: ignore[union-attr]
        assert listed[cap_finding].training_lead_id == cap.id
        assert listed[cap_finding].source == f"来自培训档案线索 #{cap.id}（班次单日学时超过上限）"


def test_township_sees_its_units_and_changes_only_its_leads(
    county: County, uploads: dict[str, Upload]
) -> None:
    store(county, uploads["school"], SCHOOL)
    store(county, uploads["company"], COMPANY)
    sanhe = county.township("三合街道")
    with county.session() as s:
        assert [a.unit_name for a in list_archives(s, principal=sanhe)] == [SCHOOL]
        assert {u.name for u in training_units(s, principal=sanhe)} == {SCHOOL}
        seen = list_leads(s, principal=sanhe)
        assert seen and all(
            r.jurisdiction_id == county.ids["三合街道"] or r.code.endswith("OVERLAP") for r in seen
        )
        company_only = list_leads(s, principal=county.county_staff, code="NO_ATTENDANCE_RECORDS")[0]
        assert company_only.id not in {r.id for r in seen}
        with pytest.raises(AccessDenied):
            set_lead_status(s, principal=sanhe, lead_id=company_only.id, status=LeadStatus.CONFIRMED)
        with pytest.raises(AccessDenied):
            set_lead_status(s, principal=county.leader, lead_id=seen[0].id, status=LeadStatus.CONFIRMED)
        with pytest.raises(AccessDenied):
            lead_evidence(s, principal=sanhe, lead_id=company_only.id)
        own = next(r for r in seen if r.jurisdiction_id == county.ids["三合街道"])
        set_lead_status(s, principal=sanhe, lead_id=own.id, status=LeadStatus.CONFIRMED, found_on=AS_OF)
        with pytest.raises(AccessDenied):
            store_archive(s, principal=sanhe, upload=uploads["company"], unit=unit(county, COMPANY))


def test_export_masks_ids_and_is_audited(county: County, uploads: dict[str, Upload]) -> None:
    import io

    import openpyxl

    store(county, uploads["company"], COMPANY)
    with county.session() as s:
        data = export_leads(s, principal=county.county_staff, code="EXAM_WITHOUT_ATTENDANCE")
        s.commit()
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    values = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any("无签到记录却参加考试" in v for v in values)
    ids = [v for v in values if len(v) == 18 and v[:6] == "500230"]
    assert ids and all("*" in v for v in ids)
    assert county.audit_entries(action="export", entity="training_lead")


def test_guess_unit_and_stored_sheets_audit_like_files(county: County, uploads: dict[str, Upload]) -> None:
    with county.session() as s:
        units = training_units(s, principal=county.county_staff)
    assert guess_unit(units, uploads["company"].archive) == unit(county, COMPANY)
    for upload in uploads.values():
        rebuilt = type(upload.archive)(
            name=upload.archive.name,
            sheets={k: decode_sheet(encode_sheet(v)) for k, v in upload.archive.sheets.items()},
        )
        first, second = audit([upload.archive], as_of=AS_OF), audit([rebuilt], as_of=AS_OF)
        assert [(lead.sort_key(), lead.text, lead.evidence) for lead in first.leads] == [
            (lead.sort_key(), lead.text, lead.evidence) for lead in second.leads
        ]
        assert [p.message for p in first.problems] == [p.message for p in second.problems]


def test_upload_of_other_files_is_refused() -> None:
    with pytest.raises(InputError, match="只能上传"):
        read_upload([("名单.txt", b"x")])
    with pytest.raises(InputError, match="须命名为"):
        read_upload([("班次.csv", "班次编号,培训单位,培训类别\n".encode()), ("其他.csv", b"a")])
    with pytest.raises(InputError, match="班次"):
        read_upload([("课程安排.csv", "班次编号\n".encode())])


def test_read_archive_of_workbook_matches_upload(tmp_path: Path, uploads: dict[str, Upload]) -> None:
    workbook, _ = write_sample(tmp_path / "again")
    assert read_archive(workbook).sheets.keys() == uploads["school"].archive.sheets.keys()


def test_recheck_is_stable_and_for_county_staff(county: County, uploads: dict[str, Upload]) -> None:
    from db.training.storing import recheck

    store(county, uploads["school"], SCHOOL)
    store(county, uploads["company"], COMPANY)
    before = codes(county)
    with county.session() as s:
        assert recheck(s, principal=county.county_staff, now=NOW, as_of=AS_OF) == (0, len(before))
        with pytest.raises(AccessDenied):
            recheck(s, principal=county.township("三合街道"))
        s.commit()
    assert codes(county) == before


def _reveals(county: County) -> list[AuditLog]:
    with Session(county.engine) as s:  # a connection of its own: only committed rows
        return list(s.exec(select(AuditLog).where(AuditLog.action == AuditAction.REVEAL.value)).all())


def test_county_staff_reveal_is_audited_before_the_numbers_are_read(
    county: County, uploads: dict[str, Upload], monkeypatch: pytest.MonkeyPatch
) -> None:
    store(county, uploads["school"], SCHOOL)
    store(county, uploads["company"], COMPANY)
    seen: list[int] = []
    real = evidence._lead_evidence

    def watched(session: Session, lead: TrainingLead, *, full: bool) -> list[EvidenceBlock]:
        seen.append(len(_reveals(county)))  # the audit row is committed before a full number is read
        return real(session, lead, full=full)

    monkeypatch.setattr(evidence, "_lead_evidence", watched)
    with county.session() as s:
        lead = list_leads(s, principal=county.county_staff, code="PERSON_OVERLAP")[0]
        assert may_reveal_lead_ids(county.county_staff)
        shown = reveal_lead(s, principal=county.county_staff, lead_id=lead.id)
        s.rollback()  # whatever the caller does next, the entry stays
    assert seen == [1]
    (entry,) = _reveals(county)
    assert entry.entity == "training_lead" and entry.entity_id == str(lead.id)
    assert entry.username == county.county_staff.username
    assert re.fullmatch(r"[0-9]{17}[0-9X]", shown.id_number) and shown.id_number != lead.id_masked
    assert any(shown.id_number in cell for block in shown.evidence for row in block.rows for cell in row)
    assert "*" in lead.id_masked


def test_full_id_export_is_audited_first_and_holds_full_numbers(
    county: County, uploads: dict[str, Upload], monkeypatch: pytest.MonkeyPatch
) -> None:
    store(county, uploads["school"], SCHOOL)
    store(county, uploads["company"], COMPANY)
    seen: list[int] = []
    real = lead_export.simple_workbook

    def watched(**kwargs: Any) -> bytes:
        seen.append(len(_reveals(county)))
        return real(**kwargs)

    monkeypatch.setattr(lead_export, "simple_workbook", watched)
    with county.session() as s:
        data = export_leads(s, principal=county.county_staff, full_ids=True, code="PERSON_OVERLAP")
        s.rollback()
    assert seen == [1]
    (entry,) = _reveals(county)
    assert "含完整身份证号" in entry.detail
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    values = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any(re.fullmatch(r"[0-9]{17}[0-9X]", v) for v in values)


def test_township_and_leader_cannot_reveal(county: County, uploads: dict[str, Upload]) -> None:
    store(county, uploads["school"], SCHOOL)
    store(county, uploads["company"], COMPANY)
    township = county.township("三合街道")  # the school's own township
    with county.session() as s:
        lead = list_leads(s, principal=township, code="PERSON_OVERLAP")[0]  # it reads the lead, masked
        for who in (township, county.leader):
            assert not may_reveal_lead_ids(who)
            with pytest.raises(AccessDenied):
                reveal_lead(s, principal=who, lead_id=lead.id)
            with pytest.raises(AccessDenied):
                export_leads(s, principal=who, full_ids=True)
        s.commit()
    assert _reveals(county) == []
