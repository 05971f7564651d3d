"""Sampler benchmark: sturgeon's samplers against Optuna, scikit-optimize, Hyperopt (and SMAC3),
side by side, in one run.

    pip install -e ".[bench]"                         # the peer libraries
    python benchmarks/samplers.py --quick             # smoke run: 3 seeds, budget 20, 3 tasks
    python benchmarks/samplers.py --seeds 3 --budget 50 --optimizers random,auto,optuna-tpe,optuna-gp \\
        --out benchmarks/results/samplers-medium.json
    python benchmarks/samplers.py --from-json benchmarks/results/samplers-medium.json   # re-print

Optimizers (``--optimizers``, default: every one available here): every sturgeon sampler
registered in ``sturgeon.samplers.SAMPLERS`` except "grid", by its name ("random", "auto",
and "tpe", "gp", "qmc", "cmaes", "coarse_to_fine" once registered; a name not registered yet
is skipped with a note), and the peers optuna-tpe, optuna-gp, optuna-cmaes, optuna-random,
skopt-gp, hyperopt, smac (see ``_peers.py``; a peer whose library is missing is skipped).

Tasks (``--tasks``; see ``_tasks.py``): synthetic functions with known optima (Branin,
Hartmann-6, Ackley-5 on the shifted box [-15, 30]^5, Rosenbrock-4, Levy-6, a mixed
float/int/categorical function, a conditional space) and scikit-learn models scored by 3-fold
cross-validation on data sets that ship with scikit-learn (the optimum of a real task is the
best value any optimizer saw in the run; its evaluations are memoized per worker process).

Each (task, optimizer, seed) is one run of ``--budget`` trials, in a worker process
(``--jobs``), every library single-threaded (OMP / MKL / OpenBLAS / torch threads = 1). The
best-so-far after 20, 50 and 100 trials (those <= budget) comes from that one run.

Metrics, per budget b:

* normalized regret = (best found by trial b - optimum) / (median over seeds of sturgeon
  "random"'s best by trial b - optimum): 0 is the optimum, 1 is random search's median.
  Per task, the mean over seeds; summary rows: mean and median over tasks. A task where the
  random median already reached the optimum at b has no normalized regret ("-").
* mean rank: per (task, seed), optimizers ranked by best found at b (ties share the mean
  rank), scaled to [0, 1] (0 = best, 1 = worst), averaged over tasks and seeds.
* overhead per trial: (run wall time - time in the objective) / trials, the optimizer's own
  cost. Worker processes share the machine, so with --jobs 2 on 2 cores it includes some
  contention, and it includes whatever else runs on the machine.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime
import importlib.metadata
import json
import math
import os
import platform
import shlex
import signal
import statistics
import sys
import time
import traceback
import warnings
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

# every library single-threaded, before numpy & co. are imported (worker processes inherit it)
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _peers  # noqa: E402
import _tasks  # noqa: E402

PEER_ORDER = ("optuna-tpe", "optuna-gp", "optuna-cmaes", "optuna-random", "skopt-gp", "hyperopt", "smac")
QUICK_TASKS = ("branin", "mixed", "conditional")
REPORT_BUDGETS = (20, 50, 100)
BASELINE = "random"
# the up-front estimate: an optimizer's own cost per trial in a 100-trial run, seconds, and how much of it
# grows with the number of trials (cost per trial at budget b: c * (1 - g + g * b / 100)); measured with
# 3 single-job processes on a 2-core VM (load average about 3)
EST_OVERHEAD_S = {
    "skopt-gp": (0.8, 0.8),
    "optuna-gp": (0.3, 0.3),
    "smac": (0.57, 0.0),
    "gp": (0.03, 0.5),
    "auto": (0.03, 0.5),
    "hyperopt": (0.006, 0.0),
    "optuna-tpe": (0.004, 0.0),
}
EST_OVERHEAD_DEFAULT_S = (0.002, 0.0)
EST_EVAL_S = {"synthetic": 0.0002, "real": 0.04}
PACKAGES = (
    "sturgeon",
    "optuna",
    "scikit-optimize",
    "hyperopt",
    "cmaes",
    "torch",
    "smac",
    "ConfigSpace",
    "scikit-learn",
    "numpy",
    "scipy",
)


# -- running -----------------------------------------------------------------------------------
def _worker_init() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and terminates us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    warnings.simplefilter("ignore")


def run_one(task_name: str, optimizer: str, seed: int, budget: int) -> dict[str, Any]:
    """One run in a worker process: the values in trial order and where the time went."""
    task = _tasks.get_task(task_name)
    opt = _peers.get_optimizer(optimizer)
    opt.prepare()
    task.reset_counters()
    error = None
    values: list[float] = []
    t0 = time.perf_counter()
    try:
        values = [float(v) for v in opt.run(task, budget, seed)]
    except Exception as e:  # one failed run must not end the benchmark
        error = f"{type(e).__name__}: {e} | " + " / ".join(traceback.format_exc().strip().splitlines()[-3:])
    wall = time.perf_counter() - t0
    if error is None and (len(values) != budget or not all(math.isfinite(v) for v in values)):
        error = f"{len(values)} values for a budget of {budget}" if len(values) != budget else "non-finite value"
    return {
        "task": task_name,
        "optimizer": optimizer,
        "seed": seed,
        "budget": budget,
        "values": values,
        "wall_s": wall,
        "objective_s": task.calls_s,
        "n_calls": task.n_calls,
        "n_computed": task.n_computed,
        "computed_s": task.computed_s,
        "error": error,
    }


def machine_facts() -> dict[str, Any]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            versions[pkg] = None
    return {
        "date_utc": _now(),
        "platform": platform.platform(),
        "cpu": cpu,
        "logical_cpus": os.cpu_count(),
        "python": platform.python_version(),
        "packages": versions,
        "threads": {v: os.environ.get(v) for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")},
        "load_avg_start": _loadavg(),
    }


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M")


def _git_commit() -> str | None:
    """The sturgeon source tree's commit (with "+dirty" for uncommitted changes), recorded per run."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "src"], cwd=root, capture_output=True, text=True)
    except OSError:
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def _widen(meta: dict[str, Any], other: dict[str, Any]) -> None:
    """Widen ``meta`` in place to cover ``other``'s seeds, tasks and optimizers as well."""
    first = min(meta.get("first_seed", 0), other.get("first_seed", 0))
    last = max(meta.get("first_seed", 0) + meta["seeds"], other.get("first_seed", 0) + other["seeds"])
    meta["first_seed"], meta["seeds"] = first, last - first
    meta["tasks"] = list(dict.fromkeys([*meta["tasks"], *other["tasks"]]))
    meta["optimizers"] = list(dict.fromkeys([*meta["optimizers"], *other["optimizers"]]))
    meta["task_info"] = {**meta["task_info"], **other["task_info"]}


def _provenance(meta: dict[str, Any]) -> dict[str, Any]:
    """Where a run (or a continuation of one) came from, for the report's header."""
    return {
        "command": meta["command"],
        "date_utc": meta["machine"]["date_utc"],
        "load_avg_start": meta["machine"]["load_avg_start"],
    }


def _merge_resumed(old: dict[str, Any], new: dict[str, Any], rerun: list[str]) -> dict[str, Any]:
    """Continue a saved run: keep its finished runs (minus errors and ``rerun`` optimizers), widen its lists."""
    om, nm = old["meta"], new["meta"]
    if om["budget"] != nm["budget"] or om.get("first_seed", 0) != nm["first_seed"]:
        raise SystemExit("--resume: the saved run has another --budget or --first-seed than this one")
    known = _tasks.TASKS  # a task renamed or removed since is dropped with its runs
    runs = [r for r in old["runs"] if not r["error"] and r["optimizer"] not in rerun and r["task"] in known]
    dropped = len(old["runs"]) - len(runs)
    om["tasks"] = [t for t in om["tasks"] if t in known]
    _widen(om, nm)
    om["skipped"] = nm["skipped"]
    om.pop("interrupted", None)
    om.setdefault("resumed", []).append(
        {**_provenance(nm), "jobs": nm["jobs"], "kept_runs": len(runs), "dropped_runs": dropped}
    )
    return {"meta": om, "runs": runs}


def _combine(datas: list[dict[str, Any]]) -> dict[str, Any]:
    """Several saved runs as one: the first one's meta, widened; runs keyed by (task, optimizer, seed)."""
    if len(datas) == 1:
        return datas[0]
    meta = dict(datas[0]["meta"])
    runs: dict[tuple[str, str, int], dict[str, Any]] = {}
    for d in datas:
        m = d["meta"]
        if m["budget"] != meta["budget"]:
            raise SystemExit("--from-json: the files have different budgets")
        _widen(meta, m)
        if d is not datas[0]:
            meta["elapsed_s"] = (meta.get("elapsed_s") or 0.0) + (m.get("elapsed_s") or 0.0)
            meta["resumed"] = [*meta.get("resumed", []), *m.get("resumed", []), _provenance(m)]
        for r in d["runs"]:
            runs[(r["task"], r["optimizer"], r["seed"])] = r
    return {"meta": meta, "runs": list(runs.values())}


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def estimate_seconds(tasks: list[str], optimizers: list[str], seeds: int, budget: int, jobs: int) -> float:
    """A rough wall-time estimate from per-trial constants (GP-based optimizers dominate)."""
    kinds = {name: t.kind for name, t in _tasks.make_tasks().items()}
    total = 0.0
    for o in optimizers:
        c, g = EST_OVERHEAD_S.get(o, EST_OVERHEAD_DEFAULT_S)
        per_trial = c * (1 - g + g * budget / 100)
        for t in tasks:
            total += seeds * budget * (per_trial + EST_EVAL_S[kinds[t]])
    return total / max(1, min(jobs, os.cpu_count() or 1))


def _save(path: Path | None, data: dict[str, Any]) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=None, separators=(",", ":")))
    tmp.replace(path)


def run_all(args: argparse.Namespace, tasks: list[str], optimizers: list[str], data: dict[str, Any]) -> None:
    """Run every (task, optimizer, seed), appending results to data["runs"] (saved after each)."""
    out = Path(args.out) if args.out else None
    # seed by seed, so that a run cut short (Ctrl-C, `timeout`) has whole seeds; within a seed the
    # costly optimizers first, so that the pool does not end on one long run
    have = {(r["task"], r["optimizer"], r["seed"]) for r in data["runs"]}  # kept from --resume
    first = args.first_seed
    jobs = [
        (t, o, s) for s in range(first, first + args.seeds) for t in tasks for o in optimizers if (t, o, s) not in have
    ]
    jobs.sort(key=lambda j: (j[2], -EST_OVERHEAD_S.get(j[1], EST_OVERHEAD_DEFAULT_S)[0]))
    n, done, t_start = len(jobs), 0, time.perf_counter()

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    pool = cf.ProcessPoolExecutor(max_workers=args.jobs, initializer=_worker_init)
    try:
        futures = [pool.submit(run_one, t, o, s, args.budget) for t, o, s in jobs]
        for fut in cf.as_completed(futures):
            r = fut.result()
            r["date_utc"] = _now()
            if r["optimizer"] in _peers.sturgeon_names():
                r["sturgeon_commit"] = args.commit
            data["runs"].append(r)
            done += 1
            elapsed = time.perf_counter() - t_start
            best = min(r["values"]) if r["values"] else float("nan")
            status = f"ERROR {r['error']}" if r["error"] else f"best {best:.6g}"
            print(
                f"[{done}/{n} {elapsed:6.0f}s] {r['task']:<20} {r['optimizer']:<14} seed {r['seed']}: "
                f"{status} ({r['wall_s']:.1f}s)",
                file=sys.stderr,
                flush=True,
            )
            _save(out, data)
    except KeyboardInterrupt:
        data["meta"]["interrupted"] = True
        print(f"interrupted: {done} of {n} runs done; printing what there is", file=sys.stderr)
        for p in list(getattr(pool, "_processes", {}).values()):  # stop the runs in flight
            p.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
    else:
        pool.shutdown()
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    data["meta"]["elapsed_s"] = data["meta"].get("elapsed_s", 0.0) + time.perf_counter() - t_start
    data["meta"]["load_avg_end"] = _loadavg()
    _save(out, data)


# -- analysis ----------------------------------------------------------------------------------
def _best_at(values: list[float], b: int) -> float:
    return min(values[:b])


def analyse(data: dict[str, Any]) -> dict[str, Any]:
    """Tables (as nested dicts) from the raw runs."""
    meta = data["meta"]
    budget = meta["budget"]
    budgets = [b for b in REPORT_BUDGETS if b <= budget] or [budget]
    if budget not in budgets and budget > max(budgets):
        budgets.append(budget)
    tasks = [t for t in meta["tasks"] if any(r["task"] == t for r in data["runs"])]
    optimizers = [o for o in meta["optimizers"] if any(r["optimizer"] == o for r in data["runs"])]
    ok = [r for r in data["runs"] if not r["error"] and len(r["values"]) >= budget]
    # a run cut short (interrupted) compares optimizers on the seeds that every (task, optimizer) finished
    finished: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for r in data["runs"]:
        finished[r["seed"]].add((r["task"], r["optimizer"]))
    every = {(t, o) for t in meta["tasks"] for o in meta["optimizers"]}
    all_seeds = range(meta.get("first_seed", 0), meta.get("first_seed", 0) + meta["seeds"])
    seeds_used = sorted(s for s in all_seeds if finished[s] >= every)
    partial_seeds = {s: len(finished[s]) for s in all_seeds if finished[s] and s not in seeds_used}
    if not seeds_used:  # nothing complete: use whatever there is
        seeds_used = sorted(finished)
        partial_seeds = {}
    runs: dict[tuple[str, str], dict[int, list[float]]] = defaultdict(dict)
    for r in ok:
        if r["seed"] in seeds_used:
            runs[(r["task"], r["optimizer"])][r["seed"]] = r["values"]

    optimum: dict[str, float] = {}
    optimum_source: dict[str, str] = {}
    for t in tasks:
        seen = [min(r["values"]) for r in ok if r["task"] == t]  # every finished run counts here
        known = meta["task_info"][t]["optimum"]
        if known is not None:
            optimum[t] = min([known, *seen])
            optimum_source[t] = "known" if not seen or known <= min(seen) else "best seen (< known!)"
        elif seen:
            optimum[t] = min(seen)
            optimum_source[t] = "best seen"

    regret: dict[int, dict[str, dict[str, float | None]]] = {}
    ranks: dict[int, dict[str, list[float]]] = {}
    random_median: dict[int, dict[str, float | None]] = {}
    for b in budgets:
        regret[b], ranks[b], random_median[b] = {}, defaultdict(list), {}
        for t in tasks:
            base = runs.get((t, BASELINE), {})
            rmed = statistics.median(_best_at(v, b) for v in base.values()) if base else None
            random_median[b][t] = rmed
            opt = optimum.get(t)
            scale = None
            if rmed is not None and opt is not None and rmed - opt > 1e-12 * max(1.0, abs(opt)):
                scale = rmed - opt
            regret[b][t] = {}
            for o in optimizers:
                by_seed = runs.get((t, o), {})
                if scale is None or not by_seed or opt is None:
                    regret[b][t][o] = None
                else:
                    regret[b][t][o] = statistics.fmean((_best_at(v, b) - opt) / scale for v in by_seed.values())
            seeds = sorted({s for o in optimizers for s in runs.get((t, o), {})})
            for s in seeds:
                bests = {o: _best_at(runs[(t, o)][s], b) for o in optimizers if s in runs.get((t, o), {})}
                if len(bests) < 2:
                    continue
                for o, r in _ranks(bests).items():
                    ranks[b][o].append((r - 1) / (len(bests) - 1))
    overhead: dict[str, dict[str, Any]] = {}
    for o in optimizers:
        rs = [r for r in data["runs"] if r["optimizer"] == o]
        good = [r for r in rs if not r["error"] and r["values"]]
        per_trial = [(r["wall_s"] - r["objective_s"]) / len(r["values"]) for r in good]
        overhead[o] = {
            "runs": len(rs),
            "failed": len(rs) - len(good),
            "mean_ms": 1000 * statistics.fmean(per_trial) if per_trial else None,
            "median_ms": 1000 * statistics.median(per_trial) if per_trial else None,
            "max_run_s": max(r["wall_s"] for r in good) if good else None,
            "total_s": sum(r["wall_s"] for r in rs),
            "errors": sorted({r["error"] for r in rs if r["error"]})[:3],
        }
    evals: dict[str, dict[str, Any]] = {}
    for t in tasks:
        rs = [r for r in data["runs"] if r["task"] == t]
        calls = sum(r["n_calls"] for r in rs)
        computed = sum(r["n_computed"] for r in rs)
        evals[t] = {
            "calls": calls,
            "computed": computed,
            "ms_per_computed": 1000 * sum(r["computed_s"] for r in rs) / computed if computed else None,
            "ms_per_call": 1000 * sum(r["objective_s"] for r in rs) / calls if calls else None,
        }
    return {
        "budgets": budgets,
        "tasks": tasks,
        "optimizers": optimizers,
        "optimum": optimum,
        "optimum_source": optimum_source,
        "regret": regret,
        "ranks": ranks,
        "random_median": random_median,
        "overhead": overhead,
        "evals": evals,
        "n_ok": len(ok),
        "seeds_used": seeds_used,
        "partial_seeds": partial_seeds,
        "n_cells": len(every),
    }


def _ranks(scores: dict[str, float]) -> dict[str, float]:
    """1-based ranks, lower score better, ties share their mean rank."""
    order = sorted(scores, key=lambda k: scores[k])
    out: dict[str, float] = {}
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in order[i : j + 1]:
            out[k] = (i + j) / 2 + 1
        i = j + 1
    return out


# -- printing ----------------------------------------------------------------------------------
def _numeric(cell: str) -> bool:
    try:
        float(cell.rstrip("%").replace(",", ""))
    except ValueError:
        return cell in ("-", "")
    return True


def _table(header: list[str], rows: list[list[str]], numeric: Callable[[str], bool] = _numeric) -> str:
    """A markdown-compatible table: numeric columns (by ``numeric``) right-aligned, text columns
    left-aligned."""
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(len(header))]
    right = [i > 0 and all(numeric(r[i]) for r in rows) for i in range(len(header))]

    def fmt(cells: list[str]) -> str:
        return (
            "| "
            + " | ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True))
            + " |"
        )

    sep = "|" + "|".join("-" * (w + 1) + ":" if r else "-" * (w + 2) for w, r in zip(widths, right, strict=True)) + "|"
    return "\n".join([fmt(header), sep, *(fmt(r) for r in rows)])


def _f(x: float | None, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.{digits}f}"


def _g(x: float | None) -> str:
    return "-" if x is None else f"{x:.6g}"


def _g3(x: float | None) -> str:
    return "-" if x is None else f"{x:.3g}"


def report(data: dict[str, Any], reprinted_by: str | None = None) -> str:
    meta = data["meta"]
    a = analyse(data)
    lines: list[str] = []
    add = lines.append
    add(f"command: {meta['command']}")
    if reprinted_by:
        add(f"re-printed from JSON by: {reprinted_by}")
    m = meta["machine"]
    pk = ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v)
    add(f"machine: {m['cpu']}, {m['logical_cpus']} logical CPUs, {m['platform']}, Python {m['python']}")
    add(f"packages: {pk}")
    add(
        f"date (UTC): {m['date_utc']}; jobs: {meta['jobs']} worker processes; threads per library: 1; "
        f"load average at start {m['load_avg_start']}, at end {meta.get('load_avg_end')}"
    )
    n_runs = len(meta["tasks"]) * len(meta["optimizers"]) * meta["seeds"]
    s0 = meta.get("first_seed", 0)
    add(
        f"seeds: {meta['seeds']} ({s0}..{s0 + meta['seeds'] - 1}); budget: {meta['budget']} trials per run; "
        f"runs: {len(data['runs'])} of {n_runs} ({a['n_ok']} complete); elapsed "
        f"{_f(meta.get('elapsed_s'), 0)} s" + ("; INTERRUPTED (partial results)" if meta.get("interrupted") else "")
    )
    for res in meta.get("resumed", []):
        add(f"continued or pooled, {res['date_utc']} (load average {res['load_avg_start']}): {res['command']}")
    add(f"optimizers: {', '.join(meta['optimizers'])}")
    if a["partial_seeds"]:
        part = ", ".join(f"seed {s}: {n} of {a['n_cells']} runs" for s, n in a["partial_seeds"].items())
        add(f"regret and rank tables use the complete seeds {a['seeds_used']} only (left out: {part})")
    for note in meta.get("skipped", []):
        add(f"  not run: {note}")
    add("")

    # tasks
    rows = []
    for t in a["tasks"]:
        info, ev = meta["task_info"][t], a["evals"][t]
        hit = 1 - ev["computed"] / ev["calls"] if ev["calls"] else None
        rows.append(
            [
                t,
                info["kind"],
                info["dims"],
                _g(a["optimum"].get(t)),
                a["optimum_source"].get(t, "-"),
                *(_g(a["random_median"][b].get(t)) for b in a["budgets"]),
                _g3(ev["ms_per_computed"]),
                "-" if hit is None or info["kind"] == "synthetic" else f"{100 * hit:.0f}%",
            ]
        )
    add("Tasks (optimum: known, or the best value any optimizer saw; eval ms: one evaluation that ran")
    add("the model, in the worker processes; real tasks are memoized on rounded params, 'cache hits' = share")
    add("of calls answered from the memo)")
    add("")
    header = ["task", "kind", "dims", "optimum", "source", *(f"random median @{b}" for b in a["budgets"])]
    add(_table([*header, "eval ms", "cache hits"], rows))
    add("")
    for t in a["tasks"]:
        add(f"  {t}: {meta['task_info'][t]['description']}")
    add("")

    opts = a["optimizers"]
    for b in a["budgets"]:
        add(f"Normalized regret at {b} trials (mean over seeds; 0 = optimum, 1 = median of sturgeon 'random')")
        add("")
        rows = []
        for t in a["tasks"]:
            rows.append([t, *(_f(a["regret"][b][t].get(o)) for o in opts)])
        means, medians, nts = [], [], []
        for o in opts:
            vals = [a["regret"][b][t][o] for t in a["tasks"] if a["regret"][b][t].get(o) is not None]
            means.append(_f(statistics.fmean(vals)) if vals else "-")
            medians.append(_f(statistics.median(vals)) if vals else "-")
            nts.append(str(len(vals)))
        rows.append(["**mean over tasks**", *means])
        rows.append(["**median over tasks**", *medians])
        rows.append(
            [
                "**mean rank [0-1]**",
                *(_f(statistics.fmean(a["ranks"][b][o])) if a["ranks"][b][o] else "-" for o in opts),
            ]
        )
        rows.append(["tasks in mean/median", *nts])
        add(_table(["task", *opts], rows))
        add("")
    add("mean rank: per task and seed, optimizers ranked by best value found (ties share), scaled to [0, 1]")
    add("(0 = best of all, 1 = worst), averaged over tasks and seeds. '-': no value (random's median already")
    add("at the optimum, or the runs failed).")
    if "optuna-cmaes" in opts:
        add("optuna-cmaes: on tasks with categorical or branch parameters those go to Optuna's random fallback.")
    add("")

    rows = []
    for o in opts:
        ov = a["overhead"][o]
        rows.append(
            [
                o,
                str(ov["runs"]),
                str(ov["failed"]),
                _f(ov["mean_ms"], 2),
                _f(ov["median_ms"], 2),
                _f(ov["max_run_s"], 1),
                _f(ov["total_s"], 1),
            ]
        )
    add("Overhead per trial: (run wall time - time in the objective) / trials, over all runs of the optimizer")
    add("")
    add(_table(["optimizer", "runs", "failed", "mean ms/trial", "median ms/trial", "longest run s", "total s"], rows))
    for o in opts:
        for e in a["overhead"][o]["errors"]:
            add(f"  {o} error: {e}")
    return "\n".join(lines)


# -- command line ------------------------------------------------------------------------------
def _split(s: str | None) -> list[str] | None:
    return [x.strip() for x in s.split(",") if x.strip()] if s else None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1 per (task, optimizer) (default 10)")
    p.add_argument(
        "--first-seed", type=int, default=0, help="seeds FIRST..FIRST+N-1 (default 0; other seeds check a result)"
    )
    p.add_argument("--budget", type=int, default=100, help="trials per run (default 100)")
    p.add_argument("--tasks", help=f"comma list (default all): {', '.join(_tasks.TASKS)}")
    p.add_argument(
        "--optimizers",
        help="comma list (default every one available): sturgeon sampler names "
        f"({', '.join(_peers.sturgeon_names())} registered now) and {', '.join(PEER_ORDER)}",
    )
    p.add_argument("--jobs", type=int, default=2, help="parallel worker processes (default 2)")
    p.add_argument("--out", help="write all raw results to this JSON file (rewritten after each run)")
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the run saved in --out: keep its finished runs, run only the missing ones",
    )
    p.add_argument(
        "--rerun",
        help="with --resume: comma list of optimizers whose saved runs are dropped and run again "
        "(e.g. sturgeon samplers after a code change)",
    )
    p.add_argument(
        "--from-json",
        nargs="+",
        metavar="JSON",
        help="print the tables of a saved run instead of running; several files (same budget) are "
        "pooled, a later file's run replacing an earlier one's for the same task, optimizer and seed",
    )
    p.add_argument(
        "--quick", action="store_true", help=f"smoke run: 3 seeds, budget 20, tasks {', '.join(QUICK_TASKS)}"
    )
    p.add_argument("--estimate", action="store_true", help="print the rough run-time estimate and exit")
    args = p.parse_args(argv)
    command = shlex.join([sys.executable, *sys.argv]) if argv is None else shlex.join(["samplers.py", *argv])

    if args.from_json:
        data = _combine([json.loads(Path(f).read_text()) for f in args.from_json])
        print(report(data, reprinted_by=command))
        return 0

    if args.quick:
        args.seeds, args.budget = 3, 20
        args.tasks = args.tasks or ",".join(QUICK_TASKS)
    if args.seeds < 1 or args.budget < 1 or args.jobs < 1:
        p.error("--seeds, --budget and --jobs must be >= 1")
    all_tasks = _tasks.make_tasks()
    tasks = _split(args.tasks) or list(all_tasks)
    unknown = [t for t in tasks if t not in all_tasks]
    if unknown:
        p.error(f"unknown task(s) {unknown}; known: {', '.join(all_tasks)}")

    sg_names = _peers.sturgeon_names()
    wanted = _split(args.optimizers) or [*sg_names, *_peers.PLANNED_STURGEON, *PEER_ORDER]
    optimizers, skipped = [], []
    for o in dict.fromkeys(wanted):
        ok, why = _peers.available(o)
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
        f"{len(tasks)} tasks x {len(optimizers)} optimizers x {args.seeds} seeds x {args.budget} trials; "
        f"rough estimate {est / 60:.1f} min with {args.jobs} jobs (per-trial costs measured on a busy 2-core VM)",
        file=sys.stderr,
    )
    for note in skipped:
        print(f"  not run: {note}", file=sys.stderr)
    if args.estimate:
        return 0

    data: dict[str, Any] = {
        "meta": {
            "command": command,
            "machine": machine_facts(),
            "seeds": args.seeds,
            "first_seed": args.first_seed,
            "budget": args.budget,
            "jobs": args.jobs,
            "tasks": tasks,
            "optimizers": optimizers,
            "skipped": skipped,
            "estimate_s": est,
            "task_info": {
                t: {
                    "kind": all_tasks[t].kind,
                    "dims": all_tasks[t].dims(),
                    "optimum": all_tasks[t].optimum,
                    "description": all_tasks[t].description,
                }
                for t in tasks
            },
        },
        "runs": [],
    }
    args.commit = _git_commit()
    if args.resume:
        if not args.out:
            p.error("--resume needs --out (the saved run to continue)")
        if Path(args.out).exists():
            data = _merge_resumed(json.loads(Path(args.out).read_text()), data, _split(args.rerun) or [])
            print(f"resuming {args.out}: {len(data['runs'])} finished runs kept", file=sys.stderr)
    elif args.rerun:
        p.error("--rerun needs --resume")
    run_all(args, tasks, optimizers, data)
    print(report(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
