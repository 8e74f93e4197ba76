"""`anpei …` run in the test's own process (typer's CliRunner), giving back what a subprocess would.

Spawning `python -m anpei_cli` costs 1.5–3 s of imports per call; most CLI tests only need the exit
code and the two output streams, so they run the command in-process. What a separate process would
add is kept: the environment and working directory the test names (undone afterwards), stdin that is
no terminal, and an exception the command let escape printed as the traceback it would have been on
stderr (tests assert "Traceback" is not there). A few tests per command still spawn the real
`python -m anpei_cli` (`ANPEI`), the console script's own path.
"""

from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

ANPEI = [sys.executable, "-m", "anpei_cli"]  # the real command, for the subprocess smoke tests


@dataclass(frozen=True)
class Ran:
    """The part of subprocess.CompletedProcess the tests read."""

    returncode: int
    stdout: str
    stderr: str


def run_anpei(args: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None) -> Ran:
    """`anpei *args` in-process with `env` over this process's environment, from `cwd` (both undone
    afterwards); the settings are read afresh from that environment and forgotten again."""
    from anpei.settings import get_settings
    from anpei_cli.cli import app

    with pytest.MonkeyPatch.context() as patch:
        for name, value in (env or {}).items():
            patch.setenv(name, value)
        if cwd is not None:
            patch.chdir(cwd)
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(app, args, prog_name="anpei")
        finally:
            get_settings.cache_clear()
    stderr = result.stderr
    if result.exc_info is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(*result.exc_info))  # what the interpreter prints
    return Ran(result.exit_code, result.stdout, stderr)
