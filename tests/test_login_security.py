"""Honest logins: limits per account and per address, the same cost and answer for unknown accounts, old hashes upgraded."""

import statistics
import time

from argon2 import PasswordHasher
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from tests.factories import PASSWORD
from tracker import create_app
from tracker.extensions import db
from tracker.models import SecurityEvent
from tracker.security import make_password_hasher
from tracker.services import accounts

GENERIC_FAILURE_ZH = "电子邮箱或密码不正确。"
#: The shipped cost (config.Config), so that the timing test measures what production pays per guess.
PRODUCTION_TIME_COST = 2
PRODUCTION_MEMORY_COST = 19 * 1024


def fail_login(client, email: str, address: str = "198.51.100.7"):
    """One wrong password from the address."""
    return client.post("/login", data={"email": email, "password": "not the password"},
                       environ_base={"REMOTE_ADDR": address})


def test_the_sixth_failed_login_within_15_minutes_answers_429_with_retry_after(client, make_user):
    user = make_user("consumer")
    for _attempt in range(5):
        assert fail_login(client, user.email).status_code == 200
    blocked = fail_login(client, user.email)
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["Retry-After"]) <= 15 * 60 + 1
    right_password = client.post("/login", data={"email": user.email, "password": PASSWORD},
                                 environ_base={"REMOTE_ADDR": "198.51.100.8"})
    assert right_password.status_code == 429
    event = db.session.scalars(select(SecurityEvent).where(SecurityEvent.kind == "throttled")).first()
    assert event.role == "anonymous" and event.request_id and event.remote_addr == "198.51.100.7"


def test_a_successful_login_does_not_count_against_the_account(client, make_user):
    user = make_user("consumer")
    for _attempt in range(8):
        assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
        client.post("/logout")


def test_one_address_guessing_many_accounts_meets_the_wider_limit(client, make_user):
    for number in range(accounts.LOGIN_LIMIT_PER_ADDRESS):
        assert fail_login(client, f"guess{number}@example.test", "203.0.113.50").status_code == 200
    assert fail_login(client, "one-more@example.test", "203.0.113.50").status_code == 429
    assert fail_login(client, "one-more@example.test", "203.0.113.51").status_code == 200


def test_an_unknown_email_gets_the_same_answer_as_a_wrong_password(client, make_user):
    user = make_user("consumer")
    unknown = fail_login(client, "nobody-here@example.test", "192.0.2.1")
    wrong = fail_login(client, user.email, "192.0.2.2")
    assert unknown.status_code == wrong.status_code == 200
    assert GENERIC_FAILURE_ZH in unknown.get_data(as_text=True) and GENERIC_FAILURE_ZH in wrong.get_data(as_text=True)


def timed_failure(client, limiter, email: str) -> float:
    """Seconds one failed login for this e-mail takes, the limits cleared first."""
    limiter.reset()
    started = time.perf_counter()
    response = fail_login(client, email, "192.0.2.10")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    return elapsed


def test_an_unknown_email_costs_the_same_time_as_a_wrong_password(app, client, make_user, monkeypatch):
    hasher = make_password_hasher(PRODUCTION_TIME_COST, PRODUCTION_MEMORY_COST)
    monkeypatch.setitem(app.extensions, "password_hasher", hasher)
    user = make_user("consumer")
    db.session.commit()
    limiter = app.extensions["rate_limiter"]
    timed_failure(client, limiter, user.email)
    timed_failure(client, limiter, "warm-up@example.test")
    timings = {"wrong password": [], "unknown e-mail": []}
    # Interleaved, so that whatever else the machine is doing weighs on both alike.
    for round_number in range(31):
        pair = [("wrong password", user.email), ("unknown e-mail", f"nobody{round_number}@example.test")]
        for label, email in pair if round_number % 2 else reversed(pair):
            timings[label].append(timed_failure(client, limiter, email))
    wrong_password, unknown_email = (statistics.median(timings[label]) for label in timings)
    assert abs(unknown_email - wrong_password) <= 0.2 * max(unknown_email, wrong_password), (
        f"unknown {unknown_email:.4f} s, wrong password {wrong_password:.4f} s"
    )


def test_a_werkzeug_hash_logs_in_once_and_is_stored_as_argon2id_afterwards(app, client, make_user):
    user = make_user("consumer")
    user.password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    db.session.commit()
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    db.session.refresh(user)
    assert user.password_hash.startswith("$argon2id$")
    assert app.extensions["password_hasher"].verify(user.password_hash, PASSWORD)


def test_a_wrong_password_leaves_an_old_hash_as_it_was(client, make_user):
    user = make_user("consumer")
    old = generate_password_hash(PASSWORD, method="scrypt:1024:8:1")
    user.password_hash = old
    db.session.commit()
    assert fail_login(client, user.email).status_code == 200
    db.session.refresh(user)
    assert user.password_hash == old


def test_an_argon2_hash_with_older_parameters_is_rehashed_with_todays(app, client, make_user):
    user = make_user("consumer")
    older = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1)
    user.password_hash = older.hash(PASSWORD)
    db.session.commit()
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    db.session.refresh(user)
    hasher = app.extensions["password_hasher"]
    assert f"m={hasher.memory_cost},t={hasher.time_cost},p=1" in user.password_hash


def test_two_hosts_sharing_redis_count_the_same_failures(session_app, make_user, db_session, redis_url):
    user = make_user("consumer")
    db.session.commit()
    hosts = [
        create_app("testing", SQLALCHEMY_DATABASE_URI=session_app.config["SQLALCHEMY_DATABASE_URI"],
                   RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_KEY_PREFIX=f"test-{user.id}")
        for _host in range(2)
    ]
    try:
        for attempt in range(5):
            assert fail_login(hosts[attempt % 2].test_client(), user.email).status_code == 200
        assert fail_login(hosts[1].test_client(), user.email).status_code == 429
        assert fail_login(hosts[0].test_client(), user.email).status_code == 429
    finally:
        for host in hosts:
            with host.app_context():
                db.engine.dispose()
