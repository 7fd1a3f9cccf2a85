"""POST /api/slots/{slot_id}/test: an admin's trial run through the real ingest pipeline."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.contract import assert_contract, assert_error
from tests.ingest_support import configure_slot, jobs, media_rows, photo_bytes

URL = "/api/slots/slot-004/test"


@pytest.fixture
def app(make_app):
    """The real provider registry, no API keys, and no ingest password set."""
    return make_app(GEMINI_API_KEY="", TURBOTEXT_API_KEY="")


def trial(client, headers, photo: bytes | None = None, field: str = "file", url: str = URL,
          **extra):
    data = {field: (io.BytesIO(photo or photo_bytes()), "sample.jpg", "image/jpeg"), **extra}
    return client.post(url, headers=headers, data=data, content_type="multipart/form-data")


def test_trial_run_works_on_a_disabled_slot_without_ingest_password(app, client, writer,
                                                                     auth_headers):
    configure_slot(app, "slot-004", operation="sepia", params={"strength": 1}, enabled=False)
    photo = photo_bytes((120, 90))
    response = trial(client, writer, photo)

    assert response.status_code == 200, response.get_data(True)
    assert_contract(response)
    assert response.mimetype == "image/jpeg"
    job_id = response.headers["X-Job-Id"]
    assert response.headers["X-Result-Url"] == f"http://gateway.test/public/results/{job_id}"
    assert response.headers["Server-Timing"].startswith("provider;dur=")
    assert Image.open(io.BytesIO(response.data)).size == (120, 90)
    assert response.data != photo
    [job] = jobs(app)
    assert (job.id, job.slot_id, job.status, job.is_test, job.operation) == (
        job_id, "slot-004", "done", True, "sepia")
    assert job.client_meta == {"filename": "sample.jpg"}
    detail = client.get("/api/slots/slot-004", headers=auth_headers()).get_json()
    assert detail["enabled"] is False
    [recent] = detail["recent_results"]
    assert (recent["job_id"], recent["is_test"]) == (job_id, True)
    assert recent["thumbnail_url"] is not None
    listed = client.get("/api/slots", headers=auth_headers()).get_json()["slots"]
    assert listed[3]["finished_jobs_24h"] == 0  # test runs stay out of the success rate


def test_trial_run_answers_json_on_request_and_takes_the_booths_field_names(app, client, writer):
    response = trial(client, writer, field="fileToUpload", url=f"{URL}?response=json&preview=1",
                     password="whatever, it is ignored")
    assert response.status_code == 200, response.get_data(True)
    assert_contract(response)
    body = response.get_json()
    assert (body["status"], body["slot_id"]) == ("done", "slot-004")
    assert body["preview"].startswith("data:image/jpeg;base64,")
    by_accept = client.post(URL, headers={**writer, "Accept": "application/json"},
                            data={"photo": (io.BytesIO(photo_bytes()), "p.jpg")},
                            content_type="multipart/form-data")
    assert by_accept.get_json()["job_id"] == by_accept.headers["X-Job-Id"]
    assert all(job.is_test for job in jobs(app))


def test_a_provider_failure_is_502_with_the_job_id(app, client, writer):
    configure_slot(app, "slot-004", provider="gemini", operation="edit",
                   params={"prompt": "Make it pop"}, enabled=False)
    response = trial(client, writer)
    error = assert_error(response, 502, "provider_unavailable")
    assert_contract(response)
    assert error["details"]["job_id"] == response.headers["X-Job-Id"]
    [job] = jobs(app)
    assert (job.status, job.is_test, job.error_code) == ("error", True, "provider_unavailable")


def test_trial_run_errors_use_the_envelope(app, client, writer, auth_headers):
    assert_error(trial(client, {}), 401)
    forbidden = trial(client, auth_headers(permissions={"media:write"}))
    assert_error(forbidden, 403, "forbidden")
    assert_contract(forbidden)
    unknown = trial(client, writer, url="/api/slots/slot-099/test")
    assert_error(unknown, 404, "slot_not_found")
    assert_contract(unknown)
    not_an_image = trial(client, writer, b"%PDF-1.7 not a photo")
    assert_error(not_an_image, 415, "unsupported_media_type")
    assert_contract(not_an_image)
    no_file = client.post(URL, headers=writer, data={"name": "x"},
                          content_type="multipart/form-data")
    assert_error(no_file, 400, "missing_file")
    assert_error(client.post(URL, headers=writer, json={}), 415, "unsupported_media_type")
    assert jobs(app) == [] and media_rows(app) == []
