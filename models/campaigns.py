"""Outbound campaigns (issue 18): satisfaction calls and dunning reminders.

A campaign has targets (one per item: a follow-up owed on an order, a
household's dunning stage); `item_key` is unique across every campaign, so an
item is enrolled once and never called for by two campaigns. Each call is a
CampaignAttempt, unique per (target, attempt number): the claim that places a
call is an UPDATE guarded by the target's state and attempt count, so two
engines (or one restarted) can never place the same attempt twice.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import (
    Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow

CAMPAIGN_KINDS = ("satisfaction", "dunning")
CAMPAIGN_STATES = ("running", "paused", "stopped", "finished")
# pending: waiting for its next attempt; dialling: an attempt claimed and placed;
# the rest are final.
TARGET_STATES = ("pending", "dialling", "completed", "handed_to_agent", "do_not_call",
                 "stopped")
ATTEMPT_OUTCOMES = ("placed", "answered", "completed", "no_answer", "busy", "failed",
                    "lost")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(16), default="running", index=True)
    # "09:00-12:00,14:00-20:00", office time; never on a rest day.
    hours: Mapped[str] = mapped_column(String(120), default="09:00-12:00,14:00-20:00")
    concurrency_cap: Mapped[int] = mapped_column(Integer, default=4)
    hourly_cap: Mapped[int] = mapped_column(Integer, default=120)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    retry_spacing_s: Mapped[int] = mapped_column(Integer, default=1800)
    ring_timeout_s: Mapped[int] = mapped_column(Integer, default=30)
    dunning_stage: Mapped[Optional[int]] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint(_in("kind", CAMPAIGN_KINDS), name="kind"),
        CheckConstraint(_in("state", CAMPAIGN_STATES), name="state"),
        CheckConstraint("concurrency_cap >= 1 AND hourly_cap >= 1 AND max_attempts >= 1",
                        name="caps"),
    )


class CampaignTarget(Base):
    __tablename__ = "campaign_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    item_key: Mapped[str] = mapped_column(String(80), unique=True)
    household_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)
    work_order_id: Mapped[Optional[int]] = mapped_column(ForeignKey("work_orders.id"))
    follow_up_id: Mapped[Optional[int]] = mapped_column(ForeignKey("follow_ups.id"))
    phone: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    outcome: Mapped[str] = mapped_column(String(24), default="")
    score: Mapped[Optional[int]] = mapped_column(Integer)
    solved: Mapped[Optional[bool]] = mapped_column(Boolean)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint(_in("state", TARGET_STATES), name="state"),
        CheckConstraint("score IS NULL OR score BETWEEN 1 AND 5", name="score"),
    )


class CampaignAttempt(Base):
    __tablename__ = "campaign_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("campaign_targets.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    placed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    ended_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16), default="placed")
    dial_status: Mapped[str] = mapped_column(String(24), default="")
    # Keys the resident pressed and what the IVR heard to the end ("heard", "transferred").
    detail: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (
        UniqueConstraint("target_id", "number", name="uq_campaign_attempts_target_number"),
        CheckConstraint(_in("outcome", ATTEMPT_OUTCOMES), name="outcome"),
    )


class DoNotCall(Base):
    __tablename__ = "campaign_do_not_call"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(40), unique=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
