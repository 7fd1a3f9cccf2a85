"""``flask cleanup-media``: output, exit codes, and two runs started at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from photoslot import clock
from photoslot.extensions import db
from photoslot.models import CleanupRun
from photoslot.services.audit import Actor
from photoslot.services.cleanup.lock import cleanup_lock
from photoslot.services.cleanup.runs import run_cleanup
from tests.media_helpers import add_media, exists
from tests.support import ROOT


def _expired_result():
    return add_media("result", expires_at=clock.now() - timedelta(seconds=1))


def test_json_output_reports_the_summary_and_exits_0(app, runner):
    with app.app_context():
        media = _expired_result()
    result = runner.invoke(args=["cleanup-media", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["status"] == "ok" and isinstance(body["run_id"], int)
    assert body["summary"]["deleted"]["result"]["objects"] == 1
    with app.app_context():
        assert not exists(media.id)


def test_plain_output_is_one_line_and_dry_run_keeps_everything(app, runner):
    with app.app_context():
        media = _expired_result()
    result = runner.invoke(args=["cleanup-media", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("\n") == 1
    assert "would delete 1 expired object(s)" in result.stdout
    with app.app_context():
        assert exists(media.id)


def test_busy_run_exits_0_saying_another_is_running(app, runner):
    with app.app_context(), cleanup_lock() as held:
        assert held
        result = runner.invoke(args=["cleanup-media"])
    assert result.exit_code == 0, result.output
    assert "another cleanup is running" in result.stdout


def test_failure_exits_non_zero_with_one_clear_line(app, make_app, tmp_path):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        broken_url = "postgresql://postgres@127.0.0.1:5432/photoslot_no_such_database"
    else:
        (tmp_path / "not-a-db").mkdir()
        broken_url = f"sqlite:///{tmp_path / 'not-a-db'}"
    broken = make_app(DATABASE_URL=broken_url)
    result = broken.test_cli_runner().invoke(args=["cleanup-media", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["status"] == "error"
    assert result.stderr.startswith("cleanup-media: failed: OperationalError")
    assert result.stderr.count("\n") == 1


def _wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def _running(app) -> bool:
    with app.app_context():
        running = db.session.scalar(select(CleanupRun).where(CleanupRun.status == "running"))
        return running is not None


@pytest.mark.postgres("holds a row lock to keep the first run inside its advisory lock")
def test_two_cleanups_at_once_one_deletes_and_the_other_process_reports_busy(app, app_env):
    with app.app_context():
        media = [_expired_result() for _ in range(5)]
        # Hold one expired row: the first run takes the cleanup lock, then waits on this row.
        blocker = db.engine.connect()
        blocker.begin()
        blocker.execute(text("SELECT id FROM media_object WHERE id = :id FOR UPDATE"),
                        {"id": media[0].id})
    outcomes = []

    def first_run() -> None:
        with app.app_context():
            outcomes.append(run_cleanup(actor=Actor("first")))

    first = threading.Thread(target=first_run)
    first.start()
    try:
        _wait_for(lambda: _running(app))
        second = subprocess.run(
            [sys.executable, "-m", "flask", "cleanup-media", "--json"],
            cwd=ROOT, env={**os.environ, **app_env, "FLASK_APP": "wsgi"},
            capture_output=True, text=True, timeout=60,
        )
    finally:
        blocker.rollback()
        blocker.close()
        first.join(timeout=60)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["status"] == "busy"
    assert [o.status for o in outcomes] == ["ok"]
    assert outcomes[0].summary["deleted"]["result"]["objects"] == 5
    with app.app_context():
        assert not any(exists(m.id) for m in media)
        runs = {r.status: r for r in db.session.scalars(select(CleanupRun))}
        assert set(runs) == {"ok", "busy"}
        assert runs["ok"].started_at <= runs["busy"].started_at <= runs["ok"].finished_at
