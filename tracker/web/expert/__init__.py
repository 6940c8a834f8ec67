"""The expert's workspace: assigned reviews, the redacted case file, opinions and conflicts of interest."""

from flask import Blueprint

bp = Blueprint("expert", __name__, url_prefix="/expert")
