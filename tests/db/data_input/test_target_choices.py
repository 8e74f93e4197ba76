"""Whom a unit may record against (`db.records.common.target_choices`) and whether any account exists
(`db.accounts.users.has_accounts`): the queries the inspection, self-inspection, action and login pages used
to hold themselves."""

from __future__ import annotations

from sqlmodel import Session

from db.accounts.users import add_user, has_accounts
from db.codes import Role, TargetKind
from db.models import Enterprise, TrainingInstitution
from db.records.common import target_choices
from db.rules.access import SYSTEM_ADMIN
from tests.kits.countykit import County


def test_a_township_sees_its_own_and_a_member_unit_its_supervised_enterprises(county: County) -> None:
    with county.session() as s:
        sanhe = target_choices(s, jurisdiction_id=county.ids["三合街道"], kind=TargetKind.ENTERPRISE)
        unit = target_choices(s, jurisdiction_id=county.ids["县经信委"], kind=TargetKind.ENTERPRISE)
        schools = target_choices(s, jurisdiction_id=county.ids["三合街道"], kind=TargetKind.INSTITUTION)
        none = target_choices(s, jurisdiction_id=county.ids["名山街道"], kind=TargetKind.INSTITUTION)
    assert set(sanhe.values()) == {"三合化工有限公司", "三合烟花爆竹经营部", "三合机械厂", "三合商贸公司"}
    assert set(unit.values()) == {"三合化工有限公司", "三合机械厂"}
    assert schools == {county.ids["三合安全培训学校"]: "三合安全培训学校"} and none == {}


def test_county_wide_lists_every_active_target_by_name(county: County) -> None:
    with county.session() as s:
        closed = s.get(Enterprise, county.ids["名山家具厂"])
        assert closed is not None
        closed.active = False
        s.add(TrainingInstitution(name="名山职业培训中心", jurisdiction_id=county.ids["名山街道"]))
        s.commit()
        everyone = target_choices(
            s, jurisdiction_id=county.ids["三合街道"], kind=TargetKind.ENTERPRISE, county_wide=True
        )
        schools = target_choices(
            s, jurisdiction_id=county.ids["三合街道"], kind=TargetKind.INSTITUTION, county_wide=True
        )
    assert "名山家具厂" not in everyone.values() and "名山采石场" in everyone.values() and len(everyone) == 5
    assert list(everyone.values()) == sorted(everyone.values())
    assert set(schools.values()) == {"三合安全培训学校", "名山职业培训中心"}


def test_has_accounts_once_the_first_is_added(county: County) -> None:
    with Session(county.engine) as s:
        assert not has_accounts(s)
        add_user(
            s,
            principal=SYSTEM_ADMIN,
            username="admin1",
            display_name="管理员",
            role=Role.ADMIN,
            password="Long-enough-9",
        )
        s.commit()
        assert has_accounts(s)
