"""The schema comes only from the migrations, which round-trip and agree with the models."""

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy import select

from tracker import create_app
from tracker.extensions import db
from tracker.models import RuleSet


def test_upgrade_downgrade_upgrade_round_trips(databases):
    url = databases.new_url("roundtrip")
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        flask_migrate.upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"cases", "audit_events", "deadlines", "rule_sets", "users"} <= tables
        flask_migrate.downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        flask_migrate.upgrade()
        assert set(inspect(db.engine).get_table_names()) == tables
        db.engine.dispose()
    databases.drop(url)


def test_the_models_and_the_migrations_agree(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_the_default_rule_set_of_design_section_3_is_shipped(app, db_session):
    rule_set = db.session.scalars(select(RuleSet)).one()
    assert (
        rule_set.acceptance_working_days,
        rule_set.enterprise_response_working_days,
        rule_set.mediation_working_days,
        rule_set.mediation_notice_working_days,
        rule_set.objection_days,
        rule_set.reopen_window_days,
    ) == (7, 10, 45, 7, 15, 5)
