"""What writing a result durably costs: ``store.write_bytes`` (unbuffered write, fsync, rename,
directory fsync) against the plain write-and-rename it replaced, in the same run, on the same
file system.

    .venv/bin/python bench/media_writes.py [--dir /srv/photoslot/media] [--mb 3] [--rounds 30]

It prints the median and p95 per write and the ratio durable/plain. Nothing is asserted. Run it
on the disk that holds PHOTOSLOT_MEDIA_ROOT: tmpfs or overlay numbers say little about a real
disk.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from photoslot import create_app  # noqa: E402
from photoslot.services.media import store  # noqa: E402


def plain_write(path: Path, data: bytes) -> None:
    """The write before ADR 0013: buffered temp file, rename, no fsync."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def timed(fn, rounds: int) -> list[float]:
    times = []
    for i in range(rounds):
        started = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=None, help="media root to write into (default: temp)")
    parser.add_argument("--mb", type=float, default=3.0, help="size of one result")
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    media = Path(args.dir or tempfile.mkdtemp(prefix="bench-media-"))
    media.mkdir(parents=True, exist_ok=True)
    (media / "results").mkdir(exist_ok=True)
    data = os.urandom(int(args.mb * 1024 * 1024))
    app = create_app({"PHOTOSLOT_MEDIA_ROOT": str(media), "DATABASE_URL": "sqlite:///:memory:",
                      "PHOTOSLOT_SECRET_KEY": "bench-" + "k" * 40,
                      "PHOTOSLOT_ADMINS": "serg:$argon2id$v=19$m=65536,t=3,p=4$bench$bench"})
    with app.app_context():
        durable = timed(lambda i: store.write_bytes(f"results/d{i}.bin", data), args.rounds)
        plain = timed(lambda i: plain_write(media / "results" / f"p{i}.bin", data), args.rounds)
    for name, times in (("plain (before)", plain), ("durable (fsync)", durable)):
        p95 = sorted(times)[int(0.95 * (len(times) - 1))]
        print(f"{name:16} median {statistics.median(times):7.2f} ms   p95 {p95:7.2f} ms")
    print(f"durable/plain median ratio {statistics.median(durable) / statistics.median(plain):.2f}"
          f"  ({args.mb:g} MB, {args.rounds} rounds, {media})")


if __name__ == "__main__":
    main()
