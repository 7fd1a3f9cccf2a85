"""Check real responses against spec/contracts/openapi.yaml."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import requests
import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.wrappers import Request

SPEC_PATH = Path(__file__).resolve().parent.parent / "spec" / "contracts" / "openapi.yaml"


@cache
def _openapi() -> OpenAPI:
    return OpenAPI.from_file_path(str(SPEC_PATH))


@cache
def spec_document() -> dict[str, Any]:
    return yaml.safe_load(SPEC_PATH.read_text())


def assert_contract(response: Any) -> None:
    """Validate a Flask test-client or ``requests`` response (and its request) against the spec."""
    if isinstance(response, requests.Response):
        request = RequestsOpenAPIRequest(response.request)
        wrapped = RequestsOpenAPIResponse(response)
    else:
        request = WerkzeugOpenAPIRequest(_without_body(response.request))
        wrapped = WerkzeugOpenAPIResponse(response)
    _openapi().validate_response(request, wrapped)


def _without_body(request: Request) -> Request:
    # The app may have streamed the body already (ingest does); a response check only needs
    # the method and the path, so hand openapi-core a copy with an empty body.
    environ = {**request.environ, "wsgi.input": io.BytesIO(), "CONTENT_LENGTH": "0"}
    return Request(environ)


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert the JSON error envelope with ``status`` (and ``code``); return the error object."""
    assert response.status_code == status, (response.status_code, _text(response))
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json() if isinstance(response, requests.Response) else response.get_json()
    schema = {**spec_document()["components"]["schemas"]["ErrorEnvelope"]}
    jsonschema.validate(body, schema)
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


def _text(response: Any) -> str:
    return response.text if isinstance(response, requests.Response) else response.get_data(True)
