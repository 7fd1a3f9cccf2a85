"""/readyz under a real gunicorn: 503 with the failing check while the database is unreachable or
the media root is broken, 200 again once repaired — without restarting anything."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy.engine import make_url

from tests.contract import assert_contract, assert_error
from tests.metrics_support import parse, total
from tests.tcp_proxy import TcpProxy

PROBES = 6  # new connections each: with two workers both answer some


def probe(server) -> list[requests.Response]:
    return [requests.get(f"{server.base_url}/readyz", headers={"Connection": "close"}, timeout=30)
            for _ in range(PROBES)]


def assert_ready(server) -> None:
    for response in probe(server):
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "ok"
        assert_contract(response)


def assert_failing(server, check: str) -> list[dict]:
    reports = []
    for response in probe(server):
        error = assert_error(response, 503, "not_ready")
        assert_contract(response)
        assert error["details"]["checks"][check]["status"] == "fail", error
        reports.append(error["details"])
    return reports


def test_a_broken_media_root_is_503_until_it_is_repaired(app, gunicorn_server, media_root):
    server = gunicorn_server(workers=2, PHOTOSLOT_METRICS_CACHE_S="0")
    assert_ready(server)

    moved = media_root.rename(media_root.with_name("media-unmounted"))
    media_root.write_text("a file where the media root should be")
    for report in assert_failing(server, "media"):
        assert report["checks"]["database"]["status"] == "ok"
    samples = parse(requests.get(f"{server.base_url}/metrics", timeout=10).text)
    assert total(samples, "photoslot_ready", check="media") == 0
    assert total(samples, "photoslot_ready", check="database") == 1

    media_root.unlink()
    moved.rename(media_root)
    assert_ready(server)


@pytest.mark.postgres("cuts the TCP path to the PostgreSQL server; SQLite is a local file")
def test_an_unreachable_database_is_503_until_it_is_back(app, gunicorn_server, database_url):
    url = make_url(database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    try:
        via_proxy = url.set(host="127.0.0.1", port=proxy.port)
        server = gunicorn_server(workers=2, DATABASE_URL=via_proxy.render_as_string(False),
                                 PHOTOSLOT_METRICS_CACHE_S="0")
        assert_ready(server)

        proxy.cut()
        for report in assert_failing(server, "database"):
            assert "OperationalError" in report["checks"]["database"]["message"]
            assert report["checks"]["media"]["status"] == "ok"
            assert report["checks"]["providers"]["status"] == "degraded"
        metrics = requests.get(f"{server.base_url}/metrics", timeout=30)
        assert metrics.status_code == 200  # still scraped: NotReady pages, not TargetDown
        assert total(parse(metrics.text), "photoslot_ready", check="database") == 0

        proxy.restore()
        assert_ready(server)
    finally:
        proxy.cut()

