"""QA scores of recorded calls (the seeds' monitoring score) and recordings' paths.

The seed (004) scores on a 100-point scale and wants each agent monitored four to
five times a month; the criteria below add up to 100.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from call_queue.errors import QaError, RecordingError
from models.calls import Call
from models.supervision import AuditLog, QaScore

# (key, label, maximum points)
CRITERIA = (
    ("greeting", "Greeting and self-introduction", 10),
    ("identity", "Verified the caller's identity before acting", 15),
    ("listening", "Listened and understood the request", 20),
    ("resolution", "Correct answer or action (work order, dispatch)", 25),
    ("courtesy", "Courtesy and tone", 15),
    ("record", "Complete, accurate record", 10),
    ("closing", "Closing (summary, next steps, thanks)", 5),
)
MAX_TOTAL = sum(points for _key, _label, points in CRITERIA)


def parse_criteria(form) -> dict[str, int]:
    """Each criterion's points from a form; QaError names the first bad one."""
    scores = {}
    for key, label, maximum in CRITERIA:
        raw = (form.get(key) or "").strip()
        if not raw.isdigit() or not 0 <= int(raw) <= maximum:
            raise QaError(f"{label}: give 0 to {maximum} points, not {raw!r}")
        scores[key] = int(raw)
    return scores


def save_score(session: Session, callid: str, scores: dict[str, int],
               scorer_user_id: Optional[int], comment: str = "") -> QaScore:
    call = session.scalar(select(Call).where(Call.callid == callid))
    if call is None or not call.agent_interface:
        raise QaError(f"call {callid} was not answered by an agent: nothing to score")
    score = QaScore(callid=callid, agent_interface=call.agent_interface,
                    scorer_user_id=scorer_user_id, criteria=scores, total=sum(scores.values()),
                    comment=comment.strip()[:2000])
    session.add(score)
    return score


def month_start(now: dt.datetime, zone: str = "UTC") -> dt.datetime:
    """Midnight of the first of `now`'s month in the office's zone, as UTC."""
    local = now.astimezone(ZoneInfo(zone))
    first = dt.datetime(local.year, local.month, 1, tzinfo=ZoneInfo(zone))
    return first.astimezone(dt.timezone.utc)


def scored_this_month(session: Session, now: dt.datetime, zone: str = "UTC") -> dict[str, int]:
    """Calls scored per agent interface since the first of `now`'s month (office's)."""
    rows = session.execute(
        select(QaScore.agent_interface, func.count())
        .where(QaScore.scored_at >= month_start(now, zone))
        .group_by(QaScore.agent_interface))
    return {interface: count for interface, count in rows}


def recording_file(call: Call, recordings_dir: Path) -> Path:
    """The recording's file, refused when its stored path leaves the recordings folder."""
    if not call.recording_path:
        raise RecordingError(f"call {call.callid} has no recording")
    root = Path(recordings_dir).resolve()
    path = (root / call.recording_path).resolve()  # an absolute stored path stays absolute
    if Path(call.recording_path).is_absolute() and not path.is_relative_to(root):
        # Asterisk's own view of the path (inside its chroot or on its host): same name here.
        path = (root / Path(call.recording_path).name).resolve()
    if not path.is_relative_to(root):
        raise RecordingError(f"recording of {call.callid} is outside the recordings folder")
    if not path.is_file():
        raise RecordingError(f"recording of {call.callid} is missing on disk")
    return path


def audit(session: Session, user, action: str, target: str, detail: str = "") -> None:
    session.add(AuditLog(user_id=getattr(user, "id", None),
                         username=getattr(user, "username", ""), action=action,
                         target=target, detail=detail))
