"""Data for the workflow tests (issue 15 items 2, 3, 5, 7): console users and a
household with a key handover date, written to the test's database."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional

from sqlalchemy.orm import Session

from models.console import User
from models.households import (
    Building, Community, Household, Occupancy, RenovationStatus, Room, Unit,
)


def add_user(session: Session, username: str, role: str) -> User:
    user = User(username=username, password_hash="x", role=role)
    session.add(user)
    session.commit()
    return user


def add_household(session: Session, number: str, handover_on: Optional[dt.date]) -> Household:
    community = Community(code=f"C{number}", name="翠湖花园")
    session.add(community)
    session.flush()
    unit = Unit(number="2", building=Building(number="3", community=community))
    household = Household(number=number, community_id=community.id,
                          occupancy=Occupancy.OWNER_OCCUPIED,
                          renovation_status=RenovationStatus.COMPLETED,
                          key_handover_on=handover_on)
    session.add(Room(unit=unit, number="1201", code="3-2-1201", floor_area=Decimal("98.50"),
                     household=household))
    session.commit()
    return household
