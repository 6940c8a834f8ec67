"""Versions of the deadline rules: a new one applies to cases filed from its date and never to open ones."""

from dataclasses import dataclass
from datetime import date
from datetime import datetime

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.models import Case
from tracker.models import CaseKind
from tracker.models import NonWorkingDayReceipt
from tracker.models import PanelRule
from tracker.models import Role
from tracker.models import RuleSet
from tracker.models import User
from tracker.models import utcnow
from tracker.panel_rules import DEFAULT_PANEL_RULES
from tracker.working_days import local_date

#: The limits a version sets, in the order the page shows them.
LIMIT_FIELDS = (
    "acceptance_working_days",
    "enterprise_response_working_days",
    "mediation_working_days",
    "mediation_notice_working_days",
    "objection_days",
    "reopen_window_days",
)
#: A limit longer than this is a typing mistake (a year of working days).
MAX_LIMIT_DAYS = 250


class RuleSetError(ValueError):
    """A version cannot be created as asked; `.code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class RuleSetVersion:
    """A row of the rule-set page: the version, whether it is in force, past or future, and its cases."""

    rule_set: RuleSet
    status: str
    cases: int


def rule_set_versions(session: Session, *, today: date) -> list[RuleSetVersion]:
    """Every version, newest first, marked in force, superseded or future."""
    counts = dict(session.execute(select(Case.rule_set_id, func.count()).group_by(Case.rule_set_id)).all())
    versions = session.scalars(select(RuleSet).order_by(RuleSet.effective_from.desc())).all()
    in_force = next((rule_set for rule_set in versions if rule_set.effective_from <= today), None)
    rows = []
    for rule_set in versions:
        if rule_set.effective_from > today:
            status = "future"
        elif rule_set is in_force:
            status = "in_force"
        else:
            status = "superseded"
        rows.append(RuleSetVersion(rule_set, status, counts.get(rule_set.id, 0)))
    return rows


def create_rule_set_version(
    session: Session,
    actor: User,
    *,
    code: str,
    name: str,
    effective_from: date,
    limits: dict[str, int],
    non_working_day_receipt: str,
    source: str | None = None,
    now: datetime | None = None,
) -> RuleSet:
    """Add a version taking effect on a later day; cases filed before it keep the set they were filed under.

    A date of today or earlier is refused: cases filed since then already hold the older set, so the new one
    could not apply to every case filed "on or after its date" without changing open cases' deadlines.
    """
    now = now or utcnow()
    if actor.role != Role.ADMIN:
        raise RuleSetError("not_admin")
    if effective_from <= local_date(now):
        raise RuleSetError("not_in_future")
    if set(limits) != set(LIMIT_FIELDS) or any(not 1 <= value <= MAX_LIMIT_DAYS for value in limits.values()):
        raise RuleSetError("bad_limit")
    if non_working_day_receipt not in set(NonWorkingDayReceipt):
        raise RuleSetError("bad_receipt_rule")
    code = code.strip()
    if session.scalars(select(RuleSet.id).where(RuleSet.code == code)).first() is not None:
        raise RuleSetError("code_taken")
    if session.scalars(select(RuleSet.id).where(RuleSet.effective_from == effective_from)).first() is not None:
        raise RuleSetError("date_taken")
    previous = defaults_for_new_version(session)
    rule_set = RuleSet(
        code=code,
        name=name.strip(),
        effective_from=effective_from,
        non_working_day_receipt=non_working_day_receipt,
        source=(source or "").strip() or None,
        created_at=now,
        **limits,
    )
    session.add(rule_set)
    session.flush()
    _carry_panel_rules(session, previous, rule_set)
    return rule_set


def _carry_panel_rules(session: Session, previous: RuleSet | None, rule_set: RuleSet) -> None:
    """A new version keeps the panel rules of the one before it, as its own rows, until they are changed."""
    for kind in CaseKind:
        found = next((rule for rule in (previous.panel_rules if previous else []) if rule.kind == kind), None)
        spec = DEFAULT_PANEL_RULES[kind] if found is None else found
        session.add(PanelRule(rule_set_id=rule_set.id, kind=kind.value, min_size=spec.min_size,
                              odd_size=spec.odd_size, excludes_appealed_panel=spec.excludes_appealed_panel))
    session.flush()


def defaults_for_new_version(session: Session) -> RuleSet | None:
    """The newest version, whose figures a new one starts from."""
    return session.scalars(select(RuleSet).order_by(RuleSet.effective_from.desc()).limit(1)).first()
