"""One deadline for the whole request: a stalled or trickling body is 408 within T_sync, and the
work after the provider answers 504 ``processing_timeout`` when it no longer fits (ADR 0010).

The body streams here are real gevent waits (``gevent.sleep``), which the reader's timers cut
exactly as they cut a socket read under gunicorn (tests/test_ingest_gunicorn.py does the same
through a real server).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import gevent
import pytest

from photoslot import clock
from photoslot.offload import off_loop
from photoslot.providers.base import Deadline, Provider, ProviderRequest, ProviderResult
from photoslot.services.audit import SYSTEM
from photoslot.services.cleanup.runs import run_cleanup
from tests.contract import assert_contract, assert_error
from tests.ingest_support import (
    BOUNDARY,
    assert_consistent,
    assert_failed_job,
    booth_parts,
    configure_slot,
    content_type,
    files_under,
    jobs,
    multipart,
    photo_bytes,
    set_password,
)

URL = "/api/ingest/slot-003"
BODY = multipart(booth_parts(photo_bytes((320, 240))))
# Everything up to the middle of the photo: the password has come, the file part has started.
HEAD = BODY[: BODY.index(b"\r\n\r\n", BODY.index(b"fileToUpload")) + 4 + 300]


class SlowBody(io.RawIOBase):
    """A body that delivers ``head`` and then ``step`` bytes every ``every`` seconds (a trickle),
    or nothing more at all (``step`` 0: a stall), waiting cooperatively like a socket read."""

    def __init__(self, head: bytes, rest: bytes = b"", step: int = 0, every: float = 0.1):
        self.head, self.rest, self.step, self.every = head, rest, step, every

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.head:
            chunk, self.head = self.head[: len(buffer)], self.head[len(buffer):]
        else:
            gevent.sleep(self.every if self.step else 3600)
            chunk, self.rest = self.rest[: self.step], self.rest[self.step:]
        buffer[: len(chunk)] = chunk
        return len(chunk)


@pytest.fixture
def ready(make_app):
    """T_sync = 1.5 s, 0.3 s of silence allowed per chunk, slot-003 ready."""
    app = make_app(PHOTOSLOT_T_SYNC_RESPONSE_S="1.5", PHOTOSLOT_UPLOAD_IDLE_S="0.3")
    set_password(app)
    configure_slot(app)
    return app


def send(app, body: io.RawIOBase, length: int = len(BODY)):
    started = time.monotonic()
    response = app.test_client().post(URL, environ_overrides={
        "wsgi.input": body, "CONTENT_TYPE": content_type(), "CONTENT_LENGTH": str(length)})
    return response, time.monotonic() - started


def test_a_body_that_stops_mid_photo_is_408_after_the_idle_limit(ready, media_root):
    response, elapsed = send(ready, SlowBody(HEAD))

    error = assert_error(response, 408, "upload_timeout")
    assert_contract(response)
    assert error["details"] == {"reason": "idle", "idle_s": 0.3}
    assert elapsed < 1.5  # the idle limit, well before T_sync
    assert jobs(ready) == [] and files_under(media_root) == []  # the partial photo is gone


def test_a_trickling_body_is_408_at_the_deadline_not_later(ready, media_root):
    # 200 bytes every 0.1 s: never silent for the idle limit, far too slow for T_sync.
    response, elapsed = send(ready, SlowBody(HEAD, BODY[len(HEAD):], step=200, every=0.1))

    error = assert_error(response, 408, "upload_timeout")
    assert error["details"]["reason"] == "deadline"
    assert 1.4 < elapsed < 2.5  # T_sync + 1 s
    assert jobs(ready) == [] and files_under(media_root) == []


def test_a_client_that_never_sends_its_body_is_408_without_a_password_check(ready, media_root):
    response, _ = send(ready, SlowBody(b""))

    assert_error(response, 408, "upload_timeout")
    assert files_under(media_root) == []
    # Nothing was counted against the address: its next upload is checked as usual.
    assert send(ready, SlowBody(BODY))[0].status_code == 200


def test_a_stalled_body_with_a_wrong_password_is_still_401_first(ready, media_root):
    body = multipart(booth_parts(photo_bytes(), password="wrong-password"))
    head = body[: body.index(b"fileToUpload") + 200]
    response, _ = send(ready, SlowBody(head), len(body))
    assert_error(response, 401, "invalid_ingest_password")


class HogsTheCpuThread(Provider):
    """Answers a PNG at once, having just queued ``hold_s`` of other work on the CPU thread."""

    name: ClassVar[str] = "hog"
    operations: ClassVar[dict[str, dict[str, Any]]] = {"run": {"type": "object"}}
    busy: list[gevent.Greenlet] = []

    def process(self, request: ProviderRequest, deadline: Deadline) -> ProviderResult:
        self.busy.append(gevent.spawn(off_loop, time.sleep, request.params["hold_s"]))
        gevent.sleep(0)  # let it reach the thread first
        return ProviderResult(photo_bytes((320, 240), "PNG"), "image/png")


def test_work_after_the_provider_past_the_deadline_is_504_processing_timeout(ready, media_root):
    # The provider answers in time, but the CPU thread is taken (another request's image work)
    # until after the deadline: checking and converting its PNG for the booth cannot finish.
    ready.extensions["photoslot.providers"]["hog"] = HogsTheCpuThread(
        ready.extensions["photoslot.config"])
    configure_slot(ready, provider="hog", operation="run", params={"hold_s": 2.0})
    try:
        started = time.monotonic()
        response = ready.test_client().post(URL, data=BODY, content_type=content_type())
        elapsed = time.monotonic() - started
    finally:
        gevent.joinall(HogsTheCpuThread.busy)

    job = assert_failed_job(ready, response, 504, "processing_timeout", "timeout")
    assert "could not be stored in time" in job.error_message
    assert elapsed < 2.5  # T_sync + 1 s
    assert_consistent(ready, media_root)  # no result, no input, nothing half-written


def test_a_body_cut_short_by_the_deadline_before_the_file_is_408(ready, media_root):
    fields = multipart(booth_parts(photo_bytes()))
    head = fields[: fields.index(BOUNDARY.encode(), 10)]  # only the password part
    response, _ = send(ready, SlowBody(head, b"x" * 10_000, step=10, every=0.05), len(fields))
    assert_error(response, 408, "upload_timeout")
    assert files_under(media_root) == []


def run_with_the_pool_taken(env: dict[str, str], when: str) -> dict:
    script = Path(__file__).with_name("pool_wait.py")
    outcome = subprocess.run(
        [sys.executable, str(script), when], capture_output=True, text=True, timeout=60,
        env={**os.environ, **env, "PYTHONPATH": str(script.parents[1]),
             "PHOTOSLOT_T_SYNC_RESPONSE_S": "2", "PHOTOSLOT_DB_POOL_SIZE": "1",
             "PHOTOSLOT_DB_MAX_OVERFLOW": "0"})
    assert outcome.returncode == 0, outcome.stderr[-3000:]
    return json.loads(outcome.stdout.splitlines()[-1])


@pytest.mark.postgres("sizes the connection pool (PHOTOSLOT_DB_POOL_SIZE applies to PostgreSQL)")
def test_a_pool_taken_before_the_request_is_503_within_the_deadline_without_a_job(
        app, app_env, media_root):
    set_password(app)
    configure_slot(app)
    answer = run_with_the_pool_taken(app_env, "before")
    # The pool wait is bounded by PHOTOSLOT_DB_TIMEOUT_S (at most T_sync / 4 = 0.5 s here) and by
    # the time left, whichever ends first: here the database bound (ADR 0010, ADR 0013).
    assert (answer["status"], answer["code"], answer["job_id"]) == (
        503, "database_unavailable", None)
    assert answer["elapsed"] < 3.0  # T_sync + 1 s, not the pool's own 10 s timeout
    assert jobs(app) == [] and files_under(media_root) == []


@pytest.mark.postgres("sizes the connection pool (PHOTOSLOT_DB_POOL_SIZE applies to PostgreSQL)")
def test_a_pool_taken_while_the_provider_works_is_503_and_the_job_is_left_to_the_cleanup(
        app, app_env, media_root):
    set_password(app)
    configure_slot(app, params={"delay_ms": 1000})
    answer = run_with_the_pool_taken(app_env, "after")
    assert (answer["status"], answer["code"]) == (503, "database_unavailable")
    assert answer["elapsed"] < 3.0  # the done commit's wait and the failure's, both bounded
    [job] = jobs(app)
    assert job.status == "pending"  # left to the cleanup
    assert files_under(media_root) == []  # no result kept, the input deleted
    clock.advance(timedelta(minutes=10))
    with app.app_context():
        assert run_cleanup(actor=SYSTEM).summary["jobs_abandoned"] == 1
    [job] = jobs(app)
    assert (job.status, job.error_code) == ("error", "abandoned")
