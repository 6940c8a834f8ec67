"""The consumer's contact details as a reader of the case may see them: in full, or masked for an enterprise."""

from dataclasses import dataclass

from tracker.models import Case
from tracker.models import Role
from tracker.privacy import mask_email
from tracker.privacy import mask_name
from tracker.privacy import mask_phone


@dataclass(frozen=True)
class ConsumerContact:
    """Name, phone and e-mail as one reader may read them."""

    name: str
    phone: str
    email: str
    #: True when the consumer did not consent to forwarding them and they are masked.
    masked: bool


def full_contact(case: Case) -> tuple[str, str, str]:
    """What the case holds: the contact typed into the filing, or the applicant's account."""
    applicant = case.applicant
    name = case.contact_name or (applicant.display_name if applicant is not None else "")
    phone = case.contact_phone or (applicant.mobile if applicant is not None else "") or ""
    email = case.contact_email or (applicant.email if applicant is not None else "")
    return name or "", phone, email or ""


def contact_for_enterprise(case: Case) -> ConsumerContact:
    """In full only when the consumer consented to forwarding them (case.consent_forward_contact)."""
    name, phone, email = full_contact(case)
    if case.consent_forward_contact:
        return ConsumerContact(name=name, phone=phone, email=email, masked=False)
    return ConsumerContact(name=mask_name(name), phone=mask_phone(phone), email=mask_email(email), masked=True)


def contact_for(case: Case, reader_role: str) -> ConsumerContact:
    """Enterprise users get the masked form unless the consumer consented; everyone else who may see it, in full."""
    if reader_role == Role.ENTERPRISE:
        return contact_for_enterprise(case)
    name, phone, email = full_contact(case)
    return ConsumerContact(name=name, phone=phone, email=email, masked=False)
