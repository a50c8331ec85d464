"""Departments' side of work orders (issue 15 item 1): which departments a
department user works for, and one work contact sheet (工作联系单) per dispatch of an
order to a department, with what the department did with it.

A sheet is keyed by the order and the dispatch time it answers: an order sent back
by a department and dispatched again gets a new sheet, the old one keeps the reason.
The order's own status moves with it (workflow.department_flow), each step a
WorkOrderEvent with who and when.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import (
    Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow
from models.console import DEPARTMENTS, User, WorkOrder

TASK_STATES = ("open", "accepted", "completed", "rejected")
_DEPARTMENT_LIST = ", ".join(f"'{name}'" for name in DEPARTMENTS)


class UserDepartment(Base):
    """A department user works for this department (one row per department)."""
    __tablename__ = "user_departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("console_users.id"), index=True)
    department: Mapped[str] = mapped_column(String(32))

    user: Mapped[User] = relationship()

    __table_args__ = (
        UniqueConstraint("user_id", "department", name="user_department"),
        CheckConstraint(f"department IN ({_DEPARTMENT_LIST})", name="department"),
    )


class DepartmentTask(Base):
    """One dispatch of an order to a department and what the department did with it."""
    __tablename__ = "department_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    department: Mapped[str] = mapped_column(String(32))
    dispatched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # The department accepts by this time (workflow.department_rules), or the centre is told.
    accept_due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("console_users.id"))
    # The time the department promises to have come and done the work by.
    promised_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    completed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("console_users.id"))
    work_minutes: Mapped[Optional[int]] = mapped_column(Integer)
    materials: Mapped[str] = mapped_column(String(500), default="")
    # Repairs only: the department's word on paid or free (None for other kinds).
    paid: Mapped[Optional[bool]] = mapped_column(Boolean)
    rejected_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    rejected_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("console_users.id"))
    reject_reason: Mapped[str] = mapped_column(String(500), default="")
    # When the centre was told the department was late (once per deadline).
    late_accept_notified_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    late_promise_notified_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    work_order: Mapped[WorkOrder] = relationship()
    accepted_by: Mapped[Optional[User]] = relationship(foreign_keys=[accepted_by_id])
    completed_by: Mapped[Optional[User]] = relationship(foreign_keys=[completed_by_id])
    rejected_by: Mapped[Optional[User]] = relationship(foreign_keys=[rejected_by_id])

    __table_args__ = (
        UniqueConstraint("work_order_id", "dispatched_at", name="order_dispatch"),
        CheckConstraint(f"department IN ({_DEPARTMENT_LIST})", name="department"),
        CheckConstraint("state IN ('open', 'accepted', 'completed', 'rejected')", name="state"),
        CheckConstraint("work_minutes IS NULL OR work_minutes > 0", name="work_minutes"),
    )
