"""Raw platform responses are kept only `raw_response_days`: the purge (store, files, command, the
worker's daily run) removes old cached answers and record files and leaves job results alone."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from typer.testing import CliRunner

from anpei.settings import get_settings
from anpei_cli.cli import app
from verifier.retention import cutoff_for, purge_raw_responses
from verifier.store import JobStore, answers_table, job_rows_table, jobs_table
from verifier.worker import Worker

NOW = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)


def _store(tmp_path: Path) -> JobStore:
    store = JobStore.from_url(f"sqlite:///{tmp_path / 'verifier.db'}")
    store.create_tables()
    return store


def _answer(store: JobStore, key: str, fetched: dt.datetime) -> None:
    naive = fetched.astimezone(dt.UTC).replace(tzinfo=None)
    with store.engine.begin() as conn:
        conn.execute(
            insert(answers_table).values(
                family="special",
                id_number=key,
                name_key="测试",
                records=[],
                fetched_at=naive,
                recheck_after=naive + dt.timedelta(days=30),
                evidence=None,
            )
        )


def _job(store: JobStore) -> None:
    naive = NOW.replace(tzinfo=None) - dt.timedelta(days=400)
    with store.engine.begin() as conn:
        job_id = conn.execute(
            insert(jobs_table).values(
                created_at=naive,
                updated_at=naive,
                status="done",
                priority=0,
                as_of=naive.date(),
                default_family="special",
                filename="名单.csv",
                captcha="queue",
                original_columns=[],
                problems=[],
                total_rows=1,
                total_persons=1,
                queries=1,
            )
        ).inserted_primary_key[0]
        conn.execute(
            insert(job_rows_table).values(
                job_id=job_id,
                seq=1,
                row_number=2,
                person_key="k",
                roster={},
                outcome="VALID",
                warnings="",
                problem="",
                explanation="有效",
                record={"raw": {"name": "测试"}},
                from_cache=False,
                answered_at=naive,
            )
        )


def _count(store: JobStore, table: object) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def _files(directory: Path, ages: dict[str, int]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, days in ages.items():
        path = directory / name
        path.write_text("{}", encoding="utf-8")
        moment = (NOW - dt.timedelta(days=days)).timestamp()
        os.utime(path, (moment, moment))


def test_cutoff_and_refusal() -> None:
    assert cutoff_for(180, now=NOW) == NOW - dt.timedelta(days=180)
    with pytest.raises(ValueError):
        cutoff_for(-1, now=NOW)


def test_purge_removes_old_answers_and_files_and_keeps_job_results(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _answer(store, "old", NOW - dt.timedelta(days=200))
    _answer(store, "new", NOW - dt.timedelta(days=10))
    _job(store)
    records = tmp_path / "recordings"
    _files(records, {"a-old.json": 200, "b-new.json": 3, "notes.txt": 500})
    report = purge_raw_responses(store, days=180, record_dir=records, now=NOW)
    assert (report.answers, report.files) == (1, 1)
    with store.engine.connect() as conn:
        assert [r[0] for r in conn.execute(select(answers_table.c.id_number))] == ["new"]
    assert sorted(p.name for p in records.iterdir()) == ["b-new.json", "notes.txt"]
    assert _count(store, jobs_table) == 1 and _count(store, job_rows_table) == 1  # results untouched
    assert "缓存 1 条" in str(report) and "记录文件 1 个" in str(report)
    again = purge_raw_responses(store, days=180, record_dir=records, now=NOW)
    assert (again.answers, again.files) == (0, 0)
    store.dispose()


def test_worker_purges_once_a_day(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _answer(
        store, "ancient", dt.datetime.now(dt.UTC) - dt.timedelta(days=get_settings().raw_response_days + 5)
    )
    worker = Worker(store, settings=get_settings(), hub=None, record_dir=None)  # type: ignore[arg-type]
    assert worker.purge_if_due(now=1000.0) is True
    assert _count(store, answers_table) == 0
    _answer(
        store, "ancient", dt.datetime.now(dt.UTC) - dt.timedelta(days=get_settings().raw_response_days + 5)
    )
    assert worker.purge_if_due(now=1000.0 + 3600) is False  # not a day yet
    assert _count(store, answers_table) == 1
    assert worker.purge_if_due(now=1000.0 + 24 * 3600) is True
    assert _count(store, answers_table) == 0
    store.dispose()


def test_purge_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'verifier.db'}"
    store = _store(tmp_path)
    _answer(store, "old", dt.datetime.now(dt.UTC) - dt.timedelta(days=40))
    _answer(store, "new", dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    store.dispose()
    monkeypatch.setenv("ANPEI_VERIFIER_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            app, ["verifier", "purge", "--days", "30", "--record-dir", str(tmp_path / "none")]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "缓存 1 条" in result.output and "记录文件 0 个" in result.output
