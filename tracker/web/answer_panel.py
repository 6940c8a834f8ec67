"""What the case page's answer partial shows: the enterprise's answers, the consumer's contact, the answer form."""

from tracker.extensions import db
from tracker.models import Case
from tracker.models import Role
from tracker.models import User
from tracker.services import answers
from tracker.services.consumer_contact import contact_for_enterprise
from tracker.web.enterprise.forms_answers import AnswerForm


def answer_context(case: Case, viewer: User, form: AnswerForm | None = None) -> dict:
    """Template variables of templates/cases/_answer.html for this viewer."""
    is_enterprise = viewer.is_authenticated and viewer.role == Role.ENTERPRISE
    may_answer = answers.answer_refusal(case, viewer) is None
    return {
        "case_answers": answers.answers_of(db.session, case),
        "answer_outcomes": answers.ANSWER_OUTCOMES,
        "consumer_contact": contact_for_enterprise(case) if is_enterprise else None,
        "may_answer": may_answer or form is not None,
        "answer_form": form or AnswerForm(formdata=None, version=case.version),
    }
