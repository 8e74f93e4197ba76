"""Ready-made sample rosters and the platform answers for their people (`sample_data/`).

`write_sample_files(dir)` writes, deterministically:

- `特种作业人员名册-示例.xlsx`: two title rows above the header, ~40 workers, with a few deliberate
  problems (a wrong check character, an ID stored as a number, an empty name, a person listed twice);
- `主要负责人名册-示例.csv` (GBK): principals and safety managers with 人员类型 and 任职日期;
- `cassettes/*.json`: recorded platform answers (FORMAT.md) for those people — valid, expired, review
  overdue, history only, a name mismatch (match without a name); not found = no cassette at all.

The dates are chosen so the outcomes hold for any as-of date from 2023-06-30 to mid-2027.
Run `python -m db.sample.rosters [DIR]` to regenerate the committed files (default `sample_data/`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import re
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from db.sample.ids import make_id_number
from db.sample.names import random_name

SPECIAL_FILE = "特种作业人员名册-示例.xlsx"
SAFETY_FILE = "主要负责人名册-示例.csv"
CASSETTE_DIR = "cassettes"
CASSETTE_FORMAT = "anpei-platform-cassette/1"
ISSUER = "重庆市应急管理局"
_FIXED_ZIP_TIME = (2023, 6, 1, 0, 0, 0)

ENTERPRISES = ("丰都县鑫源建材有限公司", "重庆恒达机械制造有限公司", "丰都县平都化工有限公司")
SPECIAL_ITEMS: tuple[tuple[str, str], ...] = (
    ("电工作业", "低压电工作业"),
    ("电工作业", "低压电工作业"),
    ("焊接与热切割作业", "熔化焊接与热切割作业"),
    ("高处作业", "登高架设作业"),
    ("制冷与空调作业", "制冷与空调设备运行操作作业"),
    ("危险化学品安全作业", "化工自动化控制仪表作业"),
    ("电工作业", "高压电工作业"),
)

# The planned outcome of each worker, in roster order (verification.md §4 codes).
SPECIAL_PLAN: tuple[str, ...] = (
    *(["VALID"] * 6),
    "EXPIRED",
    *(["VALID"] * 4),
    "REVIEW_OVERDUE",
    *(["VALID"] * 3),
    "NOT_FOUND_NO_NUMBER",
    *(["VALID"] * 3),
    "HISTORICAL_ONLY",
    *(["VALID"] * 2),
    "NAME_MISMATCH",
    "EXPIRED",
    *(["VALID"] * 3),
    "NOT_FOUND_WITH_NUMBER",
    "REVIEW_OVERDUE",
    *(["VALID"] * 2),
    "HISTORICAL_ONLY",
    "NAME_MISMATCH",
    "NOT_FOUND_NO_NUMBER",
    "VALID",
    "EXPIRED",
    *(["VALID"] * 3),
)
SAFETY_PLAN: tuple[tuple[str, str], ...] = (
    ("主要负责人", "VALID"),
    ("安全生产管理人员", "VALID"),
    ("安全生产管理人员", "VALID"),
    ("主要负责人", "EXPIRED"),
    ("安全生产管理人员", "VALID"),
    ("安全生产管理人员", "NOT_FOUND_OVERDUE"),
    ("主要负责人", "VALID"),
    ("安全生产管理人员", "VALID"),
    ("安全生产管理人员", "NOT_FOUND_IN_GRACE"),
    ("主要负责人", "VALID"),
    ("安全生产管理人员", "NAME_MISMATCH"),
    ("安全生产管理人员", "VALID"),
    ("安全生产管理人员", "VALID"),
    ("主要负责人", "VALID"),
    ("安全生产管理人员", "EXPIRED"),
    ("安全生产管理人员", "VALID"),
)


@dataclass
class SamplePerson:
    name: str
    id_number: str
    male: bool
    enterprise: str
    plan: str
    category: str | None = None
    item: str | None = None
    person_type: str | None = None
    issue_date: dt.date | None = None
    appointment: dt.date | None = None
    records: list[dict[str, Any]] = field(default_factory=list)


def _id(rng: random.Random, *, male: bool, oldest: int, youngest: int) -> str:
    region = rng.choice(("500230", "500230", "500230", "500233", "500102", "500101", "500243"))
    birth = dt.date(oldest, 1, 1) + dt.timedelta(days=rng.randrange((youngest - oldest) * 365))
    return make_id_number(region=region, birth=birth, seq=rng.randrange(1, 500), male=male)


def _special_record(
    p: SamplePerson,
    *,
    first: dt.date,
    history: bool = False,
    name: str | None = None,
    valid_end: dt.date | None = None,
    review_due: dt.date | None = None,
    review_done: dt.date | None = None,
) -> dict[str, Any]:
    end = valid_end or dt.date(first.year + 6, first.month, min(first.day, 28)) - dt.timedelta(days=1)
    return {
        "name": name or p.name,
        "sex": "男" if p.male else "女",
        "certNum": "T" + p.id_number,
        "jobTypeName": p.category,
        "operItemName": p.item,
        "firstIssueDate": first.isoformat(),
        "validBeginDate": first.isoformat(),
        "validEndDate": end.isoformat(),
        "shouldReviewDate": review_due.isoformat() if review_due else None,
        "actualReviewDate": review_done.isoformat() if review_done else None,
        "issueOrgName": ISSUER,
        "certStatus": "有效",
        "isHistory": history,
    }


def special_people(rng: random.Random) -> list[SamplePerson]:
    people: list[SamplePerson] = []
    for n, plan in enumerate(SPECIAL_PLAN):
        male = rng.random() < 0.88
        p = SamplePerson(
            random_name(rng, male=male),
            _id(rng, male=male, oldest=1968, youngest=2000),
            male,
            ENTERPRISES[n % 2 if n < 30 else 2],
            plan,
        )
        p.category, p.item = rng.choice(SPECIAL_ITEMS)
        # a current certificate: issued 2021-07..2022-06, reviewed in time in 2024-25, valid into 2027-28
        first = dt.date(2021, 7, 1) + dt.timedelta(days=rng.randrange(360))
        review_due = dt.date(first.year + 3, first.month, min(first.day, 28))
        current = _special_record(
            p,
            first=first,
            review_due=review_due,
            review_done=review_due - dt.timedelta(days=rng.randint(5, 40)),
        )
        p.issue_date = first
        if plan == "VALID":
            p.records = [current]
        elif plan == "EXPIRED":
            old = dt.date(2016, 3, 1) + dt.timedelta(days=rng.randrange(300))
            p.issue_date = old
            p.records = [
                _special_record(
                    p,
                    first=old,
                    review_due=dt.date(old.year + 3, old.month, 1),
                    review_done=dt.date(old.year + 3, old.month, 1) - dt.timedelta(days=20),
                    valid_end=dt.date(2022, 11, 30) - dt.timedelta(days=rng.randrange(200)),
                )
            ]
        elif plan == "REVIEW_OVERDUE":
            first = dt.date(2020, 1, 6) + dt.timedelta(days=rng.randrange(60))
            p.issue_date = first
            p.records = [
                _special_record(
                    p,
                    first=first,
                    review_due=dt.date(2023, first.month, first.day),
                    valid_end=dt.date(2026, first.month, first.day) + dt.timedelta(days=400),
                )
            ]
        elif plan == "HISTORICAL_ONLY":
            old = dt.date(2014, 5, 1) + dt.timedelta(days=rng.randrange(400))
            p.issue_date = old
            p.records = [
                _special_record(
                    p,
                    first=old,
                    history=True,
                    review_due=dt.date(old.year + 3, old.month, 1),
                    review_done=dt.date(old.year + 3, old.month, 1) - dt.timedelta(days=9),
                )
            ]
        elif plan == "NAME_MISMATCH":
            p.records = [{**current, "name": random_name(rng, male=male)}]
        elif plan == "NOT_FOUND_WITH_NUMBER":
            p.records = []  # presents a T-number the platform does not know
        else:  # NOT_FOUND_NO_NUMBER
            p.records = []
            p.issue_date = None
        people.append(p)
    return people


def safety_people(rng: random.Random) -> list[SamplePerson]:
    people: list[SamplePerson] = []
    for n, (person_type, plan) in enumerate(SAFETY_PLAN):
        male = rng.random() < 0.7
        p = SamplePerson(
            random_name(rng, male=male),
            _id(rng, male=male, oldest=1965, youngest=1992),
            male,
            ENTERPRISES[n % 3],
            plan,
            person_type=person_type,
        )
        p.appointment = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(2500))
        first = dt.date(2024, 1, 8) + dt.timedelta(days=rng.randrange(500))
        if plan == "NOT_FOUND_IN_GRACE":
            p.appointment = dt.date(2023, 3, 6)  # within 6 months of a 2023-06-30 as-of date
        if plan in ("VALID", "EXPIRED", "NAME_MISMATCH"):
            if plan == "EXPIRED":
                first = dt.date(2019, 4, 1) + dt.timedelta(days=rng.randrange(300))
            end = dt.date(first.year + 3, first.month, min(first.day, 28)) - dt.timedelta(days=1)
            p.records = [
                {
                    "name": p.name if plan != "NAME_MISMATCH" else random_name(rng, male=male),
                    "sex": "男" if male else "女",
                    "certNum": p.id_number,
                    "personTypeName": person_type,
                    "industryName": "危险化学品经营单位" if n % 3 == 2 else "工贸行业",
                    "firstIssueDate": first.isoformat(),
                    "validBeginDate": first.isoformat(),
                    "validEndDate": end.isoformat(),
                    "issueOrgName": ISSUER,
                    "certStatus": "有效",
                    "isHistory": False,
                }
            ]
            if plan == "VALID":  # a renewal 2027+: valid until well after the as-of dates used
                p.records[0]["validEndDate"] = (
                    dt.date(2027, 6, 30).isoformat() if end < dt.date(2027, 6, 30) else end.isoformat()
                )
        people.append(p)
    return people


# --- writers ----------------------------------------------------------------------------------


def _deterministic_zip(data: bytes) -> bytes:
    """Rewrite an .xlsx (a zip) with fixed timestamps so the file's bytes never change."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2023-06-28T09:00:00Z", body)
            dst.writestr(fixed, body)
    return out.getvalue()


def special_roster_xlsx(people: list[SamplePerson]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "特种作业人员"
    header = [
        "序号",
        "姓名",
        "身份证号码",
        "证书类型",
        "证号",
        "作业类别",
        "操作项目",
        "发证日期",
        "单位名称",
    ]
    ws.append(["丰都县生产经营单位特种作业人员持证情况名册"])
    ws.append(
        [
            "填报单位（盖章）：丰都县鑫源建材有限公司等",
            None,
            None,
            None,
            None,
            None,
            "填报日期：2023年6月28日",
        ]
    )
    ws.append(header)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    rows: list[list[Any]] = []
    for p in people:
        number = "T" + p.id_number if p.plan not in ("NOT_FOUND_NO_NUMBER",) else None
        rows.append(
            [p.name, p.id_number, "特种作业操作证", number, p.category, p.item, p.issue_date, p.enterprise]
        )
    # deliberate problems, on rows whose person would otherwise be valid
    valid = [n for n, p in enumerate(people) if p.plan == "VALID"]
    bad_check, as_number, no_name, twice = valid[5], valid[10], valid[15], valid[2]
    rows[bad_check][1] = rows[bad_check][1][:17] + ("0" if rows[bad_check][1][17] != "0" else "1")
    rows[as_number][1] = float(int(rows[as_number][1][:17] + "0"))  # a number: digits beyond 15 are lost
    rows[no_name][0] = ""
    rows.insert(len(rows) - 6, list(rows[twice]))  # the same person listed twice
    for n, row in enumerate(rows, start=1):
        ws.append([n, *row])
    for cell in ws["H"][3:]:
        cell.number_format = "yyyy-mm-dd"
    for column, width in zip("ABCDEFGHI", (6, 10, 22, 16, 22, 20, 28, 12, 28), strict=True):
        ws.column_dimensions[column].width = width
    stamp = dt.datetime(2023, 6, 28, 9, 0, 0)
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = "anpei"
    buffer = io.BytesIO()
    wb.save(buffer)
    return _deterministic_zip(buffer.getvalue())


def safety_roster_csv(people: list[SamplePerson]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["序号", "姓名", "身份证号码", "证书类型", "人员类型", "任职日期", "单位名称"])
    for n, p in enumerate(people, start=1):
        assert p.appointment is not None
        writer.writerow(
            [n, p.name, p.id_number, "安全合格证", p.person_type, p.appointment.isoformat(), p.enterprise]
        )
    return out.getvalue().encode("gbk")


NOTES = {
    "VALID": "当前有效证书，按期复审（任何2023-06-30至2027年中的核验日期：VALID）。",
    "EXPIRED": "唯一的证书已过有效期：EXPIRED（证书失效或不符）。",
    "REVIEW_OVERDUE": "应复审日期为2023年初，无实际复审记录：REVIEW_OVERDUE（证书失效或不符）。",
    "HISTORICAL_ONLY": "只有「历史数据」下的旧证书：HISTORICAL_ONLY（证书失效或不符）。",
    "NAME_MISMATCH": "match 不含 name：无论报送什么姓名都回答同一条记录，记录上的姓名与名单不同：NAME_MISMATCH。",
}


def cassettes(special: list[SamplePerson], safety: list[SamplePerson]) -> dict[str, dict[str, Any]]:
    """File name → cassette document; people planned as not found get no interaction."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for family, people in (("special", special), ("safety", safety)):
        for p in people:
            if not p.records:
                continue
            match: dict[str, str] = {"idcardNum": p.id_number, "family": family}
            if p.plan != "NAME_MISMATCH":
                match["name"] = p.name
            interaction = {
                "match": match,
                "response": {"status": 200, "json": {"code": 200, "msg": "查询成功", "data": p.records}},
            }
            groups.setdefault((family, p.plan), []).append(interaction)
    return {
        f"sample-{family}-{plan.lower().replace('_', '-')}.json": {
            "format": CASSETTE_FORMAT,
            "note": f"示例名册（sample_data）中的人员。{NOTES[plan]}",
            "interactions": interactions,
        }
        for (family, plan), interactions in sorted(groups.items())
    }


def write_sample_files(directory: str | Path) -> list[Path]:
    """Write the two rosters and their cassettes under `directory`; return the paths written."""
    root = Path(directory)
    (root / CASSETTE_DIR).mkdir(parents=True, exist_ok=True)
    rng = random.Random(20230628)
    special = special_people(rng)
    safety = safety_people(rng)
    written = [root / SPECIAL_FILE, root / SAFETY_FILE]
    written[0].write_bytes(special_roster_xlsx(special))
    written[1].write_bytes(safety_roster_csv(safety))
    for old in (root / CASSETTE_DIR).glob("sample-*.json"):
        old.unlink()
    for name, document in cassettes(special, safety).items():
        path = root / CASSETTE_DIR / name
        path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    target = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[2] / "sample_data"
    for path in write_sample_files(target):
        sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv))
