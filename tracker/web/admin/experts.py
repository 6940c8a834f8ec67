"""The expert pool for administrators: list, add an expert (account and profile), edit, activate or deactivate."""

from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_login import login_required
from wtforms import EmailField
from wtforms import PasswordField
from wtforms import SelectChoice
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Email
from wtforms.validators import Length
from wtforms.validators import Optional

from tracker.extensions import db
from tracker.models import MAX_ROW_ID
from tracker.models import ExpertProfile
from tracker.models import Role
from tracker.models import utcnow
from tracker.passwords import password_problems
from tracker.services import access
from tracker.services import experts
from tracker.web.admin import bp
from tracker.web.form_input import PostedForm

#: services.experts.ExpertPoolError codes -> (field, message).
POOL_REFUSALS = {
    "unknown_specialty": ("specialties", _l("Choose specialties from the list.")),
    "no_specialty": ("specialties", _l("Choose at least one specialty.")),
    "no_organisation": ("organisation", _l("Enter the expert's organisation.")),
    "credit_code": ("organisation_credit_code", _l("The code has 18 characters.")),
    "email_taken": ("email", _l("An account with this e-mail address exists.")),
    "no_name": ("display_name", _l("Enter the expert's name.")),
}
PASSWORD_MESSAGE = _l("Choose a password of 8 to 128 characters that is not a common one and does not contain the "
                      "e-mail address.")


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


class ExpertProfileForm(PostedForm):
    """What the pool knows of an expert."""

    display_name = StringField(_l("Name"), filters=[_stripped],
                               validators=[DataRequired(message=_l("Enter the expert's name.")), Length(max=100)])
    organisation = StringField(_l("Organisation"), filters=[_stripped], validators=[
        DataRequired(message=_l("Enter the expert's organisation.")), Length(max=200)])
    organisation_credit_code = StringField(_l("Organisation's unified social credit code (optional)"),
                                           filters=[_stripped], validators=[Optional(), Length(min=18, max=18)])
    title = StringField(_l("Title (optional)"), filters=[_stripped], validators=[Optional(), Length(max=100)])
    specialties = SelectMultipleField(_l("Specialties"), validators=[Optional()])


class NewExpertForm(ExpertProfileForm):
    """A new expert: the account's e-mail and first password as well."""

    email = EmailField(_l("E-mail"), filters=[_stripped], validators=[
        DataRequired(message=_l("Enter the e-mail address.")), Email(message=_l("Enter a valid e-mail address.")),
        Length(max=254)])
    password = PasswordField(_l("First password (tell the expert to change it)"), validators=[
        DataRequired(message=PASSWORD_MESSAGE), Length(max=1024)])


def _admin_only() -> None:
    """Other roles meet the same logged 404 as for a page that does not exist."""
    if current_user.role != Role.ADMIN:
        access.log_refused_access(db.session, current_user, request.path, remote_addr=request.remote_addr,
                                  detail="admin page")
        db.session.commit()
        abort(404)


def _with_choices(form: ExpertProfileForm) -> ExpertProfileForm:
    form.specialties.choices = [
        SelectChoice(term.code, f"{term.name_zh} / {term.name_en}") for term in experts.specialty_terms(db.session)
    ]
    return form


def _profile_or_404(profile_id: int) -> ExpertProfile:
    profile = db.session.get(ExpertProfile, profile_id)
    if profile is None:
        abort(404)
    return profile


def _apply_refusal(form: ExpertProfileForm, error: experts.ExpertPoolError) -> None:
    field, message = POOL_REFUSALS.get(error.code, ("specialties", _l("This cannot be saved.")))
    form[field].errors = [*form[field].errors, message]


@bp.get("/experts")
@login_required
def experts_list():
    """Every expert of the pool with their organisation, specialties and whether officers may appoint them."""
    _admin_only()
    return render_template("admin/experts.html", profiles=experts.pool(db.session))


@bp.route("/experts/new", methods=["GET", "POST"])
@login_required
def new_expert():
    """Add an expert: the account with a first password, and the profile."""
    _admin_only()
    form = _with_choices(NewExpertForm())
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("admin/expert_form.html", form=form, profile=None), status
    problems = password_problems(form.password.data, email=form.email.data)
    if problems:
        form.password.errors = [PASSWORD_MESSAGE]
        return render_template("admin/expert_form.html", form=form, profile=None), 422
    try:
        experts.create_expert(
            db.session, current_app.extensions["password_hasher"], email=form.email.data,
            display_name=form.display_name.data, password=form.password.data, organisation=form.organisation.data,
            organisation_credit_code=form.organisation_credit_code.data, title=form.title.data,
            specialty_codes=form.specialties.data or [], now=utcnow(),
        )
    except experts.ExpertPoolError as error:
        db.session.rollback()
        _apply_refusal(form, error)
        return render_template("admin/expert_form.html", form=form, profile=None), 422
    db.session.commit()
    flash(_("%(name)s was added to the expert pool.", name=form.display_name.data), "success")
    return redirect(url_for("admin.experts_list"))


@bp.route(f"/experts/<int(max={MAX_ROW_ID}):profile_id>", methods=["GET", "POST"])
@login_required
def edit_expert(profile_id: int):
    """Change an expert's name, organisation, title and specialties."""
    _admin_only()
    profile = _profile_or_404(profile_id)
    if request.method == "GET":
        form = _with_choices(ExpertProfileForm(
            formdata=None, display_name=profile.user.display_name, organisation=profile.organisation,
            organisation_credit_code=profile.organisation_credit_code, title=profile.title,
            specialties=sorted(profile.specialty_codes),
        ))
        return render_template("admin/expert_form.html", form=form, profile=profile)
    form = _with_choices(ExpertProfileForm())
    if not form.validate_on_submit():
        return render_template("admin/expert_form.html", form=form, profile=profile), 422
    try:
        experts.update_profile(
            db.session, profile, display_name=form.display_name.data, organisation=form.organisation.data,
            organisation_credit_code=form.organisation_credit_code.data, title=form.title.data,
            specialty_codes=form.specialties.data or [], now=utcnow(),
        )
    except experts.ExpertPoolError as error:
        db.session.rollback()
        _apply_refusal(form, error)
        return render_template("admin/expert_form.html", form=form, profile=profile), 422
    db.session.commit()
    flash(_("The profile of %(name)s was saved.", name=profile.user.display_name), "success")
    return redirect(url_for("admin.experts_list"))


@bp.post(f"/experts/<int(max={MAX_ROW_ID}):profile_id>/active")
@login_required
def toggle_expert(profile_id: int):
    """Take an expert out of the pool, or back in."""
    _admin_only()
    profile = _profile_or_404(profile_id)
    experts.set_active(profile, not profile.active, now=utcnow())
    db.session.commit()
    if profile.active:
        flash(_("%(name)s is back in the pool.", name=profile.user.display_name), "success")
    else:
        flash(_("%(name)s will no longer be offered for panels.", name=profile.user.display_name), "success")
    return redirect(url_for("admin.experts_list"))
