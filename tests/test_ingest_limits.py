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


def test_a_booths_address_is_never_locked_by_wrong_passwords_behind_the_same_nat(limited):
    client = limited.test_client()
    assert upload(client, ip="203.0.113.7").status_code == 200  # the booth, seen once
    # A guest's script behind the same venue NAT guesses on: still answered 401, never 429 ...
    assert [upload(client, f"guess-{i}", ip="203.0.113.7").status_code
            for i in range(6)] == [401] * 6
    # ... so the booth keeps working,
    assert upload(client, ip="203.0.113.7").status_code == 200
    # while an address no booth uses is locked after 3, the right password included.
    assert [upload(client, f"guess-{i}", ip="198.51.100.9").status_code
            for i in range(4)] == [401] * 3 + [429]
    assert_rate_limited(upload(client, ip="198.51.100.9"))


def test_a_booth_address_is_remembered_by_the_limit_storage_for_a_day(limited):
    client = limited.test_client()
    assert upload(client, ip="203.0.113.8").status_code == 200
    with limited.app_context():
        counters = limited.extensions["photoslot.attempts"]
        assert counters.marked("ingest-booth/203.0.113.8")
        assert not counters.marked("ingest-booth/203.0.113.9")
        from photoslot.services.ingest.password import BOOTH_ADDRESS_TTL_S
    assert BOOTH_ADDRESS_TTL_S == 24 * 3600


def test_ipv6_clients_are_counted_by_their_64_network(limited):
    client = limited.test_client()
    for host in ("2001:db8:7:1::a", "2001:db8:7:1::b", "2001:db8:7:1:ffff::1"):
        assert upload(client, "wrong", ip=host).status_code == 401
    # The same /64 with yet another address: the 4th wrong password in the window.
    assert_rate_limited(upload(client, "wrong", ip="2001:db8:7:1::c"))
    assert upload(client, "wrong", ip="2001:db8:7:2::a").status_code == 401  # the next /64


def test_ipv4_mapped_ipv6_is_the_ipv4_address():
    from photoslot.ratelimit import address_key

    assert address_key("::ffff:192.0.2.5") == "192.0.2.5"
    assert address_key("2001:db8:7:1:2:3:4:5") == "2001:db8:7:1::/64"
    assert address_key("192.0.2.5") == "192.0.2.5"
    assert address_key(None) == "unknown"


@pytest.mark.parametrize("proxies, counted_as", [("0", "peer"), ("1", "forwarded")])
def test_x_forwarded_for_counts_only_behind_the_configured_proxies(make_app, proxies,
                                                                   counted_as):
    app = make_app(PHOTOSLOT_INGEST_FAIL_LIMIT="3 per minute", PHOTOSLOT_TRUSTED_PROXIES=proxies)
    set_password(app)
    configure_slot(app)
    client = app.test_client()

    def guess(forwarded_for: str):
        return upload_with_headers(client, {"X-Forwarded-For": forwarded_for})

    # A script that invents a new X-Forwarded-For for every guess.
    statuses = [guess(f"192.0.2.{i}").status_code for i in range(5)]
    if counted_as == "peer":  # the header is ignored: every guess counts against the proxy peer
        assert statuses == [401] * 3 + [429] * 2
    else:  # behind one trusted proxy each forwarded address is its own client
        assert statuses == [401] * 5
        assert [guess("192.0.2.200").status_code for _ in range(4)] == [401] * 3 + [429]


def upload_with_headers(client, headers):
    response = client.post(URL, data=multipart(booth_parts(PHOTO, password="wrong")),
                           content_type=content_type(), headers=headers,
                           environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert_contract(response)
    return response


def test_with_redis_unreachable_ingest_limits_fall_back_to_memory(make_app, closed_port):
    app = make_app(PHOTOSLOT_INGEST_FAIL_LIMIT="3 per minute",
                   PHOTOSLOT_RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{closed_port}/0")
    set_password(app)
    configure_slot(app)
    client = app.test_client()
    assert upload(client).status_code == 200  # not a 500
    statuses = [upload(client, f"guess-{i}", ip="198.51.100.20").status_code for i in range(4)]
    assert statuses == [401] * 3 + [429]  # still limited, in this worker's memory
