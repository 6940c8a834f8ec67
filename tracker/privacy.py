"""Masks for a consumer's contact details, for readers who may not see them in full (an enterprise without consent).

Pure functions of a string, so every page, export and e-mail masks the same way.
"""

import re

_DIGITS = re.compile(r"\d")


def mask_phone(phone: str | None) -> str:
    """Keep the first three and the last four digits: 13812341234 becomes 138****1234."""
    if not phone:
        return ""
    digits = "".join(_DIGITS.findall(phone))
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]  # a mainland mobile number written with its country code
    if len(digits) < 8:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(name: str | None) -> str:
    """Keep the first character: 张三丰 becomes 张**, Alice Smith becomes A**********."""
    if not name:
        return ""
    name = name.strip()
    return name[0] + "*" * (len(name) - 1)


def mask_email(email: str | None) -> str:
    """Keep the first character of the mailbox and the domain: li.wei@example.cn becomes l*****@example.cn."""
    if not email:
        return ""
    mailbox, at, domain = email.partition("@")
    if not at:
        return mask_name(email)
    return mailbox[:1] + "*" * max(len(mailbox) - 1, 1) + "@" + domain
