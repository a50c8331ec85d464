"""How the statistics page reads: measures in groups, and the breakdowns beside the
period's rows.

Both are tables so that a new measure is one entry in `measures.MEASURES` (its
`group` names one of GROUPS) and a new breakdown (per host) is one entry in
BREAKDOWNS plus its rollup level. A measure whose group is not listed still shows,
under "other", so nothing is ever dropped from the page.
"""
from __future__ import annotations

import dataclasses

from call_queue.stats.measures import MEASURES, Measure


@dataclasses.dataclass(frozen=True)
class Group:
    key: str
    label: str  # English msgid, translated by the page


@dataclasses.dataclass(frozen=True)
class Breakdown:
    level: str  # the rollup level (call_queue.stats.rollup.LEVELS)
    report_key: str  # where compute_stats puts its rows
    label: str
    label_kind: str = ""  # labels.CATALOGUE kind for the row's key ("" shows it as it is)


GROUPS: tuple[Group, ...] = (
    Group("volume", "Volume"),
    Group("speed", "Speed of answer"),
    Group("quality", "Quality"),
    Group("agents", "Agents"),
    Group("workflow", "Work orders and follow-ups"),
)
OTHER = Group("other", "Other")

BREAKDOWNS: tuple[Breakdown, ...] = (
    Breakdown("queue", "by_queue", "Per queue", "queue"),
    Breakdown("agent", "by_agent", "Per agent"),
    # Several Asterisk hosts behind Kamailio (issue 19): the call measures per host.
    Breakdown("host", "by_host", "Per Asterisk host", "asterisk_host"),
)


@dataclasses.dataclass(frozen=True)
class MeasureGroup:
    group: Group
    measures: tuple[Measure, ...]


def grouped(measures: tuple[Measure, ...] = MEASURES) -> tuple[MeasureGroup, ...]:
    """The groups in page order with their measures in MEASURES order; groups with no
    measure left out, measures of an unknown group under OTHER."""
    known = {group.key for group in GROUPS}
    result = [MeasureGroup(group, tuple(m for m in measures if m.group == group.key))
              for group in GROUPS]
    result.append(MeasureGroup(OTHER, tuple(m for m in measures if m.group not in known)))
    return tuple(entry for entry in result if entry.measures)
