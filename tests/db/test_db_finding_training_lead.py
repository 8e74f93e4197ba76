"""问题清单 ↔ 培训档案线索 as data: `finding.training_lead_id`, and the migration that backfills it
from the `【培训档案线索 #n】` prefix written before (both databases, on the seeded sample county)."""

from __future__ import annotations

from sqlalchemy import MetaData, Table, insert, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from db import migrate
from db.models import Finding, TrainingLead
from db.records.finding_list import list_findings
from db.rules.access import SYSTEM
from db.training.leads import LeadStatus, set_lead_status

BEFORE = "3de5f0abf9c9"


def _leads(engine: Engine) -> list[int]:
    with Session(engine) as s:
        ids = s.exec(select(TrainingLead.id).where(col(TrainingLead.active)).order_by(TrainingLead.id)).all()
    return [int(i) for (i,) in ids]


def test_confirming_links_both_ways_without_prefix(seeded: Engine) -> None:
    lead_id = _leads(seeded)[0]
    with Session(seeded) as s:
        set_lead_status(s, principal=SYSTEM, lead_id=lead_id, status=LeadStatus.CONFIRMED)
        s.commit()
        lead = s.get(TrainingLead, lead_id)
        assert lead is not None and lead.finding_id is not None
        finding = s.get(Finding, lead.finding_id)
        assert finding is not None and finding.training_lead_id == lead_id
        assert not finding.description.startswith("【")
        (row,) = [r for r in list_findings(s, principal=SYSTEM) if r.id == finding.id]
        assert row.source.startswith(f"来自培训档案线索 #{lead_id}（") and row.training_rule in row.source


def test_migration_backfills_the_link_from_prefixed_findings(seeded: Engine) -> None:
    first, second = _leads(seeded)[:2]
    with Session(seeded) as s:
        set_lead_status(s, principal=SYSTEM, lead_id=first, status=LeadStatus.CONFIRMED)
        s.commit()
        first_finding = s.get(TrainingLead, first).finding_id  # type: ignore[union-attr]
        assert first_finding is not None
        description = s.get(Finding, first_finding).description  # type: ignore[union-attr]

    # back to the schema before the column: the link goes back into the text, as it was written then
    migrate.downgrade(seeded, BEFORE)
    table = Table("finding", MetaData(), autoload_with=seeded)
    assert "training_lead_id" not in table.c
    with seeded.begin() as conn:
        old = conn.execute(select(table).where(table.c.id == first_finding)).mappings().one()
        assert old["description"] == f"【培训档案线索 #{first}】{description}"
        # an old finding of the second lead (which does not point back) and one naming no stored lead
        copy = {k: v for k, v in old.items() if k != "id"}
        orphan_text = f"【培训档案线索 #{second}】人工录入的问题"
        conn.execute(insert(table).values(**{**copy, "description": orphan_text}))
        conn.execute(insert(table).values(**{**copy, "description": "【培训档案线索 #987654】无此线索"}))
        ids = dict(
            conn.execute(text("select description, id from finding where description like '【%'")).all()
        )
    migrate.upgrade(seeded)

    with Session(seeded) as s:
        linked = s.get(Finding, first_finding)
        assert linked is not None and linked.training_lead_id == first and linked.description == description
        orphan = s.get(Finding, ids[orphan_text])
        assert (
            orphan is not None
            and orphan.training_lead_id == second
            and orphan.description == "人工录入的问题"
        )
        assert s.get(TrainingLead, second).finding_id == orphan.id  # type: ignore[union-attr]
        stray = s.get(Finding, ids["【培训档案线索 #987654】无此线索"])
        assert stray is not None and stray.training_lead_id is None
        assert stray.description == "【培训档案线索 #987654】无此线索"  # left as written
        # a lead cannot point at a finding that does not exist (the foreign key holds)
        sources = {r.id: r.source for r in list_findings(s, principal=SYSTEM)}
        assert sources[first_finding].startswith(f"来自培训档案线索 #{first}")
        assert sources[stray.id] == ""
