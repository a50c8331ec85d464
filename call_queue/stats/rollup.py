"""One scan per source table, every grouping of the page in the same statement.

The base query groups the period's rows by (bucket, queue, agent, host) into additive
sums; the outer query rolls those up once per requested level (bucket, total,
queue, agent, host) with UNION ALL, and computes each rate and average from the
summed parts. So the 80,000 calls of a month are read once, not four times,
and every measure is still computed by the database.
"""
from __future__ import annotations

from typing import Callable

from sqlalchemy import String, cast, func, literal, null, select, union_all
from sqlalchemy.orm import Session

LEVELS = ("bucket", "total", "queue", "agent", "host")
# The levels a source row can be keyed by (total has none); "host": the calls' Asterisk
# host (only the calls know it: the other sources give no rows at that level).
KEYED = ("bucket", "queue", "agent", "host")


class Sums:
    """Column access for the measures' formulas: S("answered") is SUM(base.answered)."""

    def __init__(self, base):
        self.base = base

    def __call__(self, name: str):
        return func.coalesce(func.sum(self.base.c[name]), 0)


def rollup(session: Session, keys: dict, additive: dict, where: list,
           measures: Callable[[Sums], dict], levels: tuple[str, ...],
           from_clause=None) -> dict[str, list[dict]]:
    """Rows per level: {level: [{"key": ..., measure: value, ...}]}.

    `keys`: level -> key expression on the source rows (None: the level does not
    apply to this source, it gets no rows). `additive`: name -> per-row
    expression whose SUM is meaningful. `measures(S)`: name -> expression over S.
    """
    levels = tuple(level for level in levels if level == "total" or keys.get(level) is not None)
    if not levels:
        return {}
    present = [keys[level] for level in KEYED if keys.get(level) is not None]
    key_columns = [(keys[level] if keys.get(level) is not None else null()).label(f"k_{level}")
                   for level in KEYED]
    base_query = select(*key_columns, *[func.sum(expr).label(name)
                                        for name, expr in additive.items()])
    if from_clause is not None:
        base_query = base_query.select_from(from_clause)
    base = base_query.where(*where).group_by(*present).cte("base")
    sums = Sums(base)
    formulas = measures(sums)
    parts = []
    for level in levels:
        key = base.c[f"k_{level}"] if level != "total" else null()
        part = select(literal(level).label("level"), cast(key, String).label("key"),
                      *[expr.label(name) for name, expr in formulas.items()]).select_from(base)
        if level != "total":
            part = part.group_by(key)
        parts.append(part)
    rows: dict[str, list[dict]] = {level: [] for level in levels}
    for row in session.execute(union_all(*parts)):
        values = dict(row._mapping)
        rows[values.pop("level")].append(values)
    return rows
