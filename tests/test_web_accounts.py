"""Accounts: registration under the OWASP ASVS password rules, password change, claiming a case with its code."""

import pytest
from sqlalchemy import func
from sqlalchemy import select

from tests.factories import PASSWORD
from tracker.demo import filing_data
from tracker.extensions import db
from tracker.models import Case
from tracker.models import CaseKind
from tracker.models import Role
from tracker.models import ThrottleEvent
from tracker.models import User
from tracker.services import cases
from tracker.services import filing
from tracker.services.accounts import authenticate
from tracker.web.uploads import DRAFT_OWNER_KEY

NINE_CHARACTERS = "tv-lamp-9"
PASSPHRASE = "the kettle on the third shelf leaked current every morning until the shop finally took it back, okay"


def registration(email="new.consumer@example.com", password=NINE_CHARACTERS, **overrides) -> dict:
    """A registration form as the browser posts it."""
    return {"email": email, "display_name": "王小明", "mobile": "", "password": password, "confirm": password,
            **overrides}


def logged_in_user_id(client) -> str | None:
    """The user id Flask-Login keeps in the session cookie, if any."""
    with client.session_transaction() as session:
        return session.get("_user_id")


def user_by_email(email: str) -> User | None:
    """The account with this address."""
    return db.session.scalars(select(User).where(User.email == email)).first()


# --- registration ------------------------------------------------------------------------------


def test_a_common_password_is_refused_with_a_translated_message(client):
    response = client.post("/register", data=registration(password="password1"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "这是最常用的密码之一" in page
    assert 'id="password-errors"' in page
    assert 'value="new.consumer@example.com"' in page and 'value="王小明"' in page
    assert user_by_email("new.consumer@example.com") is None

    client.post("/language", data={"lang": "en", "next": "/register"})
    english = client.post("/register", data=registration(password="password1")).get_data(as_text=True)
    assert "This password is one of the most common ones" in english


@pytest.mark.parametrize(
    ("password", "message"),
    [("short7!", "至少需要 8 个字符"), ("x" * 129, "不能超过 128 个字符"), ("new.consumer-2026", "不要在密码中使用您的电子邮箱地址")],
)
def test_other_weak_passwords_are_refused(client, password, message):
    response = client.post("/register", data=registration(password=password))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


@pytest.mark.parametrize("password", [NINE_CHARACTERS, PASSPHRASE], ids=["nine-characters", "100-character-passphrase"])
def test_a_good_password_opens_the_account_and_signs_in(app, client, password):
    assert len(password) in (9, 100)
    response = client.post("/register?next=/file", data=registration(password=password, mobile="138 0013 8000"))
    assert response.status_code == 302 and response.location == "/file"
    user = user_by_email("new.consumer@example.com")
    assert user.role == Role.CONSUMER and user.mobile == "138 0013 8000" and user.display_name == "王小明"
    assert logged_in_user_id(client) == str(user.id)
    assert password not in user.password_hash
    assert authenticate(db.session, app.extensions["password_hasher"], user.email, password) is user


def test_registration_never_redirects_off_site(client):
    response = client.post("/register?next=https://evil.example/", data=registration())
    assert response.status_code == 302 and response.location == "/"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"display_name": "  "}, "display_name"),
        ({"mobile": "call me"}, "mobile"),
        ({"confirm": "something else"}, "confirm"),
    ],
)
def test_a_registration_with_a_bad_field_shows_its_error(client, overrides, field):
    response = client.post("/register", data=registration(**overrides))
    assert response.status_code == 422
    assert f'id="{field}-errors"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_a_weak_password_is_named_together_with_the_other_errors(client):
    response = client.post("/register", data=registration(password="password1", display_name=""))
    page = response.get_data(as_text=True)
    assert 'id="display_name-errors"' in page and "这是最常用的密码之一" in page


def test_an_address_already_registered_is_refused(client, make_user):
    existing = make_user("consumer", email="taken@example.com")
    db.session.commit()
    response = client.post("/register", data=registration(email="Taken@Example.com"))
    assert response.status_code == 422
    assert "该电子邮箱已注册" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User).where(User.email == existing.email)) == 1


def test_registering_keeps_a_filing_in_progress_and_the_language(client):
    with client.session_transaction() as session:
        session[DRAFT_OWNER_KEY] = "key-of-a-draft"
        session["lang"] = "en"
    client.post("/register", data=registration())
    with client.session_transaction() as session:
        assert session[DRAFT_OWNER_KEY] == "key-of-a-draft" and session["lang"] == "en"


def test_a_signed_in_user_is_sent_on_from_the_registration_page(client, login_as):
    login_as("consumer")
    assert client.get("/register").status_code == 302


# --- password change ---------------------------------------------------------------------------


def test_changing_the_password_needs_the_current_one(app, client, login_as):
    user = login_as("consumer")
    assert client.get("/account/password").status_code == 200
    wrong = client.post("/account/password", data={"current_password": "not it", "password": PASSPHRASE,
                                                   "confirm": PASSPHRASE})
    assert wrong.status_code == 422
    assert "当前密码不正确" in wrong.get_data(as_text=True)
    hasher = app.extensions["password_hasher"]
    assert authenticate(db.session, hasher, user.email, PASSWORD) is user

    weak = client.post("/account/password", data={"current_password": PASSWORD, "password": "12345678",
                                                  "confirm": "12345678"})
    assert weak.status_code == 422 and "这是最常用的密码之一" in weak.get_data(as_text=True)

    changed = client.post("/account/password", data={"current_password": PASSWORD, "password": PASSPHRASE,
                                                     "confirm": PASSPHRASE})
    assert changed.status_code == 302
    assert authenticate(db.session, hasher, user.email, PASSPHRASE) is user
    assert authenticate(db.session, hasher, user.email, PASSWORD) is None


def test_the_account_pages_need_a_login(client):
    for path in ("/account/password", "/claim"):
        response = client.get(path)
        assert response.status_code == 302 and response.location.startswith("/login?next=")


# --- claiming a case filed without an account --------------------------------------------------


@pytest.fixture
def anonymous_case(db_session, cast):
    """A case filed without an account, and its access code."""
    data = {**filing_data(cast.enterprise_user.enterprise, CaseKind.COMPLAINT, 1), "contact_name": "张三",
            "contact_phone": "13800138000"}
    case, code = cases.submit_case(db.session, None, CaseKind.COMPLAINT, data)
    db.session.flush()
    return case, code


def test_a_consumer_claims_a_case_with_its_number_and_code(client, login_as, anonymous_case):
    case, code = anonymous_case
    user = login_as("consumer")
    form = client.get(f"/claim?number={case.number}").get_data(as_text=True)
    assert f'value="{case.number}"' in form
    response = client.post("/claim", data={"number": case.number.lower(), "access_code": code.lower().replace("-", " ")})
    assert response.status_code == 302 and response.location == f"/cases/{case.number}"
    assert case.applicant_id == user.id


def test_a_wrong_code_is_refused_and_counted_and_too_many_are_throttled(client, login_as, anonymous_case):
    case, code = anonymous_case
    login_as("consumer")
    for attempt in range(filing.TRACK_LIMIT_PER_CASE):
        wrong = client.post("/claim", data={"number": case.number, "access_code": f"WRONG-{attempt:05d}"})
        assert wrong.status_code == 422
        assert "案件编号或查询码不正确" in wrong.get_data(as_text=True)
    counted = select(func.count()).select_from(ThrottleEvent).where(ThrottleEvent.key == f"track:case:{case.number}")
    assert db.session.scalar(counted) == filing.TRACK_LIMIT_PER_CASE
    throttled = client.post("/claim", data={"number": case.number, "access_code": code})
    assert throttled.status_code == 429
    assert 0 < int(throttled.headers["Retry-After"]) <= filing.TRACK_WINDOW_MINUTES * 60 + 1
    assert case.applicant_id is None


def test_a_case_of_another_account_cannot_be_claimed(client, login_as, anonymous_case):
    case, code = anonymous_case
    first = login_as("consumer")
    assert client.post("/claim", data={"number": case.number, "access_code": code}).status_code == 302
    assert case.applicant_id == first.id
    client.post("/logout")
    login_as("consumer")
    response = client.post("/claim", data={"number": case.number, "access_code": code})
    assert response.status_code == 422
    assert "该案件已属于其他账户" in response.get_data(as_text=True)


def test_only_consumers_claim_cases(client, login_as, anonymous_case):
    case, code = anonymous_case
    login_as("enterprise")
    assert client.post("/claim", data={"number": case.number, "access_code": code}).status_code == 403
    assert db.session.scalar(select(Case.applicant_id).where(Case.id == case.id)) is None
