"""Errors of the maintenance package; the CLI prints each as one line (exit 2)."""
from hotline.errors import HotlineError


class MaintenanceError(HotlineError):
    """Base of this package's errors."""


class BackupError(MaintenanceError):
    """A backup cannot be taken (the folder is in use, a tool failed)."""


class RestoreError(MaintenanceError):
    """A backup cannot be restored (not empty, wrong revision, damaged)."""


class RetentionPolicyError(MaintenanceError):
    """The retention periods file cannot be used."""
