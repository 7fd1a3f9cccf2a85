"""The cleanup service: expiry per kind, orphans both ways, abandoned jobs, dry run, path safety."""

from __future__ import annotations

import os
from datetime import timedelta

from sqlalchemy import select

from photoslot import clock
from photoslot.extensions import db
from photoslot.models import CleanupRun, JobHistory, SlotTemplateMedia
from photoslot.services.audit import Actor
from photoslot.services.cleanup.lock import cleanup_lock
from photoslot.services.cleanup.runs import last_run, run_cleanup
from photoslot.services.media import store
from tests.media_helpers import JPEG, add_job, add_media, exists
from tests.support import logged_events

HOUR = timedelta(hours=1)
SIZE = len(JPEG)


def _seed_every_kind():
    """Expired and live objects of every kind, as ingest and template registration create them."""
    now = clock.now()
    expired = {
        "input": add_media("input", expires_at=now + timedelta(seconds=60)),
        "result": add_media("result", expires_at=now + 72 * HOUR),
        "template": add_media("template", expires_at=now + HOUR),
    }
    expired["thumb_of_result"] = add_media("thumbnail", parent=expired["result"])
    expired["thumb_own_expiry"] = None  # filled below: parent is live, the thumbnail is not
    live = {
        "result": add_media("result", expires_at=now + 100 * HOUR),
        "template": add_media("template"),  # no expires_at: kept forever
    }
    live["thumb_of_result"] = add_media("thumbnail", parent=live["result"])
    expired["thumb_own_expiry"] = add_media(
        "thumbnail", parent=live["result"], expires_at=now + HOUR
    )
    return expired, live


def test_cleanup_deletes_expired_objects_of_every_kind_and_keeps_live_ones(app):
    with app.app_context():
        expired, live = _seed_every_kind()
        clock.advance(72 * HOUR + timedelta(seconds=1))
        outcome = run_cleanup()
        assert outcome.status == "ok"
        deleted = outcome.summary["deleted"]
        assert deleted["input"] == {"objects": 1, "bytes": SIZE}
        assert deleted["result"] == {"objects": 1, "bytes": SIZE}
        assert deleted["template"] == {"objects": 1, "bytes": SIZE}
        assert deleted["thumbnail"] == {"objects": 2, "bytes": 2 * SIZE}
        for media in expired.values():
            assert not exists(media.id)
            assert not store.resolve(media.path).exists()
        for media in live.values():
            assert exists(media.id)
            assert store.resolve(media.path).exists()
        assert outcome.summary["orphan_files"]["objects"] == 0
        assert outcome.summary["orphan_rows"]["objects"] == 0


def test_nothing_is_deleted_one_second_before_expiry(app):
    with app.app_context():
        result = add_media("result", expires_at=clock.now() + 72 * HOUR)
        clock.advance(72 * HOUR - timedelta(seconds=1))
        assert run_cleanup().summary["deleted"]["result"]["objects"] == 0
        assert exists(result.id)
        clock.advance(timedelta(seconds=2))
        assert run_cleanup().summary["deleted"]["result"]["objects"] == 1
        assert not exists(result.id)


def test_dry_run_reports_everything_and_deletes_nothing(app, media_root):
    with app.app_context():
        expired, live = _seed_every_kind()
        job = add_job("pending")
        store.write_bytes("results/orphan.jpg", JPEG)
        clock.advance(72 * HOUR + timedelta(seconds=1))
        dry = run_cleanup(dry_run=True)
        assert dry.summary["dry_run"] is True
        assert sum(k["objects"] for k in dry.summary["deleted"].values()) == 5
        assert dry.summary["orphan_files"] == {"objects": 1, "bytes": SIZE}
        assert dry.summary["jobs_abandoned"] == 1
        for media in [*expired.values(), *live.values()]:
            assert exists(media.id) and store.resolve(media.path).exists()
        assert (media_root / "results/orphan.jpg").exists()
        assert db.session.get(JobHistory, job.id).status == "pending"
        real = run_cleanup()
        assert real.summary["deleted"] == dry.summary["deleted"]
        assert not (media_root / "results/orphan.jpg").exists()


def test_expired_template_still_bound_to_a_slot_is_kept_and_counted(app):
    with app.app_context():
        template = add_media("template", expires_at=clock.now() + HOUR)
        db.session.add(SlotTemplateMedia(slot_id="slot-001", media_id=template.id, position=0))
        db.session.commit()
        clock.advance(2 * HOUR)
        outcome = run_cleanup()
        assert outcome.summary["kept_in_use"] == 1
        assert outcome.summary["deleted"]["template"]["objects"] == 0
        assert exists(template.id) and store.resolve(template.path).exists()


def test_orphan_files_past_the_grace_period_are_deleted_younger_ones_kept(app, media_root):
    with app.app_context():
        store.write_bytes("inputs/old-orphan.jpg", JPEG)
        store.write_bytes("thumbs/nested/old-orphan.jpg", JPEG)
        live = add_media("template")
        (media_root / "unrelated.txt").write_bytes(b"not ours")
        clock.advance(2 * HOUR)
        store.write_bytes("results/young-orphan.jpg", JPEG)
        young = media_root / "results/young-orphan.jpg"
        os.utime(young, (clock.now().timestamp(), clock.now().timestamp()))
        outcome = run_cleanup()
        assert outcome.summary["orphan_files"] == {"objects": 2, "bytes": 2 * SIZE}
        assert not (media_root / "inputs/old-orphan.jpg").exists()
        assert not (media_root / "thumbs/nested/old-orphan.jpg").exists()
        assert young.exists()
        assert (media_root / "unrelated.txt").exists()
        assert store.resolve(live.path).exists()


def test_rows_whose_file_vanished_are_removed_with_their_thumbnails(app, media_root):
    with app.app_context():
        result = add_media("result", expires_at=clock.now() + 72 * HOUR)
        thumb = add_media("thumbnail", parent=result)
        fresh = add_media("result", write_file=False, expires_at=clock.now() + 72 * HOUR)
        store.delete_file(result.path)
        clock.advance(2 * HOUR)
        fresh_now = add_media("result", write_file=False, expires_at=clock.now() + 72 * HOUR)
        outcome = run_cleanup()
        assert outcome.summary["orphan_rows"]["objects"] == 3  # result, its thumbnail, fresh
        assert not exists(result.id) and not exists(thumb.id) and not exists(fresh.id)
        assert not store.resolve(thumb.path).exists()
        assert exists(fresh_now.id)  # inside the grace period: its file may still be coming


def test_a_file_already_missing_is_not_an_error(app):
    with app.app_context():
        media = add_media("result", expires_at=clock.now() + timedelta(seconds=60))
        store.delete_file(media.path)
        clock.advance(timedelta(minutes=2))
        outcome = run_cleanup()
        assert outcome.status == "ok"
        assert outcome.summary["deleted"]["result"] == {"objects": 1, "bytes": 0}
        assert outcome.summary["missing_files"] == 1
        assert not exists(media.id)


def test_an_ended_jobs_input_without_its_file_is_not_counted_missing(app):
    # A job's end deletes the input file but keeps the row, expired, so its link answers 410.
    with app.app_context():
        media = add_media("input", expires_at=clock.now())
        store.delete_file(media.path)
        outcome = run_cleanup()
        assert outcome.status == "ok"
        assert outcome.summary["deleted"]["input"] == {"objects": 1, "bytes": 0}
        assert outcome.summary["missing_files"] == 0
        assert not exists(media.id)


def test_stored_paths_escaping_the_media_root_are_refused_and_reported(app, media_root, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.jpg"
    secret.write_bytes(b"do not delete")
    (media_root / "results").mkdir()
    (media_root / "results/link.jpg").symlink_to(secret)
    with app.app_context():
        past = clock.now() - timedelta(seconds=1)
        dotdot = add_media("result", path="../outside/secret.jpg", write_file=False,
                           expires_at=past)
        absolute = add_media("result", path=str(secret), write_file=False, expires_at=past)
        symlink = add_media("result", path="results/link.jpg", write_file=False, expires_at=past)
        outcome = run_cleanup()
        refused = outcome.summary["refused"]
        assert refused["objects"] == 3
        assert {p["path"] for p in refused["paths"]} == {
            "../outside/secret.jpg", str(secret), "results/link.jpg"
        }
        assert outcome.summary["deleted"]["result"]["objects"] == 0
        assert secret.read_bytes() == b"do not delete"
        assert all(exists(m.id) for m in (dotdot, absolute, symlink))  # kept for inspection


def test_a_refused_thumbnail_keeps_itself_and_its_parent(app):
    with app.app_context():
        past = clock.now() - timedelta(seconds=1)
        parent = add_media("result", expires_at=past)
        thumb = add_media("thumbnail", parent=parent, path="../escaped-thumb.jpg",
                          write_file=False)
        outcome = run_cleanup()
        assert outcome.summary["refused"]["objects"] == 1
        assert [p["path"] for p in outcome.summary["refused"]["paths"]] == ["../escaped-thumb.jpg"]
        assert exists(parent.id) and exists(thumb.id)  # both kept for inspection


def test_pending_jobs_well_past_t_sync_become_abandoned_and_lose_their_inputs(app):
    with app.app_context():
        stuck = add_job("pending")
        done = add_job("done")
        stuck_input = add_media("input", job_id=stuck.id, expires_at=clock.now() + 24 * HOUR)
        clock.advance(timedelta(seconds=60) + timedelta(minutes=6))
        recent = add_job("pending", started_at=clock.now() - timedelta(seconds=30))
        outcome = run_cleanup()
        assert outcome.summary["jobs_abandoned"] == 1
        db.session.expire_all()
        stuck_row = db.session.get(JobHistory, stuck.id)
        assert (stuck_row.status, stuck_row.error_code) == ("error", "abandoned")
        assert stuck_row.finished_at is not None and stuck_row.finished_at >= stuck_row.started_at
        assert db.session.get(JobHistory, done.id).status == "done"
        assert db.session.get(JobHistory, recent.id).status == "pending"
        assert not exists(stuck_input.id)
        assert not store.resolve(stuck_input.path).exists()


def test_cleanup_reports_busy_while_another_holds_the_lock(app):
    with app.app_context():
        media = add_media("result", expires_at=clock.now() - timedelta(seconds=1))
        with cleanup_lock() as held:
            assert held
            busy = run_cleanup()
        assert busy.status == "busy"
        assert exists(media.id)
        assert run_cleanup().status == "ok"
        assert not exists(media.id)


def test_a_run_interrupted_midway_is_closed_and_the_next_run_finishes_the_job(app, media_root):
    with app.app_context():
        # What a crash between "rows committed" and "files unlinked" leaves behind.
        db.session.add(CleanupRun(status="running", actor="cli:photoslot"))
        db.session.commit()
        store.write_bytes("results/left-behind.jpg", JPEG)
        clock.advance(73 * HOUR)
        outcome = run_cleanup()
        assert outcome.summary["orphan_files"]["objects"] == 1
        assert not (media_root / "results/left-behind.jpg").exists()
        runs = db.session.scalars(select(CleanupRun).order_by(CleanupRun.id)).all()
        assert [r.status for r in runs] == ["error", "ok"]
        assert "interrupted" in runs[0].error


def test_each_run_is_recorded_for_last_successful_cleanup(app):
    with app.app_context():
        assert last_run() is None
        outcome = run_cleanup(actor=Actor("cli:ops"))
        record = last_run()
        assert record["id"] == outcome.run_id
        assert record["status"] == "ok" and record["actor"] == "cli:ops"
        assert record["finished_at"] >= record["started_at"]
        assert record["summary"]["duration_s"] >= 0


def test_every_run_logs_one_line_with_its_status_dry_run_and_summary(app):
    with logged_events("photoslot.services.cleanup") as events, app.app_context():
        add_media("result", expires_at=clock.now() - timedelta(seconds=1))
        dry, real = run_cleanup(dry_run=True), run_cleanup(actor=Actor("cli:ops"))
        with cleanup_lock():
            busy = run_cleanup()
    lines = [e for e in events if e.get("event") == "cleanup_run"]
    assert [(line["run_id"], line["status"], line["dry_run"]) for line in lines] == [
        (dry.run_id, "ok", True), (real.run_id, "ok", False), (busy.run_id, "busy", False)]
    assert lines[0]["deleted"]["result"]["objects"] == 1  # would delete
    assert lines[1]["deleted"] == real.summary["deleted"] and lines[1]["actor"] == "cli:ops"
    assert {"orphan_files", "orphan_rows", "jobs_abandoned", "duration_s"} <= set(lines[1])


def test_the_last_real_run_leaves_dry_runs_out(app):
    with app.app_context():
        real = run_cleanup(dry_run=False)
        run_cleanup(dry_run=True)
        assert last_run("ok")["summary"]["dry_run"] is True
        latest_real = last_run(None, real_only=True)
        assert latest_real["id"] == real.run_id and latest_real["summary"]["dry_run"] is False
        assert "error" not in latest_real
