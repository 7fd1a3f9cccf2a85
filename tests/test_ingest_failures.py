"""After the job exists: timeout (UC3), provider errors, late answers — always a final status."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any, ClassVar

import gevent
import pytest

from photoslot import clock
from photoslot.extensions import db
from photoslot.providers.base import (
    Deadline,
    Provider,
    ProviderError,
    ProviderRequest,
    ProviderResult,
)
from photoslot.services.cleanup.runs import run_cleanup
from tests.contract import assert_contract, assert_error
from tests.ingest_support import (
    assert_consistent,
    assert_failed_job,
    booth_parts,
    configure_slot,
    content_type,
    jobs,
    media_rows,
    multipart,
    photo_bytes,
    set_password,
)

URL = "/api/ingest/slot-003"


class ScriptedProvider(Provider):
    """A stand-in driver whose behaviour each test picks through the slot's params."""

    name: ClassVar[str] = "scripted"
    operations: ClassVar[dict[str, dict[str, Any]]] = {"run": {"type": "object"}}

    def process(self, request: ProviderRequest, deadline: Deadline) -> ProviderResult:
        mode = request.params["mode"]
        if mode == "error":
            raise ProviderError(request.params["code"], "the provider said no",
                                {"provider_status": 400})
        if mode == "crash":
            raise RuntimeError("driver bug")
        if mode == "killed":
            raise gevent.GreenletExit()  # what a worker shutdown throws into the request
        if mode == "inner_timeout":
            with gevent.Timeout(0.01):  # the driver's own timer, not the gateway's
                gevent.sleep(1)
        if mode == "garbage":
            return ProviderResult(b"<html>not an image</html>", "image/jpeg")
        if mode == "abandoned_meanwhile":
            _cleanup_closes_the_job_as_abandoned()
            if request.params["answer"] == "error":
                raise ProviderError("provider_error", "the provider said no")
            return ProviderResult(photo_bytes(), "image/jpeg")
        if mode == "late":
            time.sleep(request.params["seconds"])  # blocking: no gevent.Timeout can cut it
            return ProviderResult(photo_bytes(), "image/jpeg")
        raise AssertionError(mode)


def _cleanup_closes_the_job_as_abandoned() -> None:
    """What cron's cleanup does to a job still pending long after T_sync (its worker looks dead)."""
    clock.advance(timedelta(hours=1))
    run_cleanup()
    db.session.close()


def post(client, **kwargs):
    return client.post(URL, data=multipart(booth_parts(photo_bytes())),
                       content_type=content_type(), **kwargs)


@pytest.fixture
def short_app(make_app):
    """T_sync = 2 s, password set, slot-003 enabled (local/grayscale) and the scripted driver."""
    app = make_app(PHOTOSLOT_T_SYNC_RESPONSE_S="2")
    app.extensions["photoslot.providers"]["scripted"] = ScriptedProvider(
        app.extensions["photoslot.config"])
    set_password(app)
    configure_slot(app)
    return app


def test_slow_provider_gives_504_within_t_sync_and_a_timeout_row(short_app, media_root):
    configure_slot(short_app, params={"delay_ms": 5000})
    started = time.monotonic()
    response = post(short_app.test_client())
    elapsed = time.monotonic() - started

    job = assert_failed_job(short_app, response, 504, "provider_timeout", "timeout")
    assert elapsed < 3.0  # T_sync + 1 s
    assert 1900 <= job.total_ms < 3000 and job.provider_ms < 3000
    assert response.headers["Server-Timing"].startswith("provider;dur=")
    assert_consistent(short_app, media_root)  # no input file, the input row expired, no result


@pytest.mark.parametrize("code", ["provider_blocked", "provider_rate_limited", "provider_error"])
def test_provider_error_is_502_with_its_code(short_app, media_root, code):
    configure_slot(short_app, provider="scripted", operation="run",
                   params={"mode": "error", "code": code})
    response = post(short_app.test_client())
    job = assert_failed_job(short_app, response, 502, code, "error")
    assert job.error_message == "the provider said no"
    assert response.get_json()["error"]["details"]["provider_status"] == 400
    assert_consistent(short_app, media_root)


def test_provider_timeout_error_from_the_driver_is_504(short_app, media_root):
    configure_slot(short_app, provider="scripted", operation="run",
                   params={"mode": "error", "code": "provider_timeout"})
    assert_failed_job(short_app, post(short_app.test_client()), 504, "provider_timeout", "timeout")
    assert_consistent(short_app, media_root)


def test_a_crashing_driver_still_ends_the_job_with_502(short_app, media_root):
    configure_slot(short_app, provider="scripted", operation="run", params={"mode": "crash"})
    assert_failed_job(short_app, post(short_app.test_client()), 502, "provider_error", "error")
    assert_consistent(short_app, media_root)


def test_a_drivers_own_escaped_timeout_is_502_not_a_dropped_connection(short_app, media_root):
    configure_slot(short_app, provider="scripted", operation="run",
                   params={"mode": "inner_timeout"})
    assert_failed_job(short_app, post(short_app.test_client()), 502, "provider_error", "error")
    assert_consistent(short_app, media_root)


def test_a_non_image_answer_is_502_bad_response(short_app, media_root):
    configure_slot(short_app, provider="scripted", operation="run", params={"mode": "garbage"})
    assert_failed_job(short_app, post(short_app.test_client()), 502, "provider_bad_response",
                      "error")
    assert_consistent(short_app, media_root)


def test_an_answer_after_the_deadline_is_discarded(short_app, media_root):
    configure_slot(short_app, provider="scripted", operation="run",
                   params={"mode": "late", "seconds": 2.3})
    assert_failed_job(short_app, post(short_app.test_client()), 504, "provider_timeout", "timeout")
    assert_consistent(short_app, media_root)  # nothing the late answer produced is kept


def test_a_slot_whose_provider_is_gone_is_502_unavailable(short_app, media_root):
    configure_slot(short_app, provider="scripted", operation="run", params={"mode": "garbage"})
    del short_app.extensions["photoslot.providers"]["scripted"]
    assert_failed_job(short_app, post(short_app.test_client()), 502, "provider_unavailable",
                      "error")
    assert_consistent(short_app, media_root)


def test_a_killed_request_greenlet_still_ends_the_job(short_app, media_root):
    configure_slot(short_app, provider="scripted", operation="run", params={"mode": "killed"})
    with pytest.raises(gevent.GreenletExit):
        post(short_app.test_client())
    [job] = jobs(short_app)
    assert (job.status, job.error_code) == ("error", "internal_error")
    assert_consistent(short_app, media_root)


@pytest.mark.parametrize("answer", ["image", "error"])
def test_a_job_the_cleanup_closed_meanwhile_stays_abandoned_and_answers_502(
        short_app, media_root, answer):
    configure_slot(short_app, provider="scripted", operation="run",
                   params={"mode": "abandoned_meanwhile", "answer": answer})
    response = post(short_app.test_client())

    error = assert_error(response, 502, "abandoned")
    assert_contract(response)
    [job] = jobs(short_app)
    assert response.headers["X-Job-Id"] == job.id == error["details"]["job_id"]
    assert "X-Result-Url" not in response.headers
    assert (job.status, job.error_code) == ("error", "abandoned")  # the cleanup's verdict stands
    assert job.provider_ms is None  # nothing of this request's outcome was written
    assert media_rows(short_app, "result") == [] and media_rows(short_app, "thumbnail") == []
    assert_consistent(short_app, media_root)  # no result file, no input file left
