"""The params form generated from a JSON Schema, the form values it posts back, the merge of a
conflicting save, and the Russian words for the services' reasons."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import render_template_string

from photoslot import clock
from photoslot.blueprints.admin_ui.forms import (
    merge_input,
    param_fields,
    parse_params,
    place_errors,
    widget,
)
from photoslot.blueprints.admin_ui.reasons import explain
from photoslot.blueprints.admin_ui.rendering import format_duration, format_time

SCHEMA = {
    "type": "object",
    "required": ["prompt"],
    "properties": {
        "prompt": {"type": "string", "minLength": 1},
        "flavour": {"type": "string", "default": "m-1", "description": "Flavour name"},
        "strength": {"type": "number", "minimum": 0, "maximum": 1, "default": 1},
        "steps": {"type": "integer", "minimum": 1, "maximum": 50},
        "style": {"enum": ["comic", "noir", 3], "default": "noir"},
        "face_restore": {"type": "boolean", "default": False},
        "extra": {"type": "object"},
    },
}


def test_each_schema_type_gets_its_widget():
    kinds = {name: widget(name, prop) for name, prop in SCHEMA["properties"].items()}
    assert kinds == {"prompt": "textarea", "flavour": "text", "strength": "number",
                     "steps": "integer", "style": "select", "face_restore": "checkbox",
                     "extra": "json"}
    assert widget("negative_prompt", {"type": "string"}) == "textarea"
    assert widget("content", {"type": ["string", "null"]}) == "textarea"


def test_the_params_form_is_a_loop_over_the_schema(app):
    fields = param_fields(SCHEMA, {"prompt": "Comic", "strength": 0.5, "extra": {"a": 1}},
                          errors={"params.steps": "0 is less than the minimum of 1"})
    with app.test_request_context():
        html = render_template_string(
            '{% import "admin/macros/fields.html" as f with context %}'
            "{% for field in fields %}{{ f.param_field(field) }}{% endfor %}", fields=fields)
    html = " ".join(html.split())
    assert '<textarea id="param-prompt" name="params.prompt" rows="4"' in html
    assert 'aria-required="true">Comic</textarea>' in html
    assert ('<label for="param-prompt">Промпт <abbr title="обязательное поле">*</abbr></label>'
            in html)
    assert 'name="params.flavour" value="" placeholder="m-1"' in html
    assert "Flavour name · по умолчанию m-1" in html  # an unknown param: the schema's own words
    assert 'name="params.strength" value="0.5" inputmode="decimal"' in html
    assert "от 0 до 1 · по умолчанию 1" in html
    assert 'inputmode="numeric"' in html and 'aria-invalid="true"' in html
    assert "⚠</span> <span title=\"0 is less than the minimum of 1\">Не меньше 1</span>" in html
    assert '<option value="&#34;noir&#34;" selected>noir</option>' in html
    assert '<option value="3" >3</option>' in html
    assert ('type="checkbox" role="switch" id="param-face_restore" name="params.face_restore"'
            in html)
    assert '<textarea id="param-extra" name="params.extra" rows="3" class="mono"' in html


@pytest.mark.parametrize(("posted", "previous", "expected"), [
    ({"params.prompt": "Hi", "params.strength": "0,5", "params.steps": "7"}, {},
     {"prompt": "Hi", "strength": 0.5, "steps": 7}),
    # Empty fields and untouched defaults stay unset, so an unchanged form changes nothing.
    ({"params.prompt": "Hi", "params.flavour": "", "params.strength": "1",
      "params.style": '"noir"'}, {}, {"prompt": "Hi"}),
    # ...unless they were set before: then the default is written as the admin chose it.
    ({"params.prompt": "Hi", "params.strength": "1"}, {"strength": 0.3, "face_restore": True},
     {"prompt": "Hi", "strength": 1, "face_restore": False}),
    ({"params.face_restore": "true", "params.style": "3", "params.extra": '{"a": [1]}'}, {},
     {"face_restore": True, "style": 3, "extra": {"a": [1]}}),
    # What does not parse goes to the service as typed: its schema check names the field.
    ({"params.steps": "seven", "params.strength": "nan", "params.extra": "{"}, {},
     {"steps": "seven", "strength": "nan", "extra": "{"}),
])
def test_posted_fields_become_typed_params(app, posted, previous, expected):
    with app.test_request_context(method="POST", data=posted):
        assert parse_params(SCHEMA, previous) == expected


def test_a_missing_required_param_is_placed_on_its_own_field():
    assert place_errors({"params": "'prompt' is a required property", "name": "bad"}) == {
        "params.prompt": "'prompt' is a required property", "name": "bad"}


def test_a_conflicting_save_takes_their_changes_and_keeps_mine():
    loaded = {"name": "A", "enabled": False, "provider": "local", "operation": "sepia",
              "params.strength": 1, "template_media_ids": []}
    current = {**loaded, "name": "B", "params.strength": 0.2, "params.delay_ms": 5,
               "template_media_ids": ["t1"]}
    mine = {**loaded, "enabled": True, "params.strength": 0.7}
    assert merge_input(loaded, current, mine) == {
        "name": "B", "enabled": True, "provider": "local", "operation": "sepia",
        "params.strength": 0.7, "params.delay_ms": 5, "template_media_ids": ["t1"]}
    # They switched the operation and I did not: their operation comes with its params.
    theirs = {**loaded, "operation": "resize", "params.max_side": 640}
    del theirs["params.strength"]
    merged = merge_input(loaded, theirs, mine)
    assert (merged["operation"], merged["params.max_side"], "params.strength" in merged) == (
        "resize", 640, False)
    # I switched it: mine wins with my params only.
    mine_resize = {**loaded, "operation": "grayscale"}
    del mine_resize["params.strength"]
    merged = merge_input(loaded, current, mine_resize)
    assert merged["operation"] == "grayscale"
    assert not [k for k in merged if k.startswith("params.")]


@pytest.mark.parametrize(("reason", "kind", "values"), [
    ("3 is greater than the maximum of 1", "maximum", {"limit": "1"}),
    ("0 is less than the minimum of 1", "minimum", {"limit": "1"}),
    ("'x' is not of type 'integer'", "type", {"type": "integer"}),
    ("'' should be non-empty", "too_short", {}),
    ("provider 'gemini' is not configured: set GEMINI_API_KEY", "not_configured",
     {"provider": "gemini", "hint": "set GEMINI_API_KEY"}),
    ("operation 'frame' needs a template image first", "needs_template", {"operation": "frame"}),
    ("at most 20 templates per slot", "template_limit", {"limit": "20"}),
    ("something new", None, {}),
])
def test_reasons_are_recognised_by_kind(reason, kind, values):
    explained = explain(reason)
    assert explained["kind"] == kind and explained["text"] == reason
    assert values.items() <= explained.items()


def test_times_are_shown_in_the_venue_zone_with_its_name(make_app):
    app = make_app(PHOTOSLOT_TIMEZONE="Asia/Yekaterinburg")
    moment = datetime(2025, 11, 24, 9, 2, tzinfo=UTC)
    with app.app_context():
        assert format_time(moment) == "24.11.2025 14:02 +05"
        assert format_time(moment.isoformat(), with_date=False) == "14:02 +05"
        assert format_time(clock.now()).count(":") == 1  # today: the time alone
        assert format_time(None) == "—"
    assert [format_duration(s) for s in (40, 420, 5 * 3600 + 720, 3 * 86400 + 3600)] == [
        "40 с", "7 мин", "5 ч 12 мин", "3 д 1 ч"]
