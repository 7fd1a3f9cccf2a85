"""Maintenance endpoints: manual cleanup (maintenance:write, audited) and the storage report."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from photoslot import clock
from photoslot.extensions import db
from photoslot.models import AuditLog, CleanupRun
from photoslot.services.cleanup.lock import cleanup_lock
from tests.contract import assert_contract, assert_error
from tests.media_helpers import JPEG, add_media, exists

CLEANUP = "/api/maintenance/cleanup"
STORAGE = "/api/maintenance/storage"


def test_manual_cleanup_needs_a_token_and_the_maintenance_permission(client, auth_headers):
    for response, status in (
        (client.post(CLEANUP), 401),
        (client.post(CLEANUP, headers=auth_headers("igor", {"stats:read"})), 403),
    ):
        assert_error(response, status)
        assert_contract(response)


def test_manual_cleanup_deletes_expired_media_and_is_audited_with_the_actor(
    app, client, auth_headers
):
    with app.app_context():
        media = add_media("result", expires_at=clock.now() - timedelta(seconds=1))
    response = client.post(CLEANUP, headers=auth_headers("igor", {"maintenance:write"}))
    assert response.status_code == 200, response.get_json()
    assert_contract(response)
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["summary"]["deleted"]["result"] == {"objects": 1, "bytes": len(JPEG)}
    with app.app_context():
        assert not exists(media.id)
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "maintenance.cleanup"))
        assert entry.actor == "igor"
        assert entry.entity_id == str(body["run_id"])
        assert entry.changes["summary"][1]["deleted"]["result"]["objects"] == 1
        assert entry.changes["status"] == [None, "ok"]
    journal = client.get("/api/audit?entity=cleanup_run", headers=auth_headers())
    assert_contract(journal)  # {field: [before, after]}, like every other entry
    assert len(journal.get_json()["items"]) == 1


def test_manual_dry_run_deletes_nothing(app, client, auth_headers):
    with app.app_context():
        media = add_media("result", expires_at=clock.now() - timedelta(seconds=1))
    response = client.post(CLEANUP, json={"dry_run": True}, headers=auth_headers())
    assert response.status_code == 200
    assert response.get_json()["summary"]["deleted"]["result"]["objects"] == 1
    with app.app_context():
        assert exists(media.id)


def test_manual_cleanup_answers_409_while_another_runs(app, client, auth_headers):
    with app.app_context(), cleanup_lock() as held:
        assert held
        response = client.post(CLEANUP, headers=auth_headers())
    assert_error(response, 409, "cleanup_running")
    assert_contract(response)


@pytest.mark.parametrize("body", [{"dry_run": "yes"}, {"dry_run": True, "force": True}])
def test_manual_cleanup_rejects_a_malformed_body(client, auth_headers, body):
    response = client.post(CLEANUP, json=body, headers=auth_headers())
    assert_error(response, 422, "validation_error")
    assert_contract(response)


def test_storage_report_counts_per_kind_for_any_admin(app, client, auth_headers):
    assert_error(client.get(STORAGE), 401)
    with app.app_context():
        add_media("result", expires_at=clock.now() + timedelta(hours=72))
        add_media("result", expires_at=clock.now() - timedelta(seconds=1))
        add_media("template")
    client.post(CLEANUP, json={"dry_run": True}, headers=auth_headers())
    response = client.get(STORAGE, headers=auth_headers("igor", set()))
    assert response.status_code == 200
    assert_contract(response)
    body = response.get_json()
    assert body["kinds"]["result"] == {"objects": 2, "bytes": 2 * len(JPEG), "expired": 1}
    assert body["kinds"]["template"] == {"objects": 1, "bytes": len(JPEG), "expired": 0}
    assert body["kinds"]["input"]["objects"] == 0
    assert body["total"] == {"objects": 3, "bytes": 3 * len(JPEG)}
    assert 0 < body["disk"]["free_bytes"] <= body["disk"]["total_bytes"]
    assert body["last_cleanup"] is None  # a dry run deleted nothing: it is no cleanup

    client.post(CLEANUP, json={"dry_run": False}, headers=auth_headers())
    client.post(CLEANUP, json={"dry_run": True}, headers=auth_headers())
    last = client.get(STORAGE, headers=auth_headers("igor", set())).get_json()["last_cleanup"]
    assert last["status"] == "ok" and last["summary"]["dry_run"] is False
    assert last["summary"]["deleted"]["result"]["objects"] == 1


def test_manual_cleanup_rejects_a_body_that_is_not_an_object(client, auth_headers):
    response = client.post(CLEANUP, json=[], headers=auth_headers())
    assert_error(response, 422, "validation_error")
    assert_contract(response)


def test_a_failing_manual_cleanup_answers_500_with_the_recorded_run(
        app, client, auth_headers, media_root):
    with app.app_context():  # an expired row whose "file" is a directory: unlink fails
        (media_root / "results" / "a-directory.jpg").mkdir(parents=True)
        add_media("result", path="results/a-directory.jpg", write_file=False,
                  expires_at=clock.now() - timedelta(seconds=1))
    response = client.post(CLEANUP, headers=auth_headers())
    error = assert_error(response, 500, "cleanup_failed")
    assert_contract(response)
    with app.app_context():
        run = db.session.get(CleanupRun, error["details"]["run_id"])
        assert (run.status, run.actor) == ("error", "serg")
