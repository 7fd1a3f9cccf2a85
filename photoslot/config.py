"""One configuration object, read from the environment once and validated at start-up.

Reading it changes nothing: no directory is made, no file written. The embedded default's secrets
(a signing key, the admins' password hashes) are read from the var directory, where ``flask init``
generated them once (photoslot/first_run.py).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse_many

REPO_ROOT = Path(__file__).resolve().parent.parent
#: The embedded default's files: SQLite database, media, generated secrets (PHOTOSLOT_VAR_DIR).
DEFAULT_VAR_DIR = REPO_ROOT / "var"
SECRET_KEY_FILE = "secret_key"
ADMINS_FILE = "admins"

ALL_PERMISSIONS = frozenset(
    {"settings:write", "slots:write", "media:write", "stats:read", "maintenance:write"}
)
ADMIN_NAMES = ("serg", "igor")
#: Lifetime of an admin access token: fixed at 24 h by the spec, not configurable.
ACCESS_TOKEN_LIFETIME = timedelta(hours=24)
#: Room for the text fields and part headers of an upload on top of the file itself.
BODY_SLACK_BYTES = 256 * 1024
DEFAULT_TURBOTEXT_URL = "https://www.turbotext.ru"
#: The venue's zone: the admin UI shows every time in it, with the zone's name.
DEFAULT_TIMEZONE = "Europe/Moscow"
#: Shortest signing key accepted (HS256 wants at least its 32-byte output); flask init makes 64.
MIN_SECRET_KEY_BYTES = 32
_USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{0,31}$")
# An entry starts where a comma is followed by "name:"; argon2 hashes contain commas but no colons.
_ENTRY_SPLIT = re.compile(r",(?=[a-z][a-z0-9_.-]{0,31}:)")


class ConfigError(Exception):
    """A configuration value is missing or invalid; the message names the variable."""


@dataclass(frozen=True)
class AdminAccount:
    """A static administrator: name, argon2 password hash and granted permissions."""

    name: str
    password_hash: str
    permissions: frozenset[str]


@dataclass(frozen=True)
class Config:
    """Validated settings of one PhotoSlot process."""

    database_url: str
    media_root: Path
    public_base_url: str
    secret_key: str
    admins: Mapping[str, AdminAccount]
    t_sync_response_s: float
    result_ttl_h: float
    max_upload_mb: float
    gemini_api_key: str | None
    gemini_base_url: str | None
    turbotext_api_key: str | None
    turbotext_base_url: str
    ratelimit_storage_uri: str
    login_limit_per_user: str
    login_limit_per_ip: str
    ingest_fail_limit: str
    timezone: ZoneInfo
    db_pool_size: int = 10
    db_max_overflow: int = 10
    upload_idle_s: float = 10.0
    trusted_proxies: int = 0
    metrics_token: str | None = None
    metrics_cache_s: float = 5.0
    min_free_disk_pct: float = 10.0
    db_timeout_s: float = 10.0
    #: (host, port or None) where Turbotext results may also be downloaded from
    turbotext_result_hosts: tuple[tuple[str, int | None], ...] = ()

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    @property
    def db_wait_s(self) -> float:
        """The longest one database wait may take: PHOTOSLOT_DB_TIMEOUT_S, at most T_sync / 4
        (a lost connection and a failed reconnect are two waits; both fit well within T_sync)."""
        return min(self.db_timeout_s, self.t_sync_response_s / 4)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        """Build the config from ``env`` (default ``os.environ``); ConfigError on bad input."""
        env = os.environ if env is None else env
        return cls(
            database_url=_database_url(env),
            media_root=_media_root(env),
            public_base_url=_url(env, "PHOTOSLOT_PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
            secret_key=_secret_key(env),
            admins=_admins(env),
            t_sync_response_s=_positive(env, "PHOTOSLOT_T_SYNC_RESPONSE_S", 60),
            result_ttl_h=_positive(env, "PHOTOSLOT_RESULT_TTL_H", 72),
            max_upload_mb=_positive(env, "PHOTOSLOT_MAX_UPLOAD_MB", 20),
            gemini_api_key=env.get("GEMINI_API_KEY") or None,
            gemini_base_url=_optional_url(env, "PHOTOSLOT_GEMINI_BASE_URL"),
            turbotext_api_key=env.get("TURBOTEXT_API_KEY") or None,
            turbotext_base_url=_url(env, "PHOTOSLOT_TURBOTEXT_BASE_URL", DEFAULT_TURBOTEXT_URL),
            ratelimit_storage_uri=_ratelimit_uri(env),
            login_limit_per_user=_rate_limit(env, "PHOTOSLOT_LOGIN_LIMIT_PER_USER", "5 per minute"),
            login_limit_per_ip=_rate_limit(env, "PHOTOSLOT_LOGIN_LIMIT_PER_IP", "20 per minute"),
            ingest_fail_limit=_rate_limit(env, "PHOTOSLOT_INGEST_FAIL_LIMIT", "30 per minute"),
            timezone=_timezone(env),
            db_pool_size=_count(env, "PHOTOSLOT_DB_POOL_SIZE", 10, minimum=1),
            db_max_overflow=_count(env, "PHOTOSLOT_DB_MAX_OVERFLOW", 10, minimum=0),
            upload_idle_s=_positive(env, "PHOTOSLOT_UPLOAD_IDLE_S", 10),
            trusted_proxies=_count(env, "PHOTOSLOT_TRUSTED_PROXIES", 0, minimum=0),
            metrics_token=env.get("PHOTOSLOT_METRICS_TOKEN") or None,
            metrics_cache_s=_bounded(env, "PHOTOSLOT_METRICS_CACHE_S", 5, 0, 300),
            min_free_disk_pct=_bounded(env, "PHOTOSLOT_MIN_FREE_DISK_PCT", 10, 0, 100),
            db_timeout_s=_positive(env, "PHOTOSLOT_DB_TIMEOUT_S", 10),
            turbotext_result_hosts=_hosts(env, "PHOTOSLOT_TURBOTEXT_RESULT_HOSTS"),
        )


def var_dir(env: Mapping[str, str]) -> Path:
    """Where the embedded default keeps its database, media and generated secrets."""
    return Path(env.get("PHOTOSLOT_VAR_DIR") or DEFAULT_VAR_DIR).resolve()


def default_database_url(env: Mapping[str, str]) -> str:
    """The embedded default's SQLite database in the var directory."""
    return f"sqlite:///{var_dir(env) / 'photoslot.db'}"


def media_root_of(env: Mapping[str, str]) -> Path:
    """PHOTOSLOT_MEDIA_ROOT, or the embedded default's ``media`` folder in the var directory."""
    return Path(env.get("PHOTOSLOT_MEDIA_ROOT") or var_dir(env) / "media").resolve()


_FIRST_RUN = "run `flask init` (make run does) to create it"


def _database_url(env: Mapping[str, str]) -> str:
    url = env.get("DATABASE_URL") or default_database_url(env)
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if not url.startswith(("sqlite://", "postgresql://", "postgresql+psycopg2://")):
        raise ConfigError(f"DATABASE_URL must be a sqlite:// or postgresql:// URL, got {url!r}")
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        folder = Path(url.removeprefix("sqlite:///")).parent
        if not folder.is_dir():
            raise ConfigError(f"DATABASE_URL: the folder {str(folder)!r} of the SQLite file does "
                              f"not exist; {_FIRST_RUN}")
    return url


def _media_root(env: Mapping[str, str]) -> Path:
    root = media_root_of(env)
    if not root.is_dir():
        raise ConfigError(f"PHOTOSLOT_MEDIA_ROOT {str(root)!r} does not exist; {_FIRST_RUN}")
    if not os.access(root, os.W_OK):
        raise ConfigError(f"PHOTOSLOT_MEDIA_ROOT {str(root)!r} is not writable")
    return root


def _secret_key(env: Mapping[str, str]) -> str:
    if env.get("PHOTOSLOT_SECRET_KEY"):
        key, source = env["PHOTOSLOT_SECRET_KEY"], "PHOTOSLOT_SECRET_KEY"
    else:
        generated = _read_generated(env, SECRET_KEY_FILE)
        if generated is None:
            raise ConfigError(f"PHOTOSLOT_SECRET_KEY is not set and the embedded default's "
                              f"{str(var_dir(env) / SECRET_KEY_FILE)!r} does not exist; set it, "
                              f"or {_FIRST_RUN}")
        key, source = generated, str(var_dir(env) / SECRET_KEY_FILE)
    if len(key.encode()) < MIN_SECRET_KEY_BYTES:
        # The length only, never the key: this line is printed and logged.
        raise ConfigError(f"{source} must be at least {MIN_SECRET_KEY_BYTES} bytes, got "
                          f"{len(key.encode())}; generate one with `python3 -c \"import secrets; "
                          f"print(secrets.token_urlsafe(48))\"`")
    return key


def _read_generated(env: Mapping[str, str], name: str) -> str | None:
    """The content of a file ``flask init`` generated in the var directory, or None."""
    try:
        return (var_dir(env) / name).read_text().strip() or None
    except FileNotFoundError:
        return None


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name) or default
    if not re.match(r"^https?://[^\s/]+", value):
        raise ConfigError(f"{name} must be an http(s) URL, got {value!r}")
    return value.rstrip("/")


def _optional_url(env: Mapping[str, str], name: str) -> str | None:
    return _url(env, name, "") if env.get(name) else None


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    return _number(env, name, default, lambda v: v > 0, "a positive number")


def _bounded(env: Mapping[str, str], name: str, default: float, low: float,
             high: float) -> float:
    return _number(env, name, default, lambda v: low <= v <= high,
                   f"a number from {low:g} to {high:g}")


def _number(env: Mapping[str, str], name: str, default: float, valid: Callable[[float], bool],
            expected: str) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return float(default)
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")  # fails every check below
    if not valid(value):
        raise ConfigError(f"{name} must be {expected}, got {raw!r}")
    return value


def _count(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {raw!r}")
    return value


def _timezone(env: Mapping[str, str]) -> ZoneInfo:
    name = env.get("PHOTOSLOT_TIMEZONE") or DEFAULT_TIMEZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"PHOTOSLOT_TIMEZONE must be an IANA time zone such as "
                          f"'Europe/Moscow', got {name!r}") from None
def _hosts(env: Mapping[str, str], name: str) -> tuple[tuple[str, int | None], ...]:
    """A comma-separated list of ``host`` or ``host:port`` as (lower-case host, port or None)."""
    hosts = []
    for entry in filter(None, (e.strip() for e in (env.get(name) or "").split(","))):
        try:
            parsed = urlsplit("//" + entry)
            host, port = (parsed.hostname or "").lower(), parsed.port
        except ValueError:
            host, port = "", None
        if not host or parsed.path or parsed.query or parsed.username or parsed.password:
            raise ConfigError(f"{name} must be a comma-separated list of host or host:port, "
                              f"got {entry!r}")
        hosts.append((host, port))
    return tuple(hosts)


def _ratelimit_uri(env: Mapping[str, str]) -> str:
    uri = env.get("PHOTOSLOT_RATELIMIT_STORAGE_URI") or "memory://"
    if not uri.startswith(("memory://", "redis://", "rediss://")):
        raise ConfigError(
            f"PHOTOSLOT_RATELIMIT_STORAGE_URI must be memory:// or redis://..., got {uri!r}"
        )
    return uri


def _rate_limit(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name) or default
    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(f"{name} must be a rate like '5 per minute', got {value!r}") from None
    return value


def parse_admins(raw: str, source: str = "PHOTOSLOT_ADMINS") -> dict[str, AdminAccount]:
    """Parse ``name:hash[:perm+perm],...``; raise ConfigError naming ``source`` if malformed."""
    admins: dict[str, AdminAccount] = {}
    for entry in _ENTRY_SPLIT.split(raw.strip()):
        name, _, rest = entry.strip().partition(":")
        password_hash, _, perms = rest.partition(":")
        if not _USERNAME.match(name) or not password_hash.startswith("$argon2"):
            raise ConfigError(
                f"{source} must look like 'serg:<hash>,igor:<hash>' with hashes from "
                f"'flask admins hash-password'; entry {name or entry[:12]!r} is malformed"
            )
        permissions = frozenset(perms.split("+")) if perms else ALL_PERMISSIONS
        unknown = permissions - ALL_PERMISSIONS
        if unknown:
            raise ConfigError(f"{source}: unknown permission(s) {sorted(unknown)} for {name!r}")
        admins[name] = AdminAccount(name, password_hash, permissions)
    return admins


def _admins(env: Mapping[str, str]) -> dict[str, AdminAccount]:
    raw = env.get("PHOTOSLOT_ADMINS")
    if raw:
        return parse_admins(raw)
    generated = _read_generated(env, ADMINS_FILE)
    if generated is None:
        raise ConfigError(f"PHOTOSLOT_ADMINS is not set and the embedded default's "
                          f"{str(var_dir(env) / ADMINS_FILE)!r} does not exist; set it, or "
                          f"{_FIRST_RUN}")
    return parse_admins(generated, source=str(var_dir(env) / ADMINS_FILE))


def current_config() -> Config:
    """The Config of the app handling the current request or CLI command."""
    from flask import current_app

    return current_app.extensions["photoslot.config"]
