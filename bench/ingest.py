"""Ingest under concurrency: N simultaneous booth uploads to a `local` slot with `delay_ms`.

Starts a real gunicorn (gevent workers) on a free port, prepares the database (migrations, the
15 slots, the ingest password, slot-003 = local/grayscale with ``delay_ms``), then measures:

1. baseline — a few of the same requests sent one after another (no concurrency);
2. burst — N of them at once;
3. overhead — N at once with ``delay_ms=0`` (what the gateway itself costs).

It prints throughput, p50/p95 and the ratios burst/baseline. Nothing is asserted.

    .venv/bin/python bench/ingest.py --database-url postgresql://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/ingest.py --requests 30 --delay-ms 2000 --workers 2

The database is modified (slot-003, the ingest password, job rows): use a scratch database.
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
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.server import booth_form  # noqa: E402

PASSWORD = "bench-ingest-password"
BOUNDARY = "----------------------bench0123456789"


def main() -> None:
    args = parse_args()
    work = Path(tempfile.mkdtemp(prefix="photoslot-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url or f"sqlite:///{work / 'bench.db'}",
        "PHOTOSLOT_MEDIA_ROOT": str(work / "media"),
        "PHOTOSLOT_SECRET_KEY": "bench-secret-key-0123456789-0123456789-0123456789",
        "PHOTOSLOT_PUBLIC_BASE_URL": "http://bench.local",
        "PHOTOSLOT_WORKERS": str(args.workers),
        "PROMETHEUS_MULTIPROC_DIR": str(work / "prom"),
    }
    env["PHOTOSLOT_ADMINS"] = prepare(env, args.delay_ms)
    port = free_port()
    env["PHOTOSLOT_BIND"] = f"127.0.0.1:{port}"
    log = open(work / "gunicorn.log", "wb")  # noqa: SIM115
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base)
        body = booth_body(args.photo_side)
        send(base, body, 1)  # warm-up: imports, the argon2 check cached per worker
        baseline = [one(base, body) for _ in range(args.baseline)]
        burst_wall, burst = concurrently(base, body, args.requests)
        prepare_delay(env, 0)
        overhead_wall, overhead = concurrently(base, body, args.requests)
    finally:
        server.terminate()
        server.wait(15)
        log.close()
    report(args, baseline, burst_wall, burst, overhead_wall, overhead, work)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=30, help="concurrent ingests (30)")
    parser.add_argument("--delay-ms", type=int, default=2000, help="local provider delay (2000)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn gevent workers (2)")
    parser.add_argument("--baseline", type=int, default=5, help="sequential requests (5)")
    parser.add_argument("--photo-side", type=int, default=1200, help="photo width in px (1200)")
    parser.add_argument("--database-url", help="scratch database (default: SQLite in a temp dir)")
    return parser.parse_args()


def prepare(env: dict[str, str], delay_ms: int) -> str:
    """Migrate, seed, set the password, configure slot-003; return the admins variable."""
    from photoslot.passwords import hash_password
    from photoslot.services.audit import Actor

    admins = f"serg:{hash_password('bench-admin-password')}"
    env["PHOTOSLOT_ADMINS"] = admins
    from flask_migrate import upgrade

    from photoslot import create_app
    from photoslot.extensions import db
    from photoslot.services.settings import set_ingest_password
    from photoslot.services.slots.configure import seed_slots

    app = create_app(env)
    with app.app_context():
        upgrade()
        seed_slots()
        set_ingest_password(PASSWORD, actor=Actor("bench"))
        db.session.commit()
    prepare_delay(env, delay_ms)
    return admins


def prepare_delay(env: dict[str, str], delay_ms: int) -> None:
    from photoslot import create_app
    from photoslot.services.audit import SYSTEM
    from photoslot.services.slots.configure import update_slot

    with create_app(env).app_context():
        update_slot("slot-003", {"provider": "local", "operation": "grayscale",
                                 "params": {"delay_ms": delay_ms}, "enabled": True},
                    actor=SYSTEM)


def booth_body(side: int) -> bytes:
    image = Image.effect_noise((side, side * 2 // 3), 64).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return booth_form(out.getvalue(), PASSWORD, BOUNDARY)


def send(base: str, body: bytes, count: int) -> None:
    for _ in range(count):
        one(base, body)


def one(base: str, body: bytes) -> float:
    started = time.perf_counter()
    response = requests.post(f"{base}/api/ingest/slot-003", data=body, timeout=120,
                             headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"ingest answered {response.status_code}: {response.text[:300]}")
    return elapsed


def concurrently(base: str, body: bytes, count: int) -> tuple[float, list[float]]:
    barrier = threading.Barrier(count)

    def task(_: int) -> float:
        barrier.wait()
        return one(base, body)

    started = time.perf_counter()
    with ThreadPoolExecutor(count) as pool:
        latencies = list(pool.map(task, range(count)))
    return time.perf_counter() - started, latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(args, baseline, burst_wall, burst, overhead_wall, overhead, work: Path) -> None:
    seq_throughput = len(baseline) / sum(baseline)
    burst_throughput = len(burst) / burst_wall
    print(f"gunicorn: {args.workers} gevent workers; local/grayscale, photo {args.photo_side}px, "
          f"delay_ms={args.delay_ms}; log in {work / 'gunicorn.log'}")
    print(f"baseline  sequential x{len(baseline)}: p50 {statistics.median(baseline):.3f}s  "
          f"throughput {seq_throughput:.2f} req/s")
    print(f"burst     concurrent x{len(burst)}: p50 {percentile(burst, 50):.3f}s  "
          f"p95 {percentile(burst, 95):.3f}s  max {max(burst):.3f}s  "
          f"throughput {burst_throughput:.2f} req/s  (wall {burst_wall:.2f}s)")
    print(f"overhead  concurrent x{len(overhead)}, delay_ms=0: p50 {percentile(overhead, 50):.3f}s"
          f"  p95 {percentile(overhead, 95):.3f}s  throughput {len(overhead) / overhead_wall:.2f}"
          " req/s")
    print(f"ratio     throughput burst/baseline {burst_throughput / seq_throughput:.1f}x "
          f"(ideal {len(burst)}x);  p95 burst / p50 baseline "
          f"{percentile(burst, 95) / statistics.median(baseline):.2f} (ideal 1.00)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(base: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not come up")


if __name__ == "__main__":
    main()
