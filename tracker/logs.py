"""Structured logs: one JSON object per line, so that nothing a user types can start a line of its own."""

import json
import logging
import sys
import unicodedata
from datetime import UTC
from datetime import datetime

#: The logger security events go to; handlers and the suite's secret scan read it like any other.
SECURITY_LOGGER = "tracker.security"
#: Fields a record may carry beyond the message, in the order they are written.
CONTEXT_FIELDS = ("request_id", "user_id", "role", "event", "target", "remote_addr", "status", "method", "path")
#: Line and paragraph separators that some log viewers break lines at, though they are not control characters.
_LINE_BREAKING = {"\u2028", "\u2029", "\u0085"}


def single_line(text: str | None, limit: int | None = None) -> str | None:
    """Control characters written as visible escapes (\\n, \\x00), so stored text and log lines stay one line."""
    if text is None:
        return None
    cleaned = "".join(
        char.encode("unicode_escape").decode("ascii")
        if unicodedata.category(char) == "Cc" or char in _LINE_BREAKING
        else char
        for char in text
    )
    return cleaned[:limit] if limit is not None else cleaned


class JsonLineFormatter(logging.Formatter):
    """time (UTC), level, logger, message and the request context as one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        """JSON escaping turns every newline into \\n, so a record is always exactly one line."""
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in CONTEXT_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_json_logging(level: str = "INFO") -> logging.Handler:
    """Send the `tracker` loggers to stderr as JSON lines (once per process)."""
    logger = logging.getLogger("tracker")
    for handler in logger.handlers:
        if isinstance(handler.formatter, JsonLineFormatter):
            return handler
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLineFormatter())
    logger.addHandler(handler)
    logger.setLevel(level)
    return handler
