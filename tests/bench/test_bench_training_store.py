"""Storing a 100,000-row training archive into PostgreSQL with the county-wide re-check.

The sample county (small scale, with its four training archives) is seeded first; then a CSV
archive of 100,110 rows (1,410 classes: 班次, 课程安排, 签到, 考试) is read as an upload and
stored through `db.training.storing.store_archive`, which re-runs every rule over everything
stored and merges the leads. A small archive stored afterwards measures the re-check over the
whole county again. Figures are printed; target ≤ 30 s for each. Run with
`.venv/bin/pytest tests/bench/test_bench_training_store.py -s -o addopts="" -m "postgres"`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from db.models import Enterprise, TrainingArchiveSheet, TrainingInstitution, TrainingLead
from db.rules.access import SYSTEM
from db.sample.seed import seed_sample
from db.training.storing import store_archive
from db.training.uploads import TrainingUnit, Upload, read_upload
from tests.bench import test_bench_training_audit
from training_audit import sample

CLASSES = 1_410  # × (1 class + 10 sessions + 50 sign-ins + 10 exams) = 100,110 rows
TARGET_S = 30.0


def _unit(
    session: Session, model: type[TrainingInstitution] | type[Enterprise], kind: str, offset: int
) -> TrainingUnit:
    row = session.exec(select(model).order_by(col(model.id)).offset(offset).limit(1)).one()
    return TrainingUnit(kind, int(row.id or 0), row.name, row.jurisdiction_id)


def test_store_a_100k_row_archive_with_county_wide_recheck(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the target is for PostgreSQL")
    seed_sample(engine, scale=0.05)
    monkeypatch.setattr(test_bench_training_audit, "CLASSES", CLASSES)
    folder = tmp_path / "县培训机构档案"
    signins = test_bench_training_audit.generate(folder)
    files = [(path.name, path.read_bytes()) for path in sorted(folder.iterdir())]
    load = os.getloadavg()[0]

    started = time.perf_counter()
    (upload,) = read_upload(files, folder_name=folder.name)
    read_s = time.perf_counter() - started
    rows = sum(len(sheet) for sheet in upload.archive.sheets.values())
    with Session(engine) as s:
        unit = _unit(s, TrainingInstitution, "institution", 0)
        started = time.perf_counter()
        result = store_archive(s, principal=SYSTEM, upload=upload, unit=unit)
        s.commit()
        store_s = time.perf_counter() - started
        stored_bytes = s.exec(select(func.sum(func.length(TrainingArchiveSheet.data)))).one()
        leads = s.exec(select(func.count()).select_from(TrainingLead)).one()

    small_sheets = sample.clean("基准企业", first_person=5000, teacher="基准教师", prefix="BM")
    small = Upload(
        name="基准企业.xlsx", digest="f" * 64, archive=sample.archive_of("基准企业.xlsx", small_sheets)
    )
    with Session(engine) as s:
        other = _unit(s, Enterprise, "enterprise", 5)
        other = TrainingUnit(other.target_kind, other.unit_id, "基准企业", other.jurisdiction_id)
        started = time.perf_counter()
        store_archive(s, principal=SYSTEM, upload=small, unit=other)
        s.commit()
        recheck_s = time.perf_counter() - started

    print(
        f"\ntraining store (PostgreSQL): archive of {rows:,} rows ({signins:,} sign-ins, {CLASSES:,} classes); "
        f"read {read_s:.1f} s; stored with the county-wide re-check in {store_s:.1f} s "
        f"({result.new_leads} new leads, {leads} in all; sheets {int(stored_bytes or 0) / 2**20:.1f} MiB compressed); "
        f"a further small archive re-checks the whole county in {recheck_s:.1f} s; "
        f"load average {load:.1f} on {os.cpu_count()} cores"
    )
    assert rows >= 100_000
    assert not result.duplicate and result.active_leads > 0
    assert store_s <= TARGET_S
    assert recheck_s <= TARGET_S
