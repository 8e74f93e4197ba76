"""`anpei demo`: the whole product on the embedded default (SQLite, sample county, platform double)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach `anpei demo` and `anpei dashboard`."""
