"""File and sheet names for the workbooks staff download: Chinese names that survive a download,
Excel-legal unique sheet titles, and the .xlsx media type."""

from __future__ import annotations

import re

XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def download_name(*parts: str, suffix: str = ".xlsx") -> str:
    """A Chinese file name that survives download: no path or reserved characters, not too long."""
    text = "-".join(p.strip() for p in parts if p and p.strip())
    text = re.sub(r'[\\/:*?"<>|\r\n\t]+', "_", text).strip(" .")
    return (text[:80] or "导出") + suffix


def sheet_title(name: str, used: set[str]) -> str:
    """An Excel sheet name (≤ 31 characters, none of []:*?/\\), unique in the workbook."""
    base = _SHEET_BAD.sub("_", name).strip("'")[:31] or "Sheet"
    title, n = base, 2
    while title in used:
        tail = f"({n})"
        title, n = base[: 31 - len(tail)] + tail, n + 1
    used.add(title)
    return title
