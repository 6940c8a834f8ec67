"""The scheduled sweep acts only through rows the tables open to it, and the trail names the system actor."""

from datetime import UTC
from datetime import datetime
from datetime import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from tracker.extensions import db
from tracker.models import AuditEvent
from tracker.models import utcnow
from tracker.workflow import TABLES
from tracker.workflow import GuardFailed
from tracker.workflow import TransitionNotAllowed
from tracker.workflow import fire_as_system


def test_only_finalizing_a_report_and_ending_an_expired_mediation_are_open_to_the_system():
    system_rows = {(kind, row.trigger) for kind, rows in TABLES.items() for row in rows if row.system}
    assert system_rows == {("arbitration", "finalize"), ("appraisal", "finalize"), ("complaint", "end_mediation")}


@pytest.mark.parametrize("kind", ["arbitration", "appraisal"])
def test_the_system_makes_a_report_final_once_the_objection_window_has_passed(make_case, kind):
    case = make_case(kind, state="objection_window")
    case_id = case.id
    later = utcnow() + timedelta(days=40)

    assert fire_as_system(case, "finalize", now=later) == "final"
    db.session.flush()

    newest = db.session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq.desc())
    ).first()
    assert (newest.action, newest.actor_id, newest.actor_role) == ("finalize", None, "system")


def test_the_system_waits_while_the_objection_window_is_open(make_case):
    case = make_case("arbitration", state="objection_window")
    served = datetime.combine(case.report_issued_on, time(4, 0), tzinfo=UTC)  # noon in Beijing
    with pytest.raises(GuardFailed):
        fire_as_system(case, "finalize", now=served + timedelta(days=15))


def test_the_system_may_not_take_an_officers_decision(make_case):
    case = make_case("complaint", state="submitted")
    with pytest.raises(TransitionNotAllowed):
        fire_as_system(case, "start_review", now=utcnow())
