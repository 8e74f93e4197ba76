"""Parsers for result pages saved from the platform's website (a manual check made into evidence).

Two layouts are known (`platform.md`, "Saved result pages"): the current Vue site (Element UI
description tables, a 「历史数据」 divider, `.nocert-content` for not found) and the legacy site
(`table.datalist`). Any other page raises `PageLayoutError`: an unknown page is never "not found".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

from bs4 import BeautifulSoup, Tag

from verifier.keymap import RecordShapeError, parse_date
from verifier.types import CertRecord

Layout = Literal["current", "legacy"]

# Page label → CertRecord field (labels normalised: NFKC, no white space, no trailing colon).
LABEL_FIELDS: dict[str, str] = {
    "姓名": "name",
    "性别": "sex",
    "证号": "cert_number",
    "证书编号": "cert_number",
    "证件编号": "cert_number",
    "作业类别": "category",
    "操作项目": "item",
    "准操项目": "item",
    "人员类型": "person_type",
    "行业类别": "industry",
    "初领日期": "first_issue_date",
    "初次发证日期": "first_issue_date",
    "有效期开始日期": "valid_from",
    "有效期开始时间": "valid_from",
    "有效期结束日期": "valid_until",
    "有效期结束时间": "valid_until",
    "应复审日期": "review_due",
    "实际复审日期": "review_done",
    "签发机关": "issuer",
    "发证机关": "issuer",
    "证书状态": "status",
    "状态": "status",
}
DATE_FIELDS = frozenset({"first_issue_date", "valid_from", "valid_until", "review_due", "review_done"})
EMPTY_VALUES = frozenset({"", "-", "--", "—", "——", "无", "暂无", "/"})

NOT_FOUND_TEXT = "没有查询到相关证件信息"
LEGACY_NOT_FOUND_HINT = "请核实后重新查询或联系发证机关补登信息"
HISTORY_TEXT = "历史数据"


class PageLayoutError(ValueError):
    """The page is not a result page of a known layout, or a known layout we cannot read. Chinese."""


@dataclass(frozen=True)
class SavedPage:
    records: tuple[CertRecord, ...]
    not_found: bool
    layout: Layout


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _label(text: str) -> str:
    return _norm(text).rstrip(":：")


def _hidden(tag: Tag) -> bool:
    """Hidden by `v-show` (inline `display: none`) on the element or an ancestor."""
    node: Tag | None = tag
    while node is not None:
        style = node.get("style")
        if isinstance(style, str) and re.search(r"display\s*:\s*none", style, flags=re.IGNORECASE):
            return True
        node = node.parent
    return False


def _record(pairs: list[tuple[str, str]], *, is_history: bool, where: str) -> CertRecord:
    values: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    for label_text, value_text in pairs:
        label = _label(label_text)
        value = value_text.strip()
        raw[label] = value
        field_name = LABEL_FIELDS.get(label)
        if field_name is None or field_name in values:
            continue
        if _norm(value) in EMPTY_VALUES:
            values[field_name] = None
        elif field_name in DATE_FIELDS:
            try:
                values[field_name] = parse_date(value, label=label)
            except RecordShapeError as exc:
                raise PageLayoutError(f"{where}：{exc.message}") from exc
        else:
            values[field_name] = value
    name = values.get("name")
    if not name:
        raise PageLayoutError(f"{where}缺少姓名，无法识别")
    return CertRecord(**values, is_history=is_history, raw=raw)


def _cell_text(tag: Tag) -> str:
    return tag.get_text(" ", strip=True)


def _parse_current(soup: BeautifulSoup) -> SavedPage:
    tables = [t for t in soup.select("table.el-descriptions__table") if not _hidden(t)]
    nocert = [t for t in soup.select(".nocert-content") if not _hidden(t)]
    if tables and nocert:
        raise PageLayoutError("页面同时包含证书信息和“没有查询到相关证件信息”，无法判断")
    if nocert:
        return SavedPage(records=(), not_found=True, layout="current")
    if not tables:
        raise PageLayoutError("页面中没有可见的证书信息，也没有“没有查询到相关证件信息”的提示，无法判断")
    table_ids = {id(t) for t in tables}
    records: list[CertRecord] = []
    is_history = False
    # Document order: every table after a visible 「历史数据」 divider is historical.
    for element in soup.find_all(True):
        classes: Any = element.get("class") or []
        if "el-divider" in classes and HISTORY_TEXT in _norm(element.get_text()) and not _hidden(element):
            is_history = True
        elif id(element) in table_ids:
            pairs: list[tuple[str, str]] = []
            for row in element.select("tr.el-descriptions-row"):
                for th in row.find_all("th"):
                    td = th.find_next_sibling("td")
                    if td is not None:
                        pairs.append((_cell_text(th), _cell_text(td)))
            where = f"第 {len(records) + 1} 张证书"
            records.append(_record(pairs, is_history=is_history, where=where))
    return SavedPage(records=tuple(records), not_found=False, layout="current")


def _parse_legacy(soup: BeautifulSoup) -> SavedPage:
    records: list[CertRecord] = []
    for table in soup.select("table.datalist"):
        rows = table.find_all("tr")
        header = rows[0].find_all(["th", "td"]) if rows else []
        if header and all(cell.name == "th" for cell in header) and len(header) > 1:
            # One certificate per row under a header row of labels.
            labels = [_cell_text(cell) for cell in header]
            for row in rows[1:]:
                cells = row.find_all("td")
                if len(cells) != len(labels):
                    continue
                pairs = list(zip(labels, (_cell_text(c) for c in cells), strict=True))
                records.append(_record(pairs, is_history=False, where=f"第 {len(records) + 1} 张证书"))
        else:
            # One certificate per table, `th` label / `td` value pairs.
            pairs = []
            for row in rows:
                for th in row.find_all("th"):
                    td = th.find_next_sibling("td")
                    if td is not None:
                        pairs.append((_cell_text(th), _cell_text(td)))
            if pairs:
                records.append(_record(pairs, is_history=False, where=f"第 {len(records) + 1} 张证书"))
    text = _norm(soup.get_text())
    not_found = NOT_FOUND_TEXT in text and LEGACY_NOT_FOUND_HINT in text
    if records and not_found:
        raise PageLayoutError("页面同时包含证书信息和“没有查询到相关证件信息”，无法判断")
    if not records and not not_found:
        raise PageLayoutError("旧版查询页面中没有证书信息，也没有“查无此证”的提示，无法判断")
    return SavedPage(records=tuple(records), not_found=not_found, layout="legacy")


def parse_saved_page(html: str | bytes) -> SavedPage:
    """Records (or not found) from a saved result page; `PageLayoutError` for any other page."""
    soup = BeautifulSoup(html, "html.parser")
    if soup.select("table.el-descriptions__table") or soup.select(".nocert-content"):
        return _parse_current(soup)
    text = _norm(soup.get_text())
    if soup.select("table.datalist") or (NOT_FOUND_TEXT in text and LEGACY_NOT_FOUND_HINT in text):
        return _parse_legacy(soup)
    raise PageLayoutError("无法识别的页面：既不是现行查询平台的结果页，也不是旧版平台的结果页")
