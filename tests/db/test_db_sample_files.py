"""The committed sample rosters and cassettes are what `db.sample.rosters` writes, and they make sense
to the verifier: a realistic mix of outcomes, with the deliberate input problems caught."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest

from db.sample.rosters import CASSETTE_DIR, SAFETY_FILE, SPECIAL_FILE, write_sample_files

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
# The mix holds for the campaign months and for a demo run years later.
AS_OF_DATES = [dt.date(2023, 6, 30), dt.date(2026, 12, 31)]


def test_committed_files_are_the_generator_output(tmp_path: Path) -> None:
    written = write_sample_files(tmp_path)
    assert len(written) >= 8
    for path in written:
        committed = SAMPLE / path.relative_to(tmp_path)
        assert committed.read_bytes() == path.read_bytes(), (
            f"regenerate: python -m db.sample.rosters ({committed})"
        )


def test_csv_is_gbk_with_the_expected_columns() -> None:
    text = (SAMPLE / SAFETY_FILE).read_bytes().decode("gbk")
    header = text.splitlines()[0].split(",")
    assert header == ["序号", "姓名", "身份证号码", "证书类型", "人员类型", "任职日期", "单位名称"]
    with pytest.raises(UnicodeDecodeError):
        (SAMPLE / SAFETY_FILE).read_bytes().decode("utf-8")


def _outcomes(path: Path, family: str, as_of: dt.date) -> tuple[Counter[str], Counter[str], int]:
    from verifier.cassettes import PlainResponse, load_cassettes
    from verifier.decide import decide
    from verifier.keymap import parse_records
    from verifier.roster import read_roster
    from verifier.types import Family, PlatformAnswer

    roster = read_roster(path, default_family=Family(family), as_of=as_of)
    cassettes = load_cassettes(SAMPLE / CASSETTE_DIR)
    code = {"special": "03", "safety": "01"}[family]
    outcomes: Counter[str] = Counter()
    problems: Counter[str] = Counter()
    for row in roster.rows:
        answer = None
        if row.is_valid:
            index = cassettes.find(idcard_num=row.id_number, name=row.name, person_type_code=code)
            if index is None:
                answer = PlatformAnswer(records=())
            else:
                response = cassettes.interactions[index].response
                assert isinstance(response, PlainResponse)
                answer = PlatformAnswer(records=parse_records(json.loads(response.body)["data"]))
        decision = decide(row, answer, as_of=as_of)
        outcomes[decision.outcome.value] += 1
        problems[decision.problem] += 1
    return outcomes, problems, roster.header_row


@pytest.mark.parametrize("as_of", AS_OF_DATES)
def test_special_roster_gives_a_realistic_mix(as_of: dt.date) -> None:
    outcomes, problems, header_row = _outcomes(SAMPLE / SPECIAL_FILE, "special", as_of)
    assert header_row == 3
    assert sum(outcomes.values()) == 40  # 39 people, one of them listed twice
    assert outcomes["INPUT_INVALID"] == 3  # wrong check character, ID stored as a number, empty name
    for code in ("VALID", "EXPIRED", "REVIEW_OVERDUE", "HISTORICAL_ONLY", "NAME_MISMATCH", "NOT_FOUND"):
        assert outcomes[code] >= 1, code
    assert outcomes["VALID"] > sum(outcomes.values()) / 2
    assert problems["无证上岗"] >= 2 and problems["疑似持假证"] >= 1 and problems["证书失效或不符"] >= 5


@pytest.mark.parametrize("as_of", AS_OF_DATES)
def test_safety_roster_gives_a_realistic_mix(as_of: dt.date) -> None:
    outcomes, problems, _ = _outcomes(SAMPLE / SAFETY_FILE, "safety", as_of)
    assert outcomes["VALID"] >= 8 and outcomes["EXPIRED"] >= 1 and outcomes["NOT_FOUND"] == 2
    assert outcomes["NAME_MISMATCH"] == 1
    assert problems["逾期未考核合格"] >= 1  # one not-found manager is still within the 6-month grace
