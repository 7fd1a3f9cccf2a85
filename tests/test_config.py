"""Configuration: read once from the environment, bad values reported in one line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from photoslot.config import ALL_PERMISSIONS, Config, ConfigError
from tests.support import ROOT


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PHOTOSLOT_T_SYNC_RESPONSE_S", "soon"),
        ("PHOTOSLOT_RESULT_TTL_H", "-1"),
        ("PHOTOSLOT_MAX_UPLOAD_MB", "0"),
        ("DATABASE_URL", "mysql://nope"),
        ("PHOTOSLOT_PUBLIC_BASE_URL", "gateway.example"),
        ("PHOTOSLOT_RATELIMIT_STORAGE_URI", "memcached://x"),
        ("PHOTOSLOT_ADMINS", "serg:plaintext"),
        ("PHOTOSLOT_LOGIN_LIMIT_PER_USER", "often"),
        ("PHOTOSLOT_LOGIN_LIMIT_PER_IP", "20 per fortnight"),
        ("PHOTOSLOT_INGEST_FAIL_LIMIT", "thirty"),
        ("PHOTOSLOT_DB_POOL_SIZE", "0"),
        ("PHOTOSLOT_DB_MAX_OVERFLOW", "many"),
        ("PHOTOSLOT_UPLOAD_IDLE_S", "0"),
        ("PHOTOSLOT_TRUSTED_PROXIES", "-1"),
        ("PHOTOSLOT_TIMEZONE", "Mars/Olympus_Mons"),
        ("PHOTOSLOT_TIMEZONE", "../etc/passwd"),
        ("PHOTOSLOT_MIN_FREE_DISK_PCT", "101"),
        ("PHOTOSLOT_MIN_FREE_DISK_PCT", "ten"),
        ("PHOTOSLOT_METRICS_CACHE_S", "-1"),
        ("PHOTOSLOT_DB_TIMEOUT_S", "0"),
        ("PHOTOSLOT_TURBOTEXT_RESULT_HOSTS", "https://cdn.example/x"),
        ("PHOTOSLOT_TURBOTEXT_RESULT_HOSTS", "cdn.example:http"),
        ("PHOTOSLOT_SECRET_KEY", "x" * 31),
    ],
)
def test_bad_value_raises_config_error_naming_the_variable(base_env, name, value):
    with pytest.raises(ConfigError, match=name):
        Config.from_env({**base_env, name: value})


def test_defaults_and_parsed_values(base_env):
    config = Config.from_env(base_env)
    assert config.t_sync_response_s == 60
    assert config.result_ttl_h == 72
    assert config.max_upload_bytes == 20 * 1024 * 1024
    assert config.turbotext_base_url == "https://www.turbotext.ru"
    assert (config.upload_idle_s, config.trusted_proxies) == (10, 0)
    assert set(config.admins) == {"serg", "igor"}
    assert config.admins["serg"].permissions == ALL_PERMISSIONS
    assert config.timezone.key == "Europe/Moscow"
    assert Config.from_env({**base_env, "PHOTOSLOT_TIMEZONE": "Asia/Yekaterinburg"}
                           ).timezone.key == "Asia/Yekaterinburg"
    assert (config.metrics_token, config.metrics_cache_s, config.min_free_disk_pct) == (
        None, 5, 10)
    tuned = Config.from_env({**base_env, "PHOTOSLOT_METRICS_TOKEN": "t0ken",
                             "PHOTOSLOT_METRICS_CACHE_S": "0",
                             "PHOTOSLOT_MIN_FREE_DISK_PCT": "2.5"})
    assert (tuned.metrics_token, tuned.metrics_cache_s, tuned.min_free_disk_pct) == (
        "t0ken", 0, 2.5)
    assert (config.db_timeout_s, config.db_wait_s, config.turbotext_result_hosts) == (10, 10, ())


def test_database_waits_are_at_most_a_quarter_of_t_sync(base_env):
    config = Config.from_env({**base_env, "PHOTOSLOT_T_SYNC_RESPONSE_S": "4",
                              "PHOTOSLOT_DB_TIMEOUT_S": "30"})
    assert config.db_wait_s == 1


def test_result_hosts_are_parsed_lower_case_with_optional_ports(base_env):
    config = Config.from_env({**base_env,
                              "PHOTOSLOT_TURBOTEXT_RESULT_HOSTS": " CDN.Example , img.x:8443,"})
    assert config.turbotext_result_hosts == (("cdn.example", None), ("img.x", 8443))


def test_a_short_secret_key_stops_the_start_without_printing_it(base_env, tmp_path):
    short = "short-secret-of-31-bytes-xxxxxx"
    assert len(short) == 31
    with pytest.raises(ConfigError) as caught:
        Config.from_env({**base_env, "PHOTOSLOT_SECRET_KEY": short})
    assert "at least 32 bytes, got 31" in str(caught.value) and short not in str(caught.value)
    # The generated key file is held to the same rule (flask init writes 64 characters).
    (tmp_path / "secret_key").write_text("too-short\n")
    env = {k: v for k, v in base_env.items() if k != "PHOTOSLOT_SECRET_KEY"}
    with pytest.raises(ConfigError, match="secret_key must be at least 32 bytes"):
        Config.from_env({**env, "PHOTOSLOT_VAR_DIR": str(tmp_path)})


def test_admin_permissions_can_be_narrowed(base_env):
    serg, igor = base_env["PHOTOSLOT_ADMINS"].split(",igor:")
    narrowed = f"{serg},igor:{igor}:slots:write+stats:read"
    config = Config.from_env({**base_env, "PHOTOSLOT_ADMINS": narrowed})
    assert config.admins["igor"].permissions == {"slots:write", "stats:read"}
    assert config.admins["serg"].permissions == ALL_PERMISSIONS


def test_startup_with_bad_config_prints_one_line_naming_the_variable(base_env, tmp_path):
    env = {**os.environ, **base_env, "PHOTOSLOT_T_SYNC_RESPONSE_S": "sixty"}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "seed"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "PHOTOSLOT_T_SYNC_RESPONSE_S" in lines[0]
    assert "Traceback" not in result.stderr
