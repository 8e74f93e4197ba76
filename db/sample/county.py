"""The sample county itself: its jurisdictions (30 townships, 15 member units), training
institutions, enterprises and the people working in them; each enterprise's inspections, tips
and self-inspection are generated with it, so memory stays bounded at any scale.
"""

from __future__ import annotations

import datetime as dt

from db.codes import (
    JurisdictionKind,
    PersonRole,
    RiskClass,
    Sector,
    TargetKind,
    risk_class_of,
)
from db.sample import fengdu
from db.sample.bulk import SEED_TIMESTAMP
from db.sample.catalogue import SECTOR_OPERATIONS
from db.sample.ids import make_uscc, random_id_number
from db.sample.inspecting import InspectionsGenerator
from db.sample.names import random_name
from db.sample.state import MANAGER_STATES, WORKER_STATES, Person, Picker, mobile_number, short_name


class CountyGenerator(InspectionsGenerator):
    """Jurisdictions, training institutions, enterprises and their people."""

    # jurisdictions ---------------------------------------------------------------------------

    def jurisdictions(self) -> None:
        rng = self.rng
        weak = set(rng.sample(range(len(fengdu.TOWNSHIPS)), 4))
        for n, spec in enumerate(fengdu.TOWNSHIPS, start=1):
            jid = self.w.next_id("jurisdiction")
            self.w.add(
                "jurisdiction",
                {
                    "id": jid,
                    "code": f"{fengdu.REGION_CODE}{n:03d}",
                    "name": spec.name,
                    "kind": JurisdictionKind.TOWNSHIP.value,
                    "sort_order": n,
                    "active": True,
                },
            )
            self.township_ids.append(jid)
            self.township_name[jid] = spec.name
            base = rng.uniform(0.35, 0.55) if n - 1 in weak else rng.uniform(0.62, 0.97)
            self.laxity[jid] = rng.uniform(1.3, 1.8) if n - 1 in weak else rng.uniform(0.6, 1.2)
            for k, month in enumerate(self.months):
                self.diligence[(jid, month)] = min(1.0, max(0.1, base + 0.03 * k + rng.uniform(-0.08, 0.08)))
        for n, unit in enumerate(fengdu.MEMBER_UNITS, start=1):
            jid = self.w.next_id("jurisdiction")
            self.w.add(
                "jurisdiction",
                {
                    "id": jid,
                    "code": f"{fengdu.REGION_CODE}-{unit.code}",
                    "name": unit.name,
                    "kind": JurisdictionKind.MEMBER_UNIT.value,
                    "sort_order": 100 + n,
                    "active": True,
                },
            )
            self.unit_ids[unit.code] = jid
            self.unit_name[jid] = unit.name
            quiet = unit.code in ("jw", "wjw", "gaj", "xfz", "ghj", "lyj")
            base = rng.uniform(0.01, 0.04) if quiet else rng.uniform(0.10, 0.30)
            self.laxity[jid] = rng.uniform(0.7, 1.2)
            for month in self.months:
                self.diligence[(jid, month)] = base
        self.trade_unit = {
            trade: self.unit_ids[u.code] for u in fengdu.MEMBER_UNITS for trade in u.supervises
        }

    # training institutions -------------------------------------------------------------------

    def institutions_(self) -> None:
        rng = self.rng
        count = max(2, round(6 * self.scale))
        picker = Picker(self.township_ids, [10.0 if i < 2 else 1.0 for i in range(len(self.township_ids))])
        for _ in range(count):
            for _attempt in range(50):
                name = (
                    f"丰都县{rng.choice(fengdu.TRADE_NAMES)}{rng.choice(fengdu.TRAINING_INSTITUTION_WORDS)}"
                )
                if name not in self.names:
                    break
            else:
                name = f"丰都县{rng.choice(fengdu.TRADE_NAMES)}职业培训学校第{self.counters['inst'] + 1}分校"
            self.names.add(name)
            self.counters["inst"] += 1
            iid = self.w.next_id("traininginstitution")
            township = picker.pick(rng)
            self.w.add(
                "traininginstitution",
                {
                    "id": iid,
                    "name": name,
                    "uscc": self._uscc("52"),
                    "jurisdiction_id": township,
                    "address": f"重庆市丰都县{self.township_name[township]}平都大道{rng.randrange(1, 300)}号",
                    "contact": random_name(rng, male=rng.random() < 0.6),
                    "phone": mobile_number(rng),
                    "active": True,
                },
            )
            self.institutions.append((iid, name, township))

    def _uscc(self, kind: str) -> str:
        while True:
            code = make_uscc(self.rng, kind=kind)
            if code not in self.usccs:
                self.usccs.add(code)
                return code

    # enterprises -------------------------------------------------------------------------

    def enterprises(self) -> None:
        rng = self.rng
        n_total = max(30, round(2500 * self.scale))
        fixed = {
            Sector.HAZCHEM: round(18 * self.scale),
            Sector.FIREWORKS: round(8 * self.scale),
            Sector.NONCOAL_MINE: round(14 * self.scale),
            Sector.METALLURGY: max(1, round(2 * self.scale)),
            Sector.INDUSTRY_TRADE: round(600 * self.scale),
        }
        sectors: list[str] = [s.value for s, n in fixed.items() for _ in range(n)]
        sectors += [Sector.OTHER.value] * max(0, n_total - len(sectors))
        rng.shuffle(sectors)
        specs = fengdu.TOWNSHIPS
        plain = Picker(self.township_ids, [s.weight for s in specs])
        industrial = Picker(self.township_ids, [s.weight * s.industrial for s in specs])
        trades = list(fengdu.OTHER_TRADES)
        trade_picker = Picker(trades, [fengdu.OTHER_TRADES[t][0] for t in trades])
        suffix_picker = Picker([s for s, _ in fengdu.NAME_SUFFIXES], [w for _, w in fengdu.NAME_SUFFIXES])
        for sector in sectors:
            township = (plain if sector == Sector.OTHER else industrial).pick(rng)
            if sector == Sector.OTHER:
                trade = trade_picker.pick(rng)
                word = rng.choice(fengdu.OTHER_TRADES[trade][1])
                unit = self.trade_unit[trade]
            else:
                word = rng.choice(fengdu.SECTOR_WORDS[sector])
                if sector == Sector.INDUSTRY_TRADE and rng.random() < 0.6:
                    unit = self.unit_ids["jxw"]
                else:
                    unit = self.unit_ids["yjj"]
            self._enterprise(
                sector=sector, township=township, unit=unit, word=word, suffix=suffix_picker.pick(rng)
            )

    def _company_name(self, township: int, word: str, suffix: str) -> str:
        rng = self.rng
        for attempt in range(8):
            roll = rng.random()
            prefix = (
                "丰都县"
                if roll < 0.6
                else "重庆"
                if roll < 0.75
                else "重庆市丰都县"
                if roll < 0.85
                else short_name(self.township_name[township])
            )
            trade = rng.choice(fengdu.TRADE_NAMES)
            if attempt >= 4:
                trade += rng.choice(fengdu.TRADE_NAMES)
            name = f"{prefix}{trade}{word}{suffix}"
            if name not in self.names:
                self.names.add(name)
                return name
        self.counters["name_fallback"] += 1
        name = f"丰都县{rng.choice(fengdu.TRADE_NAMES)}{word}{suffix}第{self.counters['name_fallback']}分公司"
        self.names.add(name)
        return name

    def _enterprise(self, *, sector: str, township: int, unit: int, word: str, suffix: str) -> None:
        rng = self.rng
        risk = risk_class_of(sector)
        eid = self.w.next_id("enterprise")
        name = self._company_name(township, word, suffix)
        tname = self.township_name[township]
        village = rng.choice(
            ("新城", "龙河", "长江", "白沙", "桂花", "新建", "柏树", "双河", "观音", "石龙", "大坪", "田坝")
        )
        address = (
            f"重庆市丰都县{tname}{village}路{rng.randrange(1, 400)}号"
            if tname.endswith("街道")
            else f"重庆市丰都县{tname}{village}村{rng.randrange(1, 12)}组"
        )
        contact_male = rng.random() < 0.75
        self.w.add(
            "enterprise",
            {
                "id": eid,
                "name": name,
                "uscc": self._uscc("92" if suffix == "经营部" else "91"),
                "sector": sector,
                "risk_class": risk.value,
                "jurisdiction_id": township,
                "member_unit_id": unit,
                "address": address,
                "contact": random_name(rng, male=contact_male),
                "phone": mobile_number(rng),
                "active": True,
                "created_at": SEED_TIMESTAMP,
            },
        )
        lax = rng.random() < 0.15 * self.laxity[township]
        people = self._people(eid, sector=sector, risk=risk, lax=lax)
        principal = next((p.name for p in people if p.role == PersonRole.PRINCIPAL), None)
        self._self_inspection(eid, township=township, risk=risk, lax=lax, principal=principal)
        self._inspections(
            eid,
            name=name,
            township=township,
            unit=unit,
            risk=risk,
            lax=lax,
            people=people,
            principal=principal,
        )
        if rng.random() < 0.008:
            self._tip(
                name=name,
                enterprise_id=eid,
                institution_id=None,
                township=township,
                kind=TargetKind.ENTERPRISE,
            )

    # people ------------------------------------------------------------------------------

    def _people(self, eid: int, *, sector: str, risk: RiskClass, lax: bool) -> list[Person]:
        rng = self.rng
        mean = {RiskClass.HIGH_RISK: 25.0, RiskClass.INDUSTRY_TRADE: 14.0}.get(risk, 5.4)
        n_workers = int(rng.gammavariate(2.0, mean / 2.0) + 0.5)
        if risk == RiskClass.HIGH_RISK:
            roles = [PersonRole.PRINCIPAL] + [PersonRole.SAFETY_MANAGER] * rng.randint(2, 4)
        elif risk == RiskClass.INDUSTRY_TRADE:
            roles = [PersonRole.PRINCIPAL] + [PersonRole.SAFETY_MANAGER] * rng.randint(1, 2)
        else:
            roles = [PersonRole.PRINCIPAL] if rng.random() < 0.45 else []
            if roles and rng.random() < 0.3:
                roles.append(PersonRole.SAFETY_MANAGER)
        roles += [PersonRole.SPECIAL_WORKER] * n_workers
        operations = SECTOR_OPERATIONS.get(sector, SECTOR_OPERATIONS[Sector.OTHER])
        people: list[Person] = []
        seen: set[str] = set()
        for role in roles:
            worker = role == PersonRole.SPECIAL_WORKER
            male = rng.random() < (0.9 if worker else 0.72)
            birth_from, birth_to = (
                (dt.date(1963, 1, 1), dt.date(2003, 6, 30))
                if worker
                else (dt.date(1960, 1, 1), dt.date(1993, 12, 31))
            )
            id_number = random_id_number(rng, birth_from=birth_from, birth_to=birth_to, male=male)
            if id_number in seen:
                continue
            seen.add(id_number)
            states = WORKER_STATES if worker else MANAGER_STATES
            state = rng.choices([s[0] for s in states], weights=[s[2] if lax else s[1] for s in states])[0]
            appointment = None
            if not worker:
                appointment = dt.date(2012, 1, 1) + dt.timedelta(days=rng.randrange(4200))
                if rng.random() < 0.12:  # recently appointed: some are inside the 6-month grace
                    appointment = dt.date(2022, 12, 1) + dt.timedelta(days=rng.randrange(200))
            item = rng.choice(operations) if worker else None
            pid = self.w.next_id("person")
            left = rng.random() < 0.03
            name = random_name(rng, male=male)
            self.w.add(
                "person",
                {
                    "id": pid,
                    "name": name,
                    "id_number": id_number,
                    "role": role.value,
                    "enterprise_id": eid,
                    "appointment_date": appointment,
                    "operation_item": item,
                    "active": not left,
                    "left_on": dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(300)) if left else None,
                    "created_at": SEED_TIMESTAMP,
                },
            )
            first_issue = dt.date(2014, 1, 1) + dt.timedelta(days=rng.randrange(3100))
            people.append(Person(pid, name, id_number, role.value, appointment, item, state, first_issue))
        return people
