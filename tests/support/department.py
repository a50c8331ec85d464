"""Department users and orders dispatched to them, for the department tests
(tests/unit/test_department_*.py, tests/browser/test_department_browser.py)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from models.console import User
from workflow.department_members import bind

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the default office_timezone


def office(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """2026-12-<day> <hour>:<minute> office time, as UTC."""
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI).astimezone(dt.timezone.utc)


def add_department_user(sessions, username: str, departments: tuple[str, ...], password: str,
                        language: str = "en", display_name: str = "") -> int:
    with sessions() as session:
        user = User(username=username, role="department", display_name=display_name or
                    username.title(), language=language,
                    password_hash=generate_password_hash(password))
        session.add(user)
        session.flush()
        bind(session, user, departments)
        session.commit()
        return user.id


def dispatched_order(sessions, creator: str, token: str, now: dt.datetime, *,
                     department: str = "engineering", kind: str = "repair",
                     category: str = "plumbing", urgency: str = "normal",
                     address: str = "3-1-502", description: str = "kitchen tap drips") -> int:
    """An order registered by `creator` and dispatched to `department` at `now`."""
    from workflow import orders as service

    with sessions() as session:
        user = session.scalar(select(User).where(User.username == creator))
        order, _ = service.create_order(session, user, service.OrderInput(
            kind=kind, category=category, description=description, address=address,
            contact_name="Wang", contact_phone="13800138000", call_at=now,
            complaint_tier="minor" if kind == "complaint" else None),
            token, now, office_zone=SHANGHAI)
        order.urgency = urgency
        session.commit()
        service.change_status(session, order, "dispatched", user, now, department=department)
        return order.id
