"""The slot update service shared by the CLI and the admin API."""

from __future__ import annotations

import pytest

from photoslot.errors import ApiError
from photoslot.services.audit import Actor
from photoslot.services.slots.configure import update_slot


def test_stale_expected_version_is_a_409_with_the_current_config(app):
    with app.app_context():
        update_slot("slot-004", {"name": "Wedding"}, actor=Actor("serg"))
        with pytest.raises(ApiError) as stale:
            update_slot("slot-004", {"name": "Other"}, actor=Actor("igor"), expected_version=1)
    assert stale.value.status == 409
    assert stale.value.details["current_version"] == 2
    assert stale.value.details["current"]["name"] == "Wedding"


def test_every_bad_field_is_reported_by_path(app):
    with app.app_context(), pytest.raises(ApiError) as bad:
        update_slot("slot-004", {"name": "", "enabled": "yes", "operation": "sepia",
                                 "params": {"strength": 3, "delay_ms": -1}, "colour": 1},
                    actor=Actor("serg"))
    assert bad.value.status == 422
    assert set(bad.value.details["fields"]) == {
        "name", "enabled", "params.strength", "params.delay_ms", "colour"}
