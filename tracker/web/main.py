"""The front page (the user's cases, or a welcome for visitors) and the language switch."""

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import redirect
from flask import render_template
from flask import request
from flask import send_from_directory
from flask import session
from flask import url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from tracker.extensions import db
from tracker.models import MAX_ROW_ID
from tracker.models import Case
from tracker.models import Role
from tracker.services import access
from tracker.services import accounts
from tracker.services import expectations
from tracker.web.forms import LanguageForm
from tracker.web.redirects import safe_next_url

bp = Blueprint("main", __name__)

#: Cases listed per page on the front page.
CASES_PER_PAGE = 50
#: No page past this can hold a case; asking for one is the 404 of a page past the last, not a database overflow.
MAX_PAGE = MAX_ROW_ID // CASES_PER_PAGE + 1


@bp.get("/")
def index():
    """Officers land in their workspace, other users on the cases they may see; visitors on what the service offers."""
    if not current_user.is_authenticated:
        return render_template("main/welcome.html")
    if current_user.role == Role.OFFICER:
        return redirect(url_for("officer.workspace"))
    if request.args.get("page", 1, type=int) > MAX_PAGE:
        abort(404)
    visible = access.visible_cases(current_user).options(selectinload(Case.deadlines))
    page = db.paginate(visible, per_page=CASES_PER_PAGE)
    rows = [(case, expectations.expectation_for(case, current_user)) for case in page.items]
    return render_template("main/index.html", page=page, rows=rows)


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for it on every site; answering keeps their consoles free of 404s."""
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon")


@bp.post("/language")
def set_language():
    """Remember the chosen interface language (a signed-in user's e-mails follow it) and go back to the page."""
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    session["lang"] = form.lang.data
    if current_user.is_authenticated and current_user.locale != form.lang.data:
        accounts.set_locale(current_user, form.lang.data)
        db.session.commit()
    return redirect(safe_next_url(form.next.data) or safe_next_url(request.referrer) or url_for("main.index"))
