"""Tables of the households area: community → building → unit → room, households,
the people registered to them and their phone numbers (业主档案).

Natural keys (what imports match on, so a second import updates and never
duplicates): community.code; (community, building.number); (building, unit.number);
(unit, room.number); household.number; (household, person.role, person.name);
(person, phone.normalized).
"""
from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import (
    Date, Enum, ForeignKey, Index, Numeric, String, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow


class Occupancy(str, enum.Enum):
    OWNER_OCCUPIED = "owner_occupied"
    RENTED = "rented"
    VACANT = "vacant"
    ENTRUSTED = "entrusted"  # 托管: the office looks after a vacant home (70 % fee)


class RenovationStatus(str, enum.Enum):
    NOT_REGISTERED = "not_registered"  # keys taken, no renovation registered: half rate
    REGISTERED = "registered"          # 装修备案 done: full rate from that day
    COMPLETED = "completed"


class PersonRole(str, enum.Enum):
    OWNER = "owner"
    FAMILY = "family"
    TENANT = "tenant"
    AGENT = "agent"  # acts for the owner (委托人)


class PhoneKind(str, enum.Enum):
    MOBILE = "mobile"
    LANDLINE = "landline"
    SERVICE = "service"
    INTERNATIONAL = "international"
    INTERNAL = "internal"
    WITHHELD = "withheld"
    EMPTY = "empty"
    INVALID = "invalid"


def _enum(enum_class, name: str) -> Enum:
    # Store the values (lower-case words), not the member names; no native PG type
    # so a new member needs no ALTER TYPE.
    return Enum(enum_class, name=name, native_enum=False, length=20,
                values_callable=lambda members: [member.value for member in members])


class Community(Base):
    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))

    buildings: Mapped[list[Building]] = relationship(back_populates="community")


class Building(Base):
    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("community_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    number: Mapped[str] = mapped_column(String(20))

    community: Mapped[Community] = relationship(back_populates="buildings")
    units: Mapped[list[Unit]] = relationship(back_populates="building")


class Unit(Base):
    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("building_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"))
    number: Mapped[str] = mapped_column(String(20))

    building: Mapped[Building] = relationship(back_populates="units")
    rooms: Mapped[list[Room]] = relationship(back_populates="unit")


class Room(Base):
    __tablename__ = "rooms"
    __table_args__ = (
        UniqueConstraint("unit_id", "number"),
        # "3-2-1502" typed by an agent or keyed in the IVR finds the room in one probe.
        Index("ix_rooms_code", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    number: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(64))  # "building-unit-room", denormalised
    floor_area: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id"), index=True)

    unit: Mapped[Unit] = relationship(back_populates="rooms")
    household: Mapped[Household | None] = relationship(back_populates="rooms")


class Household(Base):
    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)  # 编号 on statements
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    occupancy: Mapped[Occupancy] = mapped_column(_enum(Occupancy, "occupancy"))
    renovation_status: Mapped[RenovationStatus] = mapped_column(
        _enum(RenovationStatus, "renovation_status"))
    renovation_registered_on: Mapped[dt.date | None] = mapped_column(Date)
    key_handover_on: Mapped[dt.date | None] = mapped_column(Date)  # fees start here
    move_in_on: Mapped[dt.date | None] = mapped_column(Date)
    last_called_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow,
                                                    onupdate=utcnow)

    rooms: Mapped[list[Room]] = relationship(back_populates="household",
                                             order_by="Room.code")
    people: Mapped[list[Person]] = relationship(back_populates="household",
                                                order_by="Person.id",
                                                cascade="all, delete-orphan")


class Person(Base):
    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("household_id", "role", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    role: Mapped[PersonRole] = mapped_column(_enum(PersonRole, "person_role"))
    name: Mapped[str] = mapped_column(String(100))
    # Stored in full for the office's records; every screen shows mask_identity_number().
    identity_number: Mapped[str | None] = mapped_column(String(40))

    household: Mapped[Household] = relationship(back_populates="people")
    phones: Mapped[list[Phone]] = relationship(back_populates="person",
                                               order_by="Phone.id",
                                               cascade="all, delete-orphan")


class Phone(Base):
    __tablename__ = "phones"
    __table_args__ = (
        UniqueConstraint("person_id", "normalized"),
        # The caller-number lookup: one index probe, covering the household id.
        Index("ix_phones_normalized_household", "normalized", "household_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    # Denormalised from the person so the lookup by number needs no join.
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    raw: Mapped[str] = mapped_column(String(64))
    normalized: Mapped[str] = mapped_column(String(32))
    kind: Mapped[PhoneKind] = mapped_column(_enum(PhoneKind, "phone_kind"))
    last_called_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship(back_populates="phones")
    household: Mapped[Household] = relationship()
