"""The fee-balance IVR (FastAGI script `fee_balance`), in Mandarin.

Greeting; a caller whose number belongs to exactly one household is offered that
household's balance; anyone else keys building*unit*room (3*2*1502#). Either way
the caller then proves the household (the last 4 digits of the owner's
registered phone, or its PIN; telephony/ivr/identity.py: throttled per household
across calls, and skipped for a matched caller ID only when
HOTLINE_IVR_TRUST_CALLER_ID says so). The IVR then says the total due
(yuan, jiao, fen), the months in arrears and the late fee, and offers: 1 hear it
again, 2 a call back from the cashier, 0 an agent. Three bad entries, an input
timeout or a database error go to an agent after a spoken apology.

The flow never transfers by itself: it sets channel variables and returns, and
the dialplan ([ivr-fee-balance] in extensions.conf.tmpl) goes on to the hotline
queue when HOTLINE_IVR_NEXT is "agent" (or unset: the script failed). The
variables HOTLINE_IVR_SESSION_ID and HOTLINE_HOUSEHOLD_ID tell the screen-pop
who it is and what they heard (the IvrSession row, found by the call's id).
"""
from __future__ import annotations

import logging
import time
from typing import Optional

from asterisk.agi import AGIAppError, AGIHangup, AGIResultHangup

from telephony.ivr.data import (
    Balance, DatabaseIvrBackend, IvrBackend, IvrDataError, SessionRecord, parse_room_entry,
)
from telephony.ivr.identity import PIN_MAX_DIGITS, SUFFIX_DIGITS, IdentityPolicy, Lockout
from telephony.ivr.words import P, balance_words, money_words  # noqa: F401 (the flow's words)

log = logging.getLogger(__name__)

MAX_BAD_ENTRIES = 3
MENU_KEYS = "012"
ROOM_MAX_DIGITS = 24


class _Transfer(Exception):
    """End the flow by sending the caller to an agent, after `apology`."""

    def __init__(self, reason: str, apology: str):
        super().__init__(reason)
        self.reason = reason
        self.apology = apology


class CallerLine:
    """The AGI channel as the flow uses it, noting every step the caller heard."""

    def __init__(self, agi, record: SessionRecord, input_timeout_ms: int, observer=None):
        self.agi = agi
        self.record = record
        self.input_timeout_ms = input_timeout_ms
        self.observer = observer
        self._started = time.monotonic()

    def note(self, kind: str, **details) -> None:
        step = {"t": round(time.monotonic() - self._started, 2), "kind": kind, **details}
        self.record.steps.append(step)
        log.debug("IVR %s: %s", self.record.callid, step)
        if self.observer is not None:
            self.observer(self.record, step)

    def play(self, prompt: str, escape: str = "") -> str:
        self.note("play", prompt=prompt)
        return self._tolerant(self.agi.stream_file, prompt, escape, failed="")

    def say_number(self, number: int, escape: str = "") -> str:
        self.note("say_number", value=int(number))
        return self._tolerant(self.agi.say_number, int(number), escape, failed="")

    def ask(self, prompt: str, max_digits: int, secret: bool = False) -> tuple[str, bool]:
        """Play the prompt (interruptible) and read digits: (digits, timed out).

        One file only: Asterisk 22's GET DATA takes no "a&b" list. A secret
        entry (PIN, phone digits) is noted as its length only: the steps are
        stored with the session and shown to agents.
        """
        self.note("play", prompt=prompt)
        digits, timed_out = self._tolerant(
            self.agi.get_data_timed, prompt, self.input_timeout_ms, max_digits,
            failed=("", True))
        self.note("input", digits="*" * len(digits) if secret else digits, timed_out=timed_out)
        return digits, timed_out

    def _tolerant(self, command, *args, failed):
        """Run an AGI command; if it failed (result=-1) on a live channel, go on.

        A missing sound file makes STREAM FILE answer -1 as a hangup does; a NOOP
        tells them apart (a dead channel's HANGUP line comes before its reply).
        """
        try:
            return command(*args)
        except AGIHangup:
            raise
        except AGIAppError as error:
            self.agi.execute("NOOP")
            if self.agi.hung_up:
                raise AGIResultHangup(str(error)) from error
            log.error("IVR %s: %s failed on a live channel (missing sound file?): %s",
                      self.record.callid, args[0], error)
            self.note("failed", command=str(args[0]))
            return failed

    def set_vars(self, **variables) -> None:
        for name, value in variables.items():
            self.agi.set_variable(name, "" if value is None else str(value))


class FeeBalanceFlow:
    def __init__(self, agi, backend: IvrBackend, input_timeout_ms: int = 8000, observer=None,
                 policy: IdentityPolicy = IdentityPolicy()):
        env = agi.env
        self.record = SessionRecord(
            callid=env.get("agi_uniqueid", ""), channel=env.get("agi_channel", ""),
            caller_number=_caller_number(env.get("agi_callerid", "")))
        self.line = CallerLine(agi, self.record, input_timeout_ms, observer)
        self.backend = backend
        self.policy = policy
        self.session_id: Optional[int] = None
        self.balance_heard = False

    # --- the session -------------------------------------------------------------
    def run(self) -> SessionRecord:
        agi = self.line.agi
        try:
            agi.answer()
            self.record.linkedid = agi.get_variable("CHANNEL(linkedid)") or ""
            self.line.set_vars(**{"CHANNEL(language)": "zh"})
            self._open()
            self._serve()
        except _Transfer as transfer:
            self._to_agent(transfer.reason, transfer.apology)
        except AGIHangup:
            self._hung_up()
        except Exception:  # noqa: BLE001 - the caller must reach an agent anyway
            log.exception("IVR %s failed", self.record.callid)
            self._finish("error", "script_error")
            self._try_apology_and_agent()
        self._store()
        log.info("IVR %s: %s (%s) household=%s heard %s", self.record.callid,
                 self.record.outcome, self.record.reason, self.record.household_id,
                 [s.get("prompt", s.get("value")) for s in self.record.steps
                  if s["kind"] in ("play", "say_number")])
        return self.record

    def _open(self) -> None:
        try:
            self.session_id = self.backend.open_session(self.record)
        except IvrDataError as error:
            log.warning("IVR %s: session not stored: %s", self.record.callid, error)
            raise _Transfer("database_error", P.SORRY_ERROR) from error
        # "__": inherited by the agent's channel when the queue rings it.
        self.line.set_vars(**{"__HOTLINE_IVR_SESSION_ID": self.session_id})

    def _serve(self) -> None:
        household_id = self._identify()
        self.record.household_id = household_id
        self.line.set_vars(**{"__HOTLINE_HOUSEHOLD_ID": household_id})
        self._data(self.backend.note_identified, self.record.caller_number, household_id)
        self.record.balance = self._data(self.backend.balance, household_id)
        self._menu()

    def _data(self, call, *args):
        try:
            return call(*args)
        except IvrDataError as error:
            log.warning("IVR %s: %s", self.record.callid, error)
            raise _Transfer("database_error", P.SORRY_ERROR) from error

    # --- who is calling ----------------------------------------------------------
    def _identify(self) -> int:
        household_id = self._data(self.backend.household_for_caller, self.record.caller_number)
        if household_id is not None:
            self.line.play(P.GREETING)
            choice, _ = self.line.ask(P.KNOWN_CALLER, 1)
            if choice != "2":  # 1 or nothing: the household the number belongs to
                self.record.identified_by = "caller_number"
                if self.policy.trust_caller_id:
                    self.line.note("verified", by="caller_id")
                else:
                    self._prove(household_id)
                return household_id
            return self._identify_by_keypad()
        self.line.play(P.GREETING)
        return self._identify_by_keypad()

    def _identify_by_keypad(self) -> int:
        while True:
            digits, timed_out = self.line.ask(P.ENTER_ROOM, ROOM_MAX_DIGITS)
            if not digits and timed_out:
                raise _Transfer("timeout", P.SORRY_TIMEOUT)
            entry = parse_room_entry(digits)
            found = self._data(self.backend.household_for_room, entry) if entry else None
            if found is None:
                self._bad_entry(P.BAD_ROOM if entry is None else P.ROOM_NOT_FOUND)
                continue
            self._prove(found)
            self.record.identified_by = "keypad"
            return found

    def _prove(self, household_id: int) -> None:
        """Return once the caller proved the household; else off to an agent."""
        self._refuse_if_locked(self._data(self.backend.lockout, household_id))
        identity = self._data(self.backend.identity, household_id)
        if not identity.provable:  # no PIN and no owner's phone on file
            self.line.note("verified", by="nothing_on_file", household_id=household_id)
            raise _Transfer("cannot_verify", P.CANNOT_VERIFY)
        prompt, max_digits = ((P.ENTER_PIN, PIN_MAX_DIGITS) if identity.pin_hash
                              else (P.ENTER_PHONE_SUFFIX, SUFFIX_DIGITS))
        while True:
            digits, timed_out = self.line.ask(prompt, max_digits, secret=True)
            if not digits and timed_out:
                raise _Transfer("timeout", P.SORRY_TIMEOUT)
            if identity.matches(digits):
                self._data(self.backend.record_success, household_id)
                self.line.note("verified", by="pin" if identity.pin_hash else "phone_suffix")
                return
            self._refuse_if_locked(self._data(self.backend.record_failure, household_id))
            self._bad_entry(P.VERIFY_FAILED)

    def _refuse_if_locked(self, lockout: Optional[Lockout]) -> None:
        if lockout is not None:
            self.line.note("locked_out", household_id=lockout.household_id,
                           until=lockout.locked_until.isoformat())
            raise _Transfer("identity_locked", P.IDENTITY_LOCKED)

    def _bad_entry(self, prompt: str) -> None:
        self.record.bad_entries += 1
        if self.record.bad_entries >= MAX_BAD_ENTRIES:
            raise _Transfer("bad_entries", P.SORRY_BAD_ENTRIES)
        self.line.play(prompt)

    # --- what they hear ----------------------------------------------------------
    def _menu(self) -> None:
        silent_menus = 0
        choice = self._say_balance(self.record.balance)
        while True:
            if not choice:
                choice, _ = self.line.ask(P.MENU, 1)
            if choice == "1":
                choice = self._say_balance(self.record.balance)
            elif choice == "2":
                self._callback()
                return
            elif choice == "0":
                raise _Transfer("caller_chose_agent", P.TO_AGENT)
            elif not choice:
                silent_menus += 1
                if silent_menus >= 2:  # heard the balance, said nothing twice: done
                    self.line.play(P.GOODBYE)
                    self._finish("self_served", "no_choice", next_step="hangup")
                    return
            else:
                self._bad_entry(P.INVALID_CHOICE)
                choice = ""

    def _say_balance(self, balance: Balance) -> str:
        """Say the balance; a menu key pressed meanwhile stops it and is returned."""
        for kind, value in balance_words(balance):
            pressed = (self.line.play(value, MENU_KEYS) if kind == "play"
                       else self.line.say_number(value, MENU_KEYS))
            if pressed:
                break
        else:
            pressed = ""
        self.balance_heard = True
        return pressed

    def _callback(self) -> None:
        self._data(self.backend.request_callback, self.session_id, self.record)
        # Booked: a hangup during the confirmation leaves the outcome "callback".
        self.record.outcome, self.record.reason = "callback", "caller_asked_callback"
        self.line.play(P.CALLBACK_REGISTERED)
        self._finish("callback", "caller_asked_callback", next_step="hangup")

    # --- endings -----------------------------------------------------------------
    def _finish(self, outcome: str, reason: str, next_step: str = "") -> None:
        self.record.outcome = outcome
        self.record.reason = reason
        if next_step:
            self.line.set_vars(HOTLINE_IVR_OUTCOME=outcome, HOTLINE_IVR_NEXT=next_step)

    def _to_agent(self, reason: str, apology: str) -> None:
        self.record.outcome, self.record.reason = "to_agent", reason
        try:
            self.line.play(apology)
            self.line.set_vars(HOTLINE_IVR_OUTCOME="to_agent", HOTLINE_IVR_NEXT="agent")
        except AGIHangup:
            self.record.outcome = "in_progress"  # they never reached the queue
            self._hung_up()

    def _try_apology_and_agent(self) -> None:
        try:
            self.line.play(P.SORRY_ERROR)
            self.line.set_vars(HOTLINE_IVR_OUTCOME="error", HOTLINE_IVR_NEXT="agent")
        except Exception:  # noqa: BLE001 - the dialplan apologises when the variable is unset
            log.warning("IVR %s: could not apologise; the dialplan will", self.record.callid)

    def _hung_up(self) -> None:
        if self.balance_heard and self.record.outcome == "in_progress":
            # They heard what they called for: contained, even without a goodbye.
            self.record.outcome, self.record.reason = "self_served", "hung_up_after_balance"
        elif self.record.outcome == "in_progress":
            self.record.outcome, self.record.reason = "hung_up", "caller_hung_up"

    def _store(self) -> None:
        if self.session_id is None:
            return
        try:
            self.backend.close_session(self.session_id, self.record)
        except IvrDataError as error:
            log.error("IVR %s: session %s not closed: %s", self.record.callid,
                      self.session_id, error)


def _caller_number(raw: str) -> str:
    raw = (raw or "").strip()
    return "" if raw.lower() in ("unknown", "anonymous", "restricted", "") else raw


class FeeBalanceScript:
    """The FastAGI script object: one FeeBalanceFlow per call.

    `observer(record, step)`, if given, sees each step as it happens (the lab
    test uses it to key digits when the IVR listens).
    """

    def __init__(self, backend: IvrBackend, input_timeout_ms: int = 8000, observer=None,
                 policy: IdentityPolicy = IdentityPolicy()):
        self.backend = backend
        self.input_timeout_ms = input_timeout_ms
        self.observer = observer
        self.policy = policy

    @classmethod
    def from_settings(cls, settings) -> "FeeBalanceScript":
        return cls(DatabaseIvrBackend.from_settings(settings),
                   int(settings.ivr_input_timeout_s * 1000),
                   policy=IdentityPolicy.from_settings(settings))

    def close(self) -> None:
        shutdown = getattr(self.backend, "shutdown", None)
        if shutdown is not None:
            shutdown()

    def __call__(self, agi) -> SessionRecord:
        return FeeBalanceFlow(agi, self.backend, self.input_timeout_ms, self.observer,
                              self.policy).run()
