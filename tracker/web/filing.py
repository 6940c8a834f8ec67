"""Filing a case online: one guided form per kind, evidence, review, idempotent submission."""

from flask import Blueprint

bp = Blueprint("filing", __name__)
