"""大下访 campaigns (§9): the campaign and its four dated phases, participating departments with
their responsible leader, problems found by 排查/下访, visits and their outcomes, 三问 suggestions
and 回头看 results.

Problems and suggestions are ordinary cases (``cases.campaign_id`` tags them); the rows here only
hold what a case does not: the 排查 details, the suggestion's adoption and the review verdicts.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.base import Base
from storage.models.people import Department, Person

# The order is the campaign's order (seed 000: 动员排查 → 集中下访 → 集中化解 → 检查总结).
PHASES = ("动员排查", "集中下访", "集中化解", "检查总结")
RISK_LEVELS = ("一般", "较大", "重大")
ADOPTIONS = ("采纳", "部分采纳", "留作参考")
REVIEW_RESULTS = ("已解决", "反弹")
VISIT_FORMS = ("带案下访", "驻点指导", "公开定点接访", "重点约访")


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # The lead office (领导小组办公室), 督查室 by default.
    lead_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    created_at: Mapped[datetime]

    lead_department: Mapped[Department | None] = relationship(lazy="joined")


class CampaignPhase(Base):
    """One of the four phases; dates are local (Asia/Shanghai) calendar days, both inclusive."""

    __tablename__ = "campaign_phases"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    seq: Mapped[int]  # 0..3, index into PHASES
    name: Mapped[str] = mapped_column(String(16))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)

    __table_args__ = (UniqueConstraint("campaign_id", "seq", name="uq_campaign_phases_seq"),)


class CampaignDepartment(Base):
    __tablename__ = "campaign_departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    # The department's responsible leader (责任领导) for the campaign.
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))

    department: Mapped[Department] = relationship(lazy="joined")
    leader: Mapped[Person | None] = relationship(lazy="joined")

    __table_args__ = (UniqueConstraint("campaign_id", "department_id", name="uq_campaign_departments"),)


class CampaignProblem(Base):
    """The 排查 details of a campaign case (下访台账 line): what a case row has no column for."""

    __tablename__ = "campaign_problems"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    # 矛盾纠纷 / 苗头隐患 / 群体性风险 / 信访突出问题 …
    problem_kind: Mapped[str] = mapped_column(String(32))
    place: Mapped[str | None] = mapped_column(String(256))
    people_involved: Mapped[int | None]
    found_on: Mapped[date] = mapped_column(Date)
    phase: Mapped[str | None] = mapped_column(String(16))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("campaign_visits.id"))
    # sha256 of (department, found_on, content) for duplicate detection on import.
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)


class CampaignVisit(Base):
    """A campaign visit (场次): a reception session of a 下访 form and, once held, its outcome."""

    __tablename__ = "campaign_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    reception_session_id: Mapped[int] = mapped_column(ForeignKey("reception_sessions.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    day: Mapped[date] = mapped_column(Date)
    form: Mapped[str] = mapped_column(String(16))
    # 带案下访: the cases the leader takes along.
    case_ids: Mapped[list[Any]] = mapped_column(default=list)
    people_met: Mapped[int | None]
    new_case_ids: Mapped[list[Any]] = mapped_column(default=list)
    closed_case_ids: Mapped[list[Any]] = mapped_column(default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime | None]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]


class CampaignSuggestion(Base):
    """A 三问 suggestion (建议意见类 case) and its answer: 采纳 / 部分采纳 / 留作参考."""

    __tablename__ = "campaign_suggestions"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    adoption: Mapped[str | None] = mapped_column(String(8))
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]


class CampaignReview(Base):
    """One 回头看 verdict on a resolved campaign case; a 反弹 reopens the case."""

    __tablename__ = "campaign_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    result: Mapped[str] = mapped_column(String(8))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]
    by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
