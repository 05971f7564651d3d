"""Multi-fidelity benchmark: sturgeon's pruners against Optuna's pruners and DEHB on real
learning curves trained on this machine, side by side, in one run.

    pip install -e ".[bench]"                          # optuna, dehb, torch, scikit-learn
    python benchmarks/multifidelity.py --quick         # smoke run: 2 seeds, budget 10, every task
    python benchmarks/multifidelity.py --out benchmarks/results/multifidelity.json        # the full run
    python benchmarks/multifidelity.py --out benchmarks/results/multifidelity.json --resume  # continue it
    python benchmarks/multifidelity.py --from-json benchmarks/results/multifidelity.json  # re-print

Tasks (``--tasks``; see ``_mf_tasks.py``): a synthetic learning-curve task with a known optimum
(curves that cross) and three models trained epoch by epoch on data that ships with
scikit-learn: an sklearn MLP (partial_fit) and a PyTorch CNN on digits, gradient boosting
(warm_start, trees per step) on breast cancer. Every task has a fixed train / validation /
test split and ``max_resource`` = 27 epochs; the optimizers see validation scores only.

Optimizers (``--optimizers``, default every one available; see ``_mf_peers.py``): random
(sturgeon's random sampler, full trainings: the baseline), optuna-median, optuna-sh,
optuna-hyperband (TPE + Optuna's pruners), dehb, and ``sturgeon-<pruner>[@<sampler>]`` for
sturgeon's pruners (sampler "auto" unless given; a pruner sturgeon does not have yet is skipped).

Resource accounting is the harness's own, the same for every optimizer: every epoch any of
them trains is counted, a full training = ``max_resource`` epochs, and a run stops at the epoch
that reaches ``--budget`` full trainings (the training step after the cap raises). The anytime
incumbent is the best validation score among the evaluations trained to ``max_resource`` so far
(lower-fidelity scores never count as results).

Metrics at 10, 30 and 100 full trainings (those <= --budget), direction-aware:

* normalized regret = (incumbent - optimum) / (median over seeds of random's incumbent -
  optimum); the optimum of a real task is the best full-fidelity validation value any optimizer
  reached in the run (the curves do not depend on the run seed), of the synthetic task known.
  Per task mean +- standard error over seeds; mean and median over tasks; mean rank in [0, 1].
* resource to reach random's median incumbent at the full budget: per run, the full trainings
  spent when its incumbent first reached it; per task the median over seeds (">B": not reached
  in most seeds); speed-up = random's median / the optimizer's.
* test score (same metric on the task's test split) of the configuration each run names best at
  the end, mean over seeds.

Each (task, optimizer, seed) is one run in a worker process (``--jobs``), every library on one
thread. ``--out`` is rewritten after each run; ``--resume`` skips the runs it holds.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import importlib.metadata
import json
import math
import os
import shlex
import signal
import statistics
import sys
import time
import traceback
from collections import defaultdict
from pathlib import Path
from typing import Any

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _mf_peers  # noqa: E402
import _mf_tasks  # noqa: E402
import samplers as _sb  # noqa: E402  (shared helpers: tables, ranks, saving, machine facts)

BASELINE = "random"
REPORT_BUDGETS = (10, 30, 100)
QUICK_BUDGET = 10
TRAIN_SEED = 0  # the models' own seed, the same in every run: the curves depend on the parameters only
PACKAGES = ("sturgeon", "optuna", "DEHB", "ConfigSpace", "torch", "scikit-learn", "numpy", "scipy")
# the up-front estimate, measured in a one-seed default run with --jobs 2 on a 2-core VM (13.1 min):
# seconds of training per full training in a run (the optimizers drift to costlier configurations,
# e.g. small batches, than random search's average), and an optimizer's own cost per training step in
# ms over a 100-full-training run (it grows with the number of trials; sturgeon's "auto" sampler is a GP)
EST_FULL_S = {"curves": 0.002, "mlp_digits": 0.25, "cnn_digits": 0.76, "gb_cancer": 0.15}
EST_STEP_MS = {
    "random": 0.02,
    "dehb": 0.15,
    "optuna-hyperband": 1.2,
    "optuna-sh": 3.3,
    "optuna-median": 4.9,
    "sturgeon-median": 5.8,
    "sturgeon-hyperband": 6.7,
    "sturgeon-auto": 12.4,
    "sturgeon-asha": 14.3,
}
EST_STEP_MS_DEFAULT = 10.0
EST_RUN_S = 1.5  # per run: a worker's imports (torch, optuna, dehb), data loading, study set-up


# -- running -----------------------------------------------------------------------------------
def run_one(task_name: str, optimizer: str, seed: int, budget: int) -> dict[str, Any]:
    """One run: the optimizer trains through a fresh Meter until ``budget`` full trainings."""
    task = _mf_tasks.get_mf_task(task_name)
    opt = _mf_peers.get_optimizer(optimizer)
    opt.prepare()
    task.warm()
    meter = _mf_peers.Meter(task, cap=budget * task.max_resource, train_seed=TRAIN_SEED)
    error = None
    t0 = time.perf_counter()
    try:
        opt.run(task, meter, seed)
    except _mf_peers.BudgetExhaustedError:
        pass
    except Exception as e:  # one failed run must not end the benchmark
        error = f"{type(e).__name__}: {e} | " + " / ".join(traceback.format_exc().strip().splitlines()[-3:])
    wall = time.perf_counter() - t0
    notes = meter.notes
    if error is None and meter.steps < meter.cap:
        notes["stopped_before_cap"] = True
    return {
        "task": task_name,
        "optimizer": optimizer,
        "seed": seed,
        "budget": budget,
        "max_resource": task.max_resource,
        "curve": meter.curve,
        "steps": meter.steps,
        "started": meter.started,
        "resumed": meter.resumed,
        "full": meter.full,
        "wall_s": wall,
        "train_s": meter.train_s,
        "test_s": meter.test_s,
        "notes": notes,
        "error": error,
    }


def machine_facts() -> dict[str, Any]:
    facts = _sb.machine_facts()
    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            versions[pkg] = None
    facts["packages"] = versions
    return facts


def estimate_seconds(tasks: list[str], optimizers: list[str], seeds: int, budget: int, jobs: int) -> float:
    """A rough wall-time estimate: training time plus the optimizers' own cost per step."""
    total = 0.0
    for t in tasks:
        steps = budget * _mf_tasks.MAX_RESOURCE
        for o in optimizers:
            ms = EST_STEP_MS.get(o, EST_STEP_MS_DEFAULT) * min(1.0, budget / 100) ** 0.5  # fewer trials, cheaper
            per_step = EST_FULL_S.get(t, 0.5) / _mf_tasks.MAX_RESOURCE + ms / 1000
            total += seeds * (steps * per_step + EST_RUN_S)
    return total / max(1, min(jobs, os.cpu_count() or 1))


def run_all(args: argparse.Namespace, tasks: list[str], optimizers: list[str], data: dict[str, Any]) -> None:
    """Run every missing (task, optimizer, seed), appending to data["runs"] (saved after each)."""
    out = Path(args.out) if args.out else None
    have = {(r["task"], r["optimizer"], r["seed"]) for r in data["runs"]}
    first = args.first_seed
    cost = {t: EST_FULL_S.get(t, 0.5) for t in tasks}
    jobs = [
        (t, o, s) for s in range(first, first + args.seeds) for t in tasks for o in optimizers if (t, o, s) not in have
    ]
    jobs.sort(key=lambda j: (j[2], -cost[j[0]]))  # seed by seed; within a seed the costly tasks first
    n, done, t_start = len(jobs), 0, time.perf_counter()

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    pool = cf.ProcessPoolExecutor(max_workers=args.jobs, initializer=_sb._worker_init)
    try:
        futures = [pool.submit(run_one, t, o, s, args.budget) for t, o, s in jobs]
        for fut in cf.as_completed(futures):
            r = fut.result()
            r["date_utc"] = _sb._now()
            if r["optimizer"] == BASELINE or r["optimizer"].startswith("sturgeon-"):
                r["sturgeon_commit"] = args.commit
            data["runs"].append(r)
            done += 1
            best = r["curve"][-1][1] if r["curve"] else float("nan")
            status = f"ERROR {r['error']}" if r["error"] else f"best {best:.5g}"
            print(
                f"[{done}/{n} {time.perf_counter() - t_start:6.0f}s] {r['task']:<11} {r['optimizer']:<20} "
                f"seed {r['seed']}: {status} ({r['wall_s']:.1f}s, {r['started']} trainings, {r['full']} full)",
                file=sys.stderr,
                flush=True,
            )
            _sb._save(out, data)
    except KeyboardInterrupt:
        data["meta"]["interrupted"] = True
        print(f"interrupted: {done} of {n} runs done; printing what there is", file=sys.stderr)
        for p in list(getattr(pool, "_processes", {}).values()):
            p.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
    else:
        pool.shutdown()
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    data["meta"]["elapsed_s"] = data["meta"].get("elapsed_s", 0.0) + time.perf_counter() - t_start
    data["meta"]["load_avg_end"] = _sb._loadavg()
    _sb._save(out, data)


# -- analysis ----------------------------------------------------------------------------------
def report_budgets(budget: int) -> list[int]:
    budgets = [b for b in REPORT_BUDGETS if b < budget]
    budgets.append(budget)
    if len(budgets) < 2 and budget >= 3:
        budgets.insert(0, max(1, round(budget / 3)))
    return budgets


def incumbent(curve: list[list[Any]], steps: float, sign: float) -> float | None:
    """The run's best full-fidelity validation value (as a loss: sign * value) within ``steps``."""
    best = None
    for s, v, *_ in curve:
        if s <= steps:
            best = sign * v
    return best


def reach(curve: list[list[Any]], target: float, sign: float, max_resource: int) -> float:
    """Full trainings spent when the incumbent first reached ``target`` (a loss); inf if never."""
    tol = 1e-12 * max(1.0, abs(target))
    for s, v, *_ in curve:
        if sign * v <= target + tol:
            return s / max_resource
    return math.inf


def _mean_se(xs: list[float]) -> tuple[float | None, float | None]:
    if not xs:
        return None, None
    m = statistics.fmean(xs)
    se = statistics.stdev(xs) / math.sqrt(len(xs)) if len(xs) > 1 else None
    return m, se


def analyse(data: dict[str, Any]) -> dict[str, Any]:
    """Tables (as nested dicts) from the raw runs."""
    meta = data["meta"]
    budget = meta["budget"]
    budgets = report_budgets(budget)
    info = meta["task_info"]
    ok = [r for r in data["runs"] if not r["error"]]
    tasks = [t for t in meta["tasks"] if any(r["task"] == t for r in ok)]
    optimizers = [o for o in meta["optimizers"] if any(r["optimizer"] == o for r in ok)]
    runs: dict[tuple[str, str], dict[int, list[list[Any]]]] = defaultdict(dict)
    for r in ok:
        runs[(r["task"], r["optimizer"])][r["seed"]] = r["curve"]
    a: dict[str, Any] = {"budgets": budgets, "tasks": tasks, "optimizers": optimizers}
    optimum, source, seeds_of, rmed = {}, {}, {}, defaultdict(dict)
    for t in tasks:
        sign = 1.0 if info[t]["direction"] == "minimize" else -1.0
        if info[t]["optimum"] is not None:
            optimum[t], source[t] = sign * info[t]["optimum"], "known"
        else:
            finals = [sign * c[-1][1] for (tt, _), by in runs.items() if tt == t for c in by.values() if c]
            optimum[t], source[t] = (min(finals) if finals else None), "best seen"
        # compare optimizers on the seeds every one of them finished on this task (one that failed
        # every run here is left out of it rather than emptying it)
        common = [set(runs[(t, o)]) for o in optimizers if runs.get((t, o))]
        seeds_of[t] = sorted(set.intersection(*common)) if common else []
    regret: dict[int, dict[str, dict[str, dict[str, Any]]]] = {}
    ranks: dict[int, dict[str, list[float]]] = {}
    missing: dict[int, dict[tuple[str, str], int]] = {}
    for b in budgets:
        regret[b], ranks[b], missing[b] = {}, defaultdict(list), defaultdict(int)
        for t in tasks:
            sign, big_r, opt = (
                (1.0 if info[t]["direction"] == "minimize" else -1.0),
                info[t]["max_resource"],
                optimum[t],
            )
            seeds = seeds_of[t]
            here = [o for o in optimizers if runs.get((t, o))]
            inc = {o: {s: incumbent(runs[(t, o)][s], b * big_r, sign) for s in seeds} for o in here}
            inc.update({o: {} for o in optimizers if o not in here})
            base = [v for v in inc.get(BASELINE, {}).values() if v is not None]
            med = statistics.median(base) if base else None
            rmed[b][t] = None if med is None else sign * med
            scale = med - opt if med is not None and opt is not None else None
            if scale is not None and scale <= 1e-12 * max(1.0, abs(opt)):
                scale = None
            regret[b][t] = {}
            for o in optimizers:
                vals = {s: (v - opt) / scale for s, v in inc[o].items() if v is not None and scale is not None}
                missing[b][(t, o)] = sum(v is None for v in inc[o].values())
                m, se = _mean_se(list(vals.values()))
                regret[b][t][o] = {"mean": m, "se": se, "by_seed": vals}
            for s in seeds:
                scores = {o: (inc[o][s] if inc[o][s] is not None else math.inf) for o in here}
                if len(scores) > 1:
                    for o, rk in _sb._ranks(scores).items():
                        ranks[b][o].append((rk - 1) / (len(scores) - 1))
    a.update(optimum=optimum, source=source, seeds_of=seeds_of, random_median=rmed, regret=regret)
    a.update(ranks=ranks, missing=missing)
    # over tasks: per-seed means over tasks give the standard error
    summary: dict[int, dict[str, dict[str, Any]]] = {}
    for b in budgets:
        summary[b] = {}
        for o in optimizers:
            per_task = [regret[b][t][o]["mean"] for t in tasks if regret[b][t][o]["mean"] is not None]
            by_seed: dict[int, list[float]] = defaultdict(list)
            for t in tasks:
                for s, v in regret[b][t][o]["by_seed"].items():
                    by_seed[s].append(v)
            full_seeds = [statistics.fmean(v) for v in by_seed.values() if len(v) == len(per_task)]
            _, se = _mean_se(full_seeds)
            summary[b][o] = {
                "mean": statistics.fmean(per_task) if per_task else None,
                "se": se,
                "median": statistics.median(per_task) if per_task else None,
                "n_tasks": len(per_task),
                "rank": statistics.fmean(ranks[b][o]) if ranks[b][o] else None,
            }
    a["summary"] = summary
    # resource to reach random's median incumbent at the full budget, and the final test scores
    to_reach: dict[str, dict[str, float | None]] = {}
    test: dict[str, dict[str, dict[str, Any]]] = {}
    for t in tasks:
        sign, big_r = (1.0 if info[t]["direction"] == "minimize" else -1.0), info[t]["max_resource"]
        target = rmed[budget].get(t)
        to_reach[t], test[t] = {}, {}
        for o in optimizers:
            curves = [runs[(t, o)][s] for s in seeds_of[t] if s in runs.get((t, o), {})]
            if target is None or not curves:
                to_reach[t][o] = None
            else:
                # the lower median: with an even number of seeds, the better of the middle two
                to_reach[t][o] = statistics.median_low([reach(c, sign * target, sign, big_r) for c in curves])
            finals = [c[-1] for c in curves if c]
            tm, tse = _mean_se([f[2] for f in finals])
            errs = [f[3] for f in finals if f[3] is not None]
            test[t][o] = {"mean": tm, "se": tse, "error": statistics.fmean(errs) if errs else None}
    a["to_reach"], a["test"] = to_reach, test
    stats: dict[str, dict[str, Any]] = {}
    for o in optimizers:
        rs = [r for r in data["runs"] if r["optimizer"] == o]
        good = [r for r in rs if not r["error"] and r["steps"]]
        per_step = [(r["wall_s"] - r["train_s"] - r["test_s"]) / r["steps"] for r in good]
        stats[o] = {
            "runs": len(rs),
            "failed": len(rs) - len([r for r in rs if not r["error"]]),
            "started": statistics.fmean(r["started"] for r in good) if good else None,
            "resumed": statistics.fmean(r["resumed"] for r in good) if good else None,
            "full": statistics.fmean(r["full"] for r in good) if good else None,
            "overhead_ms": 1000 * statistics.fmean(per_step) if per_step else None,
            "total_s": sum(r["wall_s"] for r in rs),
            "short": sum(1 for r in good if r["notes"].get("stopped_before_cap")),
            "errors": sorted({r["error"] for r in rs if r["error"]})[:3],
        }
    a["stats"] = stats
    return a


# -- printing ----------------------------------------------------------------------------------
def _pm(m: float | None, se: float | None, digits: int = 3) -> str:
    if m is None:
        return "-"
    return f"{m:.{digits}f}" + (f" ± {se:.{digits}f}" if se is not None else "")


def _res(x: float | None, budget: int) -> str:
    if x is None:
        return "-"
    return f">{budget}" if math.isinf(x) else f"{x:.1f}"


def _speedup(base: float | None, x: float | None, budget: int) -> tuple[str, tuple[float, float] | None]:
    """The cell and (lower, upper) bounds of the speed-up: an optimizer that never reached the
    target has a speed-up in [0, base / budget)."""
    if base is None or x is None or math.isinf(base):
        return "-", None
    if math.isinf(x):
        return f"<{base / budget:.2f}", (0.0, base / budget)
    return f"{base / x:.2f}", (base / x, base / x)


def _median_speedup(bounds: list[tuple[float, float]]) -> str:
    if not bounds:
        return "-"
    lo, hi = statistics.median(b[0] for b in bounds), statistics.median(b[1] for b in bounds)
    return f"{lo:.2f}x" if hi - lo < 5e-3 else f"{lo:.2f}-{hi:.2f}x"


def report(data: dict[str, Any], reprinted_by: str | None = None) -> str:
    meta = data["meta"]
    a = analyse(data)
    budget = meta["budget"]
    lines: list[str] = []
    add = lines.append
    add(f"command: {meta['command']}")
    if reprinted_by:
        add(f"re-printed from JSON by: {reprinted_by}")
    m = meta["machine"]
    add(f"machine: {m['cpu']}, {m['logical_cpus']} logical CPUs, {m['platform']}, Python {m['python']}")
    add(f"packages: {', '.join(f'{k} {v}' for k, v in m['packages'].items() if v)}; sturgeon commit {meta['commit']}")
    add(
        f"date (UTC): {m['date_utc']}; jobs: {meta['jobs']} worker processes, one thread each; "
        f"load average at start {m['load_avg_start']}, at end {meta.get('load_avg_end')}"
    )
    s0 = meta["first_seed"]
    n_runs = len(meta["tasks"]) * len(meta["optimizers"]) * meta["seeds"]
    add(
        f"seeds: {meta['seeds']} ({s0}..{s0 + meta['seeds'] - 1}); budget: {budget} full trainings per run; "
        f"runs: {len(data['runs'])} of {n_runs}; elapsed {_sb._f(meta.get('elapsed_s'), 0)} s"
        + ("; INTERRUPTED (partial results)" if meta.get("interrupted") else "")
    )
    for res in meta.get("resumed", []):
        add(f"continued, {res['date_utc']}: {res['command']}")
    add(f"optimizers: {', '.join(meta['optimizers'])}")
    for note in meta.get("skipped", []):
        add(f"  not run: {note}")
    add("")

    rows = []
    for t in a["tasks"]:
        ti = meta["task_info"][t]
        rows.append(
            [
                t,
                ti["direction"][:3],
                str(ti["dims"]),
                str(ti["max_resource"]),
                _sb._g(
                    None if a["optimum"][t] is None else (1 if ti["direction"] == "minimize" else -1) * a["optimum"][t]
                ),
                a["source"][t],
                *(_sb._g(a["random_median"][b].get(t)) for b in a["budgets"]),
                str(len(a["seeds_of"][t])),
            ]
        )
    add("Tasks (validation metric; optimum known or the best full-fidelity value any optimizer reached)")
    add("")
    header = ["task", "dir", "dims", "epochs", "optimum", "source", *(f"random median @{b}" for b in a["budgets"])]
    add(_sb._table([*header, "seeds"], rows))
    add("")
    for t in a["tasks"]:
        add(f"  {t}: {meta['task_info'][t]['description']}; {meta['task_info'][t]['metric']}")
    add("")

    opts = a["optimizers"]
    for b in a["budgets"]:
        add(f"Normalized regret at {b} full trainings (mean ± s.e. over seeds; 0 = optimum, 1 = random's median)")
        add("")
        rows = []
        for t in a["tasks"]:
            cells = []
            for o in opts:
                c = a["regret"][b][t][o]
                miss = a["missing"][b][(t, o)]
                cells.append(_pm(c["mean"], c["se"]) + (f" ({miss} none)" if miss else ""))
            rows.append([t, *cells])
        sm = a["summary"][b]
        rows.append(["**mean over tasks**", *(_pm(sm[o]["mean"], sm[o]["se"]) for o in opts)])
        rows.append(["**median over tasks**", *(_sb._f(sm[o]["median"]) for o in opts)])
        rows.append(["**mean rank [0-1]**", *(_sb._f(sm[o]["rank"]) for o in opts)])
        add(_sb._table(["task", *opts], rows))
        add("")
    add("'(k none)': k seeds had no full-fidelity result yet (left out of the mean, ranked last). Mean rank:")
    add("per task and seed, optimizers ranked by incumbent (ties share), scaled to [0, 1] (0 = best).")
    add("s.e. of the mean over tasks: over the seeds' means over tasks.")
    add("")

    add(f"Full trainings needed to reach random's median incumbent at {budget} (lower median over seeds;")
    add(f"(speed-up = random's / this); '>{budget}': not reached in most seeds)")
    add("")
    rows, speedups = [], defaultdict(list)
    for t in a["tasks"]:
        base = a["to_reach"][t].get(BASELINE)
        cells = []
        for o in opts:
            x = a["to_reach"][t][o]
            cell, num = _speedup(base, x, budget)
            if num is not None:
                speedups[o].append(num)
            cells.append(_res(x, budget) + (f" ({cell}x)" if cell != "-" and o != BASELINE else ""))
        rows.append([t, *cells])
    med_res = []
    for o in opts:
        xs = [a["to_reach"][t][o] for t in a["tasks"] if a["to_reach"][t][o] is not None]
        med_res.append(_res(statistics.median(xs), budget) if xs else "-")
    rows.append(["**median over tasks**", *med_res])
    rows.append(
        [
            "**median speed-up**",
            *(_median_speedup(speedups[o]) for o in opts),
        ]
    )
    add(_sb._table(["task", *opts], rows))
    add("")

    add(f"Test score of each run's best configuration at {budget} (mean ± s.e. over seeds; test error in brackets)")
    add("")
    rows = []
    for t in a["tasks"]:
        cells = []
        for o in opts:
            c = a["test"][t][o]
            cells.append(_pm(c["mean"], c["se"]) + (f" ({100 * c['error']:.1f}%)" if c["error"] is not None else ""))
        rows.append([t, *cells])
    add(_sb._table(["task", *opts], rows))
    add("")

    rows = []
    for o in opts:
        st = a["stats"][o]
        rows.append(
            [
                o,
                str(st["runs"]),
                str(st["failed"]),
                _sb._f(st["started"], 1),
                _sb._f(st["resumed"], 1),
                _sb._f(st["full"], 1),
                _sb._f(st["overhead_ms"], 2),
                _sb._f(st["total_s"], 0),
            ]
        )
    add("Per run (means over runs): trainings started from scratch, resumed from a checkpoint, full-fidelity")
    add("evaluations; the optimizer's own cost per training step (wall - training - test scoring) / steps")
    add("")
    add(_sb._table(["optimizer", "runs", "failed", "started", "resumed", "full", "ms/step", "total s"], rows))
    for o in opts:
        st = a["stats"][o]
        if st["short"]:
            add(f"  {o}: {st['short']} runs stopped before the cap (the optimizer ended by itself)")
        for e in st["errors"]:
            add(f"  {o} error: {e}")
    for o in opts:
        notes = [r["notes"] for r in data["runs"] if r["optimizer"] == o and r["notes"]]
        if o.startswith("sturgeon-") and notes:
            n = notes[0]
            add(
                f"  {o}: checkpoints {'saved' if n.get('checkpoints') else 'not available'}, resource_budget "
                f"{'passed' if n.get('resource_budget') else 'not available'}; "
                f"resumes per run {statistics.fmean(x.get('resumes', 0) for x in notes):.1f}"
            )
    return "\n".join(lines)


# -- command line ------------------------------------------------------------------------------
def _split(s: str | None) -> list[str] | None:
    return [x.strip() for x in s.split(",") if x.strip()] if s else None


def _task_info(tasks: dict[str, _mf_tasks.MFTask], names: list[str]) -> dict[str, Any]:
    return {
        t: {
            "kind": tasks[t].kind,
            "direction": tasks[t].direction,
            "dims": len(tasks[t].space),
            "max_resource": tasks[t].max_resource,
            "optimum": tasks[t].optimum,
            "metric": tasks[t].metric,
            "description": tasks[t].description,
        }
        for t in names
    }


def _combine(datas: list[dict[str, Any]]) -> dict[str, Any]:
    """Several saved runs as one (same budget): runs keyed by (task, optimizer, seed), later wins."""
    meta = dict(datas[0]["meta"])
    runs: dict[tuple[str, str, int], dict[str, Any]] = {}
    for d in datas:
        m = d["meta"]
        if m["budget"] != meta["budget"]:
            raise SystemExit("--from-json: the files have different budgets")
        if d is not datas[0]:
            _sb._widen(meta, m)
            meta["elapsed_s"] = (meta.get("elapsed_s") or 0.0) + (m.get("elapsed_s") or 0.0)
        for r in d["runs"]:
            runs[(r["task"], r["optimizer"], r["seed"])] = r
    return {"meta": meta, "runs": list(runs.values())}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seeds", type=int, default=5, help="seeds FIRST..FIRST+N-1 per (task, optimizer) (default 5)")
    p.add_argument("--first-seed", type=int, default=0, help="the first seed (default 0)")
    p.add_argument("--budget", type=int, default=100, help="full-training equivalents per run (default 100)")
    p.add_argument("--tasks", help=f"comma list (default all): {', '.join(_mf_tasks.MF_TASKS)}")
    p.add_argument(
        "--optimizers",
        help=f"comma list (default every one available): {', '.join(_mf_peers.known_names())}, "
        "or sturgeon-<pruner>@<sampler>",
    )
    p.add_argument("--jobs", type=int, default=2, help="parallel worker processes (default 2)")
    p.add_argument("--out", help="write all raw results to this JSON file (rewritten after each run)")
    p.add_argument("--resume", action="store_true", help="continue the run saved in --out: run only the missing runs")
    p.add_argument("--rerun", help="with --resume: comma list of optimizers whose saved runs are run again")
    p.add_argument("--from-json", nargs="+", metavar="JSON", help="print the tables of saved run(s) instead of running")
    p.add_argument("--quick", action="store_true", help=f"smoke run: 2 seeds, budget {QUICK_BUDGET}, every task")
    p.add_argument("--estimate", action="store_true", help="print the rough run-time estimate and exit")
    args = p.parse_args(argv)
    command = shlex.join([sys.executable, *sys.argv]) if argv is None else shlex.join(["multifidelity.py", *argv])

    if args.from_json:
        print(report(_combine([json.loads(Path(f).read_text()) for f in args.from_json]), reprinted_by=command))
        return 0
    if args.quick:
        args.seeds, args.budget = 2, QUICK_BUDGET
    if args.seeds < 1 or args.budget < 1 or args.jobs < 1:
        p.error("--seeds, --budget and --jobs must be >= 1")
    all_tasks = _mf_tasks.make_mf_tasks()
    tasks = _split(args.tasks) or list(all_tasks)
    unknown = [t for t in tasks if t not in all_tasks]
    if unknown:
        p.error(f"unknown task(s) {unknown}; known: {', '.join(all_tasks)}")
    optimizers, skipped = [], []
    for o in dict.fromkeys(_split(args.optimizers) or _mf_peers.known_names()):
        ok, why = _mf_peers.available(o)
        if ok:
            optimizers.append(o)
        else:
            skipped.append(why)
    if BASELINE not in optimizers:
        skipped.append(f"'{BASELINE}' (the normalization baseline) is not in --optimizers: no normalized regret")
    if not optimizers:
        p.error("no optimizer to run")

    est = estimate_seconds(tasks, optimizers, args.seeds, args.budget, args.jobs)
    print(f"command: {command}", file=sys.stderr)
    print(
        f"{len(tasks)} tasks x {len(optimizers)} optimizers x {args.seeds} seeds x {args.budget} full trainings; "
        f"rough estimate {est / 60:.1f} min with {args.jobs} jobs",
        file=sys.stderr,
    )
    for note in skipped:
        print(f"  not run: {note}", file=sys.stderr)
    if args.estimate:
        return 0
    args.commit = _sb._git_commit()
    data: dict[str, Any] = {
        "meta": {
            "command": command,
            "machine": machine_facts(),
            "commit": args.commit,
            "seeds": args.seeds,
            "first_seed": args.first_seed,
            "budget": args.budget,
            "jobs": args.jobs,
            "train_seed": TRAIN_SEED,
            "tasks": tasks,
            "optimizers": optimizers,
            "skipped": skipped,
            "estimate_s": est,
            "task_info": _task_info(all_tasks, tasks),
        },
        "runs": [],
    }
    if args.resume:
        if not args.out:
            p.error("--resume needs --out (the saved run to continue)")
        if Path(args.out).exists():
            old = json.loads(Path(args.out).read_text())
            om = old["meta"]
            if om["budget"] != args.budget:
                p.error("--resume: the saved run has another --budget")
            rerun = _split(args.rerun) or []
            old["runs"] = [
                r for r in old["runs"] if not r["error"] and r["optimizer"] not in rerun and r["task"] in all_tasks
            ]
            _sb._widen(om, data["meta"])
            om["skipped"] = skipped
            om.pop("interrupted", None)
            om.setdefault("resumed", []).append({"command": command, "date_utc": _sb._now(), "commit": args.commit})
            data = old
            print(f"resuming {args.out}: {len(data['runs'])} finished runs kept", file=sys.stderr)
    elif args.rerun:
        p.error("--rerun needs --resume")
    run_all(args, tasks, optimizers, data)
    print(report(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
