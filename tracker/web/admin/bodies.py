"""Inspection bodies: organisations with an accreditation scope whose staff act as experts on their own cases."""

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
from sqlalchemy import select
from wtforms import BooleanField
from wtforms import EmailField
from wtforms import IntegerField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import Optional
from wtforms.widgets import HiddenInput

from tracker.extensions import db
from tracker.models import MAX_ROW_ID
from tracker.models import InspectionBody
from tracker.models import Role
from tracker.models import User
from tracker.services import access
from tracker.services import inspections
from tracker.services.accounts import normalise_email
from tracker.services.inspections import InspectionError
from tracker.web.admin import bp
from tracker.web.form_input import PostedForm

#: Why a body or a staff member was refused -> (message, HTTP status).
BODY_REFUSALS = {
    "not_admin": (_l("Only an administrator can do this."), 403),
    "duplicate_name": (_l("A body with this name exists already."), 409),
    "not_expert": (_l("No expert account has this e-mail address."), 422),
}


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class BodyForm(PostedForm):
    """An inspection body and what its accreditation covers; `body_id` names the body being changed."""

    body_id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    name = StringField(_l("Name of the body"), filters=[_strip], validators=[DataRequired(), Length(max=200)])
    accreditation_number = StringField(_l("Accreditation number (CMA/CNAS)"), filters=[_strip],
                                       validators=[Optional(), Length(max=100)])
    accreditation_scope = TextAreaField(_l("Accreditation scope"), filters=[_strip],
                                        validators=[DataRequired(), Length(max=4000)])
    active = BooleanField(_l("Takes new cases"), default=True)


class StaffForm(PostedForm):
    """An expert account that works for the body."""

    body_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    email = EmailField(_l("E-mail of an expert account"), filters=[_strip],
                       validators=[DataRequired(), Length(max=254)])


def _require_admin() -> None:
    """Administrators only; anyone else is answered as for a page that does not exist, and logged."""
    if current_user.role != Role.ADMIN:
        access.log_refused_access(db.session, current_user, request.path, remote_addr=request.remote_addr,
                                  detail="inspection bodies are for administrators")
        db.session.commit()
        abort(404)


def _body_or_404(body_id: int | None) -> InspectionBody:
    body = db.session.get(InspectionBody, body_id) if body_id is not None and 0 < body_id <= MAX_ROW_ID else None
    if body is None:
        abort(404)
    return body


def _render(status: int = 200, *, new_form: BodyForm | None = None, failed_body_id: int | None = None,
            failed_form: PostedForm | None = None):
    """The list of bodies, each with its staff and forms; a refused form keeps what was typed."""
    bodies = inspections.all_bodies(db.session)
    return render_template(
        "admin/bodies.html",
        bodies=[(body, inspections.staff_of(db.session, body)) for body in bodies],
        new_form=new_form or BodyForm(formdata=None),
        edit_form=lambda body: failed_form if failed_body_id == body.id and isinstance(failed_form, BodyForm)
        else BodyForm(formdata=None, obj=body, body_id=body.id),
        staff_form=lambda body: failed_form if failed_body_id == body.id and isinstance(failed_form, StaffForm)
        else StaffForm(formdata=None, body_id=body.id),
    ), status


@bp.route("/bodies", methods=["GET", "POST"])
@login_required
def bodies():
    """List the inspection bodies and add one."""
    _require_admin()
    if request.method == "GET":
        return _render()
    form = BodyForm()
    if not form.validate_on_submit():
        return _render(422, new_form=form)
    try:
        inspections.save_body(db.session, current_user, name=form.name.data,
                              accreditation_number=form.accreditation_number.data or None,
                              accreditation_scope=form.accreditation_scope.data, active=form.active.data)
    except InspectionError as error:
        db.session.rollback()
        message, status = BODY_REFUSALS[error.code]
        form.name.errors = [*form.name.errors, message]
        return _render(status, new_form=form)
    db.session.commit()
    flash(_("The inspection body %(name)s is added.", name=form.name.data), "success")
    return redirect(url_for("admin.bodies"))


@bp.post("/bodies/edit")
@login_required
def edit_body():
    """Change a body's name, accreditation or whether it takes new cases."""
    _require_admin()
    form = BodyForm()
    body = _body_or_404(form.body_id.data)
    if not form.validate_on_submit():
        return _render(422, failed_body_id=body.id, failed_form=form)
    try:
        inspections.save_body(db.session, current_user, name=form.name.data,
                              accreditation_number=form.accreditation_number.data or None,
                              accreditation_scope=form.accreditation_scope.data, active=form.active.data, body=body)
    except InspectionError as error:
        db.session.rollback()
        message, status = BODY_REFUSALS[error.code]
        form.name.errors = [*form.name.errors, message]
        return _render(status, failed_body_id=body.id, failed_form=form)
    db.session.commit()
    flash(_("The inspection body %(name)s is saved.", name=body.name), "success")
    return redirect(url_for("admin.bodies", _anchor=f"body-{body.id}"))


@bp.post("/bodies/staff")
@login_required
def add_staff():
    """Let an expert account act for the body on the body's cases."""
    _require_admin()
    form = StaffForm()
    body = _body_or_404(form.body_id.data)
    if not form.validate_on_submit():
        return _render(422, failed_body_id=body.id, failed_form=form)
    staff = db.session.scalars(select(User).where(User.email == normalise_email(form.email.data))).first()
    try:
        inspections.attach_staff(db.session, current_user, body, staff)
    except InspectionError as error:
        db.session.rollback()
        message, status = BODY_REFUSALS[error.code]
        form.email.errors = [*form.email.errors, message]
        return _render(status, failed_body_id=body.id, failed_form=form)
    db.session.commit()
    flash(_("%(name)s now works for %(body)s.", name=staff.display_name, body=body.name), "success")
    return redirect(url_for("admin.bodies", _anchor=f"body-{body.id}"))
