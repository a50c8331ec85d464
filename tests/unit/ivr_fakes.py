"""Scripted stand-ins for the IVR tests: an AGI channel and a data backend."""
from __future__ import annotations

import dataclasses
import datetime as dt

from asterisk.agi import AGIAppError, AGIResultHangup

from telephony.ivr.data import Balance, IvrDataError, RoomEntry, SessionRecord
from telephony.ivr.identity import HouseholdIdentity, Lockout

TIMEOUT = object()  # the caller keyed nothing before the GET DATA timeout
HANGUP = object()   # the caller hangs up during this GET DATA


class FakeAgi:
    """Answers GET DATA from `inputs` in order (then times out), and records all.

    `keys_during` maps a prompt name to the key the caller presses while it
    plays (barge-in); `hangup_on` names a prompt during which the caller hangs up.
    """

    def __init__(self, inputs=(), caller="13900001111", keys_during=None, hangup_on=None,
                 uniqueid="1700000000.1"):
        self.env = {"agi_network": "yes", "agi_network_script": "fee_balance",
                    "agi_uniqueid": uniqueid, "agi_channel": "Local/4001@from-trunk-0001;2",
                    "agi_callerid": caller, "agi_language": "zh"}
        self.inputs = list(inputs)
        self.keys_during = dict(keys_during or {})
        self.hangup_on = hangup_on
        self.commands: list[tuple] = []
        self.variables: dict[str, str] = {}
        self.missing_files = set()  # STREAM FILE answers result=-1 for these
        self.hung_up = False

    # what the flow calls
    def answer(self):
        self.commands.append(("ANSWER",))

    def get_variable(self, name):
        self.commands.append(("GET VARIABLE", name))
        return "1700000000.0" if name == "CHANNEL(linkedid)" else ""

    def set_variable(self, name, value):
        self.commands.append(("SET VARIABLE", name, value))
        self.variables[name.lstrip("_")] = value  # "__NAME" sets NAME, inherited

    def execute(self, command, *args):
        self.commands.append((command, *args))
        return {"result": ("0", "")}

    def stream_file(self, name, escape_digits=""):
        self.commands.append(("STREAM FILE", name, escape_digits))
        self._maybe_hang_up(name)
        if name in self.missing_files:
            raise AGIAppError("Error executing application, or hangup")
        key = self.keys_during.pop(name, "")
        return key if key and key in escape_digits else ""

    def say_number(self, number, escape_digits=""):
        self.commands.append(("SAY NUMBER", number, escape_digits))
        return ""

    def get_data_timed(self, prompt, timeout_ms, max_digits):
        self.commands.append(("GET DATA", prompt, timeout_ms, max_digits))
        assert "&" not in prompt, "Asterisk's GET DATA plays one file, not a list"
        self._maybe_hang_up(prompt)
        if not self.inputs:
            return "", True
        answer = self.inputs.pop(0)
        if answer is TIMEOUT:
            return "", True
        if answer is HANGUP:
            raise AGIResultHangup("User hungup during execution")
        return answer[:max_digits], False

    def _maybe_hang_up(self, name):
        if self.hangup_on == name:
            raise AGIResultHangup("User hungup during execution")

    # what the tests read
    def played(self) -> list[str]:
        names = []
        for command in self.commands:
            if command[0] == "STREAM FILE":
                names.append(command[1])
            elif command[0] == "GET DATA":
                names.append(command[1])
        return names

    def numbers_said(self) -> list[int]:
        return [command[1] for command in self.commands if command[0] == "SAY NUMBER"]


@dataclasses.dataclass
class FakeBackend:
    by_caller: dict = dataclasses.field(default_factory=dict)
    by_room: dict = dataclasses.field(default_factory=dict)
    balances: dict = dataclasses.field(default_factory=dict)
    failing: set = dataclasses.field(default_factory=set)
    crashing: set = dataclasses.field(default_factory=set)
    sessions: dict = dataclasses.field(default_factory=dict)
    callbacks: list = dataclasses.field(default_factory=list)
    identified: list = dataclasses.field(default_factory=list)
    identities: dict = dataclasses.field(default_factory=dict)
    max_failures: int = 3
    failures: dict = dataclasses.field(default_factory=dict)
    locked: dict = dataclasses.field(default_factory=dict)

    def _check(self, name):
        if name in self.failing:
            raise IvrDataError(f"{name}: database is down")
        if name in self.crashing:
            raise RuntimeError(f"{name}: a bug")

    def open_session(self, record: SessionRecord) -> int:
        self._check("open_session")
        session_id = len(self.sessions) + 1
        self.sessions[session_id] = None
        return session_id

    def household_for_caller(self, caller_number):
        self._check("household_for_caller")
        return self.by_caller.get(caller_number)

    def household_for_room(self, entry: RoomEntry):
        self._check("household_for_room")
        return self.by_room.get((entry.building, entry.unit, entry.room))

    def identity(self, household_id) -> HouseholdIdentity:
        self._check("identity")
        return self.identities[household_id]

    def lockout(self, household_id):
        self._check("lockout")
        return self.locked.get(household_id)

    def record_failure(self, household_id):
        """The database throttle's rule, kept in memory (test_ivr_data tests the real one)."""
        self._check("record_failure")
        self.failures[household_id] = self.failures.get(household_id, 0) + 1
        if self.failures[household_id] >= self.max_failures:
            now = dt.datetime.now(dt.timezone.utc)
            self.locked[household_id] = Lockout(household_id, self.failures[household_id], now,
                                                now + dt.timedelta(minutes=15))
        return self.locked.get(household_id)

    def record_success(self, household_id):
        self._check("record_success")
        self.failures[household_id] = 0

    def balance(self, household_id) -> Balance:
        self._check("balance")
        return self.balances[household_id]

    def note_identified(self, caller_number, household_id):
        self._check("note_identified")
        self.identified.append((caller_number, household_id))

    def request_callback(self, session_id, record):
        self._check("request_callback")
        self.callbacks.append((session_id, record.household_id, record.caller_number))
        return len(self.callbacks)

    def close_session(self, session_id, record):
        self._check("close_session")
        self.sessions[session_id] = dataclasses.replace(record, steps=list(record.steps))


def demo_backend() -> FakeBackend:
    """Household 7 at 3-2-1502 (owner's phone ends 5678), known caller 13900007777 → 9
    (owner's phone ends 7777)."""
    return FakeBackend(
        by_caller={"13900007777": 9},
        by_room={("3", "2", "1502"): 7},
        identities={7: HouseholdIdentity(7, frozenset({"5678"})),
                    9: HouseholdIdentity(9, frozenset({"7777"}))},
        balances={7: Balance(total_due_fen=123405, months_in_arrears=3, late_fee_fen=1250),
                  9: Balance(total_due_fen=0, months_in_arrears=0, late_fee_fen=0)},
    )
