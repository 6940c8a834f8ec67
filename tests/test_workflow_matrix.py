"""Every (kind, state, role, trigger) is allowed or refused exactly as the tables say, via allowed_actions and fire."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from tests.conftest import rolled_back_session
from tests.factories import gen_case
from tests.factories import gen_cast
from tests.factories import gen_user
from tracker.demo import data_for
from tracker.demo import drive
from tracker.demo import find_path
from tracker.demo import prepare_for
from tracker.models import AuditEvent
from tracker.models import Case
from tracker.models import CaseKind
from tracker.models import Role
from tracker.workflow import TABLES
from tracker.workflow import GuardFailed
from tracker.workflow import InvalidTransition
from tracker.workflow import TransitionNotAllowed
from tracker.workflow import UnknownTrigger
from tracker.workflow import allowed_actions
from tracker.workflow import fire
from tracker.workflow import states_of
from tracker.working_days import local_date

PARTY_GUARDS = {"actor_is_applicant", "actor_is_case_enterprise", "actor_is_party", "actor_on_panel"}
CELLS = [(kind, state, role) for kind in CaseKind for state in states_of(kind) for role in Role]


@dataclass
class Prepared:
    """A case in every state of every kind, built once per backend and module."""

    session: object
    cast: object
    cases: dict
    ended_at: dict


@pytest.fixture(scope="module")
def prepared(session_app):
    with session_app.app_context(), rolled_back_session() as scoped:
        if True:
            cast = gen_cast()
            cases, ended_at = {}, {}
            for kind in CaseKind:
                for state in states_of(kind):
                    case = gen_case(cast, kind)
                    rows = find_path(kind, state)
                    ended_at[kind, state] = drive(scoped, case, rows, cast, start=case.filed_at)
                    cases[kind, state] = case.id
            scoped.flush()
            yield Prepared(scoped, cast, cases, ended_at)


def rightful_actor(cast, role: Role, case: Case):
    """The user of the role who has standing on this case."""
    if role == Role.OFFICER:
        return cast.officer
    if role == Role.CONSUMER:
        return cast.applicant
    if role == Role.ENTERPRISE:
        return cast.enterprise_user
    if role == Role.EXPERT:
        on_panel = {member.expert_id for member in case.active_panel}
        return next((expert for expert in cast.experts if expert.id in on_panel), cast.experts[0])
    return gen_user(role)


def audit_count(session, case: Case) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case.id))


@pytest.mark.parametrize(("kind", "state", "role"), CELLS, ids=[f"{k}-{s}-{r}" for k, s, r in CELLS])
def test_the_matrix_cell_behaves_as_the_table_says(prepared, kind, state, role):
    session = prepared.session
    for trigger in sorted({row.trigger for row in TABLES[kind]}):
        savepoint = session.begin_nested()
        try:
            case = session.get(Case, prepared.cases[kind, state])
            assert case.state == state
            now = prepared.ended_at[kind, state] + timedelta(days=1)
            row = next((r for r in TABLES[kind] if r.trigger == trigger and state in r.sources), None)
            expected = row is not None and role in row.roles
            if expected:
                now = prepare_for(session, case, row, prepared.cast, now)
            actor = rightful_actor(prepared.cast, role, case)
            offered = {action.trigger for action in allowed_actions(case, actor, now=now)}
            events_before = audit_count(session, case)
            cell = f"{kind}/{state}/{role}/{trigger}"
            if not expected:
                assert trigger not in offered, cell
                refusal = InvalidTransition if row is None else TransitionNotAllowed
                with pytest.raises(refusal):
                    fire(case, trigger, actor, now=now, **(data_for(row, local_date(now)) if row else {}))
                assert case.state == state, cell
                assert audit_count(session, case) == events_before, cell
                continue
            assert trigger in offered, cell
            if PARTY_GUARDS & set(row.guards):
                outsider = gen_user(role)
                assert trigger not in {a.trigger for a in allowed_actions(case, outsider, now=now)}, cell
                with pytest.raises(GuardFailed):
                    fire(case, trigger, outsider, now=now, **data_for(row, local_date(now)))
            data = data_for(row, local_date(now))
            if data:
                with pytest.raises(GuardFailed):
                    fire(case, trigger, actor, now=now)
            assert fire(case, trigger, actor, now=now, **data) == row.dest, cell
            assert case.state == row.dest
            session.flush()
            assert audit_count(session, case) == events_before + 1, cell
        finally:
            savepoint.rollback()


def test_an_unknown_trigger_is_refused_with_its_own_error(prepared):
    case = prepared.session.get(Case, prepared.cases[CaseKind.COMPLAINT, "submitted"])
    with pytest.raises(UnknownTrigger):
        fire(case, "to_closed", prepared.cast.officer)
    with pytest.raises(UnknownTrigger):
        fire(case, "finalize", prepared.cast.officer)
