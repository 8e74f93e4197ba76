"""The data generation: one number that every write to a campaign table raises (issue 16).

Triggers raise `datageneration.value` in the writing transaction (migration `d7e3f1a9b2c4`), so the
number changes exactly when committed campaign data changes, whoever wrote it. A reader that keeps a
result keys it by the generation it read first: the dashboard's caches in every process
(`dashboard.data.sync`) and the stored county-wide figures (`db.reads.stored_figures`).

Not watched, on purpose: accounts (every login writes its row), the audit log, the verifier's job
targets, and the two tables of this mechanism. No read that is kept depends on them.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import Session

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
UNWATCHED_TABLES = ("auditlog", "datageneration", "storedfigure", "user", "verifierjobtarget")

_READ = text("SELECT value FROM datageneration WHERE id = 1")


def current(db: Session | Connection) -> int:
    """The generation as this transaction sees it (0 if its row is missing; a database not yet migrated
    to `d7e3f1a9b2c4` raises, and the dashboard then asks for `anpei db upgrade`)."""
    value = db.execute(_READ).scalar()
    return int(value or 0)
