"""An upload being received: text fields in memory, file parts spooled under the media root.

The HTTP layer decodes the multipart body as it streams in (blueprints/multipart.py) and feeds it
here; this module owns where the bytes go and how large they may get. The booth sends its text
fields (the password among them) before the photo, so the reader calls the ``authorize`` hook as
soon as the first file part starts, before any photo byte is stored: a file part that comes
before the password is refused, never spooled.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from photoslot.config import BODY_SLACK_BYTES
from photoslot.errors import ApiError
from photoslot.services.media import store

# Liberal: the booth's field first, then common names, else the first file part.
FILE_FIELD_PREFERENCE = ("fileToUpload", "file", "image", "photo", "media")

#: ``on_write(path, size)``: a file part's spool file (``path``, relative to the media root) now
#: holds ``size`` bytes — for work that can begin before the upload ends.
OnWrite = Callable[[str, int], None]

#: ``authorize(fields)``: called once, with the text fields received so far, when the first file
#: part starts (or at the end of a body without one); raises ApiError to reject the request.
Authorize = Callable[[dict[str, str]], None]


@dataclass
class SpooledFile:
    """One file part, written to ``path`` (relative to the media root) as it arrives."""

    name: str
    filename: str | None
    path: str
    max_bytes: int
    size: int = 0
    on_write: OnWrite | None = field(default=None, repr=False)
    _handle: store.MediaWriter | None = field(default=None, repr=False)

    def write(self, data: bytes) -> None:
        """Append ``data``; 413 once the part grows past ``max_bytes``."""
        self.size += len(data)
        if self.size > self.max_bytes:
            raise too_large(self.max_bytes)
        if self._handle is None:
            self._handle = store.open_for_writing(self.path)
        self._handle.write(data)
        if self.on_write is not None:
            self.on_write(self.path, self.size)

    def close(self) -> None:
        """Finish the part (an empty part still gets its file)."""
        if self._handle is None:
            self._handle = store.open_for_writing(self.path)
        self._handle.close()


@dataclass
class Upload:
    """A multipart body being received: text fields (first value per name) and file parts."""

    max_file_bytes: int
    on_first_file_write: OnWrite | None = None  # the photo's part, in every booth's form
    fields: dict[str, str] = field(default_factory=dict)
    files: list[SpooledFile] = field(default_factory=list)

    def add_field(self, name: str, value: str) -> None:
        """Keep the first value of a text field; 400 ``invalid_input`` if it holds a NUL."""
        _refuse_nul(name, value)
        self.fields.setdefault(name, value)

    def start_file(self, name: str, filename: str | None) -> SpooledFile:
        """A new file part, spooled to a fresh path under the inputs directory."""
        _refuse_nul(name, filename or "")
        part = SpooledFile(name, filename, f"{store.KIND_DIRS['input']}/.upload-"
                           f"{uuid.uuid4().hex}.part", self.max_file_bytes,
                           on_write=None if self.files else self.on_first_file_write)
        self.files.append(part)
        return part

    def photo(self) -> SpooledFile | None:
        """The file part to process, by field-name preference."""
        for name in FILE_FIELD_PREFERENCE:
            for part in self.files:
                if part.name == name:
                    return part
        return self.files[0] if self.files else None

    def discard(self) -> None:
        """Close and delete every spooled file (safe to call more than once)."""
        for part in self.files:
            if part._handle is not None:
                part._handle.close()
            store.delete_file(part.path)


#: Reads the request body into ``upload`` (files of at most its ``max_file_bytes``), calling
#: ``authorize`` as fields arrive; every spooled file is deleted if it raises.
UploadReader = Callable[[Upload, Authorize], None]


def _refuse_nul(name: str, value: str) -> None:
    # Booth fields end up in the job row, where PostgreSQL refuses NUL characters.
    if "\0" in name or "\0" in value:
        raise ApiError(400, "invalid_input", "a form field contains a NUL character",
                       {"fields": {name.replace("\0", "\\0")[:100]: "contains a NUL character"}})


def max_body_bytes(max_file_bytes: int) -> int:
    """The most bytes an upload body may have: the file limit plus ``BODY_SLACK_BYTES``."""
    return max_file_bytes + BODY_SLACK_BYTES


def too_large(max_bytes: int) -> ApiError:
    """The 413 every size check answers with."""
    return ApiError(413, "payload_too_large",
                    f"the upload is larger than {max_bytes} bytes", {"max_bytes": max_bytes})
