"""The consumer's case page: what is expected of whom, messages, supplements, ratings and reopening."""

import io
import re
from datetime import date
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from tests.factories import gen_user
from tests.test_web_evidence import jpeg_bytes
from tests.test_web_evidence import minimal_pdf
from tests.test_web_evidence import stored_files
from tracker import create_app
from tracker.demo import find_path
from tracker.extensions import db
from tracker.models import AuditEvent
from tracker.models import CalendarYear
from tracker.models import CaseKind
from tracker.models import DeadlineStatus
from tracker.models import Evidence
from tracker.models import Message
from tracker.models import Rating
from tracker.models import Role
from tracker.models import SecurityEvent
from tracker.models import utcnow
from tracker.services import expectations
from tracker.services.conversation import reopen_deadline
from tracker.workflow import states_of
from tracker.working_days import WorkingCalendar
from tracker.working_days import local_date


@pytest.fixture
def calendar_ahead(db_session):
    """Working-day calendars for the years around today, so that moved due dates are dates, not 'pending'."""
    today = local_date(utcnow())
    for year in range(today.year - 1, today.year + 3):
        try:
            WorkingCalendar().is_working_day(date(year, 6, 1))
        except LookupError:
            db.session.add(CalendarYear(year=year, complete=True, note="test: weekdays only"))
    db.session.flush()


@pytest.fixture
def uploads(app, tmp_path, monkeypatch):
    """A fresh upload folder for the test, so that what lands on disk can be counted."""
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    return tmp_path


def recently_closed(make_case):
    """A complaint closed yesterday, so that the reopening window is still open."""
    steps = len(find_path(CaseKind.COMPLAINT, "closed"))
    return make_case(state="closed", filed_at=utcnow() - timedelta(days=steps + 1))


def refusals_of(user) -> int:
    """How many refused accesses were logged for the user."""
    return db.session.scalar(
        select(func.count()).select_from(SecurityEvent).where(
            SecurityEvent.kind == "access_denied", SecurityEvent.user_id == user.id
        )
    )


def section(page: str, element_id: str) -> str:
    """The HTML of the <section> with this id (sections are not nested on the case page)."""
    match = re.search(rf'<section[^>]* id="{element_id}".*?</section>', page, re.S)
    assert match, f"no section #{element_id}"
    return match.group(0)


def supplement(client, case, message="", files=(), version=None):
    """Post the applicant's answer with files, as the browser does."""
    data = {"version": case.version if version is None else version, "message": message,
            "files": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(f"/cases/{case.number}/supplement", data=data, content_type="multipart/form-data")


# --- what is expected of whom, by when --------------------------------------------------------


@pytest.mark.parametrize("kind", list(CaseKind))
def test_every_state_of_every_kind_says_who_acts_next(kind):
    assert set(states_of(kind)) <= set(expectations.NEXT_STEPS)
    for state in states_of(kind):
        party, _clock = expectations.NEXT_STEPS[state]
        assert party in expectations.PARTY_LABELS
        assert state in expectations.APPLICANT_SENTENCES


def test_a_consumer_awaiting_information_is_told_to_send_it_and_the_clock_is_paused(make_case, cast, app):
    case = make_case(state="awaiting_information")
    expectation = expectations.expectation_for(case, cast.applicant)
    assert (expectation.party, expectation.timing, expectation.reader_acts) == ("applicant", "paused", True)
    assert str(expectation.sentence) == "请补充承办人要求的材料。"
    officer_view = expectations.expectation_for(case, cast.officer)
    assert not officer_view.reader_acts
    assert str(officer_view.sentence) == "等待申请人处理。"


def test_the_enterprise_must_answer_by_its_clocks_due_date(make_case, cast):
    case = make_case(state="enterprise_response")
    expectation = expectations.expectation_for(case, cast.enterprise_user)
    clock = next(d for d in case.deadlines if d.clock == "enterprise_response")
    assert expectation.party == "enterprise" and expectation.reader_acts
    assert expectation.deadline is clock
    if clock.calendar_pending:
        assert expectation.timing == "pending"
    else:
        assert (expectation.timing, expectation.due_on) == ("due", clock.due_on)


def test_a_settlement_proposal_asks_the_consumer_to_decide(make_case, cast):
    case = make_case(state="settlement_proposed")
    expectation = expectations.expectation_for(case, cast.applicant)
    assert expectation.party == "applicant" and expectation.timing == "none"
    assert str(expectation.sentence) == "请决定接受或拒绝企业提出的和解方案。"


def test_a_closed_case_whose_reopening_was_asked_waits_for_the_officer(client, login_as, make_case, cast):
    case = recently_closed(make_case)
    login_as(cast.applicant)
    client.post(f"/cases/{case.number}/reopen-request", data={"reason": "问题复发"})
    db.session.refresh(case)
    assert expectations.expectation_for(case, cast.officer).party == "officer"
    assert expectations.expectation_for(case, cast.officer).reader_acts


def test_the_case_page_says_what_is_expected_of_the_consumer(client, login_as, make_case, cast):
    case = make_case(state="awaiting_information")
    login_as(cast.applicant)
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    box = section(page, "expectation")
    assert "请补充承办人要求的材料。" in box
    assert 'data-party="applicant"' in box
    assert "您" in box and "已中止计时" in box


def test_the_case_list_shows_who_acts_next_and_by_when(client, login_as, make_case, cast):
    waiting_for_consumer = make_case(state="awaiting_information")
    waiting_for_enterprise = make_case(state="enterprise_response")
    login_as(cast.applicant)
    page = client.get("/").get_data(as_text=True)
    assert "下一步由谁处理" in page

    def row(number):
        return re.search(rf'<tr data-case="{number}">.*?</tr>', page, re.S).group(0)

    mine = row(waiting_for_consumer.number)
    assert 'data-party="applicant"' in mine and "您" in mine
    assert "请补充承办人要求的材料。" in mine and "已中止计时" in mine
    theirs = row(waiting_for_enterprise.number)
    assert 'data-party="enterprise"' in theirs and "企业" in theirs
    clock = next(d for d in waiting_for_enterprise.deadlines if d.clock == "enterprise_response")
    if not clock.calendar_pending:
        assert clock.due_on.isoformat() in theirs


# --- another consumer's case: 404, logged, nothing done -----------------------------------------


def test_a_consumer_cannot_see_message_rate_reopen_supplement_or_act_on_anothers_case(
    client, login_as, make_case, cast, uploads
):
    waiting = make_case(state="awaiting_information")
    closed = recently_closed(make_case)
    stranger = login_as("consumer")
    attempts = [
        client.get(f"/cases/{waiting.number}"),
        client.post(f"/cases/{waiting.number}/messages", data={"body": "你好"}),
        supplement(client, waiting, "我的材料", [("a.pdf", minimal_pdf())]),
        client.post(f"/cases/{waiting.number}/actions/withdraw", data={"version": waiting.version}),
        client.post(f"/cases/{closed.number}/rating", data={"score": "5"}),
        client.post(f"/cases/{closed.number}/reopen-request", data={"reason": "再看看"}),
    ]
    assert [response.status_code for response in attempts] == [404] * len(attempts)
    assert refusals_of(stranger) == len(attempts)
    db.session.refresh(waiting)
    db.session.refresh(closed)
    assert waiting.state == "awaiting_information" and closed.state == "closed"
    assert closed.rating is None and closed.reopen_requested_at is None
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.author_id == stranger.id)) == 0
    assert stored_files(uploads) == []


# --- messages ---------------------------------------------------------------------------------


def test_the_consumer_writes_and_the_enterprise_reads_it(client, login_as, make_case, cast):
    case = make_case(state="enterprise_response")
    login_as(cast.applicant)
    response = client.post(f"/cases/{case.number}/messages", data={"body": "  请尽快回复 <b>谢谢</b>  "})
    assert response.status_code == 302
    assert response.location == f"/cases/{case.number}#messages"
    message = db.session.scalars(select(Message).where(Message.case_id == case.id)).one()
    assert (message.body, message.visibility, message.author_id) == ("请尽快回复 <b>谢谢</b>", "parties", cast.applicant.id)

    client.post("/logout")
    login_as(cast.enterprise_user)
    thread = section(client.get(f"/cases/{case.number}").get_data(as_text=True), "messages")
    assert "请尽快回复 &lt;b&gt;谢谢&lt;/b&gt;" in thread
    assert cast.applicant.display_name not in thread
    assert "消费者" in thread


def test_staff_internal_notes_are_invisible_to_the_consumer_and_the_enterprise(client, login_as, make_case, cast):
    case = make_case(state="enterprise_response")
    login_as(cast.officer)
    assert client.post(f"/cases/{case.number}/messages", data={"body": "内部：企业曾有类似投诉", "internal": "y"}).status_code == 302
    assert client.post(f"/cases/{case.number}/messages", data={"body": "请双方提供购买凭证"}).status_code == 302
    staff_page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert "内部：企业曾有类似投诉" in staff_page and 'data-visibility="staff"' in staff_page

    for party in (cast.applicant, cast.enterprise_user):
        client.post("/logout")
        login_as(party)
        page = client.get(f"/cases/{case.number}").get_data(as_text=True)
        assert "内部：企业曾有类似投诉" not in page
        assert 'data-visibility="staff"' not in page
        assert 'data-action="note"' not in page
        assert "请双方提供购买凭证" in page
        assert 'name="internal"' not in page


def test_a_consumer_cannot_write_an_internal_note(client, login_as, make_case, cast):
    case = make_case(state="under_review")
    login_as(cast.applicant)
    response = client.post(f"/cases/{case.number}/messages", data={"body": "悄悄话", "internal": "y"})
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "只有工作人员可以填写内部备注。" in page
    assert "悄悄话" in page
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.case_id == case.id)) == 0


def test_an_empty_or_overlong_message_is_a_422_that_keeps_the_text(client, login_as, make_case, cast):
    case = make_case(state="under_review")
    login_as(cast.applicant)
    empty = client.post(f"/cases/{case.number}/messages", data={"body": "   "})
    assert empty.status_code == 422
    assert "请填写留言内容。" in section(empty.get_data(as_text=True), "messages")
    overlong = client.post(f"/cases/{case.number}/messages", data={"body": "长" * 5001})
    assert overlong.status_code == 422
    assert "长" * 5001 in overlong.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.case_id == case.id)) == 0


def test_an_expert_reads_the_messages_but_does_not_write(client, login_as, make_case, cast):
    case = make_case(state="expert_review")
    expert = case.active_panel[0].expert
    login_as(expert)
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert 'data-form="message"' not in page
    assert client.post(f"/cases/{case.number}/messages", data={"body": "意见"}).status_code == 403


# --- supplementing ----------------------------------------------------------------------------


def test_supplementing_resumes_the_clock_moves_its_due_date_and_stores_the_files(
    client, login_as, make_case, cast, uploads, calendar_ahead
):
    case = make_case(state="awaiting_information")
    clock = next(d for d in case.deadlines if d.clock == "acceptance")
    assert clock.status == DeadlineStatus.PAUSED
    due_before = clock.due_on
    login_as(cast.applicant)
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert 'data-trigger="supplement"' in section(page, "supplement")
    assert "产品照片" in section(page, "supplement")

    response = supplement(client, case, "发票和照片已上传", [("发票.pdf", minimal_pdf()), ("照片.jpg", jpeg_bytes())])
    assert response.status_code == 302, response.get_data(as_text=True)[:500]

    db.session.refresh(case)
    db.session.refresh(clock)
    assert case.state == "under_review"
    assert clock.status == DeadlineStatus.RUNNING
    assert clock.pauses[-1].resumed_on == local_date(utcnow())
    assert clock.paused_days > 0
    assert clock.due_on > due_before
    files = db.session.scalars(select(Evidence).where(Evidence.case_id == case.id).order_by(Evidence.id)).all()
    assert [(f.original_name, f.purpose, f.uploaded_by_id) for f in files] == [
        ("发票.pdf", "supplement", cast.applicant.id),
        ("照片.jpg", "supplement", cast.applicant.id),
    ]
    assert len(stored_files(uploads)) == 2
    assert db.session.scalars(select(Message.body).where(Message.case_id == case.id)).all() == ["发票和照片已上传"]

    page = client.get(response.location).get_data(as_text=True)
    assert f"承办人须在 {clock.due_on.isoformat()} 前作出决定" in page
    assert 'id="supplement"' not in page
    assert "照片.jpg" in section(page, "evidence")
    assert 'data-party="officer"' in section(page, "expectation")


def test_a_refused_file_leaves_nothing_behind_and_keeps_the_answer(client, login_as, make_case, cast, uploads):
    case = make_case(state="awaiting_information")
    events_before = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case.id))
    login_as(cast.applicant)
    response = supplement(client, case, "这是我的补充说明", [
        ("发票.pdf", minimal_pdf()),
        ("病毒.exe", b"MZ\x90\x00 not a document"),
    ])
    assert response.status_code == 422
    box = section(response.get_data(as_text=True), "supplement")
    assert "病毒.exe：仅接受 JPEG、PNG、WebP 格式的照片和 PDF 文档。" in box
    assert "发票.pdf" not in box
    assert "这是我的补充说明" in box
    assert stored_files(uploads) == []
    db.session.refresh(case)
    assert case.state == "awaiting_information"
    assert db.session.scalar(select(func.count()).select_from(Evidence).where(Evidence.case_id == case.id)) == 0
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.case_id == case.id)) == 0
    assert db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case.id)
    ) == events_before


def test_an_oversized_file_is_a_413(client, login_as, make_case, cast, uploads, app, monkeypatch):
    # A small limit keeps the upload below 500 KB, where Werkzeug's test client would spool it to a temporary file.
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_FILE_BYTES", 256 * 1024)
    case = make_case(state="awaiting_information")
    login_as(cast.applicant)
    big = minimal_pdf("x" * (300 * 1024))
    response = supplement(client, case, "附上检测报告", [("大文件.pdf", big)])
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "大文件.pdf：文件过大，每个文件不得超过 0.25 MB。" in page
    assert "附上检测报告" in page
    assert stored_files(uploads) == []
    db.session.refresh(case)
    assert case.state == "awaiting_information"


def test_an_empty_answer_is_a_422(client, login_as, make_case, cast, uploads):
    case = make_case(state="awaiting_information")
    login_as(cast.applicant)
    response = supplement(client, case, "   ")
    assert response.status_code == 422
    assert "请填写答复内容或至少附上一个文件。" in response.get_data(as_text=True)


def test_a_stale_supplement_is_a_409_that_keeps_the_answer(client, login_as, make_case, cast, uploads):
    case = make_case(state="awaiting_information")
    login_as(cast.applicant)
    response = supplement(client, case, "过期页面上写的答复", [("a.pdf", minimal_pdf())], version=case.version - 1)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "该案件已被他人修改，请重新加载后再试。" in page
    assert "过期页面上写的答复" in page
    assert stored_files(uploads) == []


# --- settlement and withdrawal buttons --------------------------------------------------------


def test_consumer_actions_ask_for_confirmation_in_plain_words(client, login_as, make_case, cast):
    case = make_case(state="settlement_proposed")
    login_as(cast.applicant)
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert 'data-confirm="确定撤回本案件吗？我们将停止办理，且无法恢复。"' in page
    assert 'data-confirm="确定接受企业提出的和解方案吗？您的案件将按该方案和解。"' in page
    assert "您同意企业提出的方案，案件即告和解。" in page
    assert "退款" in section(page, "expectation")
    forms = re.findall(r'data-trigger="(\w+)"', page)
    assert forms[-1] == "withdraw"
    assert "/static/confirm.js" in page


# --- rating -----------------------------------------------------------------------------------


@pytest.mark.parametrize("score", ["0", "6", "", "five"])
def test_a_rating_outside_one_to_five_is_a_422_with_a_translated_error(client, login_as, make_case, cast, score):
    case = make_case(state="closed")
    login_as(cast.applicant)
    response = client.post(f"/cases/{case.number}/rating", data={"score": score, "comment": "还行"})
    assert response.status_code == 422
    box = section(response.get_data(as_text=True), "rating")
    assert "请选择 1 到 5 星的评分。" in box or "不是有效的整数" in box
    assert "还行" in box
    assert db.session.scalar(select(func.count()).select_from(Rating).where(Rating.case_id == case.id)) == 0


def test_the_applicant_rates_a_closed_case_once(client, login_as, make_case, cast):
    case = make_case(state="closed")
    login_as(cast.applicant)
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert 'data-form="rating"' in page
    response = client.post(f"/cases/{case.number}/rating", data={"score": "4", "comment": "处理及时，态度很好"})
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    shown = section(page, "rating")
    assert 'data-score="4"' in shown and "处理及时，态度很好" in shown
    assert 'data-form="rating"' not in page

    again = client.post(f"/cases/{case.number}/rating", data={"score": "1"})
    assert again.status_code == 409
    assert "您已经评价过本案件。" in again.get_data(as_text=True)
    assert db.session.scalars(select(Rating.score).where(Rating.case_id == case.id)).all() == [4]


def test_an_open_case_cannot_be_rated(client, login_as, make_case, cast):
    case = make_case(state="mediation")
    login_as(cast.applicant)
    assert 'data-form="rating"' not in client.get(f"/cases/{case.number}").get_data(as_text=True)
    response = client.post(f"/cases/{case.number}/rating", data={"score": "5"})
    assert response.status_code == 409
    assert "案件结案后才能进行此操作。" in response.get_data(as_text=True)


# --- reopening --------------------------------------------------------------------------------


def test_the_applicant_asks_to_reopen_within_the_window(client, login_as, make_case, cast):
    case = recently_closed(make_case)
    login_as(cast.applicant)
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    box = section(page, "reopen")
    deadline = reopen_deadline(case)
    assert (deadline + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M") in box
    response = client.post(f"/cases/{case.number}/reopen-request", data={"reason": "水壶再次漏电"})
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.reopen_requested_at is not None
    page = client.get(response.location).get_data(as_text=True)
    assert "承办人将作出决定" in section(page, "reopen")
    assert 'data-form="reopen"' not in page


def test_asking_to_reopen_after_the_window_is_refused_with_a_message(client, login_as, make_case, cast):
    case = make_case(state="closed")
    assert reopen_deadline(case) < utcnow()
    login_as(cast.applicant)
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert 'data-form="reopen"' not in page
    assert "申请重新启动本案件的期限已于" in section(page, "reopen")
    response = client.post(f"/cases/{case.number}/reopen-request", data={"reason": "问题又出现了"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "申请重新启动本案件的期限已过。" in page
    assert "问题又出现了" in page
    db.session.refresh(case)
    assert case.reopen_requested_at is None


def test_a_reopen_request_needs_a_reason(client, login_as, make_case, cast):
    case = recently_closed(make_case)
    login_as(cast.applicant)
    response = client.post(f"/cases/{case.number}/reopen-request", data={"reason": "  "})
    assert response.status_code == 422
    assert "请说明申请重新启动的理由。" in section(response.get_data(as_text=True), "reopen")


def test_the_timeline_names_conversation_events(client, login_as, make_case, cast):
    case = make_case(state="under_review")
    login_as(cast.applicant)
    client.post(f"/cases/{case.number}/messages", data={"body": "补充说明"})
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    timeline = page[page.index('id="timeline"'):]
    assert 'data-action="message"' in timeline
    assert ">留言<" in timeline


def test_an_enterprise_user_cannot_message_a_case_of_another_enterprise(client, login_as, make_case):
    case = make_case(state="enterprise_response")
    other = gen_user(Role.ENTERPRISE)
    login_as(other)
    assert client.post(f"/cases/{case.number}/messages", data={"body": "hi"}).status_code == 404
    assert refusals_of(other) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/cases/TS-2026-000001/messages",
        "/cases/TS-2026-000001/supplement",
        "/cases/TS-2026-000001/rating",
        "/cases/TS-2026-000001/reopen-request",
        "/track",
    ],
)
def test_every_portal_form_needs_its_csrf_token(app, path):
    protected = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True)
    try:
        response = protected.test_client().post(path, data={"body": "x", "score": "5", "reason": "x"})
        assert response.status_code == 400
        assert "表单已过期或无效" in response.get_data(as_text=True)
    finally:
        with protected.app_context():
            db.engine.dispose()
