"""The case page, and every form posted from it: workflow actions, messages, supplements, ratings, reopening."""

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_login import login_required
from flask_wtf import FlaskForm

from tracker.extensions import db
from tracker.models import Case
from tracker.models import Role
from tracker.models import User
from tracker.models import utcnow
from tracker.services import access
from tracker.services import cases
from tracker.services import conversation
from tracker.services import expectations
from tracker.services import mediation
from tracker.services import replies
from tracker.services import triage
from tracker.services.conversation import ConversationError
from tracker.services.conversation import FilesRefused
from tracker.services.expert_file import case_file_for_expert
from tracker.web.answer_panel import answer_context
from tracker.web.enterprise.forms_answers import AnswerForm
from tracker.web.errors import WORKFLOW_ERRORS
from tracker.web.evidence import upload_refusal
from tracker.web.forms import GUARD_FIELDS
from tracker.web.forms import ActionForm
from tracker.web.forms import ConfirmEnterpriseForm
from tracker.web.forms import MessageForm
from tracker.web.forms import RatingForm
from tracker.web.forms import ReopenRequestForm
from tracker.web.forms import SupplementForm
from tracker.web.forms import fields_for
from tracker.web.officer.forms_mediation import FOLLOW_UP_LABELS
from tracker.web.officer.forms_mediation import SESSION_MODE_LABELS
from tracker.web.officer.forms_mediation import SESSION_OUTCOME_LABELS
from tracker.web.officer.forms_mediation import FollowUpForm
from tracker.web.officer.forms_mediation import MinutesForm
from tracker.web.officer.forms_mediation import ScheduleSessionForm
from tracker.web.officer.forms_triage import LinkCaseForm
from tracker.web.officer.forms_triage import MergeForm
from tracker.web.presentation import format_date
from tracker.web.presentation import state_label
from tracker.web.uploads import evidence_policy
from tracker.web.uploads import upload_root
from tracker.workflow import Action
from tracker.workflow import GuardFailed
from tracker.workflow import WorkflowError
from tracker.workflow import allowed_actions

bp = Blueprint("cases", __name__, url_prefix="/cases")

#: Why an enterprise could not be confirmed.
ENTERPRISE_REFUSALS = {
    "not_officer": _l("Only a case officer confirms enterprises."),
    "no_enterprise": _l("This case names no enterprise."),
    "code_missing": _l("Enter the enterprise's unified social credit code."),
    "code_invalid": _l("This is not a valid unified social credit code (18 characters, no I, O, S, V or Z)."),
}

#: Why the conversation service refused -> (message, HTTP status).
CONVERSATION_REFUSALS = {
    "empty": (_l("Please write something first."), 422),
    "too_long": (_l("This text is too long."), 422),
    "score": (_l("Choose a rating from 1 to 5 stars."), 422),
    "not_staff": (_l("Only staff can write internal notes."), 403),
    "not_applicant": (_l("Only the applicant can do this."), 403),
    "not_allowed": (_l("You cannot write on this case."), 403),
    "not_closed": (_l("This is possible only once the case is closed."), 409),
    "already_rated": (_l("You have already rated this case."), 409),
    "window_passed": (_l("The period for asking to reopen this case has ended."), 409),
    "already_requested": (_l("You have already asked to reopen this case. The case officer will decide."), 409),
}

#: Actions the enterprise takes through its answer form (templates/cases/_answer.html), not as bare buttons.
ANSWER_TRIGGERS = frozenset({"propose_settlement", "dispute", "respond"})

#: The question a browser asks before an action that binds the user or cannot be undone.
ACTION_CONFIRMATIONS = {
    "withdraw": _l("Withdraw this case? We will stop handling it, and this cannot be undone."),
    "accept_settlement": _l("Accept the enterprise's proposal? Your case will be settled on these terms."),
    "reject_settlement": _l("Refuse the enterprise's proposal? The case officer will continue to mediate."),
    "raise_objection": _l("Object to the report? The product will be examined again."),
    "refuse": _l("Refuse this case? The applicant will be told the ground you chose."),
}

#: One line under a button that says, in plain words, what the action leads to.
ACTION_HINTS = {
    "withdraw": _l("We stop handling your case. This cannot be undone."),
    "accept_settlement": _l("You agree to what the enterprise proposed, and the case is settled."),
    "reject_settlement": _l("Tell us why. The case officer will continue to mediate."),
    "raise_objection": _l("Tell us what you disagree with. The product will be examined again."),
}


def get_case_or_404(number: str, viewer: User) -> Case:
    """The case if the viewer may see it; otherwise log the attempt and answer exactly as for a missing case."""
    case = cases.find_case_for_page(db.session, number)
    if case is None or not access.can_view_case(case, viewer):
        access.log_refused_access(
            db.session,
            viewer,
            request.path,
            remote_addr=request.remote_addr,
            detail="no such case" if case is None else "case not visible to this user",
        )
        db.session.commit()
        abort(404)
    return case


def _errors_outside(form: FlaskForm, shown_fields: list[str]) -> list[str]:
    """Errors that no shown field can display next to itself (form-level ones and those of hidden fields)."""
    return [error for name, errors in form.errors.items() if name not in shown_fields for error in errors]


def _action_forms(
    case: Case, actions: list[Action], failed_trigger: str | None, failed_form: ActionForm | None
) -> list[dict]:
    """One small form per allowed action, those that cannot be undone last; a refused one keeps what was typed.

    The supplement has its own form (a message and files), shown at the top of the page.
    """
    entries = []
    for action in sorted(actions, key=lambda action: action.destructive):
        if action.trigger == "supplement" or action.trigger in ANSWER_TRIGGERS:
            continue
        if action.trigger == failed_trigger and failed_form is not None:
            form = failed_form
        else:
            form = ActionForm(formdata=None, version=case.version)
        fields = fields_for(action.needs)
        entries.append({
            "action": action,
            "form": form,
            "fields": fields,
            "other_errors": _errors_outside(form, fields),
            "confirmation": ACTION_CONFIRMATIONS.get(action.trigger),
            "hint": ACTION_HINTS.get(action.trigger),
        })
    return entries


def render_case_page(
    case: Case,
    failed_trigger: str | None = None,
    failed_form: ActionForm | None = None,
    status: int = 200,
    *,
    message_form: MessageForm | None = None,
    supplement_form: SupplementForm | None = None,
    rating_form: RatingForm | None = None,
    reopen_form: ReopenRequestForm | None = None,
    enterprise_form: ConfirmEnterpriseForm | None = None,
    officer_forms: dict[str, object] | None = None,
    answer_form: AnswerForm | None = None,
):
    """Render the case: what is expected of whom, the conversation, the evidence and each form the user may post.

    A form that was refused is shown again with its errors and what the user typed, even when the case has
    moved on meanwhile, so that nothing typed is lost. Panel members read the redacted file in their workspace
    instead; an inspection body's staff read this page, where their round's work is linked.
    """
    if current_user.role == Role.EXPERT and any(member.expert_id == current_user.id for member in case.panel):
        if status != 200:
            abort(status)
        return redirect(url_for("expert.case_file", number=case.number))
    actions = allowed_actions(case, current_user)
    action_forms = _action_forms(case, actions, failed_trigger, failed_form)
    unplaced_errors = []
    if failed_form is not None and failed_trigger not in {entry["action"].trigger for entry in action_forms}:
        unplaced_errors = _errors_outside(failed_form, [])
    may_supplement = any(action.trigger == "supplement" for action in actions)
    reopen_refusal = conversation.reopen_refusal(case, current_user)
    is_officer = current_user.role == Role.OFFICER
    officer_forms = {
        "link_form": LinkCaseForm(formdata=None),
        "merge_form": MergeForm(formdata=None, version=case.version),
        "schedule_form": ScheduleSessionForm(formdata=None).offer_mediators(
            mediation.mediators(db.session) if is_officer and mediation.may_schedule(case) else []
        ),
        **(officer_forms or {}),
    }
    failed_minutes = officer_forms.pop("minutes_form", None)
    failed_session_id = officer_forms.pop("minutes_session_id", None)
    officer_forms["minutes_forms"] = {
        meeting.id: failed_minutes if meeting.id == failed_session_id else MinutesForm(formdata=None)
        for meeting in mediation.sessions_awaiting_minutes(case, now=utcnow())
    } if is_officer else {}
    # An inspection body's staff read the file redacted, like the panel's experts, without the parties' messages.
    expert_file = case_file_for_expert(db.session, case, current_user) if current_user.role == Role.EXPERT else None
    return (
        render_template(
            "cases/show.html",
            case=case,
            case_text=expert_file or case,
            expectation=expectations.expectation_for(case, current_user),
            action_forms=action_forms,
            unplaced_errors=unplaced_errors,
            events=access.visible_events(db.session, case, current_user),
            messages=[] if expert_file else access.visible_messages(db.session, case, current_user),
            evidence_files=expert_file.evidence if expert_file else sorted(case.evidence, key=lambda item: item.id),
            staff_view=access.is_staff_viewer(current_user),
            may_post_message=conversation.posting_refusal(case, current_user) is None or message_form is not None,
            message_form=message_form or MessageForm(formdata=None),
            may_supplement=may_supplement or supplement_form is not None,
            supplement_form=supplement_form or SupplementForm(formdata=None, version=case.version),
            may_rate=conversation.rating_refusal(case, current_user) is None or rating_form is not None,
            rating_form=rating_form or RatingForm(formdata=None),
            reopen_refusal=reopen_refusal,
            may_request_reopen=reopen_refusal is None or reopen_form is not None,
            reopen_form=reopen_form or ReopenRequestForm(formdata=None),
            reopen_deadline=conversation.reopen_deadline(case),
            reopen_requested=conversation.reopen_requested(case),
            may_confirm_enterprise=(
                current_user.role == Role.OFFICER and case.enterprise is not None and not case.enterprise.confirmed
            ),
            enterprise_form=enterprise_form or ConfirmEnterpriseForm(
                formdata=None, credit_code=case.enterprise.credit_code if case.enterprise else None
            ),
            officer_acts=is_officer,
            linked_cases=triage.linked_cases(db.session, case) if access.is_staff_viewer(current_user) else [],
            merged_material=triage.merged_material(db.session, case, current_user),
            may_merge=is_officer and triage.may_merge(case),
            may_schedule=is_officer and mediation.may_schedule(case),
            reply_templates=replies.list_templates(db.session) if is_officer else [],
            may_follow_up=mediation.follow_up_refusal(case, current_user) is None,
            follow_up_labels=FOLLOW_UP_LABELS,
            session_mode_labels=SESSION_MODE_LABELS,
            session_outcome_labels=SESSION_OUTCOME_LABELS,
            **officer_forms,
            **answer_context(case, current_user, answer_form),
        ),
        status,
    )


def _refused_by_conversation(case: Case, refusal: ConversationError, form_name: str, form: FlaskForm):
    """Take back the half-done work and show the form again with the service's reason."""
    db.session.rollback()
    message, status = CONVERSATION_REFUSALS.get(refusal.code, CONVERSATION_REFUSALS["not_allowed"])
    form.form_errors.append(message)
    return render_case_page(case, status=status, **{form_name: form})


def _refused_by_workflow(case: Case, error: WorkflowError, form_name: str, form: FlaskForm):
    """The workflow said no (stale page, state moved on, wrong party): show the form again with its answer."""
    db.session.rollback()
    if isinstance(error, GuardFailed):
        message = error.message
    else:
        message = WORKFLOW_ERRORS.get(type(error), (None, error.message))[1]
    form.form_errors.append(message)
    return render_case_page(case, status=error.status_code, **{form_name: form})


@bp.get("/<case_number:number>")
@login_required
def show(number: str):
    """The case page: what is expected next, facts, conversation, evidence, deadlines, actions and the timeline."""
    case = get_case_or_404(number, current_user)
    reply = None
    if current_user.role == Role.OFFICER:
        reply = replies.reply_for_case(db.session, request.args.get("reply", type=int), case)
    return render_case_page(case, message_form=MessageForm(formdata=None, body=reply) if reply else None)


@bp.post("/<case_number:number>/actions/<trigger>")
@login_required
def take_action(number: str, trigger: str):
    """Fire one workflow action; the workflow decides, this view only translates its answer into HTTP."""
    case = get_case_or_404(number, current_user)
    form = ActionForm()
    if not form.validate_on_submit():
        return render_case_page(case, trigger, form, status=422)
    try:
        new_state = cases.advance_case(
            case, trigger, current_user, expected_version=form.version.data, **form.action_data()
        )
    except GuardFailed as failure:
        db.session.rollback()
        field_name = GUARD_FIELDS.get(failure.guard)
        if field_name is not None:
            form[field_name].errors = [*form[field_name].errors, failure.message]
        else:
            form.form_errors.append(failure.message)
        return render_case_page(case, trigger, form, status=422)
    db.session.commit()
    flash(_("Done. The case is now: %(state)s.", state=state_label(case.kind, new_state)), "success")
    return redirect(url_for("cases.show", number=case.number))


@bp.post("/<case_number:number>/messages")
@login_required
def post_message(number: str):
    """Write to the other side of the case, or (staff) leave an internal note."""
    case = get_case_or_404(number, current_user)
    form = MessageForm()
    if not form.validate_on_submit():
        return render_case_page(case, status=422, message_form=form)
    try:
        conversation.post_message(db.session, case, current_user, form.body.data, internal=form.internal.data)
    except ConversationError as refusal:
        return _refused_by_conversation(case, refusal, "message_form", form)
    db.session.commit()
    flash(_("Your internal note was saved.") if form.internal.data else _("Your message was sent."), "success")
    return redirect(url_for("cases.show", number=case.number, _anchor="messages"))


@bp.post("/<case_number:number>/supplement")
@login_required
def supplement(number: str):
    """Send the information the officer asked for, with files; the officer's paused clock starts again."""
    case = get_case_or_404(number, current_user)
    form = SupplementForm()
    if not form.validate_on_submit():
        return render_case_page(case, status=422, supplement_form=form)
    files = [(storage.stream, storage.filename) for storage in form.chosen_files()]
    try:
        conversation.supplement_with_evidence(
            db.session, case, current_user, form.message.data or "", files,
            root=upload_root(), policy=evidence_policy(), expected_version=form.version.data,
        )
    except FilesRefused as refused:
        db.session.rollback()
        refusals = [upload_refusal(error, name) for name, error in refused.refusals]
        statuses = {status for _message, status in refusals}
        form.files.errors = [message for message, _status in refusals]
        form.form_errors.append(_("Nothing was sent. Choose the accepted files again, then send."))
        return render_case_page(case, status=413 if 413 in statuses else min(statuses), supplement_form=form)
    except ConversationError as refusal:
        return _refused_by_conversation(case, refusal, "supplement_form", form)
    except WorkflowError as error:
        return _refused_by_workflow(case, error, "supplement_form", form)
    db.session.commit()
    flash(_supplement_sent_message(case), "success")
    return redirect(url_for("cases.show", number=case.number))


def _supplement_sent_message(case: Case) -> str:
    """Thank the applicant and say by when the officer must now decide (the clock has moved)."""
    expectation = expectations.expectation_for(case, current_user)
    if expectation.timing == expectations.DUE:
        return _(
            "Thank you. Your information was sent. The case officer must now decide by %(date)s.",
            date=format_date(expectation.due_on),
        )
    return _("Thank you. Your information was sent to the case officer.")


@bp.post("/<case_number:number>/rating")
@login_required
def rate(number: str):
    """The applicant rates how a closed case was handled, once."""
    case = get_case_or_404(number, current_user)
    form = RatingForm()
    if not form.validate_on_submit():
        return render_case_page(case, status=422, rating_form=form)
    try:
        conversation.rate_case(db.session, case, current_user, form.score.data, form.comment.data)
    except ConversationError as refusal:
        return _refused_by_conversation(case, refusal, "rating_form", form)
    db.session.commit()
    flash(_("Thank you for rating how your case was handled."), "success")
    return redirect(url_for("cases.show", number=case.number, _anchor="rating"))


@bp.post("/<case_number:number>/reopen-request")
@login_required
def request_reopen(number: str):
    """The applicant asks, within the window, for a closed case to be reopened; an officer decides."""
    case = get_case_or_404(number, current_user)
    form = ReopenRequestForm()
    if not form.validate_on_submit():
        return render_case_page(case, status=422, reopen_form=form)
    try:
        conversation.request_reopen(db.session, case, current_user, form.reason.data)
    except ConversationError as refusal:
        return _refused_by_conversation(case, refusal, "reopen_form", form)
    db.session.commit()
    flash(_("Your request to reopen the case was sent. The case officer will decide."), "success")
    return redirect(url_for("cases.show", number=case.number, _anchor="reopen"))


@bp.post("/<case_number:number>/enterprise")
@login_required
def confirm_enterprise(number: str):
    """An officer confirms the enterprise a consumer entered, so that the case can be routed to it."""
    case = get_case_or_404(number, current_user)
    form = ConfirmEnterpriseForm()
    if not form.validate_on_submit():
        return render_case_page(case, status=422, enterprise_form=form)
    try:
        enterprise = cases.confirm_enterprise(db.session, case, current_user, credit_code=form.credit_code.data)
    except cases.EnterpriseError as refusal:
        db.session.rollback()
        form.credit_code.errors = [*form.credit_code.errors, ENTERPRISE_REFUSALS[refusal.code]]
        return render_case_page(case, status=403 if refusal.code == "not_officer" else 422, enterprise_form=form)
    db.session.commit()
    flash(_("The enterprise %(name)s is confirmed.", name=enterprise.name), "success")
    return redirect(url_for("cases.show", number=case.number))


#: Why a follow-up request could not be drafted -> (message, HTTP status).
FOLLOW_UP_REFUSALS = {
    "not_applicant": (_l("Only the applicant can do this."), 403),
    "not_ended": (_l("This is possible once mediation has ended without agreement."), 409),
    "kind": (_l("Choose an arbitration inspection or an appraisal."), 422),
}


@bp.post("/<case_number:number>/follow-up")
@login_required
def follow_up(number: str):
    """The applicant turns a failed mediation into an arbitration or appraisal request, pre-filled, to complete."""
    case = get_case_or_404(number, current_user)
    form = FollowUpForm()
    code = None if form.validate_on_submit() else "kind"
    if code is None:
        try:
            draft = mediation.start_follow_up(db.session, case, current_user, form.kind.data)
        except mediation.MediationError as refusal:
            code = refusal.code
    if code is not None:
        db.session.rollback()
        message, status = FOLLOW_UP_REFUSALS[code]
        flash(message, "danger")
        return render_case_page(case, status=status)
    db.session.commit()
    flash(_("We filled in the request from your complaint. Check it, complete it and submit it."), "success")
    return redirect(url_for("filing.edit", kind=draft.kind, token=draft.token))
