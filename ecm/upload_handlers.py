"""Upload size enforced while the request streams in, not after the file is on disk."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload


class SizeLimitUploadHandler(FileUploadHandler):
    """Stop reading a file as soon as it passes ``ASSETPLUS_MAX_BYTES``.

    First in ``FILE_UPLOAD_HANDLERS``: it sees every chunk before the memory/temporary-file
    handlers store it, so nothing past the limit is kept. ``StopUpload(connection_reset=False)``
    makes Django drop the file, read (and discard) the rest of the body and hand the view the
    fields parsed so far; ``request.upload_too_large`` tells the view why the file is missing.
    """

    def __init__(self, request=None):
        super().__init__(request)
        if request is not None:
            request.upload_too_large = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > settings.ASSETPLUS_MAX_BYTES:
            if self.request is not None:
                self.request.upload_too_large = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None
