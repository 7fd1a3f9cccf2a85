"""Concurrent PUTs with the same version through real gunicorn on PostgreSQL: one wins, one 409."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from tests.admin.conftest import image_bytes
from tests.contract import assert_contract

ROUNDS = 5


@pytest.fixture
def app(make_app):
    """The real provider registry, as the gunicorn workers have it."""
    return make_app()


def race(url: str, headers: dict[str, str], bodies: list[dict]) -> list[tuple]:
    """PUT every body at once from its own thread; (response, started, ended) per body."""
    barrier = threading.Barrier(len(bodies))
    outcomes: list[tuple | None] = [None] * len(bodies)

    def send(index: int) -> None:
        barrier.wait()
        started = time.monotonic()
        response = requests.put(url, json=bodies[index], headers=headers, timeout=30)
        outcomes[index] = (response, started, time.monotonic())

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes  # type: ignore[return-value]


def register(base_url: str, headers: dict[str, str]) -> str:
    response = requests.post(f"{base_url}/api/template-media/register", headers=headers,
                             files={"file": ("t.png", image_bytes(), "image/png")}, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.mark.postgres("row locks make concurrent saves queue; SQLite has one database lock")
def test_concurrent_puts_with_the_same_version_give_exactly_one_200_and_one_409(
        app, gunicorn_server, auth_headers):
    server = gunicorn_server(workers=2)
    url = f"{server.base_url}/api/slots/slot-006"
    headers = auth_headers(permissions={"slots:write", "media:write"})
    templates = [register(server.base_url, headers) for _ in range(3)]
    overlapping_rounds = 0
    for version in range(1, ROUNDS + 1):
        # Both also bind the same template, not bound before: rows of another table, same keys.
        bodies = [{"name": f"v{version} from {who}", "version": version,
                   "template_media_ids": [templates[version % 3]]} for who in "ab"]
        outcomes = race(url, headers, bodies)
        statuses = sorted(response.status_code for response, _, _ in outcomes)
        assert statuses == [200, 409], [r.text for r, _, _ in outcomes]
        winner = next(r for r, _, _ in outcomes if r.status_code == 200)
        loser = next(r for r, _, _ in outcomes if r.status_code == 409)
        assert_contract(winner)
        assert_contract(loser)
        assert winner.json()["version"] == version + 1
        conflict = loser.json()["error"]
        assert conflict["code"] == "version_conflict"
        assert conflict["details"]["current_version"] == version + 1
        assert conflict["details"]["current"]["name"] == winner.json()["name"]
        assert conflict["details"]["current"]["template_media_ids"] == [
            t["id"] for t in winner.json()["template_media"]]
        if max(s for _, s, _ in outcomes) < min(e for _, _, e in outcomes):
            overlapping_rounds += 1
    # The outcome held in every round; at least one round really had both requests in flight.
    assert overlapping_rounds >= 1
    audit = requests.get(f"{server.base_url}/api/audit", params={"entity_id": "slot-006"},
                         headers=headers, timeout=10).json()["items"]
    assert len([item for item in audit if item["action"] == "slot.update"]) == ROUNDS
