"""Public tracking of a case by its number and access code, without signing in."""

from flask import Blueprint

bp = Blueprint("tracking", __name__)
