"""The sample archives in sample_data/training/: every rule planted once, and regenerated the same."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from training_audit import audit, read_archive
from training_audit.leads import RULE_NAMES
from training_audit.sample import write_sample

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "training"
ARCHIVES = [SAMPLE / "某县安全生产培训学校-2023.xlsx", SAMPLE / "某县建筑工程有限公司-2023"]


def test_sample_raises_every_rule_once() -> None:
    result = audit([read_archive(path) for path in ARCHIVES], as_of=dt.date(2024, 1, 1))
    assert sorted(lead.code for lead in result.leads) == sorted(RULE_NAMES)
    assert [(p.sheet, p.row, p.message[:12]) for p in result.problems] == [
        ("签到", 27, "身份证号校验位不符（最后"),
        ("考试", 2, "NAME_DIFFERS"),
    ]


def test_sample_csv_files_are_what_the_generator_writes(tmp_path: Path) -> None:
    write_sample(tmp_path)
    folder = ARCHIVES[1].name
    for file in sorted((SAMPLE / folder).iterdir()):
        assert (tmp_path / folder / file.name).read_bytes() == file.read_bytes(), file.name


def test_the_engine_stands_alone() -> None:
    """Like verifier/: no database, no dashboard behind `training_audit`."""
    import subprocess
    import sys

    code = (
        "import sys, training_audit, training_audit.cli, training_audit.output, training_audit.sample, "
        "training_audit.template; print(sorted({m.split('.')[0] for m in sys.modules} & {'db', 'dashboard', 'streamlit'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.stdout.strip() == "[]"


def test_archives_built_from_stored_rows_audit_like_files(tmp_path: Path) -> None:
    """The engine's input is tabular: rows from elsewhere (a database) give the same leads as the file."""
    from tests.kits.archivekit import HEADERS, clean_class, write_xlsx
    from training_audit import Archive, Sheet

    sheets = clean_class(area=1)
    from_file = audit([read_archive(write_xlsx(tmp_path / "a.xlsx", sheets))], as_of=dt.date(2024, 1, 1))
    stored = Archive(
        name="a.xlsx",
        sheets={
            name: Sheet.from_rows(
                name,
                [
                    (number, dict(zip(HEADERS[name], row, strict=True)))
                    for number, row in enumerate(rows, start=2)
                ],
            )
            for name, rows in sheets.items()
        },
    )
    from_rows = audit([stored], as_of=dt.date(2024, 1, 1))
    assert [(lead.code, lead.text, lead.evidence) for lead in from_rows.leads] == [
        (lead.code, lead.text, lead.evidence) for lead in from_file.leads
    ]
    assert [lead.code for lead in from_rows.leads] == ["ROOM_OVER_CAPACITY"]
