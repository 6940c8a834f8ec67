"""Engine settings per dialect: SQLite as a serious embedded database, PostgreSQL with pre-ping."""

from sqlalchemy import event
from sqlalchemy.engine import Engine


def configure_engine(engine: Engine) -> None:
    """On SQLite: WAL, foreign keys, a busy timeout, and BEGIN IMMEDIATE so writers queue instead of failing."""
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
        connection.exec_driver_sql("BEGIN IMMEDIATE")
