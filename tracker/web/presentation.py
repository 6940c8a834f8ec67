"""Template filters and globals: labels through the translation layer, local times, the language switch."""

import json
from datetime import date
from datetime import datetime

from flask import Flask
from flask import current_app
from flask import request
from flask_babel import get_locale
from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_babel import refresh
from jinja2 import pass_context
from markupsafe import Markup

from tracker.deadlines import CLOCKS
from tracker.deadlines import case_is_overdue
from tracker.deadlines import is_overdue
from tracker.deadlines import next_open_deadline
from tracker.web.forms import LANGUAGE_NAMES
from tracker.web.redirects import safe_next_url
from tracker.workflow.guards import APPEAL_DECISIONS
from tracker.workflow.guards import REFUSAL_CODES
from tracker.workflow.guards import SETTLEMENT_OUTCOMES
from tracker.workflow.guards import TERMINATION_GROUNDS
from tracker.workflow.tables import KIND_LABELS
from tracker.workflow.tables import STATE_LABELS
from tracker.workflow.tables import TABLES
from tracker.working_days import LOCAL_TIMEZONE

#: Role names as the parties read them; "system" is the deadline sweep.
ROLE_LABELS = {
    "consumer": _l("Consumer"),
    "officer": _l("Case officer"),
    "expert": _l("Expert"),
    "enterprise": _l("Enterprise"),
    "admin": _l("Administrator"),
    "system": _l("System"),
}

#: Audit actions written outside the transition tables.
EXTRA_ACTION_LABELS = {
    "submit": _l("Submitted"),
    "appoint_expert": _l("Expert appointed"),
    "recuse_expert": _l("Expert recused"),
    "deadline_overdue": _l("Deadline missed"),
    "message": _l("Message"),
    "note": _l("Internal note"),
    "attach_evidence": _l("Evidence added"),
    "rate": _l("Handling rated"),
    "request_reopen": _l("Asked to reopen the case"),
    "claim": _l("Case linked to an account"),
    "reissue_access_code": _l("Access code reissued"),
    "confirm_enterprise": _l("Enterprise confirmed"),
    "link_case": _l("Related case linked"),
    "mark_duplicate": _l("Marked as a duplicate"),
    "merge_duplicate": _l("Duplicate case merged into this one"),
    "schedule_mediation_session": _l("Mediation session scheduled"),
    "record_mediation_minutes": _l("Mediation session minutes recorded"),
    "appoint_panel": _l("Experts appointed to the panel"),
    "name_chair": _l("Panel chair named"),
    "decline_appointment": _l("An expert declined the appointment"),
    "declare_conflict": _l("An expert declared a conflict of interest and left the panel"),
    "request_recusal": _l("A party asked for an expert's recusal"),
    "decide_recusal": _l("Recusal request decided"),
    "submit_expert_opinion": _l("Expert opinion submitted"),
    "conclude_panel": _l("The panel's conclusion recorded"),
    "link_appealed_decision": _l("Linked to the decision appealed"),
    "answer": _l("The enterprise answered"),
    "merge_enterprise": _l("Moved to the confirmed enterprise it duplicated"),
    "commission_drafted": _l("Commission drafted"),
    "commission_amended": _l("Commission changed: confirmations voided"),
    "commission_confirmed": _l("Commission confirmed by a party"),
    "inspection_body_assigned": _l("Inspection body assigned"),
    "sampling_recorded": _l("Samples taken and sealed"),
    "sample_custody": _l("Sample custody recorded"),
    "report_uploaded": _l("Report file uploaded"),
    "fee_recorded": _l("Fee recorded"),
    "report_served": _l("Service date of the report recorded"),
    "mediation_paused_for_testing": _l("Mediation clock paused for testing"),
    "mediation_resumed_after_testing": _l("Mediation clock resumed after testing"),
}

#: Who must act before a clock runs out (Deadline.responsible).
RESPONSIBLE_LABELS = {
    "officer": _l("Case officer"),
    "enterprise": _l("Enterprise"),
    "applicant": _l("Applicant"),
    "parties": _l("Both parties"),
}

#: A case's outcome column holds a settlement outcome or an appeal decision.
OUTCOME_LABELS = {**SETTLEMENT_OUTCOMES, **APPEAL_DECISIONS}

#: Bootstrap colour of each state's badge; anything unlisted is neutral.
STATE_BADGE_CLASSES = {
    "submitted": "text-bg-primary",
    "refused": "text-bg-dark",
    "withdrawn": "text-bg-dark",
    "awaiting_information": "text-bg-warning",
    "settled": "text-bg-success",
    "decided": "text-bg-success",
    "final": "text-bg-success",
    "closed": "text-bg-secondary",
    "mediation_ended": "text-bg-secondary",
}

#: Locale codes as HTML's lang attribute wants them.
HTML_LANG = {"zh": "zh-CN", "en": "en"}


def state_label(kind: str, state: str | None) -> object:
    """The translated name of a state (the kind is there for labels that may one day differ by kind)."""
    if state is None:
        return ""
    return STATE_LABELS.get(state, state)


def state_badge_class(state: str) -> str:
    """The badge colour that tells closed, waiting and live cases apart at a glance."""
    return STATE_BADGE_CLASSES.get(state, "text-bg-info")


def kind_label(kind: str) -> object:
    """The translated name of a kind of case."""
    return KIND_LABELS.get(kind, kind)


def role_label(role: str | None) -> object:
    """The translated name of a role."""
    return ROLE_LABELS.get(role, role or "")


def action_label(kind: str, action: str) -> object:
    """The label of an audited action: the table row's label, or one of the actions outside the tables."""
    for row in TABLES.get(kind, ()):
        if row.trigger == action:
            return row.label
    return EXTRA_ACTION_LABELS.get(action, action)


def clock_label(clock: str) -> object:
    """The translated name of a statutory clock."""
    spec = CLOCKS.get(clock)
    return spec.label if spec is not None else clock


def responsible_label(responsible: str) -> object:
    """Who must act before a clock runs out."""
    return RESPONSIBLE_LABELS.get(responsible, responsible)


def refusal_label(code: str | None) -> object:
    """The statutory ground a refusal names."""
    return REFUSAL_CODES.get(code, code or "")


def termination_label(code: str | None) -> object:
    """The ground on which a mediation ended."""
    return TERMINATION_GROUNDS.get(code, code or "")


def outcome_label(code: str | None) -> object:
    """What a settlement or an appeal decision came to."""
    return OUTCOME_LABELS.get(code, code or "")


def local_time(moment: datetime | None) -> str:
    """An aware timestamp as Beijing time, to the minute."""
    if moment is None:
        return ""
    return moment.astimezone(LOCAL_TIMEZONE).strftime("%Y-%m-%d %H:%M")


def format_date(day: date | None) -> str:
    """A calendar date in ISO order, which reads the same in Chinese and English."""
    if day is None:
        return ""
    return day.strftime("%Y-%m-%d")


def current_locale() -> str:
    """The locale this response is rendered in ("zh" or "en")."""
    return str(get_locale())


def event_reason(event_body: str) -> str | None:
    """The reason an actor gave, read from the event's JSON body."""
    try:
        body = json.loads(event_body or "{}")
    except ValueError:
        return None
    reason = body.get("reason") if isinstance(body, dict) else None
    return reason if isinstance(reason, str) and reason.strip() else None


def _language_return_to() -> str:
    """Where switching language leads back to: this page, or the page a form was posted from."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    return safe_next_url(request.referrer) or "/"


def inject_language_switch() -> dict[str, object]:
    """Give every page the language switch and the lang attribute of its <html> element."""
    locale = current_locale()
    return {
        "language_choices": [
            {"code": code, "name": name, "html_lang": HTML_LANG.get(code, code), "active": code == locale}
            for code, name in LANGUAGE_NAMES.items()
            if code in current_app.config["LANGUAGES"]
        ],
        "language_return_to": _language_return_to(),
        "html_lang": HTML_LANG.get(locale, locale),
    }


def bind_translations() -> dict[str, object]:
    """Give each rendering the catalog of its locale, so that its labels skip Flask-Babel's per-label lookup.

    The same as the i18n extension's newstyle gettext that Flask-Babel installs (autoescaped, then formatted
    with its variables); macros imported without context still use that one.
    """
    catalog = get_translations()

    @pass_context
    def gettext(context, string: str, **variables) -> str:
        translated = catalog.ugettext(string)
        if context.eval_ctx.autoescape:
            translated = Markup(translated)  # noqa: S704 - catalog text, as Jinja's i18n marks it
        return translated % variables

    @pass_context
    def ngettext(context, singular: str, plural: str, num: int, **variables) -> str:
        variables.setdefault("num", num)
        translated = catalog.ungettext(singular, plural, num)
        if context.eval_ctx.autoescape:
            translated = Markup(translated)  # noqa: S704 - catalog text, as Jinja's i18n marks it
        return translated % variables

    return {"gettext": gettext, "ngettext": ngettext}


def forget_cached_locale() -> None:
    """Flask-Babel caches the locale on g, which outlives a request when an app context spans several (tests)."""
    refresh()


def register(app: Flask) -> None:
    """Make the helpers available to every template."""
    helpers = {
        "state_label": state_label,
        "state_badge_class": state_badge_class,
        "kind_label": kind_label,
        "role_label": role_label,
        "action_label": action_label,
        "clock_label": clock_label,
        "responsible_label": responsible_label,
        "refusal_label": refusal_label,
        "outcome_label": outcome_label,
        "termination_label": termination_label,
        "local_time": local_time,
        "format_date": format_date,
        "event_reason": event_reason,
        "is_overdue": is_overdue,
        "next_open_deadline": next_open_deadline,
        "case_is_overdue": case_is_overdue,
    }
    app.jinja_env.filters.update(helpers)
    app.jinja_env.globals.update(helpers)
    app.jinja_env.globals["current_locale"] = current_locale
    app.context_processor(inject_language_switch)
    app.context_processor(bind_translations)
    app.before_request(forget_cached_locale)
