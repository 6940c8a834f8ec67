"""Two gunicorn hosts sharing PostgreSQL and Redis serve one user alternately: no session, limit or case is lost."""

import http.client
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.factories import PASSWORD
from tests.factories import gen_case
from tests.factories import gen_cast
from tests.redisserver import free_port
from tests.test_audit_roles import app_role_url  # noqa: F401 - the fixture the hosts connect with
from tracker import create_app
from tracker.extensions import db

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 60
REQUEST_TIMEOUT_SECONDS = 30
CSRF_FIELD = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')

pytestmark = pytest.mark.hosts


class Browser:
    """One user's cookies, sent to whichever host answers: what a load balancer without sticky sessions does."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def send(self, port: int, method: str, path: str, form: dict | None = None) -> tuple[int, str, str]:
        """(status, Location, body) of one request, keeping the cookies it sets."""
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_SECONDS)
        headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
            for set_cookie in response.headers.get_all("Set-Cookie") or []:
                name, _equals, rest = set_cookie.partition("=")
                value = rest.split(";", 1)[0]
                if not value or "Expires=Thu, 01 Jan 1970" in set_cookie:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
            return response.status, response.headers.get("Location", ""), text
        finally:
            connection.close()

    def post_form(self, port: int, form_path: str, action: str, fields: dict) -> tuple[int, str, str]:
        """Read the CSRF token from one page and post the form, possibly to another host."""
        _status, _location, page = self.send(port, "GET", form_path)
        return self.send(port, "POST", action, {**fields, "csrf_token": CSRF_FIELD.search(page).group(1)})


def start_host(port: int, environment: dict, log_path: Path) -> subprocess.Popen:
    """gunicorn serving wsgi:app on the port, with one worker."""
    with log_path.open("w") as log_file:
        return subprocess.Popen(  # noqa: S603 - our own interpreter running gunicorn with fixed arguments
            [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT, env=environment, stdout=log_file, stderr=subprocess.STDOUT,
        )


def wait_until_serving(port: int, process: subprocess.Popen, log_path: Path) -> None:
    """Poll the login page until the host answers (or fail with its log)."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"host on {port} exited:\n{log_path.read_text()[-3000:]}")
        try:
            if Browser().send(port, "GET", "/login")[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"host on {port} did not answer within {START_TIMEOUT_SECONDS} s:\n{log_path.read_text()[-3000:]}")


@pytest.fixture
def two_hosts(app_role_url, redis_url, tmp_path):  # noqa: F811 - the imported fixture
    """Ports of two gunicorn hosts on the application's database role and one Redis, and a case to look at."""
    seeding = create_app("testing", SQLALCHEMY_DATABASE_URI=app_role_url)
    with seeding.app_context():
        cast = gen_cast()
        case = gen_case(cast, "complaint", "under_review")
        db.session.commit()
        world = {"email": cast.applicant.email, "other_email": cast.officer.email, "number": case.number}
        db.session.remove()
        db.engine.dispose()
    environment = {
        **os.environ, "TRACKER_CONFIG": "development", "SECRET_KEY": "two-hosts-test-key", "DATABASE_URL": app_role_url,
        "REDIS_URL": redis_url, "RATELIMIT_KEY_PREFIX": f"hosts-{tmp_path.name}",
        "TRACKER_INSTANCE_DIR": str(tmp_path), "PYTHONPATH": str(ROOT),
    }
    ports = [free_port(), free_port()]
    processes = [start_host(port, environment, tmp_path / f"host-{port}.log") for port in ports]
    try:
        for port, process in zip(ports, processes, strict=True):
            wait_until_serving(port, process, tmp_path / f"host-{port}.log")
        yield ports, world
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=20)


def test_one_user_served_by_two_hosts_keeps_the_session_the_limits_and_the_case(two_hosts):
    (first, second), world = two_hosts
    user = Browser()
    status, location, _page = user.post_form(first, "/login", "/login", {"email": world["email"], "password": PASSWORD})
    assert status == 302 and location.endswith("/"), location
    for port in (second, first, second, first):
        status, _location, page = user.send(port, "GET", f"/cases/{world['number']}")
        assert status == 200 and world["number"] in page

    attacker = Browser()
    for attempt in range(5):
        port = (first, second)[attempt % 2]
        status, _location, _page = attacker.post_form(
            port, "/login", "/login", {"email": world["other_email"], "password": "not the password"}
        )
        assert status == 200
    for port in (first, second):
        status, _location, _page = attacker.post_form(
            port, "/login", "/login", {"email": world["other_email"], "password": "not the password"}
        )
        assert status == 429

    copied = dict(user.cookies)
    status, _location, _page = user.post_form(second, f"/cases/{world['number']}", "/logout", {})
    assert status == 302
    replay = Browser()
    replay.cookies = copied
    status, location, _page = replay.send(first, "GET", f"/cases/{world['number']}")
    assert status == 302 and "/login" in location
