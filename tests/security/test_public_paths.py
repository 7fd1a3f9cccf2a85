"""The public links serve objects by token, never by path: dot segments, encoded and
double-encoded slashes, backslashes and absolute paths all end in 404 — through Flask's test client
and through gunicorn, whose URL decoding is what production sees (raw request lines, no client
normalisation)."""

from __future__ import annotations

import json
import socket

import pytest

from photoslot import clock
from tests.contract import assert_error
from tests.ingest_support import read_response
from tests.media_helpers import JPEG, add_media

SECRET = b"root:x:0:0:not-for-the-public"
PREFIXES = ("/public/media/", "/public/thumbnails/", "/public/results/")


def attacks(result_path: str, token: str) -> list[str]:
    """Request targets that try to leave the token namespace for a file beside or outside it."""
    name = result_path.rsplit("/", 1)[-1]
    tails = [
        "../../secret.txt", "..%2F..%2Fsecret.txt", "%2e%2e%2f%2e%2e%2fsecret.txt",
        "..%252F..%252Fsecret.txt", "....//....//secret.txt", "..\\..\\secret.txt",
        "..%5C..%5Csecret.txt", "%2Fetc%2Fpasswd", "/etc/passwd", f"..%2Fresults%2F{name}",
        f"%2E%2E/results/{name}", f"{token}%2F..%2F..%2Fsecret.txt", f"{token}/../{token}",
        f"results%2F{name}", f"results/{name}", "%C0%AE%C0%AE%2Fsecret.txt",
    ]
    return [prefix + tail for prefix in PREFIXES for tail in tails]


@pytest.fixture
def planted(app, media_root):
    """A live result in the media root and a secret file just outside it."""
    (media_root.parent / "secret.txt").write_bytes(SECRET)
    with app.app_context():
        return add_media("result", expires_at=clock.now().replace(year=2100))


def test_traversal_through_the_test_client_is_404(client, planted):
    assert client.get(f"/public/media/{planted.token}").data == JPEG  # the way in that works
    for target in attacks(planted.path, planted.token):
        response = client.get(target)
        assert_error(response, 404)
        assert SECRET not in response.data and JPEG not in response.data, target


def raw_get(port: int, target: str) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n"
                     .encode("latin-1"))
        status, _headers, body = read_response(sock)
    return status, body


def test_traversal_through_gunicorn_is_404(gunicorn_server, planted):
    server = gunicorn_server(workers=1)
    status, body = raw_get(server.port, f"/public/media/{planted.token}")
    assert (status, body) == (200, JPEG)
    for target in attacks(planted.path, planted.token):
        status, body = raw_get(server.port, target)
        assert status == 404, (target, status, body[:200])
        assert json.loads(body)["error"]["code"] in ("not_found", "media_not_found",
                                                     "result_not_found"), body
        assert SECRET not in body and JPEG not in body, target
