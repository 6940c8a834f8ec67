"""Every response carries the headers that keep browsers from framing, sniffing or running foreign code."""

from flask import request

from config import Config
from tracker import CONTENT_SECURITY_POLICY
from tracker import UNKNOWN_CLIENT_ADDRESS
from tracker import create_app
from tracker.web.route_policy import ANYONE


def test_pages_carry_the_security_headers(client):
    response = client.get("/login")
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY and "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_error_pages_carry_them_too(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.headers["X-Frame-Options"] == "DENY"


def test_session_cookies_are_http_only_and_same_site(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["REMEMBER_COOKIE_HTTPONLY"] is True


def test_production_cookies_are_secure():
    assert Config.SESSION_COOKIE_SECURE is True and Config.REMEMBER_COOKIE_SECURE is True


def address_seen_behind_one_proxy(session_app, forwarded_for: str) -> str:
    """The client address a view sees when one trusted proxy forwards this X-Forwarded-For."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=session_app.config["SQLALCHEMY_DATABASE_URI"], PROXY_FIX_HOPS=1)
    seen = {}

    @app.get("/_address")
    def address():
        seen["address"] = request.remote_addr
        return "ok"

    app.extensions["route_policy"]["address"] = (ANYONE, None)

    app.test_client().get("/_address", headers={"X-Forwarded-For": forwarded_for})
    return seen["address"]


def test_behind_a_trusted_proxy_the_client_address_comes_from_the_forwarded_header(session_app):
    assert address_seen_behind_one_proxy(session_app, "203.0.113.7") == "203.0.113.7"


def test_a_forged_client_address_is_replaced_before_it_is_stored_or_counted(session_app):
    assert address_seen_behind_one_proxy(session_app, "x" * 500 + "\x00") == UNKNOWN_CLIENT_ADDRESS
