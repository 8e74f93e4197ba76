"""JSON forms of roster rows, certificate records and decisions, for the job store and the API.

Dates travel as ISO strings; every value is plain JSON so PostgreSQL and SQLite store the same text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from verifier.types import CertRecord, Decision, Family, Outcome, RosterRow, WarningCode

_ROW_DATES = ("appointment_date", "issue_date")
_RECORD_DATES = ("first_issue_date", "valid_from", "valid_until", "review_due", "review_done")


def plain(value: Any) -> Any:
    """Any spreadsheet cell or record value → a JSON-safe value (dates as ISO text)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return str(value)


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) and value else None


def row_to_json(row: RosterRow) -> dict[str, Any]:
    data = {f.name: getattr(row, f.name) for f in dataclasses.fields(row)}
    data["family"] = row.family.value
    data["warnings"] = [w.value for w in row.warnings]
    return {k: plain(v) for k, v in data.items()}


def row_from_json(data: Mapping[str, Any]) -> RosterRow:
    values = dict(data)
    values["family"] = Family(values["family"])
    values["warnings"] = [WarningCode(w) for w in values.get("warnings") or []]
    values["errors"] = list(values.get("errors") or [])
    values["original"] = dict(values.get("original") or {})
    for key in _ROW_DATES:
        values[key] = _date(values.get(key))
    known = {f.name for f in dataclasses.fields(RosterRow)}
    return RosterRow(**{k: v for k, v in values.items() if k in known})


def record_to_json(record: CertRecord) -> dict[str, Any]:
    data = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    return {k: plain(v) for k, v in data.items()}


def record_from_json(data: Mapping[str, Any]) -> CertRecord:
    values = dict(data)
    for key in _RECORD_DATES:
        values[key] = _date(values.get(key))
    values["raw"] = dict(values.get("raw") or {})
    values["is_history"] = bool(values.get("is_history"))
    known = {f.name for f in dataclasses.fields(CertRecord)}
    return CertRecord(**{k: v for k, v in values.items() if k in known})


def records_to_json(records: tuple[CertRecord, ...]) -> list[dict[str, Any]]:
    return [record_to_json(r) for r in records]


def records_from_json(data: list[Any]) -> tuple[CertRecord, ...]:
    return tuple(record_from_json(r) for r in data)


def decision_from_parts(
    *, outcome: str, warnings: str, problem: str, explanation: str, record: Mapping[str, Any] | None
) -> Decision:
    """Rebuild a Decision from its stored columns (warnings joined by `;`)."""
    return Decision(
        outcome=Outcome(outcome),
        warnings=tuple(WarningCode(w) for w in warnings.split(";") if w),
        problem=problem,
        explanation=explanation,
        record=record_from_json(record) if record else None,
    )
