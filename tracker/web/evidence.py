"""Evidence downloads, only through an access check."""

from flask import Blueprint

bp = Blueprint("evidence", __name__)
