"""Under load and through crashes, with real servers: concurrent filings on SQLite, an upload cut off by a crash."""

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import flask_migrate
import pytest
from pgcluster import ThrowawayCluster
from pgcluster import find_pg_bindir
from sqlalchemy import select

from bench.client import CSRF_INPUT
from bench.client import Browser
from bench.servers import Gunicorn
from bench.servers import free_port
from tests.factories import gen_enterprise
from tests.test_web_filing import anonymous_contact
from tests.test_web_filing import form_data
from tracker import create_app
from tracker.extensions import db
from tracker.models import Case

pytestmark = pytest.mark.faults

CONCURRENT_FILINGS = 200
SECRET_KEY = "fault-tests-only"  # noqa: S105 - a throwaway key for a loopback server


@dataclass
class Filing:
    """What one visitor's filing got back; the browser keeps the visitor's session (and so the draft)."""

    browser: Browser
    draft_token: str | None = None
    status: int | None = None
    location: str = ""
    text: str = ""
    error: str = ""

    @property
    def filed_number(self) -> str | None:
        """The case number the confirmation redirect names, if the filing succeeded."""
        if self.status == 302 and "/file/done/" in self.location:
            return self.location.rsplit("/", 1)[1]
        return None


def file_complaint(enterprise_id: int, filing: Filing) -> Filing:
    """A visitor fills in the complaint form (CSRF token included) and submits it, as a browser does.

    A filing whose draft was kept only submits again, with the same draft token, as a retrying browser would.
    """
    browser = filing.browser
    filing.status, filing.location, filing.text, filing.error = None, "", "", ""
    try:
        form_page = browser.get("/file/complaint")
        token_match = CSRF_INPUT.search(form_page.text)
        if form_page.status != 200 or token_match is None:
            filing.status, filing.text = form_page.status, form_page.text[:300]
            return filing
        token = token_match.group(1) or token_match.group(2)
        if filing.draft_token is None:
            fields = {**form_data("complaint", SimpleNamespace(id=enterprise_id)), **anonymous_contact()}
            posted = browser.post("/file/complaint", {**fields, "csrf_token": token})
            if posted.status != 302 or "/file/review/" not in posted.location:
                filing.status, filing.text = posted.status, posted.text[:300]
                return filing
            filing.draft_token = posted.location.rsplit("/", 1)[1]
        submitted = browser.post(f"/file/submit/{filing.draft_token}", {"csrf_token": token})
        filing.status, filing.location, filing.text = submitted.status, submitted.location, submitted.text[:300]
    except OSError as error:
        filing.error = repr(error)
    return filing


def serve(app, tmp_path: Path, workers: int) -> Gunicorn:
    """The app's database served by gunicorn with CSRF on, as in production but over plain HTTP on loopback."""
    env = {
        "TRACKER_CONFIG": "development",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SESSION_COOKIE_SECURE": "0",
        "TRACKER_INSTANCE_DIR": str(tmp_path / "instance"),
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
    }
    return Gunicorn("wsgi:app", env, workers=workers, log_path=tmp_path / "gunicorn.log")


def test_sqlite_with_four_workers_files_200_concurrent_complaints_without_database_is_locked(databases, tmp_path):
    if databases.backend != "sqlite":
        pytest.skip("the SQLite write lock under several processes")
    app = databases.migrated_app("locked")
    with app.app_context():
        enterprise_id = gen_enterprise().id
        db.session.commit()
        db.session.remove()
    server = serve(app, tmp_path, workers=4)
    try:
        filings = [Filing(Browser(server.port)) for _ in range(CONCURRENT_FILINGS)]
        start = threading.Barrier(CONCURRENT_FILINGS, timeout=60)

        def visitor(filing: Filing) -> None:
            start.wait()
            file_complaint(enterprise_id, filing)

        threads = [threading.Thread(target=visitor, args=(filing,)) for filing in filings]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        log = server.log_text()
    finally:
        server.stop()
    failures = [filing for filing in filings if filing.filed_number is None]
    assert not failures, failures[:3]
    assert "database is locked" not in log
    numbers = {filing.filed_number for filing in filings}
    with app.app_context():
        stored = set(db.session.scalars(select(Case.number)))
        db.session.remove()
        db.engine.dispose()
    assert len(numbers) == CONCURRENT_FILINGS
    assert stored == numbers


WRITER = """
import sys
from pathlib import Path
from tracker.evidence import PreparedFile, store_prepared
content = b"%PDF-1.4\\n" + bytes(48 * 1024 * 1024)
prepared = PreparedFile(content=content, sha256="ab" * 32, content_type="application/pdf", extension=".pdf",
                        original_name="big.pdf")
print(prepared.stored_name, flush=True)
store_prepared(prepared, Path(sys.argv[1]))
"""


def test_a_crash_in_the_middle_of_an_upload_leaves_no_visible_file_and_purge_removes_the_leftover(
    databases, tmp_path
):
    if databases.backend != "sqlite":
        pytest.skip("a file-system matter; the purge command's database work is the same on both backends")
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    writer = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", WRITER, str(uploads)], stdout=subprocess.PIPE, text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    stored_name = writer.stdout.readline().strip()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(uploads.rglob("*.part")):
        time.sleep(0.001)
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=10)
    writer.stdout.close()
    leftovers = list(uploads.rglob("*.part"))
    assert leftovers, "the writer was killed before it began writing; the crash did not land mid-upload"
    assert not (uploads / stored_name).exists(), "a partial file is visible under its stored name"
    an_hour_and_more_ago = time.time() - 2 * 3600
    for leftover in leftovers:
        os.utime(leftover, (an_hour_and_more_ago, an_hour_and_more_ago))
    in_progress = uploads / "ab" / ".in-progress.part"
    in_progress.parent.mkdir(exist_ok=True)
    in_progress.write_bytes(b"being written right now")

    app = databases.migrated_app("purge_parts", UPLOAD_FOLDER=str(uploads))
    result = app.test_cli_runner().invoke(args=["tracker", "purge"])
    with app.app_context():
        db.engine.dispose()
    assert result.exit_code == 0, result.output
    assert "1 temporary files" in result.output
    assert not any(leftover.exists() for leftover in leftovers)
    assert in_progress.exists(), "a temporary file still being written is left alone"


def wait_for(condition, seconds: float) -> None:
    """Poll until the condition holds, for at most the given time."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def restart_postgresql(cluster: ThrowawayCluster, down_seconds: float) -> None:
    """Stop the server as a service restart does (sessions cut off, committed work kept), wait, start it again."""
    stopped = cluster._run(  # noqa: SLF001 - the throwaway cluster's own tool runner
        [cluster._tool("pg_ctl"), "stop", "-m", "fast", "-w", "-D", cluster.datadir], "pg_ctl stop"  # noqa: SLF001
    )
    assert stopped.returncode == 0, stopped.stderr
    time.sleep(down_seconds)
    cluster._start_server()  # noqa: SLF001 - same options, same port


def test_postgresql_restarted_in_the_middle_of_filings_loses_nothing_acknowledged(tmp_path):
    if find_pg_bindir() is None:
        pytest.skip("no PostgreSQL server binaries")
    cluster = ThrowawayCluster(port=free_port()).start()
    server = None
    try:
        url = cluster.create_database("restarted")
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            flask_migrate.upgrade()
            enterprise_id = gen_enterprise().id
            db.session.commit()
            db.session.remove()
        server = serve(app, tmp_path, workers=2)
        filings: list[Filing] = []
        stop = threading.Event()

        def visitor() -> None:
            while not stop.is_set():
                filings.append(file_complaint(enterprise_id, Filing(Browser(server.port))))

        assert file_complaint(enterprise_id, Filing(Browser(server.port))).filed_number, "warm-up filing"
        visitors = [threading.Thread(target=visitor) for _ in range(4)]
        for thread in visitors:
            thread.start()
        wait_for(lambda: len(filings) >= 4, seconds=120)
        restart_postgresql(cluster, down_seconds=3)
        before_recovery = len(filings)
        wait_for(lambda: len(filings) >= before_recovery + 8, seconds=120)
        stop.set()
        for thread in visitors:
            thread.join(timeout=120)

        succeeded = [filing for filing in filings if filing.filed_number]
        failed = [filing for filing in filings if not filing.filed_number]
        assert succeeded, "no filing succeeded at all"
        assert failed, "the restart fell between filings; no request met it"
        for filing in failed:
            assert filing.status is not None and filing.status >= 500 or filing.error, filing
            assert filing.status != 500, f"a database outage is a 503, not a 500: {filing.text}"

        recovered = file_complaint(enterprise_id, Filing(Browser(server.port)))
        assert recovered.filed_number, f"the app did not recover without a restart: {recovered}"
        retried = [file_complaint(enterprise_id, filing) for filing in failed if filing.draft_token]
        assert all(filing.filed_number for filing in retried), [f for f in retried if not f.filed_number][:3]
        again = [file_complaint(enterprise_id, filing) for filing in succeeded[:5]]
        assert [filing.filed_number for filing in again] == [filing.filed_number for filing in succeeded[:5]]

        acknowledged = {filing.filed_number for filing in succeeded + retried} | {recovered.filed_number}
        with app.app_context():
            rows = db.session.execute(select(Case.number, Case.submission_token)).all()
            db.session.remove()
            db.engine.dispose()
        stored = {row.number for row in rows}
        assert acknowledged <= stored, acknowledged - stored
        tokens = [row.submission_token for row in rows]
        assert len(tokens) == len(set(tokens)), "a retried submission made a second case"
    finally:
        if server is not None:
            server.stop()
        cluster.stop()
