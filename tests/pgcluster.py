"""Throwaway PostgreSQL cluster for the test suite.

Plain Python, no pytest dependency.  Typical use (e.g. from conftest.py)::

    from pgcluster import ThrowawayCluster

    with ThrowawayCluster() as cluster:
        cluster.create_database("tracker_test")
        url = cluster.url_for("tracker_test")
        ...

The cluster lives in a fresh temporary directory (data dir, unix socket dir
and server log), listens on 127.0.0.1 on a free port, trusts every local
connection (user ``postgres``, no password) and runs with durability turned
off for speed.  ``stop()`` kills it (``pg_ctl stop -m immediate``) and removes
the directory.

PostgreSQL's ``initdb``/``postgres`` refuse to run as root, so when this
process is root the directory is handed to the ``postgres`` system user and
the server tools are run through ``runuser -u postgres --``.

Self-check: ``python tests/pgcluster.py``.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from typing import Self

__all__ = [
    "PgClusterError",
    "ThrowawayCluster",
    "find_pg_bindir",
]

_PG_USER = "postgres"
_LOG_TAIL_LINES = 40
_CMD_TIMEOUT = 120  # seconds, per initdb / pg_ctl invocation


class PgClusterError(RuntimeError):
    """Raised when the throwaway cluster cannot be created, started or used."""


# --------------------------------------------------------------------------
# locating the server binaries
# --------------------------------------------------------------------------


def _version_key(path: str) -> tuple:
    """Sort key for /usr/lib/postgresql/<version>/bin (numeric-aware)."""
    version = os.path.basename(os.path.dirname(path))
    return tuple(int(p) if p.isdigit() else -1 for p in re.split(r"[._-]", version))


def find_pg_bindir() -> str | None:
    """Return the directory holding ``initdb`` and ``pg_ctl``, or None.

    Order: env ``PG_BINDIR``; the highest ``/usr/lib/postgresql/*/bin`` that
    has ``initdb`` (Debian/Ubuntu layout); the directory of ``initdb`` on PATH.
    """
    env = os.environ.get("PG_BINDIR")
    if env:
        return env if os.path.isfile(os.path.join(env, "initdb")) else None

    candidates = [
        d
        for d in glob.glob("/usr/lib/postgresql/*/bin")
        if os.path.isfile(os.path.join(d, "initdb"))
        and os.path.isfile(os.path.join(d, "pg_ctl"))
    ]
    if candidates:
        return max(candidates, key=_version_key)

    initdb = shutil.which("initdb")
    if initdb:
        return os.path.dirname(os.path.realpath(initdb))
    return None


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _tail(path: str, lines: int = _LOG_TAIL_LINES) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            content = fh.readlines()
    except OSError as exc:
        return f"(no log file {path}: {exc})"
    if not content:
        return f"(log file {path} is empty)"
    return "".join(content[-lines:]).rstrip()


def _others_can_traverse(path: str) -> bool:
    """True if every ancestor of ``path`` is searchable by other users."""
    path = os.path.abspath(path)
    while True:
        try:
            if not os.stat(path).st_mode & 0o001:
                return False
        except OSError:
            return False
        parent = os.path.dirname(path)
        if parent == path:
            return True
        path = parent


# --------------------------------------------------------------------------
# the cluster
# --------------------------------------------------------------------------


class ThrowawayCluster:
    """A private PostgreSQL server in a temporary directory.

    :param bindir: directory with ``initdb``/``pg_ctl``; default
        :func:`find_pg_bindir`.
    :param host: address to listen on (TCP only; default 127.0.0.1).
    :param port: TCP port; default: a free one.
    :param base_dir: where to create the temporary directory; default the
        system temp dir (``/tmp`` when running as root and the default one is
        not reachable by the ``postgres`` user).
    :param keep: if true, ``stop()`` leaves the directory behind (debugging).
    :param settings: further server settings (``name=value``), e.g. the benchmark's
        ``shared_buffers``.
    """

    def __init__(
        self,
        bindir: str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        base_dir: str | None = None,
        keep: bool = False,
        settings: tuple[str, ...] = (),
    ) -> None:
        self.bindir = bindir or find_pg_bindir()
        self.settings = settings
        self.host = host
        self._requested_port = port
        self.port: int | None = None
        self.base_dir = base_dir
        self.keep = keep
        self.tmpdir: str | None = None
        self.running = False
        self._as_root = os.geteuid() == 0
        self._atexit_registered = False

    # -- paths -------------------------------------------------------------

    @property
    def datadir(self) -> str:
        return os.path.join(self._need_tmpdir(), "data")

    @property
    def socketdir(self) -> str:
        return os.path.join(self._need_tmpdir(), "sock")

    @property
    def logfile(self) -> str:
        return os.path.join(self._need_tmpdir(), "postgres.log")

    def _need_tmpdir(self) -> str:
        if self.tmpdir is None:
            raise PgClusterError("cluster has not been started")
        return self.tmpdir

    # -- connection info ---------------------------------------------------

    def url_for(self, dbname: str) -> str:
        """SQLAlchemy URL (psycopg 3 driver) for database ``dbname``."""
        self._need_running()
        return f"postgresql+psycopg://{_PG_USER}@{self.host}:{self.port}/{dbname}"

    def dsn_for(self, dbname: str) -> str:
        """libpq connection string for database ``dbname`` (for psycopg)."""
        self._need_running()
        return f"host={self.host} port={self.port} user={_PG_USER} dbname={dbname}"

    def _need_running(self) -> None:
        if not self.running:
            raise PgClusterError("cluster is not running (call start() first)")

    # -- running the server tools -----------------------------------------

    def _tool(self, name: str) -> str:
        path = os.path.join(self.bindir, name)  # type: ignore[arg-type]
        if not os.access(path, os.X_OK):
            raise PgClusterError(f"{path} not found or not executable")
        return path

    def _run(self, argv: list[str], what: str) -> subprocess.CompletedProcess:
        if self._as_root:
            runuser = shutil.which("runuser") or "/usr/sbin/runuser"
            argv = [runuser, "-u", _PG_USER, "--", *argv]
        env = dict(os.environ)
        # Don't let a caller's PG* environment redirect the tools.
        for key in ("PGDATA", "PGPORT", "PGHOST", "PGUSER", "PGDATABASE", "PGOPTIONS"):
            env.pop(key, None)
        try:
            return subprocess.run(
                argv,
                cwd=self.tmpdir,  # readable by the postgres user, unlike /root
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=_CMD_TIMEOUT,
                check=False,
            )
        except FileNotFoundError as exc:
            raise PgClusterError(f"{what}: cannot execute {argv[0]}: {exc}") from exc
        except subprocess.TimeoutExpired as exc:
            raise PgClusterError(
                f"{what}: timed out after {_CMD_TIMEOUT}s: {shlex.join(argv)}\n"
                f"--- server log tail ({self.logfile}) ---\n{_tail(self.logfile)}"
            ) from exc

    def _fail(self, what: str, proc: subprocess.CompletedProcess) -> PgClusterError:
        parts = [
            f"{what} failed (exit {proc.returncode}): {shlex.join(proc.args)}",
        ]
        if proc.stdout and proc.stdout.strip():
            parts.append(f"--- stdout ---\n{proc.stdout.strip()}")
        if proc.stderr and proc.stderr.strip():
            parts.append(f"--- stderr ---\n{proc.stderr.strip()}")
        if self.tmpdir and os.path.exists(self.logfile):
            parts.append(
                f"--- server log tail ({self.logfile}) ---\n{_tail(self.logfile)}"
            )
        return PgClusterError("\n".join(parts))

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> Self:
        """Create the temp dir, initdb, and start the server. Returns self."""
        if self.running:
            return self
        if not self.bindir:
            raise PgClusterError(
                "PostgreSQL server binaries (initdb, pg_ctl) not found: set PG_BINDIR, "
                "or install them (Debian: apt-get install postgresql)"
            )
        self._tool("initdb")
        self._tool("pg_ctl")

        pg_uid = pg_gid = None
        if self._as_root:
            try:
                pw = pwd.getpwnam(_PG_USER)
            except KeyError:
                raise PgClusterError(
                    f"running as root but there is no '{_PG_USER}' system user to run "
                    "PostgreSQL as (Debian: apt-get install postgresql creates it)"
                ) from None
            pg_uid, pg_gid = pw.pw_uid, pw.pw_gid

        base = self.base_dir
        if (
            base is None
            and self._as_root
            and not _others_can_traverse(tempfile.gettempdir())
        ):
            base = "/tmp"
        self.tmpdir = tempfile.mkdtemp(prefix="pgtest-", dir=base)
        try:
            if self._as_root:
                if not _others_can_traverse(os.path.dirname(self.tmpdir)):
                    raise PgClusterError(
                        f"{os.path.dirname(self.tmpdir)} is not reachable by the "
                        f"'{_PG_USER}' user; pass base_dir= or set TMPDIR"
                    )
                os.chown(self.tmpdir, pg_uid, pg_gid)
            os.mkdir(self.socketdir, 0o700)
            if self._as_root:
                os.chown(self.socketdir, pg_uid, pg_gid)

            self._initdb()
            self._atexit_register()
            self._start_server()
        except BaseException:
            with contextlib.suppress(PgClusterError, OSError):
                self._stop_server(quiet=True)
            self.running = False
            self._cleanup_dir()
            self._atexit_unregister()
            raise
        return self

    def _initdb(self) -> None:
        base = [
            self._tool("initdb"),
            "-D",
            self.datadir,
            "-A",
            "trust",
            "-U",
            _PG_USER,
            "--encoding=UTF8",
            "--no-sync",
        ]
        proc = self._run([*base, "--locale=C.UTF-8"], "initdb")
        if proc.returncode == 0:
            return
        first_failure = self._fail("initdb --locale=C.UTF-8", proc)
        # C.UTF-8 may be missing on some systems: retry without a locale.
        if os.path.exists(self.datadir):
            shutil.rmtree(self.datadir, ignore_errors=True)
        proc = self._run([*base, "--no-locale"], "initdb")
        if proc.returncode != 0:
            raise PgClusterError(
                f"{first_failure}\n\nretry with --no-locale:\n{self._fail('initdb --no-locale', proc)}"
            )

    def _start_server(self) -> None:
        attempts = 1 if self._requested_port else 3
        last_error: PgClusterError | None = None
        for _ in range(attempts):
            self.port = self._requested_port or _free_port(self.host)
            opts = " ".join(
                [
                    "-c",
                    f"listen_addresses={self.host}",
                    "-p",
                    str(self.port),
                    "-k",
                    shlex.quote(self.socketdir),
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=100",
                    *(part for setting in self.settings for part in ("-c", shlex.quote(setting))),
                ]
            )
            proc = self._run(
                [
                    self._tool("pg_ctl"),
                    "start",
                    "-w",
                    "-t",
                    "60",
                    "-D",
                    self.datadir,
                    "-l",
                    self.logfile,
                    "-o",
                    opts,
                ],
                "pg_ctl start",
            )
            if proc.returncode == 0:
                self.running = True
                return
            last_error = self._fail("pg_ctl start", proc)
            # Port may have been grabbed between probing and binding: retry.
            if "already in use" not in _tail(self.logfile, 200):
                break
            self._stop_server(quiet=True)
        assert last_error is not None
        raise last_error

    def _stop_server(self, quiet: bool = False) -> None:
        if not self.tmpdir or not os.path.exists(
            os.path.join(self.datadir, "postmaster.pid")
        ):
            return
        proc = self._run(
            [self._tool("pg_ctl"), "stop", "-m", "immediate", "-w", "-D", self.datadir],
            "pg_ctl stop",
        )
        if proc.returncode != 0 and not quiet:
            raise self._fail("pg_ctl stop", proc)

    def _cleanup_dir(self) -> None:
        if self.tmpdir and not self.keep:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
        self.tmpdir = None

    def stop(self) -> None:
        """Stop the server (immediate mode) and remove the temp dir. Idempotent."""
        if self.tmpdir is None:
            return
        try:
            self._stop_server()
        finally:
            self.running = False
            self._cleanup_dir()
            self._atexit_unregister()

    def _atexit_register(self) -> None:
        if not self._atexit_registered:
            atexit.register(self._atexit_stop)
            self._atexit_registered = True

    def _atexit_unregister(self) -> None:
        if self._atexit_registered:
            atexit.unregister(self._atexit_stop)
            self._atexit_registered = False

    def _atexit_stop(self) -> None:
        try:
            self.stop()
        except (PgClusterError, OSError) as exc:  # best effort at exit
            print(f"pgcluster: stop at exit failed: {exc}", file=sys.stderr)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"running on {self.host}:{self.port}" if self.running else "stopped"
        return f"<ThrowawayCluster {state} dir={self.tmpdir!r}>"

    # -- databases ---------------------------------------------------------

    def connect(self, dbname: str = "postgres", **kwargs):
        """Open a psycopg connection (autocommit by default) to ``dbname``."""
        self._need_running()
        import psycopg

        kwargs.setdefault("autocommit", True)
        kwargs.setdefault("connect_timeout", 10)
        try:
            return psycopg.connect(self.dsn_for(dbname), **kwargs)
        except psycopg.OperationalError as exc:
            raise PgClusterError(
                f"cannot connect to {self.dsn_for(dbname)}: {exc}\n"
                f"--- server log tail ({self.logfile}) ---\n{_tail(self.logfile)}"
            ) from exc

    def create_database(self, name: str) -> str:
        """Create database ``name`` (UTF8); returns its SQLAlchemy URL."""
        from psycopg import sql

        with self.connect("postgres") as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(
                    sql.Identifier(name)
                )
            )
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` if it exists, terminating open connections."""
        from psycopg import sql

        with self.connect("postgres") as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                )
            )


# --------------------------------------------------------------------------
# self-check
# --------------------------------------------------------------------------


def _main() -> int:
    t0 = time.monotonic()
    bindir = find_pg_bindir()
    print(f"bindir: {bindir}")
    with ThrowawayCluster() as cluster:
        print(f"started in {time.monotonic() - t0:.1f}s: {cluster!r}")
        url = cluster.create_database("pgcluster_selfcheck")
        print(f"url: {url}")
        with cluster.connect("pgcluster_selfcheck") as conn:
            version = conn.execute("select version()").fetchone()[0]
            encoding = conn.execute("show server_encoding").fetchone()[0]
            collate = conn.execute(
                "select datcollate from pg_database where datname = current_database()"
            ).fetchone()[0]
            conn.execute("create table t (s text)")
            conn.execute("insert into t values (%s)", ("案件 ✓",))
            roundtrip = conn.execute("select s from t").fetchone()[0]
        print(version)
        print(f"encoding={encoding} collate={collate} roundtrip={roundtrip!r}")
        if roundtrip != "案件 ✓":
            print("FAIL: unicode round trip", file=sys.stderr)
            return 1
        cluster.drop_database("pgcluster_selfcheck")
        tmpdir = cluster.tmpdir
    if tmpdir and os.path.exists(tmpdir):
        print(f"FAIL: {tmpdir} left behind", file=sys.stderr)
        return 1
    print(f"ok ({time.monotonic() - t0:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
