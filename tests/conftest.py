"""Fixtures: every database test runs on SQLite (a file) and on a real PostgreSQL server."""

import os
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# Keep the suite's files (demo logins, uploads) out of the developer's instance/ folder.
os.environ.setdefault("TRACKER_INSTANCE_DIR", tempfile.mkdtemp(prefix="tracker-test-instance-"))

import flask_migrate  # noqa: E402
import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_sqlalchemy.session import Session as FlaskSQLAlchemySession
from pgcluster import ThrowawayCluster
from pgcluster import find_pg_bindir
from werkzeug.serving import make_server

from tests.factories import PASSWORD
from tests.factories import gen_case
from tests.factories import gen_cast
from tests.factories import gen_user
from tests.log_secrets import SuiteLog
from tests.redisserver import REDIS_SERVER
from tests.redisserver import ThrowawayRedis
from tracker import create_app
from tracker import demo
from tracker.extensions import db
from tracker.models import Role
from tracker.models import User

BACKENDS = ("sqlite", "postgresql")
REQUIRE_PG = os.environ.get("TRACKER_REQUIRE_PG") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_pg_skip_reason: list[str] = []


def pytest_terminal_summary(terminalreporter) -> None:
    """Say loudly when the PostgreSQL half of the suite did not run."""
    if _pg_skip_reason:
        terminalreporter.write_sep("!", "PostgreSQL tests were SKIPPED", red=True, bold=True)
        terminalreporter.write_line(_pg_skip_reason[0])


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs() -> None:
    """Compile the message catalogs when they are missing or stale, so a bare `pytest` works like `make test`."""
    for po_path in Path(__file__).resolve().parent.parent.glob("tracker/translations/*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)


@pytest.fixture(scope="session")
def pg_cluster(tmp_path_factory) -> Iterator[ThrowawayCluster | None]:
    """A throwaway PostgreSQL cluster for the whole run (TEST_PG_URL_BASE overrides it)."""
    if find_pg_bindir() is None:
        reason = "no PostgreSQL server binaries found (install postgresql or set PG_BINDIR)"
        if REQUIRE_PG:
            pytest.fail(reason + " and TRACKER_REQUIRE_PG=1")
        _pg_skip_reason.append(reason)
        yield None
        return
    cluster = ThrowawayCluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


class DatabaseFactory:
    """Makes fresh, migrated databases on one backend."""

    def __init__(self, backend: str, tmp_dir: Path, cluster: ThrowawayCluster | None) -> None:
        self.backend = backend
        self.tmp_dir = tmp_dir
        self.cluster = cluster

    def new_url(self, label: str) -> str:
        """An empty database: a new SQLite file or a new PostgreSQL database."""
        name = f"{label}_{uuid.uuid4().hex[:8]}"
        if self.backend == "sqlite":
            return f"sqlite:///{self.tmp_dir / (name + '.db')}"
        return self.cluster.create_database(name)

    def drop(self, url: str) -> None:
        """Remove a database made by new_url."""
        if self.backend == "postgresql":
            self.cluster.drop_database(url.rsplit("/", 1)[1])

    def migrated_app(self, label: str, **overrides):
        """An app on a new database whose schema came from the migrations."""
        url = self.new_url(label)
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, **overrides)
        with app.app_context():
            flask_migrate.upgrade()
            db.engine.dispose()
        return app


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request, pg_cluster) -> str:
    """The database backend of this part of the run."""
    if request.param == "postgresql" and pg_cluster is None:
        pytest.skip("PostgreSQL not available: " + _pg_skip_reason[0])
    return request.param


@pytest.fixture(scope="session")
def databases(backend, pg_cluster, tmp_path_factory) -> DatabaseFactory:
    """Fresh databases on the current backend."""
    return DatabaseFactory(backend, tmp_path_factory.mktemp(f"db-{backend}"), pg_cluster)


@pytest.fixture(scope="session")
def session_app(databases):
    """One migrated database and app per backend, shared by the rolled-back tests."""
    app = databases.migrated_app("tracker_test")
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(session_app) -> Iterator:
    """The app with an application context pushed."""
    with session_app.app_context():
        yield session_app


class ConnectionBoundSession(FlaskSQLAlchemySession):
    """Flask-SQLAlchemy's session picks engines by bind key; a test session must use its one connection."""

    def get_bind(self, *args, **kwargs):
        """Always the connection holding the test's outer transaction."""
        return self.bind


@contextmanager
def rolled_back_session() -> Iterator:
    """Swap db.session for one inside an outer transaction that is rolled back afterwards."""
    connection = db.engine.connect()
    outer = connection.begin()
    scoped = db._make_scoped_session(
        {"bind": connection, "join_transaction_mode": "create_savepoint", "class_": ConnectionBoundSession}
    )
    original = db.session
    db.session = scoped
    try:
        yield scoped
    finally:
        scoped.remove()
        db.session = original
        outer.rollback()
        connection.close()


@pytest.fixture
def db_session(app) -> Iterator:
    """A transaction per test, rolled back at the end; commits inside the test only release a SAVEPOINT."""
    with rolled_back_session() as scoped:
        yield scoped


@pytest.fixture
def client(app, db_session):
    """A test client whose requests share the test's transaction, with the rate limits' counts cleared."""
    app.extensions["rate_limiter"].reset()
    return app.test_client()


@pytest.fixture
def make_user(db_session):
    """Build an account: make_user("officer")."""
    return gen_user


@pytest.fixture
def cast(db_session):
    """An officer, an applicant, an enterprise user and three experts."""
    return gen_cast()


@pytest.fixture
def make_case(db_session, cast):
    """File a case and drive it to a state: make_case("arbitration", state="sampling")."""

    def build(kind="complaint", state=None, *, cast_override=None, **kwargs):
        return gen_case(cast_override or cast, kind, state, **kwargs)

    return build


@pytest.fixture
def login_as(client, db_session):
    """Log the test client in as a new user of the role, or as the given user."""

    def login(role_or_user) -> User:
        user = role_or_user if isinstance(role_or_user, User) else gen_user(Role(role_or_user))
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    return login


@dataclass
class LiveServer:
    """A real HTTP server on loopback with demo data, for the browser tests."""

    url: str
    app: object
    logins: dict[str, tuple[str, str]]


def body_read_before_sending(app):
    """Hand werkzeug's threaded server a finished body, the response's file already closed.

    When a browser drops a connection (a page closed while its favicon loads), werkzeug 3.1's server raises
    while draining the socket and never calls the response's close(): the file behind a static answer is then
    closed by the garbage collector, whose ResourceWarning fails whichever test is running. Gunicorn, which
    serves production, closes it; only the suite's server needs this.
    """

    def serve(environ, start_response):
        answer = app(environ, start_response)
        try:
            return [b"".join(answer)]
        finally:
            if hasattr(answer, "close"):
                answer.close()

    return serve


@pytest.fixture(scope="session")
def live_server(databases) -> Iterator[LiveServer]:
    """The app served by werkzeug in a thread, on its own migrated database with CSRF on."""
    app = databases.migrated_app("tracker_e2e", WTF_CSRF_ENABLED=True)
    with app.app_context():
        rows = demo.load(db.session, app.extensions["password_hasher"], upload_root=Path(app.config["UPLOAD_FOLDER"]))
        db.session.commit()
        SUITE_LOG.known_secrets.update(password for _role, _email, password in rows)
        db.session.remove()
    server = make_server("127.0.0.1", 0, body_read_before_sending(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(
            url=f"http://127.0.0.1:{server.server_port}",
            app=app,
            logins={role: (email, password) for role, email, password in rows},
        )
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright; never a downloaded browser."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs the chromium package")
        pytest.skip(f"{CHROMIUM} not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


#: A common phone's viewport, for the tests of pages people use on the move.
PHONE = {"width": 390, "height": 844}


@contextmanager
def _page_in_new_context(chromium, **context_options) -> Iterator:
    """A page in a fresh browser context (cookies, storage), in Chinese like most visitors."""
    context = chromium.new_context(locale="zh-CN", **context_options)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def browser_page(chromium) -> Iterator:
    """A laptop-sized page."""
    with _page_in_new_context(chromium) as page:
        yield page


@pytest.fixture
def phone_page(chromium) -> Iterator:
    """A phone-sized page with touch."""
    with _page_in_new_context(chromium, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2) as page:
        yield page


@pytest.fixture
def new_page(chromium):
    """A page in a fresh browser context per person of a journey (laptop-sized, or a phone when asked)."""
    contexts = []

    def open_page(phone: bool = False):
        options = {"viewport": PHONE, "is_mobile": True, "has_touch": True} if phone else {}
        context = chromium.new_context(locale="zh-CN", **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        return page

    yield open_page
    for context in contexts:
        context.close()
#: Every record logged during the run, checked for secrets when the run ends (pytest_sessionfinish).
SUITE_LOG = SuiteLog()
SUITE_LOG.known_secrets.add(PASSWORD)


def pytest_sessionstart(session) -> None:
    """Start collecting the run's log lines."""
    SUITE_LOG.attach()


def pytest_sessionfinish(session, exitstatus) -> None:
    """Fail the run when any log line holds a password, an access code, a session cookie or a full identifier."""
    findings = SUITE_LOG.findings()
    SUITE_LOG.detach()
    if not SUITE_LOG.path.stat().st_size and session.testscollected > 100:
        findings = ["nothing was logged during the run: the log capture is not attached"]
    if findings:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_sep("!", f"{len(findings)} secrets in the logs ({SUITE_LOG.path})", red=True, bold=True)
            for finding in findings[:20]:
                reporter.write_line(finding)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A throwaway redis-server on loopback for the whole run (CI installs it; skipped locally without it)."""
    if not Path(REDIS_SERVER).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{REDIS_SERVER} is missing: .ci/run installs the redis-server package")
        pytest.skip("redis-server not installed")
    server = ThrowawayRedis()
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
