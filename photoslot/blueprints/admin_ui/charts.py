"""The statistics page's charts as server-rendered SVG: requests per hour stacked by outcome,
and the p95 of the answer time per hour against T_sync. Only geometry is computed here (the
figures come from services.stats); ``_charts.html`` draws it, with a table of the same numbers
for screen readers and for reading exact values."""

from __future__ import annotations

import math
from typing import Any

from photoslot.blueprints.admin_ui.rendering import local_time

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 66, 12, 16, 32
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
#: Stacking order, bottom first; the template gives each a colour and a Russian name.
OUTCOMES = ("done", "timeout", "provider_error", "error", "rejected", "pending")
X_LABELS = 6


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above ``value`` (a round step for an axis)."""
    if value <= 0:
        return 0.25
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value)


def axis_top(value: float, integers: bool) -> float:
    """The top of a y axis of four equal, round steps holding ``value`` (whole steps for
    counts)."""
    step = nice_ceiling(value / 4)
    return 4 * (max(1, math.ceil(step)) if integers else step)


def _y_ticks(top: float, label: Any) -> list[dict[str, Any]]:
    return [{"y": round(TOP + PLOT_H - PLOT_H * i / 4, 1), "label": label(top * i / 4)}
            for i in range(5)]


def _number(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def _x_ticks(hours: list[dict[str, Any]], slot_w: float, long_window: bool) -> list[dict]:
    """Hour labels: every few hours for a day, each venue midnight (the date) for a week."""
    moments = [local_time(h["hour"]) for h in hours]
    if long_window:
        chosen = [i for i, moment in enumerate(moments) if moment.hour == 0]
        label = "%d.%m"
    else:
        chosen = list(range(0, len(hours), max(1, math.ceil(len(hours) / X_LABELS))))
        label = "%H:%M"
    return [{"x": round(LEFT + slot_w * (i + 0.5), 1), "label": moments[i].strftime(label)}
            for i in chosen]


def requests_chart(hours: list[dict[str, Any]]) -> dict[str, Any]:
    """Stacked bars, one per hour: each outcome's segment (x, y, width, height in the
    viewBox), the hour's label, and the axes' ticks."""
    slot_w = PLOT_W / max(1, len(hours))
    top = axis_top(max((h["count"] for h in hours), default=0), integers=True)
    scale = PLOT_H / top
    bars = []
    for index, hour in enumerate(hours):
        base, segments = TOP + PLOT_H, []
        for outcome in OUTCOMES:
            if hour[outcome]:
                height = hour[outcome] * scale
                base -= height
                segments.append({"outcome": outcome, "y": round(base, 2),
                                 "height": round(height, 2), "count": hour[outcome]})
        bars.append({"x": round(LEFT + slot_w * index + slot_w * 0.1, 2),
                     "width": round(slot_w * 0.8, 2), "segments": segments, "hour": hour})
    return {"bars": bars, "y_ticks": _y_ticks(top, _number),
            "x_ticks": _x_ticks(hours, slot_w, len(hours) > 25), **_frame()}


def p95_chart(hours: list[dict[str, Any]], t_sync_s: float) -> dict[str, Any]:
    """The p95 answer time per hour as line pieces (an hour without finished jobs breaks the
    line), with the T_sync line; seconds on the y axis."""
    slot_w = PLOT_W / max(1, len(hours))
    values = [h["p95_total_ms"] / 1000 if h["p95_total_ms"] is not None else None for h in hours]
    top = axis_top(max([v for v in values if v is not None] + [t_sync_s]), integers=False)
    scale = PLOT_H / top
    lines, points, current = [], [], []
    for index, value in enumerate(values):
        if value is None:
            if current:
                lines.append(current)
            current = []
            continue
        point = {"x": round(LEFT + slot_w * (index + 0.5), 2),
                 "y": round(TOP + PLOT_H - value * scale, 2), "seconds": value,
                 "hour": hours[index]["hour"]}
        current.append(point)
        points.append(point)
    if current:
        lines.append(current)
    return {"lines": [" ".join(f"{p['x']},{p['y']}" for p in line) for line in lines],
            "points": points, "t_sync_y": round(TOP + PLOT_H - t_sync_s * scale, 2),
            "y_ticks": _y_ticks(top, lambda v: f"{_number(v)} с"),
            "x_ticks": _x_ticks(hours, slot_w, len(hours) > 25), **_frame()}


def _frame() -> dict[str, Any]:
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT,
            "top": TOP, "bottom": TOP + PLOT_H}
