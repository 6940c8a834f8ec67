"""Alerts, the outbox and the security events, as administrators work through them."""

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from flask import current_app

from tests.factories import gen_user
from tracker import notifications
from tracker.extensions import db
from tracker.models import Alert
from tracker.models import OutboxMessage
from tracker.models import SecurityEvent
from tracker.models import utcnow
from tracker.notifications import MAX_ATTEMPTS
from tracker.services import security_log
from tracker.services.security_log import Cursor
from tracker.services.security_log import EventFilter
from tracker.web.admin import index as admin_index


def test_an_open_alert_is_resolved_with_a_note(client, login_as):
    admin = login_as("admin")
    alert = Alert(key="calendar:2027", message="Working-day calendar for 2027 is missing")
    db.session.add(alert)
    db.session.commit()
    page = client.get("/admin/alerts").get_data(as_text=True)
    assert f'data-alert="{alert.id}"' in page
    refused = client.post(f"/admin/alerts/{alert.id}/resolve", data={"note": "   "})
    assert refused.status_code == 422
    db.session.refresh(alert)
    assert alert.resolved_at is None
    response = client.post(f"/admin/alerts/{alert.id}/resolve", data={"note": "2027 年日历已录入"})
    assert response.status_code == 302
    db.session.refresh(alert)
    assert alert.resolved_at is not None
    assert (alert.resolved_by_id, alert.resolution_note) == (admin.id, "2027 年日历已录入")
    assert f'data-alert="{alert.id}"' not in client.get("/admin/alerts").get_data(as_text=True)
    resolved = client.get("/admin/alerts?show=resolved").get_data(as_text=True)
    assert f'data-alert="{alert.id}"' in resolved and "2027 年日历已录入" in resolved
    again = client.post(f"/admin/alerts/{alert.id}/resolve", data={"note": "again"})
    assert again.status_code == 409
    assert client.post("/admin/alerts/999999999/resolve", data={"note": "x"}).status_code == 404


def failed_message(**fields) -> OutboxMessage:
    message = OutboxMessage(recipient="officer@example.test", subject="Overdue: TS-2026-000001", body="…", **fields)
    db.session.add(message)
    db.session.flush()
    return message


def test_the_outbox_lists_failed_messages_only(client, login_as):
    login_as("admin")
    given_up = failed_message(attempts=MAX_ATTEMPTS, last_error="550 mailbox unavailable")
    refused_once = failed_message(attempts=1, last_error="421 try later")
    queued = failed_message(attempts=0)
    sent = failed_message(attempts=1, sent_at=datetime(2026, 3, 1, tzinfo=UTC))
    db.session.commit()
    page = client.get("/admin/outbox").get_data(as_text=True)
    for message in (given_up, refused_once):
        assert f'data-message="{message.id}"' in page
    for message in (queued, sent):
        assert f'data-message="{message.id}"' not in page
    assert "550 mailbox unavailable" in page


def test_a_retried_message_is_sent_by_the_next_run(client, login_as, app, capsys):
    login_as("admin")
    message = failed_message(attempts=MAX_ATTEMPTS, last_error="550 mailbox unavailable",
                             next_attempt_at=utcnow() + timedelta(hours=1))
    db.session.commit()
    assert notifications.send_pending(db.session, {"MAIL_SERVER": None}) == 0, "waiting out its back-off"
    response = client.post(f"/admin/outbox/{message.id}/retry")
    assert response.status_code == 302
    db.session.refresh(message)
    assert (message.attempts, message.last_error, message.sent_at, message.next_attempt_at) == (0, None, None, None)
    assert f'data-message="{message.id}"' not in client.get("/admin/outbox").get_data(as_text=True)
    assert notifications.send_pending(db.session, {"MAIL_SERVER": None}) == 1
    db.session.refresh(message)
    assert message.sent_at is not None
    assert "Overdue: TS-2026-000001" in capsys.readouterr().out
    assert client.post(f"/admin/outbox/{message.id}/retry").status_code == 409


def test_a_queued_message_cannot_be_retried(client, login_as):
    login_as("admin")
    queued = failed_message(attempts=0)
    db.session.commit()
    assert client.post(f"/admin/outbox/{queued.id}/retry").status_code == 409
    assert client.post("/admin/outbox/999999999/retry").status_code == 404


def logged(kind: str, user=None, *, at: datetime, target="/cases/TS-2026-000001") -> SecurityEvent:
    event = SecurityEvent(kind=kind, user_id=user.id if user else None, target=target, occurred_at=at,
                          remote_addr="203.0.113.9")
    db.session.add(event)
    db.session.flush()
    return event


@pytest.fixture
def event_log(db_session):
    """Events of two kinds by two users over three Beijing days."""
    alice, bob = gen_user("consumer"), gen_user("enterprise")
    # 2026-03-02 23:30 UTC is already 3 March in Beijing.
    events = {
        "alice_denied_2nd": logged("access_denied", alice, at=datetime(2026, 3, 2, 1, tzinfo=UTC)),
        "bob_denied_3rd": logged("access_denied", bob, at=datetime(2026, 3, 2, 23, 30, tzinfo=UTC)),
        "alice_login_3rd": logged("login_failed", alice, at=datetime(2026, 3, 3, 2, tzinfo=UTC)),
        "anonymous_4th": logged("access_denied", None, at=datetime(2026, 3, 4, 2, tzinfo=UTC)),
    }
    return alice, bob, events


def ids(page) -> list[int]:
    return [event.id for event, _email in page.events]


def test_security_events_filter_by_type_user_and_beijing_day(event_log):
    alice, bob, events = event_log
    everything = security_log.security_events(db.session, EventFilter())
    assert ids(everything)[:4] == [events[name].id for name in
                                   ("anonymous_4th", "alice_login_3rd", "bob_denied_3rd", "alice_denied_2nd")]
    by_kind = security_log.security_events(db.session, EventFilter(kind="login_failed"))
    assert ids(by_kind) == [events["alice_login_3rd"].id]
    by_user = security_log.security_events(db.session, EventFilter(user_email=alice.email.upper()))
    assert ids(by_user) == [events["alice_login_3rd"].id, events["alice_denied_2nd"].id]
    third = security_log.security_events(
        db.session, EventFilter(from_day=datetime(2026, 3, 3).date(), to_day=datetime(2026, 3, 3).date())
    )
    assert ids(third) == [events["alice_login_3rd"].id, events["bob_denied_3rd"].id]
    combined = security_log.security_events(db.session, EventFilter(kind="access_denied", user_email=bob.email))
    assert ids(combined) == [events["bob_denied_3rd"].id]
    nobody = security_log.security_events(db.session, EventFilter(user_email="nobody@example.test"))
    assert nobody.unknown_user and nobody.events == []


def test_security_events_are_keyset_paginated_without_gaps_or_repeats(db_session):
    start = datetime(2026, 3, 2, 1, tzinfo=UTC)
    # Three events share one instant, so the id must break the tie.
    made = [logged("access_denied", at=start + timedelta(minutes=minute)) for minute in (0, 1, 1, 1, 2, 3, 4)]
    seen, cursor = [], None
    while True:
        page = security_log.security_events(
            db.session, EventFilter(from_day=start.date(), to_day=start.date()), after=cursor, per_page=2
        )
        seen += ids(page)
        cursor = page.next_cursor
        if cursor is None:
            break
        assert Cursor.decode(cursor.encode()) == cursor
    assert sorted(seen) == sorted(event.id for event in made) and len(seen) == len(set(seen))


def test_the_security_events_page_filters_and_follows_the_cursor(client, login_as, event_log):
    login_as("admin")
    alice, _bob, events = event_log
    db.session.commit()
    page = client.get(f"/admin/security-events?kind=access_denied&user={alice.email}").get_data(as_text=True)
    assert f'data-event="{events["alice_denied_2nd"].id}"' in page
    assert f'data-event="{events["alice_login_3rd"].id}"' not in page
    dated = client.get("/admin/security-events?from_day=2026-03-04&to_day=2026-03-04").get_data(as_text=True)
    assert f'data-event="{events["anonymous_4th"].id}"' in dated
    assert f'data-event="{events["alice_denied_2nd"].id}"' not in dated
    assert client.get("/admin/security-events?after=garbage&kind=%00").status_code == 200
    assert client.get("/admin/security-events?from_day=not-a-day").status_code == 422
    assert client.get("/admin/security-events?to_day=9999-12-31&from_day=0001-01-01").status_code == 422
    assert client.get("/admin/security-events?after=0001-01-01T00:00:00%2B14:00_5").status_code == 200


def test_many_events_page_through_older_links(client, login_as):
    login_as("admin")
    start = datetime(2026, 3, 2, 1, tzinfo=UTC)
    for minute in range(security_log.EVENTS_PER_PAGE + 5):
        logged("login_failed", at=start + timedelta(minutes=minute), target=f"probe-{minute}")
    db.session.commit()
    first = client.get("/admin/security-events?kind=login_failed").get_data(as_text=True)
    assert "probe-54" in first and "probe-4<" not in first
    older = first.split('id="older-events" href="')[1].split('"')[0].replace("&amp;", "&")
    second = client.get(older).get_data(as_text=True)
    assert "probe-4<" in second and "probe-54" not in second
    assert current_app.config["TESTING"]


def test_the_index_links_the_pages_this_app_serves_with_live_counts(client, login_as, monkeypatch):
    login_as("admin")
    monkeypatch.setattr(admin_index, "ADMIN_PAGES", (*admin_index.ADMIN_PAGES, ("/admin/not-built-yet", "Nowhere", "Nothing")))
    before = client.get("/admin/").get_data(as_text=True)
    for path in ("/admin/enterprises", "/admin/taxonomy", "/admin/rule-sets", "/admin/calendar", "/admin/alerts",
                 "/admin/outbox", "/admin/security-events"):
        assert f'href="{path}"' in before
    assert "/admin/not-built-yet" not in before
    failed_message(attempts=MAX_ATTEMPTS, last_error="550")
    failed_message(attempts=1, last_error="421")
    db.session.commit()
    after = client.get("/admin/").get_data(as_text=True)
    count = after.split('data-count="/admin/outbox"><span class="badge')[1].split(">")[1].split("<")[0]
    assert int(count) == 2 + int(before.split('data-count="/admin/outbox"><span class="badge')[1].split(">")[1].split("<")[0])
