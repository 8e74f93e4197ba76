"""The roster preview before a roster is sent (dashboard/roster_preview.py): the §8 caps hold here as in
the service, and the preview is kept by the file's digest (issue 11.5)."""

from __future__ import annotations

import datetime as dt
import io
import time
import tracemalloc

import openpyxl
import pytest

from dashboard import roster_preview as rp
from tests.kits.certkit import many_rows_xlsx
from verifier.ids import make_id
from verifier.roster import RosterTooLarge
from verifier.types import Family

AS_OF = dt.date(2023, 6, 30)
ID1 = make_id("500230", dt.date(1990, 1, 1), 11)


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    rp._PREVIEWS.clear()


def test_a_size_bomb_is_refused_quickly_and_small_and_never_read_by_hand() -> None:
    """Issue 11.5: a 372 KB xlsx of 1,000,000 rows took 58 s and +900 MB in the dashboard."""
    data = many_rows_xlsx(1_000_000)
    assert len(data) < 20_000_000  # within the upload limit
    tracemalloc.start()
    started = time.monotonic()
    with pytest.raises(RosterTooLarge, match="60,000"):
        rp.cached_preview(data, filename="名单.xlsx", family=Family.SPECIAL, as_of=AS_OF)
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 5 and peak < 100 * 1024 * 1024
    # the manual header choice and the mapping rewrite refuse it too (they read every row)
    for call in (rp.header_candidates, rp.sheet_rows):
        with pytest.raises(RosterTooLarge):
            call(data, filename="名单.xlsx")


def test_the_preview_is_kept_by_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _xlsx([["姓名", "身份证号"], ["张伟", ID1]])
    calls: list[str] = []
    real = rp.preview_roster

    def counting(*args: object, **kwargs: object) -> rp.Preview:
        calls.append("read")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(rp, "preview_roster", counting)
    first = rp.cached_preview(data, filename="名单.xlsx", family=Family.SPECIAL, as_of=AS_OF)
    again = rp.cached_preview(bytes(data), filename="名单.xlsx", family=Family.SPECIAL, as_of=AS_OF)
    assert first is again and calls == ["read"]
    rp.cached_preview(data, filename="名单.xlsx", family=Family.SAFETY, as_of=AS_OF)
    assert calls == ["read", "read"]
    bomb = many_rows_xlsx(1_000_000)
    for _ in range(2):
        with pytest.raises(RosterTooLarge):
            rp.cached_preview(bomb, filename="b.xlsx", family=Family.SPECIAL, as_of=AS_OF)
    assert calls == ["read", "read", "read"]  # a refusal is kept too


def test_a_semicolon_in_a_cell_keeps_commas_in_the_manual_mapping() -> None:
    data = f'编号,人名,证件\n1,张伟,{ID1}\n2,"见;""附件"";说明",{ID1}\n'.encode()
    ((_, rows),) = rp.sheet_rows(data, filename="r.csv")
    assert rows[0] == ["编号", "人名", "证件"] and rows[2][1] == '见;"附件";说明'
