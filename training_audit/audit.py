"""The audit as one call: prepared rows → derived facts → leads (training-audit.md §2–§4)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from training_audit.columns import SHEET_ORDER
from training_audit.facts import derive
from training_audit.leads import Lead
from training_audit.prepare import prepare
from training_audit.rules import run_rules
from training_audit.rules_config import Rules, default_rules
from training_audit.tables import Archive, InputProblem


@dataclass
class AuditResult:
    archives: list[str]  # archive names in command-line order (evidence refers to them by position)
    leads: list[Lead]
    problems: list[InputProblem]


def audit(
    archives: Sequence[Archive],
    *,
    rules: Rules | None = None,
    daily_cap: Decimal | None = None,
    as_of: dt.date | None = None,
) -> AuditResult:
    """Audit `archives` together; `ArchiveError` when they cannot be used (duplicate classes …)."""
    rules = (rules or default_rules()).with_daily_cap(daily_cap)
    prepared = prepare(archives, rules=rules, as_of=as_of or dt.date.today())
    facts = derive(prepared, rules)
    leads = run_rules(prepared, facts, rules)
    problems = sorted(
        prepared.problems,
        key=lambda p: (p.archive_index, SHEET_ORDER.get(p.sheet, 9), -1 if p.row is None else p.row),
    )
    return AuditResult(archives=prepared.archives, leads=leads, problems=problems)
