"""Raise, read and acknowledge notifications.

`notify` resolves the audience to users at once and writes one delivery row
per recipient, so a recipient who is logged out loses nothing. It does not
commit: the caller's transaction decides. Users whose notifications changed
are noted on the session (`PENDING_KEY`); notifications.push sends them a
signal after the commit, never before (a rolled-back notification is never
announced).

Departments: users are bound to departments elsewhere (a department role and
a user-department table, issue 15 item 1). That binding reaches this module
through a resolver registered with `use_department_members`; until one is, a
departments audience is stored with departments_resolved=False and delivered
by `deliver_pending_departments` once a resolver exists (nothing is dropped).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from typing import Callable, Iterable, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.console import User
from models.notifications import Notification, NotificationDelivery
from notifications.errors import BadParams, NotYours, NotificationError, UnknownKind
from notifications.kinds import KINDS, placeholders

log = logging.getLogger(__name__)

# session.info key: ids of users whose unread list changed in this transaction.
PENDING_KEY = "hotline_notification_users"
MAX_PARAMS_CHARS = 4000
MAX_LINK_CHARS = 255

DepartmentMembers = Callable[[Session, tuple[str, ...]], Iterable[int]]
_department_members: list[DepartmentMembers] = []


@dataclasses.dataclass(frozen=True)
class Audience:
    roles: tuple[str, ...] = ()
    user_ids: tuple[int, ...] = ()
    departments: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class UnreadNotification:
    id: int
    kind: str
    params: dict
    link: Optional[str]
    created_at: dt.datetime


def use_department_members(resolver: Optional[DepartmentMembers]) -> None:
    """Register how department names become user ids (None: forget the resolver)."""
    _department_members.clear()
    if resolver is not None:
        _department_members.append(resolver)


def notify(session: Session, *, kind: str, audience: Audience, params: dict,
           link: Optional[str], now: dt.datetime) -> Notification:
    """Store a notification and a delivery for each user of the audience."""
    params_text = _checked_params(kind, params)
    if link is not None and (len(link) > MAX_LINK_CHARS or not link.startswith("/")):
        raise BadParams(f"a notification link is a path inside the console of at most "
                        f"{MAX_LINK_CHARS} characters, not {link[:40]!r}")
    if now.tzinfo is None:
        raise NotificationError("notify() needs an aware datetime for now")
    resolver = _department_members[0] if _department_members else None
    notification = Notification(
        kind=kind, params=params_text, link=link, created_at=now,
        audience_roles=",".join(audience.roles),
        audience_departments=",".join(audience.departments),
        departments_resolved=not audience.departments or resolver is not None)
    session.add(notification)
    recipients = _users_of_roles(session, audience.roles) | _known_users(session, audience.user_ids)
    if audience.departments:
        if resolver is None:
            log.warning("notification %s for departments %s kept until a department resolver "
                        "is registered", kind, ",".join(audience.departments))
        else:
            recipients |= _active(session, resolver(session, audience.departments))
    _deliver(session, notification, recipients)
    if not recipients and notification.departments_resolved:
        log.warning("notification %s reached nobody (audience %s)", kind, audience)
    return notification


def deliver_pending_departments(session: Session) -> int:
    """Deliver notifications stored before a department resolver existed; returns how many."""
    if not _department_members:
        return 0
    resolver = _department_members[0]
    pending = session.scalars(select(Notification).where(
        Notification.departments_resolved.is_(False))).all()
    for notification in pending:
        departments = tuple(filter(None, notification.audience_departments.split(",")))
        already = {delivery.user_id for delivery in notification.deliveries}
        _deliver(session, notification,
                 _active(session, resolver(session, departments)) - already)
        notification.departments_resolved = True
    return len(pending)


def unread_for(session: Session, user, limit: int = 50) -> list[UnreadNotification]:
    """The user's unacknowledged notifications, newest first."""
    rows = session.execute(
        select(Notification).join(NotificationDelivery)
        .where(NotificationDelivery.user_id == user.id,
               NotificationDelivery.acknowledged_at.is_(None))
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)).scalars()
    return [UnreadNotification(n.id, n.kind, json.loads(n.params), n.link, n.created_at)
            for n in rows]


def unread_count(session: Session, user) -> int:
    return session.scalar(select(func.count(NotificationDelivery.id)).where(
        NotificationDelivery.user_id == user.id,
        NotificationDelivery.acknowledged_at.is_(None))) or 0


def acknowledge(session: Session, user, notification_id: int, *, now: dt.datetime) -> bool:
    """Mark the user's own delivery read; False if it already was. Another user's: NotYours."""
    delivery = session.scalar(select(NotificationDelivery).where(
        NotificationDelivery.notification_id == notification_id,
        NotificationDelivery.user_id == user.id))
    if delivery is None:
        raise NotYours(notification_id)
    if delivery.acknowledged_at is not None:
        return False
    delivery.acknowledged_at = now
    session.info.setdefault(PENDING_KEY, set()).add(user.id)
    return True


def _checked_params(kind: str, params: dict) -> str:
    if kind not in KINDS:
        raise UnknownKind(kind)
    missing = placeholders(kind) - set(params)
    if missing:
        raise BadParams(f"notification {kind} needs params {', '.join(sorted(missing))}")
    try:
        text = json.dumps(params, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError) as error:
        raise BadParams(f"notification {kind} params are not JSON: {error}") from error
    if len(text) > MAX_PARAMS_CHARS:
        raise BadParams(f"notification {kind} params exceed {MAX_PARAMS_CHARS} characters")
    return text


def _users_of_roles(session: Session, roles: tuple[str, ...]) -> set[int]:
    if not roles:
        return set()
    return set(session.scalars(select(User.id).where(User.role.in_(roles),
                                                     User.active.is_(True))))


def _known_users(session: Session, user_ids: tuple[int, ...]) -> set[int]:
    if not user_ids:
        return set()
    found = _active(session, user_ids)
    unknown = set(user_ids) - set(session.scalars(select(User.id).where(User.id.in_(user_ids))))
    if unknown:
        raise NotificationError(f"no console user with id {', '.join(map(str, sorted(unknown)))}")
    return found


def _active(session: Session, user_ids: Iterable[int]) -> set[int]:
    wanted = set(user_ids)
    if not wanted:
        return set()
    return set(session.scalars(select(User.id).where(User.id.in_(wanted), User.active.is_(True))))


def _deliver(session: Session, notification: Notification, user_ids: set[int]) -> None:
    for user_id in sorted(user_ids):
        notification.deliveries.append(NotificationDelivery(user_id=user_id))
    if user_ids:
        session.info.setdefault(PENDING_KEY, set()).update(user_ids)
