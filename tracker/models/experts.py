"""The expert pool, the panel rules of each rule set, and what a panel produces: opinions, recusals, conclusions."""

from datetime import datetime

from sqlalchemy import BigInteger
from sqlalchemy import Boolean
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import backref
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from tracker.extensions import db
from tracker.models.types import UTCDateTime
from tracker.models.types import utcnow


class ExpertProfile(db.Model):
    """An expert's place in the pool: where they work, what they know, whether officers may appoint them."""

    __tablename__ = "expert_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    #: The employer; an expert never sits on a case of their own organisation.
    organisation: Mapped[str] = mapped_column(String(200))
    #: The organisation's unified social credit code, when known: a sharper test than the name.
    organisation_credit_code: Mapped[str | None] = mapped_column(String(18))
    title: Mapped[str | None] = mapped_column(String(100))
    #: False takes the expert out of every eligibility list without touching past panels.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User", backref=backref("expert_profile", uselist=False))
    specialties: Mapped[list["ExpertSpecialty"]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="ExpertSpecialty.id"
    )

    @property
    def specialty_codes(self) -> set[str]:
        """The taxonomy codes of the expert's fields."""
        return {specialty.term.code for specialty in self.specialties}

    def __repr__(self) -> str:
        return f"<ExpertProfile user={self.user_id} {self.organisation!r}>"


class ExpertSpecialty(db.Model):
    """One field an expert knows, named by a product category of the taxonomy."""

    __tablename__ = "expert_specialties"
    __table_args__ = (UniqueConstraint("profile_id", "term_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("expert_profiles.id"), index=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("taxonomy_terms.id"))

    profile: Mapped[ExpertProfile] = relationship(back_populates="specialties")
    term = relationship("TaxonomyTerm")


class ConflictDeclaration(db.Model):
    """An expert's own statement of an interest in an enterprise; it bars them from that enterprise's cases."""

    __tablename__ = "conflict_declarations"
    __table_args__ = (UniqueConstraint("expert_id", "enterprise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    expert = relationship("User")
    enterprise = relationship("Enterprise")


class PanelRule(db.Model):
    """How a kind's panel is made up under a rule set (DESIGN §3): data an administrator may change."""

    __tablename__ = "panel_rules"
    __table_args__ = (UniqueConstraint("rule_set_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("rule_sets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    min_size: Mapped[int] = mapped_column(Integer)
    #: An odd number of members, so that a majority always exists.
    odd_size: Mapped[bool] = mapped_column(Boolean)
    #: A quality appeal's panel leaves out everyone who took part in the decision appealed.
    excludes_appealed_panel: Mapped[bool] = mapped_column(Boolean)

    rule_set = relationship("RuleSet", backref="panel_rules")

    def __repr__(self) -> str:
        return f"<PanelRule {self.kind} min={self.min_size} odd={self.odd_size}>"


class Opinion(db.Model):
    """One panel member's opinion; co-panelists read it only after giving their own."""

    __tablename__ = "opinions"

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_member_id: Mapped[int] = mapped_column(ForeignKey("panel_members.id"), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    findings: Mapped[str] = mapped_column(Text)
    conclusion: Mapped[str] = mapped_column(Text)
    reasoning: Mapped[str] = mapped_column(Text)
    #: The expert's report as a PDF, stored like evidence under its content hash; None when none was given.
    report_stored_name: Mapped[str | None] = mapped_column(String(100))
    report_sha256: Mapped[str | None] = mapped_column(String(64))
    report_size: Mapped[int | None] = mapped_column(BigInteger)
    report_original_name: Mapped[str | None] = mapped_column(String(200))
    #: Set by the chair's conclusion: whether this opinion is with the majority.
    concurs: Mapped[bool | None] = mapped_column(Boolean)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member = relationship("PanelMember", backref=backref("opinion", uselist=False))
    case = relationship("Case")

    def __repr__(self) -> str:
        return f"<Opinion member={self.panel_member_id}>"


class PanelConclusion(db.Model):
    """The chair's compilation of the panel's opinions for one round: the majority's conclusion and any dissent."""

    __tablename__ = "panel_conclusions"
    __table_args__ = (UniqueConstraint("case_id", "round_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    round_number: Mapped[int] = mapped_column(Integer, default=1)
    chair_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    conclusion: Mapped[str] = mapped_column(Text)
    reasoning: Mapped[str] = mapped_column(Text)
    majority_count: Mapped[int] = mapped_column(Integer)
    dissent_count: Mapped[int] = mapped_column(Integer)
    #: The minority's view in the chair's words; required when anyone dissents.
    dissent: Mapped[str | None] = mapped_column(Text)
    concluded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case = relationship("Case", backref=backref("panel_conclusions", order_by="PanelConclusion.round_number"))
    chair = relationship("User")


class RecusalRequest(db.Model):
    """A party's request that a named expert leave the panel; the officer grants or refuses it."""

    __tablename__ = "recusal_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    panel_member_id: Mapped[int] = mapped_column(ForeignKey("panel_members.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    granted: Mapped[bool | None] = mapped_column(Boolean)
    decision_reason: Mapped[str | None] = mapped_column(Text)

    case = relationship("Case", backref=backref("recusal_requests", order_by="RecusalRequest.id"))
    member = relationship("PanelMember")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
