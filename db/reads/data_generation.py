"""The data generation: one number that every write to a campaign table raises (issue 16).

Triggers raise `datageneration.value` in the writing transaction (migration `d7e3f1a9b2c4`), so the
number changes exactly when committed campaign data changes, whoever wrote it. A reader that keeps a
result keys it by the generation it read first: the dashboard's caches in every process
(`dashboard.data.sync`) and the stored county-wide figures (`db.reads.stored_figures`).

Not watched, on purpose: accounts (every login writes its row), the audit log, the verifier's job
targets, and the tables of this mechanism. No read that is kept depends on them.

Reach (migration `e8b2c6d4f1a7`): the same triggers write, into `jurisdictionchange`, the generation of
the last write that reached each jurisdiction. A row of a table in `REACH` reaches the jurisdictions its
columns name: `jurisdiction_id` and `member_unit_id` themselves, `enterprise_id` the enterprise's
township and supervising unit, `institution_id` the training institution's township, `inspection_id`
the inspection's own reach (a joint inspection of a township's enterprise by a member unit reaches
both). Every other write — to a table not in `REACH`, an update or delete of an enterprise or a person
(their names show in other jurisdictions' lists), any TRUNCATE — reaches the whole county (`COUNTY`).
One jurisdiction's own tables (`db.reads.one_jurisdiction`, `kpi_details` for one jurisdiction) read
nothing else, so they stay valid while no write reached that jurisdiction or the county
(`db.reads.stored_figures`, `dashboard.data.sync`); county-wide reads still follow the generation.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select, text
from sqlalchemy.engine import Connection
from sqlmodel import Session

from db.models import JurisdictionChange

# as in the migration; tests hold every table of the models either here or in UNWATCHED_TABLES
WATCHED_TABLES = (
    "campaign",
    "campaignphase",
    "certificatecheck",
    "checkitem",
    "enforcementaction",
    "enterprise",
    "finding",
    "inspection",
    "inspectionitemresult",
    "jurisdiction",
    "monthlyreport",
    "person",
    "selfinspectionreport",
    "summaryreport",
    "tip",
    "trainingarchive",
    "trainingarchivesheet",
    "traininginstitution",
    "traininglead",
)
UNWATCHED_TABLES = (
    "auditlog",
    "datageneration",
    "jurisdictionchange",
    "storedfigure",
    "user",
    "verifierjobtarget",
)

COUNTY = 0  # `jurisdictionchange.jurisdiction_id` of a write that reaches every jurisdiction
# as in the migration: the columns through which a written row reaches jurisdictions (above)
REACH: dict[str, tuple[str, ...]] = {
    "certificatecheck": ("jurisdiction_id", "enterprise_id"),
    "enforcementaction": ("jurisdiction_id", "enterprise_id", "institution_id"),
    "enterprise": ("jurisdiction_id", "member_unit_id"),
    "finding": ("jurisdiction_id", "enterprise_id", "institution_id"),
    "inspection": ("jurisdiction_id", "enterprise_id", "institution_id"),
    "inspectionitemresult": ("inspection_id",),
    "monthlyreport": ("jurisdiction_id",),
    "person": ("enterprise_id",),
    "selfinspectionreport": ("jurisdiction_id", "enterprise_id", "institution_id"),
    "summaryreport": ("jurisdiction_id",),
    "tip": ("jurisdiction_id", "enterprise_id", "institution_id"),
}
INSERTS_ONLY = ("enterprise", "person")  # their updates and deletes reach the county (names, moves)

_READ = text("SELECT value FROM datageneration WHERE id = 1")
_CHANGED = text("SELECT jurisdiction_id FROM jurisdictionchange WHERE generation > :seen")


def current(db: Session | Connection) -> int:
    """The generation as this transaction sees it (0 if its row is missing; a database not yet migrated
    to `d7e3f1a9b2c4` raises, and the dashboard then asks for `anpei db upgrade`)."""
    value = db.execute(_READ).scalar()
    return int(value or 0)


def changed_since(db: Session | Connection, generation: int) -> set[int] | None:
    """The jurisdictions a write committed after `generation` reached; None when one reached the whole
    county (then everything a reader kept is stale)."""
    reached = {int(j) for j in db.execute(_CHANGED, {"seen": generation}).scalars()}
    return None if COUNTY in reached else reached


_REACHED = JurisdictionChange.__table__  # type: ignore[attr-defined]


def last_reached(jurisdiction: Any) -> Any:
    """SQL: the generation of the last write that reached `jurisdiction` (an id or a column) or the
    whole county; 0 when none has since the reach was first recorded. A result kept for that one
    jurisdiction at a generation at least this new is still valid (`db.reads.stored_figures`)."""
    return (
        select(func.coalesce(func.max(_REACHED.c.generation), 0))
        .where(or_(_REACHED.c.jurisdiction_id == COUNTY, _REACHED.c.jurisdiction_id == jurisdiction))
        .scalar_subquery()
    )
