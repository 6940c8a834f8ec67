"""Where a request may send the browser next: only back to this site, never to a URL an attacker chose."""

from urllib.parse import urlsplit
from urllib.parse import urlunsplit

from flask import request


def safe_next_url(target: str | None) -> str | None:
    """Return target as a same-site relative URL, or None when it could leave the site."""
    if not target:
        return None
    target = target.strip()
    if "\\" in target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        if parts.scheme not in ("http", "https") or parts.netloc != request.host:
            return None
    if not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return urlunsplit(("", "", parts.path, parts.query, parts.fragment))
