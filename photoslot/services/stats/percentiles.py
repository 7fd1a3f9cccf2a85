"""p50, p95 and max of durations per group, computed in SQL.

One definition on both databases: ``percentile_cont`` (linear interpolation between the two
nearest ranks, position 1 + p·(n−1)). PostgreSQL computes it natively; SQLite has no
``percentile_cont``, so the portable form ranks the values with window functions and fetches only
the rows next to each position (at most three per percentile and group, plus the max), then
interpolates exactly as PostgreSQL does. Neither reads every duration into Python.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select

from photoslot.extensions import db

QUANTILES = {"p50": 0.5, "p95": 0.95}
Spread = dict[str, float | None]  # p50, p95, max in the measure's unit


def spreads(measures: Mapping[str, ColumnElement], where: Sequence[ColumnElement],
            key: ColumnElement | None = None, portable: bool = False
            ) -> dict[Any, dict[str, Spread]]:
    """``{group key: {measure name: {"p50", "p95", "max"}}}`` over the rows matching ``where``
    (NULL values ignored; key ``None`` when ungrouped); ``portable`` forces the window form."""
    if db.engine.dialect.name == "postgresql" and not portable:
        return _native(measures, where, key)
    found: dict[Any, dict[str, Spread]] = defaultdict(dict)
    for name, measure in measures.items():
        for group, spread in _ranked(measure, where, key).items():
            found[group][name] = spread
    return dict(found)


def empty_spread() -> Spread:
    """The spread of no values."""
    return {"p50": None, "p95": None, "max": None}


def _native(measures: Mapping[str, ColumnElement], where: Sequence[ColumnElement],
            key: ColumnElement | None) -> dict[Any, dict[str, Spread]]:
    statement = select(*([key] if key is not None else []), *native_columns(measures))
    statement = statement.where(*where)
    if key is not None:
        statement = statement.group_by(key)
    found = {}
    for row in db.session.execute(statement):
        group, values = (row[0], row[1:]) if key is not None else (None, row)
        found[group] = read_native(values, measures)
    return found


def native_columns(measures: Mapping[str, ColumnElement]) -> list[ColumnElement]:
    """PostgreSQL aggregate columns for each measure: percentile_cont per quantile, then max."""
    columns = []
    for measure in measures.values():
        columns += [func.percentile_cont(q).within_group(measure) for q in QUANTILES.values()]
        columns.append(func.max(measure))
    return columns


def read_native(values: Sequence[Any], measures: Mapping[str, ColumnElement]) -> dict[str, Spread]:
    """The spreads from the values of ``native_columns``, in the same order."""
    width = len(QUANTILES) + 1
    labels = [*QUANTILES, "max"]
    return {name: _rounded(dict(zip(labels, values[i * width:(i + 1) * width], strict=True)))
            for i, name in enumerate(measures)}


def _ranked(measure: ColumnElement, where: Sequence[ColumnElement],
            key: ColumnElement | None) -> dict[Any, Spread]:
    partition = [key] if key is not None else None
    ranked = select(
        *([key.label("k")] if key is not None else []),
        measure.label("v"),
        func.row_number().over(partition_by=partition, order_by=measure).label("rn"),
        func.count().over(partition_by=partition).label("n"),
    ).where(*where, measure.is_not(None)).subquery()
    rn, n = ranked.c.rn, ranked.c.n
    # Rank 1 + p(n-1) lies in [p(n-1), p(n-1) + 1]: its floor and the next rank are in range.
    near = or_(*(and_(rn >= q * (n - 1), rn <= q * (n - 1) + 2) for q in QUANTILES.values()),
               rn == n)
    rows: dict[Any, dict[int, float]] = defaultdict(dict)
    counts: dict[Any, int] = {}
    for row in db.session.execute(select(ranked).where(near)):
        group = row.k if key is not None else None
        rows[group][row.rn] = row.v
        counts[group] = row.n
    return {group: _rounded({**{label: _interpolate(ranks, counts[group], q)
                                for label, q in QUANTILES.items()},
                             "max": ranks[counts[group]]})
            for group, ranks in rows.items()}


def _interpolate(ranks: dict[int, float], n: int, q: float) -> float:
    position = q * (n - 1)  # 0-based, as PostgreSQL computes it
    low = int(position)
    below = ranks[low + 1]
    above = ranks.get(low + 2, below)
    return below + (above - below) * (position - low)


def _rounded(spread: dict[str, Any]) -> Spread:
    return {label: None if value is None else round(float(value), 1)
            for label, value in spread.items()}
