"""A job's results: as §7 rows and CSV / XLSX files for people (through `verifier.results`), and as
the typed `JobResults` for programs (`verifier.contract`)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from anpei.clock import to_local
from verifier.contract import JobResults, job_results
from verifier.jobs import iter_decided
from verifier.results import result_row, write_csv, write_xlsx
from verifier.store import JobInfo, JobStore

EXPORT_MEDIA: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def local_time(utc: dt.datetime | None) -> dt.datetime | None:
    """A stored naive-UTC time as wall-clock time in the configured zone (`Settings.timezone`, Beijing
    time by default), for the people who read the result file. Programs read `job_records` (UTC)."""
    if utc is None:
        return None
    return to_local(utc.replace(tzinfo=dt.UTC)).replace(tzinfo=None, microsecond=0)


def iter_result_rows(
    store: JobStore, job: JobInfo, *, full_ids: bool = False, with_original: bool = False
) -> Iterator[dict[str, Any]]:
    for stored, decision in iter_decided(store, job):
        yield result_row(
            stored.row,
            decision,
            full_ids=full_ids,
            checked_at=local_time(stored.answered_at),
            with_original=with_original,
        )


def result_table(store: JobStore, job: JobInfo, *, full_ids: bool = False) -> list[dict[str, Any]]:
    """Every row of the job as a §7 dict, in roster order (IDs masked unless `full_ids`)."""
    return list(iter_result_rows(store, job, full_ids=full_ids))


def job_records(store: JobStore, job: JobInfo, *, full_ids: bool = False) -> JobResults:
    """Every row of the job, typed (`GET /v1/jobs/{id}/records`)."""
    return job_results(
        job,
        ((stored.row, decision, stored.answered_at) for stored, decision in iter_decided(store, job)),
        full_ids=full_ids,
    )


def write_results(
    store: JobStore, job: JobInfo, target: str | Path | IO[bytes], *, fmt: str, full_ids: bool = False
) -> None:
    """Write the job's result file: `csv` (§7 columns) or `xlsx` (original columns, then §7)."""
    if fmt == "csv":
        write_csv(result_table(store, job, full_ids=full_ids), target)
    elif fmt == "xlsx":
        rows = list(iter_result_rows(store, job, full_ids=full_ids, with_original=True))
        write_xlsx(rows, target, original_columns=job.original_columns)
    else:
        raise ValueError(f"不支持的结果格式 {fmt!r}：应为 csv 或 xlsx")


def export_bytes(store: JobStore, job: JobInfo, *, fmt: str, full_ids: bool = False) -> bytes:
    buffer = io.BytesIO()
    write_results(store, job, buffer, fmt=fmt, full_ids=full_ids)
    return buffer.getvalue()
