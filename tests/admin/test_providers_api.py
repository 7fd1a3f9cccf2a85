"""GET /api/providers: what a slot can be configured with."""

from __future__ import annotations

from tests.admin.conftest import PaintDriver
from tests.contract import assert_contract, assert_error


def test_providers_list_operations_schemas_and_configuration(client, auth_headers):
    response = client.get("/api/providers", headers=auth_headers(permissions=set()))
    assert response.status_code == 200
    assert_contract(response)
    providers = response.get_json()["providers"]
    assert [p["name"] for p in providers] == ["keyless", "paint"]
    keyless, paint = providers
    assert keyless["configured"] is False
    assert paint["configured"] is True
    assert paint["operations"] == [
        {"name": "invert", "params_schema": PaintDriver.operations["invert"],
         "needs_template": False},
        {"name": "overlay", "params_schema": PaintDriver.operations["overlay"],
         "needs_template": True},
    ]


def test_providers_need_a_token(client):
    assert_error(client.get("/api/providers"), 401)
