"""Verifier commands: `anpei verify`, `anpei verify-page`, `anpei platform-double`, `anpei verifier serve`."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach the verifier's commands to the root `anpei` app."""
