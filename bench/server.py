"""What the HTTP benchmarks share: a real gunicorn on a free port, sequential timing, and the
table of percentiles with each row's ratio to the baseline measured in the same run."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BENCH_PASSWORD = "bench-password"


def bench_env(database_url: str, workdir: Path) -> dict[str, str]:
    """The environment of a benchmark's app and server: its database, a media folder under
    ``workdir``, a fixed key, and the admin serg with ``BENCH_PASSWORD``."""
    from photoslot.passwords import hash_password

    (workdir / "media").mkdir(parents=True, exist_ok=True)
    return {
        "DATABASE_URL": database_url,
        "PHOTOSLOT_MEDIA_ROOT": str(workdir / "media"),
        "PHOTOSLOT_SECRET_KEY": "bench-secret-key-0123456789-0123456789-0123456789",
        "PHOTOSLOT_ADMINS": f"serg:{hash_password(BENCH_PASSWORD)}",
        "PHOTOSLOT_PUBLIC_BASE_URL": "http://bench.test",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict[str, str], workers: int, log_path: Path,
                   port: int | None = None, app_dir: Path = ROOT) -> tuple[subprocess.Popen, str]:
    """``gunicorn -c gunicorn.conf.py`` (gevent workers) with ``env``; (process, base URL) once
    /healthz answers. ``app_dir``: the checkout to serve (its code first on the path)."""
    port = port or free_port()
    full_env = {**os.environ, **env, "PHOTOSLOT_BIND": f"127.0.0.1:{port}",
                "PHOTOSLOT_WORKERS": str(workers),
                "PROMETHEUS_MULTIPROC_DIR": str(log_path.parent / "prometheus")}
    if app_dir != ROOT:
        full_env["PYTHONPATH"] = str(app_dir)
    log = open(log_path, "wb")  # noqa: SIM115  (kept open for the server's lifetime)
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
                               cwd=app_dir, env=full_env, stdout=log, stderr=subprocess.STDOUT)
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


def booth_form(photo: bytes, password: str, boundary: str) -> bytes:
    """DSLR Remote Pro's multipart body: the password and the booth's name, then the photo."""
    parts = [('name="password"', password.encode()), ('name="name"', b"BENCH-BOOTH"),
             ('name="fileToUpload"; filename="IMG_0001.JPG"\r\nContent-Type: image/jpeg', photo)]
    chunks = []
    for disposition, data in parts:
        chunks += [f"--{boundary}\r\nContent-Disposition: form-data; {disposition}\r\n\r\n"
                   .encode(), data, b"\r\n"]
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks)


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


def percentile(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def print_table(results: dict[str, list[float]], baseline: str, width: int = 28) -> None:
    """p50/p95/max per row and its p95 as a multiple of the ``baseline`` row's p95."""
    base = percentile(results[baseline], 95)
    print(f"{'endpoint':{width}} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'p95/baseline':>13}")
    for name, samples in results.items():
        print(f"{name:{width}} {percentile(samples, 50):8.2f} {percentile(samples, 95):8.2f} "
              f"{max(samples):8.2f} {percentile(samples, 95) / base:12.1f}x")
