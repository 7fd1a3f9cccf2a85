"""Failed-login limits: per username+IP and per IP, 429 in the envelope with Retry-After."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
import redis
import requests

from photoslot.config import current_config
from tests.contract import assert_contract, assert_error
from tests.support import ADMIN_PASSWORDS
from tests.workers import spread_requests

REDIS_URL = "redis://127.0.0.1:6379/11"  # this suite's own database number; flushed around use


def attempt(client, username="serg", password="wrong-password", ip="127.0.0.1"):
    response = client.post("/api/login", json={"username": username, "password": password},
                           environ_base={"REMOTE_ADDR": ip})
    assert_contract(response)
    return response


def assert_rate_limited(response) -> None:
    error = assert_error(response, 429, "rate_limited")
    assert "too many failed login attempts" in error["message"]
    assert 0 < int(response.headers["Retry-After"]) <= 60


def test_brute_force_of_50_wrong_logins_never_succeeds_and_is_cut_off(client):
    statuses = [attempt(client).status_code for _ in range(50)]
    assert 200 not in statuses
    assert statuses == [401] * 5 + [429] * 45
    assert_rate_limited(attempt(client))


def test_locked_out_username_refuses_even_the_right_password_from_that_ip_only(client):
    for _ in range(5):
        assert attempt(client).status_code == 401
    assert_rate_limited(attempt(client, password=ADMIN_PASSWORDS["serg"]))
    assert attempt(client, password=ADMIN_PASSWORDS["serg"], ip="10.0.0.7").status_code == 200
    assert attempt(client, "igor", ADMIN_PASSWORDS["igor"]).status_code == 200


def test_default_limits_are_5_per_user_and_ip_and_20_per_ip(app):
    with app.app_context():
        config = current_config()
    assert (config.login_limit_per_user, config.login_limit_per_ip) == (
        "5 per minute", "20 per minute")


def test_failed_attempts_per_ip_are_capped_across_usernames(make_app):
    # A lower per-IP limit than the default 20 keeps the test short (argon2 costs ~0.3 s a try).
    client = make_app(PHOTOSLOT_LOGIN_LIMIT_PER_IP="7 per minute").test_client()
    statuses = [attempt(client, f"user{i}").status_code for i in range(9)]
    assert statuses == [401] * 7 + [429] * 2
    assert_rate_limited(attempt(client, "igor", ADMIN_PASSWORDS["igor"]))
    assert attempt(client, "igor", ADMIN_PASSWORDS["igor"], ip="10.0.0.8").status_code == 200


def test_successful_and_malformed_logins_do_not_count(client):
    for _ in range(6):
        assert attempt(client, password=ADMIN_PASSWORDS["serg"]).status_code == 200
    for _ in range(6):
        response = client.post("/api/login", json={"username": "serg"})
        assert response.status_code == 422
    assert attempt(client).status_code == 401


def test_limits_come_from_the_configuration(make_app):
    client = make_app(PHOTOSLOT_LOGIN_LIMIT_PER_USER="2 per minute").test_client()
    assert [attempt(client).status_code for _ in range(3)] == [401, 401, 429]


@pytest.fixture
def redis_db():
    """A flushed Redis database for the limiter; skipped only when Redis is not reachable."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def test_limits_are_shared_by_two_gunicorn_workers_through_redis(gunicorn_server, redis_db):
    server = gunicorn_server(workers=2, PHOTOSLOT_RATELIMIT_STORAGE_URI=REDIS_URL)

    def wrong_login(headers):
        return requests.post(f"{server.base_url}/api/login", headers=headers, timeout=10,
                             json={"username": "serg", "password": "wrong-password"})

    answered = spread_requests(server, wrong_login, at_least=20)
    statuses = [response.status_code for response, _ in answered]
    assert len({pid for _, pid in answered}) == 2, "both workers must have answered"
    # Per-worker counters would let each worker allow 5; one shared counter allows 5 in total.
    assert statuses.count(401) == 5 and statuses[:5] == [401] * 5
    assert set(statuses[5:]) == {429}
    for response, _ in answered:
        assert_contract(response)
    assert_rate_limited(answered[-1][0])
    assert redis_db.dbsize() > 0, "the counters live in Redis"


def test_with_redis_unreachable_logins_work_and_are_limited_in_memory(make_app, closed_port,
                                                                    caplog):
    client = make_app(
        PHOTOSLOT_RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{closed_port}/0").test_client()
    assert attempt(client, password=ADMIN_PASSWORDS["serg"]).status_code == 200  # not a 500
    assert [attempt(client).status_code for _ in range(6)] == [401] * 5 + [429]
    warnings = [r for r in caplog.records if r.getMessage() == "ratelimit_storage_unreachable"]
    assert len(warnings) == 1  # once per fallback period, not once per request


@pytest.fixture
def own_redis(tmp_path, closed_port):
    """A redis-server of this test's own on a free port, which the test may stop and restart."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")

    def start() -> subprocess.Popen:
        process = subprocess.Popen(
            [binary, "--port", str(closed_port), "--save", "", "--appendonly", "no",
             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
        probe = redis.Redis(port=closed_port, socket_connect_timeout=1)
        for _ in range(100):
            try:
                probe.ping()
                return process
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    servers = [start()]
    yield closed_port, servers, start
    for process in servers:
        process.terminate()
        process.wait(10)


def test_a_redis_outage_falls_back_to_memory_and_redis_is_used_again_after_it(
        make_app, own_redis, monkeypatch):
    from photoslot import ratelimit

    monkeypatch.setattr(ratelimit, "REDIS_RETRY_AFTER_S", 0.0)  # retry Redis on every call
    port, servers, start = own_redis
    client = make_app(PHOTOSLOT_RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{port}/0",
                      PHOTOSLOT_LOGIN_LIMIT_PER_USER="3 per minute").test_client()
    shared = redis.Redis(port=port)
    assert attempt(client).status_code == 401
    assert shared.dbsize() > 0  # counted in Redis

    servers[0].terminate()
    servers[0].wait(10)
    assert [attempt(client).status_code for _ in range(4)] == [401] * 3 + [429]  # memory
    assert attempt(client, password=ADMIN_PASSWORDS["serg"], ip="10.0.0.3").status_code == 200

    servers.append(start())  # an empty Redis: the counting starts over there
    assert [attempt(client).status_code for _ in range(4)] == [401] * 3 + [429]
    assert redis.Redis(port=port).dbsize() > 0
