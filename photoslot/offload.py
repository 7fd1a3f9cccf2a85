"""Run CPU-bound work (Pillow decoding, argon2) in gevent's native thread pool.

Both libraries release the GIL in their C code. Done inline, a 20-megapixel decode or an argon2
check freezes the worker's event loop: no other request progresses and no other request's
gevent.Timeout fires. Done here, the calling greenlet waits cooperatively (and can itself be cut
by its deadline) while the loop keeps serving everyone else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import gevent

T = TypeVar("T")


def off_loop(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call ``fn(*args, **kwargs)`` in a worker thread and wait for it; exceptions propagate."""
    return gevent.get_hub().threadpool.apply(fn, args, kwargs)
