"""Fixtures for the driver tests: drivers pointed at the fakes, the fakes, and an image host."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from photoslot.config import Config
from photoslot.providers.gemini import GeminiProvider
from photoslot.providers.turbotext import TurbotextProvider
from tests.fakes import gemini as fake_gemini
from tests.fakes import turbotext as fake_turbotext
from tests.fakes.images import ImageHost, make_image

PHOTO = make_image(seed=1)
TEMPLATE = make_image(80, 60, fmt="JPEG", seed=2)


@pytest.fixture
def make_config(base_env: dict[str, str]) -> Callable[..., Config]:
    """Build a Config from the suite's base environment plus overrides."""
    return lambda **env: Config.from_env({**base_env, **env})


@pytest.fixture
def gemini_fake() -> Iterator[fake_gemini.FakeGemini]:
    with fake_gemini.FakeGemini() as fake:
        yield fake


@pytest.fixture
def turbotext_fake() -> Iterator[fake_turbotext.FakeTurbotext]:
    with fake_turbotext.FakeTurbotext(pending=2) as fake:
        yield fake


@pytest.fixture
def image_host() -> Iterator[ImageHost]:
    with ImageHost() as host:
        yield host


@pytest.fixture
def links(image_host) -> dict[str, str]:
    """Public links to the photo and the template, as the gateway would hand them out."""
    return {
        "photo": image_host.add("photo", PHOTO),
        "template": image_host.add("template", TEMPLATE, "image/jpeg"),
    }


@pytest.fixture
def gemini(make_config, gemini_fake) -> GeminiProvider:
    """A Gemini driver talking to the fake."""
    return GeminiProvider(
        make_config(
            GEMINI_API_KEY=fake_gemini.DEFAULT_API_KEY,
            PHOTOSLOT_GEMINI_BASE_URL=gemini_fake.base_url,
        )
    )


@pytest.fixture
def turbotext(make_config, turbotext_fake) -> TurbotextProvider:
    """A Turbotext driver talking to the fake, polling every 50 ms."""
    provider = TurbotextProvider(
        make_config(
            TURBOTEXT_API_KEY=fake_turbotext.DEFAULT_API_KEY,
            PHOTOSLOT_TURBOTEXT_BASE_URL=turbotext_fake.base_url,
        )
    )
    provider.poll_interval_s = 0.05
    return provider


OVERLAP_SCRIPT = Path(__file__).with_name("gevent_overlap.py")


def run_overlap_script(spec: dict[str, Any], env: dict[str, str]) -> list[dict[str, Any]]:
    """Run N concurrent driver calls in a gevent-patched subprocess; return their outcomes."""
    outcome = subprocess.run(
        [sys.executable, str(OVERLAP_SCRIPT), json.dumps(spec)],
        env={**env, "PYTHONPATH": str(OVERLAP_SCRIPT.parents[2])},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert outcome.returncode == 0, outcome.stderr
    return json.loads(outcome.stdout)
