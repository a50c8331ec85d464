"""The complaint register (客户投诉登记表), enquiry call-backs and deadline flags.

Seed 004 lists what the register holds: when and where it happened, who and which
department was complained about, what happened (the order's description), what the
resident wants, the result, and when the resident was told (the same day the result
is known). A complaint row is 1:1 with its work order; the order keeps the tier and
the deadlines, this row the register's fields and the escalation's own state, which
no dispatch touches.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow
from models.console import User, WorkOrder

# Who a complaint can be about: the departments and the centre itself.
RESPONDENT_DEPARTMENTS = ("engineering", "security", "cleaning_greening", "finance",
                          "service_centre", "other")
TOLD_BY = ("phone", "visit", "message")
# escalation: none (minor), pending (notice not sent yet), notified, acknowledged.
ESCALATION_STATES = ("none", "pending", "notified", "acknowledged")
DEADLINE_NAMES = ("accept", "dispatch", "escalate", "answer", "resolve", "tell_resident",
                  "reply")
FLAG_KINDS = ("due", "missed")


class Complaint(Base):
    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), unique=True)
    occurred_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    location: Mapped[str] = mapped_column(String(200), default="")
    respondent_person: Mapped[str] = mapped_column(String(80), default="")
    respondent_department: Mapped[Optional[str]] = mapped_column(String(32))
    resident_request: Mapped[str] = mapped_column(String(500), default="")
    # 无效投诉 (004): registered and served, but not counted as an effective complaint.
    effective: Mapped[bool] = mapped_column(Boolean, default=True)
    escalation: Mapped[str] = mapped_column(String(16), default="none")
    escalated_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("console_users.id"))
    answered_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    result: Mapped[str] = mapped_column(String(1000), default="")
    result_known_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    resident_told_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    resident_told_by: Mapped[Optional[str]] = mapped_column(String(16))
    told_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("console_users.id"))

    work_order: Mapped[WorkOrder] = relationship()
    acknowledged_by: Mapped[Optional[User]] = relationship(foreign_keys=[acknowledged_by_id])
    told_by_user: Mapped[Optional[User]] = relationship(foreign_keys=[told_by_id])

    __table_args__ = (
        CheckConstraint("escalation IN ('none', 'pending', 'notified', 'acknowledged')",
                        name="escalation"),
        CheckConstraint("resident_told_by IS NULL OR resident_told_by IN "
                        "('phone', 'visit', 'message')", name="told_by"),
    )


class EnquiryCallback(Base):
    """An enquiry the agent could not answer at once: the reply time agreed with the
    resident (004: ask the specialist, then call back at the agreed time)."""
    __tablename__ = "enquiry_callbacks"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), unique=True)
    reply_due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    assigned_to_id: Mapped[Optional[int]] = mapped_column(ForeignKey("console_users.id"))
    replied_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    replied_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("console_users.id"))
    answer: Mapped[str] = mapped_column(String(1000), default="")

    work_order: Mapped[WorkOrder] = relationship()


class DeadlineFlag(Base):
    """A deadline raised once as due (falls today) and once as missed, by the sweeper."""
    __tablename__ = "deadline_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    deadline: Mapped[str] = mapped_column(String(16))
    flag: Mapped[str] = mapped_column(String(8))
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    raised_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    work_order: Mapped[WorkOrder] = relationship()

    __table_args__ = (
        UniqueConstraint("work_order_id", "deadline", "flag", name="order_deadline_flag"),
        CheckConstraint("flag IN ('due', 'missed')", name="flag"),
    )
