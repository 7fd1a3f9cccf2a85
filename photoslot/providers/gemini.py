"""Gemini driver: one ``generateContent`` call through google-genai, mapped to ProviderError."""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import httpx2
from google import genai
from google.genai import errors, types

from photoslot.providers.base import (
    INPUT_SIDE_PARAM,
    Deadline,
    Provider,
    ProviderError,
    ProviderRequest,
    ProviderResult,
    input_side_schema,
)

if TYPE_CHECKING:
    from photoslot.config import Config

DEFAULT_MODEL = "gemini-2.5-flash-image"
#: Gemini's image models answer at about one megapixel (1024x1024 for 1:1, 1536 px long side at
#: most for 21:9) and bill an input image at a flat ~1,100-1,300 tokens whatever its size: 1536 px
#: keeps every detail the model can use (README "Provider input size").
DEFAULT_INPUT_SIDE = 1536
# google-genai 3.3 defaults to "v1"; Google documents image generation on v1beta.
API_VERSION = "v1beta"
TEXT_LIMIT = 300
BLOCKING_REASONS = frozenset(
    {
        "SAFETY",
        "IMAGE_SAFETY",
        "PROHIBITED_CONTENT",
        "IMAGE_PROHIBITED_CONTENT",
        "BLOCKLIST",
        "SPII",
        "RECITATION",
        "IMAGE_RECITATION",
        "MODEL_ARMOR",
        "JAILBREAK",
    }
)
PARAMS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "prompt": {"type": "string", "minLength": 1},
        "model": {"type": "string", "default": DEFAULT_MODEL, "pattern": "^[a-z0-9][a-z0-9.-]*$"},
        INPUT_SIDE_PARAM: input_side_schema(DEFAULT_INPUT_SIDE),
    },
    "required": ["prompt"],
    "additionalProperties": False,
}


class GeminiProvider(Provider):
    """Edits the photo (``edit``) or places it into the template (``compose``) by prompt."""

    name = "gemini"
    operations = {"edit": PARAMS_SCHEMA, "compose": PARAMS_SCHEMA}
    needs_template = frozenset({"compose"})
    setup_hint = "set GEMINI_API_KEY"
    default_input_side = DEFAULT_INPUT_SIDE

    def __init__(self, config: Config):
        super().__init__(config)
        self._clients: dict[tuple[str | None, str], genai.Client] = {}

    def is_configured(self) -> bool:
        """True when a Gemini API key is set."""
        return bool(self.config.gemini_api_key)

    def process(self, request: ProviderRequest, deadline: Deadline) -> ProviderResult:
        """Send prompt, photo and templates as inline data; return the first image part."""
        if not self.config.gemini_api_key:
            raise ProviderError("provider_unavailable", "Gemini API key is not configured")
        started = time.monotonic()
        body = self._generate(request, deadline)
        image, mime = parse_response(body)
        return ProviderResult(
            image, mime, {"provider_ms": int((time.monotonic() - started) * 1000)}
        )

    def check_live(self, deadline: Deadline) -> str:
        """Fetch the default model's metadata (free, no image generated)."""
        if not self.config.gemini_api_key:
            raise ProviderError("provider_unavailable", "Gemini API key is not configured")
        timeout_ms = max(1, int(deadline.remaining() * 1000))
        with _mapped_errors():
            model = self._client().models.get(
                model=DEFAULT_MODEL, config={"http_options": {"timeout": timeout_ms}}
            )
        return f"model {model.name} reachable"

    def _client(self) -> genai.Client:
        # One client per (base URL, key) keeps its httpx connection pool warm across jobs.
        key = (self.config.gemini_base_url, self.config.gemini_api_key)
        if key not in self._clients:
            self._clients[key] = genai.Client(
                vertexai=False,
                api_key=self.config.gemini_api_key,
                http_options=types.HttpOptions(
                    base_url=self.config.gemini_base_url,
                    api_version=API_VERSION,
                    retry_options=types.HttpRetryOptions(attempts=1),
                ),
            )
        return self._clients[key]

    def _generate(self, request: ProviderRequest, deadline: Deadline) -> str:
        """Make the HTTP call bounded by the deadline; return the raw JSON body."""
        # HttpOptions.timeout is whole milliseconds and 0 means "no timeout" to the SDK.
        timeout_ms = int(deadline.remaining() * 1000)
        if timeout_ms < 1:
            raise ProviderError("provider_timeout", "deadline passed before calling Gemini")
        parts = [types.Part.from_text(text=request.params["prompt"])]
        parts += [
            types.Part.from_bytes(data=image.data, mime_type=image.mime)
            for image in (request.photo, *request.templates)
        ]
        config = types.GenerateContentConfig(
            response_modalities=["TEXT", "IMAGE"],
            http_options=types.HttpOptions(timeout=timeout_ms),
            automatic_continuation=False,
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
            # The SDK's parser silently coerces odd shapes; we map the documented JSON ourselves.
            should_return_http_response=True,
        )
        with _mapped_errors():
            response = self._client().models.generate_content(
                model=request.params.get("model") or DEFAULT_MODEL,
                contents=[types.Content(role="user", parts=parts)],
                config=config,
            )
        http_response = response.sdk_http_response
        if http_response is None or not isinstance(http_response.body, str):
            raise ProviderError("provider_bad_response", "Gemini answered with an empty body")
        return http_response.body


@contextmanager
def _mapped_errors() -> Iterator[None]:
    """Turn the SDK's HTTP errors and httpx2 transport failures into ProviderErrors."""
    try:
        yield
    except errors.APIError as exc:
        raise _api_error(exc) from exc
    except httpx2.TimeoutException as exc:
        raise ProviderError("provider_timeout", "Gemini did not answer in time",
                            internal=f"Gemini did not answer in time: {exc}") from exc
    except httpx2.TransportError as exc:
        raise ProviderError("provider_unavailable", "cannot reach Gemini",
                            internal=f"cannot reach Gemini: {exc}") from exc


def _api_error(exc: errors.APIError) -> ProviderError:
    # status and reason (Google's enum, e.g. INVALID_ARGUMENT) for the booth; the message,
    # Google's own text, only for operators.
    details = {"status": exc.code, "reason": exc.status}
    internal = f"Gemini answered HTTP {exc.code} {exc.status}: {_clip(exc.message or '')}"
    if exc.code == 429:
        return ProviderError("provider_rate_limited", "Gemini rate limit reached", details,
                             internal)
    if exc.code == 504 and exc.status == "DEADLINE_EXCEEDED":
        # The SDK sends X-Server-Timeout = our remaining time; Google gives up with this answer.
        return ProviderError("provider_timeout", "Gemini missed the deadline", details, internal)
    return ProviderError("provider_error", f"Gemini answered HTTP {exc.code}", details, internal)


def parse_response(body: str) -> tuple[bytes, str]:
    """Map a generateContent JSON body to (image bytes, mime) or the matching ProviderError."""
    try:
        payload = json.loads(body)
    except ValueError:
        raise _bad("Gemini answered with invalid JSON", body) from None
    if not isinstance(payload, dict):
        raise _bad("Gemini answer is not a JSON object", body)
    feedback = payload.get("promptFeedback") or {}
    if isinstance(feedback, dict) and feedback.get("blockReason"):
        raise ProviderError(
            "provider_blocked",
            "Gemini blocked the prompt",
            {"block_reason": feedback["blockReason"]},
        )
    candidates = payload.get("candidates")
    if not isinstance(candidates, list) or not candidates or not isinstance(candidates[0], dict):
        raise _bad("Gemini answer has no candidates", body)
    candidate = candidates[0]
    finish = candidate.get("finishReason")
    if finish in BLOCKING_REASONS:
        raise ProviderError(
            "provider_blocked", "Gemini blocked the result", {"finish_reason": finish}
        )
    content = candidate.get("content") or {}
    parts = content.get("parts", []) if isinstance(content, dict) else None
    if not isinstance(parts, list) or not all(isinstance(part, dict) for part in parts):
        raise _bad("Gemini candidate content has an unexpected shape", body)
    texts: list[str] = []
    for part in parts:
        if part.get("thought"):
            continue  # interim "thinking" images are drafts, not the answer
        inline = part.get("inlineData", part.get("inline_data"))
        if inline is not None:
            return _decode_image(inline, body)
        if isinstance(part.get("text"), str):
            texts.append(part["text"])
    raise ProviderError(
        "provider_no_image",
        "Gemini answered without an image",
        {"finish_reason": finish},
        internal=f"Gemini answered without an image (finishReason {finish}): "
                 f"{_clip(' '.join(texts))}",
    )


def _decode_image(inline: Any, body: str) -> tuple[bytes, str]:
    if not isinstance(inline, dict):
        raise _bad("Gemini inlineData is not an object", body)
    mime = inline.get("mimeType", inline.get("mime_type"))
    data = _decode_bytes(inline.get("data"))
    if data is None:
        raise _bad("Gemini inlineData is not valid base64", body)
    if not data or not isinstance(mime, str) or not mime.startswith("image/"):
        raise _bad("Gemini inlineData is not an image", body)
    return data, mime


def _decode_bytes(value: Any) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        # What Google sends: standard, padded base64 — checked in C, no copy of a 2 MB string.
        return base64.b64decode(value, validate=True)
    except ValueError:  # binascii.Error, or a non-ASCII string
        pass
    # proto3 JSON also allows URL-safe base64, with or without padding.
    if not re.fullmatch(r"[A-Za-z0-9+/_-]*={0,2}", value):
        return None
    value = value.rstrip("=").replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except binascii.Error:
        return None


def _bad(message: str, body: str) -> ProviderError:
    return ProviderError("provider_bad_response", message, internal=f"{message}: {_clip(body)}")


def _clip(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"
