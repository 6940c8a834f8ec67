"""Sessions kept on the server: logout, a new password and a disabled account end them; a copied cookie opens nothing."""

from datetime import timedelta

from sqlalchemy import select

from config import Config
from tests.factories import PASSWORD
from tracker import create_app
from tracker.extensions import db
from tracker.models import SecurityEvent
from tracker.models import UserSession
from tracker.models import utcnow
from tracker.services import sessions
from tracker.web.auth import LAST_SEEN_KEY
from tracker.web.auth import SESSION_TOKEN_KEY

NEW_PASSWORD = "a brand new passphrase for this test"


def session_cookie(client) -> str:
    """The value of the client's session cookie, as an attacker who copied it would have it."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def replay(app, cookie_value: str, path: str):
    """A fresh client (another browser) sending a copied cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie_value)
    return other.get(path)


def test_a_cookie_copied_before_logout_is_sent_to_the_login_page_after_it(app, client, make_case, login_as):
    case = make_case("complaint")
    login_as(case.applicant)
    assert client.get(f"/cases/{case.number}").status_code == 200
    copied = session_cookie(client)
    assert client.post("/logout").status_code == 302
    response = replay(app, copied, f"/cases/{case.number}")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_a_password_change_ends_the_other_sessions_but_not_this_one(app, client, make_case, login_as):
    case = make_case("complaint")
    login_as(case.applicant)
    elsewhere = app.test_client()
    elsewhere.post("/login", data={"email": case.applicant.email, "password": PASSWORD})
    assert elsewhere.get(f"/cases/{case.number}").status_code == 200
    copied_elsewhere = session_cookie(elsewhere)

    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]

    assert client.get(f"/cases/{case.number}").status_code == 200
    refused = replay(app, copied_elsewhere, f"/cases/{case.number}")
    assert refused.status_code == 302 and refused.location.startswith("/login")
    event = db.session.scalars(select(SecurityEvent).where(SecurityEvent.kind == "password_changed")).one()
    assert event.role == "consumer" and event.request_id


def test_disabling_an_account_can_end_all_its_sessions(app, client, make_case, login_as):
    case = make_case("complaint")
    login_as(case.applicant)
    ended = sessions.end_all_sessions(db.session, case.applicant, now=utcnow(), reason="account_disabled")
    db.session.commit()
    assert ended == 1
    response = client.get(f"/cases/{case.number}")
    assert response.status_code == 302 and response.location.startswith("/login")


def test_the_session_is_renewed_at_login(client, make_user):
    user = make_user("consumer")
    with client.session_transaction() as planted:
        planted[SESSION_TOKEN_KEY] = "tks_planted-by-an-attacker"
        planted["_user_id"] = str(user.id)
    assert client.get("/account/password").status_code == 302
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    with client.session_transaction() as first:
        first_token = first[SESSION_TOKEN_KEY]
    assert first_token != "tks_planted-by-an-attacker"
    client.post("/logout")
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    with client.session_transaction() as second:
        assert second[SESSION_TOKEN_KEY] != first_token
    assert db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all()[0].ended_reason == "logout"


def test_the_token_is_kept_only_as_a_digest(client, make_user):
    user = make_user("consumer")
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    with client.session_transaction() as session:
        token = session[SESSION_TOKEN_KEY]
    row = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert token not in row.token_hash and row.token_hash == sessions.token_digest(token)


def test_a_session_idle_for_too_long_ends(app, client, make_user):
    user = make_user("consumer")
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert client.get("/account/password").status_code == 200
    idle_since = utcnow() - app.config["SESSION_IDLE_TIMEOUT"] - timedelta(minutes=1)
    with client.session_transaction() as session:
        session[LAST_SEEN_KEY] = int(idle_since.timestamp())
    assert client.get("/account/password").status_code == 302


def test_a_session_past_its_lifetime_ends(client, make_user):
    user = make_user("consumer")
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    row = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/account/password").status_code == 302


def test_remember_me_keeps_the_cookie_and_the_server_session_for_thirty_days(app, client, make_user):
    user = make_user("consumer")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    assert "Expires=" in response.headers["Set-Cookie"]
    row = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert row.expires_at - row.created_at == app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(days=30)


def test_the_production_cookie_is_host_prefixed_secure_http_only_and_lax(session_app, make_user, db_session):
    user = make_user("consumer")
    db.session.commit()
    secure = create_app(
        "testing", SQLALCHEMY_DATABASE_URI=session_app.config["SQLALCHEMY_DATABASE_URI"],
        SESSION_COOKIE_NAME="__Host-session", SESSION_COOKIE_SECURE=True,
    )
    response = secure.test_client().post(
        "/login", data={"email": user.email, "password": PASSWORD}, base_url="https://localhost"
    )
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "; Path=/" in cookie and "SameSite=Lax" in cookie
    assert "Domain=" not in cookie
    with secure.app_context():
        db.engine.dispose()


def test_production_configuration_names_the_host_cookie():
    assert Config.SESSION_COOKIE_NAME == "__Host-session"
    assert Config.SESSION_COOKIE_SECURE and Config.SESSION_COOKIE_HTTPONLY and Config.SESSION_COOKIE_SAMESITE == "Lax"
