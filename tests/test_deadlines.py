"""Clocks on real cases: due dates on working days, pauses, pending years, and the overdue sweep."""

import threading
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

from tests.factories import gen_case
from tests.factories import gen_user
from tracker import audit
from tracker import deadlines
from tracker.extensions import db
from tracker.models import Alert
from tracker.models import AuditEvent
from tracker.models import CalendarDay
from tracker.models import CalendarYear
from tracker.models import Case
from tracker.models import Deadline
from tracker.models import DeadlineStatus
from tracker.models import OutboxMessage
from tracker.models import Role
from tracker.services import panels
from tracker.workflow import fire

#: 10:00 in Beijing on Tuesday 10 February 2026.
TUESDAY_10_FEB = datetime(2026, 2, 10, 2, 0, tzinfo=UTC)


def clock(case: Case, name: str) -> Deadline:
    """The newest clock of that name on the case."""
    return [deadline for deadline in case.deadlines if deadline.clock == name][-1]


def test_acceptance_is_due_seven_working_days_after_receipt(make_case):
    case = make_case("complaint", filed_at=TUESDAY_10_FEB)
    acceptance = clock(case, "acceptance")
    assert acceptance.started_on == date(2026, 2, 10)
    assert acceptance.due_on == date(2026, 2, 26)
    assert acceptance.status == DeadlineStatus.RUNNING


def test_the_filing_day_is_the_day_in_beijing_not_in_utc(make_case):
    # 00:30 on 11 February in Beijing is still 10 February in UTC.
    case = make_case("complaint", filed_at=datetime(2026, 2, 10, 16, 30, tzinfo=UTC))
    assert clock(case, "acceptance").started_on == date(2026, 2, 11)


def test_a_pause_of_three_working_days_moves_the_due_date_by_three(make_case, cast):
    case = make_case("complaint", filed_at=datetime(2026, 3, 2, 2, 0, tzinfo=UTC))  # Monday 2 March
    before = clock(case, "acceptance").due_on
    assert before == date(2026, 3, 11)
    fire(case, "start_review", cast.officer, now=datetime(2026, 3, 2, 3, 0, tzinfo=UTC))
    fire(case, "request_information", cast.officer, missing_items="清晰的发票照片",
         reply_by=date(2026, 3, 20), now=datetime(2026, 3, 3, 2, 0, tzinfo=UTC))
    acceptance = clock(case, "acceptance")
    assert acceptance.status == DeadlineStatus.PAUSED
    # Paused Tuesday 3 March, resumed Friday 6 March: Wed, Thu, Fri were lost.
    fire(case, "supplement", cast.applicant, now=datetime(2026, 3, 6, 2, 0, tzinfo=UTC))
    assert acceptance.status == DeadlineStatus.RUNNING
    assert acceptance.paused_days == 3
    assert acceptance.pauses[0].days_added == 3
    assert acceptance.due_on == date(2026, 3, 16)
    assert deadlines.WorkingCalendar().working_days_between(before, acceptance.due_on) == 3


def test_mediation_time_is_not_counted_while_experts_review(make_case, cast):
    case = make_case("complaint", state="mediation", filed_at=datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    mediation = clock(case, "mediation")
    due_before = mediation.due_on
    expert = cast.experts[0]
    panels.appoint_panel(db.session, case, cast.officer, [expert.id], chair_id=expert.id,
                         now=datetime(2026, 3, 9, 1, tzinfo=UTC))
    fire(case, "request_expert_review", cast.officer, now=datetime(2026, 3, 9, 2, tzinfo=UTC))
    opinion_at = datetime(2026, 3, 16, 1, tzinfo=UTC)
    panels.submit_opinion(db.session, case, expert, findings="外壳温升正常", conclusion="符合标准",
                          reasoning="按国家标准检验", now=opinion_at)
    panels.conclude_panel(db.session, case, expert, conclusion="符合标准", reasoning="一致意见",
                          concurring_member_ids=[case.active_panel[0].id], dissent=None, now=opinion_at)
    fire(case, "submit_opinion", expert, now=datetime(2026, 3, 16, 2, tzinfo=UTC))
    assert mediation.paused_days == 5
    assert mediation.due_on == deadlines.WorkingCalendar().add_working_days(due_before, 5)


def test_a_deadline_reaching_an_unpublished_year_is_pending_and_alerts_the_administrators(make_case):
    admin = gen_user(Role.ADMIN)
    case = make_case("complaint", filed_at=datetime(2026, 12, 28, 2, 0, tzinfo=UTC))
    acceptance = clock(case, "acceptance")
    assert acceptance.due_on is None
    assert acceptance.calendar_pending
    alert = db.session.scalars(select(Alert).where(Alert.key == "calendar:2027")).one()
    assert alert.resolved_at is None
    mailed = db.session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.subject.contains("calendar:2027")))
    assert list(mailed) == [admin.email]
    # Filing a second case does not open a second alert.
    make_case("complaint", filed_at=datetime(2026, 12, 29, 2, 0, tzinfo=UTC))
    db.session.flush()
    assert db.session.scalar(select(func.count()).select_from(Alert).where(Alert.key == "calendar:2027")) == 1


def test_the_pending_date_is_set_once_the_administrators_enter_the_year(make_case):
    case = make_case("complaint", filed_at=datetime(2026, 12, 28, 2, 0, tzinfo=UTC))
    db.session.add(CalendarYear(year=2027, complete=False))
    db.session.add(CalendarDay(day=date(2027, 1, 1), year=2027, is_working_day=False, name="元旦"))
    db.session.flush()
    assert deadlines.recompute_pending(db.session) == 0, "a draft year is not used"
    db.session.get(CalendarYear, 2027).complete = True
    db.session.flush()
    assert deadlines.recompute_pending(db.session) == 1
    acceptance = clock(case, "acceptance")
    # Mon 28 Dec: 29, 30, 31 Dec, (1 Jan off), 4, 5, 6, 7 Jan.
    assert acceptance.due_on == date(2027, 1, 7)
    assert not acceptance.calendar_pending


def test_the_sweep_marks_each_overdue_case_once_and_escalates(make_case, cast):
    late = make_case("complaint", filed_at=datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    on_time = make_case("complaint", filed_at=datetime(2026, 3, 10, 2, 0, tzinfo=UTC))
    fire(late, "start_review", cast.officer, now=datetime(2026, 3, 2, 3, 0, tzinfo=UTC))
    db.session.flush()
    sweep_time = datetime(2026, 3, 12, 2, 0, tzinfo=UTC)  # late was due 11 March, on_time is due 19 March
    result = deadlines.sweep_overdue(db.session, now=sweep_time)
    db.session.flush()
    assert late.number in result.cases and on_time.number not in result.cases
    assert clock(late, "acceptance").overdue_at == sweep_time
    assert clock(on_time, "acceptance").overdue_at is None
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == late.id, AuditEvent.action == "deadline_overdue")
    ).all()
    assert len(events) == 1 and events[0].actor_id is None
    recipients = db.session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.case_id == late.id)).all()
    assert cast.officer.email in recipients
    again = deadlines.sweep_overdue(db.session, now=sweep_time + timedelta(days=1))
    db.session.flush()
    assert late.number not in again.cases
    assert len(db.session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == late.id, AuditEvent.action == "deadline_overdue")
    ).all()) == 1


def test_paused_and_met_clocks_are_never_overdue(make_case, cast):
    case = make_case("complaint", filed_at=datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    fire(case, "start_review", cast.officer, now=datetime(2026, 3, 2, 3, 0, tzinfo=UTC))
    fire(case, "request_information", cast.officer, missing_items="购买凭证",
         reply_by=date(2026, 3, 20), now=datetime(2026, 3, 3, 3, 0, tzinfo=UTC))
    db.session.flush()
    result = deadlines.sweep_overdue(db.session, now=datetime(2026, 5, 1, 2, 0, tzinfo=UTC))
    assert case.number not in result.cases


SWEEP_QUERY = (
    "SELECT DISTINCT case_id FROM deadlines "
    "WHERE status = 'running' AND due_on < '2026-03-01' AND overdue_at IS NULL"
)


def test_the_sweep_reads_due_deadlines_through_the_index(app, db_session):
    if db.engine.dialect.name == "postgresql":
        # On a nearly empty table the planner prefers a scan; forbid it to see that the index serves the query.
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = db.session.execute(text("EXPLAIN " + SWEEP_QUERY)).scalars().all()
    else:
        plan = [str(row) for row in db.session.execute(text("EXPLAIN QUERY PLAN " + SWEEP_QUERY)).all()]
    assert any("ix_deadlines_sweep" in line for line in plan), plan


def test_two_sweeps_at_once_mark_each_case_exactly_once(databases):
    app = databases.migrated_app("sweeps")
    with app.app_context():
        from tests.factories import gen_cast

        cast = gen_cast()
        numbers = [gen_case(cast, "complaint", filed_at=datetime(2026, 3, 2, 2, tzinfo=UTC)).number for _ in range(6)]
        db.session.commit()
        db.session.remove()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run_sweep() -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                deadlines.sweep_overdue(db.session, now=datetime(2026, 4, 1, 2, tzinfo=UTC))
                db.session.commit()
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run_sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with app.app_context():
        counts = dict(db.session.execute(
            select(Case.number, func.count(AuditEvent.id))
            .join(AuditEvent, AuditEvent.case_id == Case.id)
            .where(AuditEvent.action == "deadline_overdue")
            .group_by(Case.number)
        ).all())
        assert counts == {number: 1 for number in numbers}
        assert all(chain_break is None for _, chain_break in audit.verify_chains(db.session))
        db.session.remove()
        db.engine.dispose()
