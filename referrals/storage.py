"""Private file storage: documents about children never sit under a public URL.

Files are kept under PRIVATE_MEDIA_ROOT (outside STATIC_ROOT and any MEDIA_ROOT) and the
storage has no URL: the only way to read one is an access-checked, audited view.
"""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.functional import cached_property


class PrivateStorage(FileSystemStorage):
    @cached_property
    def base_location(self):
        return str(settings.PRIVATE_MEDIA_ROOT)

    def url(self, name):
        raise NotImplementedError("Private files are served only through access-checked views.")


_storage = PrivateStorage()


def private_storage():
    """Callable for FileField(storage=...), so migrations do not freeze a path."""
    return _storage
