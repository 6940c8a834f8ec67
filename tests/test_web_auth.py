"""Logging in and out: one generic failure message, no session on failure, POST-only logout, same-site redirects."""

import pytest
from sqlalchemy import select

from tests.factories import PASSWORD
from tracker.extensions import db
from tracker.models import SecurityEvent
from tracker.services import accounts
from tracker.web.uploads import DRAFT_OWNER_KEY

GENERIC_FAILURE_ZH = "电子邮箱或密码不正确。"


def logged_in_user_id(client) -> str | None:
    """The user id Flask-Login keeps in the session cookie, if any."""
    with client.session_transaction() as session:
        return session.get("_user_id")


def test_login_page_is_in_chinese_by_default(client):
    response = client.get("/login")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "电子邮箱" in page and "密码" in page


def test_officer_logs_in_and_lands_in_the_workspace(client, make_user):
    officer = make_user("officer")
    response = client.post("/login", data={"email": officer.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.location == "/"
    assert logged_in_user_id(client) == str(officer.id)
    assert officer.last_login_at is not None
    home = client.get("/")
    assert home.status_code == 302 and home.location == "/officer/"
    page = client.get("/officer/").get_data(as_text=True)
    assert "工作台" in page
    assert officer.display_name in page


def test_email_is_matched_case_insensitively(client, make_user):
    consumer = make_user("consumer")
    response = client.post("/login", data={"email": consumer.email.upper(), "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize("wrong", ["password", "email"])
def test_a_failed_login_says_only_that_email_or_password_is_wrong(client, make_user, wrong):
    consumer = make_user("consumer")
    data = {"email": consumer.email, "password": PASSWORD}
    data[wrong] = "nobody@example.test" if wrong == "email" else "not the password"
    response = client.post("/login", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count(GENERIC_FAILURE_ZH) == 1
    assert 'class="form-control is-invalid"' in page
    assert logged_in_user_id(client) is None


def test_a_failed_login_is_logged_for_the_administrators(client, make_user):
    consumer = make_user("consumer")
    client.post(
        "/login", data={"email": consumer.email, "password": "guess"}, environ_base={"REMOTE_ADDR": "203.0.113.9"}
    )
    event = db.session.scalars(select(SecurityEvent).where(SecurityEvent.kind == "login_failed")).one()
    assert event.user_id == consumer.id
    assert event.remote_addr == "203.0.113.9"


def test_a_deactivated_account_cannot_log_in(client, make_user):
    consumer = make_user("consumer")
    consumer.active = False
    db.session.flush()
    response = client.post("/login", data={"email": consumer.email, "password": PASSWORD})
    assert response.status_code == 200
    assert GENERIC_FAILURE_ZH in response.get_data(as_text=True)
    assert logged_in_user_id(client) is None


def test_an_empty_login_form_shows_field_errors(client):
    response = client.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("invalid-feedback") == 2


def test_login_returns_to_the_page_that_asked_for_it(client, make_user):
    officer = make_user("officer")
    response = client.post("/login?next=/cases/TS-2026-000001", data={"email": officer.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.location == "/cases/TS-2026-000001"


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", "http://evil.example/cases"],
)
def test_login_never_redirects_off_site(client, make_user, next_url):
    officer = make_user("officer")
    credentials = {"email": officer.email, "password": PASSWORD}
    response = client.post("/login", query_string={"next": next_url}, data=credentials)
    assert response.status_code == 302
    assert response.location == "/"


def test_a_logged_in_user_visiting_login_is_sent_home(client, login_as):
    login_as("officer")
    response = client.get("/login")
    assert response.status_code == 302
    assert response.location == "/"


def test_logout_is_post_only(client, login_as):
    user = login_as("consumer")
    response = client.get("/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert logged_in_user_id(client) == str(user.id)


def test_logout_ends_the_session_but_keeps_the_language(client, login_as):
    login_as("consumer")
    client.post("/language", data={"lang": "en", "next": "/"})
    response = client.post("/logout")
    assert response.status_code == 302
    assert logged_in_user_id(client) is None
    page = client.get("/").get_data(as_text=True)
    assert "You have logged out." in page
    assert '<html lang="en">' in page


def test_a_visitor_is_sent_to_login_from_a_case_page(client):
    response = client.get("/cases/TS-2026-000001")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")
    page = client.get(response.location).get_data(as_text=True)
    assert "请先登录再访问此页面。" in page


def test_a_visitor_sees_the_welcome_page_with_a_login_button(client):
    page = client.get("/").get_data(as_text=True)
    assert "仲裁检验" in page and "质量鉴定" in page and "溯源和防伪验证标识" in page
    assert 'href="/login"' in page


def test_repeated_failed_logins_are_throttled_even_with_the_right_password_then(client, make_user):
    user = make_user("consumer")
    for _attempt in range(accounts.LOGIN_LIMIT_PER_ACCOUNT):
        response = client.post("/login", data={"email": user.email, "password": "wrong password"})
        assert response.status_code == 200
    blocked = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "失败次数过多" in blocked.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_logging_in_keeps_a_filing_begun_anonymously(client, make_user):
    user = make_user("consumer")
    with client.session_transaction() as session:
        session[DRAFT_OWNER_KEY] = "key-of-an-anonymous-draft"
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    with client.session_transaction() as session:
        assert session[DRAFT_OWNER_KEY] == "key-of-an-anonymous-draft"
        assert session["_user_id"] == str(user.id)
