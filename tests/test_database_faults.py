"""Fault suite, database: refused, unreachable or hanging PostgreSQL answers 503
``database_unavailable`` with Retry-After within T_sync + 1 s, and the service recovers without a
restart once the database is back."""

from __future__ import annotations

import time

import pytest
import requests
from sqlalchemy.engine import make_url

from tests.contract import assert_contract, assert_error
from tests.faults import TcpSwitch
from tests.ingest_support import (
    booth_parts,
    configure_slot,
    content_type,
    files_under,
    jobs,
    multipart,
    photo_bytes,
    set_password,
)

T_SYNC = 4
INGEST = "/api/ingest/slot-003"


def dead_url(port: int) -> str:
    return f"postgresql://postgres@127.0.0.1:{port}/photoslot"


def assert_unavailable(response, elapsed: float) -> None:
    error = assert_error(response, 503, "database_unavailable")
    assert_contract(response)
    assert response.headers["Retry-After"] == "5"
    assert error["details"]["request_id"] == response.headers["X-Request-ID"]
    assert elapsed < T_SYNC + 1, elapsed


@pytest.fixture
def booth_body() -> bytes:
    return multipart(booth_parts(photo_bytes()))


@pytest.mark.parametrize("mode", ["refuse", "blackhole"])
def test_unreachable_or_hanging_database_is_503_on_every_kind_of_route(
        make_app, auth_headers, booth_body, media_root, mode):
    make_app()  # the suite's database, emptied and seeded; the app below cannot reach one
    with TcpSwitch(mode=mode) as nowhere:
        client = make_app(DATABASE_URL=dead_url(nowhere.port),
                          PHOTOSLOT_T_SYNC_RESPONSE_S=str(T_SYNC)).test_client()
        calls = [
            lambda: client.post(INGEST, data=booth_body, content_type=content_type()),
            lambda: client.get("/api/slots", headers=auth_headers()),
            lambda: client.post("/api/login", json={"username": "serg", "password": "x"}),
            lambda: client.get("/public/results/6f1c2a52-3d8e-4b9a-9a55-0c8f2f7d9e11"),
        ]
        for call in calls:
            started = time.monotonic()
            response = call()
            assert_unavailable(response, time.monotonic() - started)
    assert files_under(media_root) == []  # the ingest stored nothing


@pytest.mark.postgres("a TCP relay in front of the real PostgreSQL server")
def test_an_outage_answers_503_in_time_and_the_service_recovers_without_restart(
        app, app_env, gunicorn_server, auth_headers, booth_body):
    set_password(app)
    configure_slot(app)
    url = make_url(app_env["DATABASE_URL"])
    with TcpSwitch((url.host or "127.0.0.1", url.port or 5432)) as switch:
        relayed = url.set(host="127.0.0.1", port=switch.port).render_as_string(False)
        server = gunicorn_server(workers=1, DATABASE_URL=relayed,
                                 PHOTOSLOT_T_SYNC_RESPONSE_S=str(T_SYNC))

        def ingest() -> tuple[requests.Response, float]:
            started = time.monotonic()
            response = requests.post(server.base_url + INGEST, data=booth_body, timeout=30,
                                     headers={"Content-Type": content_type()})
            return response, time.monotonic() - started

        def slots() -> tuple[requests.Response, float]:
            started = time.monotonic()
            response = requests.get(server.base_url + "/api/slots", headers=auth_headers(),
                                    timeout=30)
            return response, time.monotonic() - started

        assert ingest()[0].status_code == 200 and slots()[0].status_code == 200
        pid = server.process.pid

        switch.mode = "blackhole"  # pooled connections hang mid-statement, new ones at connect
        for call in (ingest, slots, ingest):
            assert_unavailable(*call())
        switch.mode = "refuse"  # the server is down: connections are refused
        for call in (slots, ingest):
            assert_unavailable(*call())

        switch.mode = "forward"  # back: the next requests work, same server, no restart
        response, _ = ingest()
        assert response.status_code == 200, response.text
        assert slots()[0].status_code == 200
        assert server.process.pid == pid and server.process.poll() is None

    log = server.log()
    assert '"event": "database_unavailable"' in log
    assert "internal_error" not in log and "Traceback" not in log
    assert all(job.status == "done" for job in jobs(app)) and len(jobs(app)) == 2
