"""The enterprise answers a case from the case page (templates/cases/_answer.html)."""

from flask import flash
from flask import redirect
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from tracker.extensions import db
from tracker.models import utcnow
from tracker.services import answers
from tracker.services.answers import AnswerError
from tracker.services.conversation import FilesRefused
from tracker.web.cases import get_case_or_404
from tracker.web.cases import render_case_page
from tracker.web.enterprise import bp
from tracker.web.enterprise.forms_answers import AnswerForm
from tracker.web.errors import WORKFLOW_ERRORS
from tracker.web.evidence import upload_refusal
from tracker.web.presentation import format_date
from tracker.web.uploads import evidence_policy
from tracker.web.uploads import upload_root
from tracker.workflow import GuardFailed
from tracker.workflow import WorkflowError

#: Why an answer was refused -> (message, field it belongs to or None, HTTP status).
ANSWER_REFUSALS = {
    "not_enterprise": (_l("Only the enterprise named in the case can answer it."), None, 403),
    "not_answerable": (_l("This case is not waiting for an answer from you now."), None, 409),
    "outcome": (_l("Choose the outcome of your answer."), "outcome", 422),
    "explanation": (_l("Explain your answer."), "explanation", 422),
    "too_long": (_l("This text is too long."), None, 422),
    "disputed_with_proposal": (
        _l("A disputed complaint comes without a settlement proposal. Choose another outcome or clear the proposal."),
        "outcome", 422,
    ),
    "terms": (_l("Describe what you propose to the consumer."), "settlement_terms", 422),
    "due_on": (_l("Enter the date by which the settlement will be carried out; it cannot be in the past."),
               "settlement_due_on", 422),
    "amount": (_l("Enter an amount of 0 or more."), "settlement_amount", 422),
}


def _refused(case, form: AnswerForm, message, field_name: str | None, status: int):
    """Take back anything half-written and show the form again with what was typed and why it was refused."""
    db.session.rollback()
    if field_name is not None:
        form[field_name].errors = [*form[field_name].errors, message]
    else:
        form.form_errors.append(message)
    return render_case_page(case, status=status, answer_form=form)


@bp.post("/cases/<case_number:number>/answer")
def answer(number: str):
    """Record the enterprise's answer; after the deadline it is accepted and marked late."""
    case = get_case_or_404(number, current_user)
    form = AnswerForm()
    if not form.validate_on_submit():
        return render_case_page(case, status=422, answer_form=form)
    files = [(storage.stream, storage.filename) for storage in form.chosen_files()]
    try:
        recorded = answers.answer_case(
            db.session, case, current_user, form.answer_data(), files,
            root=upload_root(), policy=evidence_policy(), now=utcnow(), expected_version=form.version.data,
        )
    except AnswerError as refusal:
        message, field_name, status = ANSWER_REFUSALS[refusal.code]
        return _refused(case, form, message, field_name, status)
    except FilesRefused as refused:
        refusals = [upload_refusal(error, name) for name, error in refused.refusals]
        form.files.errors = [message for message, _status in refusals]
        status = 413 if any(status == 413 for _message, status in refusals) else 422
        return _refused(case, form, _("Nothing was sent. Choose the accepted files again, then send."), None, status)
    except GuardFailed as failure:
        return _refused(case, form, failure.message, None, failure.status_code)
    except WorkflowError as error:
        return _refused(case, form, WORKFLOW_ERRORS.get(type(error), (None, error.message))[1], None, error.status_code)
    db.session.commit()
    if recorded.late:
        flash(_("Your answer was recorded. It came after the deadline of %(date)s and is marked as late.",
                date=format_date(recorded.due_on)), "warning")
    else:
        flash(_("Your answer was recorded."), "success")
    return redirect(url_for("cases.show", number=case.number, _anchor="answers"))
