"""The one interface every provider driver implements, and its error family.

Drivers get the request's ``Deadline`` (from ``photoslot.clock``, re-exported here) to size their
own timeouts."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from photoslot.clock import Deadline

if TYPE_CHECKING:
    from photoslot.config import Config

__all__ = [
    "Deadline", "ERROR_CODES", "INPUT_SIDE_PARAM", "InputImage", "Provider", "ProviderError",
    "ProviderRequest", "ProviderResult", "input_side_schema", "ops_text",
]

#: The slot param the gateway itself consumes (ADR 0015), never passed on to a driver: the
#: longest side, in pixels, of the photo and templates sent to the provider; 0 sends originals.
INPUT_SIDE_PARAM = "max_input_side"

ERROR_CODES = frozenset(
    {
        "provider_timeout",
        "provider_error",
        "provider_blocked",
        "provider_no_image",
        "provider_rate_limited",
        "provider_bad_response",
        "provider_unavailable",
    }
)


#: Detail fields a client may see; anything else a driver puts in ``details`` stays internal.
PUBLIC_DETAILS = frozenset(
    {"status", "provider_status", "reason", "block_reason", "finish_reason", "polls",
     "limit_bytes"}
)
_TOKEN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class ProviderError(Exception):
    """A provider failed; ``code`` is stable and becomes the API error code.

    ``message`` and ``details`` are what the booth is told: our own words and structured
    values, never the provider's text. ``internal`` is for operators (the job row, logs,
    ``flask providers check``): it may quote the provider's answer, clipped and NUL-free.
    """

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None,
                 internal: str | None = None):
        if code not in ERROR_CODES:
            raise ValueError(f"unknown provider error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}
        self.internal = ops_text(internal or message)

    @property
    def public_details(self) -> dict[str, Any]:
        """The details a client may see: known fields holding numbers or short tokens."""
        return {name: value for name, value in self.details.items()
                if name in PUBLIC_DETAILS and _is_public_value(value)}

    @property
    def http_status(self) -> int:
        """504 for a missed deadline, 502 for every other provider failure."""
        return 504 if self.code == "provider_timeout" else 502


def _is_public_value(value: Any) -> bool:
    if isinstance(value, bool | int):
        return True
    return isinstance(value, str) and bool(_TOKEN.match(value))


def ops_text(text: str, limit: int = 2000) -> str:
    """``text`` fit for a log line or a database text column: no NUL, at most ``limit`` chars."""
    text = text.replace("\0", "\\0")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def input_side_schema(default: int) -> dict[str, Any]:
    """The JSON Schema of ``max_input_side`` with a provider's own default."""
    return {
        "type": "integer",
        "minimum": 0,
        "maximum": 8192,
        "default": default,
        "description": "Longest side in pixels of the photo and templates sent to the provider "
                       "(reduced, upright, without metadata); 0 sends the originals.",
    }


@dataclass(frozen=True)
class InputImage:
    """An image handed to a provider: its bytes and an absolute public link to the same bytes."""

    data: bytes
    mime: str
    url: str | None = None


@dataclass(frozen=True)
class ProviderRequest:
    """Everything a driver needs for one job."""

    job_id: str
    operation: str
    params: dict[str, Any]
    photo: InputImage
    templates: tuple[InputImage, ...] = ()


@dataclass(frozen=True)
class ProviderResult:
    """The processed image and the provider-side timings in milliseconds."""

    image: bytes
    mime: str
    timings: dict[str, int] = field(default_factory=dict)


class Provider(ABC):
    """A provider driver. Subclasses set ``name`` and ``operations`` and implement ``process``.

    ``operations`` maps each operation name to the JSON Schema (draft 2020-12) of its params;
    slot validation and the admin UI form are built from it.
    """

    name: ClassVar[str]
    operations: ClassVar[dict[str, dict[str, Any]]]
    #: operations that need at least one template image bound to the slot
    needs_template: ClassVar[frozenset[str]] = frozenset()
    #: what an operator must do when ``is_configured()`` is False (shown by slots and the CLI)
    setup_hint: ClassVar[str] = ""
    #: ``max_input_side`` when a slot does not set it (0: the originals; see the README)
    default_input_side: ClassVar[int] = 0

    def __init__(self, config: Config):
        self.config = config

    def is_configured(self) -> bool:
        """True when the provider has what it needs to be called (e.g. an API key)."""
        return True

    @classmethod
    def input_side(cls, params: dict[str, Any]) -> int:
        """The longest side of the images this slot sends (``max_input_side``, else default)."""
        return int(params.get(INPUT_SIDE_PARAM, cls.default_input_side))

    def check_live(self, deadline: Deadline) -> str:
        """Make one minimal real call proving endpoint and key work; ProviderError otherwise."""
        return "offline provider, nothing to call"

    @abstractmethod
    def process(self, request: ProviderRequest, deadline: Deadline) -> ProviderResult:
        """Transform the photo; raise ProviderError on failure; never outlive ``deadline``."""
