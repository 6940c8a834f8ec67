"""The upload settings of this app, turned into what the services take."""

from pathlib import Path

from flask import current_app
from flask import session

from tracker.evidence import EvidenceLimits
from tracker.services.attachments import EvidencePolicy

#: Session key holding the anonymous visitor's draft-owner key (see services.filing.owns_draft).
DRAFT_OWNER_KEY = "filing_owner_key"


def upload_root() -> Path:
    """The folder evidence is stored in, outside the web root."""
    return Path(current_app.config["UPLOAD_FOLDER"])


def evidence_policy() -> EvidencePolicy:
    """Per-file, per-case and per-user limits from the configuration."""
    config = current_app.config
    return EvidencePolicy(
        file_limits=EvidenceLimits(
            max_file_bytes=config["EVIDENCE_MAX_FILE_BYTES"], max_pixels=config["EVIDENCE_MAX_PIXELS"]
        ),
        max_files_per_case=config["EVIDENCE_MAX_FILES_PER_CASE"],
        max_bytes_per_case=config["EVIDENCE_MAX_BYTES_PER_CASE"],
        max_files_per_user_per_day=config["EVIDENCE_MAX_FILES_PER_USER_PER_DAY"],
    )


def draft_owner_key() -> str | None:
    """The anonymous visitor's key, if this browser has started a filing."""
    return session.get(DRAFT_OWNER_KEY)
