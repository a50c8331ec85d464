"""What an agent's softphone measured of a call's audio (issue 17.3): the page's
getStats() samples summed up once when the call ends, one row per call and user.

The row is the agent's own report: the call list shows it only beside a call the
same agent's phone took (a report about someone else's call is stored but never
shown), so a forged report cannot dress up another agent's call.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class CallQuality(Base):
    __tablename__ = "call_quality"
    __table_args__ = (UniqueConstraint("callid", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    callid: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("console_users.id"), index=True)
    # The phone the report came from (PJSIP/webrtc-80NN), matched to the call's agent.
    interface: Mapped[str] = mapped_column(String(128))
    samples: Mapped[int] = mapped_column(Integer)
    packets_received: Mapped[int] = mapped_column(Integer)
    packets_lost: Mapped[int] = mapped_column(Integer)
    packets_sent: Mapped[int] = mapped_column(Integer)
    codec: Mapped[str] = mapped_column(String(40), default="")
    jitter_ms_mean: Mapped[Optional[float]] = mapped_column(Float)
    jitter_ms_max: Mapped[Optional[float]] = mapped_column(Float)
    rtt_ms_mean: Mapped[Optional[float]] = mapped_column(Float)
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def loss_percent(self) -> float:
        total = self.packets_received + self.packets_lost
        return 100.0 * self.packets_lost / total if total else 0.0
