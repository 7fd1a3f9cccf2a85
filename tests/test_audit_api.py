"""GET /api/audit: the journal, filtered, newest first, paginated by id."""

from __future__ import annotations

from datetime import timedelta

import pytest

from photoslot import clock
from photoslot.extensions import db
from photoslot.services import audit
from photoslot.services.audit import Actor
from tests.contract import assert_contract, assert_error
from tests.support import ADMIN_PASSWORDS


@pytest.fixture
def journal(app):
    """Seven rows: five slot changes by serg/igor alternating, a setting change, a system run."""
    with app.app_context():
        for i in range(5):
            audit.record("slot_updated", "slot", f"slot-00{i % 2 + 1}", {"name": [i, i + 1]},
                         actor=Actor(("serg", "igor")[i % 2]))
        audit.record("settings_changed", "setting", "ingest_password",
                     {"ingest_password": ["***", "***"]}, Actor("serg"))
        audit.record("cleanup", "maintenance", None, {}, Actor("system"))
        db.session.commit()


def get(client, headers, **params):
    response = client.get("/api/audit", query_string=params, headers=headers)
    assert_contract(response)
    return response


def test_journal_is_newest_first_with_every_field(client, auth_headers, journal):
    body = get(client, auth_headers("igor", {"stats:read"})).get_json()
    items = body["items"]
    assert [i["action"] for i in items] == ["cleanup", "settings_changed"] + ["slot_updated"] * 5
    assert [i["id"] for i in items] == sorted((i["id"] for i in items), reverse=True)
    assert items[1]["changes"] == {"ingest_password": ["***", "***"]}
    assert items[0]["actor"] == "system" and items[0]["entity_id"] is None
    assert body["next_before"] is None


def test_journal_filters_by_entity_entity_id_and_actor(client, auth_headers, journal):
    headers = auth_headers()
    slots = get(client, headers, entity="slot").get_json()["items"]
    assert len(slots) == 5 and {i["entity"] for i in slots} == {"slot"}
    one = get(client, headers, entity="slot", entity_id="slot-001").get_json()["items"]
    assert [i["changes"]["name"] for i in one] == [[4, 5], [2, 3], [0, 1]]
    by_serg = get(client, headers, actor="serg").get_json()["items"]
    assert {i["actor"] for i in by_serg} == {"serg"} and len(by_serg) == 4
    assert get(client, headers, actor="nobody").get_json() == {"items": [], "next_before": None}


def test_journal_pages_with_next_before_until_the_end(client, auth_headers, journal):
    headers, seen, before = auth_headers(), [], None
    while True:
        params = {"limit": 3, **({"before": before} if before else {})}
        body = get(client, headers, **params).get_json()
        assert len(body["items"]) <= 3
        seen += [i["id"] for i in body["items"]]
        before = body["next_before"]
        if before is None:
            break
        assert before == body["items"][-1]["id"]
    assert len(seen) == 7 and seen == sorted(seen, reverse=True)


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 201}, {"limit": "ten"},
                                    {"before": 0}, {"before": "x"}])
def test_bad_paging_parameters_get_422(client, auth_headers, params):
    response = get(client, auth_headers(), **params)
    error = assert_error(response, 422, "validation_error")
    assert set(error["details"]["fields"]) == set(params)


def test_journal_needs_an_admin_token(client):
    assert_error(get(client, {}), 401, "unauthorized")


def test_logins_and_rotations_show_up_in_the_journal(client, auth_headers):
    client.post("/api/login", json={"username": "serg", "password": "bad-password-x"})
    token = client.post("/api/login", json={"username": "serg",
                                            "password": ADMIN_PASSWORDS["serg"]}).get_json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    client.put("/api/settings", json={"ingest_password": "journal-password"}, headers=headers)
    response = get(client, headers)
    items = response.get_json()["items"]
    assert [(i["action"], i["actor"]) for i in items] == [
        ("settings_changed", "serg"), ("login", "serg"), ("login_failed", "anonymous")]
    raw = response.get_data(as_text=True)
    for secret in ("bad-password-x", ADMIN_PASSWORDS["serg"], "journal-password", "$argon2"):
        assert secret not in raw


def test_the_journal_service_filters_by_time_and_lists_its_filter_values(app):
    with app.app_context():
        audit.record("slot.update", "slot", "slot-001", {"name": ["a", "b"]}, audit.Actor("igor"))
        db.session.commit()
        clock.advance(timedelta(days=2))
        audit.record("settings_changed", "setting", "ingest_password",
                     {"ingest_password": ["***", "***"]}, audit.Actor("serg"))
        db.session.commit()
        boundary = clock.now() - timedelta(days=1)
        newer = audit.query(since=boundary).items
        older = audit.query(until=boundary).items
        assert [item["entity"] for item in newer] == ["setting"]
        assert [item["entity"] for item in older] == ["slot"]
        assert audit.filter_values() == {"entities": ["setting", "slot"],
                                         "actors": ["igor", "serg"]}
