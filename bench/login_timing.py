"""Time POST /api/login for a wrong password vs an unknown username (they should match).

Usage: .venv/bin/python bench/login_timing.py [--rounds 30]
Builds an app on a temporary SQLite database (limits raised so nothing is cut off) and prints
median / p90 per case and the ratio of medians. Interleaves the cases so drift affects both.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402

from photoslot import create_app  # noqa: E402
from photoslot.passwords import hash_password  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="photoslot-bench-"))
    app = create_app({
        "DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
        "PHOTOSLOT_MEDIA_ROOT": str(tmp / "media"),
        "PHOTOSLOT_SECRET_KEY": "bench-secret-key-" + "0" * 40,
        "PHOTOSLOT_ADMINS": f"serg:{hash_password('the-right-password')}",
        "PHOTOSLOT_LOGIN_LIMIT_PER_USER": "100000 per minute",
        "PHOTOSLOT_LOGIN_LIMIT_PER_IP": "100000 per minute",
    })
    with app.app_context():
        upgrade()
    client = app.test_client()
    cases = {"wrong password": "serg", "unknown user": "mallory"}
    timings: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.rounds):
        for name, username in cases.items():
            started = time.perf_counter()
            response = client.post("/api/login",
                                   json={"username": username, "password": "not-it"})
            timings[name].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 401, response.get_data(as_text=True)
    for name, values in timings.items():
        p90 = statistics.quantiles(values, n=10)[-1]
        print(f"{name:15s} median {statistics.median(values):7.1f} ms   p90 {p90:7.1f} ms")
    ratio = statistics.median(timings["unknown user"]) / statistics.median(
        timings["wrong password"])
    print(f"median ratio unknown/wrong: {ratio:.3f} over {args.rounds} rounds each")


if __name__ == "__main__":
    main()
