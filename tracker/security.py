"""Password hashing and access codes."""

import functools
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2 import Type
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError
from werkzeug.security import check_password_hash

#: Prefixes of the hashes werkzeug's generate_password_hash writes (method:params$salt$hash).
WERKZEUG_METHODS = ("pbkdf2:", "scrypt:")

#: No 0/O, 1/I/L: codes are read off paper and typed on phones.
ACCESS_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def make_password_hasher(time_cost: int, memory_cost: int) -> PasswordHasher:
    """argon2id with the configured cost."""
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=1)


def hash_password(hasher: PasswordHasher, password: str) -> str:
    """Hash a password for storage."""
    return hasher.hash(password)


def verify_password(hasher: PasswordHasher, stored_hash: str, password: str) -> bool:
    """Check a password against its stored hash (argon2 of any parameters, or werkzeug's format) without raising."""
    if stored_hash.startswith(WERKZEUG_METHODS):
        try:
            return check_password_hash(stored_hash, password)
        except ValueError:
            return False
    try:
        return hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(hasher: PasswordHasher, stored_hash: str) -> bool:
    """True for anything but argon2id with today's parameters: it is replaced at the next successful login."""
    if not stored_hash.startswith("$argon2id$"):
        return True
    try:
        return hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


@functools.lru_cache(maxsize=4)
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    """A hash of a random password with the given cost, made once per cost."""
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism, type=Type.ID)
    return hasher.hash(secrets.token_urlsafe(24))


def dummy_hash(hasher: PasswordHasher) -> str:
    """Checked when no account has the e-mail, so that an unknown address costs as long as a wrong password."""
    return _dummy_hash(hasher.time_cost, hasher.memory_cost, hasher.parallelism)


def new_access_code() -> str:
    """A 10-character public access code (about 49 bits), shown once to the applicant."""
    raw = "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def normalise_access_code(code: str) -> str:
    """Accept lower case, spaces and a missing dash."""
    cleaned = "".join(ch for ch in code.upper() if ch in ACCESS_CODE_ALPHABET)
    return f"{cleaned[:5]}-{cleaned[5:]}"


def hash_access_code(code: str) -> str:
    """SHA-256 of the normalised code; its entropy and the lookup throttle make a slow hash unnecessary."""
    return hashlib.sha256(normalise_access_code(code).encode()).hexdigest()


def access_code_matches(stored_hash: str, code: str) -> bool:
    """Constant-time comparison of a typed code with the stored hash."""
    return hmac.compare_digest(stored_hash, hash_access_code(code))
