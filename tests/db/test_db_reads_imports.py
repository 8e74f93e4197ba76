"""Every read module can be imported first, on its own (a fresh process): the tables it reads from
`SQLModel.metadata` are registered by its own imports, not by whichever module happened to load first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

READS = sorted(
    p.stem for p in (Path(__file__).parents[2] / "db" / "reads").glob("*.py") if p.stem != "__init__"
)


def test_the_read_modules_are_found() -> None:
    assert {"campaign_calendar", "month_figures", "kpi_details"} <= set(READS)


@pytest.mark.parametrize("name", READS)
def test_a_read_module_imports_on_its_own(name: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", f"import db.reads.{name}"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-800:]
