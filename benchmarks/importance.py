"""Parameter-importance benchmark: time per call and correctness, sturgeon beside Optuna.

    pip install -e ".[bench,importance]"
    python benchmarks/importance.py            # 100 / 300 / 1,000 trials, 5 seeds, ~3 min on 2 cores
    python benchmarks/importance.py --quick    # 100 trials, 2 seeds

The task (``benchmarks/_importance_tasks.py``): ten parameters of every kind (log Float, Int,
log Int, stepped Float, categorical), the objective driven by two of them (``lr``, ``layers``).
For each size and seed one random-search study is built in memory and copied into an Optuna
study with the same trials; then each evaluator is called on it, in this order, each once:
sturgeon fANOVA (``FanovaImportanceEvaluator(seed=s)``, 64 trees), Optuna fANOVA (same seed,
its defaults: 64 trees, depth 64), sturgeon PED-ANOVA and Optuna PED-ANOVA (both with their
defaults: top 10% against all trials). Time: median over seeds of the wall time of
``get_param_importances``, imports done beforehand. "top-2": in how many seeds the two
parameters that matter come first.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _importance_tasks as tasks

import sturgeon as sg
from sturgeon.importance import FanovaImportanceEvaluator, PedAnovaImportanceEvaluator, get_param_importances


def _methods() -> dict[str, Callable[[sg.Study, Any, int], dict[str, float]]]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    oi = optuna.importance
    return {
        "sturgeon fANOVA": lambda s, o, seed: get_param_importances(s, evaluator=FanovaImportanceEvaluator(seed=seed)),
        "optuna fANOVA": lambda s, o, seed: oi.get_param_importances(
            o, evaluator=oi.FanovaImportanceEvaluator(seed=seed)
        ),
        "sturgeon PED-ANOVA": lambda s, o, seed: get_param_importances(s, evaluator=PedAnovaImportanceEvaluator()),
        "optuna PED-ANOVA": lambda s, o, seed: oi.get_param_importances(o, evaluator=oi.PedAnovaImportanceEvaluator()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="100 trials, 2 seeds")
    args = parser.parse_args()
    sizes, seeds = ([100], 2) if args.quick else (args.sizes, args.seeds)
    methods = _methods()
    rows = []
    for n in sizes:
        times: dict[str, list[float]] = {m: [] for m in methods}
        hits: dict[str, int] = dict.fromkeys(methods, 0)
        for seed in range(seeds):
            study = tasks.make_study(None, seed, n)
            copy = tasks.to_optuna(study)
            for name, call in methods.items():
                t0 = time.perf_counter()
                imp = call(study, copy, seed)
                times[name].append(time.perf_counter() - t0)
                hits[name] += set(list(imp)[:2]) == set(tasks.IMPORTANT)
        for name in methods:
            rows.append((n, name, statistics.median(times[name]), f"{hits[name]}/{seeds}"))
        print(f"done: {n} trials", file=sys.stderr, flush=True)
    print(f"{'trials':>6} | {'method':<20} | {'s / call (median)':>17} | top-2")
    print(f"{'-' * 6}-+-{'-' * 20}-+-{'-' * 17}-+------")
    for n, name, sec, hit in rows:
        print(f"{n:>6} | {name:<20} | {sec:>17.3f} | {hit}")


if __name__ == "__main__":
    main()
