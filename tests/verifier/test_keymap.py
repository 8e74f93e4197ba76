"""The key map and the record reader (platform-cassettes/FORMAT.md, verification.md §3 step 5)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from verifier.keymap import (
    DEFAULT_KEY_MAP,
    KeyMapError,
    RecordShapeError,
    load_key_map,
    parse_records,
)

FULL = {
    "name": "刘洋",
    "sex": "男",
    "certNum": "T500230198806143136",
    "jobTypeName": "电工作业",
    "operItemName": "低压电工作业",
    "firstIssueDate": "2020-05-18",
    "validBeginDate": "2020/05/18",
    "validEndDate": "2026-05-17",
    "shouldReviewDate": "2023-05-17",
    "actualReviewDate": None,
    "issueOrgName": "重庆市应急管理局",
    "certStatus": "有效",
    "isHistory": False,
    "extraKey": {"kept": 1},
}


def test_full_record_is_read_and_raw_keeps_unknown_keys() -> None:
    (record,) = parse_records([FULL])
    assert record.name == "刘洋"
    assert record.cert_number == "T500230198806143136"
    assert record.category == "电工作业"
    assert record.item == "低压电工作业"
    assert record.valid_from == dt.date(2020, 5, 18)
    assert record.valid_until == dt.date(2026, 5, 17)
    assert record.review_done is None
    assert record.is_history is False
    assert record.raw["extraKey"] == {"kept": 1}


def test_empty_list_is_no_records() -> None:
    assert parse_records([]) == ()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        ("true", True),
        ("false", False),
        ("1", True),
        ("0", False),
        (None, False),
    ],
)
def test_is_history_forms(value: Any, expected: bool) -> None:
    (record,) = parse_records([{"name": "甲", "isHistory": value}])
    assert record.is_history is expected


def test_absent_is_history_is_current() -> None:
    (record,) = parse_records([{"name": "甲"}])
    assert record.is_history is False


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"name": "甲"},
        "[]",
        [None],
        ["甲"],
        [{"sex": "男"}],
        [{"name": ""}],
        [{"name": "  "}],
        [{"name": 12}],
        [{"name": "甲", "validEndDate": "2025-5-1"}],
        [{"name": "甲", "validEndDate": "20250501"}],
        [{"name": "甲", "validEndDate": "2025-02-30"}],
        [{"name": "甲", "validEndDate": "2025-05/01"}],
        [{"name": "甲", "validEndDate": 20250501}],
        [{"name": "甲", "isHistory": "maybe"}],
    ],
)
def test_unknown_shapes_raise(data: Any) -> None:
    with pytest.raises(RecordShapeError):
        parse_records(data)


def test_empty_date_string_is_missing() -> None:
    (record,) = parse_records([{"name": "甲", "validEndDate": "", "shouldReviewDate": None}])
    assert record.valid_until is None and record.review_due is None


def test_load_key_map_default_and_override(tmp_path: Path) -> None:
    assert load_key_map(None) == dict(DEFAULT_KEY_MAP)
    path = tmp_path / "map.json"
    path.write_text(json.dumps({"name": "xm", "valid_until": "yxqz"}), encoding="utf-8")
    key_map = load_key_map(path)
    assert key_map["name"] == "xm" and key_map["sex"] == "sex"
    (record,) = parse_records([{"xm": "王五", "yxqz": "2030-01-01"}], key_map)
    assert record.name == "王五" and record.valid_until == dt.date(2030, 1, 1)


@pytest.mark.parametrize("content", ['{"nosuch": "x"}', "[1]", "not json", '{"name": ""}'])
def test_load_key_map_rejects_bad_files(tmp_path: Path, content: str) -> None:
    path = tmp_path / "map.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(KeyMapError):
        load_key_map(path)


@pytest.mark.parametrize("value", [True, False, {"code": 1}, [1, 2]])
def test_unused_fields_of_any_type_are_ignored(value: Any) -> None:
    """§3: a field the decision does not use (sex when not 男/女, issuer) never stops the batch."""
    (record,) = parse_records([{"name": "甲", "sex": value, "issueOrgName": value}])
    assert record.name == "甲" and record.sex is None and record.issuer is None
