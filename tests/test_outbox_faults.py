"""The mail server down: filings still succeed, mail waits, the administrators are alerted, and nothing is lost."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from tests.factories import gen_enterprise
from tests.factories import gen_user
from tests.mailserver import LoopbackSMTPServer
from tests.test_web_filing import CASE_NUMBER
from tests.test_web_filing import anonymous_contact
from tests.test_web_filing import form_data
from tests.test_web_filing import submit_and_confirm
from tracker import notifications
from tracker.extensions import db
from tracker.models import Alert
from tracker.models import OutboxMessage
from tracker.models import Role
from tracker.models import utcnow

pytestmark = pytest.mark.faults


@pytest.fixture
def mail_server():
    """A real SMTP server on a loopback port."""
    server = LoopbackSMTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(databases, mail_server):
    """A fresh migrated database whose app sends mail to the loopback server."""
    app = databases.migrated_app("outbox", MAIL_SERVER="127.0.0.1", MAIL_PORT=mail_server.port)
    yield app
    with app.app_context():
        db.engine.dispose()


def unsent_count() -> int:
    """Messages still waiting in the outbox."""
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None)))


def test_with_the_mail_server_down_filing_succeeds_mail_waits_admins_are_alerted_and_sending_resumes(
    mail_app, mail_server
):
    mail_server.stop()
    now = utcnow()
    with mail_app.app_context():
        gen_user(Role.ADMIN)
        enterprise = gen_enterprise()
        db.session.commit()
        client = mail_app.test_client()
        posted = client.post("/file/complaint", data={**form_data("complaint", enterprise), **anonymous_contact()})
        assert posted.status_code == 302, posted.get_data(as_text=True)[:2000]
        done = submit_and_confirm(client, posted.location).get_data(as_text=True)
        number = CASE_NUMBER.search(done).group(1)
        waiting = unsent_count()
        assert waiting >= 1
        for attempt in range(notifications.MAX_ATTEMPTS):
            assert notifications.send_pending(db.session, mail_app.config, now=now) == 0
            now += notifications.LONGEST_RETRY_WAIT
        assert unsent_count() >= waiting
        failed = db.session.scalars(select(OutboxMessage).where(OutboxMessage.attempts > 0)).one()
        assert failed.attempts == notifications.MAX_ATTEMPTS
        assert failed.last_error
        alert = db.session.scalars(select(Alert).where(Alert.key == notifications.OUTBOX_ALERT_KEY)).one()
        assert alert.resolved_at is None
        assert "MAIL_SERVER" in alert.message

        mail_server.start()
        everything = unsent_count()
        assert notifications.send_pending(db.session, mail_app.config, now=now) == everything
        assert unsent_count() == 0
        assert db.session.get(Alert, alert.id).resolved_at is not None
        db.session.remove()
    subjects = mail_server.subjects()
    assert len(subjects) == everything
    assert any(number in subject for subject in subjects)
    assert any("Alert: outbox" in subject for subject in subjects), "the alert itself reached the administrators"


def test_two_senders_at_once_send_each_message_exactly_once(databases):
    server = LoopbackSMTPServer(delay_seconds=0.005).start()
    app = databases.migrated_app("outbox_race", MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    try:
        with app.app_context():
            for number in range(60):
                notifications.queue_message(db.session, f"r{number}@example.test", f"message {number}", "body")
            db.session.commit()
            db.session.remove()
        barrier = threading.Barrier(2)
        counts: list[int] = []

        def run_sender() -> None:
            with app.app_context():
                barrier.wait(timeout=10)
                counts.append(notifications.send_pending(db.session, app.config))
                db.session.remove()

        senders = [threading.Thread(target=run_sender) for _ in range(2)]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(timeout=120)
        subjects = server.subjects()
        assert sorted(subjects) == sorted(f"message {number}" for number in range(60))
        assert sum(counts) == 60
        assert all(count > 0 for count in counts), f"both senders took part: {counts}"
        with app.app_context():
            assert unsent_count() == 0
            db.session.remove()
    finally:
        server.stop()
        with app.app_context():
            db.engine.dispose()


def test_a_claim_left_by_a_sender_that_died_lapses_and_the_message_is_sent(mail_app, mail_server):
    now = utcnow()
    with mail_app.app_context():
        notifications.queue_message(db.session, "a@example.test", "orphaned", "body")
        db.session.commit()
        envelope = notifications.claim_next(db.session, "dead-sender", now)
        assert envelope is not None
        assert notifications.send_pending(db.session, mail_app.config, now=now) == 0
        later = now + notifications.CLAIM_LEASE + timedelta(seconds=1)
        assert notifications.send_pending(db.session, mail_app.config, now=later) == 1
        db.session.remove()
    assert mail_server.subjects() == ["orphaned"]
