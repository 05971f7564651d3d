"""``sturgeon demo``: a real tuning run, a small neural network on the digits data (scikit-learn).

The data are split once, 60/20/20 and stratified, into train / validation / test. Trials are
scored on the validation split only; the best configuration is then refit on train+validation
and scored on the test split exactly once.
"""

from __future__ import annotations

import shlex
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

import sturgeon as sg

if TYPE_CHECKING:
    from sklearn.neural_network import MLPClassifier

__all__ = ["DEFAULT_STORAGE", "EPOCHS", "DemoResult", "run_demo"]

DEFAULT_STORAGE = "sqlite:///sturgeon.db"
EPOCHS = 25  # passes over the training data per trial: about a second for the largest networks


@dataclass(frozen=True)
class _Data:
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: np.ndarray


@dataclass(frozen=True)
class DemoResult:
    """What a demo run did; ``best`` is None when no trial has completed."""

    study_name: str
    trials_run: int
    trials_total: int
    best: sg.FrozenTrial | None
    test_accuracy: float | None
    wall_time_s: float
    epochs_trained: int = 0


def _require_sklearn() -> None:
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise ImportError(
            "the demo needs scikit-learn: pip install 'sturgeon[demo]' (or pip install scikit-learn)"
        ) from None


def _load_data(seed: int) -> _Data:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = x / 16.0  # pixel intensities are 0..16
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=0.2, stratify=y, random_state=seed)
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest, y_rest, test_size=0.25, stratify=y_rest, random_state=seed
    )
    return _Data(x_train, y_train, x_val, y_val, x_test, y_test, np.unique(y))


def _suggest(trial: sg.Trial) -> dict[str, Any]:
    return {
        "learning_rate_init": trial.suggest_float("learning_rate_init", 1e-4, 3e-2, log=True),
        "alpha": trial.suggest_float("alpha", 1e-6, 1e-1, log=True),
        "n_layers": trial.suggest_int("n_layers", 1, 2),
        "n_units": trial.suggest_int("n_units", 16, 128, log=True),
        "activation": trial.suggest_categorical("activation", ["relu", "tanh", "logistic"]),
        "batch_size": trial.suggest_categorical("batch_size", [32, 64, 128]),
    }


def _train(
    params: dict[str, Any],
    x: np.ndarray,
    y: np.ndarray,
    classes: np.ndarray,
    seed: int,
    after_epoch: Callable[[int, MLPClassifier], None] | None = None,
) -> MLPClassifier:
    """Train for ``EPOCHS`` passes with ``partial_fit``, calling ``after_epoch(epoch, model)``."""
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(
        hidden_layer_sizes=(params["n_units"],) * params["n_layers"],
        activation=params["activation"],
        alpha=params["alpha"],
        batch_size=params["batch_size"],
        learning_rate_init=params["learning_rate_init"],
        random_state=seed,
    )
    for epoch in range(EPOCHS):
        model.partial_fit(x, y, classes=classes)
        if after_epoch is not None:
            after_epoch(epoch, model)
    return model


def _objective(data: _Data, seed: int) -> Callable[[sg.Trial], float]:
    def objective(trial: sg.Trial) -> float:
        params = _suggest(trial)
        scores: list[float] = []

        def after_epoch(epoch: int, model: MLPClassifier) -> None:
            scores.append(float(model.score(data.x_val, data.y_val)))
            trial.report(scores[-1], epoch)
            if trial.should_prune():
                raise sg.TrialPruned()

        t0 = time.perf_counter()
        try:
            _train(params, data.x_train, data.y_train, data.classes, seed, after_epoch)
        finally:
            trial.set_user_attr("fit_time_s", round(time.perf_counter() - t0, 4))
        return scores[-1]

    return objective


def _best_or_none(study: sg.Study) -> sg.FrozenTrial | None:
    try:
        return study.best_trial
    except sg.NoCompletedTrialsError:
        return None


def _fmt_param(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def run_demo(
    *,
    storage: str,
    study_name: str = "demo",
    n_trials: int | None = 40,
    timeout: float | None = 90.0,
    seed: int = 0,
    n_jobs: int = 1,
    echo: Callable[[str], None] = print,
) -> DemoResult:
    """Tune an MLP on the digits data in study ``study_name`` (created or continued) and
    report the best configuration's validation and test accuracy through ``echo``."""
    _require_sklearn()
    from sklearn.exceptions import ConvergenceWarning

    t0 = time.perf_counter()
    data = _load_data(seed)
    study = sg.create_study(name=study_name, direction="maximize", storage=storage, seed=seed, load_if_exists=True)
    try:
        n_before = _announce(study, seed, echo)
        resource_before = study.total_resource
        limits = [f"{n_trials} trials"] if n_trials is not None else []
        limits += [f"{timeout:g} s"] if timeout is not None else []
        echo(
            f"Tuning an MLP on the digits data: {len(data.y_train)} train / {len(data.y_val)} validation / "
            f"{len(data.y_test)} test images, {EPOCHS} epochs per trial, up to {' or '.join(limits) or 'no limit'}."
        )
        # Warning filters are process-wide: set them around the worker threads, not inside each trial.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            study.optimize(_objective(data, seed), n_trials=n_trials, timeout=timeout, n_jobs=n_jobs)
            trials = study.trials
            epochs = study.total_resource - resource_before
            best = _best_or_none(study)
            test_accuracy = None
            if best is not None:
                x = np.concatenate([data.x_train, data.x_val])
                y = np.concatenate([data.y_train, data.y_val])
                model = _train(dict(best.params), x, y, data.classes, seed)
                test_accuracy = float(model.score(data.x_test, data.y_test))
    finally:
        study.storage.close()
    result = DemoResult(
        study_name, len(trials) - n_before, len(trials), best, test_accuracy, time.perf_counter() - t0, epochs
    )
    _summarize(result, trials[n_before:], storage, echo)
    return result


def _announce(study: sg.Study, seed: int, echo: Callable[[str], None]) -> int:
    """Say whether the study is new or continued; return how many trials it had."""
    n_before = len(study.trials)
    if n_before == 0:
        study.set_user_attr("demo_seed", seed)
        echo(f"Created study {study.name!r}.")
        return 0
    best = _best_or_none(study)
    so_far = "none completed yet" if best is None else f"best validation accuracy so far {best.value:.4f}"
    echo(f"Continuing the existing study {study.name!r}: it has {n_before} trials, {so_far}.")
    started = study.user_attrs.get("demo_seed")
    if started is not None and started != seed:
        echo(f"Note: the study was started with --seed {started}; this run splits the data with --seed {seed}.")
    return n_before


def _summarize(result: DemoResult, new: list[sg.FrozenTrial], storage: str, echo: Callable[[str], None]) -> None:
    states = Counter(t.state.value.lower() for t in new)
    echo("")
    if result.best is None or result.test_accuracy is None:
        echo("No trial has completed yet, so there is no best configuration to test.")
    else:
        params = ", ".join(f"{k}={_fmt_param(v)}" for k, v in result.best.params.items())
        echo(f"Best trial: #{result.best.number}  {params}")
        echo(f"  validation accuracy {result.best.value:.4f}")
        echo(f"  test accuracy       {result.test_accuracy:.4f}  (refit on train+validation, scored once)")
    counts = ", ".join(f"{n} {s}" for s, n in sorted(states.items()))
    echo(f"Trials: {result.trials_run} this run ({counts or 'none'}), {result.trials_total} in the study")
    full = result.trials_run * EPOCHS
    if full:
        saved = 1.0 - result.epochs_trained / full
        echo(
            f"Epochs trained: {result.epochs_trained} of the {full} that running every trial to the end would take "
            f"({saved:.0%} saved by early stopping)"
        )
    echo(f"Wall time: {result.wall_time_s:.1f} s")
    hint = f"sturgeon show {shlex.quote(result.study_name)}"
    if storage != DEFAULT_STORAGE:
        hint += f" --storage {shlex.quote(storage)}"
    echo(f"Stored in {storage} (study {result.study_name!r}); see it with: {hint}")
