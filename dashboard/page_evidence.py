"""A result page saved from the platform's website, checked for one person. Streamlit-free.

The person goes through the one roster reader (the same local checks as a roster row), the page
through `verifier.pages.parse_saved_page`, and the pair through `verifier.decide.decide`: a manual
check on the website gets exactly the conclusion a batch job would have given.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from verifier.contract import ResultRecord, result_record
from verifier.decide import decide
from verifier.pages import PageLayoutError, SavedPage, parse_saved_page
from verifier.roster import RosterError, read_records
from verifier.types import Decision, Family, PlatformAnswer, RosterRow


class EvidenceError(ValueError):
    """The person or the page cannot be used; the message is Chinese."""


@dataclass(frozen=True)
class PageCheck:
    row: RosterRow
    page: SavedPage
    decision: Decision
    record: ResultRecord  # as the service's typed results give a row, full ID number (for saving)


def person_row(
    *,
    name: str,
    id_number: str,
    family: Family,
    as_of: dt.date,
    cert_number: str = "",
    item: str = "",
    person_type: str = "",
    appointment_date: dt.date | None = None,
) -> RosterRow:
    """One person as a roster row (the roster reader's normalisation and checks)."""
    values = {
        "name": name,
        "id_number": id_number,
        "cert_number": cert_number,
        "item": item,
        "person_type": person_type,
        "appointment_date": appointment_date.isoformat() if appointment_date else "",
    }
    try:
        roster = read_records([values], default_family=family, as_of=as_of)
    except RosterError as exc:
        raise EvidenceError(exc.message) from exc
    row = roster.rows[0]
    if row.errors:
        raise EvidenceError("人员信息有误：" + "；".join(row.errors))
    row.row_number = 1
    return row


def check_page(html: bytes | str, row: RosterRow, *, as_of: dt.date, checked_at: dt.datetime) -> PageCheck:
    """Read the page and decide the person's outcome from it. EvidenceError for an unknown page."""
    try:
        page = parse_saved_page(html)
    except PageLayoutError as exc:
        raise EvidenceError(f"无法识别这个页面：{exc}") from exc
    decision = decide(row, PlatformAnswer(records=page.records), as_of=as_of)
    record = result_record(row, decision, checked_at=checked_at, full_ids=True)
    return PageCheck(row, page, decision, record)
