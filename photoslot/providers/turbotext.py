"""Turbotext driver: create a queue, poll ``get_result`` until ready, download the result image.

Turbotext's answers cannot steer the gateway: the result link must be on the configured Turbotext
host (or one of PHOTOSLOT_TURBOTEXT_RESULT_HOSTS), redirects are followed only to such hosts, and
no private or loopback address is fetched unless the configured base URL is one itself
(``result_links.py``). What the booth hears is our own words; Turbotext's text goes to the job
row and the logs (``ProviderError.internal``).
"""

from __future__ import annotations

import io
import json
import logging
import time
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urljoin, urlsplit

import requests
from PIL import Image
from urllib3.exceptions import ReadTimeoutError

from photoslot.log import log_event
from photoslot.providers.base import (
    INPUT_SIDE_PARAM,
    Deadline,
    Provider,
    ProviderError,
    ProviderRequest,
    ProviderResult,
    input_side_schema,
)
from photoslot.providers.result_links import ResultLinkPolicy

if TYPE_CHECKING:
    from photoslot.config import Config

log = logging.getLogger(__name__)

TEXT_LIMIT = 300
SCHEMA = "https://json-schema.org/draft/2020-12/schema"
#: Turbotext publishes no input size; its image-to-image results come back at about 1-1.5 Mpx, so
#: 1536 px loses nothing it uses while its download from our link stays small (README).
DEFAULT_INPUT_SIDE = 1536
_INPUT_SIDE = {INPUT_SIDE_PARAM: input_side_schema(DEFAULT_INPUT_SIDE)}
OPERATIONS: dict[str, dict[str, Any]] = {
    "generate_image2image": {
        "$schema": SCHEMA,
        "type": "object",
        "properties": {
            "content": {"type": "string", "minLength": 1},
            "strength": {"type": "integer", "minimum": 0, "maximum": 80, "default": 40},
            "seed": {"type": "integer", "minimum": 1, "maximum": 10**10},
            "scale": {"type": "number", "minimum": 0.1, "maximum": 20, "default": 7.5},
            "negative_prompt": {"type": "string"},
            "original_language": {"type": "string", "default": "ru"},
            **_INPUT_SIDE,
        },
        "required": ["content"],
        "additionalProperties": False,
    },
    "mix_images": {
        "$schema": SCHEMA,
        "type": "object",
        "properties": {"content": {"type": "string", "minLength": 1}, **_INPUT_SIDE},
        "additionalProperties": False,
    },
    "deepfake_photo": {
        "$schema": SCHEMA,
        "type": "object",
        "properties": {"face_restore": {"type": "boolean", "default": False}, **_INPUT_SIDE},
        "additionalProperties": False,
    },
}


class TurbotextProvider(Provider):
    """Turbotext's photo methods; Turbotext downloads the photo and template from public URLs."""

    name = "turbotext"
    operations = OPERATIONS
    needs_template = frozenset({"mix_images", "deepfake_photo"})
    setup_hint = "set TURBOTEXT_API_KEY"
    default_input_side = DEFAULT_INPUT_SIDE
    #: pause between ``get_result`` polls; tests shorten it
    poll_interval_s: ClassVar[float] = 1.0
    max_answer_bytes: ClassVar[int] = 1024 * 1024
    max_result_bytes: ClassVar[int] = 50 * 1024 * 1024
    #: redirects of a result download followed (each to an allowed host only)
    max_redirects: ClassVar[int] = 3

    def __init__(self, config: Config):
        super().__init__(config)
        # One session per driver instance (one per worker) so connections to Turbotext are reused.
        self._session = requests.Session()
        self._links = ResultLinkPolicy(config.turbotext_base_url, config.turbotext_result_hosts)

    def is_configured(self) -> bool:
        """True when a Turbotext API key is set."""
        return bool(self.config.turbotext_api_key)

    def process(self, request: ProviderRequest, deadline: Deadline) -> ProviderResult:
        """Queue the job, wait for it within the deadline and download the result."""
        if not self.config.turbotext_api_key:
            raise ProviderError("provider_unavailable", "Turbotext API key is not configured")
        method = request.operation
        started = time.monotonic()
        created = self._post(method, {"do": "create_queue", **_form(request)}, deadline)
        queueid = created.get("queueid")
        if isinstance(queueid, str) and queueid.isdigit():
            queueid = int(queueid)
        if created.get("success") is not True or type(queueid) is not int:
            raise _bad("Turbotext create_queue answer has no queueid", created)
        queued = time.monotonic()
        answer = self._wait(method, queueid, deadline)
        ready = time.monotonic()
        image, mime = self._download(self._result_url(answer), deadline)
        done = time.monotonic()
        return ProviderResult(
            image,
            mime,
            {
                "create_ms": _ms(queued - started),
                "queue_ms": _ms(ready - queued),
                "download_ms": _ms(done - ready),
            },
        )

    def check_live(self, deadline: Deadline) -> str:
        """Ask for the result of queue 0: any JSON answer proves the endpoint and the key work."""
        if not self.config.turbotext_api_key:
            raise ProviderError("provider_unavailable", "Turbotext API key is not configured")
        try:
            self._post("generate_image2image", {"do": "get_result", "queueid": "0"}, deadline)
        except ProviderError as exc:
            # Turbotext's own {"success": false} answer still means the key was accepted.
            if exc.code != "provider_error" or exc.details.get("reason") != "refused":
                raise
        return "API reachable, key accepted"

    def _wait(self, method: str, queueid: int, deadline: Deadline) -> dict[str, Any]:
        """Poll ``get_result`` until Turbotext stops answering ``{"action": "reconnect"}``."""
        polls = 0
        while True:
            if deadline.expired:
                raise ProviderError(
                    "provider_timeout",
                    "Turbotext queue was not ready before the deadline",
                    {"queueid": queueid, "polls": polls},
                )
            try:
                answer = self._post(method, {"do": "get_result", "queueid": str(queueid)},
                                    deadline)
            except ProviderError as exc:
                if exc.code == "provider_timeout":  # the deadline ran out during a poll
                    exc.details.update(queueid=queueid, polls=polls)
                raise
            polls += 1
            if answer.get("action") != "reconnect":
                log_event(log, "turbotext_queue_ready", method=method, queueid=queueid, polls=polls)
                return answer
            time.sleep(min(self.poll_interval_s, deadline.remaining()))

    def _post(self, method: str, fields: dict[str, str], deadline: Deadline) -> dict[str, Any]:
        """One API call: the JSON object, or raise on HTTP errors and ``success: false``."""
        body = self._fetch(
            "POST",
            f"{self.config.turbotext_base_url}/api_ai/{method}",
            deadline,
            self.max_answer_bytes,
            data=fields,
            headers={"Authorization": f"Bearer {self.config.turbotext_api_key}"},
            # requests would turn a redirected POST into a GET and drop the form.
            allow_redirects=False,
        )
        try:
            answer = json.loads(body)
        except ValueError:
            raise _bad("Turbotext answered with invalid JSON", body) from None
        if not isinstance(answer, dict):
            raise _bad("Turbotext answer is not a JSON object", answer)
        if answer.get("success") is False:
            error = _clip(str(answer.get("error") or "unknown error"))
            raise ProviderError("provider_error", "Turbotext refused the request",
                                {"reason": "refused"}, internal=f"Turbotext: {error}")
        return answer

    def _result_url(self, answer: dict[str, Any]) -> str:
        """The result link: ``uploaded_image`` (top level or in data), else ``data.image[0]``."""
        data = answer.get("data") if isinstance(answer.get("data"), dict) else {}
        images = data.get("image") if isinstance(data.get("image"), list) else []
        for candidate in (answer.get("uploaded_image"), data.get("uploaded_image"), *images[:1]):
            if isinstance(candidate, str) and candidate.strip():
                return urljoin(self.config.turbotext_base_url + "/", candidate.strip())
        raise _bad("Turbotext result has no image link", answer)

    def _download(self, url: str, deadline: Deadline) -> tuple[bytes, str]:
        """Fetch the result (without our API key: the link may point to a CDN) and check it.

        Every link, the first and each redirect's target, must pass the link policy."""
        for _ in range(self.max_redirects + 1):
            self._links.check(url)
            try:
                data = self._fetch("GET", url, deadline, self.max_result_bytes,
                                   allow_redirects=False)
            except _Redirect as redirect:
                url = urljoin(url, redirect.location)
                continue
            return data, _image_mime(data)
        raise ProviderError("provider_bad_response", "Turbotext redirected the result too often",
                            internal=f"more than {self.max_redirects} redirects, last to "
                                     f"{_host(url)}")

    def _fetch(self, method: str, url: str, deadline: Deadline, limit: int, **kwargs: Any) -> bytes:
        """An HTTP exchange bounded by the deadline and ``limit`` bytes, errors mapped to codes.

        Our own words for the booth; the exception (with URLs) only in ``internal``."""
        remaining = deadline.remaining()
        if remaining <= 0:
            raise ProviderError("provider_timeout", "deadline passed before calling Turbotext")
        try:
            with self._session.request(
                method, url, timeout=remaining, stream=True, **kwargs
            ) as response:
                _check_status(response)
                return _read(response, deadline, limit)
        except requests.Timeout as exc:
            raise ProviderError("provider_timeout", "Turbotext did not answer in time",
                                internal=f"Turbotext did not answer in time: {exc}") from exc
        except requests.ConnectionError as exc:
            # A read timeout while streaming the body surfaces as ConnectionError(ReadTimeoutError).
            if exc.args and isinstance(exc.args[0], ReadTimeoutError):
                raise ProviderError("provider_timeout", "Turbotext answer stalled",
                                    internal=f"Turbotext answer stalled: {exc}") from exc
            raise ProviderError("provider_unavailable", "cannot reach Turbotext",
                                internal=f"cannot reach Turbotext: {exc}") from exc
        except requests.RequestException as exc:
            raise ProviderError("provider_bad_response", "bad Turbotext exchange",
                                internal=f"bad Turbotext exchange: {exc}") from exc


class _Redirect(Exception):  # noqa: N818  (a signal, not an error)
    """A 3xx answer with a Location: the caller decides whether to follow it."""

    def __init__(self, location: str):
        super().__init__(location)
        self.location = location


def _image_mime(data: bytes) -> str:
    """The MIME type of a result download; provider_bad_response if it is not an image."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            mime = Image.MIME.get(image.format or "")
    except (OSError, ValueError, Image.DecompressionBombError):
        mime = None
    if not mime:
        raise ProviderError("provider_bad_response", "Turbotext result is not an image")
    return mime


def _form(request: ProviderRequest) -> dict[str, str]:
    """Form fields: the operation params plus the public links Turbotext downloads."""
    if request.operation not in OPERATIONS:
        raise ProviderError("provider_error", f"unknown Turbotext operation {request.operation!r}")
    if not request.photo.url:
        raise ProviderError("provider_error", "Turbotext needs a public URL of the photo")
    form = {"url": request.photo.url}
    if request.operation in TurbotextProvider.needs_template:
        if not request.templates or not request.templates[0].url:
            raise ProviderError("provider_error", "Turbotext needs a public URL of the template")
        form["url_image_target"] = request.templates[0].url
    if request.operation == "deepfake_photo":
        # Turbotext puts the face from url_image_target into the photo at url; a booth wants the
        # guest's face in the template scene, so the template is `url` and the guest the target.
        form["url"], form["url_image_target"] = form["url_image_target"], form["url"]
    for name, value in request.params.items():
        # Turbotext documents booleans as True/False.
        form[name] = ("True" if value else "False") if isinstance(value, bool) else str(value)
    return form


def _check_status(response: requests.Response) -> None:
    if response.status_code < 300:
        return
    if response.is_redirect and not response.request.method == "POST":
        raise _Redirect(response.headers["Location"])
    snippet = next(response.iter_content(TEXT_LIMIT), b"")  # bounded: error pages can be huge
    details = {"status": response.status_code}
    internal = (f"Turbotext answered HTTP {response.status_code}: "
                f"{_clip(snippet.decode(errors='replace'))}")
    if response.status_code == 429:
        raise ProviderError("provider_rate_limited", "Turbotext rate limit reached", details,
                            internal)
    raise ProviderError("provider_error", f"Turbotext answered HTTP {response.status_code}",
                        details, internal)


def _read(response: requests.Response, deadline: Deadline, limit: int) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise ProviderError(
                "provider_bad_response", "Turbotext answer is too large", {"limit_bytes": limit}
            )
        if deadline.expired:
            raise ProviderError("provider_timeout", "deadline passed while reading from Turbotext")
        chunks.append(chunk)
    return b"".join(chunks)


def _bad(message: str, answer: Any) -> ProviderError:
    text = answer.decode(errors="replace") if isinstance(answer, bytes) else json.dumps(answer)
    return ProviderError("provider_bad_response", message, internal=f"{message}: {_clip(text)}")


def _host(url: str) -> str:
    return urlsplit(url).netloc


def _clip(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def _ms(seconds: float) -> int:
    return int(seconds * 1000)
