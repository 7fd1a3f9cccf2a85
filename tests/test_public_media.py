"""GET/HEAD /public/media/{token}: served for the full TTL, 410 as soon as it expires."""

from __future__ import annotations

from datetime import timedelta

from photoslot import clock
from photoslot.services.media import store
from tests.contract import assert_contract, assert_error
from tests.media_helpers import JPEG, add_media

TTL = timedelta(hours=72)
SECOND = timedelta(seconds=1)


def test_result_is_served_until_ttl_and_gone_right_after_even_before_cleanup(app, client):
    expires_at = clock.now() + TTL
    with app.app_context():
        result = add_media("result", expires_at=expires_at)
    clock.advance(TTL - SECOND)
    served = client.get(f"/public/media/{result.token}")
    assert served.status_code == 200
    assert_contract(served)
    assert served.data == JPEG
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["Content-Length"] == str(len(JPEG))
    assert served.cache_control.public and served.cache_control.max_age in (0, 1)
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    clock.advance(2 * SECOND)
    gone = client.get(f"/public/media/{result.token}")
    error = assert_error(gone, 410, "media_expired")
    assert_contract(gone)
    assert error["details"]["expired_at"] == expires_at.isoformat()
    with app.app_context():
        assert store.resolve(result.path).exists()  # no cleanup ran: TTL checked on read


def test_head_gives_type_and_length_without_a_body(app, client):
    with app.app_context():
        template = add_media("template")
    response = client.head(f"/public/media/{template.token}")
    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(len(JPEG))
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.data == b""
    assert_contract(response)


def test_input_link_expires_after_t_sync(app, client):
    with app.app_context():  # as the ingest writes it: expires_at = arrival + T_sync (60 s)
        upload = add_media("input", expires_at=clock.now() + timedelta(seconds=60))
    clock.advance(timedelta(seconds=59))
    assert client.get(f"/public/media/{upload.token}").status_code == 200
    clock.advance(2 * SECOND)
    assert_error(client.get(f"/public/media/{upload.token}"), 410, "media_expired")


def test_thumbnail_is_gone_with_its_parent(app, client):
    expires_at = clock.now() + TTL
    with app.app_context():
        result = add_media("result", expires_at=expires_at)
        thumb = add_media("thumbnail", parent=result)
    assert client.get(f"/public/media/{thumb.token}").status_code == 200
    clock.advance(TTL + SECOND)
    error = assert_error(client.get(f"/public/media/{thumb.token}"), 410, "media_expired")
    assert error["details"]["expired_at"] == expires_at.isoformat()


def test_unknown_token_is_404_and_missing_file_or_escaping_path_is_410(app, client, tmp_path):
    outside = tmp_path / "secret.jpg"
    outside.write_bytes(b"secret")
    with app.app_context():
        missing = add_media("result", write_file=False, expires_at=clock.now() + TTL)
        escaping = add_media("result", path="../secret.jpg", write_file=False,
                             expires_at=clock.now() + TTL)
    for token, status, code in (("no-such-token", 404, "media_not_found"),
                                (missing.token, 410, "media_gone"),
                                (escaping.token, 410, "media_gone")):
        response = client.get(f"/public/media/{token}")
        assert_error(response, status, code)
        assert_contract(response)
