"""Optimistic locking of the rows edited through forms (issue 10 item 3).

A form is loaded from one row and keeps that row's `version` (see `db.models.version_column`);
the save service is told which version the form was loaded with and refuses when the row is at
another one — somebody saved in between, or the row was deleted, or (for a monthly table) a table
appeared where there was none. The check is made twice: against the row as read, and by the
database itself, since every ORM UPDATE carries `WHERE id = :id AND version = :version` and a
change committed between the read and the write matches no row (StaleDataError). Both end in
`StaleRecord`, a Chinese refusal; nothing is saved.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import attributes
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from db.records.common import InputError

NO_ROW = 0  # the version a form carries when nothing was stored as it was loaded


class Versioned(Protocol):
    version: int


class StaleRecord(InputError):
    """The row changed (or appeared, or vanished) after the form was loaded; nothing was saved."""


def stale_message(what: str) -> str:
    return (
        f"{what}在您打开表单之后已被修改（他人已保存或已删除），为免覆盖，本次未保存。"
        "请核对页面上的最新内容后重新填写"
    )


def version_of(row: Versioned | None) -> int:
    """The version a form loaded from `row` carries (NO_ROW when nothing is stored)."""
    return int(row.version) if row is not None else NO_ROW


def check_version(*, what: str, stored: Versioned | None, expected: int | None) -> None:
    """Refuse unless `stored` is still at the version the form was loaded with (None: not checked,
    for callers without a form — the CLI, imports)."""
    if expected is not None and version_of(stored) != expected:
        raise StaleRecord(stale_message(what))


def touch(row: object, attribute: str) -> None:
    """Make the next flush UPDATE `row` (and so bump its version) although none of its columns
    changed — a change held in another table (an inspection's item results) is a change of the row.
    `attribute` is any ordinary column of the row (not `version` itself)."""
    attributes.flag_modified(row, attribute)


def flush_checked(session: Session, *, what: str, creating: bool = False) -> None:
    """Flush; a row changed since it was read (or, when `creating`, created by someone else in the
    meantime) becomes StaleRecord."""
    try:
        session.flush()
    except StaleDataError as exc:
        raise StaleRecord(stale_message(what)) from exc
    except IntegrityError as exc:
        if creating:
            raise StaleRecord(stale_message(what)) from exc
        raise


__all__ = ["NO_ROW", "StaleRecord", "check_version", "flush_checked", "stale_message", "touch", "version_of"]
