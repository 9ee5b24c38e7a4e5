"""Enforce an upload size limit while the request body streams in (videos, rosters)."""
from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler
from rest_framework.exceptions import ValidationError

# Room for the multipart boundaries, part headers and the title field around the file.
MULTIPART_SLACK = 64 * 1024


def size_display(size: int) -> str:
    """Return a byte count for people: 2 GiB, 500 MiB, 1.5 KiB."""
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


class UploadTooLarge(ValidationError):
    """The upload is over its endpoint's limit (answered as 400 with the reason)."""

    def __init__(self, limit: int):
        super().__init__({"file": [f"The file is larger than the upload limit of {size_display(limit)}."]})


class SizeLimitUploadHandler(FileUploadHandler):
    """Stop an upload as soon as it is known to be over the limit.

    Put it first in request.upload_handlers: it refuses a too-long body before reading it,
    and counts file bytes as they pass on to the handlers that store them, so a body that
    lies about its length is stopped at the limit, not after it has all been read.
    """

    def __init__(self, request=None, *, limit: int):
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > self.limit + MULTIPART_SLACK:
            raise UploadTooLarge(self.limit)
        return None  # the other handlers parse the body

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            raise UploadTooLarge(self.limit)
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler builds the uploaded file
