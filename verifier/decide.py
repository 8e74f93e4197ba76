"""From a roster row and the platform's answer to a decision (verification.md §4–§6).

Pure functions: no I/O, no clock (the as-of date is an argument).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from verifier.catalogue import is_unknown_item
from verifier.dates import grace_end
from verifier.explain import explain
from verifier.ids import sex_from_id
from verifier.names import item_key, name_key, normalise_code
from verifier.types import (
    CertRecord,
    Decision,
    Family,
    Outcome,
    PlatformAnswer,
    Problem,
    RosterRow,
    WarningCode,
)

SOON = dt.timedelta(days=60)
REVIEW_WINDOW = dt.timedelta(days=60)  # the review is applied for within the 60 days before it is due
DATA_LAG_DAYS = 3

_REVOKED_RE = re.compile(r"(?<!未)(注销|撤销|吊销|失效)")
_WARNING_ORDER = {code: i for i, code in enumerate(WarningCode)}

_INVALID_OUTCOMES = frozenset(
    {
        Outcome.EXPIRED,
        Outcome.REVIEW_OVERDUE,
        Outcome.REVOKED_OR_CANCELLED,
        Outcome.HISTORICAL_ONLY,
        Outcome.CATEGORY_MISMATCH,
    }
)
_ABSENT_OUTCOMES = frozenset({Outcome.NOT_FOUND, Outcome.NAME_MISMATCH})


# --- record predicates --------------------------------------------------------------------------


def is_revoked(record: CertRecord) -> bool:
    """Status text contains 注销, 撤销, 吊销 or 失效, not immediately preceded by 未."""
    return bool(record.status and _REVOKED_RE.search(record.status))


def is_expired(record: CertRecord, *, as_of: dt.date) -> bool:
    """Validity ended before the as-of date (the end date itself is still valid)."""
    return record.valid_until is not None and record.valid_until < as_of


def _reviewed_in_time(record: CertRecord) -> bool:
    if record.review_due is None or record.review_done is None:
        return False
    return record.review_done >= record.review_due - REVIEW_WINDOW


def is_review_overdue(record: CertRecord, *, family: Family, as_of: dt.date) -> bool:
    """`special`: review due before the as-of date and no review on or after (due − 60 days)."""
    if family is not Family.SPECIAL or record.review_due is None:
        return False
    return record.review_due < as_of and not _reviewed_in_time(record)


def standing(record: CertRecord, *, family: Family, as_of: dt.date) -> tuple[bool, bool, bool]:
    """Sort key, smaller is better: (revoked, expired, overdue for review)."""
    return (
        is_revoked(record),
        is_expired(record, as_of=as_of),
        is_review_overdue(record, family=family, as_of=as_of),
    )


def record_matches(row: RosterRow, record: CertRecord) -> bool:
    """Does the record match what the roster requires (item, else category; person type for safety)?

    Exact match after removing white space and NFKC; never a substring.
    """
    if row.family is Family.SAFETY:
        if row.person_type and item_key(row.person_type):
            return record.person_type is not None and item_key(record.person_type) == item_key(
                row.person_type
            )
        return True
    if row.item and item_key(row.item):
        return record.item is not None and item_key(record.item) == item_key(row.item)
    if row.category and item_key(row.category):
        return record.category is not None and item_key(record.category) == item_key(row.category)
    return True


def choose_record(records: Sequence[CertRecord], *, family: Family, as_of: dt.date) -> CertRecord:
    """Best standing, then latest end date (missing = earliest), then the first in answer order."""

    def key(indexed: tuple[int, CertRecord]) -> tuple[tuple[bool, bool, bool], int, int]:
        index, record = indexed
        end = record.valid_until.toordinal() if record.valid_until else 0
        return standing(record, family=family, as_of=as_of), -end, index

    return min(enumerate(records), key=key)[1]


# --- warnings -----------------------------------------------------------------------------------


def record_warnings(row: RosterRow, record: CertRecord, *, as_of: dt.date) -> list[WarningCode]:
    """The five record warnings of §5, for the chosen record."""
    warnings: list[WarningCode] = []
    horizon = as_of + SOON
    if record.valid_until is not None and as_of <= record.valid_until <= horizon:
        warnings.append(WarningCode.EXPIRES_SOON)
    if row.family is Family.SPECIAL:
        if record.review_due is None:
            warnings.append(WarningCode.REVIEW_DATE_MISSING)
        elif as_of <= record.review_due <= horizon and not _reviewed_in_time(record):
            warnings.append(WarningCode.REVIEW_DUE_SOON)
    sex = (record.sex or "").strip()
    expected = sex_from_id(row.id_number)
    if sex in ("男", "女") and expected is not None and sex != expected:
        warnings.append(WarningCode.SEX_MISMATCH)
    if row.family is Family.SPECIAL and is_unknown_item(category=record.category, item=record.item):
        warnings.append(WarningCode.UNKNOWN_ITEM)
    return warnings


def row_warnings(row: RosterRow, outcome: Outcome, *, as_of: dt.date) -> list[WarningCode]:
    """The row's own warnings: LEGACY_ID_CONVERTED (from reading), DATA_MAY_LAG, WITHIN_APPOINTMENT_GRACE."""
    warnings = list(row.warnings)
    if (
        outcome is Outcome.NOT_FOUND
        and row.issue_date is not None
        and 0 <= (as_of - row.issue_date).days <= DATA_LAG_DAYS
    ):
        warnings.append(WarningCode.DATA_MAY_LAG)
    if (
        outcome in _ABSENT_OUTCOMES
        and row.family is Family.SAFETY
        and row.appointment_date is not None
        and grace_end(row.appointment_date) >= as_of
    ):
        warnings.append(WarningCode.WITHIN_APPOINTMENT_GRACE)
    return warnings


def _ordered(warnings: Sequence[WarningCode]) -> tuple[WarningCode, ...]:
    return tuple(sorted(set(warnings), key=_WARNING_ORDER.__getitem__))


# --- the certificate number ---------------------------------------------------------------------


def presented_number(row: RosterRow) -> str:
    """The roster's certificate number after §2 normalisation ('' when none)."""
    return normalise_code(row.cert_number) if row.cert_number else ""


def cert_number_mismatch(row: RosterRow, record: CertRecord) -> bool:
    """`special`: presented number is not T + ID. `safety`: differs from the platform's, when it has one."""
    presented = presented_number(row)
    if not presented:
        return False
    if row.family is Family.SPECIAL:
        return presented != "T" + row.id_number
    platform = normalise_code(record.cert_number) if record.cert_number else ""
    return bool(platform) and presented != platform


# --- §6 -----------------------------------------------------------------------------------------


def problem_for(
    *, family: Family, outcome: Outcome, warnings: Sequence[WarningCode], number_presented: bool
) -> str:
    """The 问题 column (§6); '' for non-verdicts, valid rows and safety rows within the grace period."""
    if not outcome.is_verdict:
        return ""
    if outcome is Outcome.CERT_NUMBER_MISMATCH:
        return Problem.FAKE.value
    if outcome in _INVALID_OUTCOMES:
        return Problem.INVALID.value
    if outcome in _ABSENT_OUTCOMES:
        if family is Family.SPECIAL:
            return (Problem.FAKE if number_presented else Problem.UNLICENSED).value
        if WarningCode.WITHIN_APPOINTMENT_GRACE in warnings:
            return ""
        return Problem.MANAGER_OVERDUE.value
    return ""


# --- the decision -------------------------------------------------------------------------------


def decide(
    row: RosterRow, answer: PlatformAnswer | None, *, as_of: dt.date, stopped: bool = False
) -> Decision:
    """Decide one row (§4 order). `answer` None means not queried: only allowed when invalid or stopped."""
    if not row.is_valid:
        return _finish(row, Outcome.INPUT_INVALID, (), None, as_of=as_of, detail="；".join(row.errors))
    if answer is None:
        if not stopped:
            raise ValueError(f"row {row.row_number} is valid and was not stopped, but has no answer")
        return _finish(row, Outcome.NOT_CHECKED, (), None, as_of=as_of)
    if answer.failure is not None:
        return _finish(row, answer.failure, (), None, as_of=as_of, detail=answer.detail)
    records = answer.records or ()
    if not records:
        return _finish(row, Outcome.NOT_FOUND, records, None, as_of=as_of)
    current = [r for r in records if not r.is_history]
    if not current:
        return _finish(row, Outcome.HISTORICAL_ONLY, records, None, as_of=as_of)
    wanted = name_key(row.name)
    named = [r for r in current if name_key(r.name) == wanted]
    if not named:
        return _finish(row, Outcome.NAME_MISMATCH, records, None, as_of=as_of)
    matching = [r for r in named if record_matches(row, r)]
    if not matching:
        return _finish(row, Outcome.CATEGORY_MISMATCH, records, None, as_of=as_of)
    chosen = choose_record(matching, family=row.family, as_of=as_of)
    warnings = record_warnings(row, chosen, as_of=as_of)
    if is_revoked(chosen):
        outcome = Outcome.REVOKED_OR_CANCELLED
    elif is_expired(chosen, as_of=as_of):
        outcome = Outcome.EXPIRED
    elif is_review_overdue(chosen, family=row.family, as_of=as_of):
        outcome = Outcome.REVIEW_OVERDUE
    elif cert_number_mismatch(row, chosen):
        outcome = Outcome.CERT_NUMBER_MISMATCH
    else:
        outcome = Outcome.VALID
    return _finish(row, outcome, records, chosen, as_of=as_of, record_warns=warnings)


def _finish(
    row: RosterRow,
    outcome: Outcome,
    records: Sequence[CertRecord],
    chosen: CertRecord | None,
    *,
    as_of: dt.date,
    detail: str = "",
    record_warns: Sequence[WarningCode] = (),
) -> Decision:
    warnings = _ordered([*record_warns, *row_warnings(row, outcome, as_of=as_of)])
    if outcome is Outcome.VALID and warnings:
        outcome = Outcome.VALID_WITH_WARNINGS
    problem = problem_for(
        family=row.family, outcome=outcome, warnings=warnings, number_presented=bool(presented_number(row))
    )
    explanation = explain(
        row, outcome, warnings=warnings, records=records, chosen=chosen, as_of=as_of, detail=detail
    )
    return Decision(
        outcome=outcome, warnings=warnings, problem=problem, explanation=explanation, record=chosen
    )
