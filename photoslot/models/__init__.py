"""All models, imported here so the metadata is complete for Alembic and the app."""

from photoslot.models.audit import AuditLog
from photoslot.models.base import Base
from photoslot.models.cleanup import CleanupRun
from photoslot.models.job import JOB_STATUSES, JobHistory
from photoslot.models.media import MEDIA_KINDS, MediaObject
from photoslot.models.rejection import IngestRejection
from photoslot.models.setting import INGEST_PASSWORD_HASH, Setting
from photoslot.models.slot import SLOT_IDS, Slot, SlotTemplateMedia

__all__ = [
    "AuditLog",
    "Base",
    "CleanupRun",
    "INGEST_PASSWORD_HASH",
    "IngestRejection",
    "JOB_STATUSES",
    "JobHistory",
    "MEDIA_KINDS",
    "MediaObject",
    "SLOT_IDS",
    "Setting",
    "Slot",
    "SlotTemplateMedia",
]
