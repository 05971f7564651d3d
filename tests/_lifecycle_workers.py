"""Worker programs for tests/test_lifecycle.py, run as separate processes.

The objective trains a toy "model" whose whole state is a JSON file (the step it reached and a
running sum of its reports) saved with ``trial.checkpoint(step)`` before it asks the pruner, and
loaded from ``trial.latest_checkpoint()`` when the trial is resumed. Each run of a trial records
what it loaded and where it started in a user attribute ``run_from_<resumed step or 'start'>``,
so the test can check that a resumed trial went on from its saved state.

    python _lifecycle_workers.py promote URL NAME N_TRIALS SEED
    python _lifecycle_workers.py hang URL NAME
    python _lifecycle_workers.py resume URL NAME N_TRIALS

Each prints one JSON line ``{"steps": <steps its objectives reported>}`` when it returns.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Container

import sturgeon as sg
from sturgeon.pruners import SuccessiveHalvingPruner

STEPS = 9
HANG_STEP = 3  # ``hang``: the step after which the trials hang until killed
NO_CHECKPOINT = (1,)  # ``hang``: trials that never save a checkpoint


def curve(x: float, step: int) -> float:
    """The report at ``step``: proportional to the final value, better (lower) with more steps."""
    return x * (1.0 + 1.0 / (step + 1))


def run_key(resumed_step: int | None) -> str:
    return f"run_from_{'start' if resumed_step is None else resumed_step}"


def halving() -> SuccessiveHalvingPruner:
    return SuccessiveHalvingPruner(min_resource=1, reduction_factor=3, max_resource=STEPS)


class Objective:
    """The toy training loop; ``steps`` counts the reports its runs made in this process."""

    def __init__(self, *, hang: bool = False, no_checkpoint: Container[int] = ()) -> None:
        self.hang = hang
        self.no_checkpoint = no_checkpoint
        self.steps = 0
        self._lock = threading.Lock()  # optimize(n_jobs > 1) runs it in several threads

    def __call__(self, trial: sg.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        start, total, loaded = 0, 0.0, None
        if trial.resumed_step is not None:
            folder = trial.latest_checkpoint()
            assert folder is not None
            loaded = json.loads((folder / "state.json").read_text())
            start, total = loaded["step"] + 1, loaded["sum"]
        run = {"pid": os.getpid(), "resumed_step": trial.resumed_step, "loaded": loaded, "first_step": None}
        value = float("nan")
        for step in range(start, STEPS):
            value = curve(x, step)
            trial.report(value, step)
            with self._lock:
                self.steps += 1
            if run["first_step"] is None:
                run["first_step"] = step
            total += value
            if trial.number not in self.no_checkpoint:
                with trial.checkpoint(step) as folder:
                    (folder / "state.json").write_text(json.dumps({"step": step, "sum": total}))
            if self.hang and step == HANG_STEP:
                print(f"hanging {trial.number}", flush=True)
                time.sleep(600)
            if trial.should_prune():
                trial.set_user_attr(run_key(trial.resumed_step), run)
                raise sg.TrialPruned()
        trial.set_user_attr(run_key(trial.resumed_step), run)
        trial.set_user_attr("final_sum", total)
        return value


def _done(objective: Objective) -> None:
    print(json.dumps({"steps": objective.steps}), flush=True)


def promote(url: str, name: str, n_trials: int, seed: int) -> None:
    """Run ``n_trials`` new trials under successive halving with pause and promotion."""
    study = sg.load_study(name=name, storage=url, sampler="random", pruner=halving(), seed=seed)
    objective = Objective()
    study.optimize(objective, n_trials=n_trials)
    _done(objective)


def hang(url: str, name: str) -> None:
    """Two threads start trials 0 and 1; both hang after step ``HANG_STEP`` until killed.
    Trial 0 has checkpoints by then, trial 1 none."""
    study = sg.load_study(name=name, storage=url, sampler="random", pruner=None, seed=0)
    study.optimize(Objective(hang=True, no_checkpoint=NO_CHECKPOINT), n_trials=2, n_jobs=2, heartbeat_interval=0.2)


def resume(url: str, name: str, n_trials: int) -> None:
    """Go on with the study: resume what can be resumed, then run ``n_trials`` new trials."""
    study = sg.load_study(name=name, storage=url, sampler="random", pruner=None, seed=0)
    objective = Objective(no_checkpoint=NO_CHECKPOINT)
    study.optimize(objective, n_trials=n_trials, heartbeat_interval=0.2)
    _done(objective)


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "promote":
        promote(args[0], args[1], int(args[2]), int(args[3]))
    elif mode == "hang":
        hang(args[0], args[1])
    elif mode == "resume":
        resume(args[0], args[1], int(args[2]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")
