"""Reading a 50,000-row roster: time and peak memory (tracemalloc). Prints its figures.

Run with `make bench` or `.venv/bin/pytest tests/bench/test_bench_roster.py -s -o addopts=""`.
"""

from __future__ import annotations

import csv
import datetime as dt
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from verifier.ids import make_id
from verifier.roster import read_roster

ROWS = 50_000
AS_OF = dt.date(2024, 6, 30)
HEADER = ["序号", "姓名", "身份证号码", "证书编号", "作业类别", "操作项目", "发证日期", "单位名称", "备注"]
SURNAMES = "王李张刘陈杨赵黄周吴"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰涛明超"


def synthetic_rows() -> Iterator[list[Any]]:
    base = dt.date(1960, 1, 1)
    for i in range(ROWS):
        person = make_id("500230", base + dt.timedelta(days=i % 15000), i % 1000)
        name = SURNAMES[i % 10] + GIVEN[(i // 10) % 18] + GIVEN[(i // 180) % 18]
        yield [
            i + 1,
            name,
            person,
            "T" + person if i % 3 else None,
            "电工作业",
            "低压电工作业",
            dt.datetime(2020, 1, 1) + dt.timedelta(days=i % 1000),
            f"重庆市某某建筑工程有限公司{i % 400}",
            None,
        ]


@pytest.fixture(scope="module")
def roster_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bench-roster")
    xlsx = folder / "roster.xlsx"
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("名单")
    sheet.append(["某区特种作业人员名单"])
    sheet.append(HEADER)
    for row in synthetic_rows():
        sheet.append(row)
    workbook.save(xlsx)
    path_csv = folder / "roster.csv"
    with path_csv.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for row in synthetic_rows():
            row[6] = row[6].date().isoformat()
            writer.writerow(row)
    return {"xlsx": xlsx, "csv": path_csv}


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_read_50k_rows(roster_files: dict[str, Path], kind: str) -> None:
    path = roster_files[kind]
    tracemalloc.start()
    started = time.perf_counter()
    result = read_roster(path, default_family=None, as_of=AS_OF)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # a second, untraced run: tracemalloc slows allocation-heavy code down
    started = time.perf_counter()
    read_roster(path, default_family=None, as_of=AS_OF)
    untraced = time.perf_counter() - started

    assert len(result.rows) == ROWS
    assert all(row.is_valid for row in result.rows)
    size_mb = path.stat().st_size / 2**20
    print(
        f"\nroster {kind}: {ROWS} rows, file {size_mb:.1f} MiB, read in {untraced:.2f} s "
        f"({elapsed:.2f} s under tracemalloc), peak traced memory {peak / 2**20:.1f} MiB "
        f"({peak / ROWS:.0f} bytes/row)"
    )
    assert untraced < 60
    assert peak < 400 * 2**20
