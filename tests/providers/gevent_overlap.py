"""Run one driver's ``process`` in N gevent greenlets of a monkey-patched process.

Used by test_*_driver.py through a subprocess (the pytest process itself is not patched).
Usage: ``python gevent_overlap.py SPEC_JSON``; the configuration comes from the environment.
Prints one JSON line: the outcome of each greenlet.
"""

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402

from photoslot.config import Config  # noqa: E402
from photoslot.providers.base import (  # noqa: E402
    Deadline,
    InputImage,
    ProviderError,
    ProviderRequest,
)
from photoslot.providers.gemini import GeminiProvider  # noqa: E402
from photoslot.providers.turbotext import TurbotextProvider  # noqa: E402

DRIVERS = {"gemini": GeminiProvider, "turbotext": TurbotextProvider}


def run_one(provider, spec: dict, index: int) -> dict:
    """One job; the outcome as a JSON-able dict."""
    photo = InputImage(Path(spec["photo_path"]).read_bytes(), "image/png", spec.get("photo_url"))
    request = ProviderRequest(f"job-{index}", spec["operation"], spec["params"], photo)
    try:
        result = provider.process(request, Deadline.after(spec["deadline_s"]))
    except ProviderError as exc:
        return {"ok": False, "code": exc.code}
    return {"ok": True, "bytes": len(result.image)}


def main() -> None:
    """Share one driver instance between greenlets, like a gevent worker does."""
    spec = json.loads(sys.argv[1])
    provider = DRIVERS[spec["provider"]](Config.from_env())
    provider.poll_interval_s = 0.05
    greenlets = [gevent.spawn(run_one, provider, spec, i) for i in range(spec["count"])]
    gevent.joinall(greenlets, raise_error=True)
    print(json.dumps([g.value for g in greenlets]))


if __name__ == "__main__":
    main()
