"""sturgeon: hyperparameter optimization with persistent, shareable studies.

import sturgeon as sg
study = sg.create_study(direction="maximize", storage="sqlite:///sturgeon.db")
study.optimize(objective, n_trials=100)
"""

from __future__ import annotations

from typing import Any as _Any

from sturgeon import artifacts, distributions, exceptions, logging, pruners, samplers, storage
from sturgeon._early_stopping import EarlyStopping
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
from sturgeon._frozen import FrozenTrial, LiveChange, TrialState
from sturgeon._import_optuna import import_optuna_study
from sturgeon._lr_range import LRRangeResult, lr_range_test
from sturgeon._optuna import (
    copy_study,
    create_study,
    create_trial,
    delete_study,
    get_all_study_names,
    get_all_study_summaries,
    load_study,
)
from sturgeon._ray import RayExecutor
from sturgeon.space import Categorical, Distribution, Float, Int
from sturgeon.study import Study, StudySummary, list_studies
from sturgeon.trial import Trial


def __getattr__(name: str) -> _Any:
    """``__version__``, read from the package metadata on first use (that costs a few tens of
    milliseconds, which ``import sturgeon`` and ``sturgeon --help`` need not pay)."""
    if name in ("importance", "visualization"):  # plotting and importance load on first use
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
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
    "NotSupportedError",
    "SchemaVersionError",
    "StorageError",
    "Study",
    "StudyNotFoundError",
    "StudySummary",
    "SturgeonError",
    "Trial",
    "TrialPruned",
    "RayExecutor",
    "TrialState",
    "TrialStateError",
    "__version__",
    "import_optuna_study",
    "artifacts",
    "copy_study",
    "create_study",
    "create_trial",
    "delete_study",
    "distributions",
    "exceptions",
    "get_all_study_names",
    "get_all_study_summaries",
    "logging",
    "list_studies",
    "lr_range_test",
    "load_study",
    "pruners",
    "samplers",
    "storage",
]
