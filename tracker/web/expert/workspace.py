"""The expert's workspace: the inbox of reviews, the redacted case file, opinions, the chair's conclusion,
declining an appointment and declaring conflicts of interest."""

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import send_file
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_login import login_required
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import IntegerField
from wtforms import SelectChoice
from wtforms import SelectMultipleField
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional

from tracker.evidence import EvidenceRejected
from tracker.evidence import content_disposition
from tracker.evidence import resolve_stored
from tracker.extensions import db
from tracker.models import MAX_ROW_ID
from tracker.models import CaseKind
from tracker.models import Enterprise
from tracker.models import Opinion
from tracker.models import Role
from tracker.models import utcnow
from tracker.panel_rules import current_conclusion
from tracker.panel_rules import opinions_complete
from tracker.services import access
from tracker.services import experts
from tracker.services import panels
from tracker.services.expert_file import case_file_for_expert
from tracker.web.cases import get_case_or_404
from tracker.web.evidence import upload_refusal
from tracker.web.expert import bp
from tracker.web.form_input import PostedForm
from tracker.web.panel_labels import PANEL_REFUSALS
from tracker.web.uploads import evidence_policy
from tracker.web.uploads import upload_root
from tracker.workflow import allowed_actions

#: Longest text of an opinion's or a conclusion's field.
MAX_OPINION_TEXT = 20000


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


def _long_text(label):
    return TextAreaField(label, filters=[_stripped], validators=[
        DataRequired(message=_l("Please fill in this field.")), Length(max=MAX_OPINION_TEXT)])


class OpinionForm(PostedForm):
    """One member's opinion, with an optional PDF report."""

    findings = _long_text(_l("Findings"))
    conclusion = _long_text(_l("Conclusion"))
    reasoning = _long_text(_l("Reasoning"))
    report = FileField(_l("Report (PDF, optional)"))


class ConclusionForm(PostedForm):
    """The chair's compilation: the conclusion, its reasoning, who concurs, and the dissent in words."""

    conclusion = _long_text(_l("The panel's conclusion"))
    reasoning = _long_text(_l("Reasoning"))
    concurring = SelectMultipleField(_l("Members who concur"), coerce=int, validators=[Optional()])
    dissent = TextAreaField(_l("The dissenting view (when a member dissents)"), filters=[_stripped],
                            validators=[Optional(), Length(max=MAX_OPINION_TEXT)])


class ReasonForm(PostedForm):
    """Declining an appointment, or declaring a conflict with the case's enterprise."""

    reason = TextAreaField(_l("Reason"), filters=[_stripped], validators=[
        DataRequired(message=_l("Please give a reason.")), Length(max=2000)])


class ConflictForm(PostedForm):
    """A conflict of interest with any enterprise, declared in advance."""

    enterprise_id = IntegerField(_l("Enterprise"), validators=[
        InputRequired(message=_l("Choose the enterprise.")), NumberRange(min=1, max=MAX_ROW_ID)])
    reason = TextAreaField(_l("What is your interest in this enterprise?"), filters=[_stripped], validators=[
        DataRequired(message=_l("Please give a reason.")), Length(max=2000)])


def _expert_only() -> None:
    """Other roles meet the same logged 404 as for a page that does not exist."""
    if current_user.role != Role.EXPERT:
        access.log_refused_access(db.session, current_user, request.path, remote_addr=request.remote_addr,
                                  detail="expert page")
        db.session.commit()
        abort(404)


def _load(number: str):
    _expert_only()
    return get_case_or_404(number, current_user)


def _own_member(case):
    return next(member for member in case.active_panel if member.expert_id == current_user.id)


def render_case_file(case, *, status: int = 200, opinion_form=None, conclusion_form=None, decline_form=None,
                     conflict_form=None, errors: list[str] | None = None):
    """The redacted file, the panel, the opinions this expert may read, and the forms for what they may do now."""
    member = _own_member(case)
    kind = CaseKind(case.kind)
    conclusion = current_conclusion(case)
    may_conclude = (member.is_chair and conclusion is None and opinions_complete(case)
                    and case.state in panels.CONCLUSION_STATES[kind])
    conclusion_form = conclusion_form or ConclusionForm(formdata=None)
    conclusion_form.concurring.choices = [SelectChoice(m.id, m.expert.display_name) for m in case.active_panel]
    return render_template(
        "expert/case.html",
        case=case,
        member=member,
        case_file=case_file_for_expert(db.session, case, current_user),
        opinions=panels.visible_opinions(case, current_user),
        may_read_others=panels.may_read_opinions(case, current_user),
        may_give_opinion=member.opinion is None and case.state in panels.OPINION_STATES[kind],
        may_conclude=may_conclude,
        conclusion=conclusion,
        actions=[action for action in allowed_actions(case, current_user) if not action.needs],
        opinion_form=opinion_form or OpinionForm(formdata=None),
        conclusion_form=conclusion_form,
        decline_form=decline_form or ReasonForm(formdata=None),
        conflict_form=conflict_form or ReasonForm(formdata=None),
        errors=errors or [],
    ), status


def _refused(case, error: panels.PanelError, form_name: str, form):
    db.session.rollback()
    message, status = PANEL_REFUSALS.get(error.code, PANEL_REFUSALS["state"])
    form.form_errors.append(str(message))
    return render_case_file(case, status=status, **{form_name: form})


@bp.get("/")
@login_required
def inbox():
    """The reviews assigned to this expert, with what is awaited of them and by when."""
    _expert_only()
    memberships = panels.expert_memberships(db.session, current_user)
    return render_template("expert/inbox.html", memberships=memberships)


@bp.get("/cases/<case_number:number>")
@login_required
def case_file(number: str):
    """The case as the panel reads it: redacted, without contact details or identity papers."""
    case = _load(number)
    return render_case_file(case)


@bp.post("/cases/<case_number:number>/opinion")
@login_required
def give_opinion(number: str):
    """Give this member's opinion, once; a report must be a PDF that passes the evidence checks."""
    case = _load(number)
    form = OpinionForm()
    if not form.validate_on_submit():
        return render_case_file(case, status=422, opinion_form=form)
    upload = form.report.data
    report = (upload.stream, upload.filename) if upload and getattr(upload, "filename", "") else None
    policy = evidence_policy()
    try:
        panels.submit_opinion(db.session, case, current_user, findings=form.findings.data,
                              conclusion=form.conclusion.data, reasoning=form.reasoning.data, now=utcnow(),
                              report=report, root=upload_root(), limits=policy.file_limits)
    except EvidenceRejected as rejected:
        db.session.rollback()
        message, status = upload_refusal(rejected, report[1] if report else "")
        form.report.errors = [message]
        return render_case_file(case, status=status, opinion_form=form)
    except panels.PanelError as error:
        return _refused(case, error, "opinion_form", form)
    db.session.commit()
    flash(_("Your opinion was submitted. You can now read your co-panelists' opinions."), "success")
    return redirect(url_for("expert.case_file", number=case.number, _anchor="opinions"))


@bp.post("/cases/<case_number:number>/conclusion")
@login_required
def conclude(number: str):
    """The chair records the panel's conclusion: the majority and the dissent."""
    case = _load(number)
    form = ConclusionForm()
    form.concurring.choices = [SelectChoice(m.id, m.expert.display_name) for m in case.active_panel]
    if not form.validate_on_submit():
        return render_case_file(case, status=422, conclusion_form=form)
    try:
        panels.conclude_panel(db.session, case, current_user, conclusion=form.conclusion.data,
                              reasoning=form.reasoning.data, concurring_member_ids=form.concurring.data or [],
                              dissent=form.dissent.data, now=utcnow())
    except panels.PanelError as error:
        return _refused(case, error, "conclusion_form", form)
    db.session.commit()
    flash(_("The panel's conclusion was recorded."), "success")
    return redirect(url_for("expert.case_file", number=case.number, _anchor="conclusion"))


@bp.post("/cases/<case_number:number>/decline")
@login_required
def decline(number: str):
    """Decline the appointment, with a reason; the officer appoints someone else."""
    case = _load(number)
    form = ReasonForm()
    if not form.validate_on_submit():
        return render_case_file(case, status=422, decline_form=form)
    try:
        panels.decline_appointment(db.session, case, current_user, form.reason.data, now=utcnow())
    except panels.PanelError as error:
        return _refused(case, error, "decline_form", form)
    db.session.commit()
    flash(_("You have declined the appointment. The case officer will appoint someone else."), "success")
    return redirect(url_for("expert.inbox"))


@bp.post("/cases/<case_number:number>/conflict")
@login_required
def declare_case_conflict(number: str):
    """Declare a conflict of interest with the enterprise this case names; the expert leaves its panels."""
    case = _load(number)
    form = ReasonForm()
    if not form.validate_on_submit() or case.enterprise is None:
        return render_case_file(case, status=422, conflict_form=form)
    try:
        panels.declare_conflict(db.session, current_user, case.enterprise, form.reason.data, now=utcnow())
    except panels.PanelError as error:
        return _refused(case, error, "conflict_form", form)
    db.session.commit()
    flash(_("Your conflict of interest was recorded and you have left the panel. The case officer will appoint "
            "someone else."), "success")
    return redirect(url_for("expert.inbox"))


def _enterprises():
    return db.session.scalars(
        select(Enterprise).where(Enterprise.confirmed.is_(True)).order_by(Enterprise.name, Enterprise.id).limit(500)
    ).all()


def _render_conflicts(form: ConflictForm, status: int = 200):
    return render_template(
        "expert/conflicts.html", form=form, declarations=experts.declarations_of(db.session, current_user),
        enterprises=_enterprises(),
    ), status


@bp.get("/conflicts")
@login_required
def conflicts():
    """The conflicts of interest this expert has declared, and a form to declare another."""
    _expert_only()
    return _render_conflicts(ConflictForm(formdata=None))


@bp.post("/conflicts")
@login_required
def declare_conflict():
    """Declare a conflict of interest with an enterprise before any of its cases comes to this expert."""
    _expert_only()
    form = ConflictForm()
    enterprise = db.session.get(Enterprise, form.enterprise_id.data) if form.validate_on_submit() else None
    if enterprise is None:
        if not form.errors:
            form.enterprise_id.errors = [_("Choose the enterprise.")]
        return _render_conflicts(form, 422)
    try:
        panels.declare_conflict(db.session, current_user, enterprise, form.reason.data, now=utcnow())
    except panels.PanelError as error:
        db.session.rollback()
        message, status = PANEL_REFUSALS.get(error.code, PANEL_REFUSALS["state"])
        form.form_errors.append(str(message))
        return _render_conflicts(form, status)
    db.session.commit()
    flash(_("Your conflict of interest was recorded."), "success")
    return redirect(url_for("expert.conflicts"))


@bp.get(f"/opinions/<int(max={MAX_ROW_ID}):opinion_id>/report")
@login_required
def opinion_report(opinion_id: int):
    """An opinion's PDF report, for whoever may read that opinion (staff, or a member once theirs is in)."""
    opinion = db.session.get(Opinion, opinion_id)
    allowed = (
        opinion is not None and opinion.report_stored_name is not None
        and access.can_view_case(opinion.case, current_user)
        and current_user.role in (Role.OFFICER, Role.ADMIN, Role.EXPERT)
        and opinion in panels.visible_opinions(opinion.case, current_user)
    )
    if not allowed:
        access.log_refused_access(db.session, current_user, request.path, remote_addr=request.remote_addr,
                                  detail="opinion report not available to this user")
        db.session.commit()
        abort(404)
    response = send_file(resolve_stored(upload_root(), opinion.report_stored_name), mimetype="application/pdf")
    response.headers["Content-Disposition"] = content_disposition(opinion.report_original_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
