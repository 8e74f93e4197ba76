"""The engine's input: an archive as dictionary-encoded columns of raw cell values.

A sheet holds, per field, one integer code per row (−1 for an empty cell) and the distinct raw
values; rows keep their spreadsheet row numbers. Reading files builds these (`read.py`); a later
database layer can build them from stored rows with `Sheet.from_rows`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from training_audit.values import is_blank

IntArray = npt.NDArray[np.int64]


@dataclass
class Column:
    """One field of a sheet: `codes[i]` indexes `values` for row i; −1 is an empty cell."""

    codes: IntArray
    values: list[Any]

    @classmethod
    def encode(cls, raw: Sequence[Any] | pd.Series[Any]) -> Column:
        series = raw if isinstance(raw, pd.Series) else pd.Series(raw, dtype=object)
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        values = list(uniques)
        blank = np.fromiter((is_blank(value) for value in values), dtype=bool, count=len(values))
        codes = codes.astype(np.int64)
        if blank.any():
            codes = np.where(codes >= 0, np.where(blank[np.maximum(codes, 0)], -1, codes), -1)
        return cls(codes=codes, values=values)

    def take(self, rows: IntArray) -> Column:
        return Column(codes=self.codes[rows], values=self.values)

    def value(self, row: int) -> Any:
        code = int(self.codes[row])
        return None if code < 0 else self.values[code]


@dataclass
class Sheet:
    """One sheet of an archive: row numbers and the fields its header names."""

    name: str
    rows: IntArray
    columns: dict[str, Column]

    def __len__(self) -> int:
        return len(self.rows)

    @classmethod
    def from_rows(cls, name: str, records: Sequence[tuple[int, Mapping[str, Any]]]) -> Sheet:
        """(row number, {field: raw value}) pairs → a sheet (tests, stored rows)."""
        fields = sorted({key for _, record in records for key in record})
        rows = np.fromiter((number for number, _ in records), dtype=np.int64, count=len(records))
        columns = {name_: Column.encode([record.get(name_) for _, record in records]) for name_ in fields}
        return cls(name=name, rows=rows, columns=columns)

    def column(self, name: str) -> Column:
        """The field's column; a field the header did not name reads as empty everywhere."""
        found = self.columns.get(name)
        if found is None:
            return Column(codes=np.full(len(self.rows), -1, dtype=np.int64), values=[])
        return found


@dataclass
class InputProblem:
    """A row (or a whole sheet, row None) the rules could not use, with a Chinese reason."""

    archive: str
    archive_index: int
    sheet: str
    row: int | None
    message: str


@dataclass
class Archive:
    """An archive as read: its sheets (a missing or unusable sheet is absent) and reading problems."""

    name: str
    sheets: dict[str, Sheet]
    problems: list[InputProblem] = field(default_factory=list)
