"""Tables of the console area: people, work orders, follow-ups, shift handover.

Work orders point at the call by its queue callid (queue_log's callid, the same
string the call records use) and at the household by id; neither is a foreign
key so that the console's tables never block the bridge's or the importer's
writes, and an order survives a re-imported household list.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import (
    Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy import select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow

# A department user (issue 15.1) is bound to departments in models.departments; a
# cashier (issue 16.6) sees only the cashier's desk and the household search.
ROLES = ("agent", "supervisor", "admin", "department", "cashier")
ORDER_KINDS = ("repair", "complaint", "enquiry", "fee", "praise", "other")
ORDER_STATUSES = ("new", "dispatched", "in_progress", "done", "followed_up", "closed")
COMPLAINT_TIERS = ("major", "important", "minor")
DEPARTMENTS = ("engineering", "security", "cleaning_greening", "finance")
FOLLOW_UP_RESULTS = ("pending", "reached", "unreachable", "refused")
# How a request reached the centre (seed 000: phone, QQ, WeChat, the web platform;
# 004: letters and walk-ins) and how urgent it is (workflow.intake).
CHANNELS = ("phone", "walk_in", "letter", "wechat", "qq", "web", "staff_report")
URGENCIES = ("emergency", "urgent", "normal")
WARRANTY_STATUSES = ("in_warranty", "expired", "no_handover_date", "not_covered")


class User(Base):
    __tablename__ = "console_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default="agent")
    # The queue member interface of the agent's phone, e.g. PJSIP/8001: the room
    # their pops go to. Unique: two agents on one phone would see each other's pops.
    phone_interface: Mapped[Optional[str]] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(80), default="")
    language: Mapped[str] = mapped_column(String(8), default="zh")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("role IN ('agent', 'supervisor', 'admin', 'department', 'cashier')",
                        name="role"),
    )

    # Flask-Login's protocol, kept here so the model needs no Flask import.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


def system_user(session, username: str, display_name: str) -> User:
    """The user that stands for the system in a record's "by whom" (the line's own
    orders, a campaign's follow-ups, the demo's desk), made on first use. It cannot
    log in: it is inactive and no password hash matches "!"."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(username=username, password_hash="!", role="agent",
                    display_name=display_name, active=False)
        session.add(user)
        session.flush()
    return user


class WorkOrder(Base):
    __tablename__ = "work_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One token per rendered form: a second submit of the same form finds the order.
    idempotency_token: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(40), default="other")
    description: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(String(200), default="")
    contact_name: Mapped[str] = mapped_column(String(80), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    preferred_visit: Mapped[str] = mapped_column(String(80), default="")
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    complaint_tier: Mapped[Optional[str]] = mapped_column(String(16))
    resident_deadline: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    department: Mapped[Optional[str]] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    callid: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    household_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)
    recording: Mapped[Optional[str]] = mapped_column(String(255))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("console_users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    call_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatch_due_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    escalate_to: Mapped[Optional[str]] = mapped_column(String(16))
    escalate_due_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    answer_due_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    resolve_due_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    dispatched_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    call_to_dispatch_s: Mapped[Optional[int]] = mapped_column(Integer)
    done_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    closed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    # Channel and urgency (workflow.intake). An online message (wechat, qq, web) is
    # accepted within 5 minutes of being sent and dispatched within 5 of acceptance (000).
    channel: Mapped[str] = mapped_column(String(16), default="phone", server_default="phone")
    urgency: Mapped[str] = mapped_column(String(16), default="normal", server_default="normal")
    message_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    accept_due_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    accepted_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    # Warranty (workflow.warranty): free within the category's period from the key handover.
    warranty_status: Mapped[Optional[str]] = mapped_column(String(20))
    warranty_until: Mapped[Optional[dt.date]] = mapped_column(Date)
    warranty_override_reason: Mapped[str] = mapped_column(String(200), default="",
                                                          server_default="")

    created_by: Mapped[User] = relationship()
    events: Mapped[list["WorkOrderEvent"]] = relationship(
        back_populates="work_order", order_by="WorkOrderEvent.id")
    # One row per follow-up attempt (workflow.followups): retries and reopened rounds.
    follow_ups: Mapped[list["FollowUp"]] = relationship(
        back_populates="work_order", order_by="FollowUp.id")

    __table_args__ = (
        CheckConstraint(
            "kind IN ('repair', 'complaint', 'enquiry', 'fee', 'praise', 'other')",
            name="kind"),
        CheckConstraint(
            "status IN ('new', 'dispatched', 'in_progress', 'done', 'followed_up', 'closed')",
            name="status"),
        CheckConstraint(
            "channel IN ('phone', 'walk_in', 'letter', 'wechat', 'qq', 'web', 'staff_report')",
            name="channel"),
        CheckConstraint("urgency IN ('emergency', 'urgent', 'normal')", name="urgency"),
    )

    @property
    def follow_up(self) -> Optional["FollowUp"]:
        """The latest follow-up attempt, or None."""
        return self.follow_ups[-1] if self.follow_ups else None


class WorkOrderEvent(Base):
    """One status change: who moved the order, when, from what to what."""
    __tablename__ = "work_order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("console_users.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    from_status: Mapped[Optional[str]] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(500), default="")

    work_order: Mapped[WorkOrder] = relationship(back_populates="events")
    user: Mapped[User] = relationship()


class FollowUp(Base):
    """One follow-up call attempt (回访) owed after a repair or complaint is done.

    An unreachable attempt is followed by the next one (attempt + 1, offered_at the
    next half-day slot, workflow.followups); a reopened order gets a new round
    (attempt 1) when it is done again."""
    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # target: the 24 h standard of seed 000; due: the per-repair limit of seed 004.
    target_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    rule: Mapped[str] = mapped_column(String(40))
    result: Mapped[str] = mapped_column(String(16), default="pending")
    satisfaction: Mapped[Optional[int]] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(String(1000), default="")
    called_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    called_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("console_users.id"))
    attempt: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # When a retry is offered (None: at once, the first attempt of a round).
    offered_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    # A reached resident's answer to "is the problem solved?" (None: not asked).
    problem_solved: Mapped[Optional[bool]] = mapped_column(Boolean)

    work_order: Mapped[WorkOrder] = relationship(back_populates="follow_ups")

    __table_args__ = (
        CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5",
                        name="satisfaction"),
    )


class HandoverNote(Base):
    """A shift handover record (交接班): notes and the open items left for the next shift."""
    __tablename__ = "handover_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("console_users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    shift: Mapped[str] = mapped_column(String(16))
    notes: Mapped[str] = mapped_column(Text, default="")
    open_items: Mapped[str] = mapped_column(Text, default="")

    author: Mapped[User] = relationship()
    acknowledgements: Mapped[list["HandoverAcknowledgement"]] = relationship(
        back_populates="note", order_by="HandoverAcknowledgement.id")


class HandoverAcknowledgement(Base):
    __tablename__ = "handover_acknowledgements"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("handover_notes.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("console_users.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    note: Mapped[HandoverNote] = relationship(back_populates="acknowledgements")
    user: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("note_id", "user_id", name="note_user"),)


class AgentStateLog(Base):
    """Each state an agent asked for from the console, with the bridge's answer."""
    __tablename__ = "agent_state_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("console_users.id"), index=True)
    interface: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(String(40), default="")
    ok: Mapped[bool] = mapped_column(Boolean)
    message: Mapped[str] = mapped_column(String(255), default="")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccessAuditEntry(Base):
    """Who opened which household or recording (personal data), and when."""
    __tablename__ = "access_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("console_users.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(255))
    callid: Mapped[Optional[str]] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
