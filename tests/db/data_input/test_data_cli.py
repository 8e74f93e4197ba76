"""`anpei template …` and `anpei import …`: in-process (CliRunner) and as a subprocess (on SQLite)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from anpei_cli.cli import app
from db.models import AuditLog, Inspection, MonthlyReport
from db.records import monthly_table
from tests.kits.clikit import ANPEI, Ran, run_anpei
from tests.kits.countykit import County

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def url(db_url_engine: tuple[str, Engine], county: County) -> str:
    return db_url_engine[0]


def _anpei(args: list[str], url: str) -> Ran:
    """`anpei *args` against `url`: the real interpreter on SQLite, in-process on PostgreSQL."""
    if not url.startswith("sqlite"):
        return run_anpei(args, env={"DATABASE_URL": url}, cwd=ROOT)
    env = {**os.environ, "DATABASE_URL": url}
    done = subprocess.run([*ANPEI, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    return Ran(done.returncode, done.stdout, done.stderr)


def _filled_template(tmp_path: Path, url: str, **numbers: object) -> Path:
    out = tmp_path / "模板.xlsx"
    result = CliRunner().invoke(
        app,
        [
            "template",
            "monthly",
            "--jurisdiction",
            "三合街道",
            "--month",
            "2023-05",
            "--out",
            str(out),
            "--database-url",
            url,
        ],
    )
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    ws = wb["汇总表"]
    keys = [c.key for c in monthly_table.DEFAULT_LAYOUT]
    values = {"enterprises_inspected": 2, "high_risk_inspected": 1, **numbers}
    for key, value in values.items():
        ws.cell(row=5, column=keys.index(key) + 1, value=value)
    filled = tmp_path / "5月汇总表.xlsx"
    wb.save(filled)
    return filled


def test_template_and_import_monthly(tmp_path: Path, url: str, county: County) -> None:
    filled = _filled_template(tmp_path, url)
    runner = CliRunner()
    first = runner.invoke(app, ["import", "monthly", str(filled), "--database-url", url])
    assert first.exit_code == 0, first.output
    assert "新增 1 份（三合街道 2023-05）" in first.stdout
    again = runner.invoke(app, ["import", "monthly", str(filled), "--database-url", url])
    assert again.exit_code == 0 and "未重复计入" in again.stdout
    with Session(county.engine) as s:
        assert len(s.exec(select(MonthlyReport)).all()) == 1
        assert {a.username for a in s.exec(select(AuditLog)).all()} == {"system"}


def test_import_monthly_refused(tmp_path: Path, url: str, county: County) -> None:
    filled = _filled_template(tmp_path, url, high_risk_inspected="两家", rectified=-3)
    result = CliRunner().invoke(app, ["import", "monthly", str(filled), "--database-url", url])
    assert result.exit_code == 1
    assert "数量列填写了文字（读到“两家”" in result.stderr and "数量不能为负数" in result.stderr
    assert "已整份拒收，未保存任何数据" in result.stderr
    with Session(county.engine) as s:
        assert s.exec(select(MonthlyReport)).all() == []


def test_unknown_jurisdiction_and_bad_month(tmp_path: Path, url: str) -> None:
    runner = CliRunner()
    r1 = runner.invoke(
        app,
        [
            "template",
            "monthly",
            "-j",
            "火星镇",
            "-m",
            "2023-05",
            "--out",
            str(tmp_path / "a.xlsx"),
            "--database-url",
            url,
        ],
    )
    assert r1.exit_code == 1 and "找不到单位“火星镇”" in r1.stderr
    r2 = runner.invoke(
        app,
        [
            "template",
            "monthly",
            "-j",
            "三合街道",
            "-m",
            "五月",
            "--out",
            str(tmp_path / "a.xlsx"),
            "--database-url",
            url,
        ],
    )
    assert r2.exit_code == 1 and "月份格式不正确" in r2.stderr
    r3 = runner.invoke(app, ["import", "monthly", str(tmp_path / "missing.xlsx"), "--database-url", url])
    assert r3.exit_code == 1 and "找不到文件" in r3.stderr


def test_inspections_template_and_import(tmp_path: Path, url: str, county: County) -> None:
    from db.records.inspection_sheet import COLUMNS

    out = tmp_path / "检查模板.xlsx"
    runner = CliRunner()
    assert (
        runner.invoke(app, ["template", "inspections", "--out", str(out), "--database-url", url]).exit_code
        == 0
    )
    wb = load_workbook(out)
    ws = wb["检查记录"]
    values = {
        "inspected_on": "2023/5/10",
        "jurisdiction": "三合街道",
        "target_kind": "生产经营单位",
        "target": "三合机械厂",
        "item1": "合格",
        "item2": "不合格",
        "item3": "合格",
        "item4": "合格",
        "item5": "不适用",
        "description": "未制定培训计划",
        "deadline": "2023-06-10",
        "order": "是",
    }
    ws.append([values.get(c.key) for c in COLUMNS])
    wb.save(out)
    ok = runner.invoke(app, ["import", "inspections", str(out), "--database-url", url])
    assert ok.exit_code == 0, ok.output
    assert "检查 1 次，问题 1 条，处理措施 1 项" in ok.stdout
    ws.append([*[values.get(c.key) for c in COLUMNS][:3], "不存在的公司"])
    wb.save(out)
    bad = runner.invoke(app, ["import", "inspections", str(out), "--database-url", url])
    assert bad.exit_code == 1 and "第 3 行：三合街道 在 2023-05-10 已登记过" in bad.stderr
    assert "第 4 行 D（对象名称） 列：找不到这家生产经营单位" in bad.stderr
    with Session(county.engine) as s:
        assert len(s.exec(select(Inspection)).all()) == 1


def test_subprocess_refuses_oversize_file(tmp_path: Path, url: str, county: County) -> None:
    big = tmp_path / "big.xlsx"
    big.write_bytes(b"PK" + b"\0" * (20 * 1024 * 1024 + 10))
    done = _anpei(["import", "monthly", str(big)], url)
    assert done.returncode == 1
    assert "超过上传上限 20 MB" in done.stderr and "Traceback" not in done.stderr
    with Session(county.engine) as s:
        assert s.exec(select(MonthlyReport)).all() == []


def test_subprocess_imports_gbk_csv(tmp_path: Path, url: str, county: County) -> None:
    headers = [c.header for c in monthly_table.DEFAULT_LAYOUT]
    row = ["名山街道", "2023-05", "1", "1"] + [""] * (len(headers) - 4)
    path = tmp_path / "名山.csv"
    path.write_bytes((",".join(headers) + "\n" + ",".join(row) + "\n").encode("gbk"))
    done = _anpei(["import", "monthly", str(path)], url)
    assert done.returncode == 0, done.stderr
    assert "名山街道 2023-05" in done.stdout
    with Session(county.engine) as s:
        assert s.exec(select(MonthlyReport)).one().enterprises_inspected == 1


def test_help_is_chinese() -> None:
    for args in (
        ["template", "monthly"],
        ["import", "monthly"],
        ["template", "inspections"],
        ["import", "inspections"],
    ):
        result = CliRunner().invoke(app, [*args, "--help"])
        assert result.exit_code == 0 and ("拒收" in result.stdout or "模板" in result.stdout)
    assert "YYYY-MM" in CliRunner().invoke(app, ["template", "monthly", "--help"]).stdout
