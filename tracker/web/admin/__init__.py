"""Administration: accounts, enterprises, the expert pool, taxonomy, rule sets, calendar years, alerts, outbox."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
