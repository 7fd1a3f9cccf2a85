"""``flask providers check``: configuration report and the --live call, against the fakes."""

from __future__ import annotations

from tests.fakes import gemini as fake_gemini
from tests.fakes import turbotext as fake_turbotext


def provider_env(gemini_fake, turbotext_fake, gemini_key=fake_gemini.DEFAULT_API_KEY):
    return {
        "GEMINI_API_KEY": gemini_key,
        "PHOTOSLOT_GEMINI_BASE_URL": gemini_fake.base_url,
        "TURBOTEXT_API_KEY": fake_turbotext.DEFAULT_API_KEY,
        "PHOTOSLOT_TURBOTEXT_BASE_URL": turbotext_fake.base_url,
    }


def lines_by_provider(output: str) -> dict[str, str]:
    return {line.split()[0]: line for line in output.splitlines() if line.strip()}


def test_check_without_keys_reports_unconfigured_and_calls_nothing(app, runner):
    result = runner.invoke(args=["providers", "check", "--live"])
    assert result.exit_code == 0, result.output
    lines = lines_by_provider(result.output)
    assert "not configured  (set GEMINI_API_KEY)" in lines["gemini"]
    assert "not configured  (set TURBOTEXT_API_KEY)" in lines["turbotext"]


def test_live_check_calls_each_configured_provider_once(make_app, gemini_fake, turbotext_fake):
    app = make_app(**provider_env(gemini_fake, turbotext_fake))
    result = app.test_cli_runner().invoke(args=["providers", "check", "--live"])
    assert result.exit_code == 0, result.output
    lines = lines_by_provider(result.output)
    assert "live ok: model models/gemini-2.5-flash-image reachable" in lines["gemini"]
    assert "live ok: API reachable, key accepted" in lines["turbotext"]
    assert [(r.method, r.path) for r in gemini_fake.requests] == [
        ("GET", "/v1beta/models/gemini-2.5-flash-image")
    ]
    assert [r.info.get("form", {}).get("do") for r in turbotext_fake.requests] == ["get_result"]


def test_live_check_with_a_rejected_key_fails_with_the_code(make_app, gemini_fake, turbotext_fake):
    app = make_app(**provider_env(gemini_fake, turbotext_fake, gemini_key="wrong-key"))
    result = app.test_cli_runner().invoke(args=["providers", "check", "--live"])
    assert result.exit_code == 1
    assert "live FAILED: provider_error: Gemini answered HTTP 400" in result.output
    assert "1 provider(s) failed the live check" in result.output


def test_without_live_nothing_is_called(make_app, gemini_fake, turbotext_fake):
    app = make_app(**provider_env(gemini_fake, turbotext_fake))
    result = app.test_cli_runner().invoke(args=["providers", "check"])
    assert result.exit_code == 0
    assert "configured" in lines_by_provider(result.output)["gemini"]
    assert gemini_fake.requests == [] and turbotext_fake.requests == []
