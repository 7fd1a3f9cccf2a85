"""Helpers for the metrics tests: parse an exposition, sum samples, find promtool and the metric
names the alert rules and the dashboard use."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterable

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.support import ROOT

ALERTS = ROOT / "ops" / "prometheus" / "alerts.yml"
ALERT_TESTS = ROOT / "ops" / "prometheus" / "alerts_test.yml"
DASHBOARD = ROOT / "ops" / "grafana" / "photoslot.json"
_METRIC_NAME = re.compile(r"\b((?:photoslot|flask)_[a-zA-Z0-9_]+)\b")

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(exposition: str) -> Samples:
    """Every sample of a text exposition: (name, labels) -> value."""
    found: Samples = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(value for (sample, sample_labels), value in samples.items()
               if sample == name and wanted <= sample_labels)


def sample_names(samples: Samples) -> set[str]:
    return {name for name, _ in samples}


def referenced_metric_names() -> dict[str, set[str]]:
    """The photoslot_*/flask_* sample names used by each alert rule and dashboard panel
    (recording rules like ``photoslot:t_sync_seconds`` are Prometheus' own, not the app's)."""
    used: dict[str, set[str]] = {}
    for group in yaml.safe_load(ALERTS.read_text())["groups"]:
        for rule in group["rules"]:
            name = rule.get("alert") or rule["record"]
            used[f"alerts.yml:{name}"] = set(_METRIC_NAME.findall(rule["expr"]))
    for panel in _panels(json.loads(DASHBOARD.read_text())["panels"]):
        exprs = " ".join(t.get("expr", "") for t in panel.get("targets", []))
        used[f"photoslot.json:{panel['title']}"] = set(_METRIC_NAME.findall(exprs))
    return {where: names for where, names in used.items() if names}


def _panels(panels: Iterable[dict]) -> Iterable[dict]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


def promtool() -> str:
    """The promtool binary; the test is skipped without it, but fails in CI (CI=true)."""
    found = shutil.which("promtool")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("promtool is missing (Debian package prometheus); CI installs it in .ci/run")
    pytest.skip("promtool is not installed (apt-get install prometheus)")
