"""Public tracking: number and access code, no login, no personal data, and guessing is throttled."""

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from tests.factories import gen_enterprise
from tracker.demo import drive
from tracker.demo import filing_data
from tracker.demo import find_path
from tracker.extensions import db
from tracker.models import CaseKind
from tracker.models import Message
from tracker.models import ThrottleEvent
from tracker.models import utcnow
from tracker.services import cases
from tracker.services import filing
from tracker.services.conversation import post_message

WRONG_CODE = "WRONG-CODE2"


@pytest.fixture
def tracked(db_session, cast):
    """A complaint under mediation with a known access code, personal details, a message and an enterprise contact."""
    enterprise = cast.enterprise_user.enterprise
    enterprise.contact_name = "赵联络人"
    enterprise.contact_phone = "010-87654321"
    enterprise.contact_email = "contact@enterprise.example"
    data = filing_data(enterprise, CaseKind.COMPLAINT, 7)
    data["narrative"] = "我家的电水壶在烧水时突然漏电，孩子被电了一下。"
    data["contact_phone"] = "13800138000"
    filed_at = utcnow() - timedelta(days=30)
    case, code = cases.submit_case(db.session, cast.applicant, CaseKind.COMPLAINT, data, now=filed_at)
    db.session.flush()
    drive(db.session, case, find_path(CaseKind.COMPLAINT, "mediation"), cast, start=filed_at)
    post_message(db.session, case, cast.applicant, "私信：我的地址是幸福路 8 号")
    db.session.flush()
    return case, code


def track(client, number, code, address="203.0.113.10"):
    """Post the tracking form from an address."""
    return client.post("/track", data={"number": number, "access_code": code}, environ_base={"REMOTE_ADDR": address})


def attempts_counted() -> int:
    """How many failed lookups are on record."""
    return db.session.scalar(select(func.count()).select_from(ThrottleEvent))


def test_the_form_needs_no_login(client):
    response = client.get("/track")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "查询案件" in page
    assert 'name="number"' in page and 'name="access_code"' in page


def test_the_right_code_shows_state_and_public_timeline_without_personal_data(client, tracked, cast):
    case, code = tracked
    response = track(client, case.number.lower(), code.lower().replace("-", " "))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    page = response.get_data(as_text=True)
    assert case.number in page
    assert 'data-state="mediation"' in page and "调解中" in page
    assert "投诉" in page
    assert 'data-action="start_review"' in page and "已提交 → 受理审查中" in page
    for secret in [
        case.narrative,
        "孩子被电了一下",
        cast.applicant.email,
        cast.applicant.display_name,
        cast.officer.display_name,
        cast.enterprise_user.display_name,
        "13800138000",
        "赵联络人",
        "010-87654321",
        "contact@enterprise.example",
        case.enterprise.name,
        "幸福路",
        "演示：说明理由",
        case.product_name,
    ]:
        assert secret not in page, secret
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.case_id == case.id)) == 1
    assert attempts_counted() == 0


def test_a_wrong_code_and_an_unknown_number_get_the_same_message_and_are_counted(client, tracked):
    case, _code = tracked
    wrong = track(client, case.number, WRONG_CODE)
    unknown = track(client, "TS-1999-999999", WRONG_CODE)
    for response in (wrong, unknown):
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "没有与该案件编号和查询码相符的案件。" in page
        assert 'data-state="' not in page
        assert WRONG_CODE not in page
    assert attempts_counted() == 4


def test_the_message_is_in_english_after_switching(client, tracked):
    case, _code = tracked
    client.post("/language", data={"lang": "en", "next": "/track"})
    page = track(client, case.number, WRONG_CODE).get_data(as_text=True)
    assert "No case matches this number and access code." in page


def test_guessing_one_case_from_many_addresses_is_throttled_even_for_the_right_code(client, tracked):
    case, code = tracked
    for attempt in range(filing.TRACK_LIMIT_PER_CASE):
        assert track(client, case.number, WRONG_CODE, f"198.51.100.{attempt}").status_code == 200
    blocked = track(client, case.number, WRONG_CODE, "198.51.100.200")
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["Retry-After"]) <= filing.TRACK_WINDOW_MINUTES * 60 + 1
    assert "错误次数过多" in blocked.get_data(as_text=True)
    right_but_blocked = track(client, case.number, code, "198.51.100.201")
    assert right_but_blocked.status_code == 429
    assert 'data-state="' not in right_but_blocked.get_data(as_text=True)


def test_one_address_guessing_many_numbers_is_throttled(client, tracked):
    case, code = tracked
    for attempt in range(filing.TRACK_LIMIT_PER_ADDRESS):
        response = track(client, f"TS-2026-{900000 + attempt}", WRONG_CODE, "192.0.2.55")
        assert response.status_code == 200
    assert track(client, "TS-2026-999999", WRONG_CODE, "192.0.2.55").status_code == 429
    blocked = track(client, case.number, code, "192.0.2.55")
    assert blocked.status_code == 429
    assert "Retry-After" in blocked.headers
    assert track(client, case.number, code, "192.0.2.56").status_code == 200


@pytest.mark.parametrize(("number", "code"), [("", "ABCDE-FGHJK"), ("TS-2026-000001", "  "), ("T" * 31, "X")])
def test_missing_or_absurd_input_is_a_422_and_not_counted(client, db_session, number, code):
    response = track(client, number, code)
    assert response.status_code == 422
    assert "invalid-feedback" in response.get_data(as_text=True)
    assert attempts_counted() == 0


@pytest.fixture
def filed_without_account(db_session):
    """An appraisal request filed by a visitor without an account, and its access code."""
    data = filing_data(gen_enterprise(), CaseKind.APPRAISAL, 3)
    data.update(contact_name="匿名申请人", contact_email="anon@example.test", applicant_standing="party")
    case, code = cases.submit_case(db.session, None, CaseKind.APPRAISAL, data)
    db.session.flush()
    return case, code


def test_a_case_filed_without_an_account_is_tracked_too(client, filed_without_account):
    case, code = filed_without_account
    page = track(client, case.number, code).get_data(as_text=True)
    assert "质量鉴定" in page and "已提交" in page
    assert "匿名申请人" not in page and "anon@example.test" not in page
    assert 'href="/claim' not in page
    assert "请登录并凭查询码将本案件添加到您的账户" in page


def test_a_signed_in_consumer_is_offered_to_claim_a_case_filed_without_an_account(
    client, login_as, filed_without_account
):
    case, code = filed_without_account
    login_as("consumer")
    page = track(client, case.number, code).get_data(as_text=True)
    assert f'href="/claim?number={case.number}"' in page


def test_the_applicant_is_led_to_their_own_case_page(client, login_as, tracked, cast):
    case, code = tracked
    login_as(cast.applicant)
    page = track(client, case.number, code).get_data(as_text=True)
    assert f'href="/cases/{case.number}"' in page
    assert 'href="/claim?number=' not in page


def test_the_welcome_page_leads_visitors_to_tracking(client):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/track"' in page
