"""Reconciliation errors: stable codes (tests and callers use the code, never the text)."""

from enum import StrEnum


class Code(StrEnum):
    REGISTRY_INVALID = "registry_invalid"          # the file is not in the registry format
    REGISTRY_UNAVAILABLE = "registry_unavailable"  # the simulator could not be fetched
    NOT_OPEN = "discrepancy_not_open"              # resolved or closed already
    REASON_REQUIRED = "reason_required"


class ReconcileError(Exception):
    def __init__(self, code: Code, message: str = ""):
        super().__init__(message or code.value)
        self.code = code
        self.message = message or code.value
