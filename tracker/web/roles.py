"""A view decorator for pages of one role: visitors are asked to log in, other roles get a 403."""

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user

from tracker.extensions import login_manager
from tracker.models import Role


def role_required(*roles: Role) -> Callable:
    """Let only signed-in users of these roles reach the view."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate
