"""Fixtures for the admin UI's views through Flask's test client (the browser tests are in
tests/ui/): a signed-in client and its CSRF token."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support import ADMIN_PASSWORDS


def sign_in(client: FlaskClient, username: str = "serg") -> FlaskClient:
    """Sign ``client`` in through the form; it then carries the session cookies."""
    response = client.post("/admin/login", data={"username": username,
                                                 "password": ADMIN_PASSWORDS[username]})
    assert response.status_code == 303, response.get_data(True)
    return client


def csrf(client: FlaskClient) -> str:
    """The double-submit CSRF token of the client's session (what the forms carry)."""
    return client.get_cookie("csrf_access_token").value


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    """A test client signed in as serg (every permission)."""
    return sign_in(app.test_client())


@pytest.fixture
def form(admin: FlaskClient) -> Callable[..., dict[str, str]]:
    """A form body with the CSRF field, as the pages post it without JavaScript."""

    def make(**fields: str) -> dict[str, str]:
        return {"csrf_token": csrf(admin), **fields}

    return make


HTMX = {"HX-Request": "true"}


def text(response) -> str:
    """The response's HTML with whitespace collapsed, as a browser shows the words."""
    return " ".join(response.get_data(True).split())


def words(response) -> str:
    """What a reader sees: the text without tags, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(True)).split())
