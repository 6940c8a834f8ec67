"""Enterprises: search, create with a checked credit code, confirm one a consumer entered, or merge a duplicate."""

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import EmailField
from wtforms import SelectChoice
from wtforms import SelectField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Email
from wtforms.validators import Length
from wtforms.validators import Optional

from tracker.extensions import db
from tracker.models import MAX_ROW_ID
from tracker.models import Case
from tracker.models import Enterprise
from tracker.models import utcnow
from tracker.services import enterprises
from tracker.services.enterprises import EnterpriseAdminError
from tracker.services.enterprises import EnterpriseDetails
from tracker.web.admin import bp
from tracker.web.form_input import PostedForm

ENTERPRISES_PER_PAGE = 50
#: Cases of one enterprise listed on its page.
CASES_SHOWN = 20
MAX_PAGE = MAX_ROW_ID // ENTERPRISES_PER_PAGE + 1

#: Why a create, confirm or merge was refused -> (message, HTTP status).
REFUSALS = {
    "not_admin": (_l("Only an administrator manages enterprises."), 403),
    "name_missing": (_l("Enter the enterprise's registered name."), 422),
    "code_length": (_l("A unified social credit code has exactly 18 characters."), 422),
    "code_characters": (
        _l("A unified social credit code has only digits and capital letters other than I, O, S, V and Z."), 422
    ),
    "code_check_character": (
        _l("This credit code's last character does not match the others: check it for a typing mistake."), 422
    ),
    "code_taken": (_l("Another enterprise already has this credit code: merge into it instead."), 409),
    "merged": (_l("This enterprise was merged into another one."), 409),
    "already_confirmed": (_l("This enterprise is already confirmed."), 409),
    "same_enterprise": (_l("An enterprise cannot be merged into itself."), 422),
    "not_a_duplicate": (_l("Only an unconfirmed enterprise entered by a consumer can be merged."), 409),
    "target_unconfirmed": (_l("No confirmed enterprise has this credit code."), 422),
    "has_accounts": (_l("This enterprise has user accounts: move or disable them first."), 409),
}

STATUS_FILTERS = {
    "": _l("All"),
    "unconfirmed": _l("To confirm"),
    "confirmed": _l("Confirmed"),
    "merged": _l("Merged"),
}

CREDIT_CODE_HINT = _l("18 characters, e.g. 91330100799655058B")


class SearchForm(PostedForm):
    """Filter the list by name, credit code and status."""

    q = StringField(_l("Name or credit code"), validators=[Optional(), Length(max=200)])
    status = SelectField(
        _l("Status"), choices=[SelectChoice(value, label) for value, label in STATUS_FILTERS.items()],
        validators=[Optional()],
    )


class EnterpriseForm(PostedForm):
    """A new enterprise, confirmed at once."""

    name = StringField(_l("Registered name"), validators=[DataRequired(), Length(max=200)])
    credit_code = StringField(
        _l("Unified social credit code"), validators=[DataRequired(), Length(max=40)], description=CREDIT_CODE_HINT,
        render_kw={"autocapitalize": "characters", "spellcheck": "false", "autocomplete": "off"},
    )
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=100)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=40)])
    contact_email = EmailField(_l("Contact e-mail"), validators=[Optional(), Email(), Length(max=254)])


class ConfirmForm(PostedForm):
    """The checked name and credit code of an enterprise a consumer entered."""

    name = StringField(_l("Registered name"), validators=[DataRequired(), Length(max=200)])
    credit_code = StringField(
        _l("Unified social credit code"), validators=[DataRequired(), Length(max=40)], description=CREDIT_CODE_HINT,
        render_kw={"autocapitalize": "characters", "spellcheck": "false", "autocomplete": "off"},
    )


class MergeForm(PostedForm):
    """The confirmed enterprise a duplicate stands for, by its credit code."""

    target_code = StringField(
        _l("Credit code of the confirmed enterprise to merge into"), validators=[DataRequired(), Length(max=40)],
        render_kw={"autocapitalize": "characters", "spellcheck": "false", "autocomplete": "off"},
    )


def _enterprise_or_404(enterprise_id: int) -> Enterprise:
    enterprise = db.session.get(Enterprise, enterprise_id) if 0 < enterprise_id <= MAX_ROW_ID else None
    if enterprise is None:
        abort(404)
    return enterprise


def _render_list(search: SearchForm, form: EnterpriseForm, status: int = 200):
    if request.args.get("page", 1, type=int) > MAX_PAGE:
        abort(404)
    query = enterprises.enterprise_query(search.q.data or "", search.status.data or "")
    page = db.paginate(query, per_page=ENTERPRISES_PER_PAGE)
    counts = enterprises.case_counts(db.session, [enterprise.id for enterprise in page.items])
    return render_template("admin/enterprises.html", page=page, counts=counts, search=search, form=form), status


def _search_form() -> SearchForm:
    search = SearchForm(request.args, meta={"csrf": False})
    if not search.validate():
        search.q.data, search.status.data = "", ""
    return search


def _render_one(enterprise: Enterprise, *, confirm: ConfirmForm | None = None, merge: MergeForm | None = None,
                status: int = 200):
    if confirm is None:
        confirm = ConfirmForm(formdata=None, name=enterprise.name, credit_code=enterprise.credit_code or "")
    cases = db.session.scalars(
        select(Case).where(Case.enterprise_id == enterprise.id).order_by(Case.filed_at.desc()).limit(CASES_SHOWN)
    ).all()
    return render_template(
        "admin/enterprise.html", enterprise=enterprise, cases=cases,
        total_cases=enterprises.case_counts(db.session, [enterprise.id]).get(enterprise.id, 0),
        confirm=confirm, merge=merge or MergeForm(formdata=None),
        candidates=[] if enterprise.confirmed else enterprises.merge_candidates(db.session, enterprise),
    ), status


def _refusal(refused: EnterpriseAdminError, form: PostedForm) -> int:
    """Roll back, put the refusal on the form, and give its status."""
    db.session.rollback()
    message, status = REFUSALS[refused.code]
    form.form_errors.append(str(message))
    return status


@bp.get("/enterprises")
def enterprise_list():
    """Enterprises by status and name or credit code, those awaiting confirmation first, and the create form."""
    return _render_list(_search_form(), EnterpriseForm(formdata=None))


@bp.post("/enterprises")
def create_enterprise():
    """Create a confirmed enterprise whose credit code passed its check character."""
    form = EnterpriseForm()
    if not form.validate():
        return _render_list(_search_form(), form, 422)
    details = EnterpriseDetails(**{name: form[name].data for name in EnterpriseDetails.__dataclass_fields__})
    try:
        created = enterprises.create_enterprise(db.session, current_user, details, now=utcnow())
    except EnterpriseAdminError as refused:
        return _render_list(_search_form(), form, _refusal(refused, form))
    db.session.commit()
    flash(_("Enterprise %(name)s created.", name=created.name), "success")
    return redirect(url_for("admin.enterprise_page", enterprise_id=created.id))


@bp.get("/enterprises/<int:enterprise_id>")
def enterprise_page(enterprise_id: int):
    """One enterprise, its cases, and for one a consumer entered the forms to confirm or merge it."""
    return _render_one(_enterprise_or_404(enterprise_id))


@bp.post("/enterprises/<int:enterprise_id>/confirm")
def confirm_enterprise(enterprise_id: int):
    """Confirm a consumer-entered enterprise with its checked credit code."""
    enterprise = _enterprise_or_404(enterprise_id)
    form = ConfirmForm()
    if not form.validate():
        return _render_one(enterprise, confirm=form, status=422)
    try:
        enterprises.confirm_enterprise(
            db.session, current_user, enterprise, name=form.name.data, credit_code=form.credit_code.data, now=utcnow()
        )
    except EnterpriseAdminError as refused:
        status = _refusal(refused, form)
        return _render_one(_enterprise_or_404(enterprise_id), confirm=form, status=status)
    db.session.commit()
    flash(_("Enterprise confirmed: its cases can now be routed to it."), "success")
    return redirect(url_for("admin.enterprise_page", enterprise_id=enterprise_id))


@bp.post("/enterprises/<int:enterprise_id>/merge")
def merge_enterprise(enterprise_id: int):
    """Merge a consumer-entered duplicate into the confirmed enterprise with the given credit code."""
    duplicate = _enterprise_or_404(enterprise_id)
    form = MergeForm()
    if not form.validate():
        return _render_one(duplicate, merge=form, status=422)
    try:
        target, moved = enterprises.merge_into_credit_code(
            db.session, current_user, duplicate, form.target_code.data, now=utcnow()
        )
    except EnterpriseAdminError as refused:
        status = _refusal(refused, form)
        return _render_one(_enterprise_or_404(enterprise_id), merge=form, status=status)
    db.session.commit()
    flash(_("Merged into %(name)s: %(count)d cases moved.", name=target.name, count=len(moved)), "success")
    return redirect(url_for("admin.enterprise_page", enterprise_id=target.id))
