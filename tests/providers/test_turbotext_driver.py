"""TurbotextProvider against the fake Turbotext, which downloads inputs from an image host."""

from __future__ import annotations

import time

import pytest
from jsonschema import Draft202012Validator

from photoslot.providers.base import Deadline, InputImage, ProviderError, ProviderRequest
from photoslot.providers.turbotext import TurbotextProvider
from tests.fakes.images import same_pixels, transform
from tests.fakes.turbotext import DEFAULT_API_KEY
from tests.providers.conftest import PHOTO, TEMPLATE, run_overlap_script


def job(
    links: dict[str, str], operation: str = "generate_image2image", **params
) -> ProviderRequest:
    """A request whose photo (and, when needed, template) the fake can download."""
    if operation == "generate_image2image":
        params.setdefault("content", "superhero costume")
    templates = (InputImage(TEMPLATE, "image/jpeg", links["template"]),)
    return ProviderRequest(
        "job-1", operation, params, InputImage(PHOTO, "image/png", links["photo"]), templates
    )


def failure(provider: TurbotextProvider, request: ProviderRequest, seconds: float = 10):
    """The ProviderError the call raises."""
    with pytest.raises(ProviderError) as caught:
        provider.process(request, Deadline.after(seconds))
    return caught.value


def api_calls(fake, action: str) -> list:
    """The fake's logged API requests with ``do=action``."""
    return [r for r in fake.requests if r.info.get("form", {}).get("do") == action]


def test_image2image_queues_polls_and_downloads(turbotext, turbotext_fake, image_host, links):
    request = job(links, strength=30, seed=7, scale=7.5, negative_prompt="blur")

    result = turbotext.process(request, Deadline.after(10))

    assert result.mime == "image/png"
    assert same_pixels(result.image, transform(PHOTO))
    assert not same_pixels(result.image, PHOTO)
    assert set(result.timings) == {"create_ms", "queue_ms", "download_ms"}
    [create] = api_calls(turbotext_fake, "create_queue")
    polls = api_calls(turbotext_fake, "get_result")
    assert create.path == "/api_ai/generate_image2image"
    assert create.headers["authorization"] == f"Bearer {DEFAULT_API_KEY}"
    assert create.info["form"] == {
        "do": "create_queue",
        "url": links["photo"],
        "content": "superhero costume",
        "strength": "30",
        "seed": "7",
        "scale": "7.5",
        "negative_prompt": "blur",
    }
    assert len(polls) == 3  # two "reconnect" answers, then the result
    [download] = turbotext_fake.downloads
    assert {key: download[key] for key in ("field", "url", "status", "error")} == {
        "field": "url", "url": links["photo"], "status": 200, "error": None}
    assert [r.path for r in image_host.requests] == ["/public/media/photo"]


@pytest.mark.parametrize(
    "operation, params, extra, scene",
    [
        ("mix_images", {"content": "disney style"}, {"content": "disney style"}, "photo"),
        # deepfake: Turbotext puts the target's face into `url`, so the template is the scene.
        ("deepfake_photo", {"face_restore": True}, {"face_restore": "True"}, "template"),
        ("deepfake_photo", {"face_restore": False}, {"face_restore": "False"}, "template"),
    ],
)
def test_template_operations_send_and_fetch_both_links(
    turbotext, turbotext_fake, links, operation, params, extra, scene
):
    result = turbotext.process(job(links, operation, **params), Deadline.after(10))

    face = "photo" if scene == "template" else "template"
    assert same_pixels(result.image, transform(PHOTO if scene == "photo" else TEMPLATE))
    create = turbotext_fake.requests[0]
    assert create.info["form"] == {
        "do": "create_queue",
        "url": links[scene],
        "url_image_target": links[face],
        **extra,
    }
    assert [(d["field"], d["status"]) for d in turbotext_fake.downloads] == [
        ("url", 200),
        ("url_image_target", 200),
    ]


@pytest.mark.parametrize("variant", ["top", "data", "image"])
def test_every_documented_result_link_is_followed(turbotext, turbotext_fake, links, variant):
    turbotext_fake.mode = f"result={variant}"

    result = turbotext.process(job(links), Deadline.after(10))

    assert same_pixels(result.image, transform(PHOTO))


@pytest.mark.parametrize(
    "mode, code, details",
    [
        ("status=500", "provider_error", {"status": 500}),
        ("status=503", "provider_error", {"status": 503}),
        ("status=429", "provider_rate_limited", {"status": 429}),
        ("status=502,at=poll", "provider_error", {"status": 502}),
        ("status=404,at=download", "provider_error", {"status": 404}),
        ("malformed", "provider_bad_response", {}),
        ("malformed,at=poll", "provider_bad_response", {}),
        ("drop", "provider_unavailable", {}),
        ("drop,at=poll", "provider_unavailable", {}),
        ("drop,at=download", "provider_unavailable", {}),
        ("error=face_not_found", "provider_error", {"reason": "refused"}),
    ],
)
def test_fake_modes_map_to_error_codes(turbotext, turbotext_fake, links, mode, code, details):
    turbotext_fake.mode = mode

    error = failure(turbotext, job(links))

    assert error.code == code
    assert details.items() <= error.details.items()
    assert "body" not in error.details and "error" not in error.details


def test_turbotexts_own_words_stay_internal(turbotext, turbotext_fake, links):
    turbotext_fake.mode = "error=face_not_found"

    error = failure(turbotext, job(links))

    assert (error.message, error.public_details) == ("Turbotext refused the request",
                                                     {"reason": "refused"})
    assert error.internal == "Turbotext: face_not_found"


def test_huge_result_is_refused_past_the_size_limit(turbotext, turbotext_fake, links):
    turbotext_fake.mode = "huge"
    turbotext.max_result_bytes = 1024 * 1024

    error = failure(turbotext, job(links))

    assert error.code == "provider_bad_response"
    assert error.details == {"limit_bytes": 1024 * 1024}


def test_expired_photo_link_is_reported_as_turbotext_error(
    turbotext, turbotext_fake, image_host, links
):
    image_host.expire("photo")

    error = failure(turbotext, job(links))

    assert error.code == "provider_error"
    assert "url" in error.internal and "url" not in error.message
    assert turbotext_fake.downloads[0]["status"] == 410


def test_content_marker_selects_the_mode_per_request(turbotext, turbotext_fake, links):
    error = failure(turbotext, job(links, content="hero [fake:status=429]"))

    assert error.code == "provider_rate_limited"
    assert turbotext_fake.requests[0].info["form"]["content"] == "hero [fake:status=429]"


def test_queue_never_ready_is_a_timeout_within_the_deadline(turbotext, turbotext_fake, links):
    turbotext_fake.mode = "never_ready"
    started = time.monotonic()

    error = failure(turbotext, job(links), seconds=1.0)

    assert error.code == "provider_timeout"
    assert error.details["polls"] > 1
    assert time.monotonic() - started < 2.0  # the promise: the deadline + 1 s


@pytest.mark.parametrize("mode", ["latency=3000", "latency=3000,at=poll"])
def test_latency_beyond_deadline_is_a_timeout(turbotext, turbotext_fake, links, mode):
    turbotext_fake.mode = mode
    started = time.monotonic()

    error = failure(turbotext, job(links), seconds=1.0)

    assert error.code == "provider_timeout"
    assert time.monotonic() - started < 2.0  # the promise: the deadline + 1 s
    assert turbotext_fake.requests[-1].ended is None, "the driver waited for the slow answer"


def test_expired_deadline_is_a_timeout_without_a_call(turbotext, turbotext_fake, links):
    assert failure(turbotext, job(links), seconds=0).code == "provider_timeout"
    assert turbotext_fake.requests == []


def test_wrong_key_is_a_provider_error(make_config, turbotext_fake, links):
    provider = TurbotextProvider(
        make_config(TURBOTEXT_API_KEY="wrong", PHOTOSLOT_TURBOTEXT_BASE_URL=turbotext_fake.base_url)
    )

    error = failure(provider, job(links))

    assert (error.code, error.details["status"]) == ("provider_error", 401)


def test_connection_refused_is_unavailable(make_config, links, closed_port):
    base_url = f"http://127.0.0.1:{closed_port}"
    provider = TurbotextProvider(
        make_config(TURBOTEXT_API_KEY="k", PHOTOSLOT_TURBOTEXT_BASE_URL=base_url)
    )

    assert failure(provider, job(links)).code == "provider_unavailable"


def test_missing_public_link_is_refused_before_calling(turbotext, turbotext_fake):
    request = ProviderRequest(
        "job-1", "generate_image2image", {"content": "x"}, InputImage(PHOTO, "image/png")
    )

    assert failure(turbotext, request).code == "provider_error"
    assert turbotext_fake.requests == []


def test_is_configured_follows_the_api_key(make_config):
    assert TurbotextProvider(make_config(TURBOTEXT_API_KEY="k")).is_configured()
    assert not TurbotextProvider(make_config()).is_configured()


def test_operation_schemas_are_valid():
    samples = {
        "generate_image2image": {"content": "x", "strength": 80, "seed": 1, "scale": 0.1},
        "mix_images": {"content": "x"},
        "deepfake_photo": {"face_restore": True},
    }
    for operation, schema in TurbotextProvider.operations.items():
        Draft202012Validator.check_schema(schema)
        assert Draft202012Validator(schema).is_valid(samples[operation]), operation
    assert not Draft202012Validator(TurbotextProvider.operations["generate_image2image"]).is_valid(
        {"content": "x", "strength": 81}
    )
    assert TurbotextProvider.needs_template == {"mix_images", "deepfake_photo"}


def test_two_slow_jobs_overlap_in_gevent_greenlets(turbotext_fake, links, base_env, tmp_path):
    photo_path = tmp_path / "photo.png"
    photo_path.write_bytes(PHOTO)
    spec = {
        "provider": "turbotext",
        "operation": "generate_image2image",
        "params": {"content": "slow [fake:latency=1500]"},
        "photo_path": str(photo_path),
        "photo_url": links["photo"],
        "count": 2,
        "deadline_s": 10,
    }
    env = {
        **base_env,
        "TURBOTEXT_API_KEY": DEFAULT_API_KEY,
        "PHOTOSLOT_TURBOTEXT_BASE_URL": turbotext_fake.base_url,
    }

    outcomes = run_overlap_script(spec, env)
    assert [r["ok"] for r in outcomes] == [True, True]
    first, second = sorted(api_calls(turbotext_fake, "create_queue"), key=lambda r: r.started)
    assert second.started < first.ended, "the second job waited for the first one"
