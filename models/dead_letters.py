"""Rows the database refused for good, set aside so that everything else is written.

The call writer stores a record here when the database rejects that one row
with a permanent error (a value too long, a CHECK or unique violation: a bug or
hostile input, not an outage). The record is kept exactly as the writer would
have written it (`payload`, JSON), with the database's error, so an operator
can fix the cause and replay it (`hotline dead-letters replay`). A replayed row
that went in gets `resolved_at`; one that fails again stays listed with its new
error.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class DeadLetter(Base):
    __tablename__ = "dead_letters"
    __table_args__ = (
        # `list` shows the unresolved rows, newest last.
        Index("ix_dead_letters_open", "resolved_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What kind of record it is ("call_record"), so a replay knows its writer.
    kind: Mapped[str] = mapped_column(String(32))
    # The record's own key (the queue callid), for finding it again.
    record_key: Mapped[str] = mapped_column(String(128), index=True)
    payload: Mapped[str] = mapped_column(Text)
    error_class: Mapped[str] = mapped_column(String(128))
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_tried_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
