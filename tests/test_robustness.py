"""No route answers 500 to hostile or malformed input: every route, every role, junk in the path, the query and the body."""

import io
import itertools
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck
from hypothesis import event
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from werkzeug.datastructures import MultiDict
from wtforms import FieldList
from wtforms import FileField
from wtforms import Form
from wtforms import MultipleFileField
from wtforms.fields.core import UnboundField

from tests.factories import gen_case
from tests.factories import gen_user
from tests.test_web_filing import anonymous_contact
from tests.test_web_filing import form_data
from tracker import create_app
from tracker.demo import Cast
from tracker.extensions import db
from tracker.models import Case
from tracker.models import CaseKind
from tracker.models import Role
from tracker.models import ThrottleEvent
from tracker.services import filing
from tracker.services.access import can_view_case
from tracker.services.attachments import EvidencePolicy
from tracker.services.attachments import attach_evidence
from tracker.web import account_forms
from tracker.web import filing_forms
from tracker.web import forms
from tracker.web.form_input import PostedInput
from tracker.web.uploads import DRAFT_OWNER_KEY
from tracker.workflow.guards import APPEAL_DECISIONS
from tracker.workflow.guards import REFUSAL_CODES
from tracker.workflow.guards import SETTLEMENT_OUTCOMES
from tracker.workflow.guards import TERMINATION_GROUNDS
from tracker.workflow.tables import TABLES
from tracker.workflow.tables import states_of

#: Who sends the requests: a visitor, then one signed-in user per role.
ROLES = ("anonymous", "consumer", "officer", "enterprise", "expert", "admin")
JSON = {"Accept": "application/json"}


def _routes() -> list[tuple[str, str, tuple[str, ...]]]:
    """(endpoint, rule, methods) of every route but static files, read from a throwaway app's URL map."""
    app = create_app("testing")
    try:
        return sorted(
            (rule.endpoint, rule.rule, tuple(sorted(rule.methods & {"GET", "POST"})))
            for rule in app.url_map.iter_rules()
            if rule.endpoint != "static"
        )
    finally:
        with app.app_context():
            db.engine.dispose()


ROUTES = _routes()
#: Rules some endpoint answers GET on (/track is a GET form and a POST action under one address).
GET_RULES = frozenset(rule for _endpoint, rule, methods in ROUTES if "GET" in methods)


def path_arguments(rule: str) -> dict[str, str]:
    """argument -> converter ("default" when none is named) of each <converter:argument> in the rule."""
    arguments = {}
    for part in re.findall(r"<([^<>]+)>", rule):
        converter, _colon, argument = part.rpartition(":")
        arguments[argument] = converter.split("(")[0] or "default"
    return arguments


def _form_classes() -> list[type[Form]]:
    """Every form class of the web layer, so that a new form's fields are swept without touching this file."""
    found, pending = [], [Form]
    while pending:
        for subclass in pending.pop().__subclasses__():
            pending.append(subclass)
            if subclass.__module__ in (forms.__name__, account_forms.__name__, filing_forms.__name__):
                found.append(subclass)
    return found


def _field_names(form_class: type[Form], prefix: str = "") -> tuple[set[str], set[str]]:
    """(text field names, file field names) as a browser would post them, list entries included (one too many)."""
    texts, files = set(), set()
    for name in dir(form_class):
        unbound = getattr(form_class, name, None)
        if not isinstance(unbound, UnboundField):
            continue
        if issubclass(unbound.field_class, FieldList):
            entry_form = unbound.args[0].args[0]
            for index in range((unbound.kwargs.get("max_entries") or 2) + 1):
                entry_texts, entry_files = _field_names(entry_form, f"{prefix}{name}-{index}-")
                texts |= entry_texts
                files |= entry_files
        elif issubclass(unbound.field_class, (FileField, MultipleFileField)):
            files.add(prefix + name)
        else:
            texts.add(prefix + name)
    return texts, files


def _all_field_names() -> tuple[list[str], list[str]]:
    """The text and the file fields of every form, so that every body fills in everything any form reads."""
    texts, files = set(), set()
    for form_class in _form_classes():
        form_texts, form_files = _field_names(form_class)
        texts |= form_texts
        files |= form_files
    return sorted(texts), sorted(files)


TEXT_FIELDS, FILE_FIELDS = _all_field_names()

#: Values no field should choke on: NUL, out-of-range numbers, too long, impossible dates, not numbers, markup.
JUNK_VALUES = (
    "a\x00b",
    str(2**63),
    str(2**31),
    "-1",
    "x" * 5000,
    "é" * 255,
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
    "1e309",
    "NaN",
    "案件'\"<script>alert(1)</script>",
)
#: Path segments that stand for a real value in the URL but are not one.
JUNK_SEGMENTS = (quote("x" * 5000), quote("案件'\"<script>"), "../../etc/passwd", "%00")
#: And for the integer converters: negative, beyond 64 bits, not a number.
JUNK_INTEGER_SEGMENTS = ("-1", str(2**63), "abc")
#: Query arguments some views read, and what to put in them.
QUERY_ARGS = ("q", "page", "per_page", "next", "check", "number")
JUNK_QUERY_VALUES = ("x" * 300, str(2**63), "a\x00b", "//evil.example/")


def jpeg_bytes() -> bytes:
    """A small, genuine photo."""
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def junk_files() -> list[tuple[io.BytesIO, str]]:
    """Empty, random and disguised files, and file names that are themselves an attack."""
    return [
        (io.BytesIO(b""), "empty.jpg"),
        (io.BytesIO(os.urandom(2048)), "random.pdf"),
        (io.BytesIO(b"MZ\x90\x00" + os.urandom(512)), "setup.exe.jpg"),
        (io.BytesIO(b"%PDF-1.4\n/JavaScript"), "../../etc/passwd.pdf"),
        (io.BytesIO(jpeg_bytes()), "x" * 5000 + ".jpg"),
        (io.BytesIO(jpeg_bytes()), "a\x00b.jpg"),
    ]


@dataclass(frozen=True)
class Body:
    """One way of posting to a route: a label for the report and the test client's keyword arguments."""

    label: str
    build: Callable[[], dict]


def junk_bodies(version: Callable[[], int]) -> list[Body]:
    """Empty, every field junk (one kind of junk at a time, then repeated keys), files, JSON and wrong types."""
    bodies = [Body("empty", dict)]
    for junk in JUNK_VALUES:
        bodies.append(Body(f"every field {junk[:20]!r}", lambda junk=junk: {"data": dict.fromkeys(TEXT_FIELDS, junk)}))
    bodies.append(Body(
        "junk with the case's version",
        lambda: {"data": {**dict.fromkeys(TEXT_FIELDS, "案件'\"<b>"), "version": str(version())}},
    ))
    bodies.append(Body(
        "repeated keys",
        lambda: {"data": MultiDict([(name, junk) for name in TEXT_FIELDS for junk in ("1", "abc", "")])},
    ))
    bodies.append(Body(
        "junk files",
        lambda: {
            "data": {**dict.fromkeys(TEXT_FIELDS, "1"), "version": str(version()),
                     **{name: junk_files() for name in FILE_FIELDS}},
            "content_type": "multipart/form-data",
        },
    ))
    bodies.append(Body("a file where text belongs", lambda: {
        "data": {name: (io.BytesIO(b"abc"), "a.txt") for name in TEXT_FIELDS}, "content_type": "multipart/form-data",
    }))
    bodies.append(Body("json", lambda: {"json": {name: [1, {"a": None}] for name in TEXT_FIELDS}, "headers": JSON}))
    bodies.append(Body("json that is no object", lambda: {"json": [1, [2]], "headers": JSON}))
    bodies.append(Body("broken json", lambda: {"data": '{"version": ', "content_type": "application/json"}))
    bodies.append(Body("xml", lambda: {"data": "<a>&x;</a>", "content_type": "application/xml"}))
    bodies.append(Body("multipart without boundary", lambda: {
        "data": b"--x\r\n\r\n", "content_type": "multipart/form-data",
    }))
    bodies.append(Body("undecodable form", lambda: {
        "data": b"version=%ff%fe&body=\xff\xfe%zz&lang=%", "content_type": "application/x-www-form-urlencoded",
    }))
    return bodies


@dataclass
class World:
    """What the real path values point at, for one role."""

    visible_number: str
    hidden_number: str
    draft_token: str
    evidence_id: int
    trigger: str
    version: Callable[[], int]
    #: An account an administrator manages and an enterprise user may remove (a colleague).
    user_id: int = 0


#: The case each case route is swept on, so that its form meets a case that can take it: (kind, state).
CASE_FOR_ENDPOINT = {
    "cases.supplement": ("complaint", "awaiting_information"),
    "cases.rate": ("complaint", "closed"),
    "cases.request_reopen": ("complaint", "closed"),
}
#: By default: accepted (the enterprise sees it) and with an expert appointed (the expert sees it).
DEFAULT_CASE = ("complaint", "expert_review")


@pytest.fixture
def uploads(app, tmp_path, monkeypatch):
    """A fresh upload folder, so that the sweep's files do not land in the shared instance folder."""
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    return tmp_path


def build_world(endpoint: str, role: str, client, cast: Cast, login_as, root) -> World:
    """Cases, a draft and a file to aim at; then sign the client in as the role (the login commits them)."""
    kind, state = CASE_FOR_ENDPOINT.get(endpoint, DEFAULT_CASE)
    visible = gen_case(cast, kind, state)
    stranger = gen_user(Role.CONSUMER)
    hidden = gen_case(Cast(cast.officer, stranger, cast.enterprise_user, cast.experts), "complaint")
    evidence = attach_evidence(
        db.session, root=root, policy=EvidencePolicy(), stream=io.BytesIO(jpeg_bytes()),
        original_name="照片.jpg", uploader=cast.officer, case=visible,
    )
    users = {
        "consumer": cast.applicant, "officer": cast.officer, "enterprise": cast.enterprise_user,
        "expert": visible.active_panel[0].expert if visible.active_panel else cast.experts[0],
        "admin": gen_user(Role.ADMIN),
    }
    owner_key = filing.new_owner_key()
    draft = filing.start_draft(
        db.session, CaseKind.COMPLAINT, cast.applicant if role == "consumer" else None,
        None if role == "consumer" else owner_key,
    )
    colleague = gen_user(Role.ENTERPRISE, enterprise=cast.enterprise_user.enterprise)
    db.session.flush()
    if role == "anonymous":
        db.session.commit()
        with client.session_transaction() as session:
            session[DRAFT_OWNER_KEY] = owner_key
    else:
        login_as(users[role])
    return World(
        visible_number=visible.number,
        hidden_number=hidden.number,
        draft_token=draft.token,
        evidence_id=evidence.id,
        trigger="submit_opinion" if state == "expert_review" else "withdraw",
        version=lambda: visible.version,
        user_id=colleague.id,
    )


#: Labels of the first real value of each argument, left out of the report for brevity.
PRIMARY_LABELS = ("visible case", "real trigger", "draft", "kind", "evidence", "record", "user", "some row",
                  "some text", "a year", "a vocabulary")


#: Real values of arguments the table in real_segments does not name, by converter: a row id that may exist
#: and one that cannot; any other converter gets plain text.
GENERIC_SEGMENTS = {
    "int": [("some row", "1"), ("unknown row", str(2**31 - 1))],
    "default": [("some text", "x")],
}
#: Arguments whose real values are not row ids: (label, segment), the first swept with bodies.
NAMED_SEGMENTS = {
    "year": [("a year", "2027"), ("a far year", "1999")],
    "vocabulary": [("a vocabulary", "category"), ("another vocabulary", "issue")],
}


def real_segments(argument: str, world: World, converter: str = "default") -> list[tuple[str, str]]:
    """(label, segment) of the real values an argument can take; the first is the one bodies are swept on.

    Any other argument (an expert profile, a recusal request...) gets the generic values of its converter.
    """
    if argument in NAMED_SEGMENTS:
        return NAMED_SEGMENTS[argument]
    unknown_number = world.visible_number[:-6] + "999999"
    return {
        "number": [("visible case", world.visible_number), ("hidden case", world.hidden_number),
                   ("unknown case", unknown_number)],
        "trigger": [("real trigger", world.trigger), ("unknown trigger", "launch_rockets")],
        "token": [("draft", world.draft_token), ("unknown draft", "A" * 43)],
        "kind": [("kind", "complaint"), ("other kind", "appraisal")],
        "evidence_id": [("evidence", str(world.evidence_id)), ("unknown evidence", str(2**31 - 1))],
        "queue_name": [("queue", "mine"), ("unknown queue", "launch_rockets")],
        "template_id": [("unknown reply template", str(2**31 - 1))],
        "session_id": [("unknown mediation session", str(2**31 - 1))],
        "user_id": [("user", str(world.user_id)), ("unknown user", str(2**31 - 1))],
    }.get(argument) or GENERIC_SEGMENTS.get(converter, GENERIC_SEGMENTS["default"])


def build_url(rule: str, segments: dict[str, str]) -> str:
    """The rule with each <converter:argument> replaced by the given raw (already escaped) segment."""
    url = rule
    for argument, segment in segments.items():
        url = re.sub(r"<(?:[^<>]*:)?" + argument + ">", lambda _match, segment=segment: segment, url)
    return url


def urls_for(rule: str, world: World) -> list[tuple[str, str, bool]]:
    """(label, url, primary) for every real value, and for junk in each argument with every real value of the rest.

    The primary URL (every argument at its first real value) is the one the bodies and queries are swept on.
    """
    arguments = path_arguments(rule)
    if not arguments:
        return [("", rule, True)]
    real = {argument: real_segments(argument, world, converter) for argument, converter in arguments.items()}
    urls = []
    for combination in itertools.product(*real.values()):
        label = ", ".join(label for label, _segment in combination if label not in PRIMARY_LABELS)
        segments = {argument: segment for argument, (_label, segment) in zip(arguments, combination, strict=True)}
        urls.append((label, build_url(rule, segments), not label))
    for argument, converter in arguments.items():
        others = [other for other in arguments if other != argument]
        junk_segments = (*JUNK_SEGMENTS, *(JUNK_INTEGER_SEGMENTS if converter == "int" else ()))
        for combination in itertools.product(*(real[other] for other in others)):
            segments = {other: segment for other, (_label, segment) in zip(others, combination, strict=True)}
            context = "".join(f", {label}" for label, _segment in combination if label not in PRIMARY_LABELS)
            for junk in junk_segments:
                urls.append((f"junk {argument} {junk[:20]!r}{context}", build_url(rule, {**segments, argument: junk}),
                             False))
    return urls


def session_is_usable() -> str | None:
    """None if the database session can still run a statement (no failed transaction left behind)."""
    try:
        db.session.execute(text("select 1")).scalar_one()
    except Exception as error:  # any failure here is what the sweep reports
        db.session.rollback()
        return f"session unusable afterwards: {type(error).__name__}: {error}"[:400]
    return None


class Sweep:
    """Sends requests and collects every 5xx, exception and broken session instead of stopping at the first."""

    def __init__(self, client) -> None:
        self.client = client
        self.failures: list[str] = []
        self.sent = 0

    def send(self, method: str, url: str, label: str, **kwargs):
        """One request; returns the response, or None when the app raised."""
        self.sent += 1
        where = f"{method} {url[:120]} [{label}]"
        db.session.execute(delete(ThrottleEvent))
        try:
            response = self.client.open(url, method=method, **kwargs)
            response.get_data()
            response.close()
        except Exception as error:  # an exception out of the app is a 500 in production
            db.session.rollback()
            self.failures.append(f"{where}: raised {type(error).__name__}: {error}"[:600])
            return None
        if response.status_code >= 500:
            self.failures.append(f"{where}: {response.status_code}")
        broken = session_is_usable()
        if broken:
            self.failures.append(f"{where}: {broken}")
        return response

    def expect(self, response, statuses: set[int] | None, what: str) -> None:
        """Note a response whose status is not one of the expected ones (None: any below 500 will do)."""
        if response is not None and statuses is not None and response.status_code not in statuses:
            self.failures.append(f"{what}: expected {sorted(statuses)}, got {response.status_code}")

    def check(self) -> None:
        """Fail with every problem found, one per line."""
        assert not self.failures, f"{len(self.failures)} of {self.sent} requests failed:\n" + "\n".join(self.failures)


#: Arguments whose converter refuses junk, so that junk there is no route at all.
STRICT_ARGUMENTS = ("number", "token", "kind", "evidence_id")


def expected_statuses(endpoint: str, label: str, role: str) -> set[int] | None:
    """The statuses a request must get where it matters: missing and hidden things are 404s; None when any < 500 do."""
    if any(label.startswith(f"junk {argument} ") for argument in STRICT_ARGUMENTS):
        return {404}
    if endpoint.startswith("cases.") and role != "anonymous":
        if "unknown case" in label or ("hidden case" in label and role in ("consumer", "enterprise", "expert")):
            return {404}
    if endpoint.startswith("filing.") and role in ("anonymous", "consumer"):
        if "unknown case" in label or "unknown draft" in label:
            return {404}
    if "unknown evidence" in label:
        return {404}
    return None


def get_on_post_only(label: str) -> set[int]:
    """An address that routes refuses the method with 405; junk that a converter refuses does not route (404)."""
    if not label.startswith("junk "):
        return {405}
    if any(label.startswith(f"junk {argument} ") for argument in STRICT_ARGUMENTS):
        return {404}
    return {404, 405}


def _route_id(route: tuple[str, str, tuple[str, ...]]) -> str:
    """Tests are named after the endpoint."""
    return route[0]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_no_route_answers_500_to_junk(route, role, client, cast, login_as, uploads):
    endpoint, rule, methods = route
    world = build_world(endpoint, role, client, cast, login_as, uploads)
    sweep = Sweep(client)
    bodies = junk_bodies(world.version)
    for label, url, primary in urls_for(rule, world):
        expected = expected_statuses(endpoint, label, role)
        if "GET" in methods:
            sweep.expect(sweep.send("GET", url, label), expected, f"GET {url}")
            if primary:
                sweep.send("GET", url, "json client", headers=JSON)
                for junk in JUNK_QUERY_VALUES:
                    query = "&".join(f"{name}={quote(junk)}" for name in QUERY_ARGS)
                    sweep.send("GET", f"{url}?{query}", f"query {junk[:20]!r}")
        elif rule not in GET_RULES:
            sweep.expect(sweep.send("GET", url, label), get_on_post_only(label), f"GET {url} on a POST-only route")
        if "POST" in methods:
            for body in bodies if primary else bodies[:1]:
                response = sweep.send("POST", url, f"{label} {body.label}".strip(), **body.build())
                sweep.expect(response, expected, f"POST {url} [{body.label}]")
    sweep.check()


def test_every_form_reads_the_request_through_posted_input():
    unguarded = [
        form_class.__name__
        for form_class in _form_classes()
        if not any(issubclass(getattr(base, "Meta", object), PostedInput) for base in form_class.__mro__)
    ]
    assert unguarded == []


#: Text a hostile or careless client may put in any field.
junk_text = st.one_of(
    st.text(max_size=300),
    st.sampled_from(JUNK_VALUES),
    st.integers().map(str),
    st.dates().map(date.isoformat),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
)
#: A field's value: one text, or several (a repeated key where one is expected), or none at all.
junk_values = st.one_of(junk_text.map(lambda value: [value]), st.lists(junk_text, min_size=2, max_size=3), st.just([]))

FILING_FIELDS = sorted(_field_names(filing_forms.ArbitrationForm)[0] | _field_names(filing_forms.ComplaintForm)[0]
                       | _field_names(filing_forms.QualityAppealForm)[0])
HYPOTHESIS_SETTINGS = settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def posted(data: dict[str, list[str]]) -> MultiDict:
    """A form body in which a field may come several times."""
    return MultiDict([(name, value) for name, values in data.items() for value in values])


def cases_filed() -> int:
    """Rows in the cases table."""
    return db.session.scalar(select(func.count()).select_from(Case))


@HYPOTHESIS_SETTINGS
@given(
    kind=st.sampled_from([str(kind) for kind in CaseKind]),
    overrides=st.dictionaries(st.sampled_from(FILING_FIELDS), junk_values, max_size=6),
    action=st.sampled_from(["review", "search", "", "x"]),
)
def test_the_filing_form_answers_junk_with_a_form_not_a_500(client, cast, uploads, kind, overrides, action):
    valid = {name: [value] for name, value in {**form_data(kind, cast.enterprise_user.enterprise),
                                                **anonymous_contact()}.items()}
    before = cases_filed()
    response = client.post(f"/file/{kind}", data=posted({**valid, "action": [action], **overrides}))
    assert response.status_code < 500
    assert session_is_usable() is None
    event(f"form answered {response.status_code}")
    if response.status_code != 302:
        assert response.status_code in (200, 404, 413, 422)
        return
    review = client.get(response.location)
    assert review.status_code in (200, 302)
    token = response.location.rsplit("/", 1)[1]
    submitted = client.post(f"/file/submit/{token}")
    assert submitted.status_code == 302
    assert session_is_usable() is None
    event("filed" if submitted.location.startswith("/file/done/") else "refused at submission")
    if submitted.location.startswith("/file/done/"):
        assert cases_filed() == before + 1
        assert client.get(submitted.location).status_code == 200
    else:
        assert cases_filed() == before


#: Every trigger of every kind, and some that exist nowhere.
TRIGGERS = sorted({row.trigger for rows in TABLES.values() for row in rows} | {"launch_rockets", "", "__init__"})
#: Every (kind, state) a case can be driven to.
CASE_STATES = [(str(kind), state) for kind in CaseKind for state in states_of(kind)]
#: Values some action's guard accepts, so that junk in the other fields reaches the workflow now and then.
ACTION_CODES = sorted([*REFUSAL_CODES, *SETTLEMENT_OUTCOMES, *APPEAL_DECISIONS, *TERMINATION_GROUNDS])
#: Each field of the action form but the version: junk, or what its kind of input could hold.
ACTION_FIELDS = {
    "reason": junk_values,
    "refusal_code": st.one_of(junk_values, st.sampled_from(ACTION_CODES).map(lambda code: [code])),
    "outcome": st.one_of(junk_values, st.sampled_from(ACTION_CODES).map(lambda code: [code])),
    "decision": st.one_of(junk_values, st.sampled_from(ACTION_CODES).map(lambda code: [code])),
    "explanation": junk_values,
    "missing_items": junk_values,
    "reply_by": st.one_of(junk_values, st.dates().map(lambda day: [day.isoformat()])),
    "termination_ground": st.one_of(junk_values, st.sampled_from(ACTION_CODES).map(lambda code: [code])),
    "terms": junk_values,
    "amount": st.one_of(junk_values, st.decimals(allow_nan=True, places=3).map(lambda amount: [str(amount)])),
    "perform_by": st.one_of(junk_values, st.dates().map(lambda day: [day.isoformat()])),
}
#: Who may be signed in: the cast's parties, by the attribute that holds them, and the role each acts in.
PARTIES = {"officer": Role.OFFICER, "applicant": Role.CONSUMER, "enterprise_user": Role.ENTERPRISE,
           "expert": Role.EXPERT}


@HYPOTHESIS_SETTINGS
@given(data=st.data())
def test_the_case_action_form_answers_junk_without_a_500_or_a_half_done_change(client, cast, login_as, data):
    assert set(ACTION_FIELDS) == _field_names(forms.ActionForm)[0] - {"version"}
    kind, state = data.draw(st.sampled_from(CASE_STATES), label="case")
    from_here = sorted({row.trigger for row in TABLES[CaseKind(kind)] if state in row.sources})
    trigger = data.draw(st.one_of(st.sampled_from(from_here or TRIGGERS), st.sampled_from(TRIGGERS),
                                  st.text(max_size=50)), label="trigger")
    entitled = [party for party, role in PARTIES.items()
                for row in TABLES[CaseKind(kind)] if row.trigger == trigger and role in row.roles]
    party = data.draw(st.one_of(st.sampled_from(entitled or list(PARTIES)), st.sampled_from(list(PARTIES))),
                      label="party")
    version = data.draw(st.one_of(st.just("current"), junk_values), label="version")
    fields = data.draw(st.fixed_dictionaries({}, optional=ACTION_FIELDS), label="fields")
    case = gen_case(cast, kind, state)
    panel = [member.expert for member in case.active_panel] or cast.experts
    actor = panel[0] if party == "expert" else getattr(cast, party)
    client.post("/logout")
    login_as(actor)
    number, state_before, version_before, events_before = case.number, case.state, case.version, case.audit_head_hash
    body = {**fields, "version": [str(case.version)] if version == "current" else version}
    response = client.post(f"/cases/{number}/actions/{quote(trigger, safe='')}", data=posted(body))
    assert response.status_code < 500
    assert session_is_usable() is None
    db.session.expire_all()
    event(f"action answered {response.status_code}")
    if response.status_code != 302:
        assert response.status_code in (400, 403, 404, 405, 409, 422)
        assert (case.state, case.version, case.audit_head_hash) == (state_before, version_before, events_before)
    on_panel = any(member.expert_id == actor.id for member in case.panel)
    expected = (302 if on_panel else 200) if can_view_case(case, actor) else 404  # a panelist reads the workspace
    assert client.get(f"/cases/{number}").status_code == expected


@pytest.mark.parametrize("lang", ["fr", "", "zh-CN", "EN", "x" * 5000, "a\x00b", "en\x00", "../en", "案件"])
def test_a_junk_language_leaves_the_locale_unchanged(client, lang):
    assert client.post("/language", data={"lang": "en", "next": "/login"}).status_code == 302
    response = client.post("/language", data={"lang": lang, "next": "/login"})
    assert response.status_code == 400
    assert response.get_data(as_text=True).count("Bad request") >= 1
    with client.session_transaction() as session:
        assert session["lang"] == "en"
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)


@pytest.mark.parametrize("lang", [["en", "zh"], ["x", "en"]])
def test_a_repeated_language_takes_the_first_and_never_a_junk_one(client, lang):
    response = client.post("/language", data=MultiDict([("lang", value) for value in lang]))
    with client.session_transaction() as session:
        assert session.get("lang") in (None, lang[0])
    assert response.status_code == (302 if lang[0] == "en" else 400)
