"""Saving a verifier job's results to the target chosen at submit (Streamlit-free, tested with pytest).

The 核验名单 page calls `save_if_finished` whenever it shows a finished job: the results are saved to
the target recorded in `VerifierJobTarget` without a second click, once per answered row count (a
resumed job that answered more rows is saved again), and the page says where they went.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlmodel import Session

from dashboard import verify_results
from db.records import cert_results, verifier_jobs
from db.records.verifier_jobs import SaveTarget
from db.rules.access import Principal

BEIJING = dt.timezone(dt.timedelta(hours=8))


class ResultSource(Protocol):
    def results_file(self, job_id: int, *, fmt: str = "xlsx", full_ids: bool = False) -> bytes: ...


@dataclass(frozen=True)
class SaveOutcome:
    target: SaveTarget | None  # None: no target recorded (a job from before targets were recorded)
    saved_now: bool
    message: str  # Chinese, for the page


def _when(at: dt.datetime | None) -> str:
    if at is None:
        return ""
    aware = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return aware.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def save_job(
    session: Session,
    *,
    principal: Principal,
    client: ResultSource,
    job: Mapping[str, Any],
    jurisdiction_id: int | None,
    enterprise_id: int | None,
) -> str:
    """Store the job's verdicts against the target; the summary line (flushes, does not commit)."""
    rows = verify_results.read_result_workbook(client.results_file(int(job["id"]), fmt="xlsx", full_ids=True))
    ref = cert_results.job_ref_for(int(job["id"]), str(job["created_at"]))
    report = cert_results.save_job_results(
        session,
        principal=principal,
        job_ref=ref,
        as_of=dt.date.fromisoformat(str(job["as_of"])),
        rows=rows,
        enterprise_id=enterprise_id,
        jurisdiction_id=jurisdiction_id,
    )
    verifier_jobs.mark_saved(
        session, job=verifier_jobs.job_key(job), rows=int(job["progress"]["done"]), summary=report.summary
    )
    return report.summary


def save_if_finished(
    session: Session,
    *,
    principal: Principal,
    client: ResultSource,
    job: Mapping[str, Any],
) -> SaveOutcome:
    """Save a finished job's results to its recorded target unless already saved for these rows."""
    key = verifier_jobs.job_key(job)
    target = verifier_jobs.target_of(session, principal=principal, job=key)
    if target is None:
        return SaveOutcome(None, False, "这个任务提交时没有登记名单所属单位，请在下面选择后保存。")
    done = int(job["progress"]["done"])
    if done == 0:
        return SaveOutcome(target, False, f"还没有核验结果；有结果后会自动保存到“{target.label}”。")
    if not target.needs_saving(done):
        return SaveOutcome(
            target,
            False,
            f"核验结果已于 {_when(target.saved_at)} 保存到“{target.label}”：{target.saved_summary}",
        )
    summary = save_job(
        session,
        principal=principal,
        client=client,
        job=job,
        jurisdiction_id=target.jurisdiction_id,
        enterprise_id=target.enterprise_id,
    )
    return SaveOutcome(
        target, True, f"已核验的 {done} 行结果已自动保存到提交时选择的“{target.label}”：{summary}"
    )
