"""Reply templates: administrators keep them in both languages; officers pick one, edit it and send it as a message."""

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.models import MAX_ROW_ID
from tracker.models import Case
from tracker.models import ReplyTemplate
from tracker.models import Role
from tracker.models import User
from tracker.models import utcnow

CODE_PATTERN = re.compile(r"^[a-z0-9_]{2,64}$")


class ReplyTemplateError(ValueError):
    """A template that cannot be saved; `.code` says why (the web layer words it)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class ReplyText:
    """What an administrator types for a template."""

    code: str
    title_zh: str
    title_en: str
    body_zh: str
    body_en: str


def list_templates(session: Session) -> list[ReplyTemplate]:
    """Every template, by code."""
    return list(session.scalars(select(ReplyTemplate).order_by(ReplyTemplate.code)))


def save_template(
    session: Session, actor: User, text: ReplyText, *, template: ReplyTemplate | None = None,
    now: datetime | None = None,
) -> ReplyTemplate:
    """Create a template, or change one; both languages are required, the code is unique."""
    if actor.role != Role.ADMIN:
        raise ReplyTemplateError("not_admin")
    code = text.code.strip().lower()
    if not CODE_PATTERN.match(code):
        raise ReplyTemplateError("code")
    fields = {"title_zh": text.title_zh, "title_en": text.title_en, "body_zh": text.body_zh, "body_en": text.body_en}
    for name, value in fields.items():
        if not value.strip():
            raise ReplyTemplateError(name)
    taken = session.scalars(select(ReplyTemplate).where(ReplyTemplate.code == code)).first()
    if taken is not None and taken is not template:
        raise ReplyTemplateError("code_taken")
    if template is None:
        template = ReplyTemplate(code=code)
        session.add(template)
    template.code = code
    for name, value in fields.items():
        setattr(template, name, value.strip())
    template.updated_at = now or utcnow()
    session.flush()
    return template


def reply_for_case(session: Session, template_id: int | None, case: Case) -> str | None:
    """The template's text in the language of the case's applicant, for the officer to edit before sending."""
    template = session.get(ReplyTemplate, template_id) if template_id and 0 < template_id <= MAX_ROW_ID else None
    if template is None:
        return None
    locale = case.applicant.locale if case.applicant is not None else "zh"
    return template.body(locale)
