"""Multi-objective benchmark: sturgeon's samplers against Optuna's NSGA-II, TPE and GP samplers and
random search, side by side in one run, by the hypervolume of what they found.

    pip install -e ".[bench]"                          # optuna (and torch for its GPSampler)
    python benchmarks/multiobjective.py --quick        # smoke run: 2 seeds, budget 30, zdt1 + c2dtlz2 (~1 min)
    python benchmarks/multiobjective.py --methods auto,optuna-gp --budget 100 --resume
    python benchmarks/multiobjective.py --from-json benchmarks/results/multiobjective.json   # re-print

Methods (``--methods``; default every one available here): sturgeon samplers by their name in
``sturgeon.samplers.SAMPLERS`` (``auto``, ``tpe``, ``random``, and ``nsga2`` / ``nsga3`` once
registered; ``gp`` on request), each through ``create_study(directions=[...], sampler=NAME,
seed=seed)`` and ``ask(space)`` / ``tell(trial, values)``; Optuna's ``NSGAIISampler(seed)``,
``TPESampler(multivariate=True, seed)`` and ``GPSampler(seed)`` (and ``RandomSampler(seed)`` as
optuna-random) through ``create_study(directions=[...])`` and ``study.optimize`` with a
define-by-run objective. Every library single-threaded, every method with its default settings.

Tasks (``--tasks``; see ``_mo_tasks.py``): ZDT1-3 (6 variables), DTLZ2 (3 objectives), a
random forest (error vs log10 nodes) and an MLP (error vs log10 weights) on data that ships with
scikit-learn, and C2-DTLZ2, the constrained variant. On a constrained task every method gets the
constraint: the objective stores it as the user attribute "constraints" and the study's
``constraints_func`` reads it back (sturgeon and Optuna's NSGA-II, TPE and GP samplers);
random search ignores it.

Each (task, method, seed) is one run of ``--budget`` trials in this process, one after another;
a run's first b trials give its result at budget b. Metrics, per budget b in 50, 100, 200:

* hypervolume of the feasible COMPLETE trials among the first b, with ``sturgeon._pareto.
  hypervolume``, against the task's fixed reference point (the same for every method and seed);
* normalized: that hypervolume / the task's best known one (the known front's where there is
  one, else - and at least - the hypervolume of every feasible point any run found); 1 is the
  best known front, 1 - normalized is the regret. Per task: mean and standard error over seeds;
  over the unconstrained tasks: the mean (its s.e. from the tasks' s.e.) and the median;
* mean rank: per (task, seed), the methods ranked by hypervolume (ties share), scaled to [0, 1]
  (0 = best); mean and s.e. over the unconstrained (task, seed) cells that every method ran;
* on constrained tasks also the number of infeasible trials among the first b;
* overhead per trial: (run wall time - time in the objective) / trials, per method and task.

Results go to ``--out`` (JSON, rewritten after every run); ``--resume`` keeps the finished runs
of that file (a run with a smaller budget than asked is run again) and runs only the rest.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import shlex
import signal
import statistics
import sys
import tempfile
import time
import traceback
import warnings
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

# every library single-threaded, before numpy & co. are imported
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _mo_tasks  # noqa: E402
import numpy as np  # noqa: E402
import samplers as _sb  # noqa: E402  (shared helpers: tables, ranks, saving, machine facts)
from _mo_tasks import MOTask  # noqa: E402
from _peers import _optuna_suggest, _sg_dist  # noqa: E402

DEFAULT_METHODS = ("auto", "tpe", "nsga2", "nsga3", "optuna-nsga2", "optuna-tpe", "optuna-gp", "random")
OPTIONAL_METHODS = ("gp", "optuna-random")
PLANNED_STURGEON = ("nsga2", "nsga3")  # being written; picked up by name once registered
QUICK_TASKS = ("zdt1", "c2dtlz2")
REPORT_BUDGETS = (50, 100, 200)
FOCUS = "auto"  # the method the "where it loses" table is about
DEFAULT_OUT = "benchmarks/results/multiobjective.json"
Runner = Callable[[MOTask, int, int], list[list[float]]]  # (task, budget, seed) -> values per trial


# -- methods -----------------------------------------------------------------------------------
def _constraints_of(trial: Any) -> list[float]:
    return list(trial.user_attrs["constraints"])


def _sturgeon_run(sampler: str) -> Runner:
    def run(task: MOTask, budget: int, seed: int) -> list[list[float]]:
        import sturgeon as sg

        study = sg.create_study(
            directions=["minimize"] * task.n_objectives,
            sampler=sampler,
            seed=seed,
            constraints_func=_constraints_of if task.constrained else None,
        )
        space = {name: _sg_dist(p) for name, p in task.space.items()}
        values: list[list[float]] = []
        for _ in range(budget):
            trial = study.ask(space)
            v = task.evaluate(trial.params)
            if task.constraints is not None:
                trial.set_user_attr("constraints", task.constraints(v))
            study.tell(trial, v)
            values.append(list(v))
        return values

    return run


def _optuna_run(make: Callable[[int, Any], Any]) -> Runner:
    def run(task: MOTask, budget: int, seed: int) -> list[list[float]]:
        import optuna

        values: list[list[float]] = []

        def objective(trial: optuna.Trial) -> tuple[float, ...]:
            v = task.evaluate({name: _optuna_suggest(trial, name, p) for name, p in task.space.items()})
            if task.constraints is not None:
                trial.set_user_attr("constraints", task.constraints(v))
            values.append(list(v))
            return v

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sampler = make(seed, _constraints_of if task.constrained else None)
            study = optuna.create_study(directions=["minimize"] * task.n_objectives, sampler=sampler)
            study.optimize(objective, n_trials=budget)
        return values

    return run


def _optuna_nsga2(seed: int, cf: Any) -> Any:
    import optuna

    return optuna.samplers.NSGAIISampler(seed=seed, constraints_func=cf)


def _optuna_tpe(seed: int, cf: Any) -> Any:
    import optuna

    return optuna.samplers.TPESampler(multivariate=True, seed=seed, constraints_func=cf)


def _optuna_gp(seed: int, cf: Any) -> Any:
    import optuna

    return optuna.samplers.GPSampler(seed=seed, constraints_func=cf)


def _optuna_random(seed: int, cf: Any) -> Any:
    import optuna

    return optuna.samplers.RandomSampler(seed=seed)


PEERS: dict[str, tuple[tuple[str, ...], Callable[[int, Any], Any]]] = {
    "optuna-nsga2": (("optuna",), _optuna_nsga2),
    "optuna-tpe": (("optuna",), _optuna_tpe),
    "optuna-gp": (("optuna", "torch"), _optuna_gp),
    "optuna-random": (("optuna",), _optuna_random),
}


def available(method: str) -> tuple[bool, str]:
    """Whether ``method`` can run here, and if not a note saying why."""
    if method in PEERS:
        missing = [m for m in PEERS[method][0] if importlib.util.find_spec(m) is None]
        return (not missing, f"{method}: {', '.join(missing)} not installed" if missing else "")
    from sturgeon.samplers import SAMPLERS

    if method in SAMPLERS:
        return True, ""
    if method in PLANNED_STURGEON:
        return False, f"{method}: not in sturgeon.samplers.SAMPLERS yet (being written)"
    return False, f"{method}: unknown (sturgeon samplers: {', '.join(SAMPLERS)}; peers: {', '.join(PEERS)})"


def _runner(method: str) -> Runner:
    return _optuna_run(PEERS[method][1]) if method in PEERS else _sturgeon_run(method)


def _prepare(method: str) -> None:
    """Import the method's libraries before the clock starts."""
    import sturgeon  # noqa: F401

    if method in PEERS:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        if "torch" in PEERS[method][0]:
            import torch

            torch.set_num_threads(1)


# -- running -----------------------------------------------------------------------------------
def _round(v: float) -> float:
    return float(f"{v:.8g}")


def run_one(task_name: str, method: str, seed: int, budget: int) -> dict[str, Any]:
    """One run: every trial's values (and feasibility) in trial order, and where the time went."""
    task = _mo_tasks.get_task(task_name)
    _prepare(method)
    task.reset_counters()
    error, values = None, []
    t0 = time.perf_counter()
    try:
        values = _runner(method)(task, budget, seed)
    except Exception as e:  # one failed run must not end the benchmark
        error = f"{type(e).__name__}: {e} | " + " / ".join(traceback.format_exc().strip().splitlines()[-3:])
    wall = time.perf_counter() - t0
    if error is None and len(values) != budget:
        error = f"{len(values)} trials for a budget of {budget}"
    if error is None and not all(math.isfinite(x) for v in values for x in v):
        error = "non-finite value"
    feasible = None
    if task.constraints is not None and error is None:
        feasible = [int(all(c <= 0 for c in task.constraints(v))) for v in values]
    return {
        "task": task_name,
        "method": method,
        "seed": seed,
        "budget": budget,
        "values": [[_round(x) for x in v] for v in values],
        "feasible": feasible,
        "wall_s": wall,
        "objective_s": task.calls_s,
        "n_calls": task.n_calls,
        "n_computed": task.n_computed,
        "error": error,
    }


def _key(r: dict[str, Any]) -> tuple[str, str, int]:
    return r["task"], r["method"], r["seed"]


def run_all(args: argparse.Namespace, tasks: list[str], methods: list[str], data: dict[str, Any]) -> None:
    """Every missing (task, method, seed), seed by seed (a run cut short has whole seeds)."""
    out = Path(args.out) if args.out else None
    have = {_key(r) for r in data["runs"]}
    jobs = [(t, m, s) for s in range(args.seeds) for t in tasks for m in methods if (t, m, s) not in have]
    n, t_start = len(jobs), time.perf_counter()

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        for i, (t, m, s) in enumerate(jobs, 1):
            r = run_one(t, m, s, args.budget)
            r["date_utc"] = _sb._now()
            if m not in PEERS:
                r["sturgeon_commit"] = args.commit
            data["runs"].append(r)
            _sb._save(out, data)
            task = _mo_tasks.get_task(t)
            ok = [v for v, f in zip(r["values"], r["feasible"] or [1] * len(r["values"]), strict=True) if f]
            hv = _hypervolume(ok, task.reference)
            status = f"ERROR {r['error']}" if r["error"] else f"hv {hv:.4g}"
            print(
                f"[{i}/{n} {time.perf_counter() - t_start:6.0f}s] {t:<11} {m:<13} seed {s}: {status} "
                f"({r['wall_s']:.1f}s, objective {r['objective_s']:.1f}s)",
                file=sys.stderr,
                flush=True,
            )
    except KeyboardInterrupt:
        data["meta"]["interrupted"] = True
        print("interrupted; printing what there is", file=sys.stderr)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    data["meta"]["elapsed_s"] = data["meta"].get("elapsed_s", 0.0) + time.perf_counter() - t_start
    data["meta"]["load_avg_end"] = _sb._loadavg()
    _sb._save(out, data)


def _merge(old: dict[str, Any], new: dict[str, Any], rerun: list[str], budget: int) -> dict[str, Any]:
    """Continue a saved run: keep its runs but the failed ones, those of ``rerun`` methods and
    those this invocation runs again with more trials; its meta widened to this invocation's."""
    om, nm = old["meta"], new["meta"]

    def kept(r: dict[str, Any]) -> bool:
        again = r["task"] in nm["tasks"] and r["method"] in nm["methods"] and r["budget"] < budget
        return not (r["error"] or r["method"] in rerun or again or r["task"] not in _mo_tasks.TASKS)

    keep = [r for r in old["runs"] if kept(r)]
    om["tasks"] = [t for t in dict.fromkeys([*om["tasks"], *nm["tasks"]]) if t in _mo_tasks.TASKS]
    om["methods"] = list(dict.fromkeys([*om["methods"], *nm["methods"]]))
    om["seeds"] = max(om["seeds"], nm["seeds"])
    om["skipped"] = nm["skipped"]
    om.pop("interrupted", None)
    om.setdefault("resumed", []).append(
        {
            "command": nm["command"],
            "date_utc": nm["machine"]["date_utc"],
            "load_avg_start": nm["machine"]["load_avg_start"],
            "kept_runs": len(keep),
            "dropped_runs": len(old["runs"]) - len(keep),
        }
    )
    return {"meta": om, "runs": keep}


def _combine(datas: list[dict[str, Any]]) -> dict[str, Any]:
    """Several saved files as one: the first one's meta, widened; a later run replaces an earlier one."""
    meta = json.loads(json.dumps(datas[0]["meta"]))
    runs: dict[tuple[str, str, int], dict[str, Any]] = {}
    for d in datas:
        m = d["meta"]
        meta["tasks"] = list(dict.fromkeys([*meta["tasks"], *m["tasks"]]))
        meta["methods"] = list(dict.fromkeys([*meta["methods"], *m["methods"]]))
        meta["seeds"] = max(meta["seeds"], m["seeds"])
        if d is not datas[0]:
            meta["elapsed_s"] = (meta.get("elapsed_s") or 0.0) + (m.get("elapsed_s") or 0.0)
            meta.setdefault("resumed", []).append(
                {"command": m["command"], "date_utc": m["machine"]["date_utc"], "load_avg_start": None}
            )
        for r in d["runs"]:
            runs[_key(r)] = r
    return {"meta": meta, "runs": list(runs.values())}


# -- analysis ----------------------------------------------------------------------------------
def _hypervolume(points: list[list[float]], reference: tuple[float, ...]) -> float:
    from sturgeon._pareto import hypervolume

    return hypervolume(np.asarray(points, dtype=float).reshape(-1, len(reference)), reference)


def _feasible_points(r: dict[str, Any], b: int) -> list[list[float]]:
    flags = r["feasible"] or [1] * len(r["values"])
    return [v for v, f in zip(r["values"][:b], flags[:b], strict=True) if f]


def _se(xs: list[float]) -> float | None:
    return statistics.stdev(xs) / math.sqrt(len(xs)) if len(xs) > 1 else None


def analyse(data: dict[str, Any]) -> dict[str, Any]:
    """The tables (as nested dicts) from the raw runs."""
    meta = data["meta"]
    ok = [r for r in data["runs"] if not r["error"]]
    tasks = [t for t in meta["tasks"] if any(r["task"] == t for r in ok)]
    methods = [m for m in meta["methods"] if any(r["method"] == m for r in ok)]
    top = max((r["budget"] for r in ok), default=0)
    budgets = [b for b in REPORT_BUDGETS if b <= top] or [top]
    if top > budgets[-1] and top not in REPORT_BUDGETS:
        budgets.append(top)
    hv: dict[tuple[str, str, int, int], float] = {}  # (task, method, seed, b) -> hypervolume
    infeasible: dict[tuple[str, str, int, int], int] = {}
    best: dict[str, float] = {}
    best_source: dict[str, str] = {}
    for t in tasks:
        task = _mo_tasks.get_task(t)
        runs = [r for r in ok if r["task"] == t]
        union = [p for r in runs for p in _feasible_points(r, r["budget"])]
        seen = _hypervolume(union, task.reference)
        known = _mo_tasks.best_hypervolume(t)
        best[t] = max(seen, known or 0.0)
        best_source[t] = "runs" if known is None else ("known" if known >= seen else "runs (> known)")
        for r in runs:
            for b in budgets:
                if r["budget"] >= b:
                    hv[(t, r["method"], r["seed"], b)] = _hypervolume(_feasible_points(r, b), task.reference)
                    if r["feasible"] is not None:
                        infeasible[(t, r["method"], r["seed"], b)] = b - sum(r["feasible"][:b])
    norm = {k: (v / best[k[0]] if best[k[0]] > 0 else 0.0) for k, v in hv.items()}
    cell: dict[int, dict[str, dict[str, dict[str, Any]]]] = {b: defaultdict(dict) for b in budgets}
    for b in budgets:
        for t in tasks:
            for m in methods:
                xs = [norm[(t, m, s, b)] for s in range(meta["seeds"]) if (t, m, s, b) in norm]
                inf = [infeasible[(t, m, s, b)] for s in range(meta["seeds"]) if (t, m, s, b) in infeasible]
                raw = [hv[(t, m, s, b)] for s in range(meta["seeds"]) if (t, m, s, b) in hv]
                cell[b][t][m] = {
                    "n": len(xs),
                    "mean": statistics.fmean(xs) if xs else None,
                    "se": _se(xs),
                    "hv_mean": statistics.fmean(raw) if raw else None,
                    "infeasible": statistics.fmean(inf) if inf else None,
                    "infeasible_se": _se([float(x) for x in inf]),
                }
    plain = [t for t in tasks if not _mo_tasks.get_task(t).constrained]
    summary: dict[int, dict[str, dict[str, Any]]] = {}
    for b in budgets:
        summary[b] = {}
        in_b = [m for m in methods if any(cell[b][t][m]["n"] for t in plain)]
        cells = [(t, s) for t in plain for s in range(meta["seeds"]) if all((t, o, s, b) in norm for o in in_b)]
        ranks: dict[str, list[float]] = defaultdict(list)
        for t, s in cells:
            for o, r in _sb._ranks({o: -norm[(t, o, s, b)] for o in in_b}).items():
                ranks[o].append((r - 1) / max(1, len(in_b) - 1))
        for m in in_b:
            per = [cell[b][t][m] for t in plain if cell[b][t][m]["n"]]
            means = [c["mean"] for c in per]
            ses = [c["se"] for c in per if c["se"] is not None]
            summary[b][m] = {
                "tasks": len(per),
                "mean": statistics.fmean(means) if means else None,
                "se": math.sqrt(sum(x * x for x in ses)) / len(ses) if len(ses) == len(per) and ses else None,
                "median": statistics.median(means) if means else None,
                "rank": statistics.fmean(ranks[m]) if ranks[m] else None,
                "rank_se": _se(ranks[m]),
                "rank_cells": len(cells),
            }
    overhead: dict[str, dict[str, Any]] = {}
    for m in methods:
        rs = [r for r in data["runs"] if r["method"] == m]
        good = [r for r in rs if not r["error"]]
        per_trial = [(r["wall_s"] - r["objective_s"]) / r["budget"] for r in good]
        by_task = {}
        for t in tasks:
            xs = [(r["wall_s"] - r["objective_s"]) / r["budget"] for r in good if r["task"] == t]
            by_task[t] = (1000 * statistics.fmean(xs), max(r["budget"] for r in good if r["task"] == t)) if xs else None
        overhead[m] = {
            "runs": len(rs),
            "failed": len(rs) - len(good),
            "mean_ms": 1000 * statistics.fmean(per_trial) if per_trial else None,
            "median_ms": 1000 * statistics.median(per_trial) if per_trial else None,
            "max_run_s": max(r["wall_s"] for r in good) if good else None,
            "total_s": sum(r["wall_s"] for r in rs),
            "by_task": by_task,
            "errors": sorted({r["error"] for r in rs if r["error"]})[:3],
        }
    evals = {}
    for t in tasks:
        rs = [r for r in ok if r["task"] == t]
        computed = sum(r["n_computed"] for r in rs)
        evals[t] = 1000 * sum(r["objective_s"] for r in rs) / computed if computed else None
    return {
        "budgets": budgets,
        "tasks": tasks,
        "plain": plain,
        "methods": methods,
        "best": best,
        "best_source": best_source,
        "cell": cell,
        "summary": summary,
        "overhead": overhead,
        "evals": evals,
        "n_ok": len(ok),
    }


# -- printing ----------------------------------------------------------------------------------
def _pm(mean: float | None, se: float | None, digits: int = 3) -> str:
    if mean is None:
        return "-"
    return f"{mean:.{digits}f}" + (f" ±{se:.{digits}f}" if se is not None else "")


def _seed_range(cells: dict[str, dict[str, dict[str, Any]]], method: str) -> str:
    ns = [c[method]["n"] for c in cells.values() if c[method]["n"]]
    return "0" if not ns else str(ns[0]) if min(ns) == max(ns) else f"{min(ns)}-{max(ns)}"


def _losses(a: dict[str, Any]) -> list[list[str]]:
    """Per task and budget where ``FOCUS`` is not the best mean: the best method and the gap."""
    rows = []
    for b in a["budgets"]:
        for t in a["tasks"]:
            c = a["cell"][b][t]
            mine = c.get(FOCUS)
            if not mine or mine["mean"] is None:
                continue
            others = {m: x for m, x in c.items() if m != FOCUS and x["mean"] is not None}
            if not others:
                continue
            top = max(others, key=lambda m: others[m]["mean"])
            gap = others[top]["mean"] - mine["mean"]
            if gap <= 0:
                continue
            se = math.sqrt((mine["se"] or 0.0) ** 2 + (others[top]["se"] or 0.0) ** 2)
            z = f"{gap / se:.1f}" if se > 0 else "-"
            theirs = _pm(others[top]["mean"], others[top]["se"])
            rows.append([t, str(b), _pm(mine["mean"], mine["se"]), top, theirs, f"{gap:.3f}", z])
    return rows


def report(data: dict[str, Any], reprinted_by: str | None = None) -> str:
    meta = data["meta"]
    a = analyse(data)
    lines: list[str] = []
    add = lines.append
    add(f"command: {meta['command']}")
    for res in meta.get("resumed", []):
        add(f"continued, {res['date_utc']} (load average {res['load_avg_start']}): {res['command']}")
    if reprinted_by:
        add(f"re-printed from JSON by: {reprinted_by}")
    m = meta["machine"]
    pk = ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v)
    add(f"machine: {m['cpu']}, {m['logical_cpus']} logical CPUs, {m['platform']}, Python {m['python']}")
    add(f"packages: {pk}")
    add(
        f"date (UTC): {m['date_utc']}; one process, runs one after another; threads per library: 1; "
        f"load average at start {m['load_avg_start']}, at end {meta.get('load_avg_end')}"
    )
    budgets_run = sorted({r["budget"] for r in data["runs"]})
    add(
        f"seeds: up to {meta['seeds']} (0..{meta['seeds'] - 1}); run budgets: {budgets_run}; runs: "
        f"{len(data['runs'])} ({a['n_ok']} without error); elapsed {_sb._f(meta.get('elapsed_s'), 0)} s"
        + ("; INTERRUPTED (partial results)" if meta.get("interrupted") else "")
    )
    add(f"methods: {', '.join(meta['methods'])}")
    for note in meta.get("skipped", []):
        add(f"  not run: {note}")
    add("")
    rows = []
    for t in a["tasks"]:
        task = _mo_tasks.get_task(t)
        rows.append(
            [
                t,
                task.kind + (", constrained" if task.constrained else ""),
                str(len(task.space)),
                str(task.n_objectives),
                "[" + ", ".join(f"{x:g}" for x in task.reference) + "]",
                f"{a['best'][t]:.5f}",
                a["best_source"][t],
                _sb._g3(a["evals"][t]),
            ]
        )
    add("Tasks (best HV: the known front's, or that of every feasible point the runs found; eval ms: per")
    add("evaluation that ran the function, memo hits excluded)")
    add("")
    add(_table(["task", "kind", "vars", "objectives", "reference", "best HV", "source", "eval ms"], rows))
    add("")
    for t in a["tasks"]:
        add(f"  {t}: {_mo_tasks.get_task(t).description}")
    add("")
    for b in a["budgets"]:
        opts = [o for o in a["methods"] if any(a["cell"][b][t][o]["n"] for t in a["tasks"])]
        add(f"Normalized hypervolume at {b} trials (HV / best HV; mean ± s.e. over seeds; 1 = best known front)")
        add("")
        rows = []
        for t in a["tasks"]:
            rows.append([t, *(_pm(a["cell"][b][t][o]["mean"], a["cell"][b][t][o]["se"]) for o in opts)])
        s = a["summary"][b]
        rows.append(["**mean (unconstrained)**", *(_pm(s[o]["mean"], s[o]["se"]) if o in s else "-" for o in opts)])
        rows.append(["**median (unconstrained)**", *(_sb._f(s[o]["median"]) if o in s else "-" for o in opts)])
        rows.append(["**mean rank [0-1]**", *(_pm(s[o]["rank"], s[o]["rank_se"]) if o in s else "-" for o in opts)])
        rows.append(["unconstrained tasks in mean", *(str(s[o]["tasks"]) if o in s else "0" for o in opts)])
        rows.append(["seeds per task (range)", *(_seed_range(a["cell"][b], o) for o in opts)])
        add(_table(["task", *opts], rows))
        n_cells = {s[o]["rank_cells"] for o in s}
        add(f"mean rank (± s.e. over cells): over the {', '.join(map(str, n_cells))} (unconstrained task, seed) cells")
        add("that every method in this table ran")
        add("")
    constrained = [t for t in a["tasks"] if _mo_tasks.get_task(t).constrained]
    for t in constrained:
        add(f"Constrained task {t}: infeasible trials among the first b (mean ± s.e. over seeds)")
        add("")
        rows = []
        for o in a["methods"]:
            rows.append(
                [o]
                + [_pm(a["cell"][b][t][o]["infeasible"], a["cell"][b][t][o]["infeasible_se"], 1) for b in a["budgets"]]
                + [_pm(a["cell"][b][t][o]["mean"], a["cell"][b][t][o]["se"]) for b in a["budgets"]]
            )
        header = [f"infeasible @{b}" for b in a["budgets"]] + [f"feasible HV (norm.) @{b}" for b in a["budgets"]]
        add(_table(["method", *header], rows))
        add("")
    rows = _losses(a)
    add(f"Where {FOCUS} is behind (task, budget; gap = best other method's mean - {FOCUS}'s; z = gap / s.e.)")
    add("")
    add(
        _table(["task", "trials", FOCUS, "best other", "its mean", "gap", "z"], rows)
        if rows
        else f"  nowhere: {FOCUS} has the best mean on every task and budget"
    )
    add("")
    rows = []
    for o in a["methods"]:
        ov = a["overhead"][o]
        ms = [_sb._f(ov["mean_ms"], 2), _sb._f(ov["median_ms"], 2), _sb._f(ov["max_run_s"], 1)]
        rows.append([o, str(ov["runs"]), str(ov["failed"]), *ms, _sb._f(ov["total_s"], 0)])
    add("Overhead per trial: (run wall time - time in the objective) / trials, over all runs of the method")
    add("")
    add(_table(["method", "runs", "failed", "mean ms/trial", "median ms/trial", "longest run s", "total s"], rows))
    add("")
    rows = []
    for o in a["methods"]:
        bt = a["overhead"][o]["by_task"]
        rows.append([o, *(f"{bt[t][0]:.1f} ({bt[t][1]})" if bt.get(t) else "-" for t in a["tasks"])])
    add("Overhead per trial by task, ms (in brackets: the longest run's trials; the cost grows with them)")
    add("")
    add(_table(["method", *a["tasks"]], rows))
    for o in a["methods"]:
        for e in a["overhead"][o]["errors"]:
            add(f"  {o} error: {e}")
    add("")
    add(_goals(a, constrained))
    return "\n".join(lines)


def _numeric(cell: str) -> bool:
    try:
        float(cell.split(" ±")[0].split(" (")[0].replace("-", "", 1 if cell[:1].isdigit() else 0))
    except ValueError:
        return cell in ("-", "")
    return True


def _table(header: list[str], rows: list[list[str]]) -> str:
    """``samplers._table`` with "0.812 ±0.004" and "33.1 (200)" cells counted as numeric."""
    return _sb._table(header, rows, _numeric)


def _goals(a: dict[str, Any], constrained: list[str]) -> str:
    lines = ["Goals (issue 10):"]
    for b in (50, 100):
        s = a["summary"].get(b, {})
        if FOCUS not in s or s[FOCUS]["mean"] is None:
            lines.append(f"  highest mean normalized HV at {b} trials: not measured")
            continue
        others = {o: x["mean"] for o, x in s.items() if o != FOCUS and x["mean"] is not None}
        top = max(others, key=lambda o: others[o]) if others else None
        met = top is None or s[FOCUS]["mean"] >= others[top]
        nxt = f"next: {top} {others[top]:.3f}" if top else "no other method"
        lines.append(
            f"  {FOCUS} highest mean normalized HV at {b} trials: {s[FOCUS]['mean']:.3f} ({nxt}) ... "
            + ("MET" if met else "NOT MET")
        )
    for t in constrained:
        for b in a["budgets"]:
            c = a["cell"][b][t]
            if FOCUS not in c or c[FOCUS]["infeasible"] is None:
                continue
            peers = {o: x["infeasible"] for o, x in c.items() if o in PEERS and x["infeasible"] is not None}
            worse = [o for o, v in peers.items() if v <= c[FOCUS]["infeasible"] and o != "optuna-random"]
            lines.append(
                f"  {t} @{b}: {FOCUS} {c[FOCUS]['infeasible']:.1f} infeasible trials vs "
                + ", ".join(f"{o} {v:.1f}" for o, v in peers.items())
                + (" ... MET" if not worse else f" ... NOT MET ({', '.join(worse)} as few or fewer)")
            )
    return "\n".join(lines)


# -- command line ------------------------------------------------------------------------------
def _split(s: str | None) -> list[str] | None:
    return [x.strip() for x in s.split(",") if x.strip()] if s else None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1 per (task, method) (default 10)")
    p.add_argument("--budget", type=int, default=200, help="trials per run (default 200)")
    p.add_argument("--tasks", help=f"comma list (default all): {', '.join(_mo_tasks.TASKS)}")
    p.add_argument(
        "--methods",
        help=f"comma list (default every one available of {', '.join(DEFAULT_METHODS)}); "
        f"also {', '.join(OPTIONAL_METHODS)} or any other sturgeon sampler name",
    )
    p.add_argument("--out", default=DEFAULT_OUT, help=f"raw results, JSON (default {DEFAULT_OUT})")
    p.add_argument(
        "--resume",
        action="store_true",
        help="keep the finished runs in --out (with at least --budget trials) and run only the missing ones",
    )
    p.add_argument("--rerun", help="with --resume: comma list of methods whose saved runs are run again")
    p.add_argument("--from-json", nargs="+", metavar="JSON", help="print the tables of saved files (pooled)")
    p.add_argument("--quick", action="store_true", help=f"smoke run: 2 seeds, budget 30, {', '.join(QUICK_TASKS)}")
    args = p.parse_args(argv)
    command = shlex.join([sys.executable, *sys.argv]) if argv is None else shlex.join(["multiobjective.py", *argv])

    if args.from_json:
        print(report(_combine([json.loads(Path(f).read_text()) for f in args.from_json]), reprinted_by=command))
        return 0
    if args.quick:
        args.seeds, args.budget = 2, 30
        args.tasks = args.tasks or ",".join(QUICK_TASKS)
        if args.out == DEFAULT_OUT:  # a smoke run leaves the results folder alone
            args.out = str(Path(tempfile.gettempdir()) / "sturgeon-multiobjective-quick.json")
    if args.seeds < 1 or args.budget < 1:
        p.error("--seeds and --budget must be >= 1")
    tasks = _split(args.tasks) or list(_mo_tasks.TASKS)
    unknown = [t for t in tasks if t not in _mo_tasks.TASKS]
    if unknown:
        p.error(f"unknown task(s) {unknown}; known: {', '.join(_mo_tasks.TASKS)}")
    methods, skipped = [], []
    for m in dict.fromkeys(_split(args.methods) or DEFAULT_METHODS):
        ok, why = available(m)
        if ok:
            methods.append(m)
        else:
            skipped.append(why)
    if not methods:
        p.error("no method to run")
    print(f"command: {command}", file=sys.stderr)
    print(f"{len(tasks)} tasks x {len(methods)} methods x {args.seeds} seeds x {args.budget} trials", file=sys.stderr)
    for note in skipped:
        print(f"  not run: {note}", file=sys.stderr)
    data: dict[str, Any] = {
        "meta": {
            "command": command,
            "machine": _sb.machine_facts(),
            "seeds": args.seeds,
            "tasks": tasks,
            "methods": methods,
            "skipped": skipped,
        },
        "runs": [],
    }
    args.commit = _sb._git_commit()
    if args.resume and Path(args.out).exists():
        data = _merge(json.loads(Path(args.out).read_text()), data, _split(args.rerun) or [], args.budget)
        print(f"resuming {args.out}: {len(data['runs'])} finished runs kept", file=sys.stderr)
    elif args.rerun:
        p.error("--rerun needs --resume (and a saved --out)")
    elif Path(args.out).exists() and not args.quick:
        p.error(f"{args.out} exists: pass --resume to continue it, or another --out")
    run_all(args, tasks, methods, data)
    print(report(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
