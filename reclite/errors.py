"""Every error and warning class reclite raises, in one place.

The CLI's top level turns every exception into one ``Error: <message>`` line on
stderr (exit code 1; usage errors 2); ``--debug`` or ``RECLITE_DEBUG=1`` shows the
traceback. Classes here let callers decide by type whose fault an error is:
:class:`ParameterError` and :class:`DataError` are the caller's, anything that is not
a :class:`RecliteError` is reclite's own bug.
"""

from __future__ import annotations

from sklearn.exceptions import NotFittedError

__all__ = [
    "RecliteError",
    "DataError",
    "ParameterError",
    "ParameterTypeError",
    "ConfidenceSpecError",
    "UnknownIdError",
    "ModelFileError",
    "OutputError",
    "DeviceError",
    "DataWarning",
    "NotFittedError",
]


class RecliteError(Exception):
    """Base class of every error reclite raises on purpose."""


class DataError(RecliteError, ValueError):
    """Input data is malformed: the message names file, column, row and value."""


class ParameterError(RecliteError, ValueError):
    """A parameter (of a model, split, confidence expression, evaluation...) has a bad value.

    Every parameter check in the library raises this class (or a subclass), so callers
    such as the CLI tell "the user's value is wrong" apart from a bug by class, never
    by reading the message. The message names the parameter and what was expected.
    """


class ParameterTypeError(ParameterError, TypeError):
    """A parameter has the wrong type (e.g. ``k=2.5``); also a :class:`TypeError`."""


class ConfidenceSpecError(ParameterError):
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


class OutputError(RecliteError, OSError):
    """An output cannot be written as asked; nothing was changed.

    Raised before anything is written when the path is an existing file or folder that
    reclite must not replace (a folder that is not a reclite model directory, a folder
    where a file was asked for), and when the operating system refuses the write. The
    message names the user's path, never a temporary one. Also an :class:`OSError`.
    """


class DeviceError(RecliteError, RuntimeError):
    """A requested compute device (GPU) is not usable."""


class DataWarning(UserWarning):
    """Data is suspicious but usable (merged duplicates, users without test items...)."""
