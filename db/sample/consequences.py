"""The sample county's consequences of inspections: findings and their rectification, enforcement
actions (责令整改, 立案, 罚款, 曝光, 黑名单), enterprises' self-inspections, the inspections of
training institutions, and tips (举报).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from anpei.periods import Month, Quarter
from db.codes import (
    ActionKind,
    FindingStatus,
    ItemResult,
    RevisitResult,
    RiskClass,
    TargetKind,
    TipStatus,
)
from db.rules.metrics import is_rectified_by, item_key
from db.sample.bulk import SEED_TIMESTAMP
from db.sample.names import random_name
from db.sample.state import (
    FINDING_TEXT,
    SNAPSHOT,
    TIP_TEXT,
    GeneratorState,
    MonthTally,
    workday,
)


class ConsequencesGenerator(GeneratorState):
    """Findings, actions, self-inspections, institution inspections and tips."""

    # findings and actions -----------------------------------------------------------------------

    def _consequences(
        self,
        *,
        target_kind: TargetKind,
        enterprise_id: int | None,
        institution_id: int | None,
        by: int,
        iid: int,
        day: dt.date,
        failed: list[int],
        lax: bool,
        responsible: str | None,
        found_before: set[tuple[int, str]],
        tallies: list[MonthTally],
    ) -> None:
        rng = self.rng
        month_end = Month.of(day).last
        report_day = month_end + dt.timedelta(days=5)
        last_deadline = day
        for item in failed:
            description, measure = FINDING_TEXT[(target_kind, item)]
            deadline = day + dt.timedelta(days=rng.choice((7, 15, 15, 30, 30)))
            last_deadline = max(last_deadline, deadline)
            status, rectified_on, revisit_date, revisit_result = self._finding_outcome(day, deadline, lax)
            quarter = str(Quarter.of(day))
            recurring = any(key[0] == item and key[1] < quarter for key in found_before)
            found_before.add((item, quarter))
            self.w.add(
                "finding",
                {
                    "id": self.w.next_id("finding"),
                    "jurisdiction_id": by,
                    "inspection_id": iid,
                    "self_inspection_id": None,
                    "target_kind": target_kind.value,
                    "enterprise_id": enterprise_id,
                    "institution_id": institution_id,
                    "check_item_number": item,
                    "found_on": day,
                    "description": description,
                    "measure": measure,
                    "deadline": deadline,
                    "responsible_person": responsible or random_name(rng, male=True),
                    "status": status,
                    "rectified_on": rectified_on,
                    "revisit_date": revisit_date,
                    "revisit_result": revisit_result,
                    "revisit_by": "、".join(random_name(rng, male=True) for _ in range(2))
                    if revisit_date
                    else "",
                    "recurring": recurring,
                    "created_at": SEED_TIMESTAMP,
                },
            )
            for t in tallies:
                t.problems_by_item[item_key(target_kind, item)] += 1
                t.rectified += is_rectified_by(rectified_on, status, report_day)
        # 责令整改 for every inspection with a failed item; cases and penalties for the serious ones
        serious = (target_kind == TargetKind.ENTERPRISE and bool({3, 4} & set(failed))) or (
            target_kind == TargetKind.INSTITUTION and 4 in failed
        )
        self._action(
            ActionKind.ORDER_RECTIFY,
            by=by,
            iid=iid,
            target_kind=target_kind,
            enterprise_id=enterprise_id,
            institution_id=institution_id,
            day=day,
            deadline=last_deadline,
            tallies=tallies,
        )
        for t in tallies:
            t.ordered_rectify += 1
        p_case = (0.8 if lax else 0.55) if serious else 0.06
        if rng.random() < p_case:
            kw: dict[str, Any] = {
                "by": by,
                "iid": iid,
                "target_kind": target_kind,
                "enterprise_id": enterprise_id,
                "institution_id": institution_id,
                "day": day,
                "tallies": tallies,
            }
            self._action(ActionKind.CASE, **kw)
            if rng.random() < 0.85:
                amount = Decimal(rng.choice((5000, 10000, 10000, 20000, 20000, 30000, 50000)))
                self._action(ActionKind.FINE, amount=amount, **kw)
            if rng.random() < 0.35:
                self._action(ActionKind.EXPOSURE, **kw)
                if rng.random() < 0.4:
                    self._action(ActionKind.BLACKLIST, **kw)

    def _finding_outcome(
        self, day: dt.date, deadline: dt.date, lax: bool
    ) -> tuple[str, dt.date | None, dt.date | None, str | None]:
        rng = self.rng
        if rng.random() > (0.72 if lax else 0.94):
            return FindingStatus.OPEN.value, None, None, None
        allowed = (deadline - day).days
        late = rng.random() < (0.3 if lax else 0.1)
        rectified_on = day + dt.timedelta(days=rng.randint(2, allowed + (rng.randint(5, 40) if late else 0)))
        if rectified_on > SNAPSHOT:
            return FindingStatus.OPEN.value, None, None, None
        if rng.random() < 0.25:
            return FindingStatus.RECTIFIED.value, rectified_on, None, None
        revisit = min(SNAPSHOT, rectified_on + dt.timedelta(days=rng.randint(2, 12)))
        if rng.random() < 0.05:
            return FindingStatus.OPEN.value, None, revisit, RevisitResult.FAILED.value
        return FindingStatus.CLOSED.value, rectified_on, revisit, RevisitResult.PASSED.value

    def _action(
        self,
        kind: ActionKind,
        *,
        by: int,
        iid: int | None,
        target_kind: TargetKind,
        enterprise_id: int | None,
        institution_id: int | None,
        day: dt.date,
        tallies: list[MonthTally],
        deadline: dt.date | None = None,
        amount: Decimal | None = None,
    ) -> None:
        rng = self.rng
        month_end = Month.of(day).last
        action_day = min(month_end, day + dt.timedelta(days=rng.randrange(0, 6)))
        self.counters[f"ref-{kind}"] += 1
        n = self.counters[f"ref-{kind}"]
        ref = {
            ActionKind.ORDER_RECTIFY: f"丰都责改〔{day.year}〕{n}号",
            ActionKind.CASE: f"丰都应急罚〔{day.year}〕{n}号",
            ActionKind.FINE: f"丰都应急罚〔{day.year}〕{n}号",
            ActionKind.EXPOSURE: f"互联网+执法平台曝光第{n}期",
            ActionKind.BLACKLIST: f"诚信黑名单〔{day.year}〕{n}号",
        }[kind]
        self.w.add(
            "enforcementaction",
            {
                "id": self.w.next_id("enforcementaction"),
                "jurisdiction_id": by,
                "inspection_id": iid,
                "target_kind": target_kind.value,
                "enterprise_id": enterprise_id,
                "institution_id": institution_id,
                "kind": kind.value,
                "action_date": action_day,
                "deadline": deadline if kind == ActionKind.ORDER_RECTIFY else None,
                "fine_amount": amount,
                "case_ref": ref,
                "notes": "",
            },
        )
        for t in tallies:
            if kind == ActionKind.CASE:
                t.cases += 1
            elif kind == ActionKind.FINE and amount is not None:
                t.fines_yuan += amount
            elif kind == ActionKind.EXPOSURE:
                t.exposures += 1
            elif kind == ActionKind.BLACKLIST:
                t.blacklisted += 1

    # self-inspection, institutions, tips ----------------------------------------------------------

    def _self_inspection(
        self, eid: int, *, township: int, risk: RiskClass, lax: bool, principal: str | None
    ) -> None:
        rng = self.rng
        if rng.random() > (0.75 if risk != RiskClass.OTHER else 0.08) * (0.6 if lax else 1.0):
            return
        rid = self.w.next_id("selfinspectionreport")
        submitted = dt.date(2022, 10, 15) + dt.timedelta(days=rng.randrange(165))
        self.w.add(
            "selfinspectionreport",
            {
                "id": rid,
                "target_kind": TargetKind.ENTERPRISE.value,
                "enterprise_id": eid,
                "institution_id": None,
                "jurisdiction_id": township,
                "submitted_on": submitted,
                "period_from": dt.date(2020, 4, 1),
                "summary": "对照专项整治重点内容开展自查，问题已列入清单逐项整改。",
                "attachment": None,
                "created_at": SEED_TIMESTAMP,
            },
        )
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            item = rng.choice((1, 2, 2, 5, 5, 3))
            description, measure = FINDING_TEXT[(TargetKind.ENTERPRISE, item)]
            deadline = submitted + dt.timedelta(days=30)
            status, rectified_on, revisit, result = self._finding_outcome(submitted, deadline, lax)
            self.w.add(
                "finding",
                {
                    "id": self.w.next_id("finding"),
                    "jurisdiction_id": township,
                    "inspection_id": None,
                    "self_inspection_id": rid,
                    "target_kind": TargetKind.ENTERPRISE.value,
                    "enterprise_id": eid,
                    "institution_id": None,
                    "check_item_number": item,
                    "found_on": submitted,
                    "description": "（自查）" + description,
                    "measure": measure,
                    "deadline": deadline,
                    "responsible_person": principal or "",
                    "status": status,
                    "rectified_on": rectified_on,
                    "revisit_date": revisit,
                    "revisit_result": result,
                    "revisit_by": "",
                    "recurring": False,
                    "created_at": SEED_TIMESTAMP,
                },
            )

    def institution_inspections(self) -> None:
        rng = self.rng
        bureau = self.unit_ids["yjj"]
        for iid_inst, name, township in self.institutions:
            self.w.add(
                "selfinspectionreport",
                {
                    "id": self.w.next_id("selfinspectionreport"),
                    "target_kind": TargetKind.INSTITUTION.value,
                    "enterprise_id": None,
                    "institution_id": iid_inst,
                    "jurisdiction_id": township,
                    "submitted_on": dt.date(2023, 3, rng.randint(1, 28)),
                    "period_from": dt.date(2020, 4, 1),
                    "summary": "全面核查2020年4月以来的培训、考试工作，形成问题清单。",
                    "attachment": None,
                    "created_at": SEED_TIMESTAMP,
                },
            )
            lax = rng.random() < 0.3
            for month in self.months:
                if rng.random() > 0.55:
                    continue
                joint = rng.random() < 0.3
                day = workday(rng, month)
                ins = self.w.next_id("inspection")
                self.w.add(
                    "inspection",
                    {
                        "id": ins,
                        "inspected_on": day,
                        "jurisdiction_id": bureau,
                        "joint": joint,
                        "joint_units": self.township_name[township] if joint else "",
                        "target_kind": TargetKind.INSTITUTION.value,
                        "enterprise_id": None,
                        "institution_id": iid_inst,
                        "inspectors": "、".join(random_name(rng, male=True) for _ in range(2)),
                        "notes": "",
                        "source_ref": None,
                        "created_at": SEED_TIMESTAMP,
                    },
                )
                tally = self.tally[(bureau, month)]
                tally.institutions.add(iid_inst)
                failed = []
                for item in (1, 2, 3, 4):
                    p = {1: 0.08, 2: 0.12, 3: 0.1, 4: 0.03}[item] * (2.5 if lax else 1.0)
                    fail = rng.random() < p
                    if fail:
                        failed.append(item)
                    self.w.add(
                        "inspectionitemresult",
                        {
                            "id": self.w.next_id("inspectionitemresult"),
                            "inspection_id": ins,
                            "item_number": item,
                            "result": (ItemResult.FAIL if fail else ItemResult.PASS).value,
                        },
                    )
                if failed:
                    self._consequences(
                        target_kind=TargetKind.INSTITUTION,
                        enterprise_id=None,
                        institution_id=iid_inst,
                        by=bureau,
                        iid=ins,
                        day=day,
                        failed=failed,
                        lax=lax,
                        responsible=None,
                        found_before=set(),
                        tallies=[tally],
                    )
            if rng.random() < 0.5:
                self._tip(
                    name=name,
                    enterprise_id=None,
                    institution_id=iid_inst,
                    township=township,
                    kind=TargetKind.INSTITUTION,
                )

    def _tip(
        self,
        *,
        name: str,
        enterprise_id: int | None,
        institution_id: int | None,
        township: int,
        kind: TargetKind,
    ) -> None:
        rng = self.rng
        template = rng.choice([t for t, k in TIP_TEXT if k == kind])
        received = dt.date(2022, 9, 5) + dt.timedelta(days=rng.randrange(400))
        age = (SNAPSHOT - received).days
        status = (
            TipStatus.CLOSED
            if age > 60
            else TipStatus.ANSWERED
            if age > 30
            else TipStatus.CHECKING
            if age > 10
            else TipStatus.ASSIGNED
            if age > 2
            else TipStatus.RECEIVED
        )
        if status == TipStatus.CLOSED and rng.random() < 0.1:
            status = TipStatus.CHECKING  # a few are left hanging
        done = status in (TipStatus.ANSWERED, TipStatus.CLOSED)
        substantiated = rng.random() < 0.4 if done else None
        self.counters["tip"] += 1
        self.w.add(
            "tip",
            {
                "id": self.w.next_id("tip"),
                "received_on": received,
                "channel": "12350" if rng.random() < 0.8 else "政府网站",
                "reference": f"12350-{received:%Y%m%d}-{self.counters['tip']:04d}",
                "content": template.format(name=name),
                "target_name": name,
                "enterprise_id": enterprise_id,
                "institution_id": institution_id,
                "jurisdiction_id": township,
                "assigned_on": received + dt.timedelta(days=1) if status != TipStatus.RECEIVED else None,
                "status": status.value,
                "check_result": (
                    "经核查，反映问题属实，已责令整改并立案查处"
                    if substantiated
                    else "经核查，未发现反映的问题"
                )
                if done
                else "",
                "substantiated": substantiated,
                "answered_on": received + dt.timedelta(days=rng.randint(8, 28)) if done else None,
            },
        )
