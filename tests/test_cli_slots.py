"""``flask slots``: configure a slot without the UI, validated and audited as ``system``."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from photoslot.extensions import db
from photoslot.models import AuditLog, Slot


def _slot(app, slot_id="slot-003") -> Slot:
    with app.app_context():
        return db.session.get(Slot, slot_id)


def test_configure_enables_a_local_slot_and_audits_it_as_system(app, runner):
    result = runner.invoke(args=["slots", "configure", "slot-003", "--provider", "local",
                                 "--operation", "sepia", "--params", '{"strength": 0.5}',
                                 "--enable"])
    assert result.exit_code == 0, result.output
    assert "slot-003 enabled: local/sepia" in result.output
    slot = _slot(app)
    assert (slot.enabled, slot.operation, slot.params, slot.version) == (
        True, "sepia", {"strength": 0.5}, 2)
    assert slot.updated_by == "system"
    with app.app_context():
        entry = db.session.scalars(select(AuditLog)).one()
    assert (entry.actor, entry.action, entry.entity_id) == ("system", "slot.update", "slot-003")
    assert entry.changes["operation"] == ["grayscale", "sepia"]
    assert entry.changes["enabled"] == [False, True]


def test_configure_rejects_params_outside_the_schema_with_a_nonzero_exit(app, runner):
    result = runner.invoke(args=["slots", "configure", "slot-003", "--operation", "resize",
                                 "--params", '{"max_side": 5, "colour": "red"}'])
    assert result.exit_code != 0
    assert "params.max_side" in result.output and "minimum" in result.output
    assert "params:" in result.output and "colour" in result.output
    assert _slot(app).version == 1
    with app.app_context():
        assert db.session.scalars(select(AuditLog)).all() == []


def test_configure_rejects_unknown_provider_operation_slot_and_bad_json(runner):
    unknown_provider = runner.invoke(args=["slots", "configure", "slot-001", "--provider", "nope"])
    assert unknown_provider.exit_code != 0
    assert "provider: unknown provider" in unknown_provider.output
    unknown_op = runner.invoke(args=["slots", "configure", "slot-001", "--operation", "blur"])
    assert unknown_op.exit_code != 0 and "operation: unknown operation" in unknown_op.output
    unknown_slot = runner.invoke(args=["slots", "configure", "slot-099", "--enable"])
    assert unknown_slot.exit_code != 0 and "slot_not_found" in unknown_slot.output
    bad_json = runner.invoke(args=["slots", "configure", "slot-001", "--params", "{nope"])
    assert bad_json.exit_code != 0 and "not valid JSON" in bad_json.output
    nothing = runner.invoke(args=["slots", "configure", "slot-001"])
    assert nothing.exit_code != 0 and "nothing to change" in nothing.output


def test_enabling_a_frame_slot_without_a_template_is_refused(runner):
    result = runner.invoke(args=["slots", "configure", "slot-002", "--operation", "frame",
                                 "--enable"])
    assert result.exit_code != 0
    assert "needs a template image" in result.output


def test_list_prints_the_15_slots(runner):
    runner.invoke(args=["slots", "configure", "slot-002", "--enable"])
    result = runner.invoke(args=["slots", "list"])
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 15
    assert lines[0].startswith("slot-001  disabled  local/grayscale")
    assert lines[1].startswith("slot-002  enabled   local/grayscale")


def configure(runner, *args: str):
    return runner.invoke(args=["slots", "configure", "slot-005", *args])


def test_provider_params_are_checked_against_the_driver_schema(runner):
    no_prompt = configure(runner, "--provider", "gemini", "--operation", "edit",
                          "--params", '{"model": "gemini-2.5-flash-image"}')
    assert no_prompt.exit_code != 0
    assert "params: 'prompt' is a required property" in no_prompt.output
    too_strong = configure(runner, "--provider", "turbotext", "--operation",
                           "generate_image2image", "--params",
                           '{"content": "hero", "strength": 90, "face": 1}')
    assert too_strong.exit_code != 0
    assert "params.strength: 90 is greater than the maximum of 80" in too_strong.output
    assert "'face' was unexpected" in too_strong.output
    saved = configure(runner, "--provider", "turbotext", "--operation", "generate_image2image",
                      "--params", '{"content": "hero", "strength": 80, "seed": 7}')
    assert saved.exit_code == 0, saved.output
    assert "slot-005 disabled: turbotext/generate_image2image" in saved.output


@pytest.mark.parametrize("provider, operation, params, variable", [
    ("gemini", "edit", '{"prompt": "comic"}', "GEMINI_API_KEY"),
    ("turbotext", "deepfake_photo", '{"face_restore": true}', "TURBOTEXT_API_KEY"),
])
def test_enabling_a_provider_without_its_api_key_is_refused_naming_the_variable(
        app, runner, provider, operation, params, variable):
    result = configure(runner, "--provider", provider, "--operation", operation,
                       "--params", params, "--enable")
    assert result.exit_code != 0
    assert f"enabled: provider '{provider}' is not configured: set {variable}" in result.output
    assert _slot(app, "slot-005").provider == "local"  # nothing saved


def test_with_the_key_a_provider_slot_enables_once_its_template_is_bound(make_app):
    runner = make_app(GEMINI_API_KEY="k", TURBOTEXT_API_KEY="k").test_cli_runner()
    assert configure(runner, "--provider", "gemini", "--operation", "edit", "--params",
                     '{"prompt": "comic"}', "--enable").exit_code == 0
    mix = configure(runner, "--provider", "turbotext", "--operation", "mix_images",
                    "--params", "{}", "--enable")
    assert mix.exit_code != 0 and "'mix_images' needs a template image first" in mix.output
