"""Every `anpei` command has a Chinese --help, and every option is described."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from anpei_cli.cli import app

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
            assert param.help and CJK.search(param.help), (
                f"anpei {name} {param.opts}: option without Chinese help"
            )


ENGLISH = ("Usage:", "Show this message", "Error:", "Missing option", "Options:", "Commands:", "for help")


@pytest.mark.parametrize("args", [["--help"], ["summary", "--help"], ["db", "--help"]])
def test_help_has_no_click_english(args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("用法：anpei") and "显示本帮助并退出。" in result.output
    for english in ENGLISH:
        assert english not in result.output, english


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["summary"], "错误：缺少选项 '--month'。"),
        (["summary", "--month", "2023-05", "--bogus"], "错误：没有这个选项：--bogus。"),
        (["summry"], "错误：没有这个命令：summry。你是不是要用：summary？"),
    ],
)
def test_command_line_mistakes_are_explained_in_chinese(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output and "用法：anpei" in result.output and "查看帮助：anpei" in result.output
    for english in ENGLISH:
        assert english not in result.output, english
