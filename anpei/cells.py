"""Spreadsheet cells that are shown as text, never run as formulas (CSV and xlsx writers alike).

A spreadsheet program runs a cell that starts with `=`, `+`, `-` or `@` (and, in some, a tab or a
line break before one) as a formula: an imported 问题描述 `=HYPERLINK(…)` would become a live link in
the leader's file. Every writer of a CSV or xlsx file puts its text through `safe_cell`, which puts
an apostrophe in front of such text (the spreadsheet shows the text as it was typed). Full-width
forms (`＝＋－＠`) are included: some spreadsheet programs with Chinese input read them as the ASCII ones.
"""

from __future__ import annotations

from typing import TypeVar

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")

T = TypeVar("T")


def looks_like_formula(text: str) -> bool:
    """True when a spreadsheet program could run `text` as a formula."""
    return text.startswith(FORMULA_START)


def safe_text(text: str) -> str:
    """`text` with an apostrophe in front when it would be run as a formula, else unchanged."""
    return "'" + text if looks_like_formula(text) else text


def safe_cell(value: T) -> T:
    """A cell value: text made formula-safe (`safe_text`), any other value unchanged."""
    if isinstance(value, str):
        return safe_text(value)  # type: ignore[return-value]
    return value
