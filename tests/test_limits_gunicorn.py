"""Password limits under real concurrency (gunicorn, gevent workers): attempts are counted before
argon2 runs, argon2 checks are bounded, a Redis outage is not an outage (ADR 0011)."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.contract import assert_contract, assert_error
from tests.ingest_support import (
    INGEST_PASSWORD,
    booth_parts,
    configure_slot,
    content_type,
    multipart,
    photo_bytes,
    set_password,
)
from tests.support import ADMIN_PASSWORDS

URL = "/api/ingest/slot-003"
PHOTO = photo_bytes((64, 48))


def all_at_once(count: int, send) -> list[requests.Response]:
    start = threading.Barrier(count)

    def one(i: int) -> requests.Response:
        start.wait()
        return send(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def assert_refused_past_the_limit(responses: list[requests.Response], let_through: int) -> None:
    """Exactly ``let_through`` attempts got past the limit, and none of them succeeded: each is a
    401 — or, on a loaded machine, a 503 ``password_check_busy`` (its check never got a turn
    within its wait; it is refused without being verified either)."""
    limited = [r for r in responses if r.status_code == 429]
    passed = [r for r in responses if r.status_code != 429]
    assert len(limited) == len(responses) - let_through
    assert len(passed) == let_through
    for response in passed:
        assert response.status_code in (401, 503), response.text
        if response.status_code == 503:
            assert response.json()["error"]["code"] == "password_check_busy"


def log_events(server, event: str) -> list[dict]:
    return [json.loads(line) for line in server.log().splitlines()
            if line.startswith("{") and f'"event": "{event}"' in line]


def ingest_burst(app, gunicorn_server, password_of):
    """20 booth uploads at once to one fresh worker whose limit is 3 wrong passwords a minute;
    upload ``i`` carries ``password_of(i)``. (server, responses)"""
    set_password(app)
    configure_slot(app)
    server = gunicorn_server(workers=1, PHOTOSLOT_INGEST_FAIL_LIMIT="3 per minute")

    def upload(i: int) -> requests.Response:
        return requests.post(f"{server.base_url}{URL}",
                             data=multipart(booth_parts(PHOTO, password=password_of(i))),
                             headers={"Content-Type": content_type()}, timeout=60)

    return server, all_at_once(20, upload)


def test_parallel_wrong_ingest_passwords_cannot_slip_past_the_limit(app, gunicorn_server):
    _, responses = ingest_burst(app, gunicorn_server, lambda i: f"guess-{i}")

    # Counted before argon2 ran: 3 were let through to a check, the 17 others never reached it.
    assert_refused_past_the_limit(responses, let_through=3)
    assert_contract(next(r for r in responses if r.status_code == 429))


def test_a_burst_of_right_passwords_on_a_fresh_worker_is_not_taken_for_guesses(
        app, gunicorn_server):
    # After a restart or a rotation no password is proven yet: every booth's upload arrives
    # while the first argon2 check runs. They share that check and none is counted.
    server, responses = ingest_burst(app, gunicorn_server, lambda i: INGEST_PASSWORD)

    assert [r.status_code for r in responses] == [200] * 20
    assert log_events(server, "ingest_rate_limited") == []


def test_parallel_identical_wrong_passwords_share_one_check_and_are_all_counted(
        app, gunicorn_server):
    _, responses = ingest_burst(app, gunicorn_server, lambda i: "same-guess")

    assert_refused_past_the_limit(responses, let_through=3)


def test_parallel_wrong_logins_cannot_slip_past_the_limit(gunicorn_server):
    server = gunicorn_server(workers=1)

    responses = all_at_once(20, lambda i: requests.post(
        f"{server.base_url}/api/login", json={"username": "serg", "password": f"guess-{i}"},
        timeout=60))

    assert_refused_past_the_limit(responses, let_through=5)


def test_a_storm_of_password_checks_gets_503_and_the_booths_are_served(app, gunicorn_server):
    set_password(app)
    configure_slot(app)
    # Behind one trusted proxy every guess may come "from" its own address: no limit stops them,
    # only the bounded argon2 slots do.
    server = gunicorn_server(workers=1, PHOTOSLOT_TRUSTED_PROXIES="1")

    def booth() -> requests.Response:
        return requests.post(f"{server.base_url}{URL}", data=multipart(booth_parts(PHOTO)),
                             headers={"Content-Type": content_type(),
                                      "X-Forwarded-For": "203.0.113.50"}, timeout=60)

    assert booth().status_code == 200  # the booth's password is now proven in this worker

    def guess(i: int) -> requests.Response:
        if i % 10 == 0:
            return booth()
        return requests.post(f"{server.base_url}/api/login", timeout=60,
                             headers={"X-Forwarded-For": f"198.51.100.{i}"},
                             json={"username": "igor", "password": f"guess-{i}"})

    responses = all_at_once(60, guess)

    booths = responses[::10]
    guesses = [r for i, r in enumerate(responses) if i % 10]
    assert [r.status_code for r in booths] == [200] * len(booths)
    assert {r.status_code for r in guesses} <= {401, 503}
    busy = [r for r in guesses if r.status_code == 503]
    assert busy, "60 parallel argon2 checks should overflow the worker's slots"
    error = assert_error(busy[0], 503, "password_check_busy")
    assert busy[0].headers["Retry-After"] == "1" and error["message"]
    assert_contract(busy[0])
    assert "Traceback" not in server.log()


def test_with_redis_unreachable_nothing_fails_and_the_workers_count_in_memory(
        app, gunicorn_server, closed_port):
    set_password(app)
    configure_slot(app)
    server = gunicorn_server(workers=2, PHOTOSLOT_INGEST_FAIL_LIMIT="3 per minute",
                             PHOTOSLOT_RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{closed_port}/0")

    ingest = requests.post(f"{server.base_url}{URL}", data=multipart(booth_parts(PHOTO)),
                           headers={"Content-Type": content_type()}, timeout=30)
    login = requests.post(f"{server.base_url}/api/login", timeout=30,
                          json={"username": "serg", "password": ADMIN_PASSWORDS["serg"]})
    assert (ingest.status_code, login.status_code) == (200, 200)
    # Still limited: a worker counts in its own memory until Redis answers again.
    statuses = [requests.post(f"{server.base_url}/api/login", timeout=30,
                              headers={"Connection": "close"},
                              json={"username": "igor", "password": "wrong"}).status_code
                for _ in range(12)]
    assert set(statuses) == {401, 429} and 200 not in statuses
    assert log_events(server, "ratelimit_storage_unreachable")
    assert not log_events(server, "ratelimit_per_worker")  # redis:// is shared by design


def test_memory_limits_with_two_workers_are_stated_at_start_up(gunicorn_server):
    server = gunicorn_server(workers=2, PHOTOSLOT_LOGIN_LIMIT_PER_USER="5 per minute")
    waited = time.monotonic()
    while len(log_events(server, "ratelimit_per_worker")) < 2 and time.monotonic() - waited < 15:
        time.sleep(0.1)  # the second worker may still be starting
    notices = log_events(server, "ratelimit_per_worker")
    assert len(notices) == 2  # once per worker
    assert notices[0]["workers"] == 2
    assert notices[0]["effective"]["login per username+address"] == "10 per minute"
    assert notices[0]["effective"]["wrong ingest passwords per address"] == "60 per minute"
    assert not log_events(gunicorn_server(workers=1), "ratelimit_per_worker")
