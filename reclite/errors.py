"""Every error and warning class reclite raises, in one place.

The CLI's error boundary catches :class:`RecliteError` (plus sklearn's
``NotFittedError`` and ``FileNotFoundError``) and prints ``Error: <message>``;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from sklearn.exceptions import NotFittedError

__all__ = [
    "RecliteError",
    "DataError",
    "ConfidenceSpecError",
    "UnknownIdError",
    "ModelFileError",
    "DeviceError",
    "DataWarning",
    "NotFittedError",
]


class RecliteError(Exception):
    """Base class of every error reclite raises on purpose."""


class DataError(RecliteError, ValueError):
    """Input data is malformed: the message names file, column, row and value."""


class ConfidenceSpecError(RecliteError, ValueError):
    """A confidence expression cannot be parsed or evaluated."""


class UnknownIdError(RecliteError, KeyError):
    """Raw ids that an IdMap (or a fitted model) does not know.

    ``str(KeyError(msg))`` quotes the message; this class prints it plainly so the
    CLI shows ``Error: 3 unknown item ids ...`` rather than ``Error: '3 unknown ...'``.
    """

    def __init__(self, message: str, missing: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.missing = missing

    def __str__(self) -> str:
        return self.message


class ModelFileError(RecliteError, ValueError):
    """A model directory is missing, corrupt, or from a newer format."""


class DeviceError(RecliteError, RuntimeError):
    """A requested compute device (GPU) is not usable."""


class DataWarning(UserWarning):
    """Data is suspicious but usable (merged duplicates, users without test items...)."""
