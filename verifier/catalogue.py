"""The catalogue of 作业类别 / 操作项目 (`data/operation-catalogue.json`) and the UNKNOWN_ITEM rule."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from verifier.names import item_key

CATALOGUE_FILE = Path(__file__).resolve().parent / "data" / "operation-catalogue.json"

# Items under this category are not listed: the ministry names them case by case.
OTHER_CATEGORY = "应急管理部认定的其他作业"


@lru_cache(maxsize=1)
def catalogue() -> dict[str, frozenset[str]]:
    """Category key → item keys (both normalised with `item_key`)."""
    entries = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    return {
        item_key(entry["category"]): frozenset(item_key(item) for item in entry["items"]) for entry in entries
    }


def categories() -> list[str]:
    """Category names in catalogue order, as printed."""
    return [entry["category"] for entry in json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))]


def is_unknown_item(*, category: str | None, item: str | None) -> bool:
    """True when a record's category is not in the catalogue, or its item is not listed under it.

    A missing category counts as not listed; a record with neither is not unknown.
    """
    cat = item_key(category) if category else ""
    itm = item_key(item) if item else ""
    if not cat and not itm:
        return False
    table = catalogue()
    if cat and cat not in table:
        return True
    if not itm:
        return False
    return itm not in table.get(cat, frozenset())
