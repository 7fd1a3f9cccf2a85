"""The pieces behind the part-2 pages: the charts' geometry and the journal's diff rows."""

from __future__ import annotations

from photoslot.blueprints.admin_ui.charts import (
    LEFT,
    PLOT_H,
    TOP,
    axis_top,
    nice_ceiling,
    p95_chart,
    requests_chart,
)
from photoslot.blueprints.admin_ui.journal import DiffRow, diff_rows


def hour(at: str, **counts: int) -> dict:
    figures = {"done": 0, "timeout": 0, "provider_error": 0, "error": 0, "rejected": 0,
               "pending": 0, "p95_total_ms": None, **counts}
    figures["count"] = sum(v for k, v in figures.items() if k != "p95_total_ms" and v)
    return {"hour": at, **figures}


def test_axes_end_on_round_steps():
    assert [nice_ceiling(v) for v in (0.3, 1, 1.2, 2.2, 4, 7, 12)] == [0.5, 1, 2, 2.5, 5, 10, 20]
    assert axis_top(21, integers=True) == 40 and axis_top(3, integers=True) == 4
    assert axis_top(0, integers=True) == 4 and axis_top(1.7, integers=False) == 2


def test_bars_stack_each_outcome_in_proportion(app):
    hours = [hour("2026-11-27T10:00:00+00:00", done=3, timeout=1),
             hour("2026-11-27T11:00:00+00:00")]
    with app.app_context():
        chart = requests_chart(hours)
    first, empty = chart["bars"]
    assert [s["outcome"] for s in first["segments"]] == ["done", "timeout"]
    done, timeout = first["segments"]
    assert done["height"] == 3 * timeout["height"]
    assert done["y"] + done["height"] == TOP + PLOT_H  # the stack starts on the axis
    assert timeout["y"] + timeout["height"] == done["y"]
    assert empty["segments"] == [] and first["x"] > LEFT
    assert [t["label"] for t in chart["x_ticks"]] == ["13:00", "14:00"]  # venue time (MSK)


def test_the_p95_line_breaks_at_hours_without_jobs(app):
    hours = [hour("2026-11-27T10:00:00+00:00", done=1, p95_total_ms=1000),
             hour("2026-11-27T11:00:00+00:00"),
             hour("2026-11-27T12:00:00+00:00", done=1, p95_total_ms=3000),
             hour("2026-11-27T13:00:00+00:00", done=1, p95_total_ms=2000)]
    with app.app_context():
        chart = p95_chart(hours, t_sync_s=2.0)
    assert len(chart["lines"]) == 2 and len(chart["points"]) == 3
    assert chart["t_sync_y"] > chart["points"][1]["y"]  # 3 s is above the T_sync line
    assert chart["y_ticks"][-1]["label"] == "4 с"


def test_diff_rows_open_dicts_and_keep_masked_secrets_changed():
    rows = diff_rows({
        "params": [{"prompt": "a", "strength": 1}, {"prompt": "a", "strength": 2}],
        "ingest_password": ["***", "***"],
        "enabled": [False, True],
        "summary": [None, {"dry_run": True}],
    })
    assert rows == [
        DiffRow("params.prompt", "a", "a", False),
        DiffRow("params.strength", 1, 2, True),
        DiffRow("ingest_password", "***", "***", True),
        DiffRow("enabled", False, True, True),
        DiffRow("summary.dry_run", None, True, True),
    ]
