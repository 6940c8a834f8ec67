"""The case page and its actions: who sees what, which buttons appear, and how each refusal is answered."""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from tests.factories import gen_user
from tracker import audit
from tracker.demo import filing_data
from tracker.extensions import db
from tracker.models import AuditEvent
from tracker.models import Case
from tracker.models import CaseKind
from tracker.models import Role
from tracker.models import SecurityEvent
from tracker.models import Visibility
from tracker.models import utcnow
from tracker.services import access
from tracker.services import cases
from tracker.web.cases import ANSWER_TRIGGERS
from tracker.workflow import allowed_actions
from tracker.working_days import local_date


class ActionFormsParser(HTMLParser):
    """Collects each action form on a case page: its trigger, the inputs it posts and its button's classes."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, dict] = {}
        self._current: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and "data-trigger" in attributes:
            self._current = {"inputs": set(), "button_class": "", "action": attributes["action"]}
            self.forms[attributes["data-trigger"]] = self._current
        elif self._current is not None and tag in ("input", "textarea", "select") and attributes.get("name"):
            self._current["inputs"].add(attributes["name"])
        elif self._current is not None and tag == "button":
            self._current["button_class"] = attributes.get("class", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def action_forms(page: str) -> dict[str, dict]:
    """The action forms of a rendered case page, by trigger."""
    parser = ActionFormsParser()
    parser.feed(page)
    return parser.forms


def audit_count(case: Case) -> int:
    """How many events the case's chain holds."""
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case.id))


def act(client, case: Case, trigger: str, version: int | None = None, **data):
    """POST one action from the case page, as the browser would."""
    form = {"version": case.version if version is None else version, **data}
    return client.post(f"/cases/{case.number}/actions/{trigger}", data=form)


def switch_user(client, login_as, user):
    """Log out whoever is logged in, then log in as user."""
    client.post("/logout")
    login_as(user)


# --- who may see a case ------------------------------------------------------------------------


def test_applicant_sees_their_own_case(client, login_as, make_case, cast):
    case = make_case()
    login_as(cast.applicant)
    response = client.get(f"/cases/{case.number}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert case.number in page
    assert case.product_name in page
    assert "已提交" in page


def test_consumer_cannot_open_another_consumers_case(client, login_as, make_case):
    case = make_case()
    stranger = login_as("consumer")
    response = client.get(f"/cases/{case.number}", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert response.status_code == 404
    assert case.product_name not in response.get_data(as_text=True)
    event = db.session.scalars(
        select(SecurityEvent).where(SecurityEvent.kind == "access_denied", SecurityEvent.user_id == stranger.id)
    ).one()
    assert case.number in event.target
    assert event.remote_addr == "198.51.100.7"


def test_a_hidden_case_looks_exactly_like_a_missing_one(client, login_as, make_case):
    case = make_case()
    login_as("consumer")
    client.get("/")
    hidden = client.get(f"/cases/{case.number}")
    missing = client.get("/cases/TS-1999-999999")

    def normalised(response, number):
        """The page with the case number and the per-request CSRF tokens taken out."""
        text = response.get_data(as_text=True).replace(number, "NUMBER")
        return re.sub(r'name="csrf_token" value="[^"]*"', "", text)

    assert hidden.status_code == missing.status_code == 404
    assert normalised(hidden, case.number) == normalised(missing, "TS-1999-999999")
    refusals = select(func.count()).select_from(SecurityEvent).where(SecurityEvent.kind == "access_denied")
    assert db.session.scalar(refusals) == 2


def test_enterprise_cannot_see_a_case_before_acceptance(client, login_as, make_case, cast):
    not_yet_accepted = make_case(state="under_review")
    accepted = make_case(state="enterprise_response")
    login_as(cast.enterprise_user)
    assert client.get(f"/cases/{not_yet_accepted.number}").status_code == 404
    assert client.get(f"/cases/{accepted.number}").status_code == 200
    listing = client.get("/").get_data(as_text=True)
    assert accepted.number in listing
    assert not_yet_accepted.number not in listing


def test_another_enterprise_cannot_see_an_accepted_case(client, login_as, make_case):
    case = make_case(state="enterprise_response")
    login_as("enterprise")
    assert client.get(f"/cases/{case.number}").status_code == 404


def test_case_list_shows_only_visible_cases_with_their_labels(client, login_as, make_case, cast):
    own = make_case(state="under_review")
    login_as(cast.applicant)
    page = client.get("/").get_data(as_text=True)
    assert f'href="/cases/{own.number}"' in page
    assert "投诉" in page and "受理审查中" in page


def test_case_list_pages_by_fifty(client, login_as, make_case, cast):
    for _ in range(51):
        make_case()
    login_as("admin")
    first = client.get("/").get_data(as_text=True)
    second = client.get("/?page=2").get_data(as_text=True)
    assert len(re.findall(r'href="/cases/[A-Z]{2}-\d{4}-\d{6}"', first)) == 50
    assert len(re.findall(r'href="/cases/[A-Z]{2}-\d{4}-\d{6}"', second)) >= 1
    assert client.get("/?page=99").status_code == 404


# --- the buttons ------------------------------------------------------------------------------

PAGE_CELLS = [
    (CaseKind.COMPLAINT, "submitted"),
    (CaseKind.COMPLAINT, "under_review"),
    (CaseKind.COMPLAINT, "enterprise_response"),
    (CaseKind.COMPLAINT, "settlement_proposed"),
    (CaseKind.COMPLAINT, "expert_review"),
    (CaseKind.QUALITY_APPEAL, "decision_pending"),
    (CaseKind.ARBITRATION, "commission_pending"),
    (CaseKind.ARBITRATION, "objection_window"),
    (CaseKind.APPRAISAL, "investigation"),
]


@pytest.mark.parametrize(("kind", "state"), PAGE_CELLS)
def test_case_page_shows_exactly_the_allowed_buttons_for_each_role(client, login_as, make_case, cast, kind, state):
    case = make_case(kind, state=state)
    viewers = [cast.officer, cast.applicant, cast.enterprise_user, cast.experts[0], gen_user(Role.ADMIN)]
    for viewer in viewers:
        switch_user(client, login_as, viewer)
        response = client.get(f"/cases/{case.number}", follow_redirects=viewer.role == Role.EXPERT)
        if not access.can_view_case(case, viewer):
            assert response.status_code == 404
            continue
        assert response.status_code == 200
        forms = action_forms(response.get_data(as_text=True))
        # The enterprise answers through its answer form (tests/test_enterprise_answers.py), not bare buttons.
        expected = [action for action in allowed_actions(case, viewer) if action.trigger not in ANSWER_TRIGGERS]
        assert set(forms) == {action.trigger for action in expected}, viewer.role
        for action in expected:
            rendered = forms[action.trigger]
            needed_fields = {
                {
                    "reason_given": "reason",
                    "refusal_code_valid": "refusal_code",
                    "settlement_outcome_valid": "outcome",
                    "appeal_decision_valid": "decision",
                    "explanation_given": "explanation",
                    "missing_items_given": "missing_items",
                    "reply_date_valid": "reply_by",
                    "termination_ground_valid": "termination_ground",
                    "agreement_terms_given": "terms",
                }[guard]
                for guard in action.needs
            } | ({"amount", "perform_by"} if "agreement_terms_given" in action.needs else set())
            assert rendered["inputs"] == {"csrf_token", "version", *needed_fields}
            assert rendered["action"] == f"/cases/{case.number}/actions/{action.trigger}"
            assert ("btn-outline-danger" in rendered["button_class"]) == action.destructive


def test_refusing_is_a_danger_button_with_the_statutory_grounds(client, login_as, make_case, cast):
    case = make_case(state="under_review")
    login_as(cast.officer)
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    forms = action_forms(page)
    assert "btn-outline-danger" in forms["refuse"]["button_class"]
    assert "btn-outline-danger" not in forms["accept"]["button_class"]
    assert "不属于为生活消费需要购买、使用商品或者接受服务" in page


# --- firing actions ---------------------------------------------------------------------------


def test_firing_an_action_changes_state_and_adds_exactly_one_audit_event(client, login_as, make_case, cast):
    case = make_case()
    login_as(cast.officer)
    events_before = audit_count(case)
    response = act(client, case, "start_review")
    assert response.status_code == 302
    assert response.location == f"/cases/{case.number}"
    db.session.refresh(case)
    assert case.state == "under_review"
    assert audit_count(case) == events_before + 1
    newest = db.session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.seq.desc())
    ).first()
    assert (newest.action, newest.actor_id, newest.from_state, newest.to_state) == (
        "start_review", cast.officer.id, "submitted", "under_review"
    )
    page = client.get(response.location).get_data(as_text=True)
    assert "操作成功。案件当前状态：受理审查中。" in page
    assert "开始受理审查" in page


def test_an_action_with_its_data_reaches_the_case_and_the_timeline(client, login_as, make_case, cast):
    case = make_case(state="under_review")
    login_as(cast.officer)
    reply_by = (local_date(utcnow()) + timedelta(days=10)).isoformat()
    response = act(client, case, "request_information", missing_items="请补充购买发票 <b>原件</b>", reply_by=reply_by)
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.state == "awaiting_information"
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert "请补充购买发票 &lt;b&gt;原件&lt;/b&gt;" in page
    assert "<b>原件</b>" not in page


def test_a_refusal_records_its_ground(client, login_as, make_case, cast):
    case = make_case(state="under_review")
    login_as(cast.officer)
    assert act(client, case, "refuse", refusal_code="time_barred", explanation="购买已逾四年").status_code == 302
    db.session.refresh(case)
    assert (case.state, case.refusal_code, case.refusal_explanation) == ("refused", "time_barred", "购买已逾四年")


def test_a_missing_ground_is_a_422_with_the_error_at_the_field_in_chinese_then_english(
    client, login_as, make_case, cast
):
    case = make_case(state="mediation")
    login_as(cast.officer)
    events_before = audit_count(case)

    response = act(client, case, "end_mediation", termination_ground="   ")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'<select [^>]*class="form-select is-invalid" id="end_mediation-termination_ground"', page)
    assert re.search(r'id="end_mediation-termination_ground-errors"><div>请选择终止调解的理由。</div>', page)

    client.post("/language", data={"lang": "en", "next": f"/cases/{case.number}"})
    response = act(client, case, "end_mediation")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Choose the ground for ending mediation." in page
    assert "End mediation without agreement" in page
    db.session.refresh(case)
    assert case.state == "mediation"
    assert audit_count(case) == events_before


def test_a_refused_action_keeps_what_the_user_typed(client, login_as, make_case, cast):
    case = make_case(state="under_review")
    login_as(cast.officer)
    typed = "购买发票原件\n产品铭牌照片"
    response = act(client, case, "request_information", missing_items=typed)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert typed in page
    db.session.refresh(case)
    assert case.state == "under_review"


@pytest.mark.parametrize(
    ("trigger", "data"),
    [
        ("refuse", {"refusal_code": "because"}),
        ("request_information", {"missing_items": "x" * 2001}),
        ("start_review", {"version": "not-a-number"}),
    ],
)
def test_malformed_input_is_a_422_never_a_500(client, login_as, make_case, cast, trigger, data):
    case = make_case(state="under_review" if trigger != "start_review" else None)
    login_as(cast.officer)
    form = {"version": case.version, **data}
    response = client.post(f"/cases/{case.number}/actions/{trigger}", data=form)
    assert response.status_code == 422


def test_a_malformed_date_is_a_422(client, login_as, make_case, cast):
    case = make_case(state="under_review")
    login_as(cast.officer)
    response = act(client, case, "request_information", missing_items="购买发票", reply_by="31/02/2099")
    assert response.status_code == 422
    assert "不是有效的日期值" in response.get_data(as_text=True)


def test_a_stale_version_is_a_409_and_writes_nothing(client, login_as, make_case, cast):
    case = make_case()
    login_as(cast.officer)
    events_before = audit_count(case)
    response = act(client, case, "start_review", version=case.version - 1)
    assert response.status_code == 409
    assert "该案件已被他人修改，请重新加载后再试。" in response.get_data(as_text=True)
    db.session.refresh(case)
    assert case.state == "submitted"
    assert audit_count(case) == events_before


def test_an_action_the_state_no_longer_allows_is_a_409(client, login_as, make_case, cast):
    case = make_case()
    login_as(cast.officer)
    response = act(client, case, "accept")
    assert response.status_code == 409
    assert "该案件已被他人修改" in response.get_data(as_text=True)


def test_a_concurrent_writer_that_wins_at_commit_is_a_409(client, login_as, make_case, cast, monkeypatch):
    case = make_case()
    login_as(cast.officer)

    def lose_the_race():
        """What the optimistic lock raises when another request committed first."""
        raise StaleDataError("UPDATE statement on table 'cases' expected to update 1 row(s); 0 were matched.")

    monkeypatch.setattr(db.session, "commit", lose_the_race)
    response = act(client, case, "start_review")
    monkeypatch.undo()
    assert response.status_code == 409
    db.session.refresh(case)
    assert case.state == "submitted"


def test_an_unknown_action_is_a_400(client, login_as, make_case, cast):
    case = make_case()
    login_as(cast.officer)
    response = act(client, case, "launch_rockets")
    assert response.status_code == 400


def test_a_role_the_table_does_not_name_gets_a_403(client, login_as, make_case, cast):
    case = make_case()
    login_as(cast.applicant)
    response = act(client, case, "start_review")
    assert response.status_code == 403
    db.session.refresh(case)
    assert case.state == "submitted"


def test_an_action_on_a_hidden_case_is_a_404(client, login_as, make_case):
    case = make_case()
    login_as("consumer")
    assert act(client, case, "withdraw").status_code == 404
    db.session.refresh(case)
    assert case.state == "submitted"


# --- what the page shows ----------------------------------------------------------------------


def test_the_narrative_is_escaped(client, login_as, cast):
    data = filing_data(cast.enterprise_user.enterprise, CaseKind.COMPLAINT, 1)
    data["narrative"] = '<script>alert("x")</script> 水壶漏电'
    case, _code = cases.submit_case(db.session, cast.applicant, CaseKind.COMPLAINT, data)
    db.session.flush()
    login_as(cast.applicant)
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; 水壶漏电" in page
    assert '<script>alert("x")' not in page


def test_staff_see_staff_only_events_and_names_parties_do_not(client, login_as, make_case, cast):
    case = make_case(state="under_review")
    audit.record(db.session, case, actor=cast.officer, action="internal_note", visibility=Visibility.STAFF)
    db.session.flush()

    login_as(cast.officer)
    staff_page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert 'data-action="internal_note"' in staff_page
    assert f"({cast.officer.display_name})" in staff_page

    switch_user(client, login_as, cast.applicant)
    party_page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert 'data-action="internal_note"' not in party_page
    assert 'data-action="start_review"' in party_page
    assert cast.officer.display_name not in party_page
    assert "承办人" in party_page


def test_the_timeline_is_in_order_with_beijing_times_and_state_labels(client, login_as, make_case, cast):
    case = make_case(state="under_review")
    login_as(cast.applicant)
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert page.index('data-action="submit"') < page.index('data-action="start_review"')
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.seq)).all()
    beijing = (events[1].occurred_at + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    assert beijing in page
    assert "已提交 → 受理审查中" in page


def test_staff_see_the_panel(client, login_as, make_case, cast):
    case = make_case(state="expert_review")
    login_as(cast.officer)
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert "专家组" in page
    assert cast.experts[0].display_name in page
    switch_user(client, login_as, cast.applicant)
    party_page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert cast.experts[0].display_name in party_page, "a party names the expert whose recusal they ask for"
    assert cast.experts[0].email not in party_page


def test_the_deadlines_table_shows_the_running_clock(client, login_as, make_case, cast):
    case = make_case()
    login_as(cast.officer)
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert "作出受理或者不予受理决定" in page
    deadline = case.deadlines[0]
    if deadline.calendar_pending:
        assert "待定：该年度的节假日安排尚未公布" in page
    else:
        assert deadline.due_on.isoformat() in page


def test_switching_language_on_a_refused_action_returns_to_the_case_page(client, login_as, make_case, cast):
    case = make_case(state="under_review")
    login_as(cast.officer)
    response = client.post(
        f"/cases/{case.number}/actions/request_information",
        data={"version": case.version},
        headers={"Referer": f"http://localhost/cases/{case.number}"},
    )
    assert response.status_code == 422
    assert f'name="next" value="/cases/{case.number}"' in response.get_data(as_text=True)


def _case_against_an_unconfirmed_enterprise(make_case, cast):
    case = make_case("complaint", state="under_review")
    case.enterprise.confirmed = False
    case.enterprise.credit_code = None
    db.session.flush()
    return case


def test_an_officer_confirms_a_new_enterprise_on_the_case_page_and_can_then_accept(client, login_as, make_case, cast):
    case = _case_against_an_unconfirmed_enterprise(make_case, cast)
    login_as(cast.officer)
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert 'id="confirm-enterprise"' in page and "/actions/accept" not in page
    refused = client.post(f"/cases/{case.number}/enterprise", data={"credit_code": "91330100ABCDEFGHIO"})
    assert refused.status_code == 422
    assert "不是有效的统一社会信用代码" in refused.get_data(as_text=True)
    assert not case.enterprise.confirmed
    wrong_check_character = client.post(f"/cases/{case.number}/enterprise", data={"credit_code": "91330100ABCDEFGH3X"})
    assert wrong_check_character.status_code == 422
    assert not case.enterprise.confirmed
    done = client.post(f"/cases/{case.number}/enterprise", data={"credit_code": "91330100abcdefgh3u"})
    assert done.status_code == 302
    assert case.enterprise.confirmed and case.enterprise.credit_code == "91330100ABCDEFGH3U"
    assert "/actions/accept" in client.get(f"/cases/{case.number}").get_data(as_text=True)


def test_only_an_officer_confirms_an_enterprise(client, login_as, make_case, cast):
    case = _case_against_an_unconfirmed_enterprise(make_case, cast)
    login_as(cast.applicant)
    assert 'id="confirm-enterprise"' not in client.get(f"/cases/{case.number}").get_data(as_text=True)
    response = client.post(f"/cases/{case.number}/enterprise", data={"credit_code": "91330100ABCDEFGH3U"})
    assert response.status_code == 403
    assert not case.enterprise.confirmed
