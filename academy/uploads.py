"""Enforce an upload size limit while the request body streams in (videos, rosters)."""
from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler

from academy.errors import ApplicationError, size_display

# Room for the multipart boundaries, part headers and the title field around the file.
MULTIPART_SLACK = 64 * 1024


class UploadTooLarge(ApplicationError):
    """The upload is over its endpoint's limit: 413, the limit in params."""

    status = 413

    def __init__(self, limit: int):
        super().__init__("upload_too_large", f"The file is larger than the upload limit of {size_display(limit)}.",
                         {"limit_bytes": limit, "limit_display": size_display(limit)}, field="file")


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
