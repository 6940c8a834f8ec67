"""Seed a benchmark database: the demo cases of every kind and state, cloned N times through bulk paths.

The demo data (`tracker.demo.load`) drives one case of each kind into each state through the real workflow.
Each clone copies one of those cases with its audit trail, deadlines, messages, evidence and panel, under a new
number; the audit chain is re-hashed for the new number with `tracker.audit.compute_hash`, so
`flask tracker audit-verify` accepts every clone. Rows go in with `COPY` on PostgreSQL and `executemany` in
large transactions on SQLite.
"""

import itertools
import time
from collections import defaultdict
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

import flask_migrate
from sqlalchemy import Connection
from sqlalchemy import select
from sqlalchemy import text

from tracker import audit
from tracker import create_app
from tracker import demo
from tracker.extensions import db
from tracker.models import CASE_NUMBER_PREFIX
from tracker.models import CaseKind
from tracker.models import DeadlineStatus
from tracker.models import Role
from tracker.models import User
from tracker.models import utcnow
from tracker.models import workspace
from tracker.security import hash_access_code
from tracker.working_days import local_date

#: Every clone opens with this access code, so that the benchmark can track any case.
BENCH_ACCESS_CODE = "BENCH-00001"
#: Officers the clones are assigned to (the demo officer is the first).
OFFICERS = 10
#: Consumer accounts the clones are spread over (the demo consumer keeps the demo cases).
CONSUMERS = 1000
#: Cases written per transaction.
BATCH = 5000
#: Share of clones' running clocks already marked overdue by an earlier sweep (the rest are due in 30 days).
ALREADY_OVERDUE_EVERY = 20
#: Clocks whose lapse the sweep acts on (it ends the mediation, makes the report final) rather than only marks:
#: the sweep that marked one overdue would have acted on it too, so a clone never holds one already past due.
ACTED_ON_WHEN_LAPSED = ("mediation", "objection")
#: The tables cloned with each case, in foreign-key order.
CHILD_TABLES = ("audit_events", "deadlines", "messages", "evidence", "panel_members")
#: The officer workspace's read tables (keyed by case, no id of their own), written for each clone as the flush
#: hook of tracker.models.workspace writes them for a case saved through the ORM.
WORKSPACE_TABLES = ("case_queue_entries", "case_search_terms")


@dataclass
class SeedResult:
    """What the benchmark needs to know about the seeded database."""

    cases: int
    seconds: float
    logins: dict[str, tuple[str, str]]
    officer_id: int
    consumer_case: str
    tracking_case: str


def bench_app(url: str):
    """An app on the benchmark database (cheap password hashing, as for the demo accounts' sessions)."""
    return create_app("testing", SQLALCHEMY_DATABASE_URI=url)


def seed(url: str, cases: int, progress: Callable[[str], None] = print) -> SeedResult:
    """Migrate, load the demo data, add accounts, and clone the demo cases until there are `cases` of them."""
    started = time.monotonic()
    app = bench_app(url)
    with app.app_context():
        flask_migrate.upgrade()
        rows = demo.load(db.session, app.extensions["password_hasher"])
        db.session.commit()
        logins = {role: (email, password) for role, email, password in rows}
        officer_ids, consumer_ids = _add_accounts(db.session, logins)
        db.session.commit()
        with db.engine.connect() as connection:
            templates = _templates(connection)
            progress(f"  templates: {len(templates.cases)} demo cases of every kind and state")
            demo_count = len(templates.cases)
            _clone(connection, templates, max(cases - demo_count, 0), officer_ids, consumer_ids, progress)
            connection.commit()
        consumer_case = db.session.scalar(
            select(text("number")).select_from(text("cases")).where(text("applicant_id = :id")).limit(1),
            {"id": db.session.scalar(select(User.id).where(User.email == logins["consumer"][0]))},
        )
        tracking_case = db.session.scalar(text("SELECT max(number) FROM cases WHERE number LIKE 'TS-%'"))
        db.session.remove()
        db.engine.dispose()
    return SeedResult(
        cases=max(cases, demo_count),
        seconds=time.monotonic() - started,
        logins=logins,
        officer_id=officer_ids[0],
        consumer_case=consumer_case,
        tracking_case=tracking_case,
    )


def _add_accounts(session, logins: dict[str, tuple[str, str]]) -> tuple[list[int], list[int]]:
    """More officers and consumers, sharing the demo accounts' password hashes (hashing each would take minutes)."""
    officer = session.scalars(select(User).where(User.email == logins["officer"][0])).one()
    consumer = session.scalars(select(User).where(User.email == logins["consumer"][0])).one()
    for number in range(1, OFFICERS):
        session.add(User(email=f"officer{number}@bench.test", display_name=f"承办人{number}",
                         password_hash=officer.password_hash, role=Role.OFFICER))
    for number in range(CONSUMERS):
        session.add(User(email=f"consumer{number}@bench.test", display_name=f"消费者{number}",
                         password_hash=consumer.password_hash, role=Role.CONSUMER))
    session.flush()
    officers = [officer.id] + list(session.scalars(
        select(User.id).where(User.role == Role.OFFICER, User.email.like("%@bench.test")).order_by(User.id)))
    consumers = list(session.scalars(
        select(User.id).where(User.role == Role.CONSUMER, User.email.like("%@bench.test")).order_by(User.id)))
    return officers, consumers


def _templates(connection: Connection) -> SimpleNamespace:
    """The demo cases and their child rows, as plain dicts."""
    tables = db.metadata.tables
    case_rows = [dict(row) for row in connection.execute(select(tables["cases"]).order_by(text("id"))).mappings()]
    children = {}
    for name in CHILD_TABLES:
        by_case = defaultdict(list)
        order = ("case_id", "seq") if name == "audit_events" else ("case_id", "id")
        query = select(tables[name]).where(tables[name].c.case_id.is_not(None)).order_by(*map(text, order))
        for row in connection.execute(query).mappings():
            by_case[row["case_id"]].append(dict(row))
        children[name] = by_case
    enterprises = {row["id"]: SimpleNamespace(**row)
                   for row in connection.execute(select(tables["enterprises"])).mappings()}
    children["queue_entries"] = {
        row["case_id"]: dict(row) for row in connection.execute(select(tables["case_queue_entries"])).mappings()
    }
    children["search_terms"] = {
        row["id"]: workspace.terms_of(
            workspace.searchable_texts(SimpleNamespace(**row), enterprises.get(row["enterprise_id"]))[1:]
        )
        for row in case_rows
    }
    return SimpleNamespace(cases=case_rows, children=children)


def _next_ids(connection: Connection) -> dict[str, itertools.count]:
    """Free primary keys per table, counting up from the current maximum."""
    ids = {}
    for name in ("cases", *CHILD_TABLES):
        current = connection.execute(text(f"SELECT coalesce(max(id), 0) FROM {name}")).scalar_one()  # noqa: S608
        ids[name] = itertools.count(current + 1)
    return ids


def _clone(connection, templates, count, officer_ids, consumer_ids, progress) -> None:
    """Write `count` clones in batches, then move the number counters and sequences past them."""
    if count == 0:
        return
    ids = _next_ids(connection)
    now = utcnow()
    today = local_date(now)
    year = today.year
    counters = {kind: itertools.count(100000) for kind in CaseKind}
    access_hash = hash_access_code(BENCH_ACCESS_CODE)
    writer = _writer(connection)
    started = time.monotonic()
    written = 0
    while written < count:
        batch = min(BATCH, count - written)
        rows = {name: [] for name in ("cases", *CHILD_TABLES, *WORKSPACE_TABLES)}
        for index in range(written, written + batch):
            template = templates.cases[index % len(templates.cases)]
            _clone_one(template, templates.children, index, rows, ids, counters, year, access_hash,
                       officer_ids, consumer_ids, now, today)
        for name in ("cases", *CHILD_TABLES, *WORKSPACE_TABLES):
            writer(name, rows[name])
        connection.commit()
        written += batch
        if written % (BATCH * 10) == 0 or written == count:
            elapsed = time.monotonic() - started
            progress(f"  cloned {written:>9,} cases in {elapsed:6.1f} s ({written / elapsed:,.0f}/s)")
    for kind, counter in counters.items():
        last = next(counter) - 1
        connection.execute(text("DELETE FROM case_number_counters WHERE prefix = :p AND year = :y"),
                           {"p": CASE_NUMBER_PREFIX[kind], "y": year})
        connection.execute(text("INSERT INTO case_number_counters (prefix, year, last_value) VALUES (:p, :y, :v)"),
                           {"p": CASE_NUMBER_PREFIX[kind], "y": year, "v": last})
    if connection.dialect.name == "postgresql":
        for name in ("cases", *CHILD_TABLES):
            connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id)) FROM {name}"))  # noqa: S608
        connection.commit()
        _vacuum(connection, progress)
    else:
        connection.execute(text("ANALYZE"))


def _vacuum(connection, progress) -> None:
    """VACUUM (ANALYZE) after the bulk load, so autovacuum does not arrive in the middle of a measurement.

    COPY leaves a million cases' rows without visibility-map bits or statistics; autovacuum would then
    process them while wrk runs, and the figures at a million cases would measure it too.
    """
    started = time.monotonic()
    connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM (ANALYZE)"))
    progress(f"  vacuumed and analysed in {time.monotonic() - started:.1f} s")


def _clone_one(template, children, index, rows, ids, counters, year, access_hash, officer_ids, consumer_ids,
               now, today) -> None:
    """One clone of a demo case, its timestamps moved back by `index` seconds so that orderings spread out."""
    shift = timedelta(seconds=index)
    case_id = next(ids["cases"])
    kind = CaseKind(template["kind"])
    number = f"{CASE_NUMBER_PREFIX[kind]}-{year}-{next(counters[kind]):06d}"
    case = dict(template)
    case.update(
        id=case_id,
        number=number,
        access_code_hash=access_hash,
        submission_token=None,
        related_case_id=None,
        applicant_id=consumer_ids[index % len(consumer_ids)],
        assigned_officer_id=officer_ids[index % len(officer_ids)] if template["assigned_officer_id"] else None,
    )
    for column in ("filed_at", "accepted_at", "updated_at", "closed_at", "reopen_requested_at"):
        if case[column] is not None:
            case[column] = case[column] - shift
    prev_hash = audit.GENESIS_HASH
    for event_template in children["audit_events"].get(template["id"], []):
        event_row = dict(event_template, id=next(ids["audit_events"]), case_id=case_id, prev_hash=prev_hash,
                         occurred_at=event_template["occurred_at"] - shift)
        if event_row["actor_id"] is not None and event_row["actor_role"] == "officer":
            event_row["actor_id"] = case["assigned_officer_id"] or event_row["actor_id"]
        event_row["hash"] = audit.compute_hash(SimpleNamespace(**event_row), number)
        prev_hash = event_row["hash"]
        rows["audit_events"].append(event_row)
    case["audit_head_hash"] = prev_hash if prev_hash != audit.GENESIS_HASH else None
    rows["cases"].append(case)
    first_deadline = len(rows["deadlines"])
    for deadline_template in children["deadlines"].get(template["id"], []):
        deadline = dict(deadline_template, id=next(ids["deadlines"]), case_id=case_id)
        if deadline["status"] == DeadlineStatus.RUNNING and deadline["due_on"] is not None:
            if index % ALREADY_OVERDUE_EVERY == 0 and deadline["clock"] not in ACTED_ON_WHEN_LAPSED:
                deadline["due_on"] = today - timedelta(days=3)
                deadline["overdue_at"] = now - timedelta(days=2)
            else:
                deadline["due_on"] = today + timedelta(days=30)
                deadline["overdue_at"] = None
        rows["deadlines"].append(deadline)
    for name in ("messages", "evidence", "panel_members"):
        for child_template in children[name].get(template["id"], []):
            child = dict(child_template, id=next(ids[name]), case_id=case_id)
            for column in ("created_at", "uploaded_at", "appointed_at"):
                if child.get(column) is not None:
                    child[column] = child[column] - shift
            if name == "evidence":
                child["draft_id"] = None
            rows[name].append(child)
    filed_at = case["filed_at"]
    rows["messages"].append(dict(id=next(ids["messages"]), case_id=case_id, author_id=case["applicant_id"],
                                 body="请问处理进度如何？", visibility="parties",
                                 created_at=filed_at + timedelta(hours=2)))
    rows["messages"].append(dict(id=next(ids["messages"]), case_id=case_id, author_id=officer_ids[0],
                                 body="已联系企业核实。", visibility="staff", created_at=filed_at + timedelta(hours=3)))
    rows["evidence"].append(dict(
        id=next(ids["evidence"]), case_id=case_id, draft_id=None, uploaded_by_id=case["applicant_id"],
        purpose="evidence", stored_name=f"{index % 256:02x}/{index:064x}.jpg", sha256=f"{index:064x}",
        size=48_213, content_type="image/jpeg", original_name="漏电照片.jpg", created_at=filed_at,
    ))
    _workspace_rows(template, children, case, rows, rows["deadlines"][first_deadline:])


def _workspace_rows(template, children, case, rows, deadlines) -> None:
    """The clone's queue row (open cases only) and search postings, as the workspace's flush hook computes them."""
    entry = children["queue_entries"].get(template["id"])
    if entry is not None:
        clocks = [SimpleNamespace(**deadline) for deadline in deadlines]
        open_clocks = [clock for clock in clocks if clock.status in (DeadlineStatus.RUNNING, DeadlineStatus.PAUSED)]
        rows["case_queue_entries"].append(dict(
            entry, case_id=case["id"], number=case["number"], assigned_officer_id=case["assigned_officer_id"],
            filed_at=case["filed_at"], next_due_on=workspace.next_due_on(open_clocks),
            escalated=any(clock.overdue_at is not None for clock in open_clocks),
        ))
    terms = children["search_terms"][template["id"]] | workspace.terms_of([case["number"]])
    rows["case_search_terms"].extend({"term": term, "case_id": case["id"]} for term in sorted(terms))


def _writer(connection: Connection) -> Callable[[str, list[dict]], None]:
    """Bulk insert: COPY on PostgreSQL, executemany on SQLite (in the caller's one big transaction)."""
    tables = db.metadata.tables
    if connection.dialect.name == "postgresql":

        def copy_rows(name: str, rows: Iterable[dict]) -> None:
            columns = [column.name for column in tables[name].columns]
            raw = connection.connection.driver_connection
            with raw.cursor() as cursor, cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[column] for column in columns])

        return copy_rows

    def insert_rows(name: str, rows: list[dict]) -> None:
        if rows:
            connection.execute(tables[name].insert(), rows)

    return insert_rows
