"""Mermaid state diagrams drawn from the transition tables, for the README."""

from tracker.models import CaseKind
from tracker.workflow.tables import INITIAL_STATE
from tracker.workflow.tables import TABLES
from tracker.workflow.tables import TERMINAL_STATES


def mermaid(kind: CaseKind) -> str:
    """A stateDiagram-v2 of one kind: every row an arrow labelled with its trigger and roles."""
    lines = ["stateDiagram-v2", f"    [*] --> {INITIAL_STATE}"]
    for row in TABLES[kind]:
        roles = ",".join(str(role) for role in row.roles)
        for source in row.sources:
            lines.append(f"    {source} --> {row.dest}: {row.trigger} ({roles})")
    for state in sorted(TERMINAL_STATES):
        lines.append(f"    {state} --> [*]")
    return "\n".join(lines)


def readme_section() -> str:
    """The README's workflow section: one fenced Mermaid block per kind."""
    parts = []
    for kind in CaseKind:
        parts.append(f"### {kind}\n\n```mermaid\n{mermaid(kind)}\n```\n")
    return "\n".join(parts)
