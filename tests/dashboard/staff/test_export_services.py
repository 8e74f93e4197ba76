"""The 导出 page's work without Streamlit (`dashboard.services.exports`), in plain pytest: each
function builds its file, commits the audit entry and names the download; a request the user can
correct raises one of `REFUSED` and stores nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from anpei.periods import Month, PeriodFormatError, Quarter
from dashboard.services import exports as export_files
from db.rules.access import AccessDenied
from tests.dashboard.staff.conftest import County

CAMPAIGN = (dt.date(2022, 9, 1), dt.date(2023, 10, 31))


def _sheets(payload: bytes) -> list[str]:
    return list(load_workbook(io.BytesIO(payload)).sheetnames)


def test_summary_is_built_named_and_its_audit_entry_committed(county: County) -> None:
    with county.session() as s:
        payload, name = export_files.summary(
            s,
            principal=county.county_staff,
            month=Month(2023, 5),
            jurisdiction_id=county.ids["三合街道"],
            unit="三合街道",
            source="auto",
        )
    assert name == "汇总表-三合街道-2023-05.xlsx" and len(_sheets(payload)) == 1
    # read in a new session: the service committed the entry the builder recorded
    assert len(county.audit_entries(action="export", entity="monthlyreport")) == 1


def test_every_unit_with_the_county_total(county: County) -> None:
    with county.session() as s:
        payload, name = export_files.summary(
            s,
            principal=county.county_staff,
            month=Month(2023, 5),
            jurisdiction_id=None,
            unit="全部单位",
            source="auto",
        )
    assert name == "汇总表-全部单位-2023-05.xlsx" and len(_sheets(payload)) == 4  # the total and three units


def test_verification_span_is_a_month_or_the_whole_campaign(county: County) -> None:
    township = county.ids["三合街道"]
    with county.session() as s:
        _, whole = export_files.verification(
            s,
            principal=county.county_staff,
            jurisdiction_id=township,
            unit="三合街道",
            span=export_files.WHOLE_CAMPAIGN,
            campaign_days=CAMPAIGN,
            full_ids=False,
            problems_only=False,
        )
        _, may = export_files.verification(
            s,
            principal=county.county_staff,
            jurisdiction_id=township,
            unit="三合街道",
            span=Month(2023, 5),
            campaign_days=CAMPAIGN,
            full_ids=False,
            problems_only=True,
        )
    assert whole == "三合街道-证书核验结果-全程.xlsx"
    assert may == "三合街道-问题人员-2023-05.xlsx"


def test_findings_name_says_overdue(county: County) -> None:
    with county.session() as s:
        _, name = export_files.findings(
            s,
            principal=county.county_staff,
            jurisdiction_id=None,
            unit="全部单位",
            as_of=None,
            overdue_only=True,
        )
    assert name == "问题清单-全部单位-逾期.xlsx"


def test_refused_requests_raise_a_chinese_message_and_store_nothing(county: County) -> None:
    own = county.township("三合街道")
    with county.session() as s, pytest.raises(export_files.REFUSED) as bad_month:
        export_files.summary(
            s,
            principal=own,
            month=Month.parse("2023-13"),  # refused where the month is read, before the service
            jurisdiction_id=county.ids["三合街道"],
            unit="三合街道",
            source="auto",
        )
    assert isinstance(bad_month.value, PeriodFormatError) and "月" in str(bad_month.value)
    with county.session() as s, pytest.raises(export_files.REFUSED) as other:
        export_files.findings(
            s,
            principal=own,
            jurisdiction_id=county.ids["名山街道"],
            unit="名山街道",
            as_of=None,
            overdue_only=False,
        )
    assert isinstance(other.value, AccessDenied)
    with county.session() as s, pytest.raises(export_files.REFUSED) as circular:
        export_files.circular(s, principal=own, quarter=Quarter(2023, 2), as_of=None)
    assert isinstance(circular.value, AccessDenied) and "县局" in str(circular.value)
    with county.session() as s, pytest.raises(export_files.REFUSED) as full_ids:
        export_files.verification(
            s,
            principal=county.leader,  # leaders see masks only
            jurisdiction_id=county.ids["三合街道"],
            unit="三合街道",
            span=export_files.WHOLE_CAMPAIGN,
            campaign_days=CAMPAIGN,
            full_ids=True,
            problems_only=False,
        )
    assert isinstance(full_ids.value, AccessDenied)
    assert county.audit_entries(action="export") == []
