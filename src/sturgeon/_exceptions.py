"""Every error sturgeon raises on purpose.

    SturgeonError
    ├── InvalidSpaceError        a search-space definition breaks a rule (also ValueError)
    ├── InvalidValueError        a bad argument or objective value (also ValueError)
    ├── StudyNotFoundError       no study by that name in the storage (also KeyError)
    ├── DuplicatedStudyError     a study by that name exists already
    ├── StorageError             the storage cannot be used
    │   ├── SchemaVersionError   the database was written by a newer sturgeon
    │   ├── NotASturgeonDatabaseError  the file or database is something else
    │   └── ArtifactStoreError   the checkpoint store cannot be used, or a checkpoint is missing
    ├── TrialStateError          an operation that the trial's state forbids
    ├── GridExhaustedError       every point of a grid has been claimed
    ├── NoCompletedTrialsError   a best trial was asked for before any completed (also ValueError)
    ├── NotSupportedError        an argument or feature sturgeon does not have (also NotImplementedError)
    └── TrialPruned              raised by an objective to stop a trial early (not an error)

Messages name the parameter, the rule it broke and the value it had.
"""

from __future__ import annotations


class SturgeonError(Exception):
    """Base class of every sturgeon exception."""


class InvalidSpaceError(SturgeonError, ValueError):
    """A search-space definition breaks a rule."""


class InvalidValueError(SturgeonError, ValueError):
    """An argument or a reported value is not allowed."""


class StudyNotFoundError(SturgeonError, KeyError):
    """No study by that name exists in the storage."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DuplicatedStudyError(SturgeonError):
    """A study by that name exists already."""


class StorageError(SturgeonError):
    """The storage cannot be opened or used."""


class SchemaVersionError(StorageError):
    """The database was written by a newer version of sturgeon."""


class NotASturgeonDatabaseError(StorageError):
    """The file or database is not a sturgeon database."""


class ArtifactStoreError(StorageError):
    """The artifact (checkpoint) store cannot be reached or written, or a checkpoint is missing."""


class TrialStateError(SturgeonError):
    """The trial's state forbids the operation (e.g. telling a finished trial)."""


class GridExhaustedError(SturgeonError):
    """Every point of the grid has been run or is running."""


class NoCompletedTrialsError(SturgeonError, ValueError):
    """The study has no COMPLETE trial yet, so it has no best trial."""


class NotSupportedError(SturgeonError, NotImplementedError):
    """An argument or a feature that sturgeon does not have (yet); the message names it."""


class TrialPruned(SturgeonError):  # noqa: N818 - the name users know from other tools
    """Raise inside an objective to end the trial as PRUNED."""
