"""The bare baseline: Flask and SQLAlchemy doing the minimum database work of each hot path, nothing else.

Served by gunicorn exactly like the app (`gunicorn bench.baseline_app:app`), on the same database
(`BASELINE_DATABASE_URL`), so that each figure of the app can be read as a ratio of this one.
"""

import os
import uuid
from datetime import UTC
from datetime import datetime

from flask import Flask
from flask import abort
from flask import has_request_context
from flask import render_template_string
from flask import request
from sqlalchemy import MetaData
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy import insert
from sqlalchemy import select

CASE_TEMPLATE = """<!doctype html><title>{{ case.number }}</title>
<h1>{{ case.number }}</h1><p>{{ case.state }} · {{ case.product_name }}</p><p>{{ case.narrative }}</p>"""
PAGE_TEMPLATE = """<!doctype html><title>cases</title><ul>{% for case in cases %}
<li><a href="/case/{{ case.number }}">{{ case.number }}</a> {{ case.state }} {{ case.product_name }}</li>
{% endfor %}</ul>{% if cases %}
<a rel="next" href="?state={{ state }}&officer={{ officer }}&after={{ cases[-1].id }}">next</a>{% endif %}"""

app = Flask(__name__)
engine = create_engine(os.environ["BASELINE_DATABASE_URL"], pool_pre_ping=True)
if engine.dialect.name == "sqlite":

    @event.listens_for(engine, "connect")
    def _sqlite_on_connect(dbapi_connection, connection_record) -> None:
        """The same SQLite settings as the app: WAL, a busy timeout, transactions begun by us."""
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_on_begin(connection) -> None:
        """Writers take the lock at once, readers do not, as in the app."""
        writing = has_request_context() and request.method == "POST"
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


metadata = MetaData()
metadata.reflect(engine, only=["cases", "audit_events"])
cases = metadata.tables["cases"]
audit_events = metadata.tables["audit_events"]


@app.post("/insert")
def insert_case():
    """One case row and one audit row in one transaction."""
    now = datetime.now(UTC)
    token = uuid.uuid4().hex
    with engine.begin() as connection:
        case_id = connection.execute(
            insert(cases).returning(cases.c.id),
            {
                "number": "BL-" + token[:16], "access_code_hash": token * 2, "kind": "complaint",
                "state": "submitted", "version": 1, "rule_set_id": 1, "product_name": "电热水壶",
                "narrative": "使用一周后底座漏电。", "consent_forward_contact": False, "consent_publish": False,
                "filed_at": now, "updated_at": now,
            },
        ).scalar_one()
        connection.execute(
            insert(audit_events),
            {
                "case_id": case_id, "seq": 1, "occurred_at": now, "actor_role": "consumer", "action": "submit",
                "to_state": "submitted", "body": "{}", "visibility": "parties", "prev_hash": "0" * 64,
                "hash": token * 2,
            },
        )
    return "", 201


@app.get("/case/<number>")
def show_case(number: str):
    """One case by its key, through a small template."""
    with engine.connect() as connection:
        case = connection.execute(select(cases).where(cases.c.number == number)).first()
    if case is None:
        abort(404)
    return render_template_string(CASE_TEMPLATE, case=case)


@app.get("/page")
def page():
    """A keyset page of 50 cases filtered by state and officer."""
    state = request.args.get("state", "submitted")
    officer = request.args.get("officer", type=int)
    after = request.args.get("after", type=int)
    query = select(cases.c.id, cases.c.number, cases.c.state, cases.c.product_name).where(
        cases.c.state == state, cases.c.assigned_officer_id == officer
    )
    if after is not None:
        query = query.where(cases.c.id < after)
    with engine.connect() as connection:
        rows = connection.execute(query.order_by(cases.c.id.desc()).limit(50)).all()
    return render_template_string(PAGE_TEMPLATE, cases=rows, state=state, officer=officer)
