"""Latency of the admin UI's pages under real gunicorn (gevent workers), 15 slots, 100 000 jobs.

Usage:
    .venv/bin/python bench/admin_ui.py [--requests 200] [--jobs 100000] [--days 30]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_db .venv/bin/python bench/admin_ui.py

Without DATABASE_URL it uses a temporary SQLite file (the embedded default). With DATABASE_URL
use a throwaway database: the script migrates it, seeds the 15 slots and ``--jobs`` job rows
over the last ``--days`` days (every done one with its result and thumbnail rows, so the board,
the recent results and the storage figures have real work; four booth names), three bound
templates, ``--audit`` journal records (slot changes with params diffs, sign-ins, rotations)
and a cleanup run, and removes its rows at the end. It signs in through the form (cookie
session) and times sequential requests: GET /healthz (the baseline) and each page and partial
an admin's browser asks for — dashboard, slot page, statistics (1 h, 24 h, 7 d), storage,
journal (first page, filtered, a deep page, a date range), settings — printing p50/p95/max and
each one's p95 as a multiple of the baseline's. Goal: every page < 300 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests
from flask_migrate import upgrade
from sqlalchemy import delete, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.server import (  # noqa: E402
    BENCH_PASSWORD,
    bench_env,
    measure,
    print_table,
    start_gunicorn,
)
from photoslot import clock, create_app  # noqa: E402
from photoslot.extensions import db  # noqa: E402
from photoslot.models import (  # noqa: E402
    SLOT_IDS,
    AuditLog,
    CleanupRun,
    JobHistory,
    MediaObject,
    SlotTemplateMedia,
)
from photoslot.models.base import new_uuid  # noqa: E402
from photoslot.services.cleanup.sweeps import empty_summary  # noqa: E402
from photoslot.services.slots.configure import seed_slots  # noqa: E402

DETAIL_SLOT = "slot-001"
STATUSES = ("done", "done", "done", "done", "done", "done", "done", "done", "timeout", "error")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per page")
    parser.add_argument("--jobs", type=int, default=100_000, help="job rows over all slots")
    parser.add_argument("--days", type=float, default=30, help="days the job rows span")
    parser.add_argument("--audit", type=int, default=20_000, help="journal records")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn gevent workers")
    return parser.parse_args()


def _media(kind: str, job_id: str | None, slot_id: str | None, created, expires=None,
           parent_id: str | None = None) -> dict:
    media_id = new_uuid()
    return {"id": media_id, "kind": kind, "path": f"{kind}s/bench-{media_id}.jpg",
            "mime": "image/jpeg", "size": 1000, "width": 640, "height": 480,
            "token": uuid.uuid4().hex, "created_at": created, "expires_at": expires,
            "slot_id": slot_id, "job_id": job_id, "parent_id": parent_id}


def audit_rows(count: int, days: float) -> list[dict]:
    """Journal records over ``days``: mostly slot changes (a params diff), some sign-ins and
    password rotations (masked), as two admins and the system make them."""
    now, rows = clock.now(), []
    for n in range(count):
        at = now - timedelta(seconds=(count - n) * days * 86400 / count)
        actor = ("serg", "igor", "system")[n % 3]
        if n % 10 == 0:
            rows.append({"at": at, "actor": actor, "action": "login", "entity": "admin",
                         "entity_id": actor, "changes": {"username": [None, actor],
                                                         "password": [None, "***"]}})
        elif n % 97 == 0:
            rows.append({"at": at, "actor": actor, "action": "settings_changed",
                         "entity": "setting", "entity_id": "ingest_password",
                         "changes": {"ingest_password": ["***", "***"]}})
        else:
            rows.append({"at": at, "actor": actor, "action": "slot.update", "entity": "slot",
                         "entity_id": SLOT_IDS[n % len(SLOT_IDS)], "changes": {
                             "params": [{"strength": n % 7 / 10, "delay_ms": 0},
                                        {"strength": (n + 1) % 7 / 10, "delay_ms": 0}]}})
    return rows


def seed(app, jobs: int, days: float, audit: int) -> list[str]:
    """``jobs`` job rows spread over the 15 slots and ``days``; results (+ thumbnails) for the
    done ones; three templates bound to the detail slot; ``audit`` journal records and one
    cleanup run. Returns the job ids."""
    now = clock.now()
    job_rows, media_rows = [], []
    for n in range(jobs):
        slot_id = SLOT_IDS[n % len(SLOT_IDS)]
        started = now - timedelta(seconds=n * days * 86400 / jobs)
        status = STATUSES[n % len(STATUSES)]
        job_id = new_uuid()
        job_rows.append({"id": job_id, "slot_id": slot_id, "provider": "local",
                         "operation": "sepia", "status": status, "started_at": started,
                         "finished_at": started, "provider_ms": 900, "total_ms": 1000,
                         "is_test": False, "client_meta": {"name": f"BOOTH-{n % 4}"}})
        if status == "done":
            result = _media("result", job_id, slot_id, started, started + timedelta(hours=72))
            media_rows += [result, _media("thumbnail", None, slot_id, started,
                                          parent_id=result["id"])]
    templates = [_media("template", None, None, now) for _ in range(3)]
    with app.app_context():
        upgrade()
        seed_slots()
        for start in range(0, len(job_rows), 2000):
            db.session.execute(insert(JobHistory), job_rows[start:start + 2000])
        for start in range(0, len(media_rows), 2000):
            db.session.execute(insert(MediaObject), media_rows[start:start + 2000])
        db.session.execute(insert(MediaObject), templates)
        journal = audit_rows(audit, days)
        for start in range(0, len(journal), 2000):
            db.session.execute(insert(AuditLog), journal[start:start + 2000])
        db.session.add(CleanupRun(started_at=now, finished_at=now, status="ok", actor="bench",
                                  summary=empty_summary(False)))
        db.session.execute(insert(SlotTemplateMedia), [
            {"slot_id": DETAIL_SLOT, "media_id": t["id"], "position": i}
            for i, t in enumerate(templates)])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does within a minute of a bulk load; without statistics the
            # planner guesses a few rows per table and picks poor plans.
            db.session.execute(text("ANALYZE job_history, media_object, audit_log"))
            db.session.commit()
    return [row["id"] for row in job_rows]


def unseed(app, job_ids: list[str], audit_after: int, cleanup_after: int) -> None:
    """Remove what ``seed`` and the timed requests added (on a shared PostgreSQL database)."""
    with app.app_context():
        db.session.execute(delete(SlotTemplateMedia)
                           .where(SlotTemplateMedia.slot_id == DETAIL_SLOT))
        db.session.execute(delete(MediaObject).where(MediaObject.path.like("%/bench-%")))
        for start in range(0, len(job_ids), 2000):
            db.session.execute(delete(JobHistory).where(
                JobHistory.id.in_(job_ids[start:start + 2000])))
        db.session.execute(delete(AuditLog).where(AuditLog.id > audit_after))
        db.session.execute(delete(CleanupRun).where(CleanupRun.id > cleanup_after))
        db.session.commit()


def days_ago(days: int) -> str:
    """The venue's date ``days`` ago (the bench runs with the default zone, Europe/Moscow)."""
    return (clock.now().astimezone(ZoneInfo("Europe/Moscow")) - timedelta(days=days)).date(
        ).isoformat()


def get(session: requests.Session, url: str, htmx: bool = False) -> Callable[[], requests.Response]:
    """A timed GET that must answer 200 (a redirect to the sign-in page would time nothing)."""
    headers = {"HX-Request": "true"} if htmx else {}

    def send() -> requests.Response:
        response = session.get(url, headers=headers, timeout=10, allow_redirects=False)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code} {response.text[:200]}")
        return response

    return send


def main() -> None:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="photoslot-bench-ui-"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.db'}"
    env = bench_env(database_url, workdir)
    app = create_app(env)
    with app.app_context():
        upgrade()
        audit_after = db.session.scalar(select(db.func.max(AuditLog.id))) or 0
        cleanup_after = db.session.scalar(select(db.func.max(CleanupRun.id))) or 0
    job_ids = seed(app, args.jobs, args.days, args.audit)
    with app.app_context():
        middle = db.session.scalar(select(AuditLog.id).where(AuditLog.id > audit_after)
                                   .order_by(AuditLog.id).offset(args.audit // 2).limit(1))
        result_job = db.session.scalar(select(MediaObject.job_id).where(
            MediaObject.kind == "result", MediaObject.slot_id == DETAIL_SLOT).limit(1))
    process, base = start_gunicorn(env, args.workers, workdir / "gunicorn.log")
    try:
        with requests.Session() as session, requests.Session() as anonymous:
            credentials = {"username": "serg", "password": BENCH_PASSWORD}
            signed_in = session.post(f"{base}/admin/login", data=credentials,
                                     allow_redirects=False, timeout=10)
            assert signed_in.status_code == 303, signed_in.text[:300]
            slot = f"{base}/admin/slots/{DETAIL_SLOT}"
            pages = {
                "GET /healthz (baseline)": get(anonymous, f"{base}/healthz"),
                "GET /admin/login": get(anonymous, f"{base}/admin/login"),
                "GET /admin/ (dashboard)": get(session, f"{base}/admin/"),
                "GET /admin/ (htmx poll)": get(session, f"{base}/admin/", htmx=True),
                f"GET {slot.removeprefix(base)}": get(session, slot),
                "GET …/params (htmx)": get(session, f"{slot}/params?provider=gemini", htmx=True),
                "GET …/results (htmx)": get(session, f"{slot}/results", htmx=True),
                "GET /admin/results/…/qr.svg": get(
                    session, f"{base}/admin/results/{result_job}/qr.svg"),
                "GET /admin/stats (24 h)": get(session, f"{base}/admin/stats"),
                "GET /admin/stats?window=1h": get(session, f"{base}/admin/stats?window=1h"),
                "GET /admin/stats?window=7d": get(session, f"{base}/admin/stats?window=7d"),
                "GET …?window=7d (htmx)": get(session, f"{base}/admin/stats?window=7d",
                                               htmx=True),
                "GET /admin/storage": get(session, f"{base}/admin/storage"),
                "GET /admin/journal": get(session, f"{base}/admin/journal"),
                "GET /admin/journal (slot, igor)": get(
                    session, f"{base}/admin/journal?entity=slot&actor=igor"),
                "GET /admin/journal (deep page)": get(
                    session, f"{base}/admin/journal?before={middle}"),
                "GET /admin/journal (2 days)": get(
                    session, f"{base}/admin/journal?date_from={days_ago(3)}"
                             f"&date_to={days_ago(2)}"),
                "GET /admin/settings": get(session, f"{base}/admin/settings"),
            }
            results = {name: measure(send, args.requests, args.warmup)
                       for name, send in pages.items()}
    finally:
        process.terminate()
        process.wait(timeout=15)
        if os.environ.get("DATABASE_URL"):
            unseed(app, job_ids, audit_after, cleanup_after)
    engine = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    print(f"{engine}, gunicorn {args.workers} gevent workers, {args.requests} sequential requests "
          f"per page, 15 slots, {args.jobs} job rows over {args.days:g} days, "
          f"{args.audit} journal records")
    print_table(results, "GET /healthz (baseline)", width=32)


if __name__ == "__main__":
    main()
