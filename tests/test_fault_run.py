"""The fault run: many booth uploads through a real gunicorn against the Gemini and Turbotext
fakes, a fifth of them meeting a fault of every kind — each answer has its status and code,
``job_history`` holds exactly one finished row per upload, and after the cleanup no file is
left without its row.

60 uploads by default (``make test``); ``PHOTOSLOT_FAULT_RUN_INGESTS=300`` runs the long
variant (about a minute on two cores).
"""

from __future__ import annotations

import os
import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from photoslot.services.audit import SYSTEM
from photoslot.services.cleanup.runs import run_cleanup
from tests.contract import assert_contract, assert_error
from tests.fakes import gemini as fake_gemini
from tests.fakes import turbotext as fake_turbotext
from tests.ingest_support import (
    assert_consistent,
    booth_parts,
    configure_slot,
    content_type,
    jobs,
    multipart,
    photo_bytes,
    set_password,
)
from tests.support import GunicornServer, free_port

pytestmark = pytest.mark.gunicorn

T_SYNC = 6
INGESTS = int(os.environ.get("PHOTOSLOT_FAULT_RUN_INGESTS") or 60)
LATE = f"latency={(T_SYNC + 2) * 1000}"
#: slot → (provider, fake mode, expected status, expected code); the first three never fail.
SLOTS = {
    "slot-001": ("gemini", "ok", 200, None),
    "slot-002": ("turbotext", "ok", 200, None),
    "slot-003": ("local", "ok", 200, None),
    "slot-004": ("gemini", LATE, 504, "provider_timeout"),
    "slot-005": ("gemini", "status=500", 502, "provider_error"),
    "slot-006": ("gemini", "status=429", 502, "provider_rate_limited"),
    "slot-007": ("gemini", "malformed", 502, "provider_bad_response"),
    "slot-008": ("gemini", "drop", 502, "provider_unavailable"),
    "slot-009": ("gemini", "block=SAFETY", 502, "provider_blocked"),
    "slot-010": ("gemini", "finish=NO_IMAGE", 502, "provider_no_image"),
    "slot-011": ("turbotext", LATE, 504, "provider_timeout"),
    "slot-012": ("turbotext", "status=500", 502, "provider_error"),
    "slot-013": ("turbotext", "drop,at=poll", 502, "provider_unavailable"),
    "slot-014": ("turbotext", "malformed", 502, "provider_bad_response"),
}
HEALTHY = [slot for slot, (_, _, status, _) in SLOTS.items() if status == 200]
FAULTY = [slot for slot in SLOTS if slot not in HEALTHY]


@pytest.fixture(scope="module")
def fakes():
    with fake_gemini.FakeGemini() as gemini, fake_turbotext.FakeTurbotext(pending=0) as turbo:
        yield gemini, turbo


@pytest.fixture
def app_env(app_env, fakes):
    gemini, turbo = fakes
    return {**app_env, "PHOTOSLOT_T_SYNC_RESPONSE_S": str(T_SYNC),
            "GEMINI_API_KEY": fake_gemini.DEFAULT_API_KEY,
            "PHOTOSLOT_GEMINI_BASE_URL": gemini.base_url,
            "TURBOTEXT_API_KEY": fake_turbotext.DEFAULT_API_KEY,
            "PHOTOSLOT_TURBOTEXT_BASE_URL": turbo.base_url}


@pytest.fixture
def server(app, app_env, tmp_path):
    port = free_port()  # Turbotext downloads the photo from the server's own public link
    gunicorn = GunicornServer({**app_env, "PHOTOSLOT_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"},
                              tmp_path / "gunicorn.log", workers=2, port=port)
    yield gunicorn
    gunicorn.stop()


def configure(app) -> None:
    set_password(app)
    for slot_id, (provider, mode, _, _) in SLOTS.items():
        marker = f"comic style [fake:{mode}]"
        operation, params = {
            "gemini": ("edit", {"prompt": marker}),
            "turbotext": ("generate_image2image", {"content": marker}),
            "local": ("sepia", {}),
        }[provider]
        configure_slot(app, slot_id, provider=provider, operation=operation, params=params)


def plan(count: int) -> list[str]:
    """A fifth of the uploads go to the faulty slots, every kind in turn; the rest are healthy."""
    faults = count // 5
    slots = [FAULTY[i % len(FAULTY)] for i in range(faults)]
    slots += [HEALTHY[i % len(HEALTHY)] for i in range(count - faults)]
    random.Random(15).shuffle(slots)
    return slots


def test_a_fault_run_answers_every_upload_rightly_and_leaves_nothing_behind(
        app, server, media_root):
    configure(app)
    slots = plan(INGESTS)
    assert set(slots) == set(SLOTS)  # every kind of fault is met at least once
    photo = photo_bytes((320, 240))

    def upload(slot_id: str) -> requests.Response:
        return requests.post(f"{server.base_url}/api/ingest/{slot_id}", timeout=T_SYNC + 10,
                             data=multipart(booth_parts(photo)),
                             headers={"Content-Type": content_type()})

    with ThreadPoolExecutor(10) as pool:
        responses = list(pool.map(upload, slots))

    outcomes = Counter()
    for slot_id, response in zip(slots, responses, strict=True):
        _, _, status, code = SLOTS[slot_id]
        if status == 200:
            assert response.status_code == 200, (slot_id, response.text[:300])
            assert response.headers["Content-Type"] == "image/jpeg"
        else:
            assert_error(response, status, code)
        outcomes[response.status_code] += 1
    assert_contract(responses[0])
    assert outcomes[200] == INGESTS - INGESTS // 5

    rows = {job.id: job for job in jobs(app)}
    job_ids = [response.headers["X-Job-Id"] for response in responses]
    assert sorted(rows) == sorted(job_ids)  # exactly one row per upload
    expected_status = {200: "done", 502: "error", 504: "timeout"}
    for slot_id, job_id in zip(slots, job_ids, strict=True):
        _, _, status, code = SLOTS[slot_id]
        job = rows[job_id]
        assert (job.slot_id, job.status, job.error_code) == (
            slot_id, expected_status[status], code)
        assert job.finished_at is not None and job.total_ms is not None

    with app.app_context():
        assert run_cleanup(actor=SYSTEM).status == "ok"
    assert_consistent(app, media_root)  # no pending row, no input left, no orphan file
