"""``flask cleanup-media``: the cron entry point of the media cleanup (every 15 minutes)."""

from __future__ import annotations

import getpass
import json
import sys
from typing import Any

import click
from flask.cli import with_appcontext

from photoslot.services.audit import Actor
from photoslot.services.cleanup.runs import CleanupFailed, CleanupOutcome, run_cleanup


@click.command("cleanup-media")
@click.option("--dry-run", is_flag=True, help="Report what would be deleted; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as one JSON object.")
@with_appcontext
def cleanup_media(dry_run: bool, as_json: bool) -> None:
    """Delete expired media, sweep orphans and reconcile abandoned jobs; exit 0 if done or busy."""
    try:
        outcome = run_cleanup(dry_run=dry_run, actor=_actor())
    except CleanupFailed as exc:
        if as_json:
            click.echo(json.dumps({"status": "error", "run_id": exc.run_id, "error": str(exc)}))
        click.echo(f"cleanup-media: failed: {exc}", err=True)
        sys.exit(1)
    click.echo(json.dumps(outcome.as_dict()) if as_json else _describe(outcome))


def _actor() -> Actor:
    try:
        return Actor(f"cli:{getpass.getuser()}")
    except (OSError, KeyError):
        return Actor("cli")


def _describe(outcome: CleanupOutcome) -> str:
    if outcome.status == "busy":
        return "cleanup-media: another cleanup is running; nothing done"
    s: dict[str, Any] = outcome.summary
    deleted = s["deleted"]
    objects = sum(k["objects"] for k in deleted.values())
    size = sum(k["bytes"] for k in deleted.values())
    per_kind = ", ".join(f"{kind} {k['objects']}" for kind, k in deleted.items())
    verb = "would delete" if s["dry_run"] else "deleted"
    return (
        f"cleanup-media: {verb} {objects} expired object(s), {size} bytes ({per_kind}); "
        f"orphan files {s['orphan_files']['objects']}, orphan rows {s['orphan_rows']['objects']}, "
        f"abandoned jobs {s['jobs_abandoned']}, refused paths {s['refused']['objects']}; "
        f"{s['duration_s']} s"
    )
