"""Administrators keep the reply templates officers send from the case page, in Chinese and English."""

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_login import login_required
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import Length

from tracker.extensions import db
from tracker.models import MAX_ROW_ID
from tracker.models import ReplyTemplate
from tracker.models import Role
from tracker.services import replies
from tracker.web.admin import bp
from tracker.web.form_input import PostedForm
from tracker.web.forms import TOO_LONG_MESSAGE

REQUIRED = _l("This field is required.")

#: Why a template could not be saved -> (field, message, status).
TEMPLATE_REFUSALS = {
    "not_admin": (None, _l("Only an administrator can do this."), 403),
    "code": ("code", _l("Use 2 to 64 lower-case letters, digits or underscores."), 422),
    "code_taken": ("code", _l("Another template has this code."), 409),
    "title_zh": ("title_zh", REQUIRED, 422),
    "title_en": ("title_en", REQUIRED, 422),
    "body_zh": ("body_zh", REQUIRED, 422),
    "body_en": ("body_en", REQUIRED, 422),
}


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class ReplyTemplateForm(PostedForm):
    """One reply template in both languages."""

    code = StringField(_l("Code"), filters=[_strip],
                       validators=[DataRequired(message=REQUIRED), Length(max=64, message=TOO_LONG_MESSAGE)])
    title_zh = StringField(_l("Title (Chinese)"), filters=[_strip],
                           validators=[DataRequired(message=REQUIRED), Length(max=200, message=TOO_LONG_MESSAGE)])
    title_en = StringField(_l("Title (English)"), filters=[_strip],
                           validators=[DataRequired(message=REQUIRED), Length(max=200, message=TOO_LONG_MESSAGE)])
    body_zh = TextAreaField(_l("Text (Chinese)"), filters=[_strip],
                            validators=[DataRequired(message=REQUIRED), Length(max=5000, message=TOO_LONG_MESSAGE)])
    body_en = TextAreaField(_l("Text (English)"), filters=[_strip],
                            validators=[DataRequired(message=REQUIRED), Length(max=5000, message=TOO_LONG_MESSAGE)])

    def reply_text(self) -> replies.ReplyText:
        """The typed values for the service."""
        return replies.ReplyText(self.code.data, self.title_zh.data, self.title_en.data, self.body_zh.data,
                                 self.body_en.data)


def _require_admin() -> None:
    if not current_user.is_authenticated or current_user.role != Role.ADMIN:
        abort(403)


def _page(form: ReplyTemplateForm, editing: ReplyTemplate | None, status: int = 200):
    return render_template("admin/reply_templates.html", templates=replies.list_templates(db.session),
                           form=form, editing=editing), status


def _save(form: ReplyTemplateForm, editing: ReplyTemplate | None):
    if not form.validate_on_submit():
        return _page(form, editing, 422)
    try:
        replies.save_template(db.session, current_user, form.reply_text(), template=editing)
    except replies.ReplyTemplateError as refusal:
        db.session.rollback()
        field_name, message, status = TEMPLATE_REFUSALS[refusal.code]
        if field_name is None:
            form.form_errors.append(message)
        else:
            form[field_name].errors = [*form[field_name].errors, message]
        return _page(form, editing, status)
    db.session.commit()
    flash(_("The reply template is saved."), "success")
    return redirect(url_for("admin.reply_templates"))


@bp.route("/reply-templates", methods=["GET", "POST"])
@login_required
def reply_templates():
    """The templates, and a form for a new one."""
    _require_admin()
    form = ReplyTemplateForm()
    if form.is_submitted():
        return _save(form, None)
    return _page(ReplyTemplateForm(formdata=None), None)


@bp.route(f"/reply-templates/<int(max={MAX_ROW_ID}):template_id>", methods=["GET", "POST"])
@login_required
def edit_reply_template(template_id: int):
    """Change one template."""
    _require_admin()
    template = db.session.get(ReplyTemplate, template_id)
    if template is None:
        abort(404)
    form = ReplyTemplateForm(obj=template)
    if form.is_submitted():
        return _save(form, template)
    return _page(form, template)
