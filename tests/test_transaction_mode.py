"""SQLite: reading requests begin deferred transactions and never queue behind a writer; writers still queue."""

import sqlite3

import pytest
from sqlalchemy import func
from sqlalchemy import select

from tests.factories import gen_cast
from tracker import database
from tracker.extensions import db
from tracker.models import SecurityEvent
from tracker.models import User


@pytest.fixture
def file_app(databases):
    """A migrated SQLite file database with a few accounts, and a raw connection to it for the other writer."""
    if databases.backend != "sqlite":
        pytest.skip("transaction modes are a SQLite matter; PostgreSQL readers never wait for writers")
    app = databases.migrated_app("modes")
    with app.app_context():
        gen_cast()
        db.session.commit()
        db.session.remove()
        path = db.engine.url.database
    other = sqlite3.connect(path, isolation_level=None, timeout=0.1)
    yield app, other
    other.close()
    with app.app_context():
        db.engine.dispose()


def test_a_reading_request_reads_while_another_process_holds_the_write_lock(file_app):
    app, other = file_app
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE users SET display_name = 'held' WHERE id = (SELECT min(id) FROM users)")
    try:
        with app.test_request_context("/", method="GET"):
            app.preprocess_request()
            assert db.session.scalar(select(func.count()).select_from(User)) >= 6
            db.session.remove()
    finally:
        other.execute("ROLLBACK")


def test_a_writing_request_begins_immediate_and_waits_for_the_lock(file_app):
    app, other = file_app
    with app.test_request_context("/cases/x", method="POST"):
        app.preprocess_request()
        db.session.scalar(select(func.count()).select_from(User))
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        db.session.rollback()
        db.session.remove()


def test_a_reading_request_that_writes_after_another_commit_takes_the_lock_instead_of_failing(file_app):
    app, other = file_app
    with app.app_context(), database.reads_only():
        officer = db.session.scalars(select(User).order_by(User.id)).first()
        other.execute("INSERT INTO security_events (occurred_at, kind, target) VALUES ('2026-01-01', 'x', 'other')")
        db.session.add(SecurityEvent(kind="access_denied", user_id=officer.id, target="/cases/none"))
        db.session.commit()
        targets = set(db.session.scalars(select(SecurityEvent.target)))
        db.session.remove()
    assert targets == {"other", "/cases/none"}
