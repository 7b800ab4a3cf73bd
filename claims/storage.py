"""Where cheque scans live: a private root that no URL serves (only the staff view reads it)."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible


@deconstructible
class PrivateStorage(FileSystemStorage):
    """FileSystemStorage under KIT_PRIVATE_ROOT, read at use (tests point it elsewhere), with no URL."""

    @property
    def base_location(self):
        return settings.KIT_PRIVATE_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None

    def url(self, name):
        raise ValueError("private files have no URL; serve them through an authorized view")


private_storage = PrivateStorage()
