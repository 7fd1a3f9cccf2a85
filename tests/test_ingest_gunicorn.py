"""Ingest through a real gunicorn with gevent workers: the booth's wire format, concurrency."""

from __future__ import annotations

import io
import json
import select
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from PIL import Image

from photoslot.extensions import db
from photoslot.models import JobHistory
from tests.contract import assert_contract, assert_error
from tests.ingest_support import (
    INGEST_PASSWORD,
    assert_consistent,
    booth_capture,
    booth_parts,
    configure_slot,
    content_type,
    jobs,
    multipart,
    photo_bytes,
    read_response,
    set_password,
)
from tests.workers import spread_requests


def connect(server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=30)


def log_events(server, event: str) -> list[dict]:
    lines = []
    for line in server.log().splitlines():
        if line.startswith("{") and f'"event": "{event}"' in line:
            lines.append(json.loads(line))
    return lines


def wait_for_job(app, predicate, timeout: float = 20.0) -> JobHistory:
    """Poll the database (the server's view of the job) until ``predicate(job)`` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = jobs(app)
        if rows and predicate(rows[0]):
            return rows[0]
        time.sleep(0.05)
    raise AssertionError(f"job never satisfied the condition: {jobs(app)}")


def test_captured_dslr_remote_pro_request_replays_with_expect_100_continue(
        app, gunicorn_server, media_root):
    set_password(app)
    configure_slot(app, operation="sepia")
    server = gunicorn_server(workers=1)
    photo = photo_bytes((320, 240))
    head, body = booth_capture(photo)
    assert b"Expect: 100-continue" in head and b'name="fileToUpload"' in body

    with connect(server) as sock:
        sock.sendall(head)
        interim = sock.recv(4096)  # the booth waits for this before sending the photo
        assert interim.startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(body)
        status, headers, payload = read_response(sock)

    assert status == 200, payload[:300]
    assert headers["content-type"] == "image/jpeg"
    assert int(headers["content-length"]) == len(payload)
    result = Image.open(io.BytesIO(payload))
    assert result.size == (320, 240) and payload != photo
    job_id = headers["x-job-id"]
    assert headers["x-result-url"] == f"http://gateway.test/public/results/{job_id}"
    [job] = jobs(app)
    assert job.id == job_id and job.status == "done"
    assert job.client_meta["query"] == {"session": "42"}
    assert job.client_meta["name"] == "BOOTH-PC-07"

    public = requests.get(f"{server.base_url}/public/results/{job_id}", timeout=10)
    assert public.status_code == 200 and public.content == payload
    assert_contract(public)
    [line] = [e for e in log_events(server, "ingest") if e.get("job_id") == job_id]
    assert (line["outcome"], line["status"], line["slot"]) == ("done", 200, "slot-003")
    assert INGEST_PASSWORD not in server.log()
    assert_consistent(app, media_root)


@pytest.mark.postgres("the premise is a connection pool of 2 per worker; SQLite has no pool size")
def test_30_concurrent_ingests_overlap_on_a_pool_smaller_than_the_concurrency(
        app, gunicorn_server, media_root):
    set_password(app)
    configure_slot(app, params={"delay_ms": 2000})
    # Two connections per worker, no overflow: 30 requests can only all succeed if no
    # connection is held while the provider waits.
    server = gunicorn_server(workers=2, PHOTOSLOT_DB_POOL_SIZE="2",
                             PHOTOSLOT_DB_MAX_OVERFLOW="0")
    body = multipart(booth_parts(photo_bytes()))
    start = threading.Barrier(30)

    def ingest(_: int) -> requests.Response:
        start.wait()
        return requests.post(f"{server.base_url}/api/ingest/slot-003", data=body, timeout=60,
                             headers={"Content-Type": content_type()})

    with ThreadPoolExecutor(30) as pool:
        responses = list(pool.map(ingest, range(30)))

    assert [r.status_code for r in responses] == [200] * 30, server.log()[-3000:]
    assert_contract(responses[0])
    job_ids = {r.headers["X-Job-Id"] for r in responses}
    calls = {e["job_id"]: (e["started"], e["finished"])
             for e in log_events(server, "local_provider_call") if e["job_id"] in job_ids}
    assert len(calls) == 30
    # Every provider call was still running when the last one started: they all overlapped.
    last_start = max(started for started, _ in calls.values())
    first_finish = min(finished for _, finished in calls.values())
    assert last_start < first_finish, (last_start, first_finish)
    done = jobs(app)
    assert len(done) == 30 and all(j.status == "done" and j.provider_ms >= 2000 for j in done)
    assert_consistent(app, media_root)


def test_chunked_upload_over_the_limit_is_cut_off_while_streaming(app, gunicorn_server,
                                                                   media_root):
    set_password(app)
    configure_slot(app)
    server = gunicorn_server(workers=1, PHOTOSLOT_MAX_UPLOAD_MB="1")
    closing = b"\r\n--" + content_type().split("=", 1)[1].encode() + b"--\r\n"
    opening = multipart(booth_parts(b"")).removesuffix(closing)
    limit_to_send = 32 * 1024 * 1024
    sent = 0
    with connect(server) as sock:
        sock.sendall(b"POST /api/ingest/slot-003 HTTP/1.1\r\nHost: booth\r\n"
                     b"Transfer-Encoding: chunked\r\n"
                     + f"Content-Type: {content_type()}\r\n\r\n".encode())
        chunk = opening + b"\xff" * (64 * 1024 - len(opening))
        answered = False
        try:
            while sent < limit_to_send:
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:
                    answered = True
                    break
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent += len(chunk)
                chunk = b"\xff" * (64 * 1024)
        except (BrokenPipeError, ConnectionResetError):
            answered = True
        assert answered, "the server read the whole 32 MB without answering"
        status, _, payload = read_response(sock)
    assert status == 413, payload
    assert json.loads(payload)["error"]["code"] == "payload_too_large"
    assert sent < 8 * 1024 * 1024  # 1 MiB limit + socket buffers, far from the 32 MB offered
    assert jobs(app) == []
    assert_consistent(app, media_root)


def test_a_body_cut_short_of_its_content_length_is_400_incomplete_upload(
        app, gunicorn_server, media_root):
    set_password(app)
    configure_slot(app)
    server = gunicorn_server(workers=1)
    body = multipart(booth_parts(photo_bytes((200, 150))))
    with connect(server) as sock:
        sock.sendall(b"POST /api/ingest/slot-003 HTTP/1.1\r\nHost: booth\r\n"
                     + f"Content-Type: {content_type()}\r\nContent-Length: {len(body)}\r\n\r\n"
                     .encode() + body[: len(body) // 2])
        sock.shutdown(socket.SHUT_WR)  # the booth's connection broke mid-upload
        status, _, payload = read_response(sock)
    assert status == 400, payload
    assert json.loads(payload)["error"]["code"] == "incomplete_upload"
    assert jobs(app) == []
    assert_consistent(app, media_root)  # no spool file left


def test_client_disconnect_mid_processing_still_ends_the_job(app, gunicorn_server, media_root):
    set_password(app)
    configure_slot(app, params={"delay_ms": 1500})
    server = gunicorn_server(workers=1)
    body = multipart(booth_parts(photo_bytes()))
    with connect(server) as sock:
        sock.sendall(b"POST /api/ingest/slot-003 HTTP/1.1\r\nHost: booth\r\n"
                     + f"Content-Type: {content_type()}\r\nContent-Length: {len(body)}\r\n\r\n"
                     .encode() + body)
        wait_for_job(app, lambda job: job.status == "pending")
    # The booth gave up; the job still reaches a final status and leaves nothing behind.
    job = wait_for_job(app, lambda job: job.status != "pending")
    assert job.status == "done"
    assert_consistent(app, media_root)


def test_slow_provider_under_gunicorn_is_504_with_a_timeout_row(app, gunicorn_server,
                                                                 media_root):
    set_password(app)
    configure_slot(app, params={"delay_ms": 6000})
    server = gunicorn_server(workers=1, PHOTOSLOT_T_SYNC_RESPONSE_S="2")
    response = requests.post(
        f"{server.base_url}/api/ingest/slot-003", timeout=30,
        data=multipart(booth_parts(photo_bytes())), headers={"Content-Type": content_type()})
    error = assert_error(response, 504, "provider_timeout")
    assert_contract(response)
    assert response.elapsed.total_seconds() < 3.0  # T_sync + 1 s
    with app.app_context():
        job = db.session.get(JobHistory, error["details"]["job_id"])
        assert (job.status, job.error_code) == ("timeout", "provider_timeout")
    assert_consistent(app, media_root)


def test_a_rotated_ingest_password_holds_at_once_on_both_workers(app, gunicorn_server,
                                                                 auth_headers):
    set_password(app)
    configure_slot(app)
    server = gunicorn_server(workers=2)
    photo = photo_bytes()

    def ingest_with(password):
        def send(headers):
            return requests.post(f"{server.base_url}/api/ingest/slot-003",
                                 data=multipart(booth_parts(photo, password)),
                                 headers={**headers, "Content-Type": content_type()}, timeout=30)
        return send

    def answered_by_both_workers(password: str, status: int) -> requests.Response:
        answered = spread_requests(server, ingest_with(password), at_least=10)
        assert len({pid for _, pid in answered}) == 2, "both workers must have answered"
        assert [r.status_code for r, _ in answered] == [status] * len(answered)
        return answered[-1][0]

    # Each worker verifies (and caches) the first password before the rotation.
    answered_by_both_workers(INGEST_PASSWORD, 200)
    rotated = requests.put(f"{server.base_url}/api/settings", headers=auth_headers(),
                           json={"ingest_password": "rotated-ingest-password"}, timeout=10)
    assert rotated.status_code == 200, rotated.text

    answered_by_both_workers("rotated-ingest-password", 200)
    refused = answered_by_both_workers(INGEST_PASSWORD, 401)
    assert_error(refused, 401, "invalid_ingest_password")
    assert_contract(refused)
