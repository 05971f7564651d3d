"""sturgeon: hyperparameter optimization with persistent, shareable studies.

import sturgeon as sg
study = sg.create_study(direction="maximize", storage="sqlite:///sturgeon.db")
study.optimize(objective, n_trials=100)
"""

from __future__ import annotations

from typing import Any as _Any

from sturgeon import artifacts, pruners, samplers, storage
from sturgeon._early_stopping import EarlyStopping
from sturgeon._exceptions import (
    ArtifactStoreError,
    DuplicatedStudyError,
    GridExhaustedError,
    InvalidSpaceError,
    InvalidValueError,
    NoCompletedTrialsError,
    NotASturgeonDatabaseError,
    SchemaVersionError,
    StorageError,
    StudyNotFoundError,
    SturgeonError,
    TrialPruned,
    TrialStateError,
)
from sturgeon._frozen import FrozenTrial, LiveChange, TrialState
from sturgeon._import_optuna import import_optuna_study
from sturgeon._lr_range import LRRangeResult, lr_range_test
from sturgeon.space import Categorical, Distribution, Float, Int
from sturgeon.study import Study, StudySummary, create_study, delete_study, list_studies, load_study
from sturgeon.trial import Trial


def __getattr__(name: str) -> _Any:
    """``__version__``, read from the package metadata on first use (that costs a few tens of
    milliseconds, which ``import sturgeon`` and ``sturgeon --help`` need not pay)."""
    if name == "__version__":
        from importlib import metadata

        try:
            version = metadata.version("sturgeon")
        except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
            version = "0.0.0"
        globals()["__version__"] = version
        return version
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ArtifactStoreError",
    "Categorical",
    "Distribution",
    "DuplicatedStudyError",
    "EarlyStopping",
    "Float",
    "FrozenTrial",
    "GridExhaustedError",
    "Int",
    "InvalidSpaceError",
    "InvalidValueError",
    "LRRangeResult",
    "LiveChange",
    "NoCompletedTrialsError",
    "NotASturgeonDatabaseError",
    "SchemaVersionError",
    "StorageError",
    "Study",
    "StudyNotFoundError",
    "StudySummary",
    "SturgeonError",
    "Trial",
    "TrialPruned",
    "TrialState",
    "TrialStateError",
    "__version__",
    "create_study",
    "delete_study",
    "import_optuna_study",
    "artifacts",
    "list_studies",
    "lr_range_test",
    "load_study",
    "pruners",
    "samplers",
    "storage",
]
