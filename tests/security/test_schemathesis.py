"""Security suite: schemathesis over spec/contracts/openapi.yaml against a live gunicorn server,
then the server's captured log grepped for every secret used in the run.

The server is real (gunicorn + gevent, the providers' fakes behind real HTTP, the suite's
database); schemathesis signs in with a valid admin token (bearerAuth) and sends the ingest
password as ``X-Ingest-Password``. Every generated request must get a conforming answer: no 5xx,
a status, content type, headers and body the spec describes. The run is bounded and repeatable:
a fixed seed, ``MAX_EXAMPLES`` per operation and phase (``PHOTOSLOT_FUZZ_EXAMPLES`` raises it for
a longer opt-in run).

The schema is loaded when the module is imported (schemathesis 4.32's lazy ``from_fixture``
does not run under pytest 9), so the server's port and the admin token are fixed up front:
a free port, and a token signed with the suite's key exactly as ``issue_token`` signs one.
"""

from __future__ import annotations

import io
import os
import secrets
import time
from collections.abc import Iterator

import jwt
import pytest
import requests
import schemathesis
from flask import Flask
from sqlalchemy import select

from photoslot import create_app
from photoslot.config import ALL_PERMISSIONS
from photoslot.extensions import db
from photoslot.models import Base, JobHistory
from photoslot.services.slots.configure import seed_slots
from tests.contract import SPEC_PATH
from tests.fakes.gemini import FakeGemini
from tests.fakes.turbotext import FakeTurbotext
from tests.ingest_support import (
    INGEST_PASSWORD,
    booth_parts,
    configure_slot,
    content_type,
    multipart,
    photo_bytes,
    set_password,
)
from tests.support import ADMIN_PASSWORDS, SECRET_KEY, GunicornServer, free_port

pytestmark = pytest.mark.gunicorn

MAX_EXAMPLES = int(os.environ.get("PHOTOSLOT_FUZZ_EXAMPLES") or 8)
SEED = 20261127
#: Each run invents its own provider keys, so finding one in a log cannot be a coincidence.
GEMINI_KEY = f"gemini-key-{secrets.token_hex(12)}"
TURBOTEXT_KEY = f"turbotext-key-{secrets.token_hex(12)}"
PORT = free_port()
_NOW = int(time.time())
TOKEN = jwt.encode({"sub": "serg", "type": "access", "fresh": False, "jti": secrets.token_hex(8),
                    "iat": _NOW, "nbf": _NOW, "exp": _NOW + 86400,
                    "permissions": sorted(ALL_PERMISSIONS)}, SECRET_KEY, algorithm="HS256")


class Live:
    """The server under test and the credentials the run uses."""

    def __init__(self, app: Flask, server: GunicornServer, token: str):
        self.app, self.server, self.token = app, server, token

    def restore_ingest_password(self) -> None:
        """A fuzzed PUT /api/settings may rotate it; put ours back for the next cases."""
        response = requests.put(f"{self.server.base_url}/api/settings", timeout=30,
                                json={"ingest_password": INGEST_PASSWORD},
                                headers={"Authorization": f"Bearer {self.token}"})
        assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def live(_schema: None, base_env: dict[str, str],
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """gunicorn on the suite's database, slots on local, Gemini and Turbotext fakes."""
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "media").mkdir()
    port = PORT
    with FakeGemini(api_key=GEMINI_KEY) as gemini, \
            FakeTurbotext(api_key=TURBOTEXT_KEY, pending=0) as turbotext:
        env = {**base_env, "PHOTOSLOT_MEDIA_ROOT": str(folder / "media"),
               "PHOTOSLOT_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
               "PHOTOSLOT_T_SYNC_RESPONSE_S": "10",
               "GEMINI_API_KEY": GEMINI_KEY, "PHOTOSLOT_GEMINI_BASE_URL": gemini.base_url,
               "TURBOTEXT_API_KEY": TURBOTEXT_KEY,
               "PHOTOSLOT_TURBOTEXT_BASE_URL": turbotext.base_url}
        app = create_app(env)
        with app.app_context():
            with db.engine.begin() as conn:
                for table in reversed(Base.metadata.sorted_tables):
                    conn.execute(table.delete())
            seed_slots()
        set_password(app)
        configure_slot(app, "slot-003", operation="sepia")
        configure_slot(app, "slot-004", provider="gemini", operation="edit",
                       params={"prompt": "comic style"})
        configure_slot(app, "slot-005", provider="turbotext", operation="generate_image2image",
                       params={"content": "superhero"})
        configure_slot(app, "slot-006", provider="gemini", operation="edit",
                       params={"prompt": "refused [fake:status=403]"})
        server = GunicornServer(env, folder / "gunicorn.log", workers=1, port=port)
        try:
            yield Live(app, server, TOKEN)
        finally:
            server.stop()
            with app.app_context():
                db.engine.dispose()


#: A schema-valid request may still be refused for what a schema cannot say: the bytes are not
#: an image (415/422, an empty part 400), a slot's provider, operation and params must agree
#: (422), a PUT needs the version from the body *or* If-Match (428), a PUT may lose a race or
#: send a stale version (409).
CONTENT_REFUSALS = [200, 201, 401, 403, 404, 409, 400, 413, 415, 422, 429]
SEMANTIC = {
    "POST /api/ingest/{slot_id}": CONTENT_REFUSALS,
    "POST /api/slots/{slot_id}/test": CONTENT_REFUSALS,
    "POST /api/template-media/register": CONTENT_REFUSALS,
    "PUT /api/slots/{slot_id}": [200, 401, 403, 404, 409, 422, 428],
}


def _operation(label: str, statuses: list[int]) -> dict:
    return {"include-name": label,
            "checks": {"positive_data_acceptance": {"expected-statuses": statuses}}}


schema = schemathesis.openapi.from_path(SPEC_PATH, config=schemathesis.Config.from_dict({
    "seed": SEED,
    "base-url": f"http://127.0.0.1:{PORT}",
    "request-timeout": 30,
    # NUL is refused everywhere (400/404/422, spec description; tests/test_hardening_inputs.py)
    "generation": {"max-examples": MAX_EXAMPLES, "mode": "all", "allow-x00": False},
    "phases": {"stateful": {"enabled": False}},
    "auth": {"openapi": {"bearerAuth": {"bearer": TOKEN}}},
    "operations": [_operation(label, statuses) for label, statuses in SEMANTIC.items()],
}))


@schema.parametrize()
def test_every_answer_conforms_and_none_is_a_server_error(case, live: Live) -> None:
    headers = {"X-Ingest-Password": INGEST_PASSWORD} if case.path.startswith("/api/ingest") \
        else None
    try:
        case.call_and_validate(headers=headers)
    finally:
        if case.operation.label == "PUT /api/settings":
            live.restore_ingest_password()


def secrets_of_the_run(live: Live) -> dict[str, str]:
    return {
        "admin password serg": ADMIN_PASSWORDS["serg"],
        "admin password igor": ADMIN_PASSWORDS["igor"],
        "ingest password": INGEST_PASSWORD,
        "admin token": live.token,
        "admin token signature": live.token.rsplit(".", 1)[-1],
        "Gemini API key": GEMINI_KEY,
        "Turbotext API key": TURBOTEXT_KEY,
        "signing key": SECRET_KEY,
    }


def test_no_secret_reaches_the_logs_or_the_job_rows(live: Live) -> None:
    """Use every secret the way clients and providers do, then grep what was captured."""
    base = live.server.base_url
    for name, password in ADMIN_PASSWORDS.items():
        assert requests.post(f"{base}/api/login", timeout=30,
                             json={"username": name, "password": password}).status_code in (
                                 200, 429)
        requests.post(f"{base}/api/login", timeout=30,
                      json={"username": name, "password": password + "-typo"})
    body = multipart(booth_parts(photo_bytes()))
    answers = [
        requests.post(f"{base}/api/ingest/{slot}{query}", data=body, timeout=30,
                      headers={"Content-Type": content_type(), **extra})
        for slot in ("slot-003", "slot-004", "slot-005")
        for query, extra in (("", {}), (f"?password={INGEST_PASSWORD}", {}),
                             ("", {"X-Ingest-Password": INGEST_PASSWORD}),
                             ("", {"Authorization": f"Bearer {INGEST_PASSWORD}"}))
    ]
    assert {answer.status_code for answer in answers} == {200}, [a.text for a in answers]
    refused = requests.post(f"{base}/api/ingest/slot-006", data=body, timeout=30,
                            headers={"Content-Type": content_type(),
                                     "X-Ingest-Password": INGEST_PASSWORD})
    assert refused.status_code == 502  # Gemini's 403: its text goes to the job row only
    template = requests.post(f"{base}/api/template-media/register", timeout=30,
                             headers={"Authorization": f"Bearer {live.token}"},
                             files={"file": ("t.png", io.BytesIO(photo_bytes(fmt="PNG")))})
    assert template.status_code == 201

    log = live.server.log()
    assert '"event": "ingest"' in log and '"event": "login_failed"' in log  # it did log
    leaked = {name for name, value in secrets_of_the_run(live).items() if value in log}
    assert not leaked, f"secrets in the gunicorn/app log: {sorted(leaked)}"
    with live.app.app_context():
        messages = " ".join(m or "" for m in db.session.scalars(select(JobHistory.error_message)))
    assert not {name for name, value in secrets_of_the_run(live).items() if value in messages}
