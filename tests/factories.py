"""Builders for tests: users, enterprises, cases filed and driven through their tables."""

import itertools
from datetime import datetime
from datetime import timedelta

from flask import current_app

from tracker.demo import Cast
from tracker.demo import drive
from tracker.demo import filing_data
from tracker.demo import find_path
from tracker.extensions import db
from tracker.models import Case
from tracker.models import CaseKind
from tracker.models import Enterprise
from tracker.models import Role
from tracker.models import User
from tracker.models import utcnow
from tracker.services import accounts
from tracker.services import cases
from tracker.services import experts

PASSWORD = "correct horse battery staple"
_sequence = itertools.count(1)


def gen_enterprise(**fields) -> Enterprise:
    """A confirmed enterprise with a unique credit code."""
    number = next(_sequence)
    enterprise = Enterprise(
        name=fields.pop("name", f"测试企业{number}有限公司"),
        credit_code=fields.pop("credit_code", f"91110000TEST{number:05d}X"[:18]),
        confirmed=fields.pop("confirmed", True),
        **fields,
    )
    db.session.add(enterprise)
    db.session.flush()
    return enterprise


def gen_user(role: Role | str, **fields) -> User:
    """An account of the role; enterprise users get an enterprise unless one is given."""
    role = Role(role)
    number = next(_sequence)
    enterprise = fields.pop("enterprise", None)
    if role == Role.ENTERPRISE and enterprise is None:
        enterprise = gen_enterprise()
    user = accounts.create_user(
        db.session,
        current_app.extensions["password_hasher"],
        email=fields.pop("email", f"{role}{number}@example.test"),
        password=fields.pop("password", PASSWORD),
        role=role,
        display_name=fields.pop("display_name", f"{role} {number}"),
        enterprise=enterprise,
        **fields,
    )
    if role == Role.EXPERT:
        experts.attach_profile(
            db.session, user, organisation=f"测试检验研究院{number}", specialty_codes=["household_appliances"],
            now=utcnow(),
        )
    db.session.flush()
    return user


def gen_cast(enterprise: Enterprise | None = None) -> Cast:
    """One of each party a case needs, with three experts for panels."""
    enterprise = enterprise or gen_enterprise()
    return Cast(
        officer=gen_user(Role.OFFICER),
        applicant=gen_user(Role.CONSUMER),
        enterprise_user=gen_user(Role.ENTERPRISE, enterprise=enterprise),
        experts=[gen_user(Role.EXPERT) for _ in range(3)],
    )


def gen_case(
    cast: Cast,
    kind: CaseKind | str = CaseKind.COMPLAINT,
    state: str | None = None,
    *,
    filed_at: datetime | None = None,
    filing: dict | None = None,
) -> Case:
    """File a case as the cast's applicant against the cast's enterprise (`filing` replaces fields of the demo's
    filing), then drive it to `state`."""
    kind = CaseKind(kind)
    filed_at = filed_at or utcnow() - timedelta(days=60)
    case, _code = cases.submit_case(
        db.session,
        cast.applicant,
        kind,
        {**filing_data(cast.enterprise_user.enterprise, kind, next(_sequence)), **(filing or {})},
        now=filed_at,
    )
    db.session.flush()
    if state is not None:
        drive(db.session, case, find_path(kind, state), cast, start=filed_at)
    return case
