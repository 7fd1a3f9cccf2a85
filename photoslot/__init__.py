"""PhotoSlot: a synchronous AI-processing gateway for photobooths."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from photoslot.config import ACCESS_TOKEN_LIFETIME, BODY_SLACK_BYTES, Config, ConfigError
from photoslot.database import engine_options, set_wait_limit
from photoslot.ratelimit import REDIS_TIMEOUT_S

__all__ = ["ConfigError", "create_app"]


def create_app(overrides: Mapping[str, str] | None = None) -> Flask:
    """Build the app from the environment; ``overrides`` are environment variables for tests."""
    config = Config.from_env({**os.environ, **(overrides or {})})
    app = Flask(__name__)
    configure(app, config)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_cli(app)
    return app


def configure(app: Flask, config: Config) -> None:
    """Translate the one Config into the Flask and extension settings."""
    app.extensions["photoslot.config"] = config
    set_wait_limit(config)
    secure_cookie = config.public_base_url.startswith("https://")
    app.config.update(
        SECRET_KEY=config.secret_key,
        SQLALCHEMY_DATABASE_URI=config.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=engine_options(config),
        MAX_CONTENT_LENGTH=config.max_upload_bytes + BODY_SLACK_BYTES,
        JSON_SORT_KEYS=False,
        # OPTIONS only where the spec names it (nowhere): 405 with Allow, not an empty 200.
        PROVIDE_AUTOMATIC_OPTIONS=False,
        JWT_SECRET_KEY=config.secret_key,
        JWT_ALGORITHM="HS256",
        JWT_DECODE_ALGORITHMS=["HS256"],
        JWT_ACCESS_TOKEN_EXPIRES=ACCESS_TOKEN_LIFETIME,
        # Token lifetime is checked exactly against photoslot.clock by our
        # token_verification_loader (blueprints/guards.py). PyJWT checks the same claims against
        # the wall clock, which tests do not move, so its check is only a loose backstop (ADR 0003).
        JWT_DECODE_LEEWAY=timedelta(days=366),
        JWT_TOKEN_LOCATION=["headers", "cookies"],
        JWT_COOKIE_SECURE=secure_cookie,
        JWT_COOKIE_SAMESITE="Lax",
        JWT_COOKIE_CSRF_PROTECT=True,
        # The admin UI's forms also work without JavaScript: their hidden csrf_token field is
        # accepted where htmx would send the X-CSRF-TOKEN header (ADR 0009).
        JWT_CSRF_CHECK_FORM=True,
    )
    app.config.update(
        RATELIMIT_STORAGE_URI=config.ratelimit_storage_uri,
        # A moving window really means "at most N in any 60 s", with no burst at window edges.
        RATELIMIT_STRATEGY="moving-window",
        # No X-RateLimit-*/Retry-After on every answer: Retry-After only on 429 and 503, set with
        # the error itself (blueprints/errors.py, ADR 0013).
        RATELIMIT_HEADERS_ENABLED=False,
        # A Redis that does not answer costs at most this long; ratelimit.py then counts in memory.
        RATELIMIT_STORAGE_OPTIONS={"wrap_exceptions": True, "socket_timeout": REDIS_TIMEOUT_S,
                                   "socket_connect_timeout": REDIS_TIMEOUT_S},
    )
    if config.trusted_proxies:
        # The client is what the last N proxies say it is (X-Forwarded-For); without them the
        # header is anyone's to forge and the socket peer is the client.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.trusted_proxies)


def register_extensions(app: Flask) -> None:
    from photoslot.extensions import db, jwt, limiter, migrate
    from photoslot.images import limit_decoded_pixels
    from photoslot.log import configure_logging
    from photoslot.providers import init_providers
    from photoslot.ratelimit import AttemptCounters

    configure_logging()
    limit_decoded_pixels()
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
    jwt.init_app(app)
    limiter.init_app(app)
    # Captured now: the strategy over this app's storage (init_app rebinds the shared instance).
    storage_uri = app.extensions["photoslot.config"].ratelimit_storage_uri
    app.extensions["photoslot.attempts"] = AttemptCounters(limiter.limiter, storage_uri)
    init_providers(app)


def register_blueprints(app: Flask) -> None:
    from photoslot.blueprints import (
        admin,
        admin_ui,
        audit,
        auth,
        health,
        ingest,
        maintenance,
        public,
        register_request_id,
        settings,
        stats,
    )
    from photoslot.blueprints.inputs import register_input_guards
    from photoslot.blueprints.metrics import init_metrics

    register_request_id(app)
    register_input_guards(app)
    init_metrics(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(ingest.bp, url_prefix="/api/ingest")
    for api in (auth, settings, audit, admin, maintenance, stats):
        app.register_blueprint(api.bp, url_prefix="/api")
    app.register_blueprint(admin_ui.bp, url_prefix="/admin")


def register_error_handlers(app: Flask) -> None:
    from photoslot.blueprints.errors import register_error_handlers as register
    from photoslot.blueprints.guards import register_jwt_errors

    register(app)
    register_jwt_errors(app)


def register_cli(app: Flask) -> None:
    from cli import register_commands

    register_commands(app)
