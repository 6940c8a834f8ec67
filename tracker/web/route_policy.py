"""Which roles may use each route: one line per endpoint, enforced before every view and tested for every role.

A line reads `"blueprint.view": (ALLOWED_ROLES, STATUS)`: the roles (space-separated, "anonymous" for a visitor)
that get past this gate, and the status every other signed-in role gets (403, or 404 where even the existence
of the page is not to be shown). A visitor who is not allowed is sent to the login page. A route that has no
line here answers no one (403) and fails tests/test_route_policy.py, so every new route needs its line.
The views still decide about the object itself (which case, which draft): this table is the coarse gate.
"""

from flask import Flask
from flask import abort
from flask import request
from flask_login import current_user

from tracker.extensions import db
from tracker.extensions import login_manager
from tracker.models import SecurityEvent

ANONYMOUS = "anonymous"
ROLES = (ANONYMOUS, "consumer", "enterprise", "expert", "officer", "admin")
ANYONE = " ".join(ROLES)
SIGNED_IN = "consumer enterprise expert officer admin"
STAFF = "officer admin"
#: The detail of the security event the gate writes, so that its refusals can be told from the views' own.
DENIED_BY_POLICY = "route policy"

POLICY: dict[str, tuple[str, int | None]] = {
    "static": (ANYONE, None),
    "main.index": (ANYONE, None),
    "main.set_language": (ANYONE, None),
    "auth.login": (ANYONE, None),
    "auth.logout": (ANYONE, None),
    "accounts.register": (ANYONE, None),
    "accounts.change_password": (SIGNED_IN, None),
    "accounts.claim": ("consumer", 403),
    "cases.show": (SIGNED_IN, None),
    "cases.take_action": (SIGNED_IN, None),
    "cases.post_message": (SIGNED_IN, None),
    "cases.supplement": (SIGNED_IN, None),
    "cases.rate": (SIGNED_IN, None),
    "cases.request_reopen": (SIGNED_IN, None),
    "cases.confirm_enterprise": (SIGNED_IN, None),  # the service refuses all but officers (403, or 404 if hidden)
    "evidence.download": (ANYONE, None),
    "filing.choose": ("anonymous consumer", 403),
    "filing.enterprises": ("anonymous consumer", 403),
    "filing.new": ("anonymous consumer", 403),
    "filing.edit": ("anonymous consumer", 403),
    "filing.review": ("anonymous consumer", 403),
    "filing.submit": ("anonymous consumer", 403),
    "filing.done": ("anonymous consumer", 403),
    "filing.reissue_code": ("anonymous consumer", 403),
    "tracking.track_form": (ANYONE, None),
    "tracking.track": (ANYONE, None),
    "main.favicon": (ANYONE, None),
    "invitations.accept": (ANYONE, None),  # the token decides; a used or expired link is a 404
    "cases.follow_up": (SIGNED_IN, None),  # the service lets only the applicant of an ended mediation through
    "recusals.request_recusal": (SIGNED_IN, None),  # the service lets only a party through
    "cases.confirm_commission": (SIGNED_IN, None),  # the service lets only the applicant and the enterprise through
    "officer.commission": ("officer", 404),
    "officer.inspection": ("officer", 404),
    "officer.assign_body": ("officer", 404),
    "officer.record_sampling": ("officer", 404),
    "officer.log_custody": ("officer", 404),
    "officer.upload_report": ("officer", 404),
    "officer.record_fee": ("officer", 404),
    "officer.record_service": ("officer", 404),
    "expert.inspections_inbox": ("expert", 404),
    "expert.inspection_work": ("expert", 404),
    "expert.log_custody": ("expert", 404),
    "expert.upload_report": ("expert", 404),
    "admin.bodies": ("admin", 404),
    "admin.edit_body": ("admin", 404),
    "admin.add_staff": ("admin", 404),
    "officer.appoint": (STAFF, 404),
    "officer.assign": (STAFF, 404),
    "officer.dashboard": (STAFF, 404),
    "officer.decide_recusal": (STAFF, 404),
    "officer.draw_panel": (STAFF, 404),
    "officer.link_appealed": (STAFF, 404),
    "officer.link_case": (STAFF, 404),
    "officer.merge_case": (STAFF, 404),
    "officer.name_chair": (STAFF, 404),
    "officer.panel": (STAFF, 404),
    "officer.queue": (STAFF, 404),
    "officer.record_minutes": (STAFF, 404),
    "officer.schedule_session": (STAFF, 404),
    "officer.search": (STAFF, 404),
    "officer.take": (STAFF, 404),
    "officer.workspace": (STAFF, 404),
    "enterprise.answer": ("enterprise", 404),
    "enterprise.colleagues": ("enterprise", 404),
    "enterprise.export_csv": ("enterprise", 404),
    "enterprise.inbox": ("enterprise", 404),
    "enterprise.invite_colleague": ("enterprise", 404),
    "enterprise.record": ("enterprise", 404),
    "enterprise.remove_colleague": ("enterprise", 404),
    "expert.case_file": ("expert", 404),
    "expert.conclude": ("expert", 404),
    "expert.conflicts": ("expert", 404),
    "expert.declare_case_conflict": ("expert", 404),
    "expert.declare_conflict": ("expert", 404),
    "expert.decline": ("expert", 404),
    "expert.give_opinion": ("expert", 404),
    "expert.inbox": ("expert", 404),
    "expert.opinion_report": ("expert officer admin", 404),  # staff read the reports too; the view checks who may
    "admin.add_term": ("admin", 404),
    "admin.alert_list": ("admin", 404),
    "admin.calendar_overview": ("admin", 404),
    "admin.calendar_year": ("admin", 404),
    "admin.change_role": ("admin", 404),
    "admin.confirm_enterprise": ("admin", 404),
    "admin.create_enterprise": ("admin", 404),
    "admin.create_rule_set": ("admin", 404),
    "admin.edit_expert": ("admin", 404),
    "admin.edit_reply_template": ("admin", 404),
    "admin.enterprise_list": ("admin", 404),
    "admin.enterprise_page": ("admin", 404),
    "admin.experts_list": ("admin", 404),
    "admin.index": ("admin", 404),
    "admin.invite_user": ("admin", 404),
    "admin.merge_enterprise": ("admin", 404),
    "admin.new_expert": ("admin", 404),
    "admin.open_calendar_year": ("admin", 404),
    "admin.outbox_list": ("admin", 404),
    "admin.reply_templates": ("admin", 404),
    "admin.resolve_alert": ("admin", 404),
    "admin.retry_message": ("admin", 404),
    "admin.rule_set_list": ("admin", 404),
    "admin.save_calendar_year": ("admin", 404),
    "admin.security_event_list": ("admin", 404),
    "admin.set_active": ("admin", 404),
    "admin.taxonomy_page": ("admin", 404),
    "admin.toggle_expert": ("admin", 404),
    "admin.update_term": ("admin", 404),
    "admin.users": ("admin", 404),
}


def role_of(user) -> str:
    """The role the table speaks of: the account's role, or "anonymous" for a visitor."""
    return str(user.role) if user is not None and user.is_authenticated else ANONYMOUS


def allowed_roles(policy: dict[str, tuple[str, int | None]], endpoint: str) -> frozenset[str]:
    """The roles the table lets through to this endpoint (none when it has no line)."""
    roles, _status = policy.get(endpoint, ("", None))
    return frozenset(roles.split())


def register(app: Flask) -> None:
    """Check the table before every view: an unlisted route is refused to everyone, a refused visitor logs in.

    Each app holds its own copy (app.extensions["route_policy"]), so that a test app may add a line for a
    route it adds itself.
    """
    policy = app.extensions["route_policy"] = dict(POLICY)

    @app.before_request
    def enforce_route_policy():
        endpoint = request.endpoint
        if endpoint is None:
            return None
        role = role_of(current_user)
        if role in allowed_roles(policy, endpoint):
            return None
        if role == ANONYMOUS and endpoint in policy:
            return login_manager.unauthorized()
        status = policy.get(endpoint, ("", 403))[1] or 403
        db.session.add(SecurityEvent(kind="access_denied", target=request.path, remote_addr=request.remote_addr,
                                     detail=DENIED_BY_POLICY if endpoint in policy else "route without a policy"))
        db.session.commit()
        abort(status)
