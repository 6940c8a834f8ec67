"""Engine settings per dialect: SQLite as a serious embedded database, PostgreSQL with pre-ping."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

#: Whether transactions begun in this context may write. Requests that only read (GET, HEAD) clear it so that
#: SQLite readers share the database instead of queueing behind one write lock; everything else keeps the default.
_may_write: ContextVar[bool] = ContextVar("tracker_transactions_may_write", default=True)
#: Key in a DBAPI connection's `info`: its current SQLite transaction began deferred (reads only so far).
DEFERRED_KEY = "tracker_deferred_transaction"


def set_reads_only(reads_only: bool) -> object:
    """Declare what the transactions begun from now on in this context do; returns a token for `restore`."""
    return _may_write.set(not reads_only)


def restore(token: object) -> None:
    """Undo a `set_reads_only` at the end of the request."""
    _may_write.reset(token)


@contextmanager
def reads_only() -> Iterator[None]:
    """Begin the transactions inside the block deferred (for jobs and tests that only read)."""
    token = set_reads_only(True)
    try:
        yield
    finally:
        restore(token)


def configure_engine(engine: Engine) -> None:
    """On SQLite: WAL, foreign keys, a busy timeout; writers BEGIN IMMEDIATE so they queue, readers never wait."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_on_connect(dbapi_connection, connection_record) -> None:
        # Take transaction control from the driver so that BEGIN is ours (and SAVEPOINTs work).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_on_begin(connection) -> None:
        deferred = not _may_write.get()
        connection.info[DEFERRED_KEY] = deferred
        connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


@event.listens_for(Session, "before_flush")
def _take_write_lock_before_first_write(session: Session, flush_context, instances) -> None:
    """A reading request that writes after all (a refused-access log) restarts its transaction as a writer.

    A deferred SQLite transaction that has read and then writes fails at once with "database is locked" if another
    writer committed in between (the busy timeout does not apply). Restarting as BEGIN IMMEDIATE before the first
    write makes it queue like any writer; what the request read before stays as it was read.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite" or not connection.info.get(DEFERRED_KEY):
        return
    if session.in_nested_transaction() or not (session.new or session.dirty or session.deleted):
        return
    connection.exec_driver_sql("ROLLBACK")
    connection.exec_driver_sql("BEGIN IMMEDIATE")
    connection.info[DEFERRED_KEY] = False
