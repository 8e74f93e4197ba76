"""Training-archive audit (培训档案核查): reads archives, raises leads (training-audit.md).

Standalone like `verifier/`: no database, no dashboard. Public API:
`read_archive(path) -> Archive`, `audit(archives, rules=, daily_cap=) -> AuditResult`,
`write_result(result, out, full_ids=)`.
"""

from training_audit.audit import AuditResult, audit
from training_audit.leads import Lead, RowRef
from training_audit.output import write_result
from training_audit.read import ArchiveError, read_archive
from training_audit.rules_config import Rules, RulesError, default_rules, load_rules
from training_audit.tables import Archive, InputProblem, Sheet

__all__ = [
    "Archive",
    "ArchiveError",
    "AuditResult",
    "InputProblem",
    "Lead",
    "RowRef",
    "Rules",
    "RulesError",
    "Sheet",
    "audit",
    "default_rules",
    "load_rules",
    "read_archive",
    "write_result",
]
