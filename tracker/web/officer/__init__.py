"""The case officer's workspace: queues, search, triage, mediation, panels and the dashboard."""

from flask import Blueprint

bp = Blueprint("officer", __name__, url_prefix="/officer")
