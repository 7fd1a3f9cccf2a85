"""WSGI entry point: gevent patching first, then ``app = create_app()``.

gunicorn's gevent worker patches too (before it imports this module); patching here as well makes
every other entry point (``flask`` CLI, ``python -m``) run under the same cooperative I/O.
"""

from gevent import monkey

monkey.patch_all()

from photoslot.database import make_psycopg_cooperative  # noqa: E402

# psycogreen's wait callback, with every wait bounded (photoslot/database.py, ADR 0013).
make_psycopg_cooperative()

import sys  # noqa: E402

from photoslot import ConfigError, create_app  # noqa: E402

try:
    app = create_app()
except ConfigError as exc:
    print(f"photoslot: configuration error: {exc}", file=sys.stderr)
    # 3 is gunicorn's "worker failed to boot": the master stops instead of respawning forever.
    raise SystemExit(3) from None
