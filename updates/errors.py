from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Refusal(StrEnum):
    """Why a release upload was refused (stable codes; the admin shows the message)."""

    UNSIGNED = "unsigned"
    BAD_SIGNATURE = "bad_signature"
    BAD_MANIFEST = "bad_manifest"
    ARCHIVE_MISMATCH = "archive_mismatch"
    DUPLICATE_VERSION = "duplicate_version"
    NO_KEYS = "no_keys"


MESSAGES = {
    Refusal.UNSIGNED: _("The manifest is not signed: upload the .manifest.json that `kiosk release build` wrote."),
    Refusal.BAD_SIGNATURE: _("The manifest's signature does not verify with the platform's release public keys: "
                             "this release was not signed with the release key."),
    Refusal.BAD_MANIFEST: _("The manifest is malformed."),
    Refusal.ARCHIVE_MISMATCH: _("The archive is not the one the manifest signed (size or SHA-256 differ)."),
    Refusal.DUPLICATE_VERSION: _("A release of this version is already uploaded."),
    Refusal.NO_KEYS: _("No release public key is configured (KIT_RELEASE_PUBLIC_KEYS)."),
}


class ReleaseRefused(Exception):
    def __init__(self, code: Refusal, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else str(code))
        self.code = code
        self.detail = detail

    @property
    def message(self) -> str:
        return str(MESSAGES[self.code])


class RolloutMoveRefused(Exception):
    """A status change the table does not allow (code `rollout_move`)."""

    code = "rollout_move"
