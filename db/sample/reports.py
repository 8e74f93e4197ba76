"""The sample county's reports: each jurisdiction's monthly tables (built from the tallies of the
records it produced), the summary reports, and the training archives stored through the service.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col
from sqlmodel import select as select_rows

from db.codes import (
    MonthlyStatus,
    TargetKind,
)
from db.models import Enterprise, TrainingArchive, TrainingInstitution, TrainingLead
from db.rules.access import SYSTEM
from db.sample.bulk import CST, SEED_TIMESTAMP
from db.sample.names import random_name
from db.sample.state import SNAPSHOT, GeneratorState, MonthTally, landline_number
from db.training.storing import store_archive
from db.training.uploads import TrainingUnit, Upload
from training_audit import sample


class ReportsGenerator(GeneratorState):
    """Monthly tables and summary reports, from the tallies."""

    # monthly tables, summaries, users ---------------------------------------------------------

    def monthly_reports(self) -> None:
        rng = self.rng
        all_ids = self.township_ids + list(self.unit_name)
        late_ids = set(rng.sample(self.township_ids, 4)) | set(rng.sample(list(self.unit_name), 2))
        missing = {(rng.choice(self.township_ids), rng.choice(self.months[:-1])) for _ in range(2)}
        missing.add((rng.choice(list(self.unit_name)), rng.choice(self.months)))
        for jid in all_ids:
            for month in self.months:
                if (jid, month) in missing:
                    continue
                t = self.tally.get((jid, month)) or MonthTally()
                month_end = month.last
                due = month_end + dt.timedelta(days=5)
                if jid in late_ids and rng.random() < 0.6:
                    submitted = due + dt.timedelta(days=rng.randint(1, 15))
                    status = MonthlyStatus.LATE
                else:
                    submitted = month_end + dt.timedelta(days=rng.randint(1, 5))
                    status = MonthlyStatus.SUBMITTED
                if not t.enterprises and not t.institutions and status == MonthlyStatus.SUBMITTED:
                    status = MonthlyStatus.ZERO
                self.w.add(
                    "monthlyreport",
                    {
                        "id": self.w.next_id("monthlyreport"),
                        "jurisdiction_id": jid,
                        "month": str(month),
                        "status": status.value,
                        "submitted_at": dt.datetime.combine(
                            submitted, dt.time(rng.randint(8, 17), rng.randrange(60)), tzinfo=CST
                        ),
                        "enterprises_inspected": len(t.enterprises),
                        "high_risk_inspected": len(t.high_risk),
                        "industry_trade_inspected": len(t.industry_trade),
                        "institutions_inspected": len(t.institutions),
                        "problems_found": sum(t.problems_by_item.values()),
                        "problems_by_item": {k: t.problems_by_item[k] for k in sorted(t.problems_by_item)},
                        "ordered_rectify": t.ordered_rectify,
                        "rectified": t.rectified,
                        "workers_checked": t.workers_checked,
                        "unlicensed": t.unlicensed,
                        "suspected_fake": t.suspected_fake,
                        "managers_due": t.managers_due,
                        "managers_passed": t.managers_passed,
                        "managers_overdue": t.managers_overdue,
                        "cases": t.cases,
                        "fines_wan": (t.fines_yuan / Decimal(10000)).quantize(Decimal("0.0001")),
                        "exposures": t.exposures,
                        "blacklisted": t.blacklisted,
                        "filled_by": random_name(rng, male=rng.random() < 0.5),
                        "phone": landline_number(rng),
                        "filled_on": submitted,
                        "scan_path": None,
                        "source_sha256": None,
                    },
                )

    def summary_reports(self) -> None:
        rng = self.rng
        for jid in self.township_ids + list(self.unit_name):
            roll = rng.random()
            if roll < 0.06:
                continue  # not submitted
            submitted = (
                dt.date(2023, 11, 1) + dt.timedelta(days=rng.randrange(5))
                if roll < 0.14
                else dt.date(2023, 9, 20) + dt.timedelta(days=rng.randrange(42))
            )
            name = self.township_name.get(jid) or self.unit_name[jid]
            self.w.add(
                "summaryreport",
                {
                    "id": self.w.next_id("summaryreport"),
                    "campaign_id": self.campaign_id,
                    "jurisdiction_id": jid,
                    "submitted_on": submitted,
                    "title": f"{name}安全生产培训“走过场”专项整治工作总结",
                    "attachment": None,
                },
            )


def training_archives_(engine: Engine, *, township_id: int) -> dict[str, int]:
    """培训档案: the two planted archives of `training_audit.sample` and two clean ones (2022-09–2023-07).

    The school's archive goes to the first training institution, the enterprise's to the first
    enterprise of the first township (the `sanhe` demo account's); two more units get clean
    archives. Stored through the service as the command line, at the seed's fixed time, so the
    leads and their ids are the same on every run.
    """

    with Session(engine) as session:
        institutions = session.exec(
            select_rows(TrainingInstitution).order_by(col(TrainingInstitution.id)).limit(2)
        ).all()
        enterprises = session.exec(
            select_rows(Enterprise)
            .where(Enterprise.jurisdiction_id == township_id)
            .order_by(col(Enterprise.id))
            .limit(2)
        ).all()
        if len(institutions) < 2 or len(enterprises) < 2:
            return {}
        plan: list[tuple[TrainingInstitution | Enterprise, TargetKind, dict[str, list[list[Any]]]]] = [
            (institutions[0], TargetKind.INSTITUTION, sample.school(institutions[0].name)),
            (enterprises[0], TargetKind.ENTERPRISE, sample.company(enterprises[0].name)),
            (
                institutions[1],
                TargetKind.INSTITUTION,
                sample.clean(institutions[1].name, first_person=1000, teacher="孙涛", prefix="PX"),
            ),
            (
                enterprises[1],
                TargetKind.ENTERPRISE,
                sample.clean(
                    enterprises[1].name, first_person=2000, teacher="何芳", prefix="AQ", from_day=15
                ),
            ),
        ]
        for unit, kind, sheets in plan:
            name = f"{unit.name}-培训档案.xlsx"
            digest = hashlib.sha256(
                json.dumps(sheets, ensure_ascii=False, sort_keys=True).encode()
            ).hexdigest()
            upload = Upload(name=name, digest=digest, archive=sample.archive_of(name, sheets))
            target = TrainingUnit(kind.value, int(unit.id or 0), unit.name, unit.jurisdiction_id)
            store_archive(
                session,
                principal=SYSTEM,
                upload=upload,
                unit=target,
                now=SEED_TIMESTAMP,
                as_of=SNAPSHOT,
                audited=False,
            )
        session.commit()
        return {
            "trainingarchive": len(session.exec(select_rows(TrainingArchive.id)).all()),
            "traininglead": len(session.exec(select_rows(TrainingLead.id)).all()),
        }
