"""Configuration classes, read from the environment so that no secret lives in the repository."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("TRACKER_INSTANCE_DIR", BASE_DIR / "instance"))


def _env_bool(name: str, default: bool) -> bool:
    """Read a yes/no environment variable."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _instance_secret_key() -> str:
    """Return a per-installation key kept under instance/, created on first use (development only)."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key_file = INSTANCE_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


class Config:
    """Production defaults: everything sensitive must come from the environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'tracker.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))
    #: Whole-request limit; per-file limits are enforced by the evidence service.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 25 * 1024 * 1024))
    EVIDENCE_MAX_FILE_BYTES = int(os.environ.get("EVIDENCE_MAX_FILE_BYTES", 10 * 1024 * 1024))
    EVIDENCE_MAX_PIXELS = int(os.environ.get("EVIDENCE_MAX_PIXELS", 40_000_000))
    EVIDENCE_MAX_FILES_PER_CASE = int(os.environ.get("EVIDENCE_MAX_FILES_PER_CASE", 20))
    EVIDENCE_MAX_BYTES_PER_CASE = int(os.environ.get("EVIDENCE_MAX_BYTES_PER_CASE", 60 * 1024 * 1024))
    EVIDENCE_MAX_FILES_PER_USER_PER_DAY = int(os.environ.get("EVIDENCE_MAX_FILES_PER_USER_PER_DAY", 100))

    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", 25))
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "case-tracker@localhost")
    #: Where the parties open the site; links in e-mails start with it.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://localhost:5000").rstrip("/")

    #: Reverse proxies in front of the app whose X-Forwarded-For/-Proto headers are trusted (0: none).
    PROXY_FIX_HOPS = int(os.environ.get("PROXY_FIX_HOPS", 0))

    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    #: __Host-: the browser accepts it only over HTTPS, for this host alone, with Path=/ (no subdomain can set it);
    #: a browser refuses such a cookie without Secure, so a deployment that turns Secure off gets the plain name.
    SESSION_COOKIE_NAME = "__Host-session" if SESSION_COOKIE_SECURE else "session"
    #: A signed-in session ends on the server after this long, or after 30 days when "remember me" was ticked.
    SESSION_LIFETIME = timedelta(hours=12)
    PERMANENT_SESSION_LIFETIME = timedelta(days=30)
    #: Sessions the browser forgets on closing also end after this long without a request.
    SESSION_IDLE_TIMEOUT = timedelta(minutes=int(os.environ.get("SESSION_IDLE_MINUTES", 60)))

    #: Rate limits are counted in Redis when it is configured (shared by every worker and host), else in memory.
    REDIS_URL = os.environ.get("REDIS_URL")
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "tracker")

    #: JSON lines on stderr for the `tracker` loggers (requests, security events).
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    LOG_JSON_TO_STDERR = _env_bool("LOG_JSON_TO_STDERR", True)

    #: Ed25519 private key (PEM file, outside the repository and the database) that signs audit checkpoints.
    AUDIT_SIGNING_KEY = os.environ.get("AUDIT_SIGNING_KEY", str(INSTANCE_DIR / "audit-signing-key.pem"))
    #: Where signed checkpoints are appended; keep it on storage the database's owner cannot write.
    AUDIT_CHECKPOINT_DIR = os.environ.get("AUDIT_CHECKPOINT_DIR", str(INSTANCE_DIR / "audit-checkpoints"))
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = 3600 * 8

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh", "en")

    #: argon2id cost; OWASP's minimum for argon2id is m=19 MiB, t=2, p=1.
    PASSWORD_HASH_TIME_COST = 2
    PASSWORD_HASH_MEMORY_COST = 19 * 1024

    @classmethod
    def check(cls) -> None:
        """Refuse to start a production app without a secret key."""
        if not cls.SECRET_KEY:
            raise RuntimeError("SECRET_KEY must be set in the environment")


class DevelopmentConfig(Config):
    """Local use on http://127.0.0.1: a generated key and non-secure cookies."""

    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    #: A __Host- cookie needs HTTPS; plain http://127.0.0.1 uses the plain name.
    SESSION_COOKIE_NAME = "__Host-session" if SESSION_COOKIE_SECURE else "session"

    @classmethod
    def check(cls) -> None:
        """Create an instance key when none is configured."""
        if not cls.SECRET_KEY:
            cls.SECRET_KEY = _instance_secret_key()


class TestingConfig(Config):
    """The test suite: a database URL given by the fixtures, cheap password hashing."""

    TESTING = True
    SECRET_KEY = "testing-only-key"  # noqa: S105 - not a secret, used only by the test suite
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    SESSION_COOKIE_NAME = "session"
    RATELIMIT_STORAGE_URI = "memory://"
    #: The suite attaches its own handler (tests/conftest.py) and scans what was logged for secrets.
    LOG_JSON_TO_STDERR = False
    WTF_CSRF_ENABLED = False
    PASSWORD_HASH_TIME_COST = 1
    PASSWORD_HASH_MEMORY_COST = 1024

    @classmethod
    def check(cls) -> None:
        """Nothing to check for tests."""


CONFIGS = {
    "production": Config,
    "development": DevelopmentConfig,
    "testing": TestingConfig,
}
