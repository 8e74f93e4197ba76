"""`anpei verify` as a user runs it: real roster files, the double over HTTP. In-process (CliRunner,
tests/kits/clikit.py) but for a few runs of the real `python -m anpei_cli` (`real_process=True`)."""

from __future__ import annotations

import csv
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.kits.clikit import ANPEI, Ran, run_anpei
from tests.kits.jobkit import (
    AS_OF,
    BLOCK_THEN_OK,
    EXPIRED,
    JOB_CASSETTES,
    NAME_MISMATCH,
    NOT_FOUND,
    VALID,
    QueryLog,
    counting_double,
    roster_rows,
    write_csv,
    write_xlsx,
)
from verifier.ids import mask_id
from verifier.results import FILE_COLUMNS

BAD_ID = "500230198503120112"


@pytest.fixture
def double() -> Iterator[tuple[str, QueryLog]]:
    with counting_double(JOB_CASSETTES) as running:
        yield running


def _verify(
    tmp_path: Path,
    *args: str,
    url: str | None = None,
    env: dict[str, str] | None = None,
    real_process: bool = False,
) -> Ran:
    env = {"ANPEI_VERIFIER_DATABASE_URL": f"sqlite:///{tmp_path / 'verifier.db'}", **(env or {})}
    command = ["verify", *args, "--as-of", AS_OF.isoformat()]
    if url:
        command += ["--platform-url", url, "--captcha", "fixed:8888", "--min-interval", "0"]
    if not real_process:
        return run_anpei(command, env=env, cwd=tmp_path)
    done = subprocess.run(
        [*ANPEI, *command],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    return Ran(done.returncode, done.stdout, done.stderr)


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_verify_writes_outcomes_and_lists_roster_problems(
    tmp_path: Path, double: tuple[str, QueryLog]
) -> None:
    url, log = double
    rows = [
        *roster_rows([VALID, EXPIRED, VALID, NAME_MISMATCH]),
        ["吴刚", BAD_ID, "", ""],
        *roster_rows([NOT_FOUND]),
    ]
    roster = write_xlsx(tmp_path / "名单.xlsx", rows, title="特种作业人员名单")
    out = tmp_path / "结果.csv"
    done = _verify(tmp_path, str(roster), "--out", str(out), url=url)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    problem = next(line for line in done.stderr.splitlines() if "第 7 行：" in line)
    assert "身份证号" in problem
    assert "核验进度 6/6 行" in done.stderr
    assert "查询平台 4 次" in done.stderr
    results = _csv(out)
    assert [(r["行号"], r["结论代码"]) for r in results] == [
        ("3", "VALID"),
        ("4", "EXPIRED"),
        ("5", "VALID"),
        ("6", "NAME_MISMATCH"),
        ("7", "INPUT_INVALID"),
        ("8", "NOT_FOUND"),
    ]
    assert results[0]["身份证号"] == mask_id(VALID.id_number)
    assert VALID.id_number not in out.read_text(encoding="utf-8-sig")
    assert len(log) == 4

    # again within the time-to-live: no platform query at all, same outcomes, full IDs on request
    again = tmp_path / "again.xlsx"
    done = _verify(tmp_path, str(roster), "--out", str(again), "--full-ids", url=url)
    assert done.returncode == 0 and "查询平台 0 次" in done.stderr
    assert len(log) == 4
    sheet = load_workbook(again).active
    assert sheet is not None
    table = [[c.value for c in row] for row in sheet.iter_rows()]
    width = len(FILE_COLUMNS)
    assert table[0][:5] == ["行号", "姓名", "身份证号", "证书类型", "结论代码"]
    assert table[0][width:] == ["姓名", "身份证号", "操作项目", "证书编号"]  # the roster's own, after
    assert table[1][2] == VALID.id_number and table[1][width + 1] == VALID.id_number  # 身份证号, original
    assert [r[4] for r in table[1:]] == [r["结论代码"] for r in results]


def test_verify_after_a_block_exits_zero_and_says_why(tmp_path: Path, double: tuple[str, QueryLog]) -> None:
    url, log = double
    roster = write_csv(tmp_path / "r.csv", roster_rows([VALID, BLOCK_THEN_OK, EXPIRED]))
    out = tmp_path / "out.csv"
    done = _verify(tmp_path, str(roster), "--out", str(out), url=url, real_process=True)
    assert done.returncode == 0, done.stderr
    assert "核验已中止：平台拒绝访问" in done.stderr
    assert [r["结论代码"] for r in _csv(out)] == ["VALID", "BLOCKED", "NOT_CHECKED"]
    assert len(log) == 2


def test_manual_captcha_without_terminal_gives_captcha_required(
    tmp_path: Path, double: tuple[str, QueryLog]
) -> None:
    url, log = double
    roster = write_csv(tmp_path / "r.csv", roster_rows([VALID, EXPIRED]))
    out = tmp_path / "out.csv"
    env_args = [str(roster), "--out", str(out), "--platform-url", url, "--captcha", "manual"]
    done = _verify(tmp_path, *env_args)
    assert done.returncode == 0, done.stderr
    assert [r["结论代码"] for r in _csv(out)] == ["CAPTCHA_REQUIRED", "CAPTCHA_REQUIRED"]
    assert "验证码" in done.stderr and len(log) == 0
    assert "查询平台 0 次" in done.stderr  # only a captcha image was fetched (issue 12.9)


@pytest.mark.parametrize(
    ("make", "args", "message"),
    [
        (None, ["missing.xlsx", "--out", "o.csv"], "找不到名单文件"),
        ("nonames", ["r.csv", "--out", "o.csv"], "姓名"),
        ("ok", ["r.csv", "--out", "o.txt"], ".csv 或 .xlsx"),
        ("ok", ["r.csv", "--out", "o.csv", "--family", "other"], "证书类型"),
        ("ok", ["r.csv", "--out", "o.csv", "--captcha", "auto"], "验证码方式"),
        ("ok", ["r.csv", "--out", "o.csv", "--min-interval", "-1"], "--min-interval 应为不小于 0 的秒数"),
        (
            "ok",
            ["r.csv", "--out", "o.csv", "--env", "ANPEI_MAX_ATTEMPTS=2"],
            "ANPEI_MAX_ATTEMPTS='2'：应不小于 3",
        ),
        (
            "ok",
            ["r.csv", "--out", "o.csv", "--env", "ANPEI_MIN_INTERVAL=abc"],
            "ANPEI_MIN_INTERVAL='abc'：应为数字",
        ),
        (
            "ok",
            ["r.csv", "--out", "o.csv", "--env", "ANPEI_VERIFIER_DATABASE_URL=bogus://x"],
            "无法打开核验任务库",
        ),
        ("ok", ["r.csv", "--out", "/proc/o.csv"], "无法写入"),
        ("huge", ["r.csv", "--out", "o.csv"], "60,000 行"),
    ],
    ids=[
        "missing",
        "no-name-column",
        "out-suffix",
        "family",
        "captcha",
        "min-interval",
        "max-attempts",
        "min-interval-env",
        "database-url",
        "unwritable-out",
        "over-60000-rows",
    ],
)
def test_unusable_input_exits_non_zero_with_one_line(
    tmp_path: Path, make: str | None, args: list[str], message: str
) -> None:
    """Issue 12.7–8: a Chinese line, never a traceback or English; nothing queried before it."""
    if make == "nonames":
        (tmp_path / "r.csv").write_text("编号,电话\n1,2\n", encoding="utf-8")
    elif make == "ok":
        write_csv(tmp_path / "r.csv", roster_rows([VALID]))
    elif make == "huge":
        write_csv(tmp_path / "r.csv", roster_rows([VALID]) * 70_000)
    env = dict(args.pop(i + 1).split("=", 1) for i, a in enumerate(list(args)) if a == "--env")
    args = [a for a in args if a != "--env"]
    # never the network; the first case also through the real interpreter (a traceback would show there)
    real = make is None
    done = _verify(tmp_path, *args, "--platform-url", "http://127.0.0.1:9", env=env, real_process=real)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：") and message in lines[0], done.stderr
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize("command", [["verify"], ["verifier", "serve"], ["verifier"]])
def test_help_is_chinese(command: list[str]) -> None:
    if command == ["verify"]:  # the real console path once
        proc = subprocess.run([*ANPEI, *command, "--help"], capture_output=True, text=True, timeout=60)
        done = Ran(proc.returncode, proc.stdout, proc.stderr)
    else:
        done = run_anpei([*command, "--help"])
    assert done.returncode == 0
    options = [
        line for line in done.stdout.splitlines() if line.strip().startswith("--") and "--help" not in line
    ]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in line) for line in options), done.stdout
