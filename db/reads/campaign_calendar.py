"""The campaign as a calendar: its phases, months and quarters, the default month, quarter and
截至日期, the monthly tables' due dates and the timeline (done / current / upcoming, next deadline).

Campaigns are reference data, readable by everyone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, SQLModel

import db.models  # noqa: F401  (registers every table on SQLModel.metadata)
from anpei.periods import Month, Quarter, begun_by, months_between, quarters_of

_CAMPAIGN = SQLModel.metadata.tables["campaign"]
_PHASE = SQLModel.metadata.tables["campaignphase"]


@dataclass(frozen=True)
class PhaseRef:
    seq: int
    code: str
    name: str
    starts_on: dt.date
    ends_on: dt.date
    description: str


@dataclass(frozen=True)
class CampaignInfo:
    """A campaign with its phases; months and quarters are derived from the dates."""

    id: int
    code: str
    name: str
    notice_ref: str
    issuer: str
    starts_on: dt.date
    ends_on: dt.date
    summary_due_on: dt.date
    monthly_due_day: int
    active: bool
    phases: tuple[PhaseRef, ...] = ()

    @property
    def months(self) -> list[Month]:
        """Every month from the campaign's start to its end."""
        return months_between(self.starts_on, self.ends_on)

    @property
    def enforcement_months(self) -> list[Month]:
        """Months of the 执法检查 phase (the ones with monthly tables)."""
        out: list[Month] = []
        for phase in self.phases:
            if phase.code == "enforcement":
                out += [m for m in months_between(phase.starts_on, phase.ends_on) if m not in out]
        return out

    @property
    def quarters(self) -> list[Quarter]:
        """Every quarter with an enforcement month, in order."""
        return quarters_of(self.enforcement_months)

    def due_date(self, month: Month) -> dt.date:
        """The day a month's 汇总表 is due: `monthly_due_day` of the following month."""
        return month.next().day(self.monthly_due_day)


def list_campaigns(session: Session) -> list[CampaignInfo]:
    """Every campaign, active ones first, newest first, each with its phases."""
    rows = session.execute(
        select(_CAMPAIGN).order_by(
            _CAMPAIGN.c.active.desc(), _CAMPAIGN.c.starts_on.desc(), _CAMPAIGN.c.id.desc()
        )
    ).mappings()
    campaigns = list(rows)
    phases: dict[int, list[PhaseRef]] = {}
    for p in session.execute(select(_PHASE).order_by(_PHASE.c.campaign_id, _PHASE.c.seq)).mappings():
        phases.setdefault(p["campaign_id"], []).append(
            PhaseRef(p["seq"], p["code"], p["name"], p["starts_on"], p["ends_on"], p["description"] or "")
        )
    return [
        CampaignInfo(
            id=c["id"],
            code=c["code"],
            name=c["name"],
            notice_ref=c["notice_ref"] or "",
            issuer=c["issuer"] or "",
            starts_on=c["starts_on"],
            ends_on=c["ends_on"],
            summary_due_on=c["summary_due_on"],
            monthly_due_day=int(c["monthly_due_day"]),
            active=bool(c["active"]),
            phases=tuple(phases.get(c["id"], [])),
        )
        for c in campaigns
    ]


def get_campaign(session: Session, *, campaign_id: int | None = None) -> CampaignInfo | None:
    """The campaign with `campaign_id`, or the first active one; None when there is none."""
    campaigns = list_campaigns(session)
    if campaign_id is not None:
        return next((c for c in campaigns if c.id == campaign_id), None)
    return campaigns[0] if campaigns else None


def begun_months(months: Sequence[Month], as_of: dt.date) -> list[Month]:
    """The months among `months` begun by `as_of`, in the given order."""
    return begun_by(months, as_of)


def begun_quarters(quarters: Sequence[Quarter], as_of: dt.date) -> list[Quarter]:
    """The quarters among `quarters` begun by `as_of`, in the given order."""
    return [q for q in quarters if q.first <= as_of]


def default_as_of(campaign: CampaignInfo, *, today: dt.date) -> dt.date:
    """截至日期 by default: today, but never after the campaign's end (so old data looks live)."""
    return max(campaign.starts_on, min(today, campaign.ends_on))


def default_month(campaign: CampaignInfo, *, as_of: dt.date) -> Month:
    """The latest enforcement month begun by `as_of`; else the latest campaign month by then."""
    started = begun_months(campaign.enforcement_months, as_of)
    if started:
        return started[-1]
    if campaign.enforcement_months and not campaign.enforcement_months[0].begun_by(as_of):
        months = begun_months(campaign.months, as_of)
        return months[-1] if months else campaign.months[0]
    return campaign.enforcement_months[-1] if campaign.enforcement_months else campaign.months[-1]


def default_quarter(campaign: CampaignInfo, *, as_of: dt.date) -> Quarter | None:
    quarters = campaign.quarters
    if not quarters:
        return None
    begun = begun_quarters(quarters, as_of)
    return begun[-1] if begun else quarters[0]


# --- timeline -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    on: dt.date
    label: str
    kind: str  # monthly / summary


@dataclass(frozen=True)
class PhaseState:
    phase: PhaseRef
    state: str  # done / current / upcoming

    @property
    def state_label(self) -> str:
        return {"done": "已结束", "current": "进行中", "upcoming": "未开始"}[self.state]


@dataclass(frozen=True)
class Timeline:
    today: dt.date
    phases: tuple[PhaseState, ...]
    deadlines: tuple[Deadline, ...]
    next_deadline: Deadline | None

    @property
    def current(self) -> PhaseRef | None:
        return next((p.phase for p in self.phases if p.state == "current"), None)

    @property
    def days_to_next(self) -> int | None:
        return (self.next_deadline.on - self.today).days if self.next_deadline else None


def campaign_deadlines(campaign: CampaignInfo) -> list[Deadline]:
    """Each enforcement month's 汇总表 due date and the summary report's, in date order."""
    out = [
        Deadline(campaign.due_date(m), f"{m.label}汇总表报送截止", "monthly")
        for m in campaign.enforcement_months
    ]
    out.append(Deadline(campaign.summary_due_on, "总结报告报送截止", "summary"))
    return sorted(out, key=lambda d: d.on)


def timeline(campaign: CampaignInfo, *, today: dt.date) -> Timeline:
    """Phases marked done / current / upcoming on `today`, and the next deadline on or after it."""
    states = tuple(
        PhaseState(p, "done" if p.ends_on < today else "upcoming" if p.starts_on > today else "current")
        for p in campaign.phases
    )
    deadlines = tuple(campaign_deadlines(campaign))
    upcoming = [d for d in deadlines if d.on >= today]
    return Timeline(today, states, deadlines, upcoming[0] if upcoming else None)


def campaign_months(session: Session) -> list[Month]:
    """The months of the active campaign's enforcement phase (the ones that have tables)."""
    row = session.execute(
        select(_PHASE.c.starts_on, _PHASE.c.ends_on)
        .where(_PHASE.c.code == "enforcement")
        .order_by(_PHASE.c.campaign_id.desc())
    ).first()
    if row is None:
        return []
    return months_between(row.starts_on, row.ends_on)
