"""PhotoSlot: a synchronous AI-processing gateway for photobooths."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta

from flask import Flask

from photoslot.config import ACCESS_TOKEN_LIFETIME, BODY_SLACK_BYTES, Config, ConfigError
from photoslot.database import engine_options, set_wait_limit

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
        RATELIMIT_STORAGE_URI=config.ratelimit_storage_uri,
        # A moving window really means "at most N in any 60 s", with no burst at window edges.
        RATELIMIT_STRATEGY="moving-window",
        # No X-RateLimit-*/Retry-After on every answer: Retry-After only on 429 and 503, set by
        # the error handler (blueprints/errors.py, ADR 0011).
        RATELIMIT_HEADERS_ENABLED=False,
    )


def register_extensions(app: Flask) -> None:
    from photoslot.extensions import db, jwt, limiter, migrate
    from photoslot.images import limit_decoded_pixels
    from photoslot.log import configure_logging
    from photoslot.providers import init_providers

    configure_logging()
    limit_decoded_pixels()
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
    jwt.init_app(app)
    limiter.init_app(app)
    init_providers(app)


def register_blueprints(app: Flask) -> None:
    from photoslot.blueprints import (
        admin,
        audit,
        auth,
        ingest,
        maintenance,
        public,
        register_request_id,
        settings,
    )
    from photoslot.blueprints.inputs import register_input_guards

    register_request_id(app)
    register_input_guards(app)
    app.register_blueprint(public.bp)
    app.register_blueprint(ingest.bp, url_prefix="/api/ingest")
    for api in (auth, settings, audit, admin, maintenance):
        app.register_blueprint(api.bp, url_prefix="/api")


def register_error_handlers(app: Flask) -> None:
    from photoslot.blueprints.errors import register_error_handlers as register
    from photoslot.blueprints.guards import register_jwt_errors

    register(app)
    register_jwt_errors(app)


def register_cli(app: Flask) -> None:
    from cli import register_commands

    register_commands(app)
