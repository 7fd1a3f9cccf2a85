"""GET /api/stats against hand-computed job rows: counts, SLA shares at their exact boundaries
(a job of exactly T_sync; exactly 95 % and 5 %), percentiles, groups, hourly buckets."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from photoslot import clock
from photoslot.extensions import db
from photoslot.models import JobHistory
from photoslot.services.ingest.rejections import record_rejection
from photoslot.services.stats import ingest_overview
from photoslot.services.stats.percentiles import spreads
from photoslot.services.stats.queries import hour_of, job_counts, job_figures
from tests.contract import assert_contract, assert_error
from tests.ingest_support import (
    INGEST_PASSWORD,
    booth_parts,
    configure_slot,
    content_type,
    multipart,
    photo_bytes,
    set_password,
)

T_SYNC_MS = 60_000  # the default PHOTOSLOT_T_SYNC_RESPONSE_S


@pytest.fixture
def now() -> datetime:
    """Move the clock to the next half hour, so hour buckets are known in advance."""
    current = clock.now()
    half_hour = current.replace(minute=30, second=0, microsecond=0)
    if half_hour <= current:
        half_hour += timedelta(hours=1)
    clock.advance(half_hour - current)
    return half_hour


def add_job(app, at: datetime, slot: str = "slot-001", provider: str = "local",
            status: str = "done", total_ms: int | None = 1000, provider_ms: int | None = None,
            booth: str | None = None, error_code: str | None = None,
            is_test: bool = False) -> None:
    if provider_ms is None and total_ms is not None:
        provider_ms = total_ms - 50
    if status == "pending":
        total_ms = provider_ms = None
    with app.app_context():
        db.session.add(JobHistory(
            slot_id=slot, provider=provider, operation="op", status=status, started_at=at,
            finished_at=None if status == "pending" else at, total_ms=total_ms,
            provider_ms=provider_ms, error_code=error_code, is_test=is_test,
            client_meta={"name": booth} if booth else {}))
        db.session.commit()


def reject(app, at: datetime, slot: str = "slot-001", provider: str | None = "local",
           code: str = "invalid_ingest_password") -> None:
    with app.app_context():
        record_rejection(slot, provider, code, at)


@pytest.fixture
def fixture_rows(app, now):
    """Three slots with hand-computed figures (see each block), plus rows that must not count."""
    at = now - timedelta(minutes=5)
    # slot-001: 19 done within T_sync (one of exactly T_sync) + 1 timeout -> exactly 95 % / 5 %
    for i in range(1, 19):
        add_job(app, at, "slot-001", total_ms=1000 * i, booth="BOOTH-A")
    add_job(app, at, "slot-001", total_ms=T_SYNC_MS, booth="BOOTH-A")
    add_job(app, at, "slot-001", status="timeout", total_ms=T_SYNC_MS + 1, booth="BOOTH-A",
            error_code="provider_timeout")
    # slot-002: 18 done within, 1 done 1 ms past T_sync, 1 provider error -> 90 % / 5 %
    for _ in range(18):
        add_job(app, at, "slot-002", total_ms=2000, booth="BOOTH-B")
    add_job(app, at, "slot-002", total_ms=T_SYNC_MS + 1, booth="BOOTH-B")
    add_job(app, at, "slot-002", status="error", total_ms=3000, booth="BOOTH-B",
            error_code="provider_error")
    # slot-003 (gemini, no booth name): 100 … 900 ms done, 1000 ms gateway error, 1 pending
    for ms in range(100, 1000, 100):
        add_job(app, at, "slot-003", "gemini", total_ms=ms)
    add_job(app, at, "slot-003", "gemini", status="error", total_ms=1000,
            error_code="internal_error")
    add_job(app, at, "slot-003", "gemini", status="pending")
    # Never counted in 24 h: an admin trial run, a job 25 h old.
    add_job(app, at, "slot-003", "gemini", total_ms=99_999, is_test=True)
    add_job(app, now - timedelta(hours=25), "slot-003", "gemini", total_ms=5)
    # Rejections: 2 wrong passwords on slot-001, 1 unknown slot; 1 on slot-001 25 h ago.
    reject(app, at)
    reject(app, at)
    reject(app, at, "slot-999", None, "slot_not_found")
    reject(app, now - timedelta(hours=25))


def get_stats(client, auth_headers, query: str = "") -> dict:
    response = client.get(f"/api/stats{query}", headers=auth_headers())
    assert response.status_code == 200, response.get_data(True)
    assert_contract(response)
    return response.get_json()


def counts(figures: dict) -> dict:
    keys = ("count", "done", "timeout", "provider_error", "error", "pending", "rejected",
            "finished", "within_t_sync")
    return {key: figures[key] for key in keys}


def sla(figures: dict) -> tuple:
    s = figures["sla"]
    return (s["within_t_sync"]["share"], s["within_t_sync"]["met"],
            s["timeout_or_error"]["share"], s["timeout_or_error"]["met"])


def test_totals_and_slots_match_the_hand_computed_figures(fixture_rows, client, auth_headers,
                                                          now):
    stats = get_stats(client, auth_headers)
    assert (stats["window"], stats["group"], stats["slot"], stats["t_sync_s"]) == (
        "24h", "slot", None, 60.0)
    assert stats["targets"] == {"within_t_sync": 0.95, "timeout_or_error": 0.05}
    assert now <= datetime.fromisoformat(stats["until"]) < now + timedelta(minutes=1)
    assert counts(stats["totals"]) == {
        "count": 54, "done": 47, "timeout": 1, "provider_error": 1, "error": 1, "pending": 1,
        "rejected": 3, "finished": 50, "within_t_sync": 46}
    assert sla(stats["totals"]) == (0.92, False, 0.06, False)

    groups = {g["key"]: g for g in stats["groups"]}
    assert list(groups)[:15] == [f"slot-{n:03d}" for n in range(1, 16)]
    assert list(groups)[15:] == [None]  # the rejected request to an unknown slot
    assert counts(groups[None])["rejected"] == 1 and groups[None]["finished"] == 0
    slot1, slot2, slot3 = groups["slot-001"], groups["slot-002"], groups["slot-003"]
    assert counts(slot1) == {"count": 22, "done": 19, "timeout": 1, "provider_error": 0,
                             "error": 0, "pending": 0, "rejected": 2, "finished": 20,
                             "within_t_sync": 19}
    assert sla(slot1) == (0.95, True, 0.05, True)  # exactly on both targets: met
    assert sla(slot2) == (0.9, False, 0.05, True)  # T_sync + 1 ms is not within
    assert counts(slot3) == {"count": 11, "done": 9, "timeout": 0, "provider_error": 0,
                             "error": 1, "pending": 1, "rejected": 0, "finished": 10,
                             "within_t_sync": 9}
    assert sla(slot3) == (0.9, False, 0.1, False)
    assert slot3["total_ms"] == {"p50": 550.0, "p95": 955.0, "max": 1000.0}
    assert slot3["provider_ms"] == {"p50": 500.0, "p95": 905.0, "max": 950.0}
    assert slot3["gateway_ms"] == {"p50": 50.0, "p95": 50.0, "max": 50.0}
    empty = groups["slot-015"]
    assert counts(empty)["count"] == 0 and sla(empty) == (None, None, None, None)
    assert empty["total_ms"] == {"p50": None, "p95": None, "max": None}


def test_one_slot_a_longer_window_and_other_groupings(fixture_rows, client, auth_headers):
    only3 = get_stats(client, auth_headers, "?slot=slot-003")
    assert [g["key"] for g in only3["groups"]] == ["slot-003"]
    assert counts(only3["totals"]) == counts(only3["groups"][0])
    assert only3["totals"]["total_ms"] == {"p50": 550.0, "p95": 955.0, "max": 1000.0}

    week = get_stats(client, auth_headers, "?window=7d")
    assert (week["totals"]["done"], week["totals"]["rejected"]) == (48, 4)  # the 25 h old rows

    providers = {g["key"]: g for g in get_stats(client, auth_headers, "?group=provider")["groups"]}
    assert list(providers) == ["gemini", "local", "turbotext", None]
    assert counts(providers["local"]) == {
        "count": 42, "done": 38, "timeout": 1, "provider_error": 1, "error": 0, "pending": 0,
        "rejected": 2, "finished": 40, "within_t_sync": 37}
    assert providers["turbotext"]["count"] == 0 and providers[None]["rejected"] == 1

    booths = {g["key"]: g for g in get_stats(client, auth_headers, "?group=booth")["groups"]}
    assert list(booths) == ["BOOTH-A", "BOOTH-B", None]
    assert [booths[b]["finished"] for b in booths] == [20, 20, 10]
    assert all(b["rejected"] is None for b in booths.values())  # refused before the form


def test_hourly_buckets_count_outcomes_and_p95(app, client, auth_headers, now):
    hour = now.replace(minute=0)  # now is hh:30; the 1 h window starts at hh-1:30
    add_job(app, hour - timedelta(minutes=20), total_ms=1000)
    add_job(app, hour - timedelta(minutes=20), total_ms=2000)
    add_job(app, hour - timedelta(minutes=40), total_ms=5)  # before the window
    add_job(app, hour + timedelta(minutes=10), status="timeout", total_ms=60_500)
    reject(app, hour + timedelta(minutes=10))
    reject(app, hour - timedelta(minutes=29, seconds=50))  # in the window's first minute
    reject(app, hour - timedelta(minutes=30, seconds=30))  # the minute before: out

    stats = get_stats(client, auth_headers, "?window=1h")
    assert [b["hour"] for b in stats["hourly"]] == [
        (hour - timedelta(hours=1)).isoformat(), hour.isoformat()]
    first, second = stats["hourly"]
    assert (first["count"], first["done"], first["rejected"], first["p95_total_ms"]) == (
        3, 2, 1, 1950.0)
    assert (second["count"], second["timeout"], second["rejected"], second["p95_total_ms"]) == (
        2, 1, 1, 60500.0)
    assert stats["totals"]["count"] == first["count"] + second["count"]

    day = get_stats(client, auth_headers)["hourly"]
    # 25 hours; and the job at hh-1:20 and the rejection at hh-1:29 count in 24 h
    assert len(day) == 25 and sum(b["count"] for b in day) == 7


def test_real_ingests_show_up_in_the_statistics(app, client, auth_headers):
    set_password(app)
    configure_slot(app)
    for password in (INGEST_PASSWORD, "wrong-password", INGEST_PASSWORD):
        client.post("/api/ingest/slot-003", data=multipart(booth_parts(photo_bytes(), password)),
                    content_type=content_type())
    stats = get_stats(client, auth_headers, "?window=1h&slot=slot-003&group=booth")
    assert counts(stats["totals"]) == {
        "count": 3, "done": 2, "timeout": 0, "provider_error": 0, "error": 0, "pending": 0,
        "rejected": 1, "finished": 2, "within_t_sync": 2}
    assert [g["key"] for g in stats["groups"]] == ["BOOTH-PC-07"]
    assert stats["totals"]["total_ms"]["max"] >= stats["totals"]["provider_ms"]["max"] >= 0
    assert stats["media"]["kinds"]["result"]["objects"] == 2


def test_statistics_need_the_stats_permission(client, auth_headers):
    assert_error(client.get("/api/stats"), 401)
    denied = client.get("/api/stats", headers=auth_headers(permissions={"slots:write"}))
    assert assert_error(denied, 403, "forbidden")["details"]["required"] == "stats:read"


def test_bad_parameters_are_422_naming_each(client, auth_headers):
    response = client.get("/api/stats?window=2h&group=day&slot=slot-999", headers=auth_headers())
    error = assert_error(response, 422, "validation_error")
    assert set(error["details"]["fields"]) == {"window", "group", "slot"}
    assert_contract(response)


@pytest.mark.postgres("compares PostgreSQL's percentile_cont with the portable window form")
def test_the_portable_figures_equal_the_native_ones(app, now):
    rng = random.Random(7)
    for _ in range(300):
        status = rng.choice(["done"] * 8 + ["timeout", "error", "pending"])
        add_job(app, now - timedelta(minutes=rng.randint(1, 600)), f"slot-00{rng.randint(1, 4)}",
                status=status, total_ms=rng.randint(50, 70_000), provider_ms=rng.randint(0, 50),
                error_code=rng.choice(["internal_error", "provider_error", None]))
    measures = {"total_ms": JobHistory.total_ms,
                "gateway_ms": JobHistory.total_ms - JobHistory.provider_ms}
    where = [JobHistory.is_test.is_(False)]
    with app.app_context():
        for key in (None, JobHistory.slot_id, hour_of(JobHistory.started_at)):
            native = job_figures(where, key, T_SYNC_MS, measures)
            counts = job_counts(where, key, T_SYNC_MS)
            portable = spreads(measures, [*where, JobHistory.status != "pending"], key,
                               portable=True)
            assert native.keys() == counts.keys() == portable.keys()
            for group, (native_counts, native_spread) in native.items():
                assert native_counts == counts[group]
                for name, spread in native_spread.items():
                    assert portable[group][name] == pytest.approx(spread, abs=0.11), (group, name)


def test_the_ui_overview_is_the_api_figures_by_slot_and_booth_in_one_call(fixture_rows, app,
                                                                         client, auth_headers):
    by_slot = get_stats(client, auth_headers, "?window=24h&group=slot")
    by_booth = get_stats(client, auth_headers, "?window=24h&group=booth")
    with app.app_context():
        overview = ingest_overview("24h")

    def without_share(figures: dict) -> dict:
        return {key: value for key, value in figures.items() if key != "timeout_share"}

    assert without_share(overview["totals"]) == by_slot["totals"]
    assert [without_share(g) for g in overview["by_slot"]] == by_slot["groups"]
    assert [without_share(g) for g in overview["by_booth"]] == by_booth["groups"]
    assert overview["hourly"] == by_slot["hourly"]
    slot_001 = overview["by_slot"][0]
    assert (slot_001["timeout"], slot_001["finished"], slot_001["timeout_share"]) == (1, 20, 0.05)
    assert overview["by_slot"][3]["timeout_share"] is None  # slot-004: no finished job
