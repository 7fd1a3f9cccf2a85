"""The alert rules and the dashboard: promtool accepts and unit-tests the rules, and every metric
they read is one /metrics really exports (no silently dead alert or panel)."""

from __future__ import annotations

import subprocess

from photoslot.services.cleanup.runs import run_cleanup
from tests.ingest_support import configure_slot, set_password
from tests.metrics_support import (
    ALERT_TESTS,
    ALERTS,
    parse,
    promtool,
    referenced_metric_names,
    sample_names,
)


def run_promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([promtool(), *args], capture_output=True, text=True, timeout=120)


def test_promtool_check_rules_accepts_the_alert_rules():
    checked = run_promtool("check", "rules", str(ALERTS))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout


def test_promtool_unit_tests_of_the_alert_rules_pass():
    tested = run_promtool("test", "rules", str(ALERT_TESTS))
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_alert_has_a_severity_summary_description_and_runbook():
    import yaml

    rules = [r for g in yaml.safe_load(ALERTS.read_text())["groups"] for r in g["rules"]
             if "alert" in r]
    assert len(rules) >= 11
    for rule in rules:
        assert rule["labels"]["severity"] in ("page", "ticket"), rule["alert"]
        assert {"summary", "description", "runbook"} <= set(rule["annotations"]), rule["alert"]


def test_every_metric_the_rules_and_the_dashboard_read_is_exported(app, client):
    set_password(app)
    configure_slot(app)
    with app.app_context():
        run_cleanup()  # the cleanup timestamp is exported once a real run has succeeded
    assert client.get("/api/slots").status_code == 401  # request metrics appear with traffic
    exported = sample_names(parse(client.get("/metrics").get_data(True)))
    used = referenced_metric_names()
    assert any(where.startswith("alerts.yml") for where in used)
    assert any(where.startswith("photoslot.json") for where in used)
    dead = {where: sorted(names - exported) for where, names in used.items() if names - exported}
    assert dead == {}


def test_the_checker_sees_a_metric_nobody_exports(tmp_path, monkeypatch):
    import tests.metrics_support as support

    rules = tmp_path / "alerts.yml"
    rules.write_text("groups:\n- name: x\n  rules:\n  - alert: Typo\n"
                     "    expr: rate(photoslot_ingest_totl[5m]) > 0\n")
    monkeypatch.setattr(support, "ALERTS", rules)
    assert support.referenced_metric_names()["alerts.yml:Typo"] == {"photoslot_ingest_totl"}
