"""How the audit trail reads to people: labels of the actions written outside the transition tables."""

from flask_babel import lazy_gettext as _l

from tracker.web.presentation import action_label

#: Audit actions written by the conversation, evidence, filing and case services, as the timeline names them.
CONVERSATION_ACTION_LABELS = {
    "message": _l("Message"),
    "note": _l("Internal note"),
    "attach_evidence": _l("Evidence added"),
    "rate": _l("Handling rated"),
    "request_reopen": _l("Asked to reopen the case"),
    "claim": _l("Case linked to an account"),
    "reissue_access_code": _l("Access code reissued"),
    "confirm_enterprise": _l("Enterprise confirmed"),
}


def event_label(kind: str, action: str) -> object:
    """The label of any audited action: a table row's, one of the conversation's, or the other extras."""
    return CONVERSATION_ACTION_LABELS.get(action) or action_label(kind, action)
