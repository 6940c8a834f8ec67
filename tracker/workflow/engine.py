"""One shared `transitions` machine per kind, and the two calls everything else uses: allowed_actions and fire."""

from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from sqlalchemy.orm import object_session
from transitions import Machine
from transitions import Transition

from tracker import audit
from tracker import deadlines
from tracker.models import Case
from tracker.models import CaseKind
from tracker.models import Role
from tracker.models import User
from tracker.models import state_write
from tracker.models import utcnow
from tracker.workflow.effects import EFFECTS
from tracker.workflow.errors import GuardFailed
from tracker.workflow.errors import InvalidTransition
from tracker.workflow.errors import StaleCase
from tracker.workflow.errors import TransitionNotAllowed
from tracker.workflow.errors import UnknownTrigger
from tracker.workflow.guards import GUARDS
from tracker.workflow.guards import GuardContext
from tracker.workflow.tables import INITIAL_STATE
from tracker.workflow.tables import TABLES
from tracker.workflow.tables import Row
from tracker.workflow.tables import states_of
from tracker.working_days import WorkingCalendar
from tracker.working_days import local_date

#: Data keys whose values are personal: the audit body keeps only their digest.
PERSONAL_DATA_KEYS = frozenset({"message", "contact", "narrative", "note", "explanation", "missing_items", "terms"})
#: Free text a consumer types may hold personal data too; it is kept as a (deletable) message instead.
CONSUMER_TEXT_KEYS = frozenset({"reason"})
REFUSED_BY_MACHINE = _l("This action is not possible for this case now.")

#: What runs after every transition, inside its transaction: (session, case, row, actor, now).
TransitionListener = Callable[[Session, Case, Row, "User | None", datetime], None]
_TRANSITION_LISTENERS: dict[str, TransitionListener] = {}


def set_transition_listener(name: str, listener: TransitionListener) -> None:
    """Run a callable after every transition (the parties' e-mails); setting a name again replaces its listener."""
    _TRANSITION_LISTENERS[name] = listener


class TableTransition(Transition):
    """A `transitions` Transition that carries its table row (roles, guards, label)."""

    def __init__(self, source, dest, conditions=None, unless=None, before=None, after=None, prepare=None, row=None):
        super().__init__(source, dest, conditions, unless, before, after, prepare)
        self.row: Row = row


class TableMachine(Machine):
    """A Machine whose transitions are TableTransitions (transition_cls is read on the class)."""

    transition_cls = TableTransition


def _guard_condition(guard_name: str):
    """Adapt a named guard to the machine's condition protocol (send_event=True)."""
    check = GUARDS[guard_name].check

    def condition(event_data) -> bool:
        return check(event_data.kwargs["context"])

    condition.__name__ = guard_name
    return condition


def _build_machine(kind: CaseKind) -> Machine:
    """Build a kind's machine once, at import; it is shared by every case and never mutated."""
    machine = TableMachine(
        model=None,
        states=states_of(kind),
        initial=INITIAL_STATE,
        auto_transitions=False,
        send_event=True,
        ignore_invalid_triggers=False,
        name=f"{kind}:",
    )
    for row in TABLES[kind]:
        machine.add_transition(
            row.trigger,
            list(row.sources),
            row.dest,
            conditions=[_guard_condition(name) for name in row.guards],
            row=row,
        )
    return machine


MACHINES: dict[CaseKind, Machine] = {kind: _build_machine(kind) for kind in CaseKind}


@dataclass(frozen=True)
class Action:
    """An action a user may take now: what the case page turns into a button."""

    trigger: str
    label: object
    dest: str
    destructive: bool
    #: Guard names whose data the form must supply (e.g. reason_given needs a reason).
    needs: tuple[str, ...]


#: Guards that are satisfied by data the user types rather than by the case's situation.
DATA_GUARDS = frozenset({
    "reason_given",
    "refusal_code_valid",
    "settlement_outcome_valid",
    "appeal_decision_valid",
    "explanation_given",
    "missing_items_given",
    "reply_date_valid",
    "termination_ground_valid",
    "agreement_terms_given",
})


def _row_for(case: Case, trigger: str) -> Row:
    machine = MACHINES[CaseKind(case.kind)]
    event = machine.events.get(trigger)
    if event is None:
        raise UnknownTrigger(f"unknown action {trigger!r} for a {case.kind}", trigger=trigger)
    candidates = event.transitions.get(case.state)
    if not candidates:
        raise InvalidTransition(f"cannot {trigger} a case in state {case.state}", trigger=trigger)
    return candidates[0].row


def allowed_actions(case: Case, user: User, *, now: datetime | None = None) -> list[Action]:
    """The actions this user may take on this case now, with every situational guard evaluated."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    context = GuardContext(case=case, actor=user, data={}, now=now or utcnow())
    machine = MACHINES[CaseKind(case.kind)]
    actions = []
    for trigger, event in machine.events.items():
        for transition in event.transitions.get(case.state, []):
            row = transition.row
            if user.role not in row.roles:
                continue
            situational = [name for name in row.guards if name not in DATA_GUARDS]
            if all(GUARDS[name].check(context) for name in situational):
                needs = tuple(name for name in row.guards if name in DATA_GUARDS)
                actions.append(Action(trigger, row.label, row.dest, row.destructive, needs))
    return actions


def _audit_body(data: Mapping[str, Any], actor: User | None) -> dict[str, Any]:
    """The action's data for the trail, with personal text replaced by its digest."""
    consumer = actor is not None and actor.role == Role.CONSUMER
    personal = PERSONAL_DATA_KEYS | (CONSUMER_TEXT_KEYS if consumer else frozenset())
    body = {}
    for key, value in data.items():
        if value is None or value == "":
            continue
        body[key] = audit.personal_digest(value) if key in personal else value
    return body


def initialise(
    session: Session, case: Case, actor: User | None, *, now: datetime, body: Mapping[str, Any] | None = None
) -> None:
    """Put a new case in the initial state, start the acceptance clock and write the first event."""
    with session.no_autoflush:
        with state_write():
            case.state = INITIAL_STATE
        calendar = WorkingCalendar.from_session(session)
        deadlines.start_clock(session, case, "acceptance", today=local_date(now), calendar=calendar)
        audit.record(
            session, case, actor=actor, action="submit", body=body,
            from_state=None, to_state=INITIAL_STATE, now=now,
        )


def fire(
    case: Case,
    trigger: str,
    actor: User,
    *,
    expected_version: int | None = None,
    now: datetime | None = None,
    **data: Any,
) -> str:
    """Take an action on a case: check version, state, role and guards, move it, apply effects and clocks, audit.

    Flushes nothing and commits nothing; the caller's transaction is the unit of work.
    """
    now = now or utcnow()
    if expected_version is not None and expected_version != case.version:
        raise StaleCase("this case was changed by someone else; reload it", trigger=trigger)
    row = _row_for(case, trigger)
    if actor.role not in row.roles:
        raise TransitionNotAllowed(f"a {actor.role} may not {trigger}", trigger=trigger)
    return _move(case, row, actor, now, data)


def fire_as_system(case: Case, trigger: str, *, now: datetime, **data: Any) -> str:
    """Take an action that the tables let the scheduled sweep take (`Row.system`); the trail names the system actor.

    Used when a limit runs out with nobody acting (mediation's 45 working days, a report's objection window).
    """
    row = _row_for(case, trigger)
    if not row.system:
        raise TransitionNotAllowed(f"the system may not {trigger}", trigger=trigger)
    return _move(case, row, None, now, data)


def _move(case: Case, row: Row, actor: User | None, now: datetime, data: Mapping[str, Any]) -> str:
    """Check the row's guards, move the case, apply effects and clocks, and write the audit event."""
    trigger = row.trigger
    context = GuardContext(case=case, actor=actor, data=data, now=now)
    for name in row.guards:
        if not GUARDS[name].check(context):
            raise GuardFailed(str(GUARDS[name].message), trigger=trigger, guard=name)

    session = object_session(case)
    from_state = case.state
    machine = MACHINES[CaseKind(case.kind)]
    with session.no_autoflush:
        with state_write():
            moved = machine.events[trigger].trigger(case, context=context)
        if not moved:
            raise GuardFailed(str(REFUSED_BY_MACHINE), trigger=trigger, guard="")
        for effect in row.effects:
            EFFECTS[effect](context)
        _apply_clocks(session, case, row, context)
        audit.record(
            session,
            case,
            actor=actor,
            action=trigger,
            body=_audit_body(data, actor),
            visibility=row.visibility,
            from_state=from_state,
            to_state=case.state,
            now=now,
        )
        for listener in _TRANSITION_LISTENERS.values():
            listener(session, case, row, actor, now)
    return case.state


def _agreed_report_date(case: Case, context: GuardContext):
    """The report date the commission (委托书) fixed, or one given with the action."""
    commission = getattr(case, "commission", None)
    return context.data.get("report_due_on") or (commission.report_due_on if commission is not None else None)


def _apply_clocks(session: Session, case: Case, row: Row, context: GuardContext) -> None:
    """Start, pause, resume and stop the clocks the row names."""
    today = context.today
    for clock in row.stop:
        deadlines.stop_clock(case, clock, now=context.now)
    for clock in row.pause:
        deadlines.pause_clock(session, case, clock, today=today)
    if row.resume or row.start:
        calendar = WorkingCalendar.from_session(session)
        for clock in row.resume:
            deadlines.resume_clock(session, case, clock, today=today, calendar=calendar)
        for clock in row.start:
            deadlines.start_clock(
                session, case, clock, today=today, calendar=calendar,
                agreed_due_on=_agreed_report_date(case, context) if clock == "report" else None,
            )
