"""The wallboard's figures against the norms of domain.md (seed 004), as plain data.

No I/O. `evaluate(board, norms)` reads the rendered board (call_queue.projection
`render`) and says for every figure whether it is within its norm (`ok`), close
to it (`warn`), outside it (`missed`) or not measurable yet (`none`, no call
offered today). A figure outside its norm is a `Breach`, named by a stable key
(measure and queue), so that a screen can alert once when a key appears.

The norms:
- longest wait: missed from `longest_wait_s` (default the service-level threshold,
  20 s: a caller waiting longer can no longer count towards 80/20), warn from
  three quarters of it;
- service level: missed below `service_level_pct` % (80 % within 20 s);
- abandonment (abandoned ÷ offered, short abandons left out): missed above
  `abandon_pct` % (the top of 004's 3–5 %), warn above three fifths of it (3 %);
- agents available (ready, not on a call or in after-call work): missed below
  `agents_ready` while callers wait, warn below it with nobody waiting;
- nobody logged in at all is always missed: the centre is staffed 24 hours.
"""
from __future__ import annotations

import dataclasses
from typing import Optional

OK, WARN, MISSED, NONE = "ok", "warn", "missed", "none"
WAIT_WARN_FRACTION = 0.75
ABANDON_WARN_FRACTION = 0.6
READY_STATES = frozenset({"idle"})


@dataclasses.dataclass(frozen=True)
class Norms:
    longest_wait_s: int = 20
    service_level_s: int = 20
    service_level_pct: int = 80
    abandon_pct: float = 5.0
    agents_ready: int = 1

    @classmethod
    def from_settings(cls, settings) -> "Norms":
        return cls(longest_wait_s=settings.norm_longest_wait_s,
                   service_level_s=settings.service_level_s,
                   service_level_pct=settings.norm_service_level_pct,
                   abandon_pct=settings.norm_abandon_pct,
                   agents_ready=settings.norm_agents_ready)

    @property
    def wait_warn_s(self) -> float:
        return self.longest_wait_s * WAIT_WARN_FRACTION


@dataclasses.dataclass(frozen=True)
class Figure:
    """One figure of the board beside its norm; `queue` is "" for the agents' figures."""
    measure: str
    queue: str
    value: Optional[float]
    level: str
    norm: float

    @property
    def key(self) -> str:
        return f"{self.measure}:{self.queue}"


@dataclasses.dataclass(frozen=True)
class Verdict:
    figures: tuple[Figure, ...]
    norms: Norms

    @property
    def breaches(self) -> tuple[Figure, ...]:
        """The figures outside their norms; with nobody logged in that one breach alone
        (no agent ready follows from it)."""
        missed = tuple(figure for figure in self.figures if figure.level == MISSED)
        if any(figure.measure == "unattended" for figure in missed):
            return tuple(figure for figure in missed if figure.measure != "agents_ready")
        return missed

    def level(self, measure: str, queue: str = "") -> str:
        return next((figure.level for figure in self.figures
                     if figure.measure == measure and figure.queue == queue), NONE)

    def to_json(self) -> dict:
        """What the page gets: the norms (to tick the longest wait between pushes) and
        each figure's level, by queue."""
        queues: dict[str, dict] = {}
        agents = {}
        for figure in self.figures:
            if figure.queue:
                queues.setdefault(figure.queue, {})[figure.measure] = figure.level
            else:
                agents[figure.measure] = figure.level
        return {"norms": dict(dataclasses.asdict(self.norms), wait_warn_s=self.norms.wait_warn_s),
                "queues": queues, "agents": agents,
                "breaches": [dict(dataclasses.asdict(figure), key=figure.key)
                             for figure in self.breaches]}


def longest_wait_level(wait_s: float, norms: Norms) -> str:
    if wait_s >= norms.longest_wait_s:
        return MISSED
    return WARN if wait_s >= norms.wait_warn_s else OK


def service_level_level(service_level: Optional[float], norms: Norms) -> str:
    if service_level is None:
        return NONE
    return OK if service_level * 100 >= norms.service_level_pct else MISSED


def abandonment(abandoned: int, offered: int) -> Optional[float]:
    return abandoned / offered if offered else None


def abandon_level(rate: Optional[float], norms: Norms) -> str:
    if rate is None:
        return NONE
    if rate * 100 > norms.abandon_pct:
        return MISSED
    return WARN if rate * 100 > norms.abandon_pct * ABANDON_WARN_FRACTION else OK


def agents_ready_level(ready: int, logged_in: int, waiting: int, norms: Norms) -> str:
    if logged_in == 0:
        return MISSED
    if ready >= norms.agents_ready:
        return OK
    return MISSED if waiting else WARN


def _queue_figures(queue: dict, norms: Norms) -> list[Figure]:
    name = queue["name"]
    rate = abandonment(queue["abandoned"], queue["offered"])
    return [
        Figure("longest_wait", name, queue["longest_wait_s"],
               longest_wait_level(queue["longest_wait_s"], norms), norms.longest_wait_s),
        Figure("service_level", name, queue["service_level"],
               service_level_level(queue["service_level"], norms),
               norms.service_level_pct / 100),
        Figure("abandonment", name, rate, abandon_level(rate, norms), norms.abandon_pct / 100),
    ]


def evaluate(board: dict, norms: Norms) -> Verdict:
    """Every figure of a rendered board against the norms."""
    figures = [figure for queue in board["queues"] for figure in _queue_figures(queue, norms)]
    agents = board["agents"]
    ready = sum(1 for agent in agents if agent["state"] in READY_STATES)
    waiting = sum(queue["callers_waiting"] for queue in board["queues"])
    figures.append(Figure("agents_ready", "", ready,
                          agents_ready_level(ready, len(agents), waiting, norms),
                          norms.agents_ready))
    figures.append(Figure("unattended", "", len(agents), MISSED if not agents else OK, 1))
    return Verdict(tuple(figures), norms)
