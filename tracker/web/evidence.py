"""Evidence downloads, only through an access check; and how a refused upload is explained."""

from flask import Blueprint
from flask import abort
from flask import request
from flask import send_file
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from tracker.evidence import EvidenceRejected
from tracker.evidence import content_disposition
from tracker.extensions import db
from tracker.models import MAX_ROW_ID
from tracker.services import access
from tracker.services import filing
from tracker.services.attachments import QuotaExceeded
from tracker.services.attachments import evidence_for_download
from tracker.web.uploads import draft_owner_key
from tracker.web.uploads import evidence_policy
from tracker.web.uploads import upload_root

bp = Blueprint("evidence", __name__)

#: Content types a browser may show in the page instead of saving (re-encoded pixels only, never active content).
INLINE_CONTENT_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})

#: Why an upload was refused -> (message naming the file, HTTP status); see tracker.evidence.REJECTION_REASONS.
UPLOAD_REFUSALS = {
    "type": (_l("%(name)s: only JPEG, PNG and WebP photos and PDF documents are accepted."), 422),
    "size": (_l("%(name)s: the file is too large. Each file may be at most %(limit)s MB."), 413),
    "name": (_l("%(name)s: this file name cannot be used. Rename the file and choose it again."), 422),
    "damaged": (_l("%(name)s: the file is damaged or incomplete."), 422),
    "active_content": (_l("%(name)s: PDFs with scripts, actions or attached files are not accepted."), 422),
    "files_per_case": (_l("%(name)s: this case already holds as many files as it may."), 422),
    "bytes_per_case": (_l("%(name)s: the files of this case would exceed the total size allowed."), 413),
    "files_per_day": (_l("%(name)s: you have uploaded as many files as allowed today. Try again tomorrow."), 429),
}


def upload_refusal(error: EvidenceRejected | QuotaExceeded, file_name: str) -> tuple[str, int]:
    """The translated message and status for a refused file, naming the file as the user chose it."""
    message, status = UPLOAD_REFUSALS.get(error.reason, UPLOAD_REFUSALS["type"])
    limit_mb = evidence_policy().file_limits.max_file_bytes / (1024 * 1024)
    return str(message) % {"name": file_name or "?", "limit": f"{limit_mb:g}"}, status


def _owns_draft(draft) -> bool:
    """A draft's files are the filer's alone until the draft becomes a case."""
    return filing.owns_draft(draft, current_user, draft_owner_key())




@bp.get(f"/evidence/<int(max={MAX_ROW_ID}):evidence_id>")
def download(evidence_id: int):
    """Send a file to someone who may see its case (or owns its draft); everyone else gets a logged 404."""
    try:
        found = evidence_for_download(
            db.session, upload_root(), evidence_id, current_user, draft_owner_check=_owns_draft
        )
    except EvidenceRejected:
        found = None
    if found is None or not found.path.is_file():
        access.log_refused_access(
            db.session,
            current_user,
            request.path,
            remote_addr=request.remote_addr,
            detail="evidence not available to this user" if found is None else "evidence file missing on disk",
        )
        db.session.commit()
        abort(404)
    response = send_file(found.path, mimetype=found.content_type, conditional=True, etag=True)
    inline = found.content_type in INLINE_CONTENT_TYPES
    response.headers["Content-Disposition"] = content_disposition(found.original_name, inline=inline)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
