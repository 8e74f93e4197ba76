"""Seeded sample-county databases for the benchmarks, kept between runs where seeding is slow.

`cached_pg_database(scale)` returns the URL of a PostgreSQL database `anpei_bench_x<scale>` on the
test server, seeded once (×40 takes minutes) and reused by later runs: a database comment records
the scale and seed once seeding has finished, so an interrupted seed is redone, never half-used. Each
use migrates it to the current head first (a new index lands on the cached copy too).

`python -m tests.kits.benchdb 40` seeds the ×40 copy ahead of a benchmark run.
"""

from __future__ import annotations

import sys
import time

from sqlalchemy import text
from sqlalchemy.engine import make_url

from db import migrate
from db.engine import make_engine, normalise_url
from tests.conftest import PG_URL

SEED = 2024


def _marker(scale: float) -> str:
    return f"anpei sample county, scale {scale:g}, seed {SEED}, complete"


def cached_pg_database(scale: float, *, base_url: str = PG_URL) -> str:
    """URL of the persistent benchmark database seeded at `scale` (seeded now if missing)."""
    from db.sample.seed import seed_sample

    name = f"anpei_bench_x{scale:g}".replace(".", "_")
    url = make_url(normalise_url(base_url)).set(database=name).render_as_string(hide_password=False)
    admin = make_engine(base_url)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
            comment = conn.execute(
                text("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :n"),
                {"n": name},
            ).scalar()
            if exists and comment != _marker(scale):
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
                exists = None
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    engine = make_engine(url)
    try:
        if comment != _marker(scale) or not exists:
            started = time.perf_counter()
            report = seed_sample(engine, scale=scale, seed=SEED, demo_accounts=True)
            print(f"[bench db] seeded {name} in {time.perf_counter() - started:.0f} s: {report}")
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                # what autovacuum does to a database in use: statistics and the visibility map
                # (index-only scans need it), so a fresh bulk load is not measured at its worst
                conn.execute(text("VACUUM ANALYZE"))
                conn.execute(text(f"COMMENT ON DATABASE \"{name}\" IS '{_marker(scale)}'"))
        else:
            migrate.upgrade(engine)
    finally:
        engine.dispose()
    return url


if __name__ == "__main__":
    print(cached_pg_database(float(sys.argv[1]) if len(sys.argv) > 1 else 40.0))
