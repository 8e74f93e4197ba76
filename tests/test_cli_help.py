"""Every `anpei` command has a Chinese --help, and every option is described."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from anpei.cli import app

CJK = re.compile(r"[\u4e00-\u9fff]")


def _commands() -> list[tuple[str, Any]]:
    root = typer.main.get_command(app)
    found: list[tuple[str, Any]] = []

    def walk(prefix: str, cmd: Any) -> None:
        found.append((prefix, cmd))
        if hasattr(cmd, "commands"):  # typer ships its own click: duck-type the group
            for name, sub in cmd.commands.items():
                walk(f"{prefix} {name}".strip(), sub)

    walk("", root)
    return found


def test_expected_commands_exist() -> None:
    names = {name for name, _ in _commands()}
    for expected in ["db", "db upgrade", "demo", "dashboard"]:
        assert expected in names, f"missing command: anpei {expected}"


@pytest.mark.parametrize("name,cmd", _commands(), ids=lambda v: v if isinstance(v, str) else "")
def test_help_is_chinese(name: str, cmd: Any) -> None:
    result = CliRunner().invoke(app, [*name.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert CJK.search(cmd.help or ""), f"anpei {name}: help text is not Chinese"
    for param in cmd.params:
        if getattr(param, "param_type_name", "") == "option" and param.name != "help":
            assert param.help and CJK.search(param.help), f"anpei {name} {param.opts}: option without Chinese help"
