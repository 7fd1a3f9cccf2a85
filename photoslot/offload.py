"""Run CPU-bound work (Pillow decoding, argon2) on one worker thread beside the event loop.

Both libraries release the GIL in their C code. Done inline, a 20-megapixel decode or an argon2
check freezes the worker's event loop: no other request progresses and no other request's
gevent.Timeout fires. Done here, the calling greenlet waits cooperatively (and can itself be cut
by its deadline) while the loop keeps serving everyone else.

One thread per worker process, not gevent's shared pool: the aim is a responsive loop, not
parallelism (gunicorn already runs a worker per core), and more threads only fight over the GIL
(bench/ingest.py, 30 concurrent: burst p95 3.95 s through gevent's 10-thread pool; median of three
runs 2.76 s with one thread vs 2.79 s inline). A dedicated pool also keeps DNS lookups, which use
the hub's pool, from queueing behind image work.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import gevent
from gevent.event import AsyncResult
from gevent.threadpool import ThreadPool

T = TypeVar("T")
CPU_THREADS = 1

_pools: weakref.WeakKeyDictionary[Any, ThreadPool] = weakref.WeakKeyDictionary()


def off_loop(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call ``fn(*args, **kwargs)`` on the CPU thread and wait for it; exceptions propagate."""
    return _pool().apply(fn, args, kwargs)


def off_loop_start(fn: Callable[..., T], *args: Any) -> AsyncResult:
    """Queue ``fn(*args)`` on the CPU thread and return at once; ``.ready()`` tells when it is
    done, ``.get()`` waits for its value (cooperatively) and raises what it raised."""
    return _pool().spawn(fn, *args)


def cpu_thread_idle() -> bool:
    """True when this worker's CPU thread has nothing queued or running."""
    return len(_pool()) == 0


def _pool() -> ThreadPool:
    hub = gevent.get_hub()
    pool = _pools.get(hub)
    if pool is None:
        pool = _pools[hub] = ThreadPool(CPU_THREADS, hub=hub)
    return pool
