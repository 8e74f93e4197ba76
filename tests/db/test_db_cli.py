"""`anpei db upgrade`, `anpei db seed --sample`, `anpei summary` through the real command line."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from anpei_cli.cli import app
from tests.kits.clikit import ANPEI, Ran, run_anpei

SMALL = "0.05"


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_upgrade_seed_and_summary(db_url_engine: tuple[str, Engine]) -> None:
    url, _ = db_url_engine
    code, _, err = _run("db", "upgrade", "--database-url", url)
    assert code == 0, err
    assert "已升级" in err

    code, _, err = _run("summary", "--month", "2023-05", "--database-url", url)
    assert code == 1
    assert err.strip() == "错误：数据库为空，请先运行 anpei db seed --sample"

    code, _, err = _run("db", "seed", "--sample", "--scale", SMALL, "--database-url", url)
    assert code == 0, err
    assert "示例县数据已载入" in err and "企业" in err

    code, _, err = _run("db", "seed", "--sample", "--scale", SMALL, "--database-url", url)
    assert code == 1 and "--force" in err and "Traceback" not in err

    code, out, err = _run("summary", "--month", "2023-05", "--json", "--database-url", url)
    assert code == 0, err
    data = json.loads(out)
    assert data["month"] == "2023-05" and data["as_of"] == "2023-05-31"
    names = [row["jurisdiction"] for row in data["jurisdictions"]]
    assert len(names) == 45 and names[:2] == ["三合街道", "名山街道"]
    assert data["county"]["enterprises_registered"] == sum(
        r["enterprises_registered"] for r in data["jurisdictions"] if r["kind"] == "township"
    )

    code, out, err = _run(
        "summary", "--month", "2023-06", "--jurisdiction", "名山街道", "--database-url", url
    )
    assert code == 0, err
    lines = out.splitlines()
    assert "2023-06" in lines[0] and lines[1].startswith("单位")
    assert len(lines) == 4 and lines[3].startswith("名山街道")

    code, out, err = _run("summary", "--month", "2023-06", "--database-url", url)
    assert code == 0 and "全县" in out and "月报：已报" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2023/05"], "月份格式不正确"),
        (["--month", "2023-05", "--as-of", "30/06/2023"], "日期格式不正确"),
        (["--month", "2023-05", "--jurisdiction", "不存在镇"], "找不到单位：不存在镇"),
    ],
)
def test_summary_bad_input(
    db_url_engine: tuple[str, Engine], seeded: Engine, args: list[str], message: str
) -> None:
    url = db_url_engine[0]
    code, _, err = _run("summary", *args, "--database-url", url)
    assert code == 1 and message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("month", "why"),
    [
        ("2024-05", "2024-05 不在专项整治期间（2022-09-01 至 2023-10-31）"),
        ("2022-10", "2022-10 不在执法检查阶段"),
    ],
)
def test_summary_of_a_month_without_monthly_tables_says_so(
    db_url_engine: tuple[str, Engine], month: str, why: str
) -> None:
    """45 units 未报 in a month nobody had to report is no failure: the summary says why (issue 15)."""
    from db.sample.seed import seed_sample

    url, engine = db_url_engine
    seed_sample(engine, scale=0.02)
    code, out, err = _run("summary", "--month", month, "--database-url", url)
    assert code == 0, err
    assert f"注意：{why}" in out and "各单位本月无需报送汇总表" in out
    assert "月报：本月无需报送" in out and "月报：已报" not in out
    code, out, err = _run("summary", "--month", month, "--json", "--database-url", url)
    data = json.loads(out)
    assert data["monthly_required"] is False and why in data["note"]
    code, out, err = _run("summary", "--month", "2023-05", "--json", "--database-url", url)
    assert json.loads(out)["monthly_required"] is True


def test_seed_without_sample_flag() -> None:
    code, _, err = _run("db", "seed", "--database-url", "sqlite:///:memory:")
    assert code == 1 and "--sample" in err


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://nobody@127.0.0.1:1/none", "无法连接数据库"),
        ("mysql://u@h/db", "不支持的数据库类型"),
        ("::not a url::", "DATABASE_URL 格式不正确"),
    ],
)
@pytest.mark.parametrize("command", [["db", "upgrade"], ["summary", "--month", "2023-05"]])
def test_wrong_database_url_gives_one_line(url: str, message: str, command: list[str]) -> None:
    if command == ["db", "upgrade"] and url.startswith("::"):  # once through the real interpreter
        env = {**os.environ, "DATABASE_URL": url}
        done = subprocess.run([*ANPEI, *command], env=env, capture_output=True, text=True, timeout=60)
        proc = Ran(done.returncode, done.stdout, done.stderr)
    else:
        proc = run_anpei(command, env={"DATABASE_URL": url})
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert message in proc.stderr
