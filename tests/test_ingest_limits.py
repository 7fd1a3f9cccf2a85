"""Wrong ingest passwords are limited per client IP (429 + Retry-After); right ones never count."""

from __future__ import annotations

import pytest

from photoslot.config import current_config
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

URL = "/api/ingest/slot-003"
PHOTO = photo_bytes((32, 24))


@pytest.fixture
def limited(make_app):
    """slot-003 ready, ingest password set, at most 3 wrong passwords a minute per IP."""
    app = make_app(PHOTOSLOT_INGEST_FAIL_LIMIT="3 per minute")
    set_password(app)
    configure_slot(app)
    return app


def upload(client, password=INGEST_PASSWORD, ip="127.0.0.1"):
    response = client.post(URL, data=multipart(booth_parts(PHOTO, password=password)),
                           content_type=content_type(), environ_base={"REMOTE_ADDR": ip})
    assert_contract(response)
    return response


def assert_rate_limited(response) -> None:
    error = assert_error(response, 429, "rate_limited")
    assert "too many wrong ingest passwords" in error["message"]
    assert 0 < int(response.headers["Retry-After"]) <= 60


def test_wrong_ingest_passwords_from_one_ip_are_cut_off_with_429(limited):
    client = limited.test_client()
    statuses = [upload(client, f"guess-{i}").status_code for i in range(5)]
    assert statuses == [401] * 3 + [429] * 2
    assert_rate_limited(upload(client, "another-guess"))
    # Checked before the password: from that address even the right one waits ...
    assert_rate_limited(upload(client))
    # ... while a booth behind another address is not affected.
    assert upload(client, ip="10.0.0.9").status_code == 200


def test_a_booth_with_the_right_password_is_never_limited(limited):
    client = limited.test_client()
    assert [upload(client).status_code for _ in range(6)] == [200] * 6
    assert upload(client, "wrong").status_code == 401  # its successes used up nothing


def test_a_booth_waiting_for_the_first_password_is_not_counted(make_app):
    app = make_app(PHOTOSLOT_INGEST_FAIL_LIMIT="3 per minute")
    configure_slot(app)
    client = app.test_client()
    for _ in range(5):
        assert_error(upload(client), 401, "ingest_password_not_set")
    set_password(app)
    assert upload(client).status_code == 200


def test_the_default_is_30_wrong_ingest_passwords_a_minute(app):
    with app.app_context():
        assert current_config().ingest_fail_limit == "30 per minute"
