"""Which departments a user works for, and who works for a department.

`install()` registers the department resolver with the notifications service,
so a notification for a department (an emergency, an important complaint) reaches
its users, and delivers what was stored before a resolver existed.
"""
from __future__ import annotations

import logging
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from models.console import DEPARTMENTS, User
from models.departments import UserDepartment
from notifications import service as notifications
from workflow.errors import WorkflowError

log = logging.getLogger(__name__)


class BadDepartments(WorkflowError):
    """A user's departments do not fit their role, or name no known department."""


def departments_of(session: Session, user: User) -> tuple[str, ...]:
    """The user's departments, in the order of DEPARTMENTS (none for other roles)."""
    if user.role != "department":
        return ()
    bound = set(session.scalars(select(UserDepartment.department)
                                .where(UserDepartment.user_id == user.id)))
    return tuple(name for name in DEPARTMENTS if name in bound)


def members(session: Session, departments: tuple[str, ...]) -> list[int]:
    """Ids of the active department users of any of `departments`."""
    if not departments:
        return []
    return list(session.scalars(
        select(User.id).join(UserDepartment, UserDepartment.user_id == User.id)
        .where(UserDepartment.department.in_(departments), User.role == "department",
               User.active.is_(True)).distinct()))


def check_binding(role: str, departments: Iterable[str]) -> tuple[str, ...]:
    """The departments a user of `role` is bound to, checked: a department user needs
    at least one, other roles none."""
    wanted = tuple(dict.fromkeys(departments))
    unknown = [name for name in wanted if name not in DEPARTMENTS]
    if unknown:
        raise BadDepartments(f"unknown department {', '.join(unknown)} "
                             f"(one of {', '.join(DEPARTMENTS)})")
    if role == "department" and not wanted:
        raise BadDepartments("a department user needs at least one --department")
    if role != "department" and wanted:
        raise BadDepartments(f"only a department user is bound to departments, not a {role}")
    return wanted


def bind(session: Session, user: User, departments: Iterable[str]) -> tuple[str, ...]:
    """Replace the user's departments (checked against their role); the caller commits."""
    wanted = check_binding(user.role, departments)
    for row in session.scalars(select(UserDepartment).where(UserDepartment.user_id == user.id)):
        session.delete(row)
    session.flush()
    for name in wanted:
        session.add(UserDepartment(user_id=user.id, department=name))
    return wanted


def install(session_factory=None) -> None:
    """Register the resolver; with a session factory, also deliver what waited for it."""
    notifications.use_department_members(members)
    if session_factory is None:
        return
    try:
        with session_factory() as session:
            delivered = notifications.deliver_pending_departments(session)
            session.commit()
    except SQLAlchemyError as error:
        # Kept, not lost: the next start (or sweep) delivers them. A console must
        # start even while its database is briefly unreachable.
        log.warning("notifications waiting for departments not delivered now: %s", error)
        return
    if delivered:
        log.info("delivered %d notifications stored before departments had users", delivered)
