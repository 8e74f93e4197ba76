"""The sample county: a deterministic, synthetic but realistic Fengdu for demos, tests and benchmarks.

`seed_sample(engine, scale=1)` writes 30 townships, 15 member units, ~2,500 enterprises, ~20,000
special-operation workers, ~3,000 managers, the campaign's inspections, findings, actions,
certificate checks and monthly tables. `scale` multiplies enterprises, people and records (the
jurisdictions stay); the same seed and scale always give the same rows.

Generation walks enterprise by enterprise (each one's people, inspections and their consequences
together), so memory stays bounded at any scale; rows go out through `BulkWriter` in chunks.
"""

from __future__ import annotations

import functools
import random
import time
from dataclasses import dataclass, field

from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel, func

from db import migrate
from db.accounts.auth import hash_password
from db.codes import (
    Role,
)
from db.rules.campaign_defaults import ensure_default_campaign
from db.sample.bulk import SEED_TIMESTAMP, BulkWriter
from db.sample.county import CountyGenerator
from db.sample.reports import ReportsGenerator, training_archives_

# The sample county's demo accounts all get this password, so that `anpei demo` can be tried at once
# (printed by `anpei demo`). Only `seed_sample` sets it — a real deployment never loads the sample
# county and creates its accounts with `anpei user add`, which enforces the password policy.
DEMO_PASSWORD = "anpei-demo-2023"
# username, display name, role, unit (local staff)
DEMO_ACCOUNTS: tuple[tuple[str, str, Role, str], ...] = (
    ("admin", "系统管理员", Role.ADMIN, ""),
    ("leader", "局领导", Role.LEADER, ""),
    ("county", "宣教法规科", Role.COUNTY_STAFF, ""),
    ("sanhe", "三合街道应急办", Role.LOCAL_STAFF, "三合街道"),
    ("jxw", "县经济信息委", Role.LOCAL_STAFF, "县经济信息委"),
)


@functools.cache
def demo_password_hash() -> str:
    """One argon2id hash of DEMO_PASSWORD per process (hashing is deliberately slow)."""

    return hash_password(DEMO_PASSWORD)


class SeedRefused(RuntimeError):
    """The database already holds county data and `force` was not given."""


@dataclass
class SeedReport:
    scale: float
    seed: int
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.counts.values())

    def __str__(self) -> str:
        c = self.counts
        workers = c.get("person", 0)
        return (
            f"单位 {c.get('jurisdiction', 0)} 个，企业 {c.get('enterprise', 0)} 家，人员 {workers} 人，"
            f"检查 {c.get('inspection', 0)} 次，问题 {c.get('finding', 0)} 条，证书核验 {c.get('certificatecheck', 0)} 条，"
            f"月报 {c.get('monthlyreport', 0)} 份，培训档案 {c.get('trainingarchive', 0)} 份（线索 {c.get('traininglead', 0)} 条）；"
            f"共 {self.total_rows} 行，用时 {self.seconds:.1f} 秒"
        )


# --- database state ---------------------------------------------------------------------------

COUNTY_TABLES = ("jurisdiction", "enterprise", "person", "inspection", "monthlyreport")


def database_is_empty(engine: Engine) -> bool:
    """True when no county data is present (a missing schema counts as empty)."""
    names = set(inspect(engine).get_table_names())
    if not set(COUNTY_TABLES) <= names:
        return True
    with engine.connect() as conn:
        for name in COUNTY_TABLES:
            if conn.execute(text(f'SELECT 1 FROM "{name}" LIMIT 1')).first() is not None:
                return False
    return True


# accounts and the append-only audit log survive a forced re-seed; so does the data generation's one
# row and its reach, which the wipe's own deletes raise (every process's kept reads are then dropped)
KEPT_TABLES = ("user", "auditlog", "datageneration", "jurisdictionchange")


def wipe_campaign_data(engine: Engine) -> None:
    """Delete the campaign's rows (children first); accounts and the audit log stay.

    Users keep their rows but lose their link to a jurisdiction (the seed links the sample users
    again); the audit log is append-only and is never touched.
    """
    user = SQLModel.metadata.tables["user"]
    tables = [t for t in reversed(SQLModel.metadata.sorted_tables) if t.name not in KEPT_TABLES]
    with engine.begin() as conn:
        conn.execute(user.update().values(jurisdiction_id=None))
        if conn.dialect.name == "postgresql":
            # `user` references jurisdiction, so that one table is emptied with DELETE
            names = ", ".join(f'"{t.name}"' for t in tables if t.name != "jurisdiction")
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
            conn.execute(text('DELETE FROM "jurisdiction"'))
            conn.execute(text("SELECT setval(pg_get_serial_sequence('\"jurisdiction\"', 'id'), 1, false)"))
        else:
            for table in tables:
                conn.execute(table.delete())


# --- the generator --------------------------------------------------------------------------


class _Generator(CountyGenerator, ReportsGenerator):
    """The whole sample county, in the order its rows depend on each other."""

    def users(self, existing: dict[str, int]) -> None:
        """One sample account per role; accounts that already exist are linked again, not duplicated."""
        units = {"sanhe": self.township_ids[0], "jxw": self.unit_ids["jxw"]}
        rows = [
            (username, display, role, units.get(username)) for username, display, role, _ in DEMO_ACCOUNTS
        ]
        self.w.next_ids["user"] = max(existing.values(), default=0)
        for username, display, role, jid in rows:
            if username in existing:
                if jid is not None:
                    self.relink[username] = jid
                continue
            self.w.add(
                "user",
                {
                    "id": self.w.next_id("user"),
                    "username": username,
                    "display_name": display,
                    "password_hash": demo_password_hash(),
                    "role": role.value,
                    "jurisdiction_id": jid,
                    "active": True,
                    "failed_logins": 0,
                    "locked_until": None,
                    "created_at": SEED_TIMESTAMP,
                },
            )

    def run(self, existing_users: dict[str, int], *, demo_accounts: bool) -> None:
        self.jurisdictions()
        self.institutions_()
        self.enterprises()
        self.institution_inspections()
        self.monthly_reports()
        self.summary_reports()
        if demo_accounts:
            self.users(existing_users)


# --- entry point ------------------------------------------------------------------------------

DEMO_BESIDE_OTHERS = (
    "数据库中已有正式账号（{names}），不能再建公开密码的演示账号；演示请用单独的数据库（anpei demo）"
)


def refuse_demo_accounts_beside_others(engine: Engine) -> None:
    """SeedRefused when the database has an account that is not one of the demo accounts."""
    demo_names = {username for username, *_ in DEMO_ACCOUNTS}
    user = SQLModel.metadata.tables["user"]
    with engine.connect() as conn:
        others = sorted(n for n in conn.execute(select(user.c.username)).scalars() if n not in demo_names)
    if others:
        raise SeedRefused(
            DEMO_BESIDE_OTHERS.format(names="、".join(others[:5]) + ("等" if len(others) > 5 else ""))
        )


def seed_sample(
    engine: Engine,
    *,
    scale: float = 1,
    seed: int = 2024,
    force: bool = False,
    chunk_size: int = 5000,
    demo_accounts: bool = False,
) -> SeedReport:
    """Migrate, then write the sample county. Refuses a database with county data unless `force`.

    `force` wipes the campaign's tables first (`wipe_campaign_data`: accounts and audit log stay).
    `demo_accounts` (what `anpei demo` passes) adds one account per role with the public demo
    password; never beside other accounts (SeedRefused), so a deployment never gets them.
    """
    if scale <= 0:
        raise ValueError("scale must be positive")
    started = time.monotonic()
    migrate.upgrade(engine)
    if demo_accounts:
        refuse_demo_accounts_beside_others(engine)
    if not database_is_empty(engine):
        if not force:
            raise SeedRefused("数据库中已有数据，拒绝载入示例数据；如确需清空后重新载入，请加 --force")
        wipe_campaign_data(engine)
    with Session(engine) as session:
        campaign = ensure_default_campaign(session)
        session.commit()
        assert campaign.id is not None
        campaign_id = campaign.id
    user = SQLModel.metadata.tables["user"]
    with engine.begin() as conn:
        existing_users = {r.username: r.id for r in conn.execute(select(user.c.username, user.c.id))}
        writer = BulkWriter(conn, chunk_size=chunk_size)
        generator = _Generator(writer, rng=random.Random(seed), scale=scale, campaign_id=campaign_id)
        generator.run(existing_users, demo_accounts=demo_accounts)
        writer.finish()
        for username, jid in generator.relink.items():
            conn.execute(user.update().where(user.c.username == username).values(jurisdiction_id=jid))
        _analyze(conn)
    counts = dict(writer.counts)
    counts.update(training_archives_(engine, township_id=generator.township_ids[0]))
    return SeedReport(
        scale=scale, seed=seed, seconds=time.monotonic() - started, counts=dict(sorted(counts.items()))
    )


def _analyze(conn: Connection) -> None:
    """Fresh planner statistics after a bulk load, for the tables written (a bare ANALYZE would take a
    lock on every table of the database: other schemas, other applications, concurrent tests)."""
    if conn.dialect.name != "postgresql":
        conn.execute(text("ANALYZE"))  # SQLite: the file is the database
        return
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    conn.execute(text(f"ANALYZE {names}"))


def seeded_counts(engine: Engine) -> dict[str, int]:
    """Rows per model table (for reports and tests)."""
    out: dict[str, int] = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            out[table.name] = int(conn.execute(select(func.count()).select_from(table)).scalar_one())
    return out


__all__ = [
    "SeedRefused",
    "SeedReport",
    "database_is_empty",
    "seed_sample",
    "seeded_counts",
    "wipe_campaign_data",
]
