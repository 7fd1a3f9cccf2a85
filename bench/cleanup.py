"""Cleanup throughput: seed N expired media objects with small files, time one cleanup run.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/scratch .venv/bin/python bench/cleanup.py

PostgreSQL (a scratch database: the schema is migrated to head, media_object must be empty) is the
documented way; without DATABASE_URL a temporary SQLite file is used. The media root is always a
temporary directory. Baseline measured in the same run: a bare ``os.unlink`` loop over the same
number of files, so the ratio shows what the database work and the safety checks cost.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from photoslot import clock, create_app  # noqa: E402
from photoslot.extensions import db  # noqa: E402
from photoslot.models import MediaObject  # noqa: E402
from photoslot.models.base import new_uuid  # noqa: E402
from photoslot.models.media import new_token  # noqa: E402
from photoslot.passwords import hash_password  # noqa: E402
from photoslot.services.audit import Actor  # noqa: E402
from photoslot.services.cleanup.runs import run_cleanup  # noqa: E402
from photoslot.services.media import store  # noqa: E402

FILE_BYTES = b"\xff\xd8\xff\xe0" + b"x" * 60
CHUNK = 5000


def seed(count: int) -> None:
    """``count`` expired objects: 45 % inputs, 45 % results, 10 % thumbnails of those results."""
    root = store.media_root()
    for directory in store.KIND_DIRS.values():
        (root / directory).mkdir(parents=True, exist_ok=True)
    expired = clock.now() - timedelta(hours=1)
    rows: list[dict] = []
    last_result: str | None = None
    for i in range(count):
        kind = "thumbnail" if i % 10 == 9 else ("input" if i % 2 else "result")
        media_id = new_uuid()
        path = store.relative_path(kind, media_id, "image/jpeg")
        (root / path).write_bytes(FILE_BYTES)
        rows.append({
            "id": media_id, "kind": kind, "path": path, "mime": "image/jpeg",
            "size": len(FILE_BYTES), "token": new_token(), "created_at": expired,
            "expires_at": None if kind == "thumbnail" else expired,
            "parent_id": last_result if kind == "thumbnail" else None,
        })
        if kind == "result":
            last_result = media_id
        if len(rows) >= CHUNK:
            _insert(rows)
    _insert(rows)


def _insert(rows: list[dict]) -> None:
    if rows:
        db.session.execute(insert(MediaObject), rows)
        db.session.commit()
        rows.clear()


def unlink_baseline(count: int) -> float:
    """Seconds for a bare unlink loop over ``count`` files of the same size."""
    with tempfile.TemporaryDirectory(prefix="bench-unlink-") as tmp:
        paths = [Path(tmp, f"{i}.jpg") for i in range(count)]
        for path in paths:
            path.write_bytes(FILE_BYTES)
        started = time.perf_counter()
        for path in paths:
            os.unlink(path)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cleanup-") as tmp:
        env = {
            "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db",
            "PHOTOSLOT_MEDIA_ROOT": f"{tmp}/media",
            "PHOTOSLOT_SECRET_KEY": "bench-only-secret-key-0123456789abcdef",
            "PHOTOSLOT_ADMINS": f"serg:{hash_password('bench-password')}",
        }
        app = create_app(env)
        with app.app_context():
            upgrade()
            if db.session.scalar(select(func.count()).select_from(MediaObject)):
                sys.exit("bench: media_object is not empty; use a scratch database")
            started = time.perf_counter()
            seed(args.objects)
            seeded_s = time.perf_counter() - started
            outcome = run_cleanup(actor=Actor("bench"), batch_size=args.batch_size)
            left = db.session.scalar(select(func.count()).select_from(MediaObject))
        baseline_s = unlink_baseline(args.objects)
    deleted = sum(k["objects"] for k in outcome.summary["deleted"].values())
    duration = outcome.summary["duration_s"]
    print(f"database            {env['DATABASE_URL'].split('@')[-1]}")
    print(f"seeded              {args.objects} expired objects in {seeded_s:.1f} s")
    print(f"cleanup             {deleted} objects deleted, {left} rows left, "
          f"batch {args.batch_size}")
    print(f"cleanup duration    {duration:.2f} s  ({deleted / duration:,.0f} objects/s), "
          "goal < 60 s")
    print(f"baseline unlink     {baseline_s:.2f} s  ({args.objects / baseline_s:,.0f} files/s)")
    print(f"ratio               cleanup / bare unlink = {duration / baseline_s:.1f}x")


if __name__ == "__main__":
    main()
