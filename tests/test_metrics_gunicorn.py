"""/metrics under a real gunicorn with three gevent workers: ingests with mixed outcomes spread
over the workers, and the scrape counts exactly what was sent (acceptance of UC6)."""

from __future__ import annotations

import subprocess
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from photoslot.services.cleanup.runs import run_cleanup
from tests.contract import assert_contract
from tests.fakes import gemini as fake_gemini
from tests.ingest_support import (
    INGEST_PASSWORD,
    booth_parts,
    configure_slot,
    content_type,
    multipart,
    photo_bytes,
    set_password,
)
from tests.metrics_support import parse, promtool, referenced_metric_names, sample_names, total
from tests.workers import worker_pids

T_SYNC = 10
BODY = {password: multipart(booth_parts(photo_bytes(), password))
        for password in (INGEST_PASSWORD, "wrong-password")}
# (slot, password) -> what the booth must get: done, 504 (slow local), 502 (Gemini fails), 401
PLAN = ([("slot-001", INGEST_PASSWORD, 200)] * 12 + [("slot-002", INGEST_PASSWORD, 504)] * 4
        + [("slot-003", INGEST_PASSWORD, 502)] * 4 + [("slot-001", "wrong-password", 401)] * 4)


@pytest.fixture
def gemini_fake():
    with fake_gemini.FakeGemini() as fake:
        yield fake


@pytest.fixture
def app_env(app_env, gemini_fake):
    return {**app_env, "PHOTOSLOT_T_SYNC_RESPONSE_S": str(T_SYNC),
            "GEMINI_API_KEY": fake_gemini.DEFAULT_API_KEY,
            "PHOTOSLOT_GEMINI_BASE_URL": gemini_fake.base_url,
            "PHOTOSLOT_METRICS_CACHE_S": "0"}


def send(server, slot: str, password: str) -> tuple[str, int]:
    request_id = uuid.uuid4().hex
    response = requests.post(
        f"{server.base_url}/api/ingest/{slot}", data=BODY[password], timeout=30,
        headers={"Content-Type": content_type(), "X-Request-ID": request_id,
                 "Connection": "close"})
    return request_id, response.status_code


def send_all(server, plan) -> list[tuple[str, int]]:
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda step: send(server, step[0], step[1]), plan))


def test_counters_equal_what_three_workers_answered(app, gunicorn_server, media_root):
    set_password(app)
    configure_slot(app, "slot-001", operation="grayscale")
    configure_slot(app, "slot-002", params={"delay_ms": 60_000})
    configure_slot(app, "slot-003", provider="gemini", operation="edit",
                   params={"prompt": "comic [fake:status=500]"})
    server = gunicorn_server(workers=3)

    sent = send_all(server, PLAN)
    assert [status for _, status in sent] == [status for _, _, status in PLAN], server.log()[-3000:]
    # Top up with successful ingests until each of the three workers has answered some.
    while len(served_by(server, sent)) < 3 and len(sent) < 200:
        sent += send_all(server, [("slot-001", INGEST_PASSWORD, 200)] * 8)
    assert len(served_by(server, sent)) == 3, "every worker must have served ingests"
    statuses = Counter(status for _, status in sent)
    assert set(statuses) == {200, 504, 502, 401}
    with app.app_context():
        run_cleanup()  # so the cleanup timestamp is exported too

    first, second = scrape(server), scrape(server)
    for samples in (first, second):  # whichever worker answers, it sums every worker's files
        assert_counts(samples, statuses)
    assert all("pid" not in dict(labels) for _, labels in first)
    assert total(first, "photoslot_media_objects", kind="result") == statuses[200]
    used = referenced_metric_names()
    exported = sample_names(first)
    assert {where: sorted(names - exported) for where, names in used.items()
            if names - exported} == {}

    text = requests.get(f"{server.base_url}/metrics", timeout=10).text
    checked = subprocess.run([promtool(), "check", "metrics"], input=text, capture_output=True,
                             text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def served_by(server, sent: list[tuple[str, int]]) -> set[int]:
    pids = worker_pids(server.log())
    return {pids[request_id] for request_id, _ in sent if request_id in pids}


def scrape(server):
    response = requests.get(f"{server.base_url}/metrics", timeout=10)
    assert response.status_code == 200
    assert_contract(response)
    return parse(response.text)


def assert_counts(samples, statuses: Counter) -> None:
    done, timeout, failed, rejected = (statuses[200], statuses[504], statuses[502],
                                       statuses[401])
    ingests = {(dict(labels)["slot"], dict(labels)["provider"], dict(labels)["outcome"]): value
               for (name, labels), value in samples.items()
               if name == "photoslot_ingest_total" and value}
    assert ingests == {("slot-001", "local", "done"): done,
                       ("slot-002", "local", "timeout"): timeout,
                       ("slot-003", "gemini", "provider_error"): failed,
                       ("slot-001", "local", "rejected"): rejected}
    histogram = "photoslot_ingest_duration_seconds_count"
    assert total(samples, histogram, provider="local", outcome="done") == done
    assert total(samples, histogram, provider="local", outcome="timeout") == timeout
    assert total(samples, histogram, provider="gemini", outcome="provider_error") == failed
    assert total(samples, histogram, outcome="rejected") == rejected
    # A 504 is observed just past T_sync: never in a bucket below it, always in the next one.
    assert total(samples, "photoslot_ingest_duration_seconds_bucket", outcome="timeout",
                 le="5.0") == 0
    assert total(samples, "photoslot_provider_duration_seconds_count") == done + timeout + failed
    assert total(samples, "photoslot_gateway_overhead_seconds_count") == done + timeout + failed
    assert total(samples, "photoslot_ingest_inflight") == 0
    for status, count in ((200, done), (504, timeout), (502, failed), (401, rejected)):
        assert total(samples, "flask_http_request_duration_seconds_count",
                     url_rule="/api/ingest/<slot_id>", status=str(status)) == count
        assert total(samples, "flask_http_request_total", method="POST",
                     status=str(status)) == count
