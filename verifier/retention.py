"""Raw platform responses are kept only as long as configured (`Settings.raw_response_days`).

Two kinds are purged: cached platform answers in the job store (`JobStore.purge_answers`) and the
files the client's record mode writes (one JSON exchange per query, under a record directory).
Job results are never touched. The worker runs `purge_raw_responses` once a day; `anpei verifier
purge` runs it on demand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from verifier.store import JobStore

RECORD_SUFFIXES = (".json",)


@dataclass(frozen=True)
class RetentionReport:
    cutoff: dt.datetime  # UTC: anything older was removed
    answers: int
    files: int

    def __str__(self) -> str:
        return (
            f"已删除 {self.cutoff:%Y-%m-%d %H:%M} (UTC) 之前的平台原始答复：缓存 {self.answers} 条，"
            f"记录文件 {self.files} 个"
        )


def cutoff_for(days: float, *, now: dt.datetime | None = None) -> dt.datetime:
    """The moment before which raw responses are removed (timezone-aware UTC)."""
    if days < 0:
        raise ValueError("保留天数不能为负数")
    return (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC) - dt.timedelta(days=days)


def purge_record_files(directory: Path, *, before: dt.datetime) -> int:
    """Delete record-mode files in `directory` (and below) last modified before `before`."""
    if not directory.is_dir():
        return 0
    limit = before.timestamp()
    removed = 0
    for path in directory.rglob("*"):
        if path.is_file() and path.suffix.lower() in RECORD_SUFFIXES and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def purge_raw_responses(
    store: JobStore, *, days: float, record_dir: Path | None = None, now: dt.datetime | None = None
) -> RetentionReport:
    """Remove cached answers and record files older than `days`; job results stay."""
    cutoff = cutoff_for(days, now=now)
    answers = store.purge_answers(fetched_before=cutoff)
    files = purge_record_files(record_dir, before=cutoff) if record_dir is not None else 0
    return RetentionReport(cutoff=cutoff, answers=answers, files=files)
