"""The contract covers the app: every route and method is in the spec, and the spec is SemVer."""

from __future__ import annotations

import re
import tomllib

from openapi_spec_validator import validate

from tests.contract import spec_document
from tests.support import ROOT


def app_operations(app) -> set[tuple[str, str]]:
    """(path in OpenAPI form, method) for every route the app serves."""
    operations = set()
    for rule in app.url_map.iter_rules():
        # Static files and the admin UI's HTML pages are not part of the JSON API.
        if rule.endpoint == "static" or rule.endpoint.startswith("admin_ui."):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"OPTIONS"}:
            operations.add((path, method.lower()))
    return operations


def test_every_route_and_method_is_described_in_the_spec(app):
    paths = spec_document()["paths"]
    described = {(path, method) for path, item in paths.items() for method in item
                 if method in {"get", "head", "post", "put", "delete", "patch"}}
    # HEAD is GET without a body (HTTP semantics); Flask adds it to every GET route.
    implied = {(path, "head") for path, method in described if method == "get"}
    missing = app_operations(app) - described - implied
    assert not missing, f"routes missing from spec/contracts/openapi.yaml: {sorted(missing)}"
    stale = {(p, m) for p, m in described - app_operations(app)}
    assert not stale, f"spec operations the app does not serve: {sorted(stale)}"


def test_the_spec_is_valid_openapi_31_with_a_semver_version():
    document = spec_document()
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert re.fullmatch(r"\d+\.\d+\.\d+", document["info"]["version"])


def test_the_package_carries_the_contracts_version():
    """One version number: a release of the package is a release of its API contract."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["version"] == spec_document()["info"]["version"]
