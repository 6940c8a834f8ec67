"""The sweep's selection of overdue clocks on 3 000 000 synthetic clocks in a throwaway PostgreSQL cluster.

    .venv/bin/python -m bench.sweep_plan

A million cases' worth of clocks without the rest of a seed (minutes instead of half an hour): a third running,
a sixtieth past due and already marked overdue, the others met on dates in the past. Prints PostgreSQL's plan
of the selection as the sweep reads it (`ORDER BY due_on`, through the partial index) and, for comparison,
unordered, then times the whole `flask tracker sweep` with nothing due, and `deadlines.sweep_overdue` until psycopg
prepares the statement.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TRACKER_INSTANCE_DIR", tempfile.mkdtemp(prefix="tracker-sweep-plan-"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import flask_migrate  # noqa: E402
from pgcluster import ThrowawayCluster  # noqa: E402
from sqlalchemy import text  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.deadlines import sweep_overdue  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.models import utcnow  # noqa: E402

CLOCKS = 3_000_000
SELECTION = ("SELECT case_id FROM deadlines WHERE status = 'running' AND due_on < current_date "
             "AND overdue_at IS NULL {order} LIMIT 500")


def main() -> None:
    """Fill the clocks, then explain and time the selection."""
    cluster = ThrowawayCluster().start()
    try:
        app = create_app("development", SQLALCHEMY_DATABASE_URI=cluster.create_database("sweep_plan"),
                         SECRET_KEY="sweep-plan-only")  # noqa: S106
        with app.app_context():
            flask_migrate.upgrade()
            # The clocks stand alone: no case rows behind them.
            db.session.execute(text("ALTER TABLE deadlines DROP CONSTRAINT IF EXISTS fk_deadlines_case_id_cases"))
            db.session.execute(text(
                "INSERT INTO deadlines (case_id, clock, counting, started_on, due_on, calendar_pending, status, "
                "responsible, paused_days, overdue_at) "
                "SELECT g / 3, 'answer', 'working', current_date - 100, "
                "CASE WHEN g % 3 = 0 THEN (CASE WHEN g % 60 = 0 THEN current_date - 3 ELSE current_date + 30 END) "
                "ELSE current_date - (g % 90) END, false, CASE WHEN g % 3 = 0 THEN 'running' ELSE 'met' END, "
                "'officer', 0, CASE WHEN g % 60 = 0 THEN now() - interval '2 days' END "
                "FROM generate_series(1, :clocks) AS g"), {"clocks": CLOCKS})
            db.session.commit()
            db.session.execute(text("ANALYZE deadlines"))
            db.session.commit()
            for label, order in (("as the sweep reads it", "ORDER BY due_on"), ("unordered", "")):
                print(f"{label}:")
                for (line,) in db.session.execute(text("EXPLAIN ANALYZE " + SELECTION.format(order=order))):
                    print("   ", line)
            started = time.perf_counter()
            answer = app.test_cli_runner().invoke(args=["tracker", "sweep"])
            print(f"flask tracker sweep, whole, nothing due: {time.perf_counter() - started:.2f} s "
                  f"({answer.output.strip()})")
            for attempt in range(1, 9):
                started = time.perf_counter()
                result = sweep_overdue(db.session, now=utcnow())
                db.session.rollback()
                print(f"sweep_overdue, call {attempt}: {(time.perf_counter() - started) * 1000:.1f} ms, "
                      f"{len(result.cases)} cases")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
