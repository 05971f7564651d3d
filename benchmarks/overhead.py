"""Sampler overhead benchmark: sturgeon against Optuna, side by side, in one run.

    python benchmarks/overhead.py                        # TPE at 100, 1,000, 10,000 trials; GP at 300
    python benchmarks/overhead.py --sizes 100,1000 --repeat 20 --no-gp

Measures the per-trial overhead of a sampler: the time of ``ask()`` + ten ``suggest_*`` calls
+ ``tell()`` around a trivial define-by-run objective (its arithmetic is negligible), so
everything timed is time outside the objective. Ten parameters: four floats, two log floats,
one int, one log int, two categoricals. Both libraries use in-memory storage.

For each history size N the history is built once, untimed, with each library's random
sampler (N trials through ``optimize``); the study is then reopened with the sampler under
test (``load_study`` on the same storage), two untimed trials warm its caches, and
``--repeat`` trials of each library are timed one by one, alternately (a sturgeon trial, an
Optuna trial, ...), so that both see the same machine load. The table shows the median ms
per trial and the ratio sturgeon / Optuna.

* TPE: sturgeon ``TPESampler()`` against ``optuna.samplers.TPESampler(multivariate=True)``.
* GP (``--gp-size`` trials, fewer repeats): sturgeon's ``"gp"`` sampler, when
  ``sturgeon.samplers.SAMPLERS`` has one, against ``optuna.samplers.GPSampler`` (needs torch);
  skipped with a note when either is missing.

Needs ``optuna`` (``pip install -e ".[bench]"``). Timings on a shared machine are noisy:
compare ratios from the same run.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import sturgeon as sg
from sturgeon.samplers import SAMPLERS, RandomSampler
from sturgeon.samplers._tpe import TPESampler

try:
    import optuna
except ImportError:  # pragma: no cover - the benchmark needs it
    sys.exit("benchmarks/overhead.py needs optuna: pip install -e '.[bench]'")

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
warnings.filterwarnings("ignore", category=FutureWarning)

STUDY = "overhead"


def objective(trial: Any) -> float:
    """Ten parameters, the same calls for both libraries; the arithmetic is negligible."""
    v = sum(trial.suggest_float(f"x{i}", -5.0, 5.0) for i in range(4))
    v += trial.suggest_float("lr", 1e-5, 1e-1, log=True) + trial.suggest_float("wd", 1e-6, 1e-2, log=True)
    v += trial.suggest_int("layers", 1, 8) + trial.suggest_int("units", 16, 1024, log=True)
    v += len(trial.suggest_categorical("optimizer", ["adam", "sgd", "rmsprop"]))
    v += trial.suggest_categorical("batch", [16, 32, 64, 128, 256])
    return float(v)


def _timed_trial(ask: Callable[[], Any], tell: Callable[[Any, float], Any]) -> float:
    t0 = time.perf_counter()
    trial = ask()
    value = objective(trial)
    tell(trial, value)
    return time.perf_counter() - t0


def sturgeon_study(n: int, sampler: sg.samplers.BaseSampler) -> sg.Study:
    """A study of ``n`` random trials, reopened with ``sampler``."""
    storage = sg.storage.InMemoryStorage()
    sg.create_study(name=STUDY, storage=storage, sampler=RandomSampler(seed=0)).optimize(objective, n_trials=n)
    return sg.load_study(name=STUDY, storage=storage, sampler=sampler)


def optuna_study(n: int, sampler: optuna.samplers.BaseSampler) -> optuna.Study:
    """A study of ``n`` random trials, reopened with ``sampler``."""
    storage = optuna.storages.InMemoryStorage()
    builder = optuna.create_study(study_name=STUDY, storage=storage, sampler=optuna.samplers.RandomSampler(seed=0))
    builder.optimize(objective, n_trials=n)
    return optuna.load_study(study_name=STUDY, storage=storage, sampler=sampler)


def compare(ours: sg.Study, theirs: optuna.Study, repeat: int) -> tuple[float, float, float, float]:
    """Median and mean ms per trial of each (ours, theirs, ours, theirs), timed alternately (one
    trial each, in turn) so that both see the same machine load, after two untimed warm-up
    trials each. The mean counts the trials where a sampler does periodic extra work (the GP
    refits its hyperparameters from scratch every few trials past 100)."""
    times: tuple[list[float], list[float]] = ([], [])
    for i in range(repeat + 2):
        a = _timed_trial(ours.ask, ours.tell)
        b = _timed_trial(theirs.ask, theirs.tell)
        if i >= 2:
            times[0].append(a)
            times[1].append(b)
    med = [1e3 * statistics.median(t) for t in times]
    mean = [1e3 * statistics.fmean(t) for t in times]
    return med[0], med[1], mean[0], mean[1]


def _row(name: str, n: int, r: tuple[float, float, float, float]) -> float:
    ours, theirs, mean_ours, mean_theirs = r
    print(
        f"{name:<5} {n:>7,} {ours:>14.2f} {theirs:>13.2f} {ours / theirs:>9.3f}  (1/{theirs / ours:.0f})"
        f"   means {mean_ours:.2f} / {mean_theirs:.2f} ms (1/{mean_theirs / mean_ours:.0f})",
        flush=True,
    )
    return ours / theirs


def _goal(text: str, ratio: float | None, limit: float) -> None:
    if ratio is not None:
        print(
            f"goal: {text} <= 1/{1 / limit:.0f} of Optuna ... "
            f"{'MET' if ratio <= limit else 'NOT MET'} (1/{1 / ratio:.0f})"
        )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100,1000,10000", help="history sizes for TPE (comma-separated)")
    ap.add_argument("--repeat", type=int, default=30, help="timed trials per TPE configuration")
    ap.add_argument("--gp-size", type=int, default=300, help="history size for the GP comparison")
    ap.add_argument("--gp-repeat", type=int, default=10, help="timed trials per GP configuration")
    ap.add_argument("--no-gp", action="store_true", help="skip the GP comparison")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    ratios: dict[int, float] = {}

    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(
        f"python {sys.version.split()[0]}, sturgeon {sg.__version__}, optuna {optuna.__version__}, "
        f"{os.cpu_count()} logical CPUs, load average at start {[round(x, 2) for x in load] if load else None}"
    )
    print(
        f"median ms per trial outside the objective ({args.repeat} timed trials per TPE row, {args.gp_repeat} for GP)"
    )
    print(f"{'':<5} {'trials':>7} {'sturgeon ms':>14} {'optuna ms':>13} {'ratio':>9}")
    for n in sizes:
        ratios[n] = _row(
            "tpe",
            n,
            compare(
                sturgeon_study(n, TPESampler(seed=1)),
                optuna_study(n, optuna.samplers.TPESampler(multivariate=True, seed=1)),
                args.repeat,
            ),
        )
    _goal("TPE at 1,000 trials", ratios.get(1000), 1 / 5)
    _goal("TPE at 10,000 trials", ratios.get(10000), 1 / 10)

    if args.no_gp:
        return
    if "gp" not in SAMPLERS:
        print("gp: skipped, sturgeon.samplers.SAMPLERS has no 'gp' sampler in this version")
        return
    if importlib.util.find_spec("torch") is None:
        print("gp: skipped, Optuna's GPSampler needs torch (pip install torch)")
        return
    r = compare(
        sturgeon_study(args.gp_size, SAMPLERS["gp"](1)),
        optuna_study(args.gp_size, optuna.samplers.GPSampler(seed=1)),
        args.gp_repeat,
    )
    _row("gp", args.gp_size, r)
    _goal(f"GP at {args.gp_size} trials (mean)", r[2] / r[3], 1 / 2)


if __name__ == "__main__":
    main()
