"""Notifications shown inside the console (issue 15, item 9).

A notification is written once; its audience is resolved to users when it is
raised and each recipient gets a delivery row. A recipient logged out at that
moment finds the row unacknowledged at the next log-in: nothing depends on a
socket being open.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    # The message's placeholders, as JSON text (the text itself is rendered per reader's language).
    params: Mapped[str] = mapped_column(Text, default="{}")
    link: Mapped[Optional[str]] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    # The audience as asked for, kept for the record and for late department resolution.
    audience_roles: Mapped[str] = mapped_column(String(200), default="")
    audience_departments: Mapped[str] = mapped_column(String(200), default="")
    # False while a departments audience waits for a department resolver.
    departments_resolved: Mapped[bool] = mapped_column(Boolean, default=True)

    deliveries: Mapped[list["NotificationDelivery"]] = relationship(
        back_populates="notification", order_by="NotificationDelivery.id")


class NotificationDelivery(Base):
    """One recipient of one notification; acknowledged_at is set by that recipient only."""
    __tablename__ = "notification_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("console_users.id"))
    acknowledged_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    notification: Mapped[Notification] = relationship(back_populates="deliveries")

    __table_args__ = (
        UniqueConstraint("notification_id", "user_id", name="notification_user"),
        Index("ix_notification_deliveries_user_unread", "user_id", "acknowledged_at"),
    )
