"""Storage benchmark: sturgeon against Optuna, side by side, in one run.

    python benchmarks/storage.py            # defaults: a few minutes at most
    python benchmarks/storage.py --quick    # a smoke run of a few seconds

Measures

1. ask+tell throughput (trials/s) with a trivial define-by-run objective (2 floats, 1 int,
   1 categorical, suggested one by one after ``ask()``, then ``tell``), random sampler on
   both, on (a) an SQLite file in a fresh temporary folder and (b) in memory. Optuna on
   SQLite is slow, so it runs ``--optuna-sqlite-trials`` trials there (throughput is per
   trial; both libraries get slower as a study grows, so a shorter run flatters Optuna).
   Each configuration runs ``--repeats`` times, interleaved, each time in a new study; the
   table shows the median. An untimed warm-up of 5 trials per library runs first.
2. the time to open a ``--load-trials`` trial study from an SQLite file and read every
   trial (``load_study(...)`` then ``len(study.trials)``), each time in a fresh Python
   process, after imports, so no in-process cache is warm (the OS file cache is).

How the load studies are built (not timed):

* sturgeon: ``study.ask(space)`` + ``study.tell`` in a loop, the public API, same events as
  the define-by-run objective (one ask with a declarative space writes its 4 parameters in
  one append instead of 4).
* Optuna: ``study.add_trials`` writes a seed block of completed trials (up to 200) through
  Optuna's own storage; the block's rows are then copied with SQL, doubling the study until
  it has ``--load-trials`` trials (``add_trials`` alone runs at about 70-150 trials/s,
  too slow for 10,000). The copies keep Optuna's own row formats; ``load_study`` reads the
  result back and the child process checks the trial count.

Needs ``optuna`` (``pip install -e ".[bench]"``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy

import sturgeon as sg

try:
    import optuna
except ImportError:  # pragma: no cover - the benchmark needs it
    sys.exit("benchmarks/storage.py needs optuna: pip install -e '.[bench]'")

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

STUDY = "bench"
CHOICES = ["adam", "sgd", "rmsprop"]
OPTUNA_SEED_BLOCK = 200
# what optuna.storages._rdb.storage imports lazily, on the first RDBStorage
OPTUNA_LAZY_MODULES = (
    "alembic.command",
    "alembic.config",
    "alembic.migration",
    "alembic.script",
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.orm",
    "optuna.storages._rdb.models",
)


# -- the objective ----------------------------------------------------------------------------
def _suggest(trial: Any) -> float:
    """Same define-by-run body for both libraries (their suggest_* signatures agree)."""
    x = trial.suggest_float("x", -10.0, 10.0)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    units = trial.suggest_int("units", 1, 512)
    opt = trial.suggest_categorical("optimizer", CHOICES)
    return x * x + lr + units / 512 + CHOICES.index(opt)


def _run_sturgeon(storage: str | None, n: int) -> float:
    study = sg.create_study(name=STUDY, storage=storage, sampler="random", seed=0)
    t0 = time.perf_counter()
    for _ in range(n):
        trial = study.ask()
        study.tell(trial, _suggest(trial))
    elapsed = time.perf_counter() - t0
    study.storage.close()
    return elapsed


def _run_optuna(storage: str | None, n: int) -> float:
    study = optuna.create_study(study_name=STUDY, storage=storage, sampler=optuna.samplers.RandomSampler(seed=0))
    t0 = time.perf_counter()
    for _ in range(n):
        trial = study.ask()
        study.tell(trial, _suggest(trial))
    elapsed = time.perf_counter() - t0
    _dispose_optuna(study)
    return elapsed


def _dispose_optuna(study: optuna.Study) -> None:
    storage = study._storage
    storage = getattr(storage, "_backend", storage)  # _CachedStorage wraps the RDBStorage
    engine = getattr(storage, "engine", None)
    if engine is not None:
        engine.dispose()


def _throughput(run: Callable[[str | None, int], float], backend: str, n: int) -> float:
    """Trials per second for ``n`` ask+tell in a new study, on 'sqlite' (fresh folder) or 'memory'."""
    if n <= 0:
        return math.nan
    if backend == "memory":
        return n / run(None, n)
    with tempfile.TemporaryDirectory(prefix="sturgeon-bench-") as tmp:
        return n / run(f"sqlite:///{Path(tmp) / 'study.db'}", n)


# -- building the studies to load -----------------------------------------------------------
def _build_sturgeon(url: str, n: int) -> float:
    study = sg.create_study(name=STUDY, storage=url, sampler="random", seed=0)
    space = {
        "x": sg.Float(-10.0, 10.0),
        "lr": sg.Float(1e-5, 1e-1, log=True),
        "units": sg.Int(1, 512),
        "optimizer": sg.Categorical(CHOICES),
    }
    t0 = time.perf_counter()
    for _ in range(n):
        trial = study.ask(space)
        p = trial.params
        study.tell(trial, p["x"] ** 2 + p["lr"] + p["units"] / 512 + CHOICES.index(p["optimizer"]))
    elapsed = time.perf_counter() - t0
    study.storage.close()
    return elapsed


def _build_optuna(path: Path, n: int) -> float:
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    t0 = time.perf_counter()
    rng = random.Random(0)
    dists = {
        "x": FloatDistribution(-10.0, 10.0),
        "lr": FloatDistribution(1e-5, 1e-1, log=True),
        "units": IntDistribution(1, 512),
        "optimizer": CategoricalDistribution(CHOICES),
    }
    seed = []
    for _ in range(min(n, OPTUNA_SEED_BLOCK)):
        params = {
            "x": rng.uniform(-10.0, 10.0),
            "lr": 10 ** rng.uniform(-5, -1),
            "units": rng.randint(1, 512),
            "optimizer": rng.choice(CHOICES),
        }
        value = params["x"] ** 2 + params["lr"] + params["units"] / 512 + CHOICES.index(params["optimizer"])
        seed.append(optuna.trial.create_trial(params=params, distributions=dists, value=value))
    study = optuna.create_study(study_name=STUDY, storage=f"sqlite:///{path}")
    study.add_trials(seed)
    _dispose_optuna(study)

    con = sqlite3.connect(path)
    try:
        with con:
            (study_id,) = con.execute("SELECT study_id FROM studies WHERE study_name = ?", (STUDY,)).fetchone()
            have = len(seed)
            while have < n:
                k = min(have, n - have)  # copy trials number < k, as numbers have..have+k-1
                (offset,) = con.execute("SELECT MAX(trial_id) FROM trials").fetchone()
                con.execute(
                    "INSERT INTO trials (trial_id, number, study_id, state, datetime_start, datetime_complete) "
                    "SELECT trial_id + ?, number + ?, study_id, state, datetime_start, datetime_complete "
                    "FROM trials WHERE study_id = ? AND number < ?",
                    (offset, have, study_id, k),
                )
                for table, cols in (
                    ("trial_params", "param_name, param_value, distribution_json"),
                    ("trial_values", "objective, value, value_type"),
                    ("trial_intermediate_values", "step, intermediate_value, intermediate_value_type"),
                    ("trial_user_attributes", '"key", value_json'),
                    ("trial_system_attributes", '"key", value_json'),
                ):
                    con.execute(
                        f"INSERT INTO {table} (trial_id, {cols}) SELECT c.trial_id + ?, {cols} FROM {table} c "
                        "JOIN trials t ON t.trial_id = c.trial_id WHERE t.study_id = ? AND t.number < ?",
                        (offset, study_id, k),
                    )
                have += k
    finally:
        con.close()
    return time.perf_counter() - t0


# -- loading, in a fresh process ------------------------------------------------------------
def _child_load(lib: str, url: str) -> None:
    """Runs in the child process: time load_study + reading every trial, print JSON.

    Imports are not timed: sturgeon imports SQLAlchemy up front, Optuna imports its RDB
    modules (SQLAlchemy ORM, alembic) lazily, so those are imported here first."""
    if lib == "optuna":
        for module in OPTUNA_LAZY_MODULES:
            importlib.import_module(module)
    if lib == "sturgeon":
        t0 = time.perf_counter()
        study = sg.load_study(STUDY, storage=url)
        n = len(study.trials)
        elapsed = time.perf_counter() - t0
    else:
        t0 = time.perf_counter()
        ostudy = optuna.load_study(study_name=STUDY, storage=url)
        n = len(ostudy.trials)
        elapsed = time.perf_counter() - t0
    print(json.dumps({"seconds": elapsed, "n_trials": n}))


def _load_in_fresh_process(lib: str, url: str, expected: int) -> float:
    out = subprocess.run(
        [sys.executable, __file__, "--child-load", lib, url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    if result["n_trials"] != expected:
        raise RuntimeError(f"{lib}: loaded {result['n_trials']} trials, expected {expected}")
    return float(result["seconds"])


# -- report ---------------------------------------------------------------------------------
def _machine() -> list[tuple[str, str]]:
    return [
        ("CPU", f"{os.cpu_count()} logical CPUs, {platform.machine()} ({platform.processor() or 'unknown'})"),
        ("OS", platform.platform()),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("sturgeon", sg.__version__),
        ("optuna", optuna.__version__),
        ("SQLAlchemy", sqlalchemy.__version__),
        ("SQLite", sqlite3.sqlite_version),
        ("temp dir", tempfile.gettempdir()),
    ]


def _fmt_rate(rate: float, n: int) -> str:
    return f"{rate:,.0f}/s (n={n:,})" if rate >= 100 else f"{rate:,.1f}/s (n={n:,})"


def _table(rows: list[tuple[str, str, str, str]]) -> str:
    header = ("benchmark", "sturgeon", "optuna", "sturgeon speed-up")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    line = "-+-".join("-" * w for w in widths)
    out = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)), line]
    for r in rows:
        cells = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))]
        out.append(" | ".join(cells))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], allow_abbrev=False)
    ap.add_argument("--trials", type=int, default=1000, help="ask+tell trials per run (default 1000)")
    ap.add_argument(
        "--optuna-sqlite-trials", type=int, default=200, help="ask+tell trials for Optuna on SQLite (default 200)"
    )
    ap.add_argument("--load-trials", type=int, default=10000, help="trials in the study to load (default 10000)")
    ap.add_argument("--repeats", type=int, default=3, help="ask+tell runs per configuration, median (default 3)")
    ap.add_argument("--load-repeats", type=int, default=3, help="fresh processes per load timing (default 3)")
    ap.add_argument("--quick", action="store_true", help="a small smoke run (a few seconds)")
    ap.add_argument("--child-load", nargs=2, metavar=("LIB", "URL"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child_load:
        _child_load(*args.child_load)
        return 0
    if args.quick:
        args.trials, args.optuna_sqlite_trials, args.load_trials = 50, 20, 500
        args.repeats, args.load_repeats = 1, 1

    print("sturgeon storage benchmark")
    for k, v in _machine():
        print(f"  {k:<11} {v}")
    print(
        f"  settings    --trials {args.trials} --optuna-sqlite-trials {args.optuna_sqlite_trials} "
        f"--repeats {args.repeats} --load-trials {args.load_trials} --load-repeats {args.load_repeats}"
    )
    print(flush=True)

    # warm-up (untimed): imports, SQLAlchemy compilation caches, numpy
    for run in (_run_sturgeon, _run_optuna):
        _throughput(run, "sqlite", 5)
        _throughput(run, "memory", 5)

    n_opt_sql = args.optuna_sqlite_trials
    configs = (
        ("sturgeon, SQLite", "sg_sqlite", _run_sturgeon, "sqlite", args.trials),
        ("optuna, SQLite", "op_sqlite", _run_optuna, "sqlite", n_opt_sql),
        ("sturgeon, memory", "sg_memory", _run_sturgeon, "memory", args.trials),
        ("optuna, memory", "op_memory", _run_optuna, "memory", args.trials),
    )
    runs: dict[str, list[float]] = {key: [] for _, key, _, _, _ in configs}
    for rep in range(args.repeats):  # interleaved, so slow spells of the machine hit every library
        for name, key, run, backend, n in configs:
            print(f"ask+tell {name:<17} {n:>6,} trials, run {rep + 1}/{args.repeats} ...", end=" ", flush=True)
            runs[key].append(_throughput(run, backend, n))
            print(f"{runs[key][-1]:,.1f} trials/s", flush=True)
    results = {key: statistics.median(rates) for key, rates in runs.items()}

    loads: dict[str, list[float]] = {}
    builds: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="sturgeon-bench-load-") as tmp:
        sg_path, op_path = Path(tmp) / "sturgeon.db", Path(tmp) / "optuna.db"
        print(f"building sturgeon study of {args.load_trials:,} trials (ask+tell) ...", end=" ", flush=True)
        builds["sturgeon"] = _build_sturgeon(f"sqlite:///{sg_path}", args.load_trials)
        print(f"{builds['sturgeon']:.1f} s", flush=True)
        print(f"building optuna study of {args.load_trials:,} trials (add_trials, SQL copies) ...", end=" ", flush=True)
        builds["optuna"] = _build_optuna(op_path, args.load_trials)
        print(f"{builds['optuna']:.1f} s", flush=True)
        for lib, path in (("sturgeon", sg_path), ("optuna", op_path)):
            loads[lib] = []
            for _ in range(args.load_repeats):
                loads[lib].append(_load_in_fresh_process(lib, f"sqlite:///{path}", args.load_trials))
            print(f"load {lib:<8} " + ", ".join(f"{s:.3f} s" for s in loads[lib]), flush=True)
        sizes = {lib: sum(f.stat().st_size for f in Path(tmp).glob(f"{lib}.db*")) for lib in ("sturgeon", "optuna")}

    sg_load, op_load = statistics.median(loads["sturgeon"]), statistics.median(loads["optuna"])
    rows = [
        (
            "ask+tell, SQLite file (trials/s)",
            _fmt_rate(results["sg_sqlite"], args.trials),
            _fmt_rate(results["op_sqlite"], n_opt_sql),
            f"{results['sg_sqlite'] / results['op_sqlite']:.1f}x",
        ),
        (
            "ask+tell, in memory (trials/s)",
            _fmt_rate(results["sg_memory"], args.trials),
            _fmt_rate(results["op_memory"], args.trials),
            f"{results['sg_memory'] / results['op_memory']:.2f}x",
        ),
        (
            f"load {args.load_trials:,}-trial study, SQLite (s)",
            f"{sg_load:.3f} s",
            f"{op_load:.3f} s",
            f"{op_load / sg_load:.2f}x",
        ),
    ]
    print()
    print(_table(rows))
    print()
    print("speed-up: sturgeon/optuna trials/s for ask+tell; optuna/sturgeon seconds for load (>1: sturgeon faster).")
    spread = "; ".join(f"{key} {min(r):,.1f}-{max(r):,.1f}" for key, r in runs.items())
    print(f"ask+tell: median of {args.repeats} runs, each a new study (range, trials/s: {spread}).")
    print(
        f"load: median of {args.load_repeats} fresh processes, load_study + len(study.trials), imports excluded; "
        f"files {sizes['sturgeon'] / 1e6:.1f} MB (sturgeon) / {sizes['optuna'] / 1e6:.1f} MB (optuna)."
    )
    print(
        f"build (untimed in the table): sturgeon ask(space)+tell {builds['sturgeon']:.1f} s; "
        f"optuna add_trials of {min(args.load_trials, OPTUNA_SEED_BLOCK)} + SQL copies {builds['optuna']:.1f} s."
    )
    ratio = results["sg_sqlite"] / results["op_sqlite"]
    print()
    print(f"goal: SQLite ask+tell >= 10x optuna ... {'MET' if ratio >= 10 else 'MISSED'} ({ratio:.1f}x)")
    print(f"goal: load {args.load_trials:,} trials < 1 s ... {'MET' if sg_load < 1.0 else 'MISSED'} ({sg_load:.3f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
