"""Mediation: sessions and minutes, the agreement that settles, the sweep ending an expired mediation, follow-ups."""

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.factories import gen_case
from tests.factories import gen_cast
from tests.test_web_cases import act
from tests.test_web_cases import switch_user
from tracker.extensions import db
from tracker.models import AuditEvent
from tracker.models import CalendarYear
from tracker.models import Case
from tracker.models import CaseKind
from tracker.models import FilingDraft
from tracker.models import MediationSession
from tracker.models import OutboxMessage
from tracker.models import utcnow
from tracker.services import filing
from tracker.services import mediation
from tracker.working_days import LOCAL_TIMEZONE
from tracker.working_days import WorkingCalendar
from tracker.working_days import local_date


def mediation_due(case: Case):
    return next(d for d in case.deadlines if d.clock == "mediation" and d.status == "running").due_on


def end_events(case_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.action == "end_mediation")
    ))


def notices(case_id: int) -> list[str]:
    return sorted(db.session.scalars(
        select(OutboxMessage.recipient).where(OutboxMessage.case_id == case_id, OutboxMessage.body.contains("调解终止的原因"))
    ))


@pytest.fixture
def calendar_ahead(db_session):
    """Working-day calendars for the years around today, so that mediation's 45 days have a due date."""
    today = local_date(utcnow())
    for year in range(today.year - 1, today.year + 3):
        try:
            WorkingCalendar().is_working_day(date(year, 6, 1))
        except LookupError:
            db.session.add(CalendarYear(year=year, complete=True, note="test: weekdays only"))
    db.session.flush()


def test_the_sweep_ends_an_expired_mediation_once_with_one_notice_per_party(db_session, cast, make_case, calendar_ahead):
    case = make_case(state="mediation", filed_at=utcnow() - timedelta(days=120))
    running = make_case(state="mediation", filed_at=utcnow() - timedelta(days=5))
    after_limit = utcnow() + timedelta(days=1)
    assert mediation_due(case) < local_date(after_limit) <= mediation_due(running)

    assert mediation.end_expired_mediations(db.session, now=after_limit) == [case.number]
    db.session.flush()
    for _again in range(3):
        assert mediation.end_expired_mediations(db.session, now=after_limit + timedelta(days=1)) == []

    assert (case.state, running.state) == ("mediation_ended", "mediation")
    [event] = end_events(case.id)
    assert (event.actor_id, event.actor_role) == (None, "system")
    assert '"termination_ground":"time_limit"' in event.body
    assert notices(case.id) == sorted([cast.applicant.email, cast.enterprise_user.email])
    notice = next(d for d in case.deadlines if d.clock == "mediation_notice")
    assert notice.status == "met"
    assert case.mediation_endings[-1].ground == "time_limit" and case.mediation_endings[-1].ended_by_id is None


def test_a_mediation_paused_for_expert_review_is_not_ended(db_session, make_case):
    case = make_case(state="expert_review")
    assert mediation.end_expired_mediations(db.session, now=utcnow() + timedelta(days=400)) == []
    assert case.state == "expert_review"


@pytest.fixture
def sweep_app(databases):
    app = databases.migrated_app("mediation_sweep")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_sweep_command_ends_it_once_however_often_it_runs(sweep_app):
    with sweep_app.app_context():
        cast = gen_cast()
        case = gen_case(cast, CaseKind.COMPLAINT, "mediation", filed_at=datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
        db.session.commit()
        case_id, due = case.id, mediation_due(case)
        addresses = sorted([cast.applicant.email, cast.enterprise_user.email])
    later = f"{due + timedelta(days=3)}T02:00:00+00:00"
    runner = sweep_app.test_cli_runner()
    outputs = [runner.invoke(args=["tracker", "sweep", "--now", later]).output for _run in range(3)]
    assert "1 expired mediations ended" in outputs[0]
    assert all("0 expired mediations ended" in output for output in outputs[1:])
    with sweep_app.app_context():
        assert db.session.get(Case, case_id).state == "mediation_ended"
        assert len(end_events(case_id)) == 1
        assert notices(case_id) == addresses


def test_an_officer_ends_mediation_with_a_ground_and_both_parties_are_told(client, login_as, make_case, cast):
    case = make_case(state="mediation")
    login_as(cast.officer)
    assert act(client, case, "end_mediation", termination_ground="party_refused").status_code == 302
    db.session.refresh(case)
    assert case.state == "mediation_ended"
    assert case.mediation_endings[-1].ground == "party_refused"
    assert notices(case.id) == sorted([cast.applicant.email, cast.enterprise_user.email])
    body = next(m.body for m in db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.case_id == case.id, OutboxMessage.recipient == cast.applicant.email,
        OutboxMessage.body.contains("调解终止"))))
    assert "调解终止的原因：一方当事人拒绝继续调解" in body


def test_an_agreement_records_terms_amount_and_date_and_settles(client, login_as, make_case, cast):
    case = make_case(state="mediation")
    login_as(cast.officer)
    perform_by = local_date(utcnow()) + timedelta(days=14)
    response = act(client, case, "record_agreement", outcome="refund", terms="企业退还货款并承担运费",
                   amount="329.50", perform_by=perform_by.isoformat())
    assert response.status_code == 302
    db.session.refresh(case)
    assert (case.state, case.outcome) == ("settled", "refund")
    agreement = case.mediation_agreements[-1]
    assert (agreement.terms, agreement.amount, agreement.perform_by) == ("企业退还货款并承担运费", Decimal("329.50"), perform_by)
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert "企业退还货款并承担运费" in page and "329.50" in page


def test_an_agreement_without_terms_or_date_is_refused(client, login_as, make_case, cast):
    case = make_case(state="mediation")
    login_as(cast.officer)
    response = act(client, case, "record_agreement", outcome="refund", terms="退款")
    assert response.status_code == 422
    assert "请填写协议内容和履行期限（不早于今天）。" in response.get_data(as_text=True)
    db.session.refresh(case)
    assert case.state == "mediation" and case.mediation_agreements == []


def test_an_officer_schedules_a_session_and_records_its_minutes(client, login_as, make_case, cast):
    case = make_case(state="mediation")
    login_as(cast.officer)
    starts = (utcnow() + timedelta(days=3)).astimezone(LOCAL_TIMEZONE)
    response = client.post(f"/officer/cases/{case.number}/mediation-sessions", data={
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"), "mode": "on_site", "place": "市消协调解室 302",
        "mediator_id": cast.officer.id, "participants": "张消费者；王经理（企业）",
    })
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    meeting = db.session.scalars(select(MediationSession).where(MediationSession.case_id == case.id)).one()
    assert (meeting.mode, meeting.place, meeting.mediator_id) == ("on_site", "市消协调解室 302", cast.officer.id)
    switch_user(client, login_as, cast.applicant)
    assert "市消协调解室 302" in client.get(f"/cases/{case.number}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "message"),
    [({"mode": "remote", "link": ""}, "请填写远程调解的会议链接（https://…）。"),
     ({"mode": "on_site", "place": ""}, "请填写调解地点。")],
)
def test_a_session_needs_a_place_or_a_link(client, login_as, make_case, cast, fields, message):
    case = make_case(state="mediation")
    login_as(cast.officer)
    starts = utcnow() + timedelta(days=3)
    response = client.post(f"/officer/cases/{case.number}/mediation-sessions", data={
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"), "mediator_id": cast.officer.id, "participants": "双方",
        **fields,
    })
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalars(select(MediationSession).where(MediationSession.case_id == case.id)).all() == []


def test_a_failed_mediation_becomes_a_linked_appraisal_request_the_consumer_confirms(client, login_as, make_case, cast):
    complaint = make_case(state="mediation_ended")
    login_as(cast.applicant)
    page = client.get(f"/cases/{complaint.number}").get_data(as_text=True)
    assert f'action="/cases/{complaint.number}/follow-up"' in page
    response = client.post(f"/cases/{complaint.number}/follow-up", data={"kind": "appraisal"})
    assert response.status_code == 302
    draft = db.session.scalars(select(FilingDraft).where(FilingDraft.related_case_id == complaint.id)).one()
    assert client.post(f"/cases/{complaint.number}/follow-up", data={"kind": "appraisal"}).location == response.location
    assert draft.kind == "appraisal" and response.location.endswith(draft.token)
    assert filing.draft_data(draft)["product_name"] == complaint.product_name
    data = filing.draft_data(draft)
    data.update(consent_privacy=True, questions="水壶漏电的原因", applicant_standing="party")
    filing.save_draft(draft, data)
    case, _code = filing.submit_draft(db.session, draft, cast.applicant)
    assert (case.kind, case.related_case_id, case.enterprise_id) == ("appraisal", complaint.id, complaint.enterprise_id)


def test_only_the_applicant_turns_a_failed_mediation_into_a_request(client, login_as, make_case, cast):
    complaint = make_case(state="mediation")
    login_as(cast.applicant)
    assert client.post(f"/cases/{complaint.number}/follow-up", data={"kind": "appraisal"}).status_code == 409
    switch_user(client, login_as, cast.officer)
    assert client.post(f"/cases/{complaint.number}/follow-up", data={"kind": "appraisal"}).status_code == 403


@pytest.mark.parametrize("amount", ["sNaN", "NaN", "Infinity", "-1", "1e400"])
def test_an_agreement_amount_that_is_no_sum_of_money_is_refused_at_the_field(client, login_as, make_case, cast, amount):
    case = make_case(state="mediation")
    login_as(cast.officer)
    perform_by = (local_date(utcnow()) + timedelta(days=5)).isoformat()
    response = act(client, case, "record_agreement", outcome="refund", terms="退款", amount=amount, perform_by=perform_by)
    assert response.status_code == 422
    assert "请输入不小于 0 的金额。" in response.get_data(as_text=True)
    db.session.refresh(case)
    assert case.state == "mediation"


@pytest.mark.parametrize("mediator_id", ["x", "0", str(2**70)])
def test_a_junk_mediator_is_refused_at_the_field(client, login_as, make_case, cast, mediator_id):
    case = make_case(state="mediation")
    login_as(cast.officer)
    response = client.post(f"/officer/cases/{case.number}/mediation-sessions", data={
        "starts_at": (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"), "mode": "on_site", "place": "调解室",
        "mediator_id": mediator_id, "participants": "双方",
    })
    assert response.status_code == 422
