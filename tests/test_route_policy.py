"""Every URL rule has a line in tracker/web/route_policy.py, and every role gets the answer that line promises.

For a route with arguments, the URL is built from real rows (a case every role may see, a draft, a file): a
new route needs only its policy line, unless its arguments are of a new kind (see sample_value).
"""

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from werkzeug.routing import AnyConverter

from tests.test_robustness import World
from tests.test_robustness import build_world
from tests.test_robustness import real_segments
from tracker import create_app
from tracker.extensions import db
from tracker.models import SecurityEvent
from tracker.web.route_policy import DENIED_BY_POLICY
from tracker.web.route_policy import POLICY
from tracker.web.route_policy import ROLES


def _rules() -> list[tuple[str, object]]:
    """(endpoint, rule) of every URL rule of the app, static files included."""
    app = create_app("testing")
    try:
        return sorted(((rule.endpoint, rule) for rule in app.url_map.iter_rules()), key=lambda item: item[1].rule)
    finally:
        with app.app_context():
            db.engine.dispose()


RULES = _rules()
#: Arguments of a kind the robustness world does not build, per endpoint: argument -> function of the world.
ARGUMENT_SAMPLES: dict[str, dict[str, object]] = {
    "static": {"filename": lambda world: "css/app.css"},
}
#: Arguments named after a converter the world knows, whatever the argument is called.
CONVERTER_SAMPLES = {
    "case_number": lambda world: world.visible_number,
    "draft_token": lambda world: world.draft_token,
}


def newest_row_id(argument: str) -> str | None:
    """For `<int:thing_id>`: the newest row of the table `things` (or `thinges`), made by the world or the cast."""
    stem = argument.removesuffix("_id")
    for table_name in (stem + "s", stem + "es", stem):
        table = db.metadata.tables.get(table_name)
        if table is not None:
            newest = db.session.scalar(select(func.max(table.c.id)))
            return None if newest is None else str(newest)
    return None


def sample_value(endpoint: str, argument: str, converter, world: World) -> str:
    """A real value for one argument of a rule: by endpoint, by converter, by name, or a row of its table."""
    if argument in ARGUMENT_SAMPLES.get(endpoint, {}):
        return ARGUMENT_SAMPLES[endpoint][argument](world)
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    for name, sample in CONVERTER_SAMPLES.items():
        if type(converter).__name__.lower().startswith(name.replace("_", "")):
            return sample(world)
    if argument.endswith("_id") and argument != "evidence_id":
        # A row of its table when the world made one; otherwise an id the view must answer (404) without failing.
        return newest_row_id(argument) or "1"
    return real_segments(argument, world)[0][1]


def url_of(endpoint: str, rule, world: World) -> str:
    """The rule's path with each argument replaced by a real value."""
    values = {argument: sample_value(endpoint, argument, converter, world)
              for argument, converter in rule._converters.items()}
    return rule.build(values, append_unknown=False)[1]


def policy_refusals() -> int:
    """How many requests the policy gate has refused so far in this test."""
    return db.session.scalar(
        select(func.count()).select_from(SecurityEvent).where(SecurityEvent.detail == DENIED_BY_POLICY)
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("endpoint", "rule"), RULES, ids=[f"{rule.rule} {endpoint}" for endpoint, rule in RULES])
def test_every_role_gets_the_answer_the_route_policy_gives(endpoint, rule, role, client, cast, login_as, tmp_path):
    assert endpoint in POLICY, f"{endpoint} ({rule.rule}) has no line in tracker/web/route_policy.py POLICY"
    world = build_world(endpoint, role, client, cast, login_as, tmp_path)
    url = url_of(endpoint, rule, world)
    refused_before = policy_refusals()
    method = "GET" if "GET" in rule.methods else "POST"
    response = client.open(url, method=method, data={} if method == "POST" else None)
    response.close()
    refused = policy_refusals() - refused_before
    allowed, status = POLICY[endpoint]
    answer = f"{method} {url} as {role}: {response.status_code} {response.location or ''}"
    if role in allowed.split():
        assert response.status_code < 500, answer
        assert not (response.status_code == 302 and response.location.startswith("/login")), answer
        assert refused == 0, answer
    elif role == "anonymous":
        assert response.status_code == 302 and response.location.startswith("/login?next="), answer
    else:
        assert response.status_code == status, answer
        assert refused == 1, answer
    db.session.execute(text("select 1"))


def test_the_policy_names_no_route_that_does_not_exist():
    endpoints = {endpoint for endpoint, _rule in RULES}
    assert set(POLICY) - endpoints == set()


def test_a_route_without_a_policy_line_answers_no_one(session_app, db_session):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=session_app.config["SQLALCHEMY_DATABASE_URI"])

    @app.get("/forgotten")
    def forgotten():
        """A route someone added without a policy line."""
        return "should not be reachable"

    response = app.test_client().get("/forgotten")
    assert response.status_code == 403
    with app.app_context():
        db.engine.dispose()
