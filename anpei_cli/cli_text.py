"""The command line's own words in Chinese: "Usage:", the help option's line, section headings and
the error messages of a mistyped command ("Error: Missing option '--month'.").

Typer's bundled click writes these in English and has no translation catalogue. It does have hooks:
the context's help formatter class (usage prefix, headings, option rows) and each exception's `show`.
`install()` sets both once, when `anpei_cli.cli` is imported, so `anpei` and the tests' CliRunner agree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import IO, Any

from typer._click import core as click_core
from typer._click import exceptions as click_exceptions
from typer._click.formatting import HelpFormatter
from typer._click.utils import echo

USAGE = "用法："
USAGE_WORDS = {"[OPTIONS]": "[选项]", "COMMAND": "命令", "[ARGS]": "[参数]"}
HEADINGS = {"Options": "选项", "Commands": "命令", "Arguments": "参数"}
# pieces of the option rows' help text (click's own and typer's markers)
HELP_PHRASES = {
    "Show this message and exit.": "显示本帮助并退出。",
    "[required]": "[必填]",
    "env var:": "环境变量：",
    "default:": "默认：",
}


class ChineseHelpFormatter(HelpFormatter):
    """click's help formatter with the fixed words in Chinese."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        for english, chinese in USAGE_WORDS.items():
            args = args.replace(english, chinese)
        super().write_usage(prog, args, USAGE if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{HEADINGS.get(heading, heading)}：\n")

    def write_dl(self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(term, help_text(text)) for term, text in rows], col_max, col_spacing)


def help_text(text: str) -> str:
    for english, chinese in HELP_PHRASES.items():
        text = text.replace(english, chinese)
    return text


def _hint(exc: click_exceptions.BadParameter) -> str:
    hint: Any = exc.param_hint
    if hint is None and exc.param is not None:
        hint = exc.param.get_error_hint()
    if isinstance(hint, (list, tuple)):
        return " / ".join(str(h) for h in hint)
    return str(hint) if hint else ""


_KIND = {"option": "选项", "argument": "参数", "parameter": "参数"}
_PLAIN = [
    (re.compile(r"^Missing command\.$"), "缺少子命令。"),
    (re.compile(r"^No such command '(.+)'\.$"), r"没有这个命令：\1。"),
    (
        re.compile(r"^No such command '(.+)'\. Did you mean '(.+)'\?$"),
        r"没有这个命令：\1。你是不是要用：\2？",
    ),
    (re.compile(r"^Got unexpected extra arguments? \((.*)\)$"), r"多余的参数：\1。"),
    (re.compile(r"^No such option: (.+)$"), r"没有这个选项：\1。"),
    (re.compile(r"^Option '(.+)' requires an argument\.$"), r"选项 \1 后面需要一个值。"),
    (re.compile(r"^Option '(.+)' requires (\d+) arguments\.$"), r"选项 \1 后面需要 \2 个值。"),
    (re.compile(r"^Value '(.*)' is not a valid (.+)\.$"), r"“\1”不是有效的\2。"),
]


def _plain(message: str) -> str:
    for pattern, chinese in _PLAIN:
        if pattern.match(message):
            return pattern.sub(chinese, message)
    return message


def error_text(exc: click_exceptions.ClickException) -> str:
    """The Chinese line for a command-line mistake (the text after "错误：")."""
    if isinstance(exc, click_exceptions.MissingParameter):
        kind = exc.param_type or (exc.param.param_type_name if exc.param is not None else "parameter")
        hint = _hint(exc)
        return f"缺少{_KIND.get(kind, '参数')} {hint}。".replace(" 。", "。")
    if isinstance(exc, click_exceptions.NoSuchOption):
        text = _plain(exc.message)
        if exc.possibilities:
            text += f"你是不是要用：{'、'.join(sorted(exc.possibilities))}？"
        return text
    if isinstance(exc, click_exceptions.BadParameter):
        hint = _hint(exc)
        return f"{hint} 的值不正确：{_plain(exc.message)}" if hint else f"值不正确：{_plain(exc.message)}"
    return _plain(exc.format_message())


def _show_click_exception(self: click_exceptions.ClickException, file: IO[Any] | None = None) -> None:
    echo(f"错误：{error_text(self)}", file=file, err=file is None, color=self.show_color)


def _show_usage_error(self: click_exceptions.UsageError, file: IO[Any] | None = None) -> None:
    ctx = self.ctx
    color = ctx.color if ctx is not None else None
    if ctx is not None:
        hint = ""
        if ctx.command.get_help_option(ctx) is not None:
            hint = f"查看帮助：{ctx.command_path} {ctx.help_option_names[0]}\n"
        echo(f"{ctx.get_usage()}\n{hint}", file=file, err=file is None, color=color)
    echo(f"错误：{error_text(self)}", file=file, err=file is None, color=color)


def install() -> None:
    """Use the Chinese words for every command's help and errors (idempotent)."""
    click_core.Context.formatter_class = ChineseHelpFormatter
    click_exceptions.ClickException.show = _show_click_exception  # type: ignore[method-assign]
    click_exceptions.UsageError.show = _show_usage_error  # type: ignore[method-assign]
