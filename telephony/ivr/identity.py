"""Who may hear a household's balance: the IVR's identity check and its throttle.

The balance is spoken only after the caller proves the household: the last four
digits of the owner's registered phone, or the household's PIN when one is set
(`hotline ivr set-pin`). The caller ID alone proves it only when
HOTLINE_IVR_TRUST_CALLER_ID says so. Failed checks are counted per household in
the database, across calls and bridge restarts: after ivr_verify_max_failures
the household is locked out of the IVR for ivr_lockout_s (the caller goes to an
agent), and the supervisor's page lists it. A quiet period as long as the
lock-out forgets earlier failures; a success clears them.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import logging
import secrets
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.ivr import IvrHouseholdPin, IvrIdentityThrottle
from telephony.errors import TelephonyError

log = logging.getLogger(__name__)

PIN_MIN_DIGITS, PIN_MAX_DIGITS = 4, 8
SUFFIX_DIGITS = 4
_PBKDF2_ITERATIONS = 100_000


class PinError(TelephonyError, ValueError):
    """A PIN that is not 4 to 8 digits, or a household that does not exist."""


@dataclasses.dataclass(frozen=True)
class IdentityPolicy:
    trust_caller_id: bool = False
    max_failures: int = 3
    lockout_s: int = 900

    @classmethod
    def from_settings(cls, settings) -> "IdentityPolicy":
        return cls(settings.ivr_trust_caller_id, settings.ivr_verify_max_failures,
                   settings.ivr_lockout_s)


@dataclasses.dataclass(frozen=True)
class HouseholdIdentity:
    """What proves a household: its PIN if set, else its owners' phone suffixes."""

    household_id: int
    owner_phone_suffixes: frozenset[str]
    pin_hash: Optional[str] = None

    @property
    def provable(self) -> bool:
        return bool(self.pin_hash or self.owner_phone_suffixes)

    def matches(self, digits: str) -> bool:
        if self.pin_hash:
            return pin_matches(digits, self.pin_hash)
        return len(digits) == SUFFIX_DIGITS and digits in self.owner_phone_suffixes


@dataclasses.dataclass(frozen=True)
class Lockout:
    household_id: int
    failures: int
    locked_at: dt.datetime
    locked_until: dt.datetime


@dataclasses.dataclass(frozen=True)
class LockedHousehold:
    """One line of the supervisor's list."""

    lockout: Lockout
    household_number: str
    rooms: tuple[str, ...]


# --- PINs ------------------------------------------------------------------------

def hash_pin(pin: str) -> str:
    check_pin_format(pin)
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, _PBKDF2_ITERATIONS)
    return f"pbkdf2_sha256${_PBKDF2_ITERATIONS}${salt.hex()}${digest.hex()}"


def pin_matches(digits: str, pin_hash: str) -> bool:
    try:
        scheme, iterations, salt, digest = pin_hash.split("$")
        if scheme != "pbkdf2_sha256":
            return False
        tried = hashlib.pbkdf2_hmac("sha256", digits.encode(), bytes.fromhex(salt),
                                    int(iterations))
    except ValueError:
        log.error("an IVR PIN hash is unreadable; the check fails")
        return False
    return hmac.compare_digest(tried.hex(), digest)


def check_pin_format(pin: str) -> None:
    if not (pin.isascii() and pin.isdigit() and PIN_MIN_DIGITS <= len(pin) <= PIN_MAX_DIGITS):
        raise PinError(f"a PIN is {PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits")


def set_pin(session: Session, household_id: int, pin: Optional[str]) -> None:
    """Set (or, with None, remove) a household's PIN."""
    from models.households import Household

    if session.get(Household, household_id) is None:
        raise PinError(f"no household {household_id}")
    row = session.get(IvrHouseholdPin, household_id)
    if pin is None:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        row = IvrHouseholdPin(household_id=household_id)
        session.add(row)
    row.pin_hash, row.set_at = hash_pin(pin), utcnow()


def household_identity(session: Session, household_id: int) -> HouseholdIdentity:
    from households.lookup import phone_suffixes

    pin = session.get(IvrHouseholdPin, household_id)
    return HouseholdIdentity(household_id,
                             frozenset(phone_suffixes(session, household_id, digits=SUFFIX_DIGITS)),
                             pin.pin_hash if pin else None)


# --- the throttle ----------------------------------------------------------------

def current_lockout(session: Session, household_id: int,
                    now: Optional[dt.datetime] = None) -> Optional[Lockout]:
    row = session.get(IvrIdentityThrottle, household_id)
    return _lockout(row, now or utcnow())


def record_failure(session: Session, household_id: int, policy: IdentityPolicy,
                   now: Optional[dt.datetime] = None) -> Optional[Lockout]:
    """Count a failed check; the lock-out if the household is (now) locked."""
    now = now or utcnow()
    row = _locked_row(session, household_id)
    if _lockout(row, now) is not None:
        return _lockout(row, now)
    quiet = dt.timedelta(seconds=policy.lockout_s)
    if row.locked_until is not None or (row.last_failure_at and now - row.last_failure_at > quiet):
        row.failures, row.locked_at, row.locked_until = 0, None, None  # start afresh
    row.failures += 1
    row.last_failure_at = now
    if row.failures >= policy.max_failures:
        row.locked_at, row.locked_until = now, now + quiet
        log.warning("IVR: household %s locked out until %s after %d failed checks",
                    household_id, row.locked_until.isoformat(), row.failures)
    return _lockout(row, now)


def record_success(session: Session, household_id: int) -> None:
    row = session.get(IvrIdentityThrottle, household_id)
    if row is not None and row.locked_until is None:
        row.failures, row.last_failure_at = 0, None


def locked_households(session: Session, now: Optional[dt.datetime] = None
                      ) -> list[LockedHousehold]:
    """Households locked out of the IVR now, the latest first."""
    from models.households import Household, Room

    now = now or utcnow()
    rows = session.scalars(select(IvrIdentityThrottle)
                           .where(IvrIdentityThrottle.locked_until > now)
                           .order_by(IvrIdentityThrottle.locked_at.desc())).all()
    found = []
    for row in rows:
        household = session.get(Household, row.household_id)
        rooms = session.scalars(select(Room.code).where(Room.household_id == row.household_id)
                                .order_by(Room.code)).all()
        found.append(LockedHousehold(_lockout(row, now), household.number if household else "",
                                     tuple(rooms)))
    return found


def _lockout(row: Optional[IvrIdentityThrottle], now: dt.datetime) -> Optional[Lockout]:
    if row is None or row.locked_until is None or row.locked_until <= now:
        return None
    return Lockout(row.household_id, row.failures, row.locked_at, row.locked_until)


def _locked_row(session: Session, household_id: int) -> IvrIdentityThrottle:
    """The household's row, created if need be, locked for this transaction.

    The insert comes first: on SQLite it takes the write lock at once (a read
    first could not be upgraded when two calls fail together); on PostgreSQL
    ON CONFLICT makes two first failures at once one row, and FOR UPDATE
    makes them count one after the other.
    """
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(IvrIdentityThrottle)
                    .values(household_id=household_id, failures=0)
                    .on_conflict_do_nothing())
    return session.scalars(select(IvrIdentityThrottle)
                           .where(IvrIdentityThrottle.household_id == household_id)
                           .with_for_update().execution_options(populate_existing=True)).one()
