"""A party's request, from the shared case page, that a named expert leave the panel."""

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_login import login_required
from wtforms import IntegerField
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange

from tracker.extensions import db
from tracker.models import MAX_ROW_ID
from tracker.models import utcnow
from tracker.services import panels
from tracker.web.cases import get_case_or_404
from tracker.web.form_input import PostedForm
from tracker.web.panel_labels import PANEL_REFUSALS

bp = Blueprint("recusals", __name__, url_prefix="/cases")


class RecusalRequestForm(PostedForm):
    """Which member, and why they should not take part."""

    member_id = IntegerField(_l("Expert"), validators=[InputRequired(), NumberRange(min=1, max=MAX_ROW_ID)])
    reason = TextAreaField(
        _l("Why should this expert not take part?"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[DataRequired(message=_l("Please give a reason.")), Length(max=2000)],
    )


def _render(case, form: RecusalRequestForm, status: int):
    """The request again, with what was typed and why it was not sent."""
    return render_template("cases/recusal_request.html", case=case, form=form), status


@bp.post("/<case_number:number>/recusal-requests")
@login_required
def request_recusal(number: str):
    """Send the officer a party's request that an expert leave the panel."""
    case = get_case_or_404(number, current_user)
    form = RecusalRequestForm()
    if not form.validate_on_submit():
        return _render(case, form, 422)
    try:
        panels.request_recusal(db.session, case, current_user, form.member_id.data, form.reason.data, now=utcnow())
    except panels.PanelError as error:
        db.session.rollback()
        message, status = PANEL_REFUSALS.get(error.code, PANEL_REFUSALS["not_member"])
        form.form_errors.append(str(message))
        return _render(case, form, status)
    db.session.commit()
    flash(_("Your request was sent. The case officer will decide on it."), "success")
    return redirect(url_for("cases.show", number=case.number, _anchor="panel"))
