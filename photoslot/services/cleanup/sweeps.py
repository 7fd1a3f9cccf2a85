"""The passes of one cleanup run; the caller holds the cleanup lock.

Order inside a batch (see adr/0005): rows are deleted and committed first, files unlinked after.
A crash in between leaves only files without a row, which the orphan pass of the next run deletes;
a row never points at a file that cleanup removed while the row stayed visible.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, delete, exists, func, select, update

from photoslot.config import current_config
from photoslot.extensions import db
from photoslot.log import log_event
from photoslot.models import MEDIA_KINDS, JobHistory, MediaObject, SlotTemplateMedia
from photoslot.services.media import store
from photoslot.services.media.lifetime import expired_clause

log = logging.getLogger(__name__)

# Files younger than this may belong to a write whose row is not committed yet.
ORPHAN_GRACE = timedelta(hours=1)
# gunicorn kills a worker at T_sync + 30 s; a job still pending well after that has no owner.
ABANDON_GRACE = timedelta(minutes=5)
REFUSED_LISTED = 20
_COLUMNS = (
    MediaObject.id, MediaObject.kind, MediaObject.path, MediaObject.size, MediaObject.parent_id
)


def empty_summary(dry_run: bool) -> dict[str, Any]:
    """The summary shape every run reports (and cleanup_run.summary stores)."""
    return {
        "dry_run": dry_run,
        "deleted": {kind: {"objects": 0, "bytes": 0} for kind in MEDIA_KINDS},
        "missing_files": 0,
        "orphan_files": {"objects": 0, "bytes": 0},
        "orphan_rows": {"objects": 0},
        "jobs_abandoned": 0,
        "kept_in_use": 0,
        "refused": {"objects": 0, "paths": []},
        "duration_s": 0.0,
    }


def _not_in_use() -> ColumnElement[bool]:
    """Templates still bound to a slot are never deleted under it (the FK would refuse anyway)."""
    return ~exists().where(SlotTemplateMedia.media_id == MediaObject.id)


class Sweep:
    """One run's passes, accumulating into ``summary``; every time decision uses ``now``."""

    def __init__(self, now: datetime, dry_run: bool, batch_size: int):
        self.now = now
        self.dry_run = dry_run
        self.batch_size = batch_size
        self.summary = empty_summary(dry_run)
        t_sync = timedelta(seconds=current_config().t_sync_response_s)
        self.orphan_cutoff = now - max(ORPHAN_GRACE, 2 * t_sync)
        self.abandon_cutoff = now - t_sync - ABANDON_GRACE
        self._refused: set[str] = set()

    def reconcile_jobs(self) -> None:
        """Pending jobs well past T_sync become error/abandoned; their inputs are deleted."""
        last = ""
        while True:
            ids = db.session.scalars(
                select(JobHistory.id)
                .where(JobHistory.status == "pending", JobHistory.started_at < self.abandon_cutoff)
                .where(JobHistory.id > last)
                .order_by(JobHistory.id)
                .limit(self.batch_size)
            ).all()
            if not ids:
                return
            last = ids[-1]
            self.summary["jobs_abandoned"] += self._abandon(ids)
            inputs = db.session.execute(
                select(*_COLUMNS).where(MediaObject.kind == "input", MediaObject.job_id.in_(ids))
            ).all()
            self._delete(inputs, self.summary["deleted"])

    def _abandon(self, ids: Sequence[str]) -> int:
        if self.dry_run:
            return len(ids)
        result = db.session.execute(
            update(JobHistory)
            .where(JobHistory.id.in_(ids), JobHistory.status == "pending")
            .values(
                status="error",
                error_code="abandoned",
                error_message="still pending long after T_sync: the worker handling it ended",
                finished_at=self.now,
            )
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        return result.rowcount

    def delete_expired(self) -> None:
        """Expired rows (and their thumbnails) and their files, in batches."""
        for batch in self._batches(and_(expired_clause(self.now), _not_in_use())):
            self._delete(batch, self.summary["deleted"])
        self.summary["kept_in_use"] = db.session.scalar(
            select(func.count()).select_from(MediaObject)
            .where(expired_clause(self.now), ~_not_in_use())
        )

    def remove_rows_without_files(self) -> None:
        """Rows (older than the grace period) whose file has vanished are removed."""
        condition = and_(MediaObject.created_at < self.orphan_cutoff, _not_in_use())
        for batch in self._batches(condition):
            vanished = [r for r in batch if self._safe(r) and not _exists(r.path)]
            per_kind = {kind: {"objects": 0, "bytes": 0} for kind in MEDIA_KINDS}
            self._delete(vanished, per_kind)
            self.summary["orphan_rows"]["objects"] += sum(k["objects"] for k in per_kind.values())

    def delete_orphan_files(self) -> None:
        """Regular files under the kind directories with no row, older than the grace period."""
        root = store.media_root()
        cutoff = self.orphan_cutoff.timestamp()
        candidates: list[tuple[str, int]] = []
        for kind_dir in store.KIND_DIRS.values():
            for dirpath, _dirs, names in os.walk(root / kind_dir):
                for name in names:
                    path = Path(dirpath, name)
                    try:
                        info = path.lstat()
                    except FileNotFoundError:
                        continue
                    if stat.S_ISREG(info.st_mode) and info.st_mtime < cutoff:
                        candidates.append((path.relative_to(root).as_posix(), info.st_size))
                    if len(candidates) >= self.batch_size:
                        self._drop_orphans(candidates)
                        candidates = []
        self._drop_orphans(candidates)

    def _drop_orphans(self, candidates: list[tuple[str, int]]) -> None:
        if not candidates:
            return
        known = set(
            db.session.scalars(
                select(MediaObject.path).where(MediaObject.path.in_([p for p, _ in candidates]))
            )
        )
        tally = self.summary["orphan_files"]
        for relative, size in candidates:
            if relative in known or (not self.dry_run and not store.delete_file(relative)):
                continue
            tally["objects"] += 1
            tally["bytes"] += size

    def _batches(self, condition: ColumnElement[bool]) -> Iterator[Sequence[Row]]:
        last = ""
        while True:
            batch = db.session.execute(
                select(*_COLUMNS)
                .where(condition, MediaObject.id > last)
                .order_by(MediaObject.id)
                .limit(self.batch_size)
            ).all()
            if not batch:
                return
            last = batch[-1].id
            yield batch

    def _delete(self, rows: Sequence[Row], tally: dict[str, dict[str, int]]) -> None:
        """Delete ``rows`` and their thumbnails: rows committed first, then files unlinked."""
        wanted = [row for row in rows if self._safe(row)]
        children = db.session.execute(
            select(*_COLUMNS).where(
                MediaObject.parent_id.in_([row.id for row in wanted]),
                MediaObject.id.not_in([row.id for row in wanted]),
            )
        ).all()
        # A refused thumbnail keeps its parent too: deleting the parent would cascade to it.
        kept = {child.parent_id for child in children if not self._safe(child)}
        wanted = [row for row in wanted if row.id not in kept]
        children = [child for child in children if child.parent_id not in kept]
        if not wanted:
            return
        targets = [*wanted, *children]
        if self.dry_run:
            for row in targets:
                tally[row.kind]["objects"] += 1
                tally[row.kind]["bytes"] += row.size
            return
        # Children first, explicitly: a cascade would remove them without returning their paths.
        deleted = [*_delete_returning(children), *_delete_returning(wanted)]
        db.session.commit()
        for row in deleted:
            tally[row.kind]["objects"] += 1
            if self._unlink(row):
                tally[row.kind]["bytes"] += row.size

    def _unlink(self, row: Row) -> bool:
        try:
            removed = store.delete_file(row.path)
        except store.MediaPathError:
            self._refuse(row)
            return False
        if not removed and row.kind != "input":
            # An ended job's input row outlives its file on purpose (its link answers 410).
            self.summary["missing_files"] += 1
        return removed

    def _safe(self, row: Row) -> bool:
        """True if the stored path stays inside the media root; otherwise report and skip it."""
        try:
            store.resolve(row.path)
        except store.MediaPathError:
            self._refuse(row)
            return False
        return True

    def _refuse(self, row: Row) -> None:
        if row.id in self._refused:
            return
        self._refused.add(row.id)
        refused = self.summary["refused"]
        refused["objects"] += 1
        if len(refused["paths"]) < REFUSED_LISTED:
            refused["paths"].append({"id": row.id, "path": row.path})
        log_event(log, "cleanup_path_refused", logging.WARNING, media_id=row.id, path=row.path)


def _delete_returning(rows: Sequence[Row]) -> list[Row]:
    if not rows:
        return []
    return list(
        db.session.execute(
            delete(MediaObject)
            .where(MediaObject.id.in_([row.id for row in rows]))
            .returning(*_COLUMNS)
            .execution_options(synchronize_session=False)
        ).all()
    )


def _exists(relative: str) -> bool:
    return store.resolve(relative).exists()
