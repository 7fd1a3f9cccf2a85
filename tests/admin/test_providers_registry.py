"""GET /api/providers with the real driver registry (the rest of tests/admin swaps in test-only
drivers)."""

from __future__ import annotations

import pytest

from photoslot.providers.gemini import GeminiProvider
from photoslot.providers.local import LocalProvider
from tests.contract import assert_contract


@pytest.fixture
def app(make_app):
    """The real registry; no provider key set, whatever the developer's environment holds."""
    return make_app(GEMINI_API_KEY="", TURBOTEXT_API_KEY="")


def test_real_providers_are_listed_and_keyed_ones_are_not_configured_without_keys(
        client, auth_headers):
    response = client.get("/api/providers", headers=auth_headers(permissions=set()))
    assert response.status_code == 200
    assert_contract(response)
    providers = {p["name"]: p for p in response.get_json()["providers"]}
    assert list(providers) == ["gemini", "local", "turbotext"]
    assert {name: p["configured"] for name, p in providers.items()} == {
        "gemini": False, "local": True, "turbotext": False}
    local = {op["name"]: op for op in providers["local"]["operations"]}
    assert set(local) == set(LocalProvider.operations)
    assert local["frame"]["needs_template"] is True
    assert local["resize"]["params_schema"] == LocalProvider.operations["resize"]
    gemini = {op["name"]: op["needs_template"] for op in providers["gemini"]["operations"]}
    assert gemini == {op: op in GeminiProvider.needs_template
                      for op in GeminiProvider.operations}
    assert all(p["operations"] for p in providers.values())


def test_a_provider_with_its_key_set_is_configured(make_app, auth_headers):
    app = make_app(GEMINI_API_KEY="some-key", TURBOTEXT_API_KEY="")
    providers = app.test_client().get("/api/providers", headers=auth_headers()).get_json()
    configured = {p["name"]: p["configured"] for p in providers["providers"]}
    assert configured == {"gemini": True, "local": True, "turbotext": False}
