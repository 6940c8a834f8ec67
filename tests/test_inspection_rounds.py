"""Arbitration inspection and appraisal: the commission, samples and custody, rounds, objections, and the sweep."""

import io
import json
import threading
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from tests.factories import gen_case
from tests.factories import gen_cast
from tests.factories import gen_user
from tracker.demo import DEMO_REPORT_PDF
from tracker.demo import commission_terms_for
from tracker.demo import drive
from tracker.demo import filing_data
from tracker.demo import find_path
from tracker.extensions import db
from tracker.models import AuditEvent
from tracker.models import CaseKind
from tracker.models import InspectionBody
from tracker.models import OutboxMessage
from tracker.models import Role
from tracker.services import cases
from tracker.services import commissions
from tracker.services import inspections
from tracker.services import panels
from tracker.services.attachments import EvidencePolicy
from tracker.services.commissions import CommissionError
from tracker.services.inspections import InspectionError
from tracker.services.inspections import SamplingDetails
from tracker.services.panels import PanelError
from tracker.workflow import GuardFailed
from tracker.workflow import fire
from tracker.working_days import WorkingCalendar
from tracker.working_days import local_date


def at_noon(day: date) -> datetime:
    """Noon in Beijing on that day."""
    return datetime.combine(day, time(4, 0), tzinfo=UTC)


def body(name: str) -> InspectionBody:
    """An accredited inspection body."""
    found = InspectionBody(name=name, accreditation_number="CNAS L0001", accreditation_scope="家用电器")
    db.session.add(found)
    db.session.flush()
    return found


def draft_and_confirm(case, cast, now: datetime, *parties) -> None:
    """The officer drafts the commission; the named parties confirm it."""
    commissions.save_commission(db.session, case, cast.officer, commission_terms_for(case, local_date(now)), now=now)
    for party in parties:
        commissions.confirm_commission(db.session, case, party, revision=case.commission.revision, now=now)


def upload(case, actor, now: datetime, tmp_path, content: bytes = DEMO_REPORT_PDF, name: str = "报告.pdf"):
    return inspections.upload_report(
        db.session, case, actor, io.BytesIO(content), name, reference=f"R-{now:%m%d}", root=tmp_path,
        policy=EvidencePolicy(), now=now,
    )


def sealed(day: date) -> SamplingDetails:
    return SamplingDetails(sampled_on=day, place="申请人住所", quantity=2, seal_numbers="FY-001, FY-002",
                           present="承办人李某、申请人张某、企业代表王某")


# --- the commission -------------------------------------------------------------------------------


def test_work_cannot_start_before_both_parties_have_confirmed_the_commission(make_case, cast):
    case = make_case(CaseKind.ARBITRATION, state="commission_pending")
    now = case.updated_at + timedelta(days=1)
    with pytest.raises(GuardFailed) as nothing_drafted:
        fire(case, "agree_commission", cast.officer, now=now)
    assert nothing_drafted.value.guard == "commission_confirmed_by_both"

    draft_and_confirm(case, cast, now, cast.applicant)
    with pytest.raises(GuardFailed) as one_party:
        fire(case, "agree_commission", cast.officer, now=now)
    assert one_party.value.guard == "commission_confirmed_by_both"
    assert case.state == "commission_pending"

    commissions.confirm_commission(db.session, case, cast.enterprise_user, revision=1, now=now)
    assert fire(case, "agree_commission", cast.officer, now=now) == "sampling"
    report_clock = next(d for d in case.deadlines if d.clock == "report")
    assert report_clock.due_on == case.commission.report_due_on
    assert [r.number for r in case.report_rounds] == [1]


def test_changing_the_commission_voids_the_confirmations_and_an_old_page_cannot_confirm(make_case, cast):
    case = make_case(CaseKind.APPRAISAL, state="commission_pending")
    now = case.updated_at + timedelta(days=1)
    draft_and_confirm(case, cast, now, cast.applicant, cast.enterprise_user)
    assert case.commission.confirmed_by_both

    terms = commission_terms_for(case, local_date(now))
    changed = type(terms)(**{**terms.__dict__, "fee_amount": Decimal("2400.00")})
    commissions.save_commission(db.session, case, cast.officer, changed, now=now)
    assert case.commission.revision == 2
    assert case.commission.consumer_confirmed_at is None and case.commission.enterprise_confirmed_at is None
    with pytest.raises(GuardFailed):
        fire(case, "agree_commission", cast.officer, now=now)
    with pytest.raises(CommissionError) as stale:
        commissions.confirm_commission(db.session, case, cast.applicant, revision=1, now=now)
    assert stale.value.code == "changed"
    amended = db.session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == "commission_amended")
    ).one()
    assert json.loads(amended.body)["voided_confirmations"] == ["consumer", "enterprise"]


def test_only_the_cases_own_parties_confirm_and_each_only_once(make_case, cast):
    case = make_case(CaseKind.ARBITRATION, state="commission_pending")
    now = case.updated_at + timedelta(days=1)
    draft_and_confirm(case, cast, now, cast.applicant)
    for outsider in (gen_user(Role.CONSUMER), gen_user(Role.ENTERPRISE), cast.officer):
        with pytest.raises(CommissionError) as refused:
            commissions.confirm_commission(db.session, case, outsider, revision=1, now=now)
        assert refused.value.code == "not_party"
    with pytest.raises(CommissionError) as twice:
        commissions.confirm_commission(db.session, case, cast.applicant, revision=1, now=now)
    assert twice.value.code == "already_confirmed"


# --- an arbitration inspection with an objection and a second round -------------------------------


def test_an_arbitration_inspection_runs_with_an_objection_and_a_second_round(make_case, cast, tmp_path):
    case = make_case(CaseKind.ARBITRATION, state="commission_pending")
    day = local_date(case.updated_at) + timedelta(days=1)
    first_body, second_body = body("第一检验所"), body("第二检验所")

    draft_and_confirm(case, cast, at_noon(day), cast.applicant, cast.enterprise_user)
    fire(case, "agree_commission", cast.officer, now=at_noon(day))
    with pytest.raises(GuardFailed) as no_body:
        inspections.record_sampling(db.session, case, cast.officer, sealed(day), now=at_noon(day))
    assert no_body.value.guard == "inspection_body_assigned"
    inspections.assign_body(db.session, case, cast.officer, first_body, now=at_noon(day))
    inspections.record_sampling(db.session, case, cast.officer, sealed(day), now=at_noon(day))
    assert case.state == "inspection"

    with pytest.raises(GuardFailed) as no_file:
        fire(case, "issue_report", cast.officer, now=at_noon(day + timedelta(days=5)))
    assert no_file.value.guard == "report_file_uploaded"
    upload(case, cast.officer, at_noon(day + timedelta(days=5)), tmp_path)
    fire(case, "issue_report", cast.officer, now=at_noon(day + timedelta(days=5)))
    first = case.report_rounds[0]
    assert (case.state, first.issued_on, first.served_on) == ("objection_window", day + timedelta(days=5),
                                                               day + timedelta(days=5))

    fire(case, "raise_objection", cast.enterprise_user, reason="检验方法不符合标准", now=at_noon(day + timedelta(days=9)))
    assert case.state == "re_inspection"
    second = case.report_rounds[1]
    assert (second.number, second.previous_round) == (2, first)
    assert first.objection_reason == "检验方法不符合标准" and first.objection_by_id == cast.enterprise_user.id

    with pytest.raises(InspectionError) as reused:
        inspections.assign_body(db.session, case, cast.officer, first_body, now=at_noon(day + timedelta(days=10)))
    assert reused.value.code == "body_reused"
    inspections.assign_body(db.session, case, cast.officer, second_body, now=at_noon(day + timedelta(days=10)))
    upload(case, cast.officer, at_noon(day + timedelta(days=20)), tmp_path, content=DEMO_REPORT_PDF + b"\n")
    assert fire(case, "issue_final_report", cast.officer, now=at_noon(day + timedelta(days=20))) == "final"
    assert second.final_at is not None and first.final_at is None
    assert second.report_file.content_type == "application/pdf"


def test_a_second_inspection_round_cannot_go_back_to_the_first_rounds_body(make_case, cast):
    case = make_case(CaseKind.ARBITRATION, state="re_inspection")
    first, second = case.report_rounds
    second.inspection_body_id = first.inspection_body_id
    with pytest.raises(GuardFailed) as refused:
        fire(case, "issue_final_report", cast.officer, now=case.updated_at + timedelta(days=1))
    assert refused.value.guard == "round_body_is_new"


def test_a_re_appraisal_panel_cannot_include_a_member_of_the_first_panel(make_case, cast):
    case = make_case(CaseKind.APPRAISAL, state="re_appraisal")
    first_panel = set(json.loads(case.report_rounds[0].panel_expert_ids))
    assert len(first_panel) == 3
    assert not case.active_panel, "an objection ends the first panel's work: the new round's panel starts empty"
    now = case.updated_at + timedelta(days=1)
    with pytest.raises(PanelError) as refused_member:
        panels.appoint_panel(db.session, case, cast.officer, sorted(first_panel), chair_id=min(first_panel),
                             specialty="", now=now)
    assert "earlier_round" in refused_member.value.reasons
    fresh = [gen_user(Role.EXPERT) for _ in range(3)]
    panels.appoint_panel(db.session, case, cast.officer, [expert.id for expert in fresh], chair_id=fresh[0].id,
                         specialty="", now=now)
    case.active_panel[-1].recused_at = now
    returning = next(member for member in case.panel if member.expert_id in first_panel)
    returning.round_number, returning.is_chair = case.panel_round, False
    assert len(case.active_panel) == 3
    case.report_rounds[1].report_evidence_id = case.report_rounds[0].report_evidence_id
    with pytest.raises(GuardFailed) as refused:
        fire(case, "issue_final_report", cast.officer, now=now)
    assert refused.value.guard == "panel_excludes_earlier_rounds"


def test_an_objection_on_day_15_is_heard_and_on_day_16_refused(make_case, cast):
    case = make_case(CaseKind.ARBITRATION, state="objection_window")
    served = case.report_rounds[-1].served_on
    with pytest.raises(GuardFailed) as late:
        fire(case, "raise_objection", cast.applicant, reason="不同意", now=at_noon(served + timedelta(days=16)))
    assert late.value.guard == "within_objection_window"
    assert case.state == "objection_window"
    assert fire(case, "raise_objection", cast.applicant, reason="不同意",
                now=at_noon(served + timedelta(days=15))) == "re_inspection"


# --- samples ------------------------------------------------------------------------------------


def test_a_samples_custody_log_reads_as_an_unbroken_sequence_of_audit_events(make_case, cast):
    case = make_case(CaseKind.APPRAISAL, state="investigation")
    day = local_date(case.updated_at) + timedelta(days=1)
    sampling = inspections.record_sampling(db.session, case, cast.officer, sealed(day), now=at_noon(day))
    steps = ["received", "stored", "tested", "stored", "returned"]
    for hour, step in enumerate(steps):
        moment = at_noon(day) + timedelta(hours=hour + 1)
        inspections.log_custody(db.session, case, cast.officer, sampling, step=step, handled_by="检验员赵某",
                                occurred_at=moment, now=moment)
    with pytest.raises(InspectionError) as after_return:
        inspections.log_custody(db.session, case, cast.officer, sampling, step="tested", handled_by="检验员赵某",
                                occurred_at=at_noon(day) + timedelta(hours=7), now=at_noon(day) + timedelta(hours=7))
    assert after_return.value.code == "custody_order"
    db.session.flush()

    trail = db.session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.seq)
    ).all()
    custody_events = [event for event in trail if event.action == "sample_custody"]
    assert [entry.audit_event for entry in sampling.custody] == custody_events
    assert [json.loads(event.body)["step"] for event in custody_events] == steps
    seqs = [event.seq for event in custody_events]
    assert seqs == list(range(seqs[0], seqs[0] + len(steps)))
    for earlier, later in zip(custody_events, custody_events[1:], strict=False):
        assert later.prev_hash == earlier.hash


def test_custody_must_start_with_receipt_and_cannot_go_back_in_time(make_case, cast):
    case = make_case(CaseKind.APPRAISAL, state="investigation")
    day = local_date(case.updated_at) + timedelta(days=1)
    sampling = inspections.record_sampling(db.session, case, cast.officer, sealed(day), now=at_noon(day))
    with pytest.raises(InspectionError) as not_received:
        inspections.log_custody(db.session, case, cast.officer, sampling, step="tested", handled_by="赵某",
                                occurred_at=at_noon(day), now=at_noon(day))
    assert not_received.value.code == "custody_order"
    inspections.log_custody(db.session, case, cast.officer, sampling, step="received", handled_by="赵某",
                            occurred_at=at_noon(day), now=at_noon(day))
    with pytest.raises(InspectionError) as earlier:
        inspections.log_custody(db.session, case, cast.officer, sampling, step="stored", handled_by="赵某",
                                occurred_at=at_noon(day) - timedelta(hours=1), now=at_noon(day))
    assert earlier.value.code == "custody_time"


def test_a_report_must_be_a_pdf(make_case, cast, tmp_path):
    case = make_case(CaseKind.APPRAISAL, state="deliberation")
    photo = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 200, 200)).save(photo, "PNG")
    with pytest.raises(InspectionError) as refused:
        upload(case, cast.officer, case.updated_at + timedelta(days=1), tmp_path, content=photo.getvalue(),
               name="报告.png")
    assert refused.value.code == "not_pdf"


# --- the sweep and the mediation clock ------------------------------------------------------------


@pytest.mark.parametrize("kind", [CaseKind.ARBITRATION, CaseKind.APPRAISAL])
def test_the_sweep_makes_a_report_final_exactly_once_after_the_window(make_case, kind):
    case = make_case(kind, state="objection_window")
    served = case.report_rounds[-1].served_on
    assert inspections.finalize_lapsed_reports(db.session, now=at_noon(served + timedelta(days=15))) == []
    assert case.state == "objection_window"

    later = at_noon(served + timedelta(days=16))
    assert inspections.finalize_lapsed_reports(db.session, now=later) == [case.number]
    db.session.flush()
    assert inspections.finalize_lapsed_reports(db.session, now=later + timedelta(days=1)) == []
    assert case.state == "final"
    finalize_events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == "finalize")
    ).all()
    assert [(event.actor_id, event.actor_role) for event in finalize_events] == [(None, "system")]
    assert case.report_rounds[-1].final_at == later


def test_a_complaints_mediation_due_date_moves_by_exactly_the_working_days_its_appraisal_took(cast):
    filed = datetime(2026, 3, 2, 2, tzinfo=UTC)
    complaint = gen_case(cast, CaseKind.COMPLAINT, "mediation", filed_at=filed)
    mediation = next(d for d in complaint.deadlines if d.clock == "mediation")
    due_before = mediation.due_on

    data = {**filing_data(cast.enterprise_user.enterprise, CaseKind.APPRAISAL, 7), "related_case_id": complaint.id}
    appraisal, _code = cases.submit_case(db.session, cast.applicant, CaseKind.APPRAISAL, data, now=filed + timedelta(days=5))
    db.session.flush()
    to_work = find_path(CaseKind.APPRAISAL, "panel_forming")
    started = drive(db.session, appraisal, to_work, cast, start=filed + timedelta(days=5))
    assert mediation.status == "paused"
    rest = find_path(CaseKind.APPRAISAL, "final")[len(to_work):]
    finished = drive(db.session, appraisal, rest, cast, start=started, step=timedelta(days=3))

    assert appraisal.state == "final" and mediation.status == "running"
    took = WorkingCalendar().working_days_between(local_date(started), local_date(finished))
    assert took > 10
    expected = WorkingCalendar().add_working_days(mediation.started_on, mediation.length_days + took)
    assert mediation.due_on == expected
    assert WorkingCalendar().working_days_between(due_before, mediation.due_on) == took


def test_flask_tracker_sweep_finalizes_a_lapsed_report_once(databases):
    app = databases.migrated_app("sweep_reports")
    try:
        with app.app_context():
            cast = gen_cast()
            case = gen_case(cast, CaseKind.APPRAISAL, "objection_window")
            number, served = case.number, case.report_rounds[-1].served_on
            db.session.commit()
            db.session.remove()
        when = at_noon(served + timedelta(days=16)).isoformat()
        runner = app.test_cli_runner()
        first = runner.invoke(args=["tracker", "sweep", "--now", when])
        assert first.exit_code == 0, first.output
        assert "1 reports made final" in first.output
        second = runner.invoke(args=["tracker", "sweep", "--now", when])
        assert "0 reports made final" in second.output
        with app.app_context():
            case = cases.find_case_by_number(db.session, number)
            assert case.state == "final"
            actors = db.session.scalars(
                select(AuditEvent.actor_role).where(AuditEvent.case_id == case.id, AuditEvent.action == "finalize")
            ).all()
            assert actors == ["system"]
            db.session.remove()
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_withdrawing_a_linked_appraisal_resumes_the_complaints_mediation_clock(cast):
    filed = datetime(2026, 3, 2, 2, tzinfo=UTC)
    complaint = gen_case(cast, CaseKind.COMPLAINT, "mediation", filed_at=filed)
    mediation = next(d for d in complaint.deadlines if d.clock == "mediation")
    data = {**filing_data(cast.enterprise_user.enterprise, CaseKind.APPRAISAL, 8), "related_case_id": complaint.id}
    appraisal, _code = cases.submit_case(db.session, cast.applicant, CaseKind.APPRAISAL, data, now=filed)
    db.session.flush()
    started = drive(db.session, appraisal, find_path(CaseKind.APPRAISAL, "panel_forming"), cast, start=filed)
    assert mediation.status == "paused"
    fire(appraisal, "withdraw", cast.applicant, now=started + timedelta(days=14))
    assert mediation.status == "running"
    assert mediation.paused_days == WorkingCalendar().working_days_between(
        local_date(started), local_date(started + timedelta(days=14)))


def test_a_later_service_date_moves_the_objection_window_and_the_sweep_with_it(make_case, cast):
    case = make_case(CaseKind.ARBITRATION, state="objection_window")
    issued = case.report_rounds[-1].issued_on
    served = issued + timedelta(days=3)
    with pytest.raises(InspectionError) as future:
        inspections.record_service(db.session, case, cast.officer, issued + timedelta(days=30),
                                   now=at_noon(issued + timedelta(days=4)))
    assert future.value.code == "service_date"
    inspections.record_service(db.session, case, cast.officer, served, now=at_noon(issued + timedelta(days=4)))
    assert inspections.objection_window_ends_on(case) == served + timedelta(days=15)
    assert next(d for d in case.deadlines if d.clock == "objection").due_on == served + timedelta(days=15)
    assert inspections.finalize_lapsed_reports(db.session, now=at_noon(issued + timedelta(days=17))) == []
    with pytest.raises(GuardFailed):
        fire(case, "raise_objection", cast.applicant, reason="不同意", now=at_noon(served + timedelta(days=16)))
    assert fire(case, "raise_objection", cast.applicant, reason="不同意",
                now=at_noon(issued + timedelta(days=18))) == "re_inspection"


def test_both_parties_are_asked_by_mail_to_confirm_each_revision(make_case, cast):
    case = make_case(CaseKind.ARBITRATION, state="commission_pending")
    now = case.updated_at + timedelta(days=1)
    draft_and_confirm(case, cast, now)
    terms = commission_terms_for(case, local_date(now))
    commissions.save_commission(db.session, case, cast.officer, terms, now=now)
    db.session.flush()
    asked = db.session.scalars(
        select(OutboxMessage.recipient).where(OutboxMessage.case_id == case.id,
                                              OutboxMessage.subject.contains("Please confirm the commission"))
    ).all()
    assert sorted(asked) == sorted([cast.applicant.email, cast.enterprise_user.email] * 2)


def test_two_sweeps_at_the_same_moment_finalize_a_report_once(databases):
    app = databases.migrated_app("sweep_race")
    try:
        with app.app_context():
            case = gen_case(gen_cast(), CaseKind.ARBITRATION, "objection_window")
            case_id, when = case.id, at_noon(case.report_rounds[-1].served_on + timedelta(days=20))
            db.session.commit()
            db.session.remove()
        barrier = threading.Barrier(2)
        finalized: list[object] = [None, None]

        def sweep(slot: int) -> None:
            with app.app_context():
                try:
                    barrier.wait(timeout=10)
                    finalized[slot] = inspections.finalize_lapsed_reports(db.session, now=when)
                    db.session.commit()
                except StaleDataError as conflict:
                    db.session.rollback()
                    finalized[slot] = conflict
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=sweep, args=(slot,)) for slot in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sum(isinstance(outcome, list) and len(outcome) == 1 for outcome in finalized) == 1, finalized
        with app.app_context():
            events = db.session.scalars(
                select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.action == "finalize")
            ).all()
            assert len(events) == 1
            db.session.remove()
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_complaint_in_its_own_expert_review_is_left_to_that_review(cast):
    filed = datetime(2026, 3, 2, 2, tzinfo=UTC)
    complaint = gen_case(cast, CaseKind.COMPLAINT, "expert_review", filed_at=filed)
    mediation = next(d for d in complaint.deadlines if d.clock == "mediation")
    assert mediation.status == "paused"
    data = {**filing_data(cast.enterprise_user.enterprise, CaseKind.ARBITRATION, 9), "related_case_id": complaint.id}
    inspection, _code = cases.submit_case(db.session, cast.applicant, CaseKind.ARBITRATION, data, now=filed)
    db.session.flush()
    drive(db.session, inspection, find_path(CaseKind.ARBITRATION, "final"), cast, start=filed + timedelta(days=9))
    assert inspection.state == "final"
    assert mediation.status == "paused" and len(mediation.pauses) == 1
    testing_events = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.case_id == complaint.id, AuditEvent.action.like("mediation_%_testing"))).all()
    assert testing_events == []
