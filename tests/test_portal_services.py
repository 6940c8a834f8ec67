"""The consumer portal's domain verbs: drafts, idempotent filing, claiming, tracking limits, messages, ratings."""

import io
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import func
from sqlalchemy import select

from tests.factories import gen_enterprise
from tests.factories import gen_user
from tracker.extensions import db
from tracker.models import AuditEvent
from tracker.models import Case
from tracker.models import CaseKind
from tracker.models import Evidence
from tracker.models import OutboxMessage
from tracker.models import Role
from tracker.services import filing
from tracker.services.attachments import EvidencePolicy
from tracker.services.attachments import QuotaExceeded
from tracker.services.attachments import attach_evidence
from tracker.services.cases import EnterpriseError
from tracker.services.cases import FilingError
from tracker.services.cases import confirm_enterprise
from tracker.services.conversation import ConversationError
from tracker.services.conversation import post_message
from tracker.services.conversation import rate_case
from tracker.services.conversation import request_reopen
from tracker.services.throttle import Throttled
from tracker.workflow import GuardFailed
from tracker.workflow import fire

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def complaint_fields(enterprise, **extra):
    return {
        "enterprise_id": enterprise.id,
        "product_name": "电热水壶",
        "product_model": "KT-1720",
        "purchase_date": date(2026, 2, 1),
        "amount_paid": Decimal("199.00"),
        "category": "household_appliances",
        "issue": "safety",
        "narrative": "使用一周后底座漏电。",
        "remedy_sought": "退货退款",
        "consent_privacy": True,
        **extra,
    }


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_draft_keeps_typed_values_and_files_as_a_case_once(db_session, tmp_path):
    consumer = gen_user(Role.CONSUMER)
    enterprise = gen_enterprise()
    draft = filing.start_draft(db.session, CaseKind.COMPLAINT, consumer, None)
    filing.save_draft(draft, complaint_fields(enterprise))
    db.session.flush()
    assert filing.draft_data(draft)["amount_paid"] == Decimal("199.00")
    attach_evidence(db.session, root=tmp_path, policy=EvidencePolicy(), stream=io.BytesIO(png_bytes()),
                    original_name="漏电照片.png", uploader=consumer, draft=draft)
    case, code = filing.submit_draft(db.session, draft, consumer, now=NOW)
    db.session.flush()
    assert code and case.number.startswith("TS-2026-")
    assert case.submission_token == draft.token and case.consent_privacy_version == filing.PRIVACY_NOTICE_VERSION
    assert [evidence.original_name for evidence in case.evidence] == ["漏电照片.png"]
    again, second_code = filing.submit_draft(db.session, draft, consumer, now=NOW)
    assert again is case and second_code is None
    assert db.session.scalar(select(func.count()).select_from(Case).where(Case.applicant_id == consumer.id)) == 1
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.case_id == case.id))


def test_a_filing_without_privacy_consent_is_refused(db_session):
    consumer = gen_user(Role.CONSUMER)
    draft = filing.start_draft(db.session, CaseKind.COMPLAINT, consumer, None)
    filing.save_draft(draft, complaint_fields(gen_enterprise(), consent_privacy=False))
    with pytest.raises(FilingError, match="consent_privacy"):
        filing.submit_draft(db.session, draft, consumer, now=NOW)


@pytest.mark.parametrize(("kind", "missing"), [
    (CaseKind.QUALITY_APPEAL, "appealed_decision"),
    (CaseKind.ARBITRATION, "applicant_standing"),
    (CaseKind.APPRAISAL, "applicant_standing"),
])
def test_each_kind_requires_its_own_fields(db_session, kind, missing):
    consumer = gen_user(Role.CONSUMER)
    draft = filing.start_draft(db.session, kind, consumer, None)
    filing.save_draft(draft, complaint_fields(gen_enterprise()))
    with pytest.raises(FilingError, match=missing):
        filing.submit_draft(db.session, draft, consumer, now=NOW)


def test_an_anonymous_filing_needs_contact_details_and_can_be_claimed_later(db_session):
    key = filing.new_owner_key()
    draft = filing.start_draft(db.session, CaseKind.COMPLAINT, None, key)
    assert filing.owns_draft(draft, None, key) and not filing.owns_draft(draft, None, "other-key")
    filing.save_draft(draft, complaint_fields(gen_enterprise()))
    with pytest.raises(FilingError, match="contact_name"):
        filing.submit_draft(db.session, draft, None, now=NOW)
    filing.save_draft(draft, complaint_fields(gen_enterprise(), contact_name="张三", contact_email="z@example.test"))
    case, code = filing.submit_draft(db.session, draft, None, now=NOW)
    db.session.flush()
    assert case.applicant_id is None
    consumer = gen_user(Role.CONSUMER)
    assert filing.claim_case(db.session, consumer, case.number, code.lower(), remote_addr="192.0.2.1", now=NOW) is case
    db.session.flush()
    assert case.applicant_id == consumer.id
    other = gen_user(Role.CONSUMER)
    with pytest.raises(FilingError, match="already_claimed"):
        filing.claim_case(db.session, other, case.number, code, remote_addr="192.0.2.1", now=NOW)


def test_a_new_enterprise_entered_by_a_consumer_awaits_confirmation(db_session):
    consumer = gen_user(Role.CONSUMER)
    draft = filing.start_draft(db.session, CaseKind.COMPLAINT, consumer, None)
    fields = complaint_fields(gen_enterprise())
    del fields["enterprise_id"]
    filing.save_draft(draft, {**fields, "enterprise_name": "新开的小店", "enterprise_credit_code": "91330100ABCDEFGH1X"})
    case, _ = filing.submit_draft(db.session, draft, consumer, now=NOW)
    assert case.enterprise.name == "新开的小店" and not case.enterprise.confirmed


def test_wrong_access_codes_are_throttled(db_session, cast, make_case):
    case = make_case("complaint")
    db.session.flush()
    for attempt in range(filing.TRACK_LIMIT_PER_CASE):
        assert filing.find_by_access_code(db.session, case.number, "WRONG-CODE1",
                                          remote_addr=f"198.51.100.{attempt}", now=NOW) is None
    with pytest.raises(Throttled) as throttled:
        filing.find_by_access_code(db.session, case.number, "WRONG-CODE1", remote_addr="198.51.100.99", now=NOW)
    assert 0 < throttled.value.retry_after <= filing.TRACK_WINDOW_MINUTES * 60 + 1
    later = NOW + timedelta(minutes=filing.TRACK_WINDOW_MINUTES + 1)
    assert filing.find_by_access_code(db.session, case.number, "WRONG-CODE1", remote_addr="198.51.100.99",
                                      now=later) is None


def test_similar_open_cases_are_found_for_the_hint(db_session, cast, make_case):
    case = make_case("complaint")
    db.session.flush()
    data = {"enterprise_id": case.enterprise_id, "product_name": case.product_name.upper()}
    assert filing.similar_open_cases(db.session, cast.applicant, data) == [case]
    assert filing.similar_open_cases(db.session, gen_user(Role.CONSUMER), data) == []


def test_case_quota_is_enforced_before_anything_is_stored(db_session, cast, make_case, tmp_path):
    case = make_case("complaint")
    policy = EvidencePolicy(max_files_per_case=1)
    attach_evidence(db.session, root=tmp_path, policy=policy, stream=io.BytesIO(png_bytes()),
                    original_name="a.png", uploader=cast.applicant, case=case)
    files_before = sorted(tmp_path.rglob("*"))
    with pytest.raises(QuotaExceeded):
        attach_evidence(db.session, root=tmp_path, policy=policy, stream=io.BytesIO(b"%PDF-1.4 ..."),
                        original_name="b.pdf", uploader=cast.applicant, case=case)
    assert sorted(tmp_path.rglob("*")) == files_before


def test_a_rolled_back_upload_leaves_no_file_behind(databases, tmp_path):
    app = databases.migrated_app("uploads")
    with app.app_context():
        consumer = gen_user(Role.CONSUMER)
        draft = filing.start_draft(db.session, CaseKind.COMPLAINT, consumer, None)
        db.session.commit()
        attach_evidence(db.session, root=tmp_path, policy=EvidencePolicy(), stream=io.BytesIO(png_bytes()),
                        original_name="x.png", uploader=consumer, draft=draft)
        assert [p for p in tmp_path.rglob("*") if p.is_file()]
        db.session.rollback()
        assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
        assert db.session.scalar(select(func.count()).select_from(Evidence)) == 0
        db.session.remove()
        db.engine.dispose()


def test_messages_are_audited_as_digests_and_notes_stay_internal(db_session, cast, make_case):
    case = make_case("complaint", state="under_review")
    post_message(db.session, case, cast.applicant, "补充：发票号 12345")
    with pytest.raises(ConversationError, match="not_staff"):
        post_message(db.session, case, cast.applicant, "内部", internal=True)
    post_message(db.session, case, cast.officer, "内部备注", internal=True)
    db.session.flush()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id,
                                                         AuditEvent.action.in_(["message", "note"]))
                                     .order_by(AuditEvent.seq)).all()
    assert [(e.action, e.visibility) for e in events] == [("message", "parties"), ("note", "staff")]
    assert "12345" not in events[0].body


def test_rating_and_reopen_requests_follow_closure(db_session, cast, make_case):
    case = make_case("complaint", state="settled")
    with pytest.raises(ConversationError, match="not_closed"):
        rate_case(db.session, case, cast.applicant, 5, None)
    closed_at = case.updated_at + timedelta(days=1)
    fire(case, "close", cast.officer, now=closed_at)
    with pytest.raises(ConversationError, match="score"):
        rate_case(db.session, case, cast.applicant, 6, None, now=closed_at)
    rate_case(db.session, case, cast.applicant, 4, "处理及时", now=closed_at)
    with pytest.raises(ConversationError, match="already_rated"):
        rate_case(db.session, case, cast.applicant, 5, None, now=closed_at)
    with pytest.raises(ConversationError, match="window_passed"):
        request_reopen(db.session, case, cast.applicant, "问题复发", now=closed_at + timedelta(days=6))
    request_reopen(db.session, case, cast.applicant, "问题复发", now=closed_at + timedelta(days=2))
    assert case.reopen_requested_at is not None
    with pytest.raises(ConversationError, match="already_requested"):
        request_reopen(db.session, case, cast.applicant, "再次", now=closed_at + timedelta(days=3))


def test_an_officer_confirms_a_consumer_entered_enterprise_before_accepting(db_session, cast):
    consumer = cast.applicant
    draft = filing.start_draft(db.session, CaseKind.COMPLAINT, consumer, None)
    fields = complaint_fields(gen_enterprise())
    del fields["enterprise_id"]
    filing.save_draft(draft, {**fields, "enterprise_name": "未核实的商家"})
    case, _ = filing.submit_draft(db.session, draft, consumer, now=NOW)
    fire(case, "start_review", cast.officer, now=NOW)
    with pytest.raises(GuardFailed):
        fire(case, "accept", cast.officer, now=NOW)
    with pytest.raises(EnterpriseError, match="code_missing"):
        confirm_enterprise(db.session, case, cast.officer, now=NOW)
    case.enterprise.credit_code = "91330100ABCDEFGH2X"
    with pytest.raises(EnterpriseError, match="code_invalid"):
        confirm_enterprise(db.session, case, cast.officer, now=NOW)
    case.enterprise.credit_code = "91330100ABCDEFGH2Q"
    with pytest.raises(EnterpriseError, match="not_officer"):
        confirm_enterprise(db.session, case, consumer, now=NOW)
    confirm_enterprise(db.session, case, cast.officer, now=NOW)
    assert fire(case, "accept", cast.officer, now=NOW) == "enterprise_response"
