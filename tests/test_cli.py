"""The `flask tracker` commands on a real, migrated database."""

import io
import re
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func
from sqlalchemy import select

from tests.factories import gen_case
from tests.factories import gen_cast
from tests.factories import gen_user
from tracker.extensions import db
from tracker.models import Alert
from tracker.models import CalendarYear
from tracker.models import Case
from tracker.models import CaseKind
from tracker.models import Commission
from tracker.models import CustodyEntry
from tracker.models import Deadline
from tracker.models import FilingDraft
from tracker.models import OutboxMessage
from tracker.models import PanelMember
from tracker.models import RecusalRequest
from tracker.models import Role
from tracker.models import User
from tracker.models import UserSession
from tracker.models import utcnow
from tracker.services import filing
from tracker.services import sessions
from tracker.services.attachments import EvidencePolicy
from tracker.services.attachments import attach_evidence
from tracker.workflow import states_of
from tracker.working_days import local_date


@pytest.fixture
def fresh_app(databases):
    """An app on its own empty, migrated database."""
    app = databases.migrated_app("cli")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def run(app, *args):
    return app.test_cli_runner().invoke(args=["tracker", *args])


def test_demo_creates_one_account_per_role_and_every_state_once(fresh_app):
    result = run(fresh_app, "demo")
    assert result.exit_code == 0, result.output
    logins = re.findall(r"^\s+(\w+)\s+(\S+@\S+)\s+(\S+)$", result.output, re.MULTILINE)
    assert {role for role, _, _ in logins} == {"admin", "officer", "consumer", "enterprise", "expert"}
    with fresh_app.app_context():
        for kind in CaseKind:
            present = set(db.session.scalars(select(Case.state).where(Case.kind == kind)))
            assert present == set(states_of(kind)), kind
        assert db.session.scalar(select(func.count()).select_from(Deadline).where(Deadline.overdue_at.is_not(None)))
        assert_cases_wait_at_every_panel_and_inspection_step()
        db.session.remove()
    assert run(fresh_app, "audit-verify").exit_code == 0
    again = run(fresh_app, "demo")
    assert again.exit_code == 0 and "already loaded" in again.output
    with fresh_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == len(logins)
        db.session.remove()


def assert_cases_wait_at_every_panel_and_inspection_step() -> None:
    """The steps the states alone do not show: confirmations, a departure, a recusal request, custody, open windows."""
    waiting = db.session.scalars(select(Commission).join(Case).where(Case.state == "commission_pending")).all()
    assert any(c.consumer_confirmed_at is None and c.enterprise_confirmed_at is not None for c in waiting)
    assert any(c.enterprise_confirmed_at is None and c.consumer_confirmed_at is not None for c in waiting)
    departed = db.session.scalars(select(PanelMember).join(Case).where(
        Case.state == "investigation", PanelMember.departure == "declined")).all()
    assert departed
    assert db.session.scalars(select(RecusalRequest).where(RecusalRequest.decided_at.is_(None))).first() is not None
    assert db.session.scalars(select(CustodyEntry)).first() is not None
    today = local_date(utcnow())
    for kind in (CaseKind.ARBITRATION, CaseKind.APPRAISAL):
        in_window = db.session.scalars(select(Case).where(Case.kind == kind, Case.state == "objection_window")).all()
        served = [case.report_rounds[-1].served_on for case in in_window]
        assert served and all(today - timedelta(days=15) <= day <= today for day in served), kind


def test_sweep_marks_overdue_cases_and_is_idempotent(fresh_app):
    with fresh_app.app_context():
        cast = gen_cast()
        gen_case(cast, "complaint", filed_at=datetime(2026, 3, 2, 2, tzinfo=UTC))
        db.session.commit()
        db.session.remove()
    first = run(fresh_app, "sweep", "--now", "2026-04-01T02:00:00+00:00")
    assert first.exit_code == 0, first.output
    assert "swept: 1 overdue deadlines on 1 cases" in first.output
    second = run(fresh_app, "sweep", "--now", "2026-04-01T02:00:00+00:00")
    assert "swept: 0 overdue deadlines on 0 cases" in second.output


def test_sweep_refuses_a_time_without_a_timezone(fresh_app):
    result = run(fresh_app, "sweep", "--now", "2026-04-01T02:00:00")
    assert result.exit_code == 2
    assert "timezone" in result.output


def test_calendar_year_fills_the_gap_and_dates_pending_deadlines(fresh_app):
    with fresh_app.app_context():
        gen_case(gen_cast(), "complaint", filed_at=datetime(2026, 12, 28, 2, tzinfo=UTC))
        db.session.commit()
        db.session.remove()
    draft = run(fresh_app, "calendar-year", "2027", "--holiday", "2027-01-01=元旦")
    assert draft.exit_code == 0 and "draft; 0 pending deadlines dated" in draft.output
    complete = run(fresh_app, "calendar-year", "2027", "--complete")
    assert complete.exit_code == 0, complete.output
    assert "1 exceptions, complete; 1 pending deadlines dated" in complete.output
    with fresh_app.app_context():
        assert db.session.scalars(select(Alert).where(Alert.key == "calendar:2027")).one().resolved_at is not None
        db.session.remove()


@pytest.mark.parametrize(
    ("argument", "message"),
    [("2027-02-30", "is not a date"), ("2026-05-01", "is not in 2027"), ("tomorrow", "is not a date")],
)
def test_calendar_year_refuses_bad_dates_and_writes_nothing(fresh_app, argument, message):
    result = run(fresh_app, "calendar-year", "2027", "--holiday", argument)
    assert result.exit_code == 2
    assert message in result.output
    with fresh_app.app_context():
        assert db.session.get(CalendarYear, 2027) is None
        db.session.remove()


def test_send_outbox_prints_messages_without_a_mail_server(fresh_app):
    with fresh_app.app_context():
        db.session.add(OutboxMessage(recipient="officer@example.test", subject="Overdue", body="TS-2026-000001"))
        db.session.commit()
        db.session.remove()
    result = run(fresh_app, "send-outbox")
    assert result.exit_code == 0
    assert "To: officer@example.test" in result.output and "sent 1 messages" in result.output


def test_the_readme_shows_the_diagrams_generated_from_the_tables(fresh_app):
    generated = run(fresh_app, "diagrams").output
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert generated.strip() in readme


def test_purge_removes_abandoned_drafts_and_their_unshared_files_but_keeps_recent_and_filed_ones(fresh_app):
    root = Path(fresh_app.config["UPLOAD_FOLDER"])
    with fresh_app.app_context():
        consumer = gen_user(Role.CONSUMER)
        old = filing.start_draft(db.session, CaseKind.COMPLAINT, consumer, None)
        recent = filing.start_draft(db.session, CaseKind.COMPLAINT, consumer, None)
        db.session.flush()
        for draft, colour in ((old, (10, 20, 30)), (recent, (200, 0, 0))):
            buffer = io.BytesIO()
            Image.new("RGB", (8, 8), colour).save(buffer, "PNG")
            buffer.seek(0)
            attach_evidence(db.session, root=root, policy=EvidencePolicy(), stream=buffer,
                            original_name="photo.png", uploader=consumer, draft=draft)
        old.updated_at = utcnow() - timedelta(days=45)
        db.session.commit()
        old_file, recent_file = (root / draft.evidence[0].stored_name for draft in (old, recent))
        db.session.remove()
    result = run(fresh_app, "purge")
    assert result.exit_code == 0, result.output
    assert "purged: 1 unused files" in result.output
    assert not old_file.exists() and recent_file.exists()
    assert "0 sessions over" in result.output
    with fresh_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FilingDraft)) == 1
        db.session.remove()


def test_purge_deletes_sessions_long_over_and_keeps_the_rest(fresh_app):
    now = utcnow()
    with fresh_app.app_context():
        user = gen_user(Role.CONSUMER)
        lifetime = timedelta(hours=8)
        sessions.start_session(db.session, user, now=now - timedelta(days=40), lifetime=lifetime)
        ended_long_ago = sessions.start_session(db.session, user, now=now - timedelta(days=35), lifetime=timedelta(days=90))
        sessions.end_session(db.session, ended_long_ago, now=now - timedelta(days=34))
        recent = sessions.start_session(db.session, user, now=now - timedelta(days=2), lifetime=lifetime)
        live = sessions.start_session(db.session, user, now=now, lifetime=lifetime)
        user_id = user.id
        db.session.commit()
        db.session.remove()
    result = run(fresh_app, "purge")
    assert result.exit_code == 0, result.output
    assert "2 sessions over" in result.output
    with fresh_app.app_context():
        kept = set(db.session.scalars(select(UserSession.token_hash)))
        assert kept == {sessions.token_digest(recent), sessions.token_digest(live)}
        assert sessions.live_session_and_account(db.session, user_id, live, now=utcnow()) is not None
        db.session.remove()
