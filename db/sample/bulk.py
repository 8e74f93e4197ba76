"""Bulk insertion for the seed: buffered rows per table, flushed in chunks, parents first.

Rows carry explicit primary keys, so children can reference parents before anything is flushed;
a flush writes every buffer in the metadata's dependency order. PostgreSQL gets `COPY` for the
big tables, everything else a Core `insert()` executemany.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from pydantic_core import PydanticUndefined
from sqlalchemy import Table, text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import db.models  # noqa: F401  (registers every table)

# China Standard Time; timestamps are stored timezone-aware (UTC).
CST = dt.timezone(dt.timedelta(hours=8), "CST")
# Python-side defaults are replaced by this fixed instant so two seeds are byte-identical.
SEED_TIMESTAMP = dt.datetime(2023, 11, 6, 9, 0, 0, tzinfo=CST)

COPY_TABLES = frozenset(
    {
        "person",
        "inspection",
        "inspectionitemresult",
        "certificatecheck",
        "finding",
        "enforcementaction",
        "enterprise",
    }
)


def _model_defaults() -> dict[str, dict[str, Any]]:
    """Per table, the default of every column that has one (factories evaluated, time fixed)."""
    out: dict[str, dict[str, Any]] = {}
    for mapper in SQLModel._sa_registry.mappers:
        cls = mapper.class_
        table = getattr(cls, "__table__", None)
        if not isinstance(table, Table):
            continue
        defaults: dict[str, Any] = {}
        for name, info in cls.model_fields.items():
            if info.default_factory is not None:
                value = info.default_factory()  # type: ignore[call-arg,unused-ignore]
                defaults[name] = SEED_TIMESTAMP if isinstance(value, dt.datetime) else value
            elif info.default is not PydanticUndefined:
                defaults[name] = info.default
        out[table.name] = defaults
    return out


class BulkWriter:
    """Collects rows (dicts with explicit ids) and writes them in chunks within one connection."""

    def __init__(self, conn: Connection, *, chunk_size: int = 5000) -> None:
        self.conn = conn
        self.chunk_size = chunk_size
        self.tables: list[Table] = list(SQLModel.metadata.sorted_tables)
        self.by_name = {t.name: t for t in self.tables}
        self.columns = {t.name: [c.name for c in t.columns] for t in self.tables}
        self.defaults = _model_defaults()
        self.buffers: dict[str, list[tuple[Any, ...]]] = {t.name: [] for t in self.tables}
        self.counts: Counter[str] = Counter()
        self.next_ids: Counter[str] = Counter()
        self.use_copy = conn.dialect.name == "postgresql"

    def next_id(self, table: str) -> int:
        self.next_ids[table] += 1
        return self.next_ids[table]

    def add(self, table: str, row: dict[str, Any]) -> None:
        defaults = self.defaults[table]
        try:
            values = tuple(row[c] if c in row else defaults[c] for c in self.columns[table])
        except KeyError as exc:
            raise KeyError(f"{table}: no value and no default for column {exc}") from None
        buffer = self.buffers[table]
        buffer.append(values)
        if len(buffer) >= self.chunk_size:
            self.flush()

    def flush(self) -> None:
        for table in self.tables:
            rows = self.buffers[table.name]
            if not rows:
                continue
            if self.use_copy and table.name in COPY_TABLES:
                self._copy(table, rows)
            else:
                cols = self.columns[table.name]
                self.conn.execute(table.insert(), [dict(zip(cols, r, strict=True)) for r in rows])
            self.counts[table.name] += len(rows)
            rows.clear()

    def _copy(self, table: Table, rows: list[tuple[Any, ...]]) -> None:
        cols = ", ".join(f'"{c}"' for c in self.columns[table.name])
        raw = self.conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)

    def finish(self) -> None:
        """Flush what is left and, on PostgreSQL, move each id sequence past the ids written."""
        self.flush()
        if self.conn.dialect.name != "postgresql":
            return
        for name in sorted(self.counts):
            self.conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                    f'COALESCE((SELECT MAX(id) FROM "{name}"), 0) + 1, false)'
                )
            )
