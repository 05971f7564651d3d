"""Population-based training benchmark: sturgeon's PBT against Ray Tune's
PopulationBasedTraining and against sturgeon's default multi-fidelity search, at equal compute.

    pip install -e ".[bench]"
    python benchmarks/pbt.py                                  # 3 tasks x 5 seeds, ~15 min on 2 cores
    python benchmarks/pbt.py --seeds 1 --tasks cnn_digits     # smoke run

Every optimizer gets the same total compute: ``population x epochs`` epochs of training
(counted as the epochs actually trained, in the table). The tasks (``_pbt_tasks.py``) are
small PyTorch networks on data that ships with scikit-learn; the tuned names are optimizer
values (learning rate, weight decay, momentum) that may change between epochs.

* ``sturgeon-pbt``: ``sg.pruners.PBT(population, interval, quantile=0.25,
  resample_probability=0.25, factors=(0.8, 1.2))``, the initial population spread by a
  scrambled Sobol design (``sampler="qmc"``, what the PBT docs advise; ``PBT_SAMPLER=random``
  to draw it at random instead), all members at once (``n_jobs=population`` threads), each member
  a ``TrialLoop`` (checkpoint every epoch; exploit and explore as live changes).
* ``ray-pbt``: Ray Tune's ``PopulationBasedTraining`` with the same population, interval,
  quantile, resample probability and factors (its defaults), the initial population drawn at
  random from the same ranges, a function trainable that checkpoints at every interval, all members
  at once (a quarter of a CPU each on a local Ray), ``time_attr`` the epochs trained.
* ``sturgeon-auto``: sturgeon's default search (auto sampler and pruner: TPE with median
  stopping), values fixed per trial, ``resource_budget = population x epochs``, 8 threads.

Selection is by validation loss only: PBT's result is the member with the lowest final
validation loss, the multi-fidelity search's is ``best_trial`` (completed trials). The table
shows that model's final validation loss and its test loss and error (touched once, at the
end), mean +- s.e. over seeds, the epochs trained and the wall time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _pbt_tasks import PBT_TASKS, PBTTask  # noqa: E402

OPTIMIZERS = ("sturgeon-pbt", "ray-pbt", "sturgeon-auto")
PBT_SAMPLER = os.environ.get("PBT_SAMPLER", "qmc")  # how sturgeon draws the initial population


def _result(task: PBTTask, run: Any, val: float, epochs: int, seconds: float) -> dict[str, Any]:
    scores = task.test_scores(run) if run is not None else {"test": None, "test_error": None}
    return {"val": val, **scores, "epochs": epochs, "seconds": seconds}


# -- sturgeon ------------------------------------------------------------------------------------
def _sturgeon_objective(task: PBTTask, seed: int, epochs: int, counter: list[int], lock: threading.Lock) -> Callable:
    import sturgeon as sg
    from sturgeon.integrations.torch import TrialLoop

    def objective(trial: sg.Trial) -> float:
        for name, b in task.space.items():
            trial.suggest_float(name, b.low, b.high, log=b.log)
        run = task.new(seed)
        loop = TrialLoop(trial, run.net, run.opt)
        loss = math.nan
        for epoch in loop.epochs(epochs):  # the optimizer follows trial.live_params from here
            task.train_epoch(run, epoch)
            with lock:
                counter[0] += 1
            loss = task.val_loss(run)
            if epoch == epochs - 1:
                for key, value in task.test_scores(run).items():
                    trial.set_user_attr(key, value)
            loop.report(loss)
        return loss

    return objective


def run_sturgeon(task: PBTTask, seed: int, population: int, interval: int, epochs: int, kind: str) -> dict[str, Any]:
    import sturgeon as sg

    counter, lock = [0], threading.Lock()
    objective = _sturgeon_objective(task, seed, epochs, counter, lock)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        storage = f"sqlite:///{tmp}/study.db"
        if kind == "pbt":
            pruner = sg.pruners.PBT(population_size=population, perturbation_interval=interval, seed=seed)
            study = sg.create_study(storage=storage, sampler=PBT_SAMPLER, pruner=pruner, seed=seed)
            study.optimize(objective, n_trials=population, n_jobs=population, show_progress_bar=False)
        else:
            study = sg.create_study(storage=storage, seed=seed)
            study.optimize(objective, n_jobs=population, resource_budget=population * epochs, show_progress_bar=False)
        best = study.best_trial
        seconds = time.perf_counter() - t0
        exploits = sum(c.action == "exploit" for t in study.trials for c in t.live_changes)
        return {
            "val": best.value,
            "test": best.user_attrs.get("test"),
            "test_error": best.user_attrs.get("test_error"),
            "epochs": counter[0],
            "seconds": seconds,
            "trials": len(study.trials),
            "exploits": exploits,
        }


# -- Ray Tune ------------------------------------------------------------------------------------
def run_ray(task: PBTTask, seed: int, population: int, interval: int, epochs: int) -> dict[str, Any]:
    from ray import tune
    from ray.tune.schedulers import PopulationBasedTraining
    from ray.tune.search.basic_variant import BasicVariantGenerator

    here, name = str(HERE), task.name

    def trainable(config: dict[str, Any]) -> None:
        if here not in sys.path:
            sys.path.insert(0, here)
        import _pbt_tasks

        t = _pbt_tasks.PBT_TASKS[name]
        run = t.new(seed)
        start = 0
        checkpoint = tune.get_checkpoint()
        if checkpoint is not None:
            with checkpoint.as_directory() as folder:
                start = t.load(run, folder) + 1
        t.set_values(run, config)
        for epoch in range(start, epochs):
            t.train_epoch(run, epoch)
            metrics: dict[str, Any] = {"val_loss": t.val_loss(run), "epochs_done": epoch + 1}
            if epoch == epochs - 1:
                metrics.update(t.test_scores(run))
            if (epoch + 1) % interval and epoch != epochs - 1:
                tune.report(metrics)  # checkpoints at the perturbation interval, as Ray's guide does
                continue
            with tempfile.TemporaryDirectory() as folder:
                t.save(run, folder, epoch)
                tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(folder))

    space = {
        k: (tune.loguniform(b.low, b.high) if b.log else tune.uniform(b.low, b.high)) for k, b in task.space.items()
    }

    class Count(tune.Callback):
        epochs = 0

        def on_trial_result(self, iteration: int, trials: Any, trial: Any, result: dict, **info: Any) -> None:
            Count.epochs += 1

    Count.epochs = 0
    random.seed(seed)  # Ray's explore draws from the random module
    pbt = PopulationBasedTraining(
        time_attr="epochs_done",
        perturbation_interval=interval,
        hyperparam_mutations=dict(space),
        quantile_fraction=0.25,
        resample_probability=0.25,
        perturbation_factors=(1.2, 0.8),
    )
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        tuner = tune.Tuner(
            tune.with_resources(trainable, {"cpu": 0.25}),
            param_space=space,
            tune_config=tune.TuneConfig(
                metric="val_loss",
                mode="min",
                scheduler=pbt,
                num_samples=population,
                search_alg=BasicVariantGenerator(random_state=seed),
                reuse_actors=True,
            ),
            run_config=tune.RunConfig(storage_path=tmp, name="pbt", verbose=0, callbacks=[Count()]),
        )
        grid = tuner.fit()
        best = grid.get_best_result(metric="val_loss", mode="min", scope="last")
        seconds = time.perf_counter() - t0
        m = best.metrics
        return {
            "val": m["val_loss"],
            "test": m.get("test"),
            "test_error": m.get("test_error"),
            "epochs": Count.epochs,
            "seconds": seconds,
            "trials": population,
            "exploits": None,
        }


# -- harness -------------------------------------------------------------------------------------
def run_one(opt: str, task: PBTTask, seed: int, args: argparse.Namespace) -> dict[str, Any]:
    if opt == "ray-pbt":
        return run_ray(task, seed, args.population, args.interval, args.epochs)
    return run_sturgeon(task, seed, args.population, args.interval, args.epochs, opt.split("-", 1)[1])


def _mean_se(xs: list[float]) -> str:
    xs = [x for x in xs if x is not None]
    if not xs:
        return "-"
    m = statistics.fmean(xs)
    se = statistics.stdev(xs) / math.sqrt(len(xs)) if len(xs) > 1 else 0.0
    return f"{m:.4f} ± {se:.4f}"


def table(results: dict[str, dict[str, dict[str, Any]]], tasks: list[str], optimizers: list[str]) -> str:
    lines = [
        "| task | optimizer | val loss | test loss | test error | epochs | wall s | wins vs ray (val) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for task in tasks:
        for opt in optimizers:
            rows = {k: v for k, v in results.items() if v.get("task") == task and v.get("opt") == opt}
            if not rows:
                continue
            vals = [r["val"] for r in rows.values()]
            wins = "-"
            if opt != "ray-pbt":
                pairs = [(r["val"], results.get(f"ray-pbt|{task}|{r['seed']}", {}).get("val")) for r in rows.values()]
                pairs = [(a, b) for a, b in pairs if b is not None]
                if pairs:
                    wins = f"{sum(a < b for a, b in pairs)}/{len(pairs)}"
            lines.append(
                f"| {task} | {opt} | {_mean_se(vals)} | {_mean_se([r['test'] for r in rows.values()])} | "
                f"{_mean_se([r['test_error'] for r in rows.values()])} | "
                f"{statistics.fmean(r['epochs'] for r in rows.values()):.0f} | "
                f"{statistics.fmean(r['seconds'] for r in rows.values()):.1f} | {wins} |"
            )
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tasks", default=",".join(PBT_TASKS))
    p.add_argument("--optimizers", default=",".join(OPTIMIZERS))
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--population", type=int, default=8)
    p.add_argument("--interval", type=int, default=4)
    p.add_argument("--epochs", type=int, default=32)
    p.add_argument("--out", default=None, help="JSON file of results (with --resume: keep what is there)")
    p.add_argument("--resume", action="store_true")
    args = p.parse_args()
    tasks, optimizers = args.tasks.split(","), args.optimizers.split(",")
    for t in tasks:
        if t not in PBT_TASKS:
            p.error(f"--tasks: unknown task {t!r}; known: {', '.join(PBT_TASKS)}")
    for o in optimizers:
        if o not in OPTIMIZERS:
            p.error(f"--optimizers: unknown optimizer {o!r}; known: {', '.join(OPTIMIZERS)}")
    results: dict[str, dict[str, Any]] = {}
    out = Path(args.out) if args.out else None
    if out is not None and args.resume and out.exists():
        results = json.loads(out.read_text())
    if "ray-pbt" in optimizers:
        os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
        os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")
        import ray

        ray.init(num_cpus=os.cpu_count() or 2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    import torch

    torch.set_num_threads(1)
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        for task_name in tasks:
            for opt in optimizers:
                key = f"{opt}|{task_name}|{seed}"
                if key in results:
                    continue
                r = run_one(opt, PBT_TASKS[task_name], seed, args)
                r.update(opt=opt, task=task_name, seed=seed)
                results[key] = r
                print(
                    f"{key}: val {r['val']:.4f} test {r['test']:.4f} err {r['test_error']:.4f} "
                    f"epochs {r['epochs']} {r['seconds']:.1f}s exploits {r['exploits']}",
                    flush=True,
                )
                if out is not None:
                    out.write_text(json.dumps(results, indent=1))
    print()
    print(
        f"population {args.population}, interval {args.interval} epochs, {args.epochs} epochs per member "
        f"({args.population * args.epochs} epochs per run), seeds {args.first_seed}..{args.first_seed + args.seeds - 1}"
    )
    print(table(results, tasks, optimizers))


if __name__ == "__main__":
    main()
