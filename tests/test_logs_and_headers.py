"""Logs you can trust (JSON lines with the request's context, nothing forged by a newline), and headers that keep pages private."""

import json
import logging

from conftest import SUITE_LOG
from sqlalchemy import select

from tests.factories import PASSWORD
from tests.log_secrets import SuiteLog
from tests.log_secrets import find_secrets
from tests.test_web_accounts import registration
from tests.test_web_errors import separate_app
from tracker.extensions import db
from tracker.logs import JsonLineFormatter
from tracker.logs import single_line
from tracker.models import CaseKind
from tracker.models import SecurityEvent
from tracker.models import User
from tracker.services import filing
from tracker.web.route_policy import ANYONE


class JsonLines(logging.Handler):
    """Keeps what the app logs, formatted exactly as in production."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonLineFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Format and keep one record."""
        self.lines.append(self.format(record))


def captured_lines(action) -> list[str]:
    """Run the action and return the tracker's log lines it produced."""
    handler = JsonLines()
    logger = logging.getLogger("tracker")
    previous_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        action()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)
    return handler.lines


def test_every_response_carries_a_request_id(client):
    first = client.get("/login").headers["X-Request-ID"]
    second = client.get("/no-such-page").headers["X-Request-ID"]
    assert len(first) == 32 and first != second


def test_a_request_id_from_the_proxy_is_kept_and_a_forged_one_replaced(client):
    assert client.get("/", headers={"X-Request-ID": "lb-1234567890abcdef"}).headers["X-Request-ID"] == (
        "lb-1234567890abcdef"
    )
    for forged in ("<script>alert(1)</script>", "x" * 500, "short"):
        assert client.get("/", headers={"X-Request-ID": forged}).headers["X-Request-ID"] != forged


def test_the_500_page_shows_the_request_id(app):
    with separate_app(app, PROPAGATE_EXCEPTIONS=False) as fragile:

        @fragile.get("/explode")
        def explode():
            """A bug, as far as the error handlers can tell."""
            raise RuntimeError("boom")

        fragile.extensions["route_policy"]["explode"] = (ANYONE, None)
        response = fragile.test_client().get("/explode")
        assert response.status_code == 500
        assert response.headers["X-Request-ID"] in response.get_data(as_text=True)


def test_log_lines_are_json_with_time_level_request_user_role_event_and_target(client, make_user):
    user = make_user("officer")
    lines = captured_lines(lambda: client.post("/login", data={"email": user.email, "password": PASSWORD}))
    entries = [json.loads(line) for line in lines]
    login = next(entry for entry in entries if entry.get("event") == "login")
    assert {"time", "level", "request_id", "user_id", "role", "event", "target"} <= set(login)
    assert login["time"].endswith("+00:00") and login["role"] == "officer" and login["user_id"] == user.id
    assert PASSWORD not in "\n".join(lines) and user.email not in "\n".join(lines)
    request_line = next(entry for entry in entries if entry.get("event") == "request")
    assert request_line["status"] == 302 and request_line["request_id"] == login["request_id"]


def test_a_newline_typed_by_a_user_never_starts_a_log_line(client):
    forged = 'x@example.test\n{"level": "INFO", "event": "login", "user_id": 1}'
    lines = captured_lines(lambda: client.post("/login", data={"email": forged, "password": "p\nw"}))
    lines += captured_lines(lambda: client.get("/cases/TS-2026-000001%0A{\"event\":\"forged\"}"))
    for line in lines:
        assert "\n" not in line
        json.loads(line)
    assert not any(json.loads(line).get("event") == "forged" for line in lines)


def test_security_events_are_stored_on_one_line_with_role_and_request_id(client, login_as):
    login_as("consumer")
    response = client.get("/cases/TS-2026-000001\n", headers={"X-Request-ID": "req-newline-test"})
    assert response.status_code == 404
    client.post("/logout")
    client.post("/login", data={"email": "a\nb@example.test", "password": "x"})
    events = db.session.scalars(select(SecurityEvent).order_by(SecurityEvent.id)).all()
    assert all("\n" not in event.target for event in events)
    failed = next(event for event in events if event.kind == "login_failed")
    assert failed.target == "a\\nb@example.test" and failed.role == "anonymous" and failed.request_id
    kinds = {event.kind: event for event in events}
    assert {"login", "logout", "login_failed"} <= set(kinds)
    assert kinds["logout"].role == "consumer" and kinds["logout"].request_id


def test_denied_access_and_refused_transitions_carry_role_and_request_id(client, login_as, make_case, cast):
    case = make_case("complaint", state="submitted")
    login_as(cast.enterprise_user)
    client.get(f"/cases/{case.number}", headers={"X-Request-ID": "req-denied-0001"})
    client.post("/logout")
    login_as(cast.applicant)
    client.post(f"/cases/{case.number}/actions/accept", data={"version": case.version},
                headers={"X-Request-ID": "req-refused-0001"})
    denied = db.session.scalars(select(SecurityEvent).where(SecurityEvent.kind == "access_denied")).one()
    refused = db.session.scalars(select(SecurityEvent).where(SecurityEvent.kind == "transition_refused")).one()
    assert (denied.role, denied.request_id) == ("enterprise", "req-denied-0001")
    assert (refused.role, refused.request_id) == ("consumer", "req-refused-0001")


def test_a_display_name_with_a_newline_is_stored_on_one_line(client):
    response = client.post("/register", data=registration(display_name="Alice\nINFO admin logged in"))
    assert response.status_code == 302
    user = db.session.scalars(select(User).where(User.email == registration()["email"])).one()
    assert user.display_name == "Alice INFO admin logged in"


def test_single_line_escapes_every_line_break():
    assert single_line("a\nb\rc\x00d\u2028e") == "a\\nb\\rc\\x00d\\u2028e"


def test_the_secret_scan_finds_each_kind_of_secret():
    text = "\n".join([
        '{"message": "code ABCDE-FGH23"}',
        '{"message": "cookie session=eyJfdXNlcl9pZCI6IjEifQ.Z0abcd.abcdefghijklmnopqrstuvw"}',
        '{"message": "token tks_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"}',
        '{"message": "call 13812345678"}',
        '{"message": "id 11010519491231002X"}',
        '{"message": "typed correct horse battery staple"}',
    ])
    found = find_secrets(text, {PASSWORD})
    for label in ("access code", "session cookie", "session token", "phone number", "ID-card number", "password"):
        assert any(label in finding for finding in found), label
    assert find_secrets('{"message": "case TS-2026-000123, request 3f2a9c0e1b7d4e6f8a9b0c1d2e3f4a5b"}', set()) == []


def test_a_secret_that_reaches_the_log_is_found_at_the_end_of_the_run():
    # A logger of its own, so that the run's own scan does not find this planted password.
    suite_log = SuiteLog(loggers=("secret-scan-self-test",))
    suite_log.attach()
    try:
        logging.getLogger("secret-scan-self-test").warning("the user typed %s", PASSWORD)
        findings = suite_log.findings()
        suite_log.known_secrets.add(PASSWORD)
        assert len(suite_log.findings()) == 1
    finally:
        suite_log.detach()
    assert findings == []


def test_pages_are_not_shared_with_other_windows_and_personal_ones_are_not_cached(client, login_as, make_case):
    case = make_case("complaint")
    static = client.get("/static/css/app.css")
    static.close()
    assert "no-store" not in static.headers.get("Cache-Control", "")
    login_as(case.applicant)
    draft = filing.start_draft(db.session, CaseKind.COMPLAINT, case.applicant, None)
    db.session.commit()
    for path in (f"/cases/{case.number}", "/account/password", "/", f"/file/review/{draft.token}", "/login"):
        response = client.get(path)
        assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin", path
        assert "no-store" in response.headers["Cache-Control"], path


def test_a_throttled_tracking_request_is_a_security_event(client):
    for _attempt in range(filing.TRACK_LIMIT_PER_CASE + 1):
        response = client.post("/track", data={"number": "TS-2026-000777", "access_code": "AAAAA-BBBBB"},
                               environ_base={"REMOTE_ADDR": "192.0.2.77"})
    assert response.status_code == 429
    event = db.session.scalars(select(SecurityEvent).where(SecurityEvent.kind == "throttled")).one()
    assert (event.role, event.target, event.remote_addr) == ("anonymous", "/track", "192.0.2.77")
    assert event.request_id == response.headers["X-Request-ID"]


def test_the_runs_log_capture_survives_the_migrations(app, client):
    response = client.get("/login", headers={"X-Request-ID": "capture-check-0001"})
    assert response.status_code == 200
    assert '"request_id": "capture-check-0001"' in SUITE_LOG.captured_text()
