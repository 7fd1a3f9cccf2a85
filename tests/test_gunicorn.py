"""The real server: gunicorn with gevent workers, configured by gunicorn.conf.py."""

from __future__ import annotations

import requests

from tests.contract import assert_contract, assert_error


def test_gunicorn_gevent_workers_serve_healthz_and_errors(gunicorn_server):
    server = gunicorn_server(workers=2)
    response = requests.get(f"{server.base_url}/healthz", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert_contract(response)
    assert_error(requests.get(f"{server.base_url}/api/x", timeout=5), 404, "not_found")
    log = server.log()
    assert "Using worker: gevent" in log
    assert "MonkeyPatchWarning" not in log
