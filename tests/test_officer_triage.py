"""Triage from the case page: refusing with a ground and an explanation, asking for information, linking, merging."""

import io
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from tests.test_web_cases import act
from tests.test_web_cases import switch_user
from tests.test_web_evidence import jpeg_bytes
from tracker.extensions import db
from tracker.models import AuditEvent
from tracker.models import Case
from tracker.models import OutboxMessage
from tracker.models import utcnow
from tracker.services import conversation
from tracker.services import filing
from tracker.services import triage
from tracker.services.attachments import EvidencePolicy
from tracker.services.attachments import attach_evidence
from tracker.workflow import TERMINAL_STATES
from tracker.working_days import local_date

EXPLANATION = "您于2021年购买该商品，至今已超过三年，依法不予受理。"


def events_of(case: Case) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case.id))


def outbox_of(case: Case, recipient: str | None = None, *, after: int = 0) -> list[OutboxMessage]:
    """The case's queued e-mails (to one recipient, newer than a message id)."""
    query = select(OutboxMessage).where(OutboxMessage.case_id == case.id, OutboxMessage.id > after)
    if recipient is not None:
        query = query.where(OutboxMessage.recipient == recipient)
    return list(db.session.scalars(query.order_by(OutboxMessage.id)))


def newest_mail_id() -> int:
    return db.session.scalar(select(func.coalesce(func.max(OutboxMessage.id), 0)))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"explanation": EXPLANATION}, "refusal_code", "请从所列不予受理理由中选择一项。"),
        ({"refusal_code": "time_barred"}, "explanation", "请向申请人说明不予受理的理由。"),
        ({"refusal_code": "time_barred", "explanation": "   "}, "explanation", "请向申请人说明不予受理的理由。"),
    ],
    ids=["no-ground", "no-explanation", "blank-explanation"],
)
def test_a_refusal_without_a_ground_or_an_explanation_is_refused_at_the_field(
    client, login_as, make_case, cast, data, field, message
):
    case = make_case(state="under_review")
    login_as(cast.officer)
    events_before, mail_before = events_of(case), len(outbox_of(case))

    response = act(client, case, "refuse", **data)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="refuse-{field}-errors"><div>{message}</div>' in page
    db.session.refresh(case)
    assert (case.state, case.refusal_code, case.refusal_explanation) == ("under_review", None, None)
    assert events_of(case) == events_before
    assert len(outbox_of(case)) == mail_before


def test_the_refusal_field_error_is_in_english_for_an_english_reader(client, login_as, make_case, cast):
    case = make_case(state="under_review")
    login_as(cast.officer)
    client.post("/language", data={"lang": "en", "next": "/"})
    response = act(client, case, "refuse", refusal_code="outside_remit")
    assert response.status_code == 422
    assert "Explain the refusal to the applicant." in response.get_data(as_text=True)


def test_the_explanation_reaches_the_applicants_page_and_e_mail_and_tracking_shows_the_ground_only(
    client, login_as, make_case, cast
):
    case = make_case(state="under_review")
    access_code = filing.reissue_access_code(db.session, case, cast.officer)
    db.session.flush()
    login_as(cast.officer)
    mark = newest_mail_id()
    assert act(client, case, "refuse", refusal_code="time_barred", explanation=EXPLANATION).status_code == 302

    mails = outbox_of(case, cast.applicant.email, after=mark)
    assert len(mails) == 1
    assert "不予受理的依据：自知道或者应当知道权益受到损害之日起超过三年" in mails[0].body
    assert EXPLANATION in mails[0].body
    assert f"/cases/{case.number}" in mails[0].body

    switch_user(client, login_as, cast.applicant)
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert EXPLANATION in page
    assert "自知道或者应当知道权益受到损害之日起超过三年" in page

    client.post("/logout")
    tracked = client.post("/track", data={"number": case.number, "access_code": access_code})
    assert tracked.status_code == 200
    public = tracked.get_data(as_text=True)
    assert 'id="refusal-ground">自知道或者应当知道权益受到损害之日起超过三年' in public
    assert EXPLANATION not in public


def test_requesting_information_lists_the_items_and_the_date_and_pauses_the_clock(client, login_as, make_case, cast):
    case = make_case(state="under_review")
    login_as(cast.officer)
    reply_by = local_date(utcnow()) + timedelta(days=10)
    mark = newest_mail_id()
    response = act(client, case, "request_information", missing_items="购买发票\n故障部位照片", reply_by=reply_by.isoformat())
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.state == "awaiting_information"
    assert next(d for d in case.deadlines if d.clock == "acceptance").status == "paused"
    [mail] = outbox_of(case, cast.applicant.email, after=mark)
    assert "  - 购买发票\n  - 故障部位照片\n" in mail.body
    assert f"请在 {reply_by.isoformat()} 之前提交" in mail.body

    switch_user(client, login_as, cast.applicant)
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert "<li>购买发票</li>" in page and "<li>故障部位照片</li>" in page
    assert f'datetime="{reply_by.isoformat()}"' in page


def test_a_request_for_information_needs_items_and_a_future_date(client, login_as, make_case, cast):
    case = make_case(state="under_review")
    login_as(cast.officer)
    today = local_date(utcnow()).isoformat()
    response = act(client, case, "request_information", missing_items="发票", reply_by=today)
    assert response.status_code == 422
    assert "请填写今天以后的答复期限。" in response.get_data(as_text=True)
    response = act(client, case, "request_information", reply_by=(local_date(utcnow()) + timedelta(days=3)).isoformat())
    assert response.status_code == 422
    assert "请列出申请人需要补充的材料。" in response.get_data(as_text=True)
    db.session.refresh(case)
    assert case.state == "under_review"


def test_linked_cases_show_on_both_pages_and_each_trail_records_the_link(client, login_as, make_case, cast):
    first, second = make_case(state="under_review"), make_case()
    login_as(cast.officer)
    before = events_of(first), events_of(second)
    response = client.post(f"/officer/cases/{first.number}/links", data={"number": second.number.lower()})
    assert response.status_code == 302
    assert (events_of(first), events_of(second)) == (before[0] + 1, before[1] + 1)
    for this, that in ((first, second), (second, first)):
        page = client.get(f"/cases/{this.number}").get_data(as_text=True)
        assert f'href="/cases/{that.number}"' in page
    again = client.post(f"/officer/cases/{second.number}/links", data={"number": first.number})
    assert again.status_code == 409
    assert "这两个案件已经关联。" in again.get_data(as_text=True)
    assert client.post(f"/officer/cases/{first.number}/links", data={"number": "TS-2026-999999"}).status_code == 422


def test_linking_is_for_officers_only(client, login_as, make_case, cast):
    first, second = make_case(), make_case()
    login_as(cast.applicant)
    response = client.post(f"/officer/cases/{first.number}/links", data={"number": second.number})
    assert response.status_code == 404  # the officer's workspace is hidden from others (route policy)
    assert triage.linked_cases(db.session, first) == []


def test_a_merged_duplicate_is_closed_points_to_its_original_and_its_material_shows_there(
    client, login_as, make_case, cast, app, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    original, duplicate = make_case(state="under_review"), make_case(state="under_review")
    conversation.post_message(db.session, duplicate, cast.applicant, "这是同一个水壶的第二次投诉")
    photo = attach_evidence(
        db.session, root=tmp_path, policy=EvidencePolicy(), stream=io.BytesIO(jpeg_bytes()),
        original_name="漏电照片.jpg", uploader=cast.applicant, case=duplicate, purpose="evidence",
    )
    db.session.flush()
    original_events, duplicate_events = events_of(original), events_of(duplicate)
    login_as(cast.officer)

    response = client.post(f"/officer/cases/{duplicate.number}/merge",
                           data={"number": original.number, "version": duplicate.version})

    assert response.status_code == 302
    assert response.location.startswith(f"/cases/{original.number}")
    db.session.refresh(duplicate)
    assert duplicate.state == "merged" and duplicate.state in TERMINAL_STATES
    assert duplicate.merged_into_id == original.id
    assert all(deadline.status != "running" for deadline in duplicate.deadlines)
    assert events_of(original) == original_events + 1
    assert events_of(duplicate) == duplicate_events + 2
    page = client.get(f"/cases/{original.number}").get_data(as_text=True)
    assert "这是同一个水壶的第二次投诉" in page
    assert f'href="/evidence/{photo.id}"' in page
    switch_user(client, login_as, cast.applicant)
    page = client.get(f"/cases/{original.number}").get_data(as_text=True)
    assert "这是同一个水壶的第二次投诉" in page
    download = client.get(f"/evidence/{photo.id}")
    assert download.status_code == 200
    download.close()
    duplicate_page = client.get(f"/cases/{duplicate.number}").get_data(as_text=True)
    assert f'href="/cases/{original.number}"' in duplicate_page


@pytest.mark.parametrize(
    ("target", "status", "message"),
    [("self", 422, "请选择本案以外的案件。"), ("closed", 409, "原案件已结束，请合并到仍在处理中的案件。"),
     ("missing", 422, "没有此编号的案件。")],
)
def test_a_merge_into_an_impossible_original_changes_nothing(
    client, login_as, make_case, cast, target, status, message
):
    duplicate = make_case(state="under_review")
    number = {"self": duplicate.number, "closed": make_case(state="refused").number, "missing": "TS-2026-999998"}
    events_before = events_of(duplicate)
    login_as(cast.officer)
    response = client.post(f"/officer/cases/{duplicate.number}/merge",
                           data={"number": number[target], "version": duplicate.version})
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    db.session.refresh(duplicate)
    assert (duplicate.state, duplicate.merged_into_id) == ("under_review", None)
    assert events_of(duplicate) == events_before
