"""A stored archive sheet: `training_audit.Sheet` ⇄ compact bytes (zlib-compressed JSON).

The engine holds a sheet as row numbers plus, per field, the distinct raw values and one integer
code per row. That is also the smallest faithful form to store: codes go out as little-endian
int32 bytes (base64 in the JSON), raw values with a type tag where JSON has no type of its own.
Rebuilding is a few `numpy.frombuffer` calls, so the county-wide re-check does not walk rows.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import zlib
from decimal import Decimal
from typing import Any

import numpy as np

from training_audit import Sheet
from training_audit.tables import Column
from training_audit.values import TimeCell

FORMAT = 1


def _value_out(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return {"f": repr(value)}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    if isinstance(value, TimeCell):
        return {"tc": [value.seconds, value.shows_seconds]}
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, dt.time):
        return {"t": value.isoformat()}
    return str(value)


def _value_in(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    ((tag, raw),) = value.items()
    if tag == "f":
        return float(raw)
    if tag == "n":
        return Decimal(raw)
    if tag == "tc":
        return TimeCell(int(raw[0]), bool(raw[1]))
    if tag == "dt":
        return dt.datetime.fromisoformat(raw)
    if tag == "d":
        return dt.date.fromisoformat(raw)
    if tag == "t":
        return dt.time.fromisoformat(raw)
    raise ValueError(f"unknown value tag {tag}")


def _ints_out(array: Any) -> str:
    return base64.b64encode(np.asarray(array, dtype="<i4").tobytes()).decode("ascii")


def _ints_in(text: str) -> Any:
    return np.frombuffer(base64.b64decode(text), dtype="<i4").astype(np.int64)


def encode_sheet(sheet: Sheet) -> bytes:
    payload = {
        "format": FORMAT,
        "name": sheet.name,
        "rows": _ints_out(sheet.rows),
        "columns": {
            field: {"codes": _ints_out(column.codes), "values": [_value_out(v) for v in column.values]}
            for field, column in sheet.columns.items()
        },
    }
    return zlib.compress(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode(), 6)


def decode_sheet(data: bytes) -> Sheet:
    payload = json.loads(zlib.decompress(data))
    columns = {
        field: Column(codes=_ints_in(raw["codes"]), values=[_value_in(v) for v in raw["values"]])
        for field, raw in payload["columns"].items()
    }
    return Sheet(name=payload["name"], rows=_ints_in(payload["rows"]), columns=columns)
