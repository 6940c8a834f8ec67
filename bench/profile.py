"""Profile one hot path in a single process with cProfile, on a seeded database kept between runs.

    .venv/bin/python -m bench.profile case-officer            # seeds /tmp/tracker-profile-10000.db first
    .venv/bin/python -m bench.profile filing --requests 100 --sort cumulative
    PROFILE_DATABASE_URL=postgresql://... .venv/bin/python -m bench.profile queue

Scenarios: case-officer, case-consumer, queue, search, tracking, filing. The app runs with the development
configuration the benchmark serves (JSON request log included, sent to /dev/null here), CSRF off so that the test
client can post; it prints the milliseconds per request and the functions that take the time.
"""

import argparse
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qsl
from urllib.parse import quote

os.environ.setdefault("TRACKER_INSTANCE_DIR", tempfile.mkdtemp(prefix="tracker-profile-instance-"))

from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bench.run import QUEUE_PATH  # noqa: E402
from bench.run import filing_body  # noqa: E402
from bench.seed import BENCH_ACCESS_CODE  # noqa: E402
from bench.seed import seed  # noqa: E402
from tracker import create_app  # noqa: E402

SCENARIOS = ("case-officer", "case-consumer", "queue", "search", "tracking", "filing")


def seeded_database(cases: int) -> tuple[str, dict[str, list[str]]]:
    """A SQLite file seeded once with `cases` cases (or PROFILE_DATABASE_URL), and the demo logins kept beside it."""
    path = Path(tempfile.gettempdir()) / f"tracker-profile-{cases}.db"
    url = os.environ.get("PROFILE_DATABASE_URL") or f"sqlite:///{path}"
    logins_file = path.with_suffix(".logins.json")
    if not logins_file.exists() or (url.startswith("sqlite") and not path.exists()):
        logins_file.write_text(json.dumps(seed(url, cases).logins))
    return url, json.loads(logins_file.read_text())


def requests_of(scenario: str, url: str, logins: dict[str, list[str]]):
    """The requests one iteration of the scenario makes, as (method, path, form) tuples."""
    engine = create_engine(url)
    with engine.connect() as connection:
        officer_id = connection.execute(text("SELECT id FROM users WHERE email = :email"),
                                        {"email": logins["officer"][0]}).scalar_one()
        consumer_id = connection.execute(text("SELECT id FROM users WHERE email = :email"),
                                         {"email": logins["consumer"][0]}).scalar_one()
        officer_case = connection.execute(text(
            "SELECT number FROM cases WHERE assigned_officer_id = :id AND closed_at IS NULL ORDER BY id DESC LIMIT 1"
        ), {"id": officer_id}).scalar_one()
        consumer_case = connection.execute(text(
            "SELECT number FROM cases WHERE applicant_id = :id ORDER BY id LIMIT 1"), {"id": consumer_id}).scalar_one()
        tracking_case = connection.execute(text(
            "SELECT max(number) FROM cases WHERE access_code_hash = (SELECT access_code_hash FROM cases "
            "GROUP BY access_code_hash ORDER BY count(*) DESC LIMIT 1)")).scalar_one()
        enterprise_id = connection.execute(text("SELECT min(id) FROM enterprises WHERE confirmed")).scalar_one()
    engine.dispose()
    if scenario == "case-officer":
        return [("GET", f"/cases/{officer_case}", None)]
    if scenario == "case-consumer":
        return [("GET", f"/cases/{consumer_case}", None)]
    if scenario == "queue":
        return [("GET", QUEUE_PATH, None)]
    if scenario == "search":
        return [("GET", "/officer/search?q=" + quote("电热水壶"), None)]
    if scenario == "tracking":
        return [("POST", "/track", {"number": tracking_case, "access_code": BENCH_ACCESS_CODE})]
    return [("FILE", "/file/complaint", dict(parse_qsl(filing_body("", enterprise_id))))]


def role_of(scenario: str) -> str | None:
    """Whose session the scenario runs in."""
    if scenario in ("case-officer", "queue", "search"):
        return "officer"
    if scenario in ("case-consumer", "filing"):
        return "consumer"
    return None


def one_iteration(client, steps) -> None:
    """Make the scenario's requests; filing posts the form, then submits the draft it was sent to."""
    for method, path, form in steps:
        if method == "GET":
            answer = client.get(path)
        elif method == "POST":
            answer = client.post(path, data=form)
        else:
            answer = client.post(path, data=form)
            draft = answer.headers["Location"]
            answer = client.post(draft.replace("/file/review/", "/file/submit/"), data={})
            if "/file/done/" not in answer.headers.get("Location", ""):
                raise RuntimeError(f"filing failed: {answer.status_code} {answer.headers}")
            continue
        if answer.status_code != 200:
            raise RuntimeError(f"{method} {path} answered {answer.status_code}")


def main() -> None:
    """Warm up, then profile the scenario's requests."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=SCENARIOS)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"))
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--time-only", action="store_true", help="time the requests without the profiler")
    options = parser.parse_args()
    url, logins = seeded_database(options.cases)
    app = create_app("development", SECRET_KEY="profile-only", SQLALCHEMY_DATABASE_URI=url,  # noqa: S106
                     WTF_CSRF_ENABLED=False, SESSION_COOKIE_SECURE=False)
    client = app.test_client()
    role = role_of(options.scenario)
    if role is not None:
        email, password = logins[role]
        answer = client.post("/login", data={"email": email, "password": password})
        if answer.status_code != 302:
            raise RuntimeError(f"login failed: {answer.status_code}")
    steps = requests_of(options.scenario, url, logins)
    real_stderr = sys.stderr
    with open(os.devnull, "w") as quiet:
        sys.stderr = quiet
        try:
            for _ in range(10):
                one_iteration(client, steps)
            profiler = cProfile.Profile()
            started = time.perf_counter()
            if not options.time_only:
                profiler.enable()
            for _ in range(options.requests):
                one_iteration(client, steps)
            profiler.disable()
            elapsed = time.perf_counter() - started
        finally:
            sys.stderr = real_stderr
    how = "without the profiler" if options.time_only else "under cProfile"
    print(f"{options.scenario}: {elapsed / options.requests * 1000:.2f} ms per iteration {how} "
          f"({options.requests} iterations, {url})")
    if not options.time_only:
        pstats.Stats(profiler).sort_stats(options.sort).print_stats(options.top)


if __name__ == "__main__":
    main()
