"""The obvious attacks on the inputs: SQL-looking text and spreadsheet formulas are stored as typed and
exported as text (never run), full ID numbers never reach a file by default, oversized uploads are refused."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from db.audit.search import AuditFilter, export_audit_xlsx
from db.codes import Role, TargetKind
from db.models import Finding, Person, User
from db.records import findings
from db.records.cert_results import store_page
from db.records.common import InputError, store_attachment
from db.records.monthly_validation import validate_monthly_file
from db.rules.access import Principal
from db.rules.campaign_defaults import ensure_default_campaign
from db.xlsx import findings_export, verification_export
from db.xlsx.tables import ImportRefused
from tests.kits.accountkit import NOW, World

SQL = "'; DROP TABLE user; --"
FORMULAS = [
    '=HYPERLINK("http://example.invalid","点我")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    '=cmd|" /C calc"!A0',
]


def _cells(data: bytes) -> list[object]:
    book = load_workbook(io.BytesIO(data))
    return [c for ws in book.worksheets for row in ws.iter_rows() for c in row]


def _texts(data: bytes) -> list[str]:
    return [str(c.value) for c in _cells(data) if c.value is not None]  # type: ignore[attr-defined]


@pytest.mark.parametrize("hostile", [SQL, *FORMULAS])
def test_hostile_text_is_stored_as_typed_and_exported_as_text(
    session: Session, world: World, hostile: str
) -> None:
    ensure_default_campaign(session)
    staff = world.principal("jia", Role.LOCAL_STAFF, jurisdiction="甲镇")
    findings.add_finding(
        session,
        principal=staff,
        jurisdiction_id=world.ids["甲镇"],
        target_kind=TargetKind.ENTERPRISE,
        enterprise_id=world.ids["甲镇企业"],
        institution_id=None,
        found_on=dt.date(2023, 5, 2),
        finding=findings.FindingInput(description=hostile, measure=hostile, responsible_person=hostile[:50]),
    )
    session.commit()
    stored = session.exec(select(Finding)).one()
    assert stored.description == hostile.strip() and stored.responsible_person == hostile[:50].strip()
    assert session.exec(select(User)).all()  # the user table is still there
    data = findings_export.findings_xlsx(
        session, principal=staff, jurisdiction_id=world.ids["甲镇"], as_of=dt.date(2023, 6, 1)
    )
    cells = [c for c in _cells(data) if isinstance(c.value, str) and hostile.strip() in c.value]  # type: ignore[attr-defined]
    assert cells, "the text is in the file"
    for cell in cells:
        assert cell.data_type == "s"  # type: ignore[attr-defined]
        if hostile.startswith(("=", "+", "-", "@")):
            assert str(cell.value).startswith("'")  # type: ignore[attr-defined]


def test_formula_names_and_full_ids_in_the_verification_export(session: Session, world: World) -> None:
    person = session.get(Person, world.ids["甲镇1"])
    assert person is not None
    person.name = FORMULAS[0]
    session.add(person)
    session.commit()
    staff = world.principal("jia", Role.LOCAL_STAFF, jurisdiction="甲镇")
    data = verification_export.verification_xlsx(
        session,
        principal=staff,
        jurisdiction_id=world.ids["甲镇"],
        first=dt.date(2023, 1, 1),
        last=dt.date(2023, 12, 31),
    )
    texts = _texts(data)
    assert "'" + FORMULAS[0] in texts
    joined = "\n".join(texts)
    for key, number in world.id_numbers.items():
        if key.startswith("甲镇"):
            assert number not in joined, "no full ID number in a default export"
    assert any("*" * 8 in t for t in texts)
    full = "\n".join(
        _texts(
            verification_export.verification_xlsx(
                session,
                principal=staff,
                jurisdiction_id=world.ids["甲镇"],
                first=dt.date(2023, 1, 1),
                last=dt.date(2023, 12, 31),
                full_ids=True,
            )
        )
    )
    assert world.id_numbers["甲镇1"] in full  # only on request (audited as a reveal)


def test_formula_text_in_the_audit_export_is_escaped(
    session: Session, world: World, admin: Principal
) -> None:
    from db.accounts import users

    users.add_user(
        session,
        principal=admin,
        username="formula",
        password="Formula-2023x",
        role=Role.LEADER,
        display_name=FORMULAS[0],
    )
    session.commit()
    data = export_audit_xlsx(session, principal=admin, where=AuditFilter(text="HYPERLINK"), now=NOW)
    hits = [t for t in _texts(data) if "HYPERLINK" in t]
    assert hits and all(not t.startswith("=") for t in hits)


@pytest.mark.parametrize(
    "upload",
    [
        lambda big: import_monthly_refused(big),
        lambda big: store_page(data=big, filename="查询结果.html"),
        lambda big: store_attachment(
            data=b"%PDF" + big, filename="扫描件.pdf", folder="scans", allowed=(".pdf",)
        ),
    ],
)
def test_oversized_uploads_are_refused(upload: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from anpei.settings import get_settings

    monkeypatch.setenv("ANPEI_MAX_UPLOAD_MB", "1")
    get_settings.cache_clear()
    try:
        with pytest.raises((InputError, ImportRefused), match="上限"):
            upload(b"PK" + b"\0" * (1024 * 1024 + 1))  # type: ignore[operator]
    finally:
        get_settings.cache_clear()


def import_monthly_refused(data: bytes) -> None:
    """The 汇总表 upload check `import_monthly` runs before it reads the database."""
    result = validate_monthly_file(data, filename="汇总表.xlsx")
    if not result.ok:
        raise ImportRefused(result.problems)
