"""Password rules per OWASP ASVS 5.0: long enough, passphrases welcome, no composition rules, no common ones."""

from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 8
#: ASVS asks that at least 64 characters be allowed; argon2 hashes any length, this only bounds the work.
MAX_LENGTH = 128

#: Frequent in Chinese password leaks and missing from the English-centred list.
_CHINESE_FAVOURITES = {
    "woaini1314", "5201314", "woaini520", "1314520", "aini1314", "qq123456789", "wang1234", "zhang123",
    "li123456", "abc123456", "a12345678", "88888888", "66666666", "147258369", "123456abc", "1qaz2wsx3edc",
}
COMMON_PASSWORDS = frozenset(FREQUENCY_LISTS["passwords"]) | _CHINESE_FAVOURITES


def password_problems(password: str, *, email: str | None = None) -> list[str]:
    """Codes of what is wrong with a new password: too_short, too_long, common, contains_email."""
    problems = []
    length = len(password)
    if length < MIN_LENGTH:
        problems.append("too_short")
    if length > MAX_LENGTH:
        problems.append("too_long")
    if password.lower() in COMMON_PASSWORDS or password.strip().lower() in COMMON_PASSWORDS:
        problems.append("common")
    if email:
        local_part = email.split("@", 1)[0].lower()
        if len(local_part) >= 4 and local_part in password.lower():
            problems.append("contains_email")
    return problems
