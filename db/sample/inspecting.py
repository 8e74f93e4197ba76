"""The sample county's inspections of enterprises: who inspects when (diligent and lax townships,
joint inspections), each check item's result, and the certificate checks of the people on site
with the verifier's outcomes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from anpei.periods import Month
from db.codes import (
    ItemResult,
    PersonRole,
    RiskClass,
    TargetKind,
)
from db.rules.metrics import Problem
from db.sample.bulk import CST, SEED_TIMESTAMP
from db.sample.catalogue import category_of
from db.sample.consequences import ConsequencesGenerator
from db.sample.names import random_name
from db.sample.state import (
    ISSUER,
    MonthTally,
    Person,
    add_months,
    workday,
)
from verifier.types import Outcome, WarningCode


class InspectionsGenerator(ConsequencesGenerator):
    """Inspections of enterprises and the certificate checks made during them."""

    # inspections ----------------------------------------------------------------------------

    def _inspections(
        self,
        eid: int,
        *,
        name: str,
        township: int,
        unit: int,
        risk: RiskClass,
        lax: bool,
        people: list[Person],
        principal: str | None,
    ) -> None:
        rng = self.rng
        target = risk != RiskClass.OTHER
        checked_once = False
        found_before: set[tuple[int, str]] = set()
        if target and rng.random() < 0.06:  # a county spot check during self-inspection
            month = rng.choice(self.self_months)
            self._inspect(
                eid,
                month=month,
                by=self.unit_ids["yjj"],
                joint=False,
                joint_unit=None,
                risk=risk,
                lax=lax,
                people=people,
                principal=principal,
                full_check=True,
                found_before=found_before,
            )
            checked_once = True
        for k, month in enumerate(self.months):
            visits: list[tuple[int, bool]] = []
            p_township = self.diligence[(township, month)] if target else 0.04
            if rng.random() < p_township:
                roll = rng.random()
                visits.append((township, roll < 0.15))
                if roll > 0.93:  # a re-inspection the same month (复查)
                    visits.append((township, False))
            p_unit = self.diligence[(unit, month)] * (1.4 if target else 0.8)
            if rng.random() < p_unit:
                visits.append((unit, False))
            improvement = 1.0 - 0.12 * k
            for by, joint in visits:
                self._inspect(
                    eid,
                    month=month,
                    by=by,
                    joint=joint,
                    joint_unit=unit if joint else None,
                    risk=risk,
                    lax=lax,
                    people=people,
                    principal=principal,
                    full_check=not checked_once,
                    found_before=found_before,
                    improvement=improvement,
                )
                checked_once = True

    def _inspect(
        self,
        eid: int,
        *,
        month: Month,
        by: int,
        joint: bool,
        joint_unit: int | None,
        risk: RiskClass,
        lax: bool,
        people: list[Person],
        principal: str | None,
        full_check: bool,
        found_before: set[tuple[int, str]],
        improvement: float = 1.0,
    ) -> None:
        rng = self.rng
        day = workday(rng, month)
        iid = self.w.next_id("inspection")
        joint_units = ""
        if joint:
            others = ["县应急管理局"]
            if joint_unit is not None and self.unit_name[joint_unit] not in others:
                others.append(self.unit_name[joint_unit])
            joint_units = ",".join(others)
        inspectors = "、".join(random_name(rng, male=rng.random() < 0.7) for _ in range(2))
        self.w.add(
            "inspection",
            {
                "id": iid,
                "inspected_on": day,
                "jurisdiction_id": by,
                "joint": joint,
                "joint_units": joint_units,
                "target_kind": TargetKind.ENTERPRISE.value,
                "enterprise_id": eid,
                "institution_id": None,
                "inspectors": inspectors,
                "notes": "联合执法检查" if joint else "",
                "source_ref": None,
                "created_at": SEED_TIMESTAMP,
            },
        )
        in_campaign = month in self.months
        tallies: list[MonthTally] = []
        if in_campaign:
            tallies.append(self.tally[(by, month)])
            if joint and joint_unit is not None and joint_unit != by:
                tallies.append(self.tally[(joint_unit, month)])
            for t in tallies:
                t.enterprises.add(eid)
                if risk == RiskClass.HIGH_RISK:
                    t.high_risk.add(eid)
                elif risk == RiskClass.INDUSTRY_TRADE:
                    t.industry_trade.add(eid)
        own = tallies[:1]

        # certificate checks decide items 3 and 4
        workers = [p for p in people if p.role == PersonRole.SPECIAL_WORKER]
        managers = [p for p in people if p.role != PersonRole.SPECIAL_WORKER]
        if full_check:
            to_check = workers[:15]
        else:
            to_check = rng.sample(workers, min(len(workers), 2)) if rng.random() < 0.5 else []
        item3_fail = False
        for person in to_check:
            problem = self._certificate_check(person, eid=eid, by=by, day=day, iid=iid)
            for t in own:
                t.workers_checked += 1
                t.unlicensed += problem == Problem.UNLICENSED.value
                t.suspected_fake += problem == Problem.FAKE.value
            item3_fail |= problem in (Problem.UNLICENSED.value, Problem.FAKE.value)
        item4_fail = False
        if risk != RiskClass.OTHER and (full_check or rng.random() < 0.2):
            for person in managers:
                problem = self._certificate_check(person, eid=eid, by=by, day=day, iid=iid)
                for t in own:
                    t.managers_due += 1
                    t.managers_passed += problem == ""
                    t.managers_overdue += problem == Problem.MANAGER_OVERDUE.value
                item4_fail |= problem == Problem.MANAGER_OVERDUE.value

        factor = (2.5 if lax else 1.0) * improvement
        results: dict[int, ItemResult] = {}
        for item in (1, 2, 5):
            base = {1: 0.04, 2: 0.06, 5: 0.05}[item]
            results[item] = ItemResult.FAIL if rng.random() < base * factor else ItemResult.PASS
        results[3] = (
            ItemResult.NOT_APPLICABLE if not workers else ItemResult.FAIL if item3_fail else ItemResult.PASS
        )
        if risk == RiskClass.OTHER:
            results[4] = ItemResult.NOT_APPLICABLE
        else:
            results[4] = ItemResult.FAIL if item4_fail else ItemResult.PASS
        for item in sorted(results):
            self.w.add(
                "inspectionitemresult",
                {
                    "id": self.w.next_id("inspectionitemresult"),
                    "inspection_id": iid,
                    "item_number": item,
                    "result": results[item].value,
                },
            )
        failed = [item for item in sorted(results) if results[item] == ItemResult.FAIL]
        if failed:
            self._consequences(
                target_kind=TargetKind.ENTERPRISE,
                enterprise_id=eid,
                institution_id=None,
                by=by,
                iid=iid,
                day=day,
                failed=failed,
                lax=lax,
                responsible=principal,
                found_before=found_before,
                tallies=own,
            )

    def _certificate_check(self, person: Person, *, eid: int, by: int, day: dt.date, iid: int) -> str:
        """Write one verification result for `person` as of `day`; return its 问题 ('' when none)."""
        rng = self.rng
        special = person.role == PersonRole.SPECIAL_WORKER
        first = person.first_issue
        fields: dict[str, Any] = {
            "cert_number": None,
            "category": None,
            "item": None,
            "first_issue_date": None,
            "valid_from": None,
            "valid_until": None,
            "review_due": None,
            "review_done": None,
            "issuer": None,
        }
        warnings: list[str] = []
        problem = ""
        state = person.state
        if rng.random() < 0.004:
            outcome, explanation = Outcome.PLATFORM_ERROR, "平台多次无响应，稍后重试"
        elif special:
            # a current certificate: 6 years' validity, a review every 3 years
            valid_from = first
            valid_until = add_months(first, 72) - dt.timedelta(days=1)
            review_due = add_months(first, 36)
            review_done: dt.date | None = review_due - dt.timedelta(days=rng.randrange(5, 50))
            if state == "expires_soon":
                valid_until = day + dt.timedelta(days=rng.randrange(5, 55))
                valid_from = add_months(valid_until + dt.timedelta(days=1), -72)
                review_due = add_months(valid_from, 36)
            elif state == "expired":
                valid_until = day - dt.timedelta(days=rng.randrange(20, 400))
                valid_from = add_months(valid_until + dt.timedelta(days=1), -72)
            elif state == "review_overdue":
                valid_until = day + dt.timedelta(days=rng.randrange(200, 900))
                valid_from = add_months(valid_until + dt.timedelta(days=1), -72)
                review_due = day - dt.timedelta(days=rng.randrange(30, 300))
                review_done = None
            fields.update(
                cert_number="T" + person.id_number,
                category=category_of(person.item or ""),
                item=person.item,
                first_issue_date=valid_from,
                valid_from=valid_from,
                valid_until=valid_until,
                review_due=review_due,
                review_done=review_done,
                issuer=ISSUER,
            )
            outcome, problem, explanation = {
                "valid": (Outcome.VALID, "", "证书有效"),
                "expires_soon": (Outcome.VALID_WITH_WARNINGS, "", "证书有效，60天内到期"),
                "expired": (Outcome.EXPIRED, Problem.INVALID.value, "证书已过有效期"),
                "review_overdue": (Outcome.REVIEW_OVERDUE, Problem.INVALID.value, "证书逾期未复审"),
                "history": (Outcome.HISTORICAL_ONLY, Problem.INVALID.value, "平台只有历史证书"),
                "category": (
                    Outcome.CATEGORY_MISMATCH,
                    Problem.INVALID.value,
                    "所持证书的操作项目与岗位不符",
                ),
                "revoked": (Outcome.REVOKED_OR_CANCELLED, Problem.INVALID.value, "证书已注销"),
                "none": (
                    Outcome.NOT_FOUND,
                    Problem.UNLICENSED.value,
                    "名单未填证号，平台也查不到证书，疑似无证上岗",
                ),
                "fake_number": (
                    Outcome.NOT_FOUND,
                    Problem.FAKE.value,
                    "名单所填证号在平台查不到，疑似持假证",
                ),
                "name_mismatch": (
                    Outcome.NAME_MISMATCH,
                    Problem.UNLICENSED.value,
                    "平台证书的姓名与名单不符",
                ),
                "number_mismatch": (
                    Outcome.CERT_NUMBER_MISMATCH,
                    Problem.FAKE.value,
                    "所持证号与平台不符，疑似持假证",
                ),
            }[state]
            if state == "expires_soon":
                warnings.append(WarningCode.EXPIRES_SOON.value)
            if outcome in (Outcome.NOT_FOUND, Outcome.NAME_MISMATCH):
                fields = dict.fromkeys(fields)
                if state == "fake_number":
                    fields["cert_number"] = "T" + person.id_number
        else:
            appointment = person.appointment or dt.date(2015, 1, 1)
            valid_from = max(first, appointment)
            valid_until = add_months(valid_from, 36) - dt.timedelta(days=1)
            if state == "valid" and valid_until < day:  # renewed on time
                valid_from = add_months(valid_from, 36 * ((day - valid_from).days // 1095))
                valid_until = add_months(valid_from, 36) - dt.timedelta(days=1)
            elif state == "expired" and valid_until >= day:
                valid_until = day - dt.timedelta(days=rng.randrange(10, 200))
                valid_from = add_months(valid_until + dt.timedelta(days=1), -36)
            fields.update(
                cert_number=person.id_number,
                first_issue_date=valid_from,
                valid_from=valid_from,
                valid_until=valid_until,
                issuer=ISSUER,
            )
            if state == "uncertified":
                fields = dict.fromkeys(fields)
                outcome = Outcome.NOT_FOUND
                if add_months(appointment, 6) >= day:
                    warnings.append(WarningCode.WITHIN_APPOINTMENT_GRACE.value)
                    explanation = "平台查不到合格证，任职未满6个月，仍在考核期内"
                else:
                    problem = Problem.MANAGER_OVERDUE.value
                    explanation = "任职已满6个月，平台查不到考核合格证"
            elif state == "expired":
                outcome, problem, explanation = Outcome.EXPIRED, Problem.INVALID.value, "合格证已过有效期"
            else:
                outcome, explanation = Outcome.VALID, "合格证有效"
        self.w.add(
            "certificatecheck",
            {
                "id": self.w.next_id("certificatecheck"),
                "person_id": person.id,
                "enterprise_id": eid,
                "jurisdiction_id": by,
                "family": "special" if special else "safety",
                "outcome": outcome.value,
                "warnings": ";".join(warnings),
                "problem": problem,
                "explanation": explanation,
                **fields,
                "as_of": day,
                "checked_at": dt.datetime.combine(day, dt.time(10, 0), tzinfo=CST),
                "source": "verifier",
                "job_ref": f"seed-{iid}",
                "evidence_ref": None,
            },
        )
        return problem
