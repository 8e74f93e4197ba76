"""Verifier jobs belong to the unit that submitted them, recorded with the job's id AND creation time:
after the verifier's store is reset (ids start from 1 again) a township does not see another unit's
job, and the save target chosen at submit is kept with the job (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from db.records import verifier_jobs
from db.records.common import InputError
from db.rules.access import AccessDenied
from tests.kits.countykit import County

BEFORE_RESET = (1, "2023-06-01T08:00:00Z")
AFTER_RESET = (1, "2023-06-20T09:30:00Z")  # the same id, handed out again by a fresh verifier store


def test_a_reset_verifier_store_does_not_hand_over_another_units_job(county: County) -> None:
    sanhe, mingshan = county.township("三合街道"), county.township("名山街道")
    with county.session() as s:
        verifier_jobs.record_submission(
            s,
            principal=sanhe,
            job=BEFORE_RESET,
            jurisdiction_id=None,
            enterprise_id=county.ids["三合化工有限公司"],
            label="三合化工有限公司",
        )
        verifier_jobs.record_submission(
            s,
            principal=mingshan,
            job=AFTER_RESET,
            jurisdiction_id=county.ids["名山街道"],
            enterprise_id=None,
            label="名山街道",
        )
        s.commit()
        assert verifier_jobs.visible_jobs(s, principal=sanhe, jobs=[AFTER_RESET]) == set()
        assert verifier_jobs.visible_jobs(s, principal=mingshan, jobs=[AFTER_RESET]) == {AFTER_RESET}
        assert verifier_jobs.visible_jobs(s, principal=sanhe, jobs=[BEFORE_RESET, AFTER_RESET]) == {
            BEFORE_RESET
        }
        assert verifier_jobs.visible_jobs(s, principal=county.county_staff, jobs=[AFTER_RESET]) == {
            AFTER_RESET
        }
        with pytest.raises(AccessDenied):
            verifier_jobs.require_job(s, principal=sanhe, job=AFTER_RESET)
        with pytest.raises(AccessDenied):
            verifier_jobs.target_of(s, principal=sanhe, job=AFTER_RESET)
        mine = verifier_jobs.target_of(s, principal=sanhe, job=BEFORE_RESET)
    assert (
        mine is not None
        and mine.enterprise_id == county.ids["三合化工有限公司"]
        and mine.jurisdiction_id is None
    )
    assert mine.area_id == county.ids["三合街道"]  # where the page's chooser opens
    assert mine.needs_saving(12)


def test_the_target_is_saved_once_per_answered_rows(county: County) -> None:
    sanhe = county.township("三合街道")
    with county.session() as s:
        verifier_jobs.record_submission(
            s,
            principal=sanhe,
            job=BEFORE_RESET,
            jurisdiction_id=county.ids["三合街道"],
            enterprise_id=None,
            label="三合街道",
        )
        verifier_jobs.mark_saved(s, job=BEFORE_RESET, rows=5, summary="已保存 5 条")
        s.commit()
        target = verifier_jobs.target_of(s, principal=sanhe, job=BEFORE_RESET)
        assert (
            target is not None and not target.needs_saving(5) and target.needs_saving(7)
        )  # resumed: save again
        with pytest.raises(InputError):  # one record per job
            verifier_jobs.record_submission(
                s,
                principal=sanhe,
                job=BEFORE_RESET,
                jurisdiction_id=county.ids["三合街道"],
                enterprise_id=None,
                label="三合街道",
            )
        with pytest.raises(InputError):  # a target is a jurisdiction or an enterprise, not both or neither
            verifier_jobs.record_submission(
                s, principal=sanhe, job=AFTER_RESET, jurisdiction_id=None, enterprise_id=None, label=""
            )
