"""培训档案核查 before storing (`dashboard.training_upload`, no Streamlit): columns per archive and
sheet, a header mapped by hand, input problems by row, and nothing stored (both databases)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from sqlmodel import select

from dashboard.training_upload import column_lines, map_key, problem_lines, stage
from db.models import AuditLog, TrainingArchive, TrainingInstitution
from db.training.storing import store_archive
from db.training.uploads import TrainingUnit
from tests.kits.countykit import County
from tests.training_audit.test_training_audit_headers import renamed
from training_audit.sample import SCHOOL, write_sample

AS_OF = dt.date(2023, 8, 1)


def test_unmapped_header_blocks_then_the_mapping_reads_and_stores(county: County, tmp_path: Path) -> None:
    path = renamed(tmp_path, "班次", "培训单位", "机构全称")
    files = [(path.name, path.read_bytes())]
    with county.session() as s:
        (staged,) = stage(s, files, as_of=AS_OF)
    assert not staged.ready and staged.upload is None
    assert "“班次”缺少必填列 培训单位" in staged.error
    assert staged.headers is not None
    lines = {(line.sheet, line.header): line for line in column_lines(staged.headers)}
    assert lines[("班次", "机构全称")].how == "未识别" and lines[("班次", "班次编号")].field == "班次编号"
    classes = next(sh for sh in staged.headers.sheets if sh.sheet == "班次")
    ((key, header, fields),) = staged.choices(classes)
    assert header == "机构全称" and fields[0] == "培训单位" and key == map_key(staged.tag, "班次", "机构全称")

    with county.session() as s:
        (staged,) = stage(s, files, chosen={key: "培训单位"}, as_of=AS_OF)
        assert staged.ready and staged.error == ""
        assert staged.synonyms == {"班次": {"机构全称": "培训单位"}}
        assert staged.headers is not None
        mapped = {(x.sheet, x.header): x for x in column_lines(staged.headers)}[("班次", "机构全称")]
        assert (mapped.field, mapped.how) == ("培训单位", "手工对应")
        assert not s.exec(select(TrainingArchive)).all()  # staging stores nothing
        school = TrainingInstitution(name=SCHOOL, jurisdiction_id=county.ids["三合街道"])
        s.add(school)
        s.flush()
        unit = TrainingUnit("institution", int(school.id or 0), SCHOOL, county.ids["三合街道"])
        assert staged.upload is not None
        store_archive(s, principal=county.county_staff, upload=staged.upload, unit=unit, as_of=AS_OF)
        s.commit()
        (stored,) = s.exec(select(TrainingArchive)).all()
        assert stored.class_count > 0 and stored.sha256 == staged.source.digest
        entry = s.exec(select(AuditLog).where(AuditLog.entity == "training_archive")).one()
        assert "表头对应 班次：机构全称→培训单位" in entry.detail


def test_a_choice_outside_the_sheet_fields_is_ignored_and_csv_folders_group(
    county: County, tmp_path: Path
) -> None:
    _, folder = write_sample(tmp_path / "sample")
    files = [(p.name, p.read_bytes()) for p in sorted(folder.iterdir())]
    with county.session() as s:
        (staged,) = stage(s, files, folder_name="建筑公司档案", as_of=AS_OF)
    assert staged.name == "建筑公司档案" and staged.source.folder and staged.ready
    assert staged.headers is not None and staged.headers.complete
    problems = problem_lines([staged])  # by archive, sheet and row, IDs masked
    assert problems and {p.archive for p in problems} == {"建筑公司档案"}
    assert all(p.reason and p.row and p.sheet in ("签到", "考试") for p in problems)
    assert not [p for p in problems if re.search(r"[0-9]{17}[0-9X]", p.reason)]
    with county.session() as s:
        (again,) = stage(
            s,
            files,
            folder_name="建筑公司档案",
            chosen={map_key(staged.tag, "签到", "x"): "考试日期"},
            as_of=AS_OF,
        )
    assert again.synonyms == {}
