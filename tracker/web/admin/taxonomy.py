"""The taxonomy: product categories and issue types, each named in Chinese and English."""

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Length

from tracker.extensions import db
from tracker.models import MAX_ROW_ID
from tracker.models import TaxonomyTerm
from tracker.services import taxonomy
from tracker.services.taxonomy import VOCABULARIES
from tracker.services.taxonomy import TaxonomyError
from tracker.web.admin import bp
from tracker.web.form_input import PostedForm

VOCABULARY_LABELS = {"category": _l("Product categories"), "issue": _l("Issue types")}

#: Why a term was refused -> (message, HTTP status).
REFUSALS = {
    "not_admin": (_l("Only an administrator maintains the taxonomy."), 403),
    "vocabulary": (_l("There is no such list."), 404),
    "code_invalid": (
        _l("A code is lower-case letters, digits and underscores, starting with a letter (at most 64)."), 422
    ),
    "code_taken": (_l("This list already has a term with this code."), 409),
    "label_missing": (_l("Give the term a name in both Chinese and English."), 422),
}


class TermForm(PostedForm):
    """A term's names; the code is set once, when it is added."""

    name_zh = StringField(_l("Chinese name"), validators=[DataRequired(), Length(max=100)])
    name_en = StringField(_l("English name"), validators=[DataRequired(), Length(max=100)])
    active = BooleanField(_l("Offered on the filing form"))


class NewTermForm(PostedForm):
    """A new term at the end of its list."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=64)],
                       render_kw={"autocapitalize": "none", "spellcheck": "false"})
    name_zh = StringField(_l("Chinese name"), validators=[DataRequired(), Length(max=100)])
    name_en = StringField(_l("English name"), validators=[DataRequired(), Length(max=100)])


def _render(failed: dict | None = None, status: int = 200):
    """Both lists with a form per term; a refused form is shown again with what was typed."""
    failed = failed or {}
    lists = []
    for vocabulary in VOCABULARIES:
        rows = [
            (term, failed.get(("term", term.id)) or TermForm(formdata=None, obj=term))
            for term in taxonomy.terms(db.session, vocabulary)
        ]
        lists.append({
            "vocabulary": vocabulary,
            "label": VOCABULARY_LABELS[vocabulary],
            "rows": rows,
            "new": failed.get(("new", vocabulary)) or NewTermForm(formdata=None),
        })
    return render_template("admin/taxonomy.html", lists=lists), status


def _refused(refused: TaxonomyError, form: PostedForm) -> int:
    db.session.rollback()
    message, status = REFUSALS[refused.code]
    form.form_errors.append(str(message))
    return status


@bp.get("/taxonomy")
def taxonomy_page():
    """Categories and issues, in display order, retired ones included."""
    return _render()


@bp.post("/taxonomy/<any(category, issue):vocabulary>")
def add_term(vocabulary: str):
    """Add a term to the end of a list; the filing form offers it at once, in the visitor's language."""
    form = NewTermForm()
    if not form.validate():
        return _render({("new", vocabulary): form}, 422)
    try:
        term = taxonomy.add_term(
            db.session, current_user, vocabulary, code=form.code.data, name_zh=form.name_zh.data,
            name_en=form.name_en.data,
        )
    except TaxonomyError as refused:
        return _render({("new", vocabulary): form}, _refused(refused, form))
    db.session.commit()
    flash(_("Added %(name)s.", name=term.name_zh), "success")
    return redirect(url_for("admin.taxonomy_page", _anchor=f"list-{vocabulary}"))


@bp.post("/taxonomy/terms/<int:term_id>")
def update_term(term_id: int):
    """Rename a term in both languages, or retire it from the filing form."""
    term = db.session.get(TaxonomyTerm, term_id) if 0 < term_id <= MAX_ROW_ID else None
    if term is None:
        abort(404)
    form = TermForm()
    if not form.validate():
        return _render({("term", term_id): form}, 422)
    try:
        taxonomy.update_term(current_user, term, name_zh=form.name_zh.data, name_en=form.name_en.data,
                             active=form.active.data)
    except TaxonomyError as refused:
        return _render({("term", term_id): form}, _refused(refused, form))
    db.session.commit()
    flash(_("Saved %(name)s.", name=term.name_zh), "success")
    return redirect(url_for("admin.taxonomy_page", _anchor=f"list-{term.vocabulary}"))
