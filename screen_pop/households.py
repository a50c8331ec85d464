"""`HouseholdPops`: the pop of a call (households.screen_pop), built from queue-join on."""
from __future__ import annotations

import logging
from typing import Callable, Optional

from households.screen_pop import screen_pop_for_number
from households.terms import HouseholdTerms
from models.session import session_factory
from screen_pop.pop_cache import PopCache

log = logging.getLogger(__name__)

# A ring waits at most this long for its household lookup, then pops without it.
POP_BUILD_TIMEOUT_S = 2.0


def unknown_pop(caller_number: str) -> dict:
    return {"unknown": True, "caller_number": caller_number, "candidates": [],
            "household": None, "lookup_failed": True}


class HouseholdPops:
    def __init__(self, database_url: str, terms: HouseholdTerms,
                 sessions: Optional[Callable] = None, timeout_s: float = POP_BUILD_TIMEOUT_S,
                 build: Optional[Callable[[str, str], dict]] = None):
        """`terms` from the bridge's settings (hotline.bridge_root);
        build(caller_number, callid): tests count lookups with their own."""
        self._sessions = sessions or session_factory(database_url)
        self._terms = terms
        self._timeout_s = timeout_s
        self._cache = PopCache(build or self._build)

    def prepare(self, callid: str, caller_number: str) -> None:
        self._cache.prepare(callid, caller_number)

    def get(self, callid: str, caller_number: str) -> dict:
        try:
            return self._cache.get(callid, caller_number, self._timeout_s)
        except Exception:  # a slow or failed lookup: pop now, with the search box
            log.exception("screen-pop for call %s not ready", callid)
            return unknown_pop(caller_number)

    def forget(self, callid: str) -> None:
        self._cache.forget(callid)

    def close(self) -> None:
        self._cache.close()

    def _build(self, caller_number: str, callid: str) -> dict:
        """The households record for the caller; a bare 'unknown' pop if it cannot be built."""
        try:
            with self._sessions() as session:
                return screen_pop_for_number(session, caller_number, callid, terms=self._terms)
        except Exception:  # the ring must still pop, with a search box, if lookup fails
            log.exception("screen-pop lookup failed for call %s", callid)
            return unknown_pop(caller_number)
