"""Everything the suite logs goes to one file; at the end of the run it must hold no secret and no full identifier."""

import logging
import re
import tempfile
from pathlib import Path

from tracker.logs import JsonLineFormatter

#: The loggers whose records the run collects: the app's, the development server's, the rate limiter's.
CAPTURED_LOGGERS = ("tracker", "werkzeug", "flask-limiter", "flask_limiter")
#: What must never be written to a log line, by shape.
SECRET_PATTERNS = {
    "access code": re.compile(r"(?<![0-9A-Za-z])[A-HJ-NP-Z2-9]{5}-[A-HJ-NP-Z2-9]{5}(?![0-9A-Za-z])"),
    "session token": re.compile(r"tks_[A-Za-z0-9_-]{20,}"),
    "session cookie": re.compile(r"(?:session=|(?<![0-9A-Za-z])\.?eyJ)[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{10,}"),
    "phone number": re.compile(r"(?<![0-9A-Za-z])(?:\+?86[ -]?)?1[3-9][0-9]{9}(?![0-9A-Za-z])"),
    "ID-card number": re.compile(r"(?<![0-9A-Za-z])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])"),
}


class SuiteLog:
    """A file that every log record of the run is written to as a JSON line, and the secrets known to be typed."""

    def __init__(self, loggers: tuple[str, ...] = ()) -> None:
        #: The loggers collected (the app's, the servers' and the limiter's unless others are named).
        self.loggers = loggers or CAPTURED_LOGGERS
        self.path = Path(tempfile.mkdtemp(prefix="tracker-suite-log-")) / "suite.jsonl"
        self.handler = logging.FileHandler(self.path, encoding="utf-8")
        self.handler.setFormatter(JsonLineFormatter())
        self.handler.setLevel(logging.DEBUG)
        #: Passwords the tests and the demo data type; added to as they are made.
        self.known_secrets: set[str] = set()

    def attach(self) -> None:
        """Collect the app's loggers (INFO and up: requests, security events), the servers' and the limiter's.

        Named loggers, not the root: every migration runs Alembic's fileConfig, which replaces the root's handlers.
        """
        for name in self.loggers:
            logging.getLogger(name).addHandler(self.handler)
        logging.getLogger("tracker").setLevel(logging.INFO)

    def detach(self) -> None:
        """Stop collecting and close the file."""
        for name in self.loggers:
            logging.getLogger(name).removeHandler(self.handler)
        self.handler.close()

    def captured_text(self) -> str:
        """Everything collected so far."""
        self.handler.flush()
        return self.path.read_text(encoding="utf-8")

    def findings(self) -> list[str]:
        """One line per secret found: what it looks like, and where."""
        return find_secrets(self.captured_text(), self.known_secrets)


def find_secrets(text: str, known_secrets: set[str]) -> list[str]:
    """Each match of a secret's shape, or of a known secret, in the text."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for label, pattern in SECRET_PATTERNS.items():
            for match in pattern.finditer(line):
                found.append(f"line {number}: {label} {match.group(0)[:40]!r}")
        for secret in known_secrets:
            if secret and secret in line:
                found.append(f"line {number}: password {secret[:3]}…")
    return found
