"""Through a real gunicorn (gevent workers): stalled and trickling uploads answer within
T_sync + 1 s, nothing unauthorized reaches the disk, and a worker killed mid-ingest loses only
its own clients (ADR 0010, ADR 0011)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import requests

from photoslot import clock
from photoslot.services.audit import SYSTEM
from photoslot.services.cleanup.runs import run_cleanup
from tests.contract import assert_contract
from tests.ingest_support import (
    INGEST_PASSWORD,
    assert_consistent,
    booth_parts,
    configure_slot,
    content_type,
    files_under,
    jobs,
    multipart,
    photo_bytes,
    read_response,
    set_password,
)

T_SYNC = 3
URL = "/api/ingest/slot-003"
BODY = multipart(booth_parts(photo_bytes((640, 480))))
PHOTO_START = BODY.index(b"\r\n\r\n", BODY.index(b"fileToUpload")) + 4


def request_head(length: int = len(BODY)) -> bytes:
    return (f"POST {URL} HTTP/1.1\r\nHost: booth\r\nContent-Type: {content_type()}\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()


def answer_of(sock: socket.socket, started: float) -> tuple[int, dict, float]:
    status, _, payload = read_response(sock, limit=T_SYNC + 10)
    return status, json.loads(payload), time.monotonic() - started


def assert_closed_by_server(sock: socket.socket) -> None:
    """The server closes a connection whose body it gave up on (it cannot be reused)."""
    sock.settimeout(5)
    with contextlib.suppress(ConnectionResetError):  # a reset is a close too
        assert sock.recv(1) == b""


def test_an_upload_that_stalls_after_1000_photo_bytes_is_408_within_t_sync(
        app, gunicorn_server, media_root):
    set_password(app)
    configure_slot(app)
    server = gunicorn_server(workers=1, PHOTOSLOT_T_SYNC_RESPONSE_S=str(T_SYNC))
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        started = time.monotonic()
        sock.sendall(request_head() + BODY[: PHOTO_START + 1000])  # then nothing more
        status, body, elapsed = answer_of(sock, started)
        assert_closed_by_server(sock)

    assert (status, body["error"]["code"]) == (408, "upload_timeout"), body
    assert body["error"]["details"]["reason"] == "deadline"  # the idle limit (10 s) is longer
    assert elapsed < T_SYNC + 1
    assert jobs(app) == [] and files_under(media_root) == []  # the partial photo is deleted


def test_a_trickling_upload_is_408_within_t_sync(app, gunicorn_server, media_root):
    set_password(app)
    configure_slot(app)
    server = gunicorn_server(workers=1, PHOTOSLOT_T_SYNC_RESPONSE_S=str(T_SYNC),
                             PHOTOSLOT_UPLOAD_IDLE_S="1")
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        started = time.monotonic()
        sock.sendall(request_head() + BODY[:PHOTO_START])
        sent = PHOTO_START
        sock.settimeout(0.2)
        answer = b""
        while not answer and time.monotonic() - started < T_SYNC + 5:
            try:
                answer = sock.recv(65536)
            except TimeoutError:
                sock.sendall(BODY[sent:sent + 100])  # 500 bytes a second: never idle for 1 s
                sent += 100
        elapsed = time.monotonic() - started
        status_line = answer.split(b"\r\n", 1)[0]

    assert status_line.startswith(b"HTTP/1.1 408"), answer[:300]
    assert elapsed < T_SYNC + 1
    assert jobs(app) == [] and files_under(media_root) == []


def test_100_uploads_with_the_file_before_the_password_leave_nothing_on_disk(
        app, gunicorn_server, media_root):
    set_password(app)
    configure_slot(app)
    server = gunicorn_server(workers=2)
    photo = photo_bytes((1200, 900))
    orders = [
        booth_parts(photo, password=None),  # no password at all
        [*booth_parts(photo, password=None), ("password", INGEST_PASSWORD)],  # right, too late
    ]
    seen_on_disk: list[str] = []
    uploading = True

    def watch() -> None:  # anything written while the uploads run, not just what is left
        while uploading:
            seen_on_disk.extend(files_under(media_root))
            time.sleep(0.005)

    def upload(i: int) -> requests.Response:
        return requests.post(f"{server.base_url}{URL}", data=multipart(orders[i % 2]),
                             headers={"Content-Type": content_type()}, timeout=30)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with ThreadPoolExecutor(10) as pool:
            responses = list(pool.map(upload, range(100)))
    finally:
        uploading = False
        watcher.join()

    assert {r.status_code for r in responses} <= {401, 429}, {r.status_code for r in responses}
    assert_contract(responses[0])
    assert seen_on_disk == [] and files_under(media_root) == []
    assert sum(f.stat().st_size for f in Path(media_root).rglob("*") if f.is_file()) == 0
    assert jobs(app) == []


def worker_pids(server) -> list[int]:
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    return [int(pid) for pid in children.read_text().split()]


def client_ports_by_worker(server) -> dict[int, set[int]]:
    """Which worker holds which client connection (by the client's port), read from /proc."""
    inodes: dict[int, set[str]] = {}
    for pid in worker_pids(server):
        fd_dir = Path(f"/proc/{pid}/fd")
        links = set()
        for fd in fd_dir.iterdir():
            try:
                links.add(os.readlink(fd))
            except OSError:
                continue
        inodes[pid] = {link[8:-1] for link in links if link.startswith("socket:[")}
    ports: dict[int, set[int]] = {pid: set() for pid in inodes}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        remote_port = int(fields[2].split(":")[1], 16)
        if local_port == server.port and fields[3] == "01":  # ESTABLISHED, not the listener
            for pid, owned in inodes.items():
                if fields[9] in owned:
                    ports[pid].add(remote_port)
    return ports


def test_a_worker_killed_mid_ingest_fails_only_its_clients_and_cleanup_closes_its_jobs(
        app, gunicorn_server, media_root):
    set_password(app)
    configure_slot(app, params={"delay_ms": 4000})
    server = gunicorn_server(workers=2, PHOTOSLOT_T_SYNC_RESPONSE_S="20")
    body = multipart(booth_parts(photo_bytes()))
    clients: list[socket.socket] = []
    try:
        by_worker: dict[int, set[int]] = {}
        for _ in range(30):  # until both workers hold some of the ingests
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
            sock.sendall(request_head(len(body)) + body)
            clients.append(sock)
            time.sleep(0.05)
            by_worker = client_ports_by_worker(server)
            if len(clients) >= 4 and all(by_worker.values()):
                break
        assert all(by_worker.values()), by_worker
        deadline = time.monotonic() + 20
        while sum(j.status == "pending" for j in jobs(app)) < len(clients):
            assert time.monotonic() < deadline, jobs(app)
            time.sleep(0.05)

        victim = max(by_worker, key=lambda pid: len(by_worker[pid]))
        os.kill(victim, signal.SIGKILL)

        outcomes: dict[str, list[int]] = {"killed": [], "served": []}
        for sock in clients:
            port = sock.getsockname()[1]
            try:
                status, _, _ = read_response(sock, limit=30)
            except (ConnectionError, OSError):
                status = 0  # no answer at all: the booth prints the original photo
            side = "killed" if port in by_worker[victim] else "served"
            outcomes[side].append(status)
    finally:
        for sock in clients:
            sock.close()

    assert outcomes["killed"] and set(outcomes["killed"]) == {0}, outcomes
    assert outcomes["served"] and set(outcomes["served"]) == {200}, outcomes
    # gunicorn replaced the worker; new ingests are served.
    again = requests.post(f"{server.base_url}{URL}", data=body, timeout=30,
                          headers={"Content-Type": content_type()})
    assert again.status_code == 200, again.text[:300]
    left = [j for j in jobs(app) if j.status == "pending"]
    assert len(left) == len(outcomes["killed"])

    clock.advance(timedelta(seconds=20) + timedelta(minutes=6))
    with app.app_context():
        run = run_cleanup(actor=SYSTEM)
    assert run.summary["jobs_abandoned"] == len(left)
    closed = {j.id: j for j in jobs(app)}
    assert all((closed[j.id].status, closed[j.id].error_code) == ("error", "abandoned")
               for j in left)
    clock.reset()
    assert_consistent(app, media_root)
