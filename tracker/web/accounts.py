"""Registration, password change and claiming a case filed without an account."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)
