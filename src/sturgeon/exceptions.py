"""Optuna's exception names for sturgeon's errors (the same classes; see ``_exceptions``).

``OptunaError`` is ``SturgeonError``, the base of every error sturgeon raises on purpose;
``StorageInternalError`` is ``StorageError``; ``UpdateFinishedTrialError`` is
``TrialStateError``."""

from __future__ import annotations

from sturgeon._exceptions import (
    ArtifactStoreError,
    DuplicatedStudyError,
    GridExhaustedError,
    InvalidSpaceError,
    InvalidValueError,
    NoCompletedTrialsError,
    NotASturgeonDatabaseError,
    NotSupportedError,
    SchemaVersionError,
    StorageError,
    StudyNotFoundError,
    SturgeonError,
    TrialPruned,
    TrialStateError,
)

__all__ = [
    "ArtifactStoreError",
    "CLIUsageError",
    "DuplicatedStudyError",
    "ExperimentalWarning",
    "GridExhaustedError",
    "InvalidSpaceError",
    "InvalidValueError",
    "NoCompletedTrialsError",
    "NotASturgeonDatabaseError",
    "NotSupportedError",
    "OptunaError",
    "SchemaVersionError",
    "StorageError",
    "StorageInternalError",
    "StudyNotFoundError",
    "SturgeonError",
    "TrialPruned",
    "TrialStateError",
    "UpdateFinishedTrialError",
]

OptunaError = SturgeonError
StorageInternalError = StorageError
UpdateFinishedTrialError = TrialStateError
CLIUsageError = InvalidValueError


class ExperimentalWarning(Warning):
    """Optuna's warning category for experimental features; sturgeon never emits it, so
    filters that name it keep working."""
