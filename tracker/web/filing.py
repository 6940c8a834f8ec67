"""Filing a case online: one guided form per kind, evidence, review, idempotent submission."""

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge

from tracker.extensions import db
from tracker.models import CaseKind
from tracker.models import FilingDraft
from tracker.models import Role
from tracker.models import User
from tracker.security import access_code_matches
from tracker.services import cases
from tracker.services import filing
from tracker.services.cases import FilingError
from tracker.services.filing import UploadRefusal
from tracker.web.errors import error_response
from tracker.web.evidence import upload_refusal
from tracker.web.filing_forms import STANDING_LABELS
from tracker.web.filing_forms import ConfirmForm
from tracker.web.filing_forms import FilingForm
from tracker.web.filing_forms import build_filing_form
from tracker.web.filing_forms import form_values
from tracker.web.filing_forms import power_owners
from tracker.web.filing_forms import powers_on_file
from tracker.web.presentation import current_locale
from tracker.web.uploads import DRAFT_OWNER_KEY
from tracker.web.uploads import draft_owner_key
from tracker.web.uploads import evidence_policy
from tracker.web.uploads import upload_root

bp = Blueprint("filing", __name__, url_prefix="/file")

#: The URL segment of each kind, e.g. /file/quality_appeal.
KIND_SEGMENT = "any(" + ", ".join(kind.value for kind in CaseKind) + ")"
#: Session key of the newest filing's number and access code, so that a repeated submission still shows the code.
FILED_CASE_KEY = "filed_case"
#: Longest enterprise search text taken from the query string.
MAX_QUERY_CHARS = 100


@bp.before_request
def only_consumers_and_visitors():
    """Consumers and visitors file cases; staff, experts and enterprises have their own pages."""
    if current_user.is_authenticated and current_user.role != Role.CONSUMER:
        abort(403)


@bp.errorhandler(RequestEntityTooLarge)
def request_too_large(error: RequestEntityTooLarge):
    """A request over the whole-request limit cannot be read at all: say what happened and what to do."""
    megabytes = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
    file_megabytes = current_app.config["EVIDENCE_MAX_FILE_BYTES"] // (1024 * 1024)
    message = _(
        "The files sent at once came to more than %(total)d MiB, so nothing from that attempt could be saved. "
        "Go back and add fewer files at a time (each may be up to %(each)d MiB); what you saved before is kept.",
        total=megabytes,
        each=file_megabytes,
    )
    return error_response(413, "payload_too_large", message, _("The files are too large"))


def filer() -> User | None:
    """The signed-in consumer, or None for a visitor filing without an account."""
    return current_user if current_user.is_authenticated else None


def owned_draft_or_404(token: str, kind: str | None = None, *, for_update: bool = False) -> FilingDraft:
    """The draft if this browser or account owns it (and it is of this kind); anything else looks missing."""
    draft = filing.find_draft(db.session, token, for_update=for_update)
    if not filing.owns_draft(draft, filer(), draft_owner_key()) or (kind is not None and draft.kind != kind):
        abort(404)
    return draft


def filing_form(kind: str, formdata=None, *, csrf: bool = True) -> FilingForm:
    """The kind's form with the taxonomy in the reader's language, bound to the request or to given values."""
    return build_filing_form(
        kind,
        categories=filing.taxonomy(db.session, "category"),
        issues=filing.taxonomy(db.session, "issue"),
        locale=current_locale(),
        anonymous=filer() is None,
        formdata=formdata,
        csrf=csrf,
    )


def stored_form(draft: FilingDraft, *, csrf: bool = True) -> FilingForm:
    """The form filled from what the draft holds, exactly as if the consumer had just posted it."""
    return filing_form(draft.kind, form_values(filing.draft_data(draft)), csrf=csrf)


def check_form(form: FilingForm, draft: FilingDraft, upload_errors: list[tuple[int | None, str]] = ()) -> bool:
    """Validate a bound form against the register and the files the draft keeps."""
    chosen = filing.confirmed_enterprise(db.session, form.enterprise_id.data)
    return form.check(chosen, powers_on_file(filing.draft_data(draft)), upload_errors)


def explain_refusals(refusals: list[UploadRefusal]) -> tuple[list[tuple[int | None, str]], int]:
    """Each refused file's message (naming it) for the input it came from, and the status they call for."""
    explained = [(refusal.representative, *upload_refusal(refusal, refusal.original_name)) for refusal in refusals]
    statuses = {status for _representative, _message, status in explained}
    status = 413 if 413 in statuses else max(statuses, default=422)
    return [(representative, message) for representative, message, _status in explained], status


def render_form(
    kind: str, form: FilingForm, draft: FilingDraft | None, *, status: int = 200, enterprise_results=None
):
    """The guided form with what is kept so far: the chosen enterprise, the files, any errors."""
    data = filing.draft_data(draft) if draft is not None else {}
    action = url_for(".edit", kind=kind, token=draft.token) if draft is not None else url_for(".new", kind=kind)
    page = render_template(
        "filing/form.html",
        kind=kind,
        form=form,
        draft=draft,
        action=action,
        chosen_enterprise=filing.confirmed_enterprise(db.session, form.enterprise_id.data),
        enterprise_results=enterprise_results,
        attached=draft.evidence if draft is not None else [],
        power_owners=power_owners(data),
        errors=form.error_list(),
        limits=evidence_policy(),
        max_request_bytes=current_app.config["MAX_CONTENT_LENGTH"],
        privacy_notice_version=filing.PRIVACY_NOTICE_VERSION,
    )
    return page, status


def receive(kind: str, draft: FilingDraft):
    """Keep everything posted (fields and acceptable files), then remove a file, search, or go on to the review."""
    form = filing_form(kind)
    refusals = filing.keep_draft(
        db.session,
        draft,
        form.draft_values(),
        form.uploads(),
        root=upload_root(),
        policy=evidence_policy(),
        uploader=filer(),
    )
    if form.remove_file.data is not None and not refusals:
        try:
            filing.remove_draft_file(db.session, draft, form.remove_file.data)
        except LookupError:
            db.session.commit()
            abort(404)
        db.session.commit()
        flash(_("The file was removed. Everything else you entered is kept."), "info")
        return redirect(url_for(".edit", kind=kind, token=draft.token))
    if form.action.data == "search" and not refusals:
        db.session.commit()
        results = filing.search_enterprises(db.session, form.enterprise_query.data or "")
        return render_form(kind, form, draft, enterprise_results=results)
    upload_errors, status = explain_refusals(refusals)
    if check_form(form, draft, upload_errors):
        token = draft.token
        db.session.commit()
        return redirect(url_for(".review", token=token))
    db.session.commit()
    return render_form(kind, form, draft, status=status)


@bp.get("")
def choose():
    """The four kinds of case explained in plain words, each leading to its form."""
    return render_template("filing/choose.html", kinds=list(CaseKind))


@bp.get("/enterprises")
def enterprises():
    """Confirmed enterprises matching a name or credit code, for the search box on the form."""
    found = filing.search_enterprises(db.session, request.args.get("q", "")[:MAX_QUERY_CHARS])
    return jsonify([{"id": row.id, "name": row.name, "credit_code": row.credit_code} for row in found])


@bp.route(f"/<{KIND_SEGMENT}:kind>", methods=["GET", "POST"])
def new(kind: str):
    """An empty form; the first post starts the draft that keeps everything from then on."""
    if request.method == "GET":
        return render_form(kind, filing_form(kind), None)
    if filer() is None and not draft_owner_key():
        session[DRAFT_OWNER_KEY] = filing.new_owner_key()
    draft = filing.start_draft(db.session, CaseKind(kind), filer(), draft_owner_key())
    db.session.flush()
    return receive(kind, draft)


@bp.route(f"/<{KIND_SEGMENT}:kind>/<draft_token:token>", methods=["GET", "POST"])
def edit(kind: str, token: str):
    """The form filled from the draft; ?check=1 also shows what still needs the consumer's attention."""
    draft = owned_draft_or_404(token, kind)
    if draft.case is not None:
        return redirect(url_for(".done", number=draft.case.number))
    if request.method == "POST":
        return receive(kind, draft)
    form = stored_form(draft)
    if request.args.get("check") and not check_form(form, draft):
        return render_form(kind, form, draft, status=422)
    return render_form(kind, form, draft)


@bp.get("/review/<draft_token:token>")
def review(token: str):
    """Everything the consumer entered, to read over before submitting, with a hint about similar open cases."""
    draft = owned_draft_or_404(token)
    if draft.case is not None:
        return redirect(url_for(".done", number=draft.case.number))
    form = stored_form(draft, csrf=False)
    if not check_form(form, draft):
        return redirect(url_for(".edit", kind=draft.kind, token=draft.token, check=1))
    data = filing.draft_data(draft)
    return render_template(
        "filing/review.html",
        draft=draft,
        form=form,
        chosen_enterprise=filing.confirmed_enterprise(db.session, form.enterprise_id.data),
        attached=draft.evidence,
        power_owners=power_owners(data),
        standing_labels=STANDING_LABELS,
        similar_cases=filing.similar_open_cases(db.session, filer(), data),
        confirm_form=ConfirmForm(),
    )


@bp.post("/submit/<draft_token:token>")
def submit(token: str):
    """File the draft once: a double click or a retry lands on the same case and the same confirmation."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    draft = owned_draft_or_404(token, for_update=True)
    access_code = None
    number = None
    if draft.case is None:
        if not check_form(stored_form(draft, csrf=False), draft):
            db.session.rollback()
            return redirect(url_for(".edit", kind=draft.kind, token=draft.token, check=1))
        try:
            case, access_code = filing.submit_draft(db.session, draft, filer())
            filed_number = case.number
            db.session.commit()
            number = filed_number
        except IntegrityError:
            db.session.rollback()
            draft = owned_draft_or_404(token)
            if draft.case is None:
                flash(_("Someone else changed the same records at the same moment, so nothing was filed. "
                        "Please submit again."), "warning")
                return redirect(url_for(".review", token=token))
        except FilingError:
            db.session.rollback()
            return redirect(url_for(".edit", kind=draft.kind, token=draft.token, check=1))
    if number is None:
        number = draft.case.number
    if access_code is not None:
        session[FILED_CASE_KEY] = {"number": number, "access_code": access_code}
    return redirect(url_for(".done", number=number))


def filed_case_or_404(number: str):
    """The case, if this browser or account filed it through a draft it owns."""
    case = cases.find_case_by_number(db.session, number)
    draft = filing.filed_draft(db.session, case) if case is not None else None
    if not filing.owns_draft(draft, filer(), draft_owner_key()):
        abort(404)
    return case


def remembered_access_code(case) -> str | None:
    """The access code shown at submission, while this session holds it and it still opens the case."""
    remembered = session.get(FILED_CASE_KEY) or {}
    code = remembered.get("access_code") if remembered.get("number") == case.number else None
    return code if code and access_code_matches(case.access_code_hash, code) else None


@bp.get("/done/<case_number:number>")
def done(number: str):
    """The confirmation: case number, access code, the first deadline and where to follow the case."""
    case = filed_case_or_404(number)
    return render_template(
        "filing/done.html",
        case=case,
        access_code=remembered_access_code(case),
        deadline=filing.first_deadline(case),
        signed_in=filer() is not None,
        reissue_form=ConfirmForm(),
    )


@bp.post("/done/<case_number:number>/access-code")
def reissue_code(number: str):
    """A new access code for a filer whose confirmation never arrived (the old code stops working)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    case = filed_case_or_404(number)
    if remembered_access_code(case) is None:
        access_code = filing.reissue_access_code(db.session, case, filer())
        db.session.commit()
        session[FILED_CASE_KEY] = {"number": case.number, "access_code": access_code}
        flash(_("A new access code has been issued. The old one no longer works."), "success")
    return redirect(url_for(".done", number=case.number))
