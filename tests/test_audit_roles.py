"""On PostgreSQL the application's role may only read and append to the audit table: no trigger dropped, no row changed."""

import uuid

import pytest
from sqlalchemy import create_engine
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from tests.factories import gen_case
from tests.factories import gen_cast
from tracker import create_app
from tracker.extensions import db
from tracker.models import AuditEvent

#: The group role the migration grants to, and the one that owns audit_events (migrations/versions/0006).
APP_ROLE = "tracker_app"
AUDIT_OWNER_ROLE = "tracker_audit_owner"


@pytest.fixture
def app_role_url(databases):
    """A migrated database and the URL of a login role that is a member of tracker_app, as the README sets it up."""
    if databases.backend != "postgresql":
        pytest.skip("roles and grants are PostgreSQL's")
    migrated = databases.migrated_app("roles")
    owner_url = migrated.config["SQLALCHEMY_DATABASE_URI"]
    login_role = f"tracker_web_{uuid.uuid4().hex[:8]}"
    admin = create_engine(owner_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE ROLE {login_role} LOGIN IN ROLE {APP_ROLE}"))
    yield make_url(owner_url).set(username=login_role).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f"REASSIGN OWNED BY {login_role} TO CURRENT_USER"))
        connection.execute(text(f"DROP OWNED BY {login_role}"))
    admin.dispose()
    databases.drop(owner_url)
    cluster = create_engine(make_url(owner_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with cluster.connect() as connection:
        connection.execute(text(f"DROP ROLE {login_role}"))
    cluster.dispose()


def test_the_application_role_files_and_drives_cases(app_role_url):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=app_role_url)
    with app.app_context():
        case = gen_case(gen_cast(), "complaint", "settled")
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case.id)) == 5
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("DROP TRIGGER audit_events_append_only ON audit_events", "must be owner"),
        ("ALTER TABLE audit_events DISABLE TRIGGER ALL", "must be owner"),
        ("UPDATE audit_events SET action = 'forged'", "permission denied"),
        ("DELETE FROM audit_events", "permission denied"),
        ("TRUNCATE audit_events", "permission denied"),
        ("ALTER TABLE audit_events OWNER TO CURRENT_USER", "must be owner"),
    ],
)
def test_the_application_role_cannot_change_the_audit_trail(app_role_url, statement, message):
    engine = create_engine(app_role_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT current_user")).scalar() != AUDIT_OWNER_ROLE
            with pytest.raises(ProgrammingError, match=message):
                connection.execute(text(statement))
    finally:
        engine.dispose()
