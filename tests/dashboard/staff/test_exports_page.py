"""导出 through AppTest on the seeded sample county: each export is built, offered for download
under a Chinese file name, and audited."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from anpei.periods import Month
from db.engine import make_engine
from db.models import AuditLog
from tests.dashboard.staff.conftest import ROOT
from tests.kits.authkit import logged_in_page

PAGE = str(ROOT / "dashboard" / "app_pages" / "exports.py")
pytestmark = pytest.mark.usefixtures("clean_streamlit_caches")


@pytest.mark.parametrize(
    "key,name",
    [
        ("summary", "汇总表-全部单位-2023-07.xlsx"),
        ("checks", "三合街道-证书核验结果-全程.xlsx"),
        ("findings", "问题清单-全部单位.xlsx"),
        ("circular", "关于2023年第三季度安全生产培训“走过场”专项整治督查考核情况的通报.xlsx"),
    ],
)
def test_each_export_is_built_offered_and_audited(
    sample_url: str, monkeypatch: pytest.MonkeyPatch, key: str, name: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", sample_url)
    at = logged_in_page(AppTest.from_file(PAGE, default_timeout=120), sample_url)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="exports.month").value == Month(2023, 7)
    at.button(key=f"exports.{key}.build").click().run()
    assert not at.exception, [e.value for e in at.exception]
    payload, file_name = at.session_state[f"exports.file.county.{key}"]  # kept under the user who made it
    assert file_name == name
    assert payload[:2] == b"PK"
    assert at.get("download_button"), "a download button is offered"
    engine = make_engine(sample_url)
    with Session(engine) as s:
        assert s.exec(select(AuditLog).where(AuditLog.action == "export")).all()
    engine.dispose()
