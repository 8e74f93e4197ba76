"""The sample county: deterministic, refuses a non-empty database, and internally consistent."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from db import migrate
from db.codes import MonthlyStatus, PersonRole, RiskClass
from db.models import CertificateCheck, Enterprise, MonthlyReport, Person, User
from db.reads import campaign_calendar, month_figures, status_grid
from db.rules.access import SYSTEM
from db.sample.ids import is_valid_id_number
from db.sample.seed import SeedRefused, database_is_empty, seed_sample, seeded_counts
from db.uscc import is_valid_uscc

SMALL = 0.05  # about 125 enterprises: fast, yet every kind of row appears

CHECKSUM_TABLES = (
    "jurisdiction",
    "enterprise",
    "person",
    "inspection",
    "inspectionitemresult",
    "finding",
    "enforcementaction",
    "certificatecheck",
    "monthlyreport",
    "tip",
    "trainingarchive",
    "trainingarchivesheet",
    "traininglead",
)


def content_checksum(engine: Engine) -> str:
    """SHA-256 over every row of the main tables, in id order."""
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for name in CHECKSUM_TABLES:
            table = SQLModel.metadata.tables[name]
            for row in conn.execute(table.select().order_by(table.c.id)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def test_seed_is_deterministic_and_refuses_without_force(engine: Engine) -> None:
    assert database_is_empty(engine)
    first = seed_sample(engine, scale=SMALL, demo_accounts=True)
    assert not database_is_empty(engine)
    counts, checksum = seeded_counts(engine), content_checksum(engine)
    assert counts["jurisdiction"] == 45
    assert first.counts["person"] == counts["person"]

    with pytest.raises(SeedRefused, match="--force"):
        seed_sample(engine, scale=SMALL, demo_accounts=True)
    assert seeded_counts(engine) == counts

    seed_sample(engine, scale=SMALL, force=True, demo_accounts=True)
    assert seeded_counts(engine) == counts
    assert content_checksum(engine) == checksum

    seed_sample(engine, scale=SMALL, seed=7, force=True, demo_accounts=True)
    assert content_checksum(engine) != checksum


def test_seeded_identifiers_are_valid(seeded: Engine) -> None:
    with Session(seeded) as session:
        usccs = session.exec(select(Enterprise.uscc)).all()
        ids = session.exec(select(Person.id_number)).all()
    assert usccs and all(code and is_valid_uscc(code) for code in usccs)
    assert len(set(usccs)) == len(usccs)
    assert ids and all(is_valid_id_number(n) for n in ids)


def test_sector_mix_and_people(seeded: Engine) -> None:
    with Session(seeded) as session:
        enterprises = session.exec(select(Enterprise)).all()
        roles = session.exec(select(Person.role)).all()
        managers_without_date = session.exec(
            select(Person).where(
                Person.role != PersonRole.SPECIAL_WORKER.value, Person.appointment_date.is_(None)
            )  # type: ignore[union-attr]
        ).all()
    by_class = {c.value: sum(e.risk_class == c.value for e in enterprises) for c in RiskClass}
    assert by_class["high_risk"] >= 2
    assert 0.15 < by_class["industry_trade"] / len(enterprises) < 0.35
    assert all(e.member_unit_id is not None for e in enterprises)
    assert len({e.name for e in enterprises}) == len(enterprises)
    workers = roles.count(PersonRole.SPECIAL_WORKER.value)
    assert 5 < workers / (len(roles) - workers) < 9  # ~20,000 workers to ~3,000 managers
    assert managers_without_date == []


def test_operation_items_are_in_the_national_catalogue(seeded: Engine) -> None:
    from verifier.catalogue import is_unknown_item

    with Session(seeded) as session:
        rows = session.exec(
            select(CertificateCheck.category, CertificateCheck.item)
            .where(CertificateCheck.family == "special")
            .distinct()
        ).all()
    rows = [r for r in rows if r[1]]
    assert rows
    assert [r for r in rows if is_unknown_item(category=r[0], item=r[1])] == []


def test_monthly_tables_reconcile_with_records(seeded: Engine) -> None:
    with Session(seeded) as session:
        reports = {(r.jurisdiction_id, r.month): r for r in session.exec(select(MonthlyReport)).all()}
        months = campaign_calendar.campaign_months(session)
        grid = status_grid.monthly_status_grid(session, principal=SYSTEM, months=months)
        rows = {
            (r.jurisdiction_id, r.month): r
            for m in months
            for r in month_figures.township_month_summary(session, principal=SYSTEM, month=m)
        }
    statuses = [cell.status for cell in grid]
    assert len(grid) == 45 * 4
    for status in (MonthlyStatus.SUBMITTED, MonthlyStatus.LATE, MonthlyStatus.UNREPORTED, MonthlyStatus.ZERO):
        assert status.value in statuses, status
    for key, report in reports.items():
        row = rows[key]
        assert report.enterprises_inspected == row.enterprises_inspected, key
        assert report.high_risk_inspected == row.high_risk_inspected, key
        assert report.industry_trade_inspected == row.industry_trade_inspected, key
        assert report.workers_checked == row.workers_checked, key
        assert report.unlicensed == row.unlicensed, key
        assert report.suspected_fake == row.suspected_fake, key
        assert report.managers_overdue == row.managers_overdue, key
        assert report.cases == row.cases, key
        assert report.exposures == row.exposures, key
        assert report.fines_wan * 10000 == row.fines_yuan, key
        assert report.problems_found == sum(report.problems_by_item.values())
        if report.status == MonthlyStatus.ZERO.value:
            assert report.enterprises_inspected == 0 and report.institutions_inspected == 0


def test_postgres_sequences_continue_after_seed(seeded: Engine) -> None:
    if seeded.dialect.name != "postgresql":
        pytest.skip("sequences exist on PostgreSQL only")
    with seeded.begin() as conn:
        new_id = conn.execute(
            text(
                "INSERT INTO jurisdiction (code, name, kind, sort_order, active) VALUES ('x', 'x', 'township', 0, true) RETURNING id"
            )
        ).scalar_one()
    assert new_id == 46


def test_force_keeps_accounts_and_the_audit_log(engine: Engine) -> None:
    import datetime as dt

    user = SQLModel.metadata.tables["user"]
    audit = SQLModel.metadata.tables["auditlog"]
    seed_sample(engine, scale=0.02, demo_accounts=True)
    with engine.begin() as conn:
        admin_id = conn.execute(select(user.c.id).where(user.c.username == "admin")).scalar_one()
        conn.execute(
            audit.insert().values(
                at=dt.datetime(2023, 8, 1, tzinfo=dt.UTC),
                user_id=admin_id,
                username="admin",
                action="login",
                entity="",
                entity_id="",
                detail="",
            )
        )
    seed_sample(engine, scale=0.02, force=True, demo_accounts=True)
    with engine.connect() as conn:
        users = {r.username: r for r in conn.execute(user.select())}
        audit_rows = conn.execute(audit.select()).all()
        sanhe = conn.execute(text("SELECT id FROM jurisdiction WHERE name = '三合街道'")).scalar_one()
    assert sorted(users) == ["admin", "county", "jxw", "leader", "sanhe"]
    assert users["admin"].id == admin_id
    assert users["sanhe"].jurisdiction_id == sanhe
    assert len(audit_rows) == 1


def _usernames(engine: Engine) -> list[str]:
    user = SQLModel.metadata.tables["user"]
    with engine.connect() as conn:
        return sorted(conn.execute(select(user.c.username)).scalars())


def test_demo_accounts_only_when_asked(engine: Engine) -> None:
    """`anpei db seed --sample` made leader/county/sanhe/jxw with the public password (issue 11 item 10)."""
    seed_sample(engine, scale=0.02)
    assert _usernames(engine) == []
    seed_sample(engine, scale=0.02, force=True, demo_accounts=True)
    assert _usernames(engine) == ["admin", "county", "jxw", "leader", "sanhe"]


def test_demo_accounts_never_beside_other_accounts(engine: Engine) -> None:
    migrate.upgrade(engine)
    with Session(engine) as session:
        session.add(User(username="wang_admin", display_name="王管理", password_hash="x", role="admin"))
        session.commit()
    with pytest.raises(SeedRefused, match="已有正式账号（wang_admin）"):
        seed_sample(engine, scale=0.02, demo_accounts=True)
    assert _usernames(engine) == ["wang_admin"]
    seed_sample(engine, scale=0.02)  # the sample county without accounts is still fine
    assert _usernames(engine) == ["wang_admin"]


@pytest.mark.postgres
def test_seed_analyzes_only_its_own_tables(pg_url: str) -> None:
    """A database-wide ANALYZE locked the tables of every other schema on the server too (and deadlocked
    with a concurrent test's TRUNCATE); the seed analyzes the tables it wrote, in its own schema."""
    from tests.kits.dbkit import PgSchema

    mine, other = PgSchema(pg_url), PgSchema(pg_url)
    try:
        with other.engine.begin() as conn:
            conn.execute(text("CREATE TABLE bystander (id int)"))
            conn.execute(text("INSERT INTO bystander SELECT generate_series(1, 10)"))
        seed_sample(mine.engine, scale=0.02)
        with other.engine.connect() as conn:
            analyzed = conn.execute(
                text(
                    "SELECT last_analyze FROM pg_stat_user_tables WHERE schemaname = :s AND relname = 'bystander'"
                ),
                {"s": other.schema},
            ).scalar_one()
            mine_analyzed = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_user_tables WHERE schemaname = :s AND last_analyze IS NOT NULL"
                ),
                {"s": mine.schema},
            ).scalar_one()
        assert analyzed is None
        assert mine_analyzed >= len(SQLModel.metadata.tables)
    finally:
        mine.drop()
        other.drop()
