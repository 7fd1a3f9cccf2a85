"""GeminiProvider against the fake Gemini server over real HTTP."""

from __future__ import annotations

import base64
import json
import time

import pytest
from jsonschema import Draft202012Validator

from photoslot.providers.base import Deadline, InputImage, ProviderError, ProviderRequest
from photoslot.providers.gemini import DEFAULT_MODEL, GeminiProvider, parse_response
from tests.fakes.gemini import DEFAULT_API_KEY
from tests.fakes.images import make_image, open_image, same_pixels, transform
from tests.providers.conftest import run_overlap_script

PHOTO = make_image(seed=1)
TEMPLATE = make_image(80, 60, fmt="JPEG", seed=2)


def job(operation: str = "edit", prompt: str = "make it pop", **params) -> ProviderRequest:
    """A request with the test photo and, for compose, the test template."""
    templates = (InputImage(TEMPLATE, "image/jpeg"),) if operation == "compose" else ()
    return ProviderRequest(
        "job-1", operation, {"prompt": prompt, **params}, InputImage(PHOTO, "image/png"), templates
    )


def failure(provider: GeminiProvider, request: ProviderRequest, seconds: float = 10):
    """The ProviderError the call raises."""
    with pytest.raises(ProviderError) as caught:
        provider.process(request, Deadline.after(seconds))
    return caught.value


def test_edit_returns_the_generated_image(gemini, gemini_fake):
    result = gemini.process(job(), Deadline.after(10))

    assert result.mime == "image/png"
    assert same_pixels(result.image, transform(PHOTO))
    assert not same_pixels(result.image, PHOTO)
    assert result.timings["provider_ms"] >= 0
    [request] = gemini_fake.requests
    assert request.path == f"/v1beta/models/{DEFAULT_MODEL}:generateContent"
    assert request.headers["x-goog-api-key"] == DEFAULT_API_KEY
    assert request.headers["x-server-timeout"] == "10"  # the deadline, passed on to Google
    assert request.info == {
        "model": DEFAULT_MODEL,
        "prompt": "make it pop",
        "images": ["image/png"],
    }


def test_compose_sends_photo_then_template_and_honours_model(gemini, gemini_fake):
    result = gemini.process(job("compose", model="gemini-3-pro-image-preview"), Deadline.after(10))

    assert open_image(result.image) is not None
    [request] = gemini_fake.requests
    assert request.info["model"] == "gemini-3-pro-image-preview"
    assert request.info["images"] == ["image/png", "image/jpeg"]


@pytest.mark.parametrize(
    "mode, code, details",
    [
        ("status=400", "provider_error", {"status": 400, "reason": "INVALID_ARGUMENT"}),
        ("status=500", "provider_error", {"status": 500, "reason": "INTERNAL"}),
        ("status=503", "provider_error", {"status": 503}),
        ("status=429", "provider_rate_limited", {"status": 429}),
        ("status=504", "provider_timeout", {"status": 504}),
        ("malformed", "provider_bad_response", {}),
        ("shape", "provider_bad_response", {}),
        ("block=SAFETY", "provider_blocked", {"block_reason": "SAFETY"}),
        ("block=PROHIBITED_CONTENT", "provider_blocked", {"block_reason": "PROHIBITED_CONTENT"}),
        ("finish=IMAGE_SAFETY", "provider_blocked", {"finish_reason": "IMAGE_SAFETY"}),
        ("finish=PROHIBITED_CONTENT", "provider_blocked", {"finish_reason": "PROHIBITED_CONTENT"}),
        ("finish=NO_IMAGE", "provider_no_image", {"finish_reason": "NO_IMAGE"}),
        ("text_only", "provider_no_image", {"finish_reason": "STOP"}),
        ("drop", "provider_unavailable", {}),
    ],
)
def test_fake_modes_map_to_error_codes(gemini, gemini_fake, mode, code, details):
    gemini_fake.mode = mode

    error = failure(gemini, job())

    assert error.code == code
    assert details.items() <= error.details.items()


def test_no_image_keeps_model_text_for_operators_only(gemini, gemini_fake):
    gemini_fake.mode = "text_only"

    error = failure(gemini, job())

    assert "I can't edit this photo" in error.internal and len(error.internal) <= 400
    assert error.public_details == {"finish_reason": "STOP"}
    assert "edit this photo" not in error.message


def test_prompt_marker_selects_the_mode_per_request(gemini, gemini_fake):
    error = failure(gemini, job(prompt="make it pop [fake:status=429]"))

    assert error.code == "provider_rate_limited"
    assert gemini_fake.requests[0].info["prompt"] == "make it pop [fake:status=429]"


@pytest.mark.parametrize("mode", ["status=429", "status=500", "status=503", "drop"])
def test_sdk_does_not_retry(gemini, gemini_fake, mode):
    gemini_fake.mode = mode

    failure(gemini, job())

    assert len(gemini_fake.requests) == 1


def test_wrong_api_key_is_a_provider_error(make_config, gemini_fake):
    provider = GeminiProvider(
        make_config(GEMINI_API_KEY="wrong", PHOTOSLOT_GEMINI_BASE_URL=gemini_fake.base_url)
    )

    error = failure(provider, job())

    assert error.code == "provider_error"
    assert error.public_details == {"status": 400, "reason": "INVALID_ARGUMENT"}
    assert "API key not valid" in error.internal and "API key" not in error.message


def test_huge_answer_still_yields_the_image(gemini, gemini_fake):
    gemini_fake.mode = "huge"

    result = gemini.process(job(), Deadline.after(30))

    assert same_pixels(result.image, transform(PHOTO))


def test_latency_within_deadline_succeeds(gemini, gemini_fake):
    gemini_fake.mode = "latency=300"

    assert open_image(gemini.process(job(), Deadline.after(5)).image) is not None


def test_latency_beyond_deadline_is_a_timeout_within_the_deadline(gemini, gemini_fake):
    gemini_fake.mode = "latency=3000"
    started = time.monotonic()

    error = failure(gemini, job(), seconds=1.0)

    assert error.code == "provider_timeout"
    assert time.monotonic() - started < 2.0  # the promise: the deadline + 1 s
    assert gemini_fake.requests[0].ended is None, "the driver waited for the slow answer"


def test_expired_deadline_is_a_timeout_without_a_call(gemini, gemini_fake):
    error = failure(gemini, job(), seconds=0)

    assert error.code == "provider_timeout"
    assert gemini_fake.requests == []


def test_connection_refused_is_unavailable(make_config, closed_port):
    provider = GeminiProvider(
        make_config(GEMINI_API_KEY="k", PHOTOSLOT_GEMINI_BASE_URL=f"http://127.0.0.1:{closed_port}")
    )

    assert failure(provider, job()).code == "provider_unavailable"


def test_client_and_connection_are_reused(gemini, gemini_fake):
    gemini.process(job(), Deadline.after(10))
    gemini.process(job(), Deadline.after(10))

    assert len(gemini._clients) == 1
    first, second = gemini_fake.requests
    assert first.peer == second.peer


def test_is_configured_follows_the_api_key(make_config):
    assert GeminiProvider(make_config(GEMINI_API_KEY="k")).is_configured()
    provider = GeminiProvider(make_config())
    assert not provider.is_configured()
    assert failure(provider, job()).code == "provider_unavailable"


def test_operation_schemas_are_valid_and_accept_typical_params():
    for operation, schema in GeminiProvider.operations.items():
        Draft202012Validator.check_schema(schema)
        validator = Draft202012Validator(schema)
        assert validator.is_valid({"prompt": "x", "model": DEFAULT_MODEL}), operation
        assert not validator.is_valid({"prompt": ""}), operation
        assert not validator.is_valid({"prompt": "x", "model": "../evil"}), operation
    assert GeminiProvider.needs_template == {"compose"}


def test_two_slow_calls_overlap_in_gevent_greenlets(gemini_fake, base_env, tmp_path):
    photo_path = tmp_path / "photo.png"
    photo_path.write_bytes(PHOTO)
    spec = {
        "provider": "gemini",
        "operation": "edit",
        "params": {"prompt": "slow [fake:latency=1500]"},
        "photo_path": str(photo_path),
        "count": 2,
        "deadline_s": 10,
    }
    env = {
        **base_env,
        "GEMINI_API_KEY": DEFAULT_API_KEY,
        "PHOTOSLOT_GEMINI_BASE_URL": gemini_fake.base_url,
    }

    outcomes = run_overlap_script(spec, env)
    assert outcomes == [{"ok": True, "bytes": len(transform(PHOTO))}] * 2
    first, second = sorted(gemini_fake.requests, key=lambda r: r.started)
    assert second.started < first.ended, "the second call waited for the first one"


@pytest.mark.parametrize("encode", [
    lambda data: base64.b64encode(data).decode(),  # what Google sends
    lambda data: base64.urlsafe_b64encode(data).decode().rstrip("="),  # also valid proto3 JSON
])
def test_inline_data_in_either_base64_alphabet_is_decoded(encode):
    data = b"\xfb\xff\xfe" + make_image(4, 4)
    body = json.dumps({"candidates": [{"content": {"parts": [
        {"inlineData": {"mimeType": "image/png", "data": encode(data)}}]}}]})
    assert parse_response(body) == (data, "image/png")


@pytest.mark.parametrize("data", ["not base64!", "QUJD RA==", "QUJDRA==é"])
def test_inline_data_that_is_not_base64_is_a_bad_response(data):
    body = json.dumps({"candidates": [{"content": {"parts": [
        {"inlineData": {"mimeType": "image/png", "data": data}}]}}]})
    with pytest.raises(ProviderError) as err:
        parse_response(body)
    assert err.value.code == "provider_bad_response"
