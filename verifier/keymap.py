"""Reading platform records through the key map (`platform-cassettes/FORMAT.md`).

The JSON key names inside the platform's `data[]` are not known for certain, so every record field is
read through a map `CertRecord field → platform key`. The defaults are the placeholder keys of the
cassette format; a JSON file named by `ANPEI_KEY_MAP_FILE` overrides any of them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from verifier.types import CertRecord

KeyMap = Mapping[str, str]

DEFAULT_KEY_MAP: KeyMap = MappingProxyType(
    {
        "name": "name",
        "sex": "sex",
        "cert_number": "certNum",
        "category": "jobTypeName",
        "item": "operItemName",
        "person_type": "personTypeName",
        "industry": "industryName",
        "first_issue_date": "firstIssueDate",
        "valid_from": "validBeginDate",
        "valid_until": "validEndDate",
        "review_due": "shouldReviewDate",
        "review_done": "actualReviewDate",
        "issuer": "issueOrgName",
        "status": "certStatus",
        "is_history": "isHistory",
    }
)

DATE_FIELDS: frozenset[str] = frozenset(
    {"first_issue_date", "valid_from", "valid_until", "review_due", "review_done"}
)
TEXT_FIELDS: tuple[str, ...] = (
    "sex",
    "cert_number",
    "category",
    "item",
    "person_type",
    "industry",
    "issuer",
    "status",
)

# Read but not used by the decision (§3: such fields are ignored whatever their type): a value that
# is not text is dropped instead of stopping the batch. `sex` counts only when it is 男 or 女.
LENIENT_FIELDS: frozenset[str] = frozenset({"sex", "industry", "issuer"})

_DATE_RE = re.compile(r"^(\d{4})([-/])(\d{2})\2(\d{2})$")
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})


class RecordShapeError(ValueError):
    """The platform's `data` is not a shape we know (→ PARSE_ERROR). The message is Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class KeyMapError(ValueError):
    """The key-map file cannot be used. The message is Chinese."""


def load_key_map(path: str | Path | None) -> dict[str, str]:
    """The default key map, with the entries of the JSON object in `path` (if given) on top.

    The file holds `{"<CertRecord field>": "<platform key>", ...}`; fields left out keep their default.
    """
    key_map = dict(DEFAULT_KEY_MAP)
    if path is None:
        return key_map
    try:
        loaded = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KeyMapError(f"字段映射文件 {path} 无法读取：{exc}") from exc
    if not isinstance(loaded, dict):
        raise KeyMapError(f"字段映射文件 {path} 应为 JSON 对象（字段名 → 平台键名）")
    for field_name, key in loaded.items():
        if field_name not in DEFAULT_KEY_MAP:
            known = "、".join(DEFAULT_KEY_MAP)
            raise KeyMapError(f"字段映射文件 {path} 含未知字段 {field_name!r}（可用字段：{known}）")
        if not isinstance(key, str) or not key.strip():
            raise KeyMapError(f"字段映射文件 {path} 中字段 {field_name!r} 的键名应为非空字符串")
        key_map[field_name] = key.strip()
    return key_map


def parse_date(value: Any, *, label: str = "日期") -> dt.date | None:
    """`YYYY-MM-DD` or `YYYY/MM/DD` → date; None or '' → None; anything else → RecordShapeError."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordShapeError(f"{label} 的值 {value!r} 不是日期文本")
    text = value.strip()
    if not text:
        return None
    match = _DATE_RE.match(text)
    if match is None:
        raise RecordShapeError(f"{label} 的值 {value!r} 不是 YYYY-MM-DD 格式的日期")
    try:
        return dt.date(int(match.group(1)), int(match.group(3)), int(match.group(4)))
    except ValueError as exc:
        raise RecordShapeError(f"{label} 的值 {value!r} 不是有效日期") from exc


def parse_bool(value: Any, *, label: str = "isHistory") -> bool:
    """A JSON bool, or 'true'/'false'/'1'/'0' (also as numbers 1/0); absent or null → False."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE or not text:
            return False
    raise RecordShapeError(f"{label} 的值 {value!r} 不是真/假值")


def _text(value: Any, *, label: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise RecordShapeError(f"{label} 的值 {value!r} 不是文本")
    text = str(value).strip()
    return text or None


def parse_record(obj: Any, key_map: KeyMap = DEFAULT_KEY_MAP, *, index: int = 0) -> CertRecord:
    """One object of `data[]` → CertRecord; every key the platform sent is kept in `raw`."""
    where = f"第 {index + 1} 条记录"
    if not isinstance(obj, dict):
        raise RecordShapeError(f"{where}不是 JSON 对象")
    name_key = key_map["name"]
    name = obj.get(name_key)
    if not isinstance(name, str) or not name.strip():
        raise RecordShapeError(f"{where}缺少非空的姓名（键 {name_key!r}）")
    values: dict[str, Any] = {"name": name.strip()}
    for field_name in TEXT_FIELDS:
        key = key_map[field_name]
        try:
            values[field_name] = _text(obj.get(key), label=f"{where}的 {key}")
        except RecordShapeError:
            if field_name not in LENIENT_FIELDS:
                raise
            values[field_name] = None
    for field_name in DATE_FIELDS:
        key = key_map[field_name]
        values[field_name] = parse_date(obj.get(key), label=f"{where}的 {key}")
    history_key = key_map["is_history"]
    values["is_history"] = parse_bool(obj.get(history_key), label=f"{where}的 {history_key}")
    return CertRecord(**values, raw=dict(obj))


def parse_records(data: Any, key_map: KeyMap = DEFAULT_KEY_MAP) -> tuple[CertRecord, ...]:
    """The `data` of a `code == 200` answer → records; any unknown shape → RecordShapeError.

    `data` must be a list (possibly empty) of objects, each with a non-empty name; `null` is not
    read as "nothing found" (verification.md §3, step 5).
    """
    if not isinstance(data, list):
        raise RecordShapeError(f"平台返回的 data 不是列表（实际为 {type(data).__name__}）")
    return tuple(parse_record(obj, key_map, index=i) for i, obj in enumerate(data))
