"""The enterprise's portal: its inbox, answers, record and colleagues, as a tenant that sees only its own cases."""

from flask import Blueprint

bp = Blueprint("enterprise", __name__, url_prefix="/enterprise")
