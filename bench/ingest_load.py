"""Ingest under load with a Gemini slot: what the gateway itself costs, against the provider alone.

Starts a real gunicorn (gevent workers, ``gunicorn.conf.py``) on PostgreSQL and the Gemini fake
from ``tests/fakes`` in its own process, answering a fixed 1024x1024 PNG after a fixed delay. The
booth's photo is an ~8 MB, 24 Mpx JPEG generated at run time (nothing binary is committed). Then:

1. ``single``: one ingest at a time with a 0 ms provider, against the same photo sent straight
   to the fake as Gemini's inline data (what a booth talking to Gemini itself would send);
2. ``20 Mbit/s`` (``--upload-mbit``): five ingests, each body sent at a venue's uplink rate
   (about 3.5 s for the photo), 0 ms provider: the time from the last byte to the answer;
3. ``N at once`` (30, 100, 200; ``--quick``: 30) with a 10 s provider.

For each: HTTP status counts, total p50/p95/max, the gateway's own share (``Server-Timing:
gateway``, i.e. total minus the provider call) p50/p95, the bytes each generateContent request
carried, the workers' peak RSS (summed) and the CPU time they spent per ingest (a figure that
does not depend on what else shares the machine). The table is printed; JSON and a PNG plot go
to ``bench/results/``. Nothing is asserted.

The floor: before the server starts, the image work no gateway can skip is timed in this
process with Pillow alone (none of PhotoSlot's code, so it is the same whatever ``--app-dir``
serves): reading all of the photo's entropy-coded data at JPEG's cheapest DCT scale (1/8),
decoding the provider's PNG and encoding it as the booth's JPEG. One ingest's gateway share
cannot be below their sum; of N at once, the k-th answer cannot be before k photos were read
with every core busy, so the floor of the gateway share's p95 is ``k × read / cores + decode +
encode`` for the k of that percentile. Each case prints its gateway figure ÷ its floor.

    .venv/bin/python bench/ingest_load.py --quick
    .venv/bin/python bench/ingest_load.py --label after
    .venv/bin/python bench/ingest_load.py --app-dir /work/base-checkout --label before
    .venv/bin/python bench/ingest_load.py --plot bench/results/ingest_load-before.json \\
        bench/results/ingest_load-after.json

``--app-dir`` serves another checkout of PhotoSlot (e.g. an older commit) with the same fake,
photo and client, so its figures and these are comparable. The database is emptied first
(``DROP SCHEMA public``): use a scratch database. The plot needs matplotlib
(``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # bench.server and tests.fakes; --prepare puts --app-dir first

from bench.server import booth_form, free_port, start_gunicorn  # noqa: E402

RESULTS = ROOT / "bench" / "results"
DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/bench"
PASSWORD = "bench-ingest-password"
API_KEY = "bench-gemini-key"
PROMPT = "turn the guests into comic heroes"
BOUNDARY = "----------------------bench0123456789"
SLOT = "slot-003"
MODEL = "gemini-2.5-flash-image"


def main() -> None:
    args = parse_args()
    if args.prepare:
        return prepare(args)
    if args.serve_fake:
        return serve_fake(args.serve_fake)
    if args.plot:
        runs = [json.loads(Path(name).read_text()) for name in args.plot]
        print(f"plot: {plot(runs, RESULTS / 'ingest_load.png')}")
        return
    run(args)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_DB),
                        help=f"scratch PostgreSQL database, emptied first ({DEFAULT_DB})")
    parser.add_argument("--app-dir", type=Path, default=ROOT,
                        help="the PhotoSlot checkout to serve (this one)")
    parser.add_argument("--label", default="run", help="names the JSON file (run)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn gevent workers (2)")
    parser.add_argument("--quick", action="store_true", help="30 at once only (< 3 min)")
    parser.add_argument("--sizes", default="30,100,200", help="concurrent ingests (30,100,200)")
    parser.add_argument("--provider-ms", type=int, default=10_000, help="fake latency under load")
    parser.add_argument("--single", type=int, default=10, help="sequential samples (10)")
    parser.add_argument("--upload-mbit", type=float, default=20,
                        help="also 5 ingests with the body sent at this rate, like a venue's "
                             "uplink (20; 0 skips)")
    parser.add_argument("--photo-mb", type=float, default=8.0, help="size of the JPEG original")
    parser.add_argument("--max-input-side", type=int, default=None,
                        help="set the slot's max_input_side (default: the provider's default)")
    parser.add_argument("--plot", nargs="+", metavar="JSON", help="only plot these results")
    parser.add_argument("--prepare", help=argparse.SUPPRESS)  # internal: JSON of settings
    parser.add_argument("--serve-fake", help=argparse.SUPPRESS)  # internal: port,answer path
    return parser.parse_args()


# --- the measured run ------------------------------------------------------------------------


def run(args: argparse.Namespace) -> None:
    sizes = [30] if args.quick else [int(n) for n in args.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="photoslot-ingest-load-"))
    photo = camera_photo(args.photo_mb)
    answer = fixed_answer()
    (work / "answer.png").write_bytes(answer)
    print(f"photo {len(photo) / 1e6:.2f} MB JPEG 6000x4000; provider answer "
          f"{len(answer) / 1e6:.2f} MB PNG 1024x1024; work dir {work}", flush=True)
    floor = image_floor(photo, answer)
    print(f"floor (ms, this process, nothing else running yet): read the photo "
          f"{floor['read_photo_ms']:.0f}, decode the answer {floor['decode_answer_ms']:.0f}, "
          f"encode the booth's JPEG {floor['encode_result_ms']:.0f}", flush=True)
    fake_port = free_port()
    # At a lower CPU priority: on a shared machine the provider's work must not be the gateway's.
    fake = subprocess.Popen(["nice", "-n", "10", sys.executable, __file__, "--serve-fake",
                             f"{fake_port},{work / 'answer.png'}"],
                            stdout=open(work / "fake.log", "wb"),  # noqa: SIM115
                            stderr=subprocess.STDOUT)
    fake_url = f"http://127.0.0.1:{fake_port}"
    env = app_env(args, work, fake_url)
    reset_database(args.database_url)
    subprocess.run([sys.executable, __file__, "--app-dir", str(args.app_dir), "--prepare",
                    json.dumps({"max_input_side": args.max_input_side})],
                   env={**os.environ, **env, "PYTHONPATH": str(args.app_dir)}, check=True)
    server, base = start_gunicorn(env, args.workers, work / "gunicorn.log", app_dir=args.app_dir)
    results: dict = {
        "label": args.label, "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(), "app_commit": commit_of(args.app_dir),
        "command": " ".join(sys.argv), "photo_bytes": len(photo), "answer_bytes": len(answer),
        "workers": args.workers, "floor": floor, "cases": [],
    }
    try:
        body = booth_form(photo, PASSWORD, BOUNDARY)
        direct = direct_request(photo)
        set_fake(fake_url, "latency=0")
        with ThreadPoolExecutor(8) as pool:  # warm-up: imports, connections, each worker's
            list(pool.map(lambda _: ingest(base, body), range(8)))  # password check
        results["cases"].append(single(base, body, fake_url, direct, args.single, server))
        add_floor(results["cases"][-1], floor)
        print_case(results["cases"][-1])
        if args.upload_mbit:
            results["cases"].append(paced(base, body, fake_url, args.upload_mbit, server))
            print_case(results["cases"][-1])
        set_fake(fake_url, f"latency={args.provider_ms}")
        for count in sizes:
            results["cases"].append(at_once(base, body, fake_url, count, args.provider_ms,
                                            server))
            add_floor(results["cases"][-1], floor)
            print_case(results["cases"][-1])
    finally:
        server.terminate()
        server.wait(30)
        fake.terminate()
        fake.wait(10)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"ingest_load-{args.label}.json"
    out.write_text(json.dumps(results, indent=1) + "\n")
    print_table(results)
    print(f"results: {out}")
    try:
        print(f"plot: {plot([results], RESULTS / f'ingest_load-{args.label}.png')}")
    except ImportError:
        print("plot skipped: matplotlib is not installed (pip install -e '.[bench]')")


def single(base: str, body: bytes, fake_url: str, direct: bytes, count: int,
           server: subprocess.Popen) -> dict:
    """``count`` ingests one after another, then as many straight calls to the fake."""
    reset_fake(fake_url)
    with WorkerSampler(server.pid) as workers:
        samples = [ingest(base, body) for _ in range(count)]
    bytes_sent = fake_stats(fake_url)["bytes"]
    straight = []
    for _ in range(count):
        started = time.perf_counter()
        response = _session().post(f"{fake_url}/v1beta/models/{MODEL}:generateContent",
                                   data=direct, timeout=60,
                                   headers={"Content-Type": "application/json",
                                            "x-goog-api-key": API_KEY})
        straight.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    case = summarize("single", samples, bytes_sent, workers, provider_ms=0)
    case["straight_ms"] = {"p50": statistics.median(straight), "max": max(straight)}
    case["straight_request_bytes"] = len(direct)
    case["total_vs_straight"] = case["total_ms"]["p50"] / statistics.median(straight)
    return case


def paced(base: str, body: bytes, fake_url: str, mbit: float, server: subprocess.Popen,
          count: int = 5) -> dict:
    """``count`` ingests one after another, each body sent at ``mbit`` Mbit/s like a venue's
    uplink: what the booth waits for after its last byte is sent."""
    reset_fake(fake_url)
    with WorkerSampler(server.pid) as workers:
        samples = [ingest(base, body, pace_mbit=mbit) for _ in range(count)]
    case = summarize(f"{mbit:g} Mbit/s", samples, fake_stats(fake_url)["bytes"], workers,
                     provider_ms=0)
    case["after_last_byte_ms"] = quantiles([s["after_last_byte_ms"] for s in samples])
    return case


class PacedBody:
    """A request body handed to the socket at ``mbit`` Mbit/s; ``last_byte_at``: when its last
    byte was (``time.perf_counter``)."""

    def __init__(self, body: bytes, mbit: float):
        self.body = memoryview(body)
        self.bytes_per_s = mbit * 1e6 / 8
        self.position = 0
        self.started: float | None = None
        self.last_byte_at: float | None = None

    def __len__(self) -> int:  # requests sends a Content-Length, as the booth does
        return len(self.body)

    def read(self, size: int = -1) -> bytes:
        if self.started is None:
            self.started = time.perf_counter()
        size = 64 * 1024 if size is None or size < 0 else min(size, 64 * 1024)
        delay = self.started + self.position / self.bytes_per_s - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        chunk = bytes(self.body[self.position:self.position + size])
        self.position += len(chunk)
        if self.position >= len(self.body) and self.last_byte_at is None:
            self.last_byte_at = time.perf_counter()
        return chunk


def at_once(base: str, body: bytes, fake_url: str, count: int, provider_ms: int,
            server: subprocess.Popen) -> dict:
    """``count`` ingests released together."""
    reset_fake(fake_url)
    barrier = threading.Barrier(count)

    def task(_: int) -> dict:
        barrier.wait()
        return ingest(base, body)

    with WorkerSampler(server.pid) as workers, ThreadPoolExecutor(count) as pool:
        samples = list(pool.map(task, range(count)))
    return summarize(f"{count} at once", samples, fake_stats(fake_url)["bytes"], workers,
                     provider_ms=provider_ms)


def ingest(base: str, body: bytes, pace_mbit: float | None = None) -> dict:
    """One booth upload: status, total ms, and the provider/gateway split of Server-Timing;
    ``pace_mbit``: the body sent at that rate, and the ms from its last byte to the answer."""
    data = PacedBody(body, pace_mbit) if pace_mbit else body
    started = time.perf_counter()
    try:
        response = _session().post(
            f"{base}/api/ingest/{SLOT}", data=data, timeout=180,
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
        status: int | str = response.status_code
        timing = server_timing(response.headers.get("Server-Timing", ""))
    except Exception as exc:  # a refused or dropped connection is an outcome to count
        status, timing = type(exc).__name__, {}
    ended = time.perf_counter()
    if isinstance(data, PacedBody) and data.last_byte_at is not None:
        timing["after_last_byte_ms"] = (ended - data.last_byte_at) * 1000
    return {"status": status, "total_ms": (ended - started) * 1000, **timing}


_local = threading.local()


def _session():
    import requests

    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


def server_timing(header: str) -> dict:
    """``provider;dur=12, gateway;dur=34`` → ``{"provider_ms": 12, "gateway_ms": 34}``."""
    timing = {}
    for metric in header.split(","):
        name, _, params = metric.strip().partition(";")
        if params.startswith("dur="):
            timing[f"{name}_ms"] = float(params[4:])
    return timing


def summarize(case: str, samples: list[dict], bytes_sent: list[int], workers: WorkerSampler,
              provider_ms: int) -> dict:
    totals = [s["total_ms"] for s in samples]
    shares = [s["gateway_ms"] for s in samples if "gateway_ms" in s]
    return {
        "case": case, "count": len(samples), "provider_latency_ms": provider_ms,
        "statuses": dict(Counter(str(s["status"]) for s in samples)),
        "total_ms": quantiles(totals),
        "gateway_ms": quantiles(shares) if shares else None,
        "provider_request_bytes": statistics.median(bytes_sent) if bytes_sent else None,
        "peak_rss_mb": round(workers.peak / 2**20),
        # what each ingest cost the workers, whatever else ran on the machine
        "worker_cpu_ms_per_ingest": round(workers.cpu_s * 1000 / len(samples)),
    }


def quantiles(values: list[float]) -> dict:
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)

    return {"p50": at(0.5), "p95": at(0.95), "max": round(ordered[-1], 1)}


def image_floor(photo: bytes, answer: bytes, repeats: int = 7) -> dict:
    """The image work no gateway can skip, in ms (median of ``repeats``; see the module's
    docstring): read the photo at 1/8 scale, decode the answer, encode it as a JPEG."""
    from PIL import Image

    def read_photo() -> None:
        with Image.open(io.BytesIO(photo)) as image:
            image.draft("RGB", (image.width // 8, image.height // 8))
            image.load()

    def decode_answer() -> Image.Image:
        with Image.open(io.BytesIO(answer)) as image:
            return image.convert("RGB")

    decoded = decode_answer()

    def encode_result() -> None:
        decoded.save(io.BytesIO(), "JPEG", quality=92)  # the result's quality (images.py)

    def median_ms(work) -> float:
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            work()
            times.append((time.perf_counter() - started) * 1000)
        return round(statistics.median(times), 1)

    return {"read_photo_ms": median_ms(read_photo), "decode_answer_ms": median_ms(decode_answer),
            "encode_result_ms": median_ms(encode_result), "cores": os.cpu_count() or 1}


def add_floor(case: dict, floor: dict) -> None:
    """The case's floor for its gateway share (p50 of one at a time, p95 of N at once) and the
    measured figure ÷ that floor."""
    answer_ms = floor["decode_answer_ms"] + floor["encode_result_ms"]
    gateway = case["gateway_ms"]
    if gateway is None:
        return
    if case["case"] == "single":
        case["floor_of"], floor_ms = "p50", floor["read_photo_ms"] + answer_ms
    else:  # the p95 answer is the k-th: k photos read first, on every core (see quantiles)
        k = round(0.95 * (case["count"] - 1)) + 1
        case["floor_of"] = "p95"
        floor_ms = k * floor["read_photo_ms"] / floor["cores"] + answer_ms
    case["floor_ms"] = round(floor_ms, 1)
    case["gateway_vs_floor"] = round(gateway[case["floor_of"]] / floor_ms, 2)


def print_case(case: dict) -> None:
    gateway = case["gateway_ms"] or {}
    print(f"{case['case']:>12}: {case['statuses']}  total p50 {case['total_ms']['p50']:.0f} "
          f"p95 {case['total_ms']['p95']:.0f} max {case['total_ms']['max']:.0f} ms; gateway "
          f"p50 {gateway.get('p50', float('nan')):.0f} p95 {gateway.get('p95', float('nan')):.0f}"
          f" ms; to provider {(case['provider_request_bytes'] or 0) / 1e6:.2f} MB; workers' "
          f"peak RSS {case['peak_rss_mb']} MB; worker CPU {case['worker_cpu_ms_per_ingest']} ms "
          f"per ingest; load {os.getloadavg()[0]:.2f}"
          + (f"; after the last byte p50 {case['after_last_byte_ms']['p50']:.0f} ms"
             if "after_last_byte_ms" in case else "")
          + (f"; gateway {case['floor_of']} ÷ floor {case['gateway_vs_floor']:.1f}x"
             if "floor_ms" in case else ""), flush=True)


def print_table(results: dict) -> None:
    print(f"\n{results['label']} — app {results['app_commit']}, {results['machine']['cpus']} "
          f"CPUs, load before {results['machine']['load_before']}")
    print(f"{'case':>12} {'statuses':>14} {'total p50':>10} {'p95':>8} {'max':>8} "
          f"{'gw p50':>8} {'gw p95':>8} {'to provider':>12} {'RSS MB':>7} {'CPU ms':>7}")
    for case in results["cases"]:
        gateway = case["gateway_ms"] or {"p50": float("nan"), "p95": float("nan")}
        statuses = ",".join(f"{k}x{v}" for k, v in case["statuses"].items())
        print(f"{case['case']:>12} {statuses:>14} {case['total_ms']['p50']:10.0f} "
              f"{case['total_ms']['p95']:8.0f} {case['total_ms']['max']:8.0f} "
              f"{gateway['p50']:8.0f} {gateway['p95']:8.0f} "
              f"{(case['provider_request_bytes'] or 0) / 1e6:10.2f}MB {case['peak_rss_mb']:7} "
              f"{case['worker_cpu_ms_per_ingest']:7}")
        if "straight_ms" in case:
            print(f"{'':>12} straight to the fake: p50 {case['straight_ms']['p50']:.0f} ms "
                  f"({case['straight_request_bytes'] / 1e6:.2f} MB request); ingest p50 / "
                  f"straight p50 = {case['total_vs_straight']:.1f}x")
        if "after_last_byte_ms" in case:
            print(f"{'':>12} from the last byte sent to the answer: p50 "
                  f"{case['after_last_byte_ms']['p50']:.0f} ms, max "
                  f"{case['after_last_byte_ms']['max']:.0f} ms")
        if "floor_ms" in case:
            print(f"{'':>12} floor of the gateway {case['floor_of']} {case['floor_ms']:.0f} ms; "
                  f"gateway {case['floor_of']} ÷ floor = {case['gateway_vs_floor']:.1f}x")


# --- the app, its database and the fake -----------------------------------------------------


def app_env(args: argparse.Namespace, work: Path, fake_url: str) -> dict[str, str]:
    (work / "media").mkdir()
    (work / "prometheus").mkdir()
    return {
        "DATABASE_URL": args.database_url,
        "PHOTOSLOT_MEDIA_ROOT": str(work / "media"),
        "PHOTOSLOT_VAR_DIR": str(work),
        "PHOTOSLOT_SECRET_KEY": "bench-secret-key-0123456789-0123456789-0123456789",
        # argon2 hash of "bench-admin-password" is computed by --prepare; any admin will do
        "PHOTOSLOT_ADMINS": admins(),
        "PHOTOSLOT_PUBLIC_BASE_URL": "http://bench.test",
        "PHOTOSLOT_T_SYNC_RESPONSE_S": "60",
        "PHOTOSLOT_MAX_UPLOAD_MB": "20",
        "GEMINI_API_KEY": API_KEY,
        "PHOTOSLOT_GEMINI_BASE_URL": fake_url,
        "PROMETHEUS_MULTIPROC_DIR": str(work / "prometheus"),
    }


def admins() -> str:
    from argon2 import PasswordHasher

    return f"serg:{PasswordHasher().hash('bench-admin-password')}"


def reset_database(url: str) -> None:
    import psycopg2

    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")


def prepare(args: argparse.Namespace) -> None:
    """In a subprocess, with the served checkout first on the path: migrate, seed the slots,
    set the ingest password, make slot-003 a Gemini edit slot."""
    sys.path.insert(0, str(args.app_dir))
    settings = json.loads(args.prepare)
    from flask_migrate import upgrade

    import photoslot
    from photoslot import create_app
    from photoslot.extensions import db
    from photoslot.services.audit import SYSTEM
    from photoslot.services.settings import set_ingest_password
    from photoslot.services.slots.configure import seed_slots, update_slot

    assert Path(photoslot.__file__).resolve().is_relative_to(args.app_dir.resolve()), \
        f"photoslot was imported from {photoslot.__file__}, not from {args.app_dir}"
    params = {"prompt": PROMPT}
    if settings["max_input_side"] is not None:
        params["max_input_side"] = settings["max_input_side"]
    app = create_app()
    with app.app_context():
        upgrade(directory=str(args.app_dir / "migrations"))
        seed_slots()
        set_ingest_password(PASSWORD, actor=SYSTEM)
        db.session.commit()
        update_slot(SLOT, {"provider": "gemini", "operation": "edit", "params": params,
                           "enabled": True}, actor=SYSTEM)


def serve_fake(spec: str) -> None:
    """The fake Gemini in this process: fixed answer, inputs checked by header only, request
    bodies counted and dropped (200 in flight would otherwise keep gigabytes)."""
    import tests.fakes as fakes
    from tests.fakes import Reply
    from tests.fakes.gemini import FakeGemini

    port, answer_path = spec.split(",", 1)
    fakes._Server.request_queue_size = 1024  # 200 connections arrive at once

    class CountingGemini(FakeGemini):
        sizes: list[int] = []
        cached: bytes | None = None

        def handle(self, record):
            if record.path == "/bench/stats":
                return Reply.json(200, {"bytes": self.sizes})
            if record.path == "/bench/reset":
                self.sizes.clear()
                self.requests.clear()
                return Reply.json(200, {})
            if record.path == "/bench/mode":
                self.mode = record.body.decode()
                return Reply.json(200, {"mode": self.mode})
            if record.method == "POST":
                self.sizes.append(len(record.body))
            reply = super().handle(record)
            record.body = b""
            return reply

        def _answer(self, mode, model, photo):
            # Built once: the same answer every time, and a real provider's CPU is not ours.
            if set(mode) - {"ok", "latency"}:
                return super()._answer(mode, model, photo)
            if self.cached is None:
                self.cached = super()._answer(mode, model, photo).body
            return Reply(200, self.cached)

    fake = CountingGemini(api_key=API_KEY, port=int(port), decode_images=False,
                          answer=Path(answer_path).read_bytes())
    fake._server.serve_forever()


def set_fake(fake_url: str, mode: str) -> None:
    _session().post(f"{fake_url}/bench/mode", data=mode, timeout=10).raise_for_status()


def reset_fake(fake_url: str) -> None:
    _session().post(f"{fake_url}/bench/reset", timeout=10).raise_for_status()


def fake_stats(fake_url: str) -> dict:
    return _session().get(f"{fake_url}/bench/stats", timeout=10).json()


class WorkerSampler:
    """The workers of a gunicorn master while a case runs: their summed RSS every 0.2 s
    (``peak``, bytes) and the CPU time they used (``cpu_s``: user + system, all threads)."""

    def __init__(self, master_pid: int):
        self.master_pid = master_pid
        self.peak = 0
        self.cpu_s = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._cpu_at_start = 0.0

    def __enter__(self) -> WorkerSampler:
        self._cpu_at_start = self._cpu()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.cpu_s = self._cpu() - self._cpu_at_start

    def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, sum(rss_of(pid) for pid in children(self.master_pid)))
            if self._stop.wait(0.2):
                return

    def _cpu(self) -> float:
        return sum(cpu_seconds(pid) for pid in children(self.master_pid))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far (all its threads)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def rss_of(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


# --- the photo, the answer, the requests ----------------------------------------------------


def camera_photo(megabytes: float) -> bytes:
    """A 6000x4000 JPEG like a camera original (~``megabytes`` MB): smooth shapes with sensor
    noise, quality 90, EXIF with a camera model and GPS position (which must not leave us)."""
    from PIL import Image

    width, height = 6000, 4000
    fine = min(0.5, 0.2 * megabytes / 8)

    def channel() -> Image.Image:
        coarse = Image.effect_noise((width // 16, height // 16), 128).resize(
            (width, height), Image.Resampling.BICUBIC)
        return Image.blend(coarse, Image.effect_noise((width, height), 40), fine)

    image = Image.merge("RGB", [channel(), channel(), channel()])
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "BenchCam", "BC-24", 1  # make, model, orientation
    exif[0x8825] = {1: "N", 2: (55.0, 45.0, 0.0), 3: "E", 4: (37.0, 37.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def fixed_answer() -> bytes:
    """What the fake generates every time: a 1024x1024 PNG of about 1.7 MB."""
    from PIL import Image

    def channel() -> Image.Image:
        coarse = Image.effect_noise((64, 64), 128).resize((1024, 1024), Image.Resampling.BICUBIC)
        return Image.blend(coarse, Image.effect_noise((1024, 1024), 20), 0.25)

    out = io.BytesIO()
    Image.merge("RGB", [channel(), channel(), channel()]).save(out, "PNG")
    return out.getvalue()


def direct_request(photo: bytes) -> bytes:
    """The generateContent body a booth calling Gemini itself would send with this photo."""
    import base64

    return json.dumps({
        "contents": [{"role": "user", "parts": [
            {"text": PROMPT},
            {"inlineData": {"mimeType": "image/jpeg", "data": base64.b64encode(photo).decode()}},
        ]}],
        "generationConfig": {"responseModalities": ["TEXT", "IMAGE"]},
    }).encode()


# --- output -----------------------------------------------------------------------------------


def plot(runs: list[dict], path: Path) -> Path:
    """Total and gateway p95 against concurrency for each run (one line per run label)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (latency, memory) = plt.subplots(1, 2, figsize=(11, 4.2))
    for index, result in enumerate(runs):
        cases = [c for c in result["cases"] if c["case"].endswith("at once")]
        counts = [c["count"] for c in cases]
        colour = f"C{index}"
        latency.plot(counts, [c["total_ms"]["p95"] / 1000 for c in cases], marker="o",
                     color=colour, label=f"{result['label']}: total p95")
        latency.plot(counts, [(c["gateway_ms"] or {"p95": 0})["p95"] / 1000 for c in cases],
                     marker="s", linestyle="--", color=colour,
                     label=f"{result['label']}: gateway share p95")
        memory.plot(counts, [c["peak_rss_mb"] for c in cases], marker="o", color=colour,
                    label=result["label"])
    floors = [c for c in runs[-1]["cases"] if c["case"].endswith("at once") and "floor_ms" in c]
    if floors:  # the newest run's (older result files have none)
        latency.plot([c["count"] for c in floors], [c["floor_ms"] / 1000 for c in floors],
                     linestyle=":", color="black",
                     label=f"floor of the gateway share p95 ({runs[-1]['label']})")
    provider_s = runs[0]["cases"][-1]["provider_latency_ms"] / 1000
    latency.axhline(provider_s, color="grey", linewidth=0.8)
    latency.set(xlabel="ingests at once", ylabel="seconds",
                title=f"Gemini fake answering after {provider_s:g} s")
    memory.set(xlabel="ingests at once", ylabel="MB", title="workers' peak RSS (sum)")
    latency.set_ylim(bottom=0)
    memory.set_ylim(bottom=0)
    latency.legend(fontsize=8)
    memory.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    return path


def machine() -> dict:
    return {"cpus": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(),
            "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def commit_of(app_dir: Path) -> str:
    try:
        return subprocess.run(["git", "-C", str(app_dir), "describe", "--always", "--dirty"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


if __name__ == "__main__":
    main()
