"""The officer's panel page of a case: eligible and excluded experts, appointing by choice or by draw, the chair,
and the parties' recusal requests."""

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
from wtforms import HiddenField
from wtforms import IntegerField
from wtforms import RadioField
from wtforms import SelectChoice
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional

from tracker.extensions import db
from tracker.models import MAX_ROW_ID
from tracker.models import CaseKind
from tracker.models import Role
from tracker.models import User
from tracker.models import utcnow
from tracker.panel_rules import current_conclusion
from tracker.panel_rules import panel_rule_for
from tracker.services import access
from tracker.services import experts
from tracker.services import panels
from tracker.web.cases import get_case_or_404
from tracker.web.form_input import PostedForm
from tracker.web.officer import bp
from tracker.web.panel_labels import DEPARTURE_LABELS
from tracker.web.panel_labels import EXCLUSION_LABELS
from tracker.web.panel_labels import PANEL_REFUSALS
from tracker.web.panel_labels import exclusion_text
from tracker.web.panel_labels import rule_summary

#: Most experts one draw may pick.
MAX_DRAW = 15
#: Largest seed a draw uses (secrets.randbits(63)).
MAX_SEED = 2**63 - 1


class AppointForm(PostedForm):
    """Experts chosen by the officer (or by a draw) and the chair among them."""

    expert_ids = SelectMultipleField(_l("Experts to appoint"), coerce=int, validators=[Optional()])
    chair_id = IntegerField(_l("Chair"), validators=[Optional(), NumberRange(min=1, max=MAX_ROW_ID)])
    specialty = HiddenField()
    draw_seed = IntegerField(validators=[Optional(), NumberRange(min=0, max=MAX_SEED)])
    draw_count = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_DRAW)])

    def pre_validate_choices(self, candidate_ids: list[int]) -> None:
        """The experts offered are the pool's; whether each may sit is the service's to say."""
        self.expert_ids.choices = [SelectChoice(expert_id, str(expert_id)) for expert_id in candidate_ids]


class DrawForm(PostedForm):
    """A random draw of so many experts among the eligible."""

    count = IntegerField(
        _l("Number of experts to draw"),
        validators=[InputRequired(message=_l("Enter how many experts to draw.")),
                    NumberRange(min=1, max=MAX_DRAW, message=_l("Draw between 1 and %(max)d experts.", max=MAX_DRAW))],
    )
    specialty = HiddenField()


class AppealedDecisionForm(PostedForm):
    """The number of the case whose decision the appeal challenges."""

    number = StringField(_l("Case number of the decision appealed"), validators=[
        InputRequired(message=_l("Enter the case number.")), Length(max=30)])


class ChairForm(PostedForm):
    """The member who chairs the panel."""

    member_id = IntegerField(_l("Chair"), validators=[InputRequired(), NumberRange(min=1, max=MAX_ROW_ID)])


class RecusalDecisionForm(PostedForm):
    """The officer's answer to a party's recusal request."""

    decision = RadioField(
        _l("Decision"),
        choices=[SelectChoice("grant", _l("Grant: the expert leaves the panel")), SelectChoice("refuse", _l("Refuse"))],
        validators=[InputRequired(message=_l("Choose to grant or refuse the request."))],
    )
    reason = TextAreaField(
        _l("Reasons"), validators=[InputRequired(message=_l("Please give a reason.")), Length(max=2000)],
    )


def _officer_only() -> None:
    """Other roles meet the same logged 404 as for a page that does not exist."""
    if current_user.role != Role.OFFICER:
        access.log_refused_access(db.session, current_user, request.path, remote_addr=request.remote_addr,
                                  detail="officer page")
        db.session.commit()
        abort(404)


def _chosen_specialty(value: str | None, case) -> str:
    """The field asked for: a known category code, "" for any field, or the case's own category."""
    if value is None:
        return case.category or ""
    codes = {term.code for term in experts.specialty_terms(db.session)}
    return value if value in codes or value == "" else (case.category or "")


def _refusal_message(error: panels.PanelError, case) -> tuple[str, int]:
    message, status = PANEL_REFUSALS.get(error.code, PANEL_REFUSALS["state"])
    if error.code == "not_eligible":
        expert = db.session.get(User, error.expert_id)
        return str(message) % {"name": expert.display_name if expert else "?",
                               "reasons": exclusion_text(error.reasons)}, status
    if error.code == "size":
        return str(message) % {"rule": rule_summary(panel_rule_for(case))}, status
    return str(message), status


def render_panel_page(case, *, specialty: str | None = None, status: int = 200, errors: list[str] | None = None,
                      draw: panels.Draw | None = None, decision_forms: dict | None = None):
    """The panel page: the rule, the current panel, who may be appointed and who may not (and why)."""
    specialty = _chosen_specialty(specialty, case)
    candidates = panels.assess_experts(db.session, case, specialty=specialty)
    by_id = {candidate.expert.id: candidate for candidate in candidates}
    pending = [r for r in case.recusal_requests if r.decided_at is None]
    decision_forms = decision_forms or {}
    return render_template(
        "officer/panel.html",
        case=case,
        rule=panel_rule_for(case),
        rule_text=rule_summary(panel_rule_for(case)),
        may_change=case.state in panels.PANEL_STATES[CaseKind(case.kind)],
        specialty=specialty,
        specialties=experts.specialty_terms(db.session),
        eligible=[c for c in candidates if c.eligible],
        excluded=[c for c in candidates if not c.eligible],
        draw=draw,
        drawn=[by_id[expert_id] for expert_id in draw.drawn] if draw else [],
        conclusion=current_conclusion(case),
        pending_requests=[(r, decision_forms.get(r.id) or RecusalDecisionForm(formdata=None)) for r in pending],
        errors=errors or [],
        max_draw=MAX_DRAW,
    ), status


def _load(number: str):
    _officer_only()
    return get_case_or_404(number, current_user)


@bp.get("/cases/<case_number:number>/panel")
@login_required
def panel(number: str):
    """Form the panel: filter by specialty, pick experts or draw them, name the chair."""
    case = _load(number)
    return render_panel_page(case, specialty=request.args.get("specialty"))


@bp.post("/cases/<case_number:number>/panel/draw")
@login_required
def draw_panel(number: str):
    """Draw experts at random among the eligible and show them; nothing is saved until the officer appoints them."""
    case = _load(number)
    form = DrawForm()
    specialty = _chosen_specialty(form.specialty.data, case)
    if not form.validate_on_submit():
        return render_panel_page(case, specialty=specialty, status=422,
                                 errors=[error for errors in form.errors.values() for error in errors])
    try:
        drawn = panels.propose_draw(db.session, case, form.count.data, specialty=specialty)
    except panels.PanelError as error:
        message, status = _refusal_message(error, case)
        return render_panel_page(case, specialty=specialty, status=status, errors=[message])
    return render_panel_page(case, specialty=specialty, draw=drawn)


@bp.post("/cases/<case_number:number>/panel/appoint")
@login_required
def appoint(number: str):
    """Appoint the chosen (or drawn) experts and the chair; the service refuses a panel the rules do not admit."""
    case = _load(number)
    form = AppointForm()
    specialty = _chosen_specialty(form.specialty.data, case)
    form.pre_validate_choices([c.expert.id for c in panels.assess_experts(db.session, case, specialty=specialty)])
    if not form.validate_on_submit():
        return render_panel_page(case, specialty=specialty, status=422,
                                 errors=[str(PANEL_REFUSALS["none_chosen"][0])])
    draw = None
    if form.draw_seed.data is not None and form.draw_count.data:
        draw = panels.Draw(form.draw_seed.data, (), form.draw_count.data, tuple(form.expert_ids.data or ()))
    try:
        panels.appoint_panel(db.session, case, current_user, form.expert_ids.data or [], chair_id=form.chair_id.data,
                             specialty=specialty, draw=draw, now=utcnow())
    except panels.PanelError as error:
        db.session.rollback()
        message, status = _refusal_message(error, case)
        return render_panel_page(case, specialty=specialty, status=status, errors=[message])
    db.session.commit()
    flash(_("The experts were appointed."), "success")
    return redirect(url_for("officer.panel", number=case.number, specialty=specialty))


@bp.post("/cases/<case_number:number>/panel/appealed")
@login_required
def link_appealed(number: str):
    """Link a quality appeal to the case whose decision it challenges, so that that panel is left out."""
    case = _load(number)
    form = AppealedDecisionForm()
    if not form.validate_on_submit():
        return render_panel_page(case, status=422, errors=[e for errors in form.errors.values() for e in errors])
    try:
        panels.link_appealed_decision(db.session, case, current_user, form.number.data, now=utcnow())
    except panels.PanelError as error:
        db.session.rollback()
        message, status = _refusal_message(error, case)
        return render_panel_page(case, status=status, errors=[message])
    db.session.commit()
    flash(_("The appeal is linked to the decision it challenges."), "success")
    return redirect(url_for("officer.panel", number=case.number))


@bp.post("/cases/<case_number:number>/panel/chair")
@login_required
def name_chair(number: str):
    """Name (or change) the panel's chair."""
    case = _load(number)
    form = ChairForm()
    if not form.validate_on_submit():
        return render_panel_page(case, status=422, errors=[str(PANEL_REFUSALS["chair_missing"][0])])
    try:
        panels.name_chair(db.session, case, current_user, form.member_id.data, now=utcnow())
    except panels.PanelError as error:
        db.session.rollback()
        message, status = _refusal_message(error, case)
        return render_panel_page(case, status=status, errors=[message])
    db.session.commit()
    flash(_("The chair was named."), "success")
    return redirect(url_for("officer.panel", number=case.number))


@bp.post("/cases/<case_number:number>/panel/recusals/<int(max=2147483647):request_id>")
@login_required
def decide_recusal(number: str, request_id: int):
    """Grant or refuse a party's request that an expert leave the panel."""
    case = _load(number)
    form = RecusalDecisionForm()
    if not form.validate_on_submit():
        return render_panel_page(case, status=422, decision_forms={request_id: form})
    try:
        panels.decide_recusal(db.session, case, current_user, request_id, granted=form.decision.data == "grant",
                              reason=form.reason.data, now=utcnow())
    except panels.PanelError as error:
        db.session.rollback()
        message, status = _refusal_message(error, case)
        form.form_errors.append(message)
        return render_panel_page(case, status=status, decision_forms={request_id: form})
    db.session.commit()
    flash(_("The recusal request was decided."), "success")
    return redirect(url_for("officer.panel", number=case.number))


@bp.app_context_processor
def panel_labels() -> dict:
    """The panel's labels for the case page's panel section and the expert workspace."""
    return {"departure_labels": DEPARTURE_LABELS, "exclusion_labels": EXCLUSION_LABELS}
