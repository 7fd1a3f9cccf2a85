"""Latency of the admin slot API under real gunicorn (gevent workers) on PostgreSQL.

Usage:
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_db \\
        .venv/bin/python bench/admin_crud.py [--requests 500] [--jobs-per-slot 200]

Use a throwaway database: the script migrates it, seeds the 15 slots, adds job and result rows
(removed again at the end) and serves it with `gunicorn -c gunicorn.conf.py` on a free port.
It prints p50/p95/max of GET /healthz (the baseline), GET /api/slots, GET /api/slots/{id} and
PUT /api/slots/{id} (alternating two configurations, each with the version the previous answer
returned), measured sequentially in the same run, and each endpoint's ratio to the baseline.
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import requests
from flask_jwt_extended import create_access_token
from flask_migrate import upgrade
from PIL import Image
from sqlalchemy import delete, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from photoslot import clock, create_app  # noqa: E402
from photoslot.extensions import db  # noqa: E402
from photoslot.models import SLOT_IDS, AuditLog, JobHistory, MediaObject  # noqa: E402
from photoslot.models.base import new_uuid  # noqa: E402
from photoslot.passwords import hash_password  # noqa: E402
from photoslot.services.media import store  # noqa: E402
from photoslot.services.slots.configure import seed_slots  # noqa: E402

DETAIL_SLOT = "slot-001"
PUT_CONFIGS = (
    {"operation": "sepia", "params": {"strength": 0.5}, "name": "Bench sepia"},
    {"operation": "grayscale", "params": {}, "name": "Bench grayscale"},
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=500, help="timed requests per endpoint")
    parser.add_argument("--warmup", type=int, default=30, help="untimed requests per endpoint")
    parser.add_argument("--jobs-per-slot", type=int, default=200, help="job rows per slot")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn gevent workers")
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def png(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise(size, 40).convert("RGB").save(buffer, "PNG")
    return buffer.getvalue()


def seed(app, jobs_per_slot: int) -> list[str]:
    """Jobs over the last 48 h on every slot, and 12 results with files on the detail slot."""
    job_ids: list[str] = []
    now = clock.now()
    statuses = ("done", "done", "done", "error", "timeout")
    with app.app_context():
        upgrade()
        seed_slots()
        for slot_id in SLOT_IDS:
            for n in range(jobs_per_slot):
                started = now - timedelta(minutes=n * 48 * 60 // jobs_per_slot)
                job = JobHistory(id=new_uuid(), slot_id=slot_id, provider="local",
                                 operation="grayscale", status=statuses[n % len(statuses)],
                                 started_at=started, finished_at=started,
                                 client_meta={"bench": True})
                db.session.add(job)
                job_ids.append(job.id)
        db.session.flush()
        data = png((1024, 768))
        for job_id in job_ids[:jobs_per_slot][:60:5]:  # every 5th job of slot-001 is done
            media_id = new_uuid()
            path = store.relative_path("result", media_id, "image/png")
            store.write_bytes(path, data)
            db.session.add(MediaObject(id=media_id, kind="result", path=path, mime="image/png",
                                       size=len(data), width=1024, height=768, slot_id=DETAIL_SLOT,
                                       job_id=job_id, expires_at=now + timedelta(hours=72)))
        db.session.commit()
    return job_ids


def unseed(app, job_ids: list[str], audit_after: int) -> None:
    with app.app_context():
        db.session.execute(delete(AuditLog).where(AuditLog.id > audit_after))
        media = db.session.scalars(
            select(MediaObject.path).where(MediaObject.job_id.in_(job_ids))
        ).all()
        db.session.execute(delete(MediaObject).where(MediaObject.job_id.in_(job_ids)))
        db.session.execute(delete(JobHistory).where(JobHistory.id.in_(job_ids)))
        db.session.commit()
        for path in media:
            store.delete_file(path)


def start_gunicorn(env: dict[str, str], workers: int,
                   log_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    full_env = {**os.environ, **env, "PHOTOSLOT_BIND": f"127.0.0.1:{port}",
                "PHOTOSLOT_WORKERS": str(workers),
                "PROMETHEUS_MULTIPROC_DIR": str(log_path.parent / "prometheus")}
    log = open(log_path, "wb")  # noqa: SIM115  (kept open for the server's lifetime)
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
                               cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited early; see {log_path}")
        try:
            if requests.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return process, base_url
        except requests.RequestException:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit(f"gunicorn did not come up; see {log_path}")


def measure(send: Callable[[], requests.Response], count: int, warmup: int) -> list[float]:
    """Sequential request latencies in milliseconds (after ``warmup`` untimed requests)."""
    for _ in range(warmup):
        send().raise_for_status()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        response = send()
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return samples


def getter(session: requests.Session, url: str,
           headers: dict[str, str]) -> Callable[[], requests.Response]:
    return lambda: session.get(url, headers=headers, timeout=10)


def putter(session: requests.Session, url: str,
           headers: dict[str, str]) -> Callable[[], requests.Response]:
    """PUT the two configurations in turn, each time with the version the last answer gave."""
    state = {"version": session.get(url, headers=headers, timeout=10).json()["version"], "n": 0}

    def send() -> requests.Response:
        body = {**PUT_CONFIGS[state["n"] % 2], "version": state["version"]}
        response = session.put(url, json=body, headers=headers, timeout=10)
        if response.ok:
            state["version"] = response.json()["version"]
        state["n"] += 1
        return response

    return send


def percentile(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def main() -> None:
    args = parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgresql"):
        raise SystemExit("set DATABASE_URL to a throwaway PostgreSQL database")
    workdir = Path(tempfile.mkdtemp(prefix="photoslot-bench-"))
    env = {
        "DATABASE_URL": database_url,
        "PHOTOSLOT_MEDIA_ROOT": str(workdir / "media"),
        "PHOTOSLOT_SECRET_KEY": "bench-secret-key-0123456789-0123456789-0123456789",
        "PHOTOSLOT_ADMINS": f"serg:{hash_password('bench-password')}",
        "PHOTOSLOT_PUBLIC_BASE_URL": "http://bench.test",
    }
    app = create_app(env)
    job_ids = seed(app, args.jobs_per_slot)
    with app.app_context():
        token = create_access_token("serg", additional_claims={"permissions": ["slots:write"]})
        audit_after = db.session.scalar(select(db.func.max(AuditLog.id))) or 0
    headers = {"Authorization": f"Bearer {token}"}
    process, base_url = start_gunicorn(env, args.workers, workdir / "gunicorn.log")
    try:
        with requests.Session() as session:
            slot_url = f"{base_url}/api/slots/{DETAIL_SLOT}"
            senders = {
                "GET /healthz (baseline)": getter(session, f"{base_url}/healthz", {}),
                "GET /api/slots": getter(session, f"{base_url}/api/slots", headers),
                f"GET /api/slots/{DETAIL_SLOT}": getter(session, slot_url, headers),
                f"PUT /api/slots/{DETAIL_SLOT}": putter(session, slot_url, headers),
            }
            results = {name: measure(send, args.requests, args.warmup)
                       for name, send in senders.items()}
    finally:
        process.terminate()
        process.wait(timeout=15)
        unseed(app, job_ids, audit_after)
    print(f"PostgreSQL, gunicorn {args.workers} gevent workers, {args.requests} sequential "
          f"requests per endpoint, {args.jobs_per_slot * len(SLOT_IDS)} job rows")
    print_table(results, "GET /healthz (baseline)")


def print_table(results: dict[str, list[float]], baseline: str) -> None:
    """p50, p95 and max of each endpoint's latencies, and its p95 relative to ``baseline``'s."""
    width = max(len(name) for name in results)
    print(f"{'endpoint':{width}} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'p95/baseline':>13}")
    for name, samples in results.items():
        ratio = percentile(samples, 95) / percentile(results[baseline], 95)
        print(f"{name:{width}} {percentile(samples, 50):8.2f} {percentile(samples, 95):8.2f} "
              f"{max(samples):8.2f} {ratio:12.1f}x")


if __name__ == "__main__":
    main()
