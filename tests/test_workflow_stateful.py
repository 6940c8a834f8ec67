"""Random sequences of actions by random people never break the procedure or its audit trail."""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine
from hypothesis.stateful import initialize
from hypothesis.stateful import invariant
from hypothesis.stateful import rule
from hypothesis.stateful import run_state_machine_as_test
from sqlalchemy import func
from sqlalchemy import select

from tests.factories import gen_case
from tests.factories import gen_cast
from tests.factories import gen_user
from tracker import audit
from tracker.demo import data_for
from tracker.extensions import db
from tracker.models import AuditEvent
from tracker.models import CaseKind
from tracker.models import Role
from tracker.services.cases import appoint_expert
from tracker.workflow import TABLES
from tracker.workflow import WorkflowError
from tracker.workflow import fire
from tracker.workflow import states_of
from tracker.working_days import local_date


def build_machine(cast, outsiders):
    """A Hypothesis state machine over one freshly filed case per run."""

    class CaseProcedure(RuleBasedStateMachine):
        """Fire random triggers as random users with random (sometimes valid) data."""

        @initialize(kind=st.sampled_from(list(CaseKind)))
        def file_case(self, kind):
            self.kind = kind
            self.savepoint = db.session.begin_nested()
            self.case = gen_case(cast, kind)
            self.now = self.case.filed_at
            self.successes = 0
            self.appointments = 0

        def teardown(self):
            if getattr(self, "savepoint", None) is not None and self.savepoint.is_active:
                self.savepoint.rollback()

        @rule(
            trigger=st.sampled_from(sorted({row.trigger for table in TABLES.values() for row in table})),
            who=st.sampled_from(["officer", "applicant", "enterprise", "expert", "outsider", "admin"]),
            with_data=st.booleans(),
            days=st.integers(min_value=0, max_value=20),
        )
        def act(self, trigger, who, with_data, days):
            self.now += timedelta(days=days, minutes=1)
            actor = {
                "officer": cast.officer,
                "applicant": cast.applicant,
                "enterprise": cast.enterprise_user,
                "expert": cast.experts[0],
                "outsider": outsiders[0],
                "admin": outsiders[1],
            }[who]
            row = next((r for r in TABLES[self.kind] if r.trigger == trigger and self.case.state in r.sources), None)
            data = data_for(row, local_date(self.now)) if row is not None and with_data else {}
            before = self.case.state
            try:
                after = fire(self.case, trigger, actor, now=self.now, **data)
            except WorkflowError:
                assert self.case.state == before
                return
            assert row is not None and after == row.dest
            self.successes += 1

        @rule(expert=st.integers(min_value=0, max_value=2))
        def appoint(self, expert):
            self.now += timedelta(minutes=1)
            if all(member.expert_id != cast.experts[expert].id for member in self.case.panel):
                appoint_expert(db.session, self.case, cast.experts[expert], cast.officer, now=self.now)
                self.appointments += 1

        @invariant()
        def state_is_declared(self):
            assert self.case.state in states_of(self.kind)

        @invariant()
        def one_event_per_success_and_the_chain_verifies(self):
            db.session.flush()
            events = db.session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == self.case.id)
            )
            assert events == 1 + self.successes + self.appointments
            chain = db.session.scalars(
                select(AuditEvent).where(AuditEvent.case_id == self.case.id).order_by(AuditEvent.seq)
            ).all()
            assert audit._case_chain_breaks(self.case.number, self.case.audit_head_hash, chain) is None

    return CaseProcedure


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_random_action_sequences_keep_the_procedure_and_the_chain_sound(db_session):
    cast = gen_cast()
    outsiders = [gen_user(Role.CONSUMER), gen_user(Role.ADMIN)]
    run_state_machine_as_test(
        build_machine(cast, outsiders),
        settings=settings(
            max_examples=40,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
            database=None,
        ),
    )
