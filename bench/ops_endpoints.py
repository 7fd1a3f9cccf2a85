"""Scrape time of GET /metrics and answer time of GET /api/stats with 100 000 job and media rows.

Usage:
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/<scratch> \\
        .venv/bin/python bench/ops_endpoints.py [--jobs 100000] [--media 100000] [--requests 100]

Without DATABASE_URL it uses a temporary SQLite file. Use a throwaway database: the script
migrates it, seeds the slots, adds the job, media, rejection and cleanup rows, and empties those
tables again at the end. It serves the database with `gunicorn -c gunicorn.conf.py` (gevent
workers, PHOTOSLOT_METRICS_CACHE_S=0 so every scrape reads the database and statvfs) and measures
sequential requests: GET /healthz (the baseline), GET /readyz, GET /metrics and GET /api/stats
(24 h grouped three ways, one slot, 7 d, and 30 d — every job row in the window). Goals: /metrics
< 50 ms, /api/stats < 200 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import requests
from flask_migrate import upgrade
from sqlalchemy import delete, insert, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.admin_crud import getter  # noqa: E402
from bench.server import measure, print_table, start_gunicorn  # noqa: E402
from photoslot import clock, create_app  # noqa: E402
from photoslot.blueprints.guards import issue_token  # noqa: E402
from photoslot.extensions import db  # noqa: E402
from photoslot.models import (  # noqa: E402
    SLOT_IDS,
    CleanupRun,
    IngestRejection,
    JobHistory,
    MediaObject,
)
from photoslot.models.base import new_uuid  # noqa: E402
from photoslot.models.media import new_token  # noqa: E402
from photoslot.passwords import hash_password  # noqa: E402
from photoslot.services.cleanup.sweeps import empty_summary  # noqa: E402
from photoslot.services.slots.configure import seed_slots  # noqa: E402

BATCH = 5000
PROVIDERS = ("local", "gemini", "turbotext")
BOOTHS = [f"BOOTH-{n:02d}" for n in range(1, 21)]
# done 90 %, timeout 4 %, provider error 3 %, gateway error 1 %, pending 2 %
OUTCOMES = ["done"] * 90 + ["timeout"] * 4 + ["error"] * 4 + ["pending"] * 2
KINDS = ["result"] * 40 + ["thumbnail"] * 40 + ["input"] * 15 + ["template"] * 5


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=100_000, help="job_history rows")
    parser.add_argument("--days", type=float, default=30,
                        help="the jobs are spread over this many days before now")
    parser.add_argument("--media", type=int, default=100_000, help="media_object rows")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per endpoint")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests per endpoint")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn gevent workers")
    return parser.parse_args()


def seed(app, jobs: int, media: int, days: float) -> None:
    """Jobs spread over the last ``days``, media of every kind, rejections, 200 cleanup runs."""
    rng = random.Random(12)
    now = clock.now()
    with app.app_context():
        upgrade()
        seed_slots()
        rows = []
        for n in range(jobs):
            status = rng.choice(OUTCOMES)
            started = now - timedelta(seconds=rng.uniform(60, days * 24 * 3600 - 60))
            total = None if status == "pending" else rng.randint(300, 62_000)
            rows.append({
                "id": new_uuid(), "slot_id": SLOT_IDS[n % len(SLOT_IDS)],
                "provider": PROVIDERS[n % len(PROVIDERS)], "operation": "op", "status": status,
                "error_code": {"timeout": "provider_timeout", "error": "provider_error"}.get(
                    status), "started_at": started, "finished_at": started, "total_ms": total,
                "provider_ms": None if total is None else max(0, total - rng.randint(20, 400)),
                "is_test": n % 200 == 0, "client_meta": {"name": rng.choice(BOOTHS)}})
        _insert(JobHistory, rows)
        _insert(MediaObject, [{
            "id": new_uuid(), "kind": rng.choice(KINDS), "path": f"bench/{n}.jpg",
            "mime": "image/jpeg", "size": rng.randint(20_000, 3_000_000), "token": new_token(),
            "created_at": now, "expires_at": now + timedelta(hours=72)} for n in range(media)])
        _insert(IngestRejection, [{
            "minute": (now - timedelta(minutes=n)).replace(second=0, microsecond=0),
            "slot_id": SLOT_IDS[n % len(SLOT_IDS)], "provider": "local",
            "code": "invalid_ingest_password", "count": rng.randint(1, 5)} for n in range(1440)])
        summary = empty_summary(dry_run=False)
        _insert(CleanupRun, [{"started_at": now - timedelta(minutes=15 * n),
                              "finished_at": now - timedelta(minutes=15 * n), "status": "ok",
                              "actor": "cli:bench", "summary": summary} for n in range(200)])
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does soon after a bulk load: planner statistics, visibility map.
            with db.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                    text("VACUUM ANALYZE"))


def _insert(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(model), rows[start:start + BATCH])
    db.session.commit()


def unseed(app) -> None:
    """Empty the seeded tables (TRUNCATE on PostgreSQL: no dead rows for the next run)."""
    tables = [m.__table__ for m in (MediaObject, JobHistory, IngestRejection, CleanupRun)]
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            names = ", ".join(table.name for table in tables)
            db.session.execute(text(f"TRUNCATE {names} CASCADE"))
        else:
            for table in tables:
                db.session.execute(delete(table))
        db.session.commit()


def main() -> None:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="photoslot-bench-ops-"))
    (workdir / "media").mkdir()
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.db'}"
    env = {
        "DATABASE_URL": database_url,
        "PHOTOSLOT_MEDIA_ROOT": str(workdir / "media"),
        "PHOTOSLOT_SECRET_KEY": "bench-secret-key-0123456789-0123456789-0123456789",
        "PHOTOSLOT_ADMINS": f"serg:{hash_password('bench-password')}",
        "PHOTOSLOT_PUBLIC_BASE_URL": "http://bench.test",
        "PHOTOSLOT_METRICS_CACHE_S": "0",
    }
    app = create_app(env)
    seed(app, args.jobs, args.media, args.days)
    with app.app_context():
        headers = {"Authorization": f"Bearer {issue_token('serg', ['stats:read'])}"}
    process, base_url = start_gunicorn(env, args.workers, workdir / "gunicorn.log")
    try:
        with requests.Session() as session:
            stats = f"{base_url}/api/stats"
            senders = {
                "GET /healthz (baseline)": getter(session, f"{base_url}/healthz", {}),
                "GET /readyz": getter(session, f"{base_url}/readyz", {}),
                "GET /metrics": getter(session, f"{base_url}/metrics", {}),
                "GET /api/stats (24h, slot)": getter(session, stats, headers),
                "GET /api/stats (24h, provider)": getter(session, f"{stats}?group=provider",
                                                          headers),
                "GET /api/stats (24h, booth)": getter(session, f"{stats}?group=booth", headers),
                "GET /api/stats (24h, slot-001)": getter(session, f"{stats}?slot=slot-001",
                                                          headers),
                "GET /api/stats (7d, slot)": getter(session, f"{stats}?window=7d", headers),
                "GET /api/stats (30d, slot)": getter(session, f"{stats}?window=30d", headers),
                "GET /api/stats (30d, booth)": getter(session, f"{stats}?window=30d&group=booth",
                                                      headers),
            }
            results = {name: measure(send, args.requests, args.warmup)
                       for name, send in senders.items()}
    finally:
        process.terminate()
        process.wait(timeout=15)
        unseed(app)
    shutil.rmtree(workdir)  # kept (with gunicorn.log) when something failed
    print(f"{'PostgreSQL' if database_url.startswith('postgresql') else 'SQLite'}, gunicorn "
          f"{args.workers} gevent workers, {args.requests} sequential requests per endpoint, "
          f"{args.jobs} job rows over {args.days:g} days, {args.media} media rows; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print_table(results, "GET /healthz (baseline)")


if __name__ == "__main__":
    main()
