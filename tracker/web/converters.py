"""URL converters: only a well-formed case number or draft token reaches a view; anything else is a plain 404."""

from werkzeug.routing import BaseConverter

from tracker.models import CASE_NUMBER_PREFIX


class CaseNumberConverter(BaseConverter):
    """A case number as next_case_number writes it (TS-2026-000001), so junk never becomes a database query."""

    regex = "(?:" + "|".join(sorted(CASE_NUMBER_PREFIX.values())) + r")-[0-9]{4}-[0-9]{6,12}"


class DraftTokenConverter(BaseConverter):
    """A draft token (secrets.token_urlsafe(32)): URL-safe base64, at most the column's 43 characters."""

    regex = r"[A-Za-z0-9_-]{1,43}"


#: Converter names the blueprints' rules use.
CONVERTERS = {"case_number": CaseNumberConverter, "draft_token": DraftTokenConverter}
