"""Run one ingest in a gevent-patched process whose only pooled connection another greenlet holds.

Used by tests/test_ingest_deadline.py through a subprocess (the pytest process is not patched,
so a pool wait there would block for real). The configuration comes from the environment
(PostgreSQL, ``PHOTOSLOT_DB_POOL_SIZE=1``, ``PHOTOSLOT_DB_MAX_OVERFLOW=0``); the database is
prepared by the test (slot-003: ``local`` with a provider delay). Usage: ``python pool_wait.py
before|after``: the connection is taken before the request starts, or once its job is pending
(seen through a connection of its own, outside the pool). Prints one JSON line: the answer's
status, code, job id and the seconds it took.
"""

from gevent import monkey

monkey.patch_all()

from psycogreen.gevent import patch_psycopg  # noqa: E402

patch_psycopg()

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from photoslot import create_app  # noqa: E402
from photoslot.extensions import db  # noqa: E402
from tests.ingest_support import booth_parts, content_type, multipart, photo_bytes  # noqa: E402

HOLD_S = 6.0


def hold_the_connection(app, when_pending: bool) -> None:
    """Take the pool's only connection (at once, or once a job is pending) and keep it."""
    if when_pending:
        watcher = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool)
        with watcher.connect() as connection:
            pending = text("SELECT count(*) FROM job_history WHERE status = 'pending'")
            while not connection.execute(pending).scalar():
                gevent.sleep(0.02)
    with app.app_context(), db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        gevent.sleep(HOLD_S)


def main() -> None:
    app = create_app()
    holder = gevent.spawn(hold_the_connection, app, sys.argv[1] == "after")
    gevent.sleep(0.1)
    started = time.monotonic()
    response = app.test_client().post("/api/ingest/slot-003", content_type=content_type(),
                                      data=multipart(booth_parts(photo_bytes())))
    elapsed = time.monotonic() - started
    error = (response.get_json() or {}).get("error", {})
    print(json.dumps({"status": response.status_code, "code": error.get("code"),
                      "job_id": response.headers.get("X-Job-Id"), "elapsed": elapsed}))
    holder.kill()


if __name__ == "__main__":
    main()
