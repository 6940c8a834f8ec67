"""Every transition the parties can see queues exactly one e-mail to each party, in its language; internal steps none."""

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from tests.factories import gen_case
from tests.factories import gen_cast
from tests.factories import gen_user
from tracker.demo import data_for
from tracker.demo import find_path
from tracker.demo import prepare_for
from tracker.extensions import db
from tracker.models import CaseKind
from tracker.models import OutboxMessage
from tracker.models import Role
from tracker.models import Visibility
from tracker.models import utcnow
from tracker.services import conversation
from tracker.services import triage
from tracker.workflow import TABLES
from tracker.workflow import fire
from tracker.working_days import local_date

ROWS = [(kind, row) for kind in CaseKind for row in TABLES[kind]]


def mails_after(case, mark: int) -> list[OutboxMessage]:
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.case_id == case.id, OutboxMessage.id > mark).order_by(OutboxMessage.id)
    ))


def newest_mail_id() -> int:
    db.session.flush()
    return db.session.scalar(select(func.coalesce(func.max(OutboxMessage.id), 0)))


@pytest.mark.parametrize(("kind", "row"), ROWS, ids=[f"{kind}-{row.trigger}-{row.sources[0]}" for kind, row in ROWS])
def test_each_party_visible_transition_queues_one_e_mail_per_party(db_session, kind, row):
    cast = gen_cast()
    path = find_path(kind, row.sources[0])
    case = gen_case(cast, kind, row.sources[0], filed_at=utcnow() - timedelta(days=len(path) + 2))
    now = prepare_for(db.session, case, row, cast, utcnow())
    mark = newest_mail_id()

    fire(case, row.trigger, cast.actor_for(row, case), now=now, **data_for(row, local_date(now)))

    recipients = [mail.recipient for mail in mails_after(case, mark)]
    expected = [] if row.visibility != Visibility.PARTIES else [cast.applicant.email] + (
        [cast.enterprise_user.email] if case.accepted_at is not None else []
    )
    assert sorted(recipients) == sorted(expected)


def test_internal_steps_notify_nobody(db_session):
    cast = gen_cast()
    case, other = gen_case(cast, CaseKind.COMPLAINT, "under_review"), gen_case(cast, CaseKind.COMPLAINT)
    mark = newest_mail_id()
    conversation.post_message(db.session, case, cast.officer, "内部：申请人电话未接通", internal=True)
    triage.link_cases(db.session, case, other.number, cast.officer)
    assert mails_after(case, mark) == [] and mails_after(other, mark) == []


def test_each_party_reads_the_e_mail_in_its_own_language(db_session):
    cast = gen_cast()
    cast.applicant.locale = "en"
    case = gen_case(cast, CaseKind.COMPLAINT, "under_review")
    mark = newest_mail_id()
    fire(case, "accept", cast.officer, now=utcnow())
    by_recipient = {mail.recipient: mail for mail in mails_after(case, mark)}
    to_applicant, to_enterprise = by_recipient[cast.applicant.email], by_recipient[cast.enterprise_user.email]
    assert to_applicant.subject == f"[Case Tracker] Case {case.number}: Awaiting the enterprise's response"
    assert "What happens next: The enterprise must answer your complaint." in to_applicant.body
    assert to_enterprise.subject.startswith(f"[Case Tracker] 案件 {case.number}：")
    assert "接下来：" in to_enterprise.body
    assert f"/cases/{case.number}" in to_enterprise.body


def test_the_enterprise_reads_the_consumers_contact_masked_without_consent(db_session):
    cast = gen_cast()
    cast.applicant.mobile = "13812345678"
    case = gen_case(cast, CaseKind.COMPLAINT, "under_review")
    mark = newest_mail_id()
    case.consent_forward_contact = False
    fire(case, "accept", cast.officer, now=utcnow())
    to_enterprise = next(mail for mail in mails_after(case, mark) if mail.recipient == cast.enterprise_user.email)
    assert "138****5678" in to_enterprise.body
    assert "13812345678" not in to_enterprise.body
    assert cast.applicant.email not in to_enterprise.body


def test_an_enterprise_without_accounts_is_told_at_its_contact_address(db_session):
    cast = gen_cast()
    case = gen_case(cast, CaseKind.COMPLAINT, "under_review")
    cast.enterprise_user.active = False
    case.enterprise.contact_email = "service@kettle.example.cn"
    mark = newest_mail_id()
    fire(case, "accept", cast.officer, now=utcnow())
    assert sorted(mail.recipient for mail in mails_after(case, mark)) == sorted(
        [cast.applicant.email, "service@kettle.example.cn"]
    )


def test_a_rolled_back_transition_leaves_no_e_mail(db_session):
    cast = gen_cast()
    case = gen_case(cast, CaseKind.COMPLAINT, "under_review")
    mark = newest_mail_id()
    savepoint = db.session.begin_nested()
    fire(case, "accept", cast.officer, now=utcnow())
    db.session.flush()
    savepoint.rollback()
    assert mails_after(case, mark) == []
    assert gen_user(Role.CONSUMER).locale == "zh"
