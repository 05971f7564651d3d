"""Chaos: while 6 worker processes share a study (SQLite file, real PostgreSQL server), a random
worker is SIGKILLed every ~1.5 s and replaced. At the end every trial a worker saw finish is
COMPLETE with the value it saw, trial numbers are dense, nothing is RUNNING once the heartbeats
of the dead have expired and been recovered, and every trial lost to a kill was queued again
exactly once (or was itself a retry, whose loss is recorded as its configuration's last).

Each run is capped at ~25 s of killing so that this file adds well under 2 minutes to CI."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import sturgeon as sg
from sturgeon import TrialState

pytestmark = pytest.mark.slow

WORKER = """
import json, random, sys, time
import sturgeon as sg

url, log = sys.argv[1], sys.argv[2]

def objective(trial):
    x = trial.suggest_float("x", -5, 5)
    time.sleep(random.uniform(0.05, 0.3))
    return (x - 1) ** 2

def seen(study, trial):  # after the tell: this worker saw the trial finish
    with open(log, "a") as f:
        f.write(json.dumps([trial.number, trial.state.value, trial.value]) + "\\n")
        f.flush()

study = sg.load_study("chaos", storage=url, sampler="random")
study.optimize(objective, callbacks=[seen], heartbeat_interval=1.0)
"""

N_WORKERS = 6
KILL_FOR_S = 25.0
EXPIRY_S = 3 * 1.0 + 1.0  # the heartbeat expiry of the workers' interval


def _chaos(url: str, tmp: Path) -> None:
    sg.create_study(storage=url, name="chaos", sampler="random", seed=0)
    script = tmp / "worker.py"
    script.write_text(WORKER)
    rng = random.Random(0)
    procs: list[tuple[subprocess.Popen, Path]] = []

    def spawn() -> None:
        log = tmp / f"seen-{len(procs)}.jsonl"
        procs.append((subprocess.Popen([sys.executable, str(script), url, str(log)]), log))

    for _ in range(N_WORKERS):
        spawn()
    deadline = time.monotonic() + KILL_FOR_S
    killed = 0
    while time.monotonic() < deadline:
        time.sleep(rng.uniform(1.0, 2.0))
        alive = [p for p, _ in procs if p.poll() is None]
        victim = rng.choice(alive)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        killed += 1
        spawn()
    time.sleep(5.0)  # the last replacement has started its loop (a stop counts for loops already running)
    sg.load_study("chaos", storage=url).stop(reason="the chaos is over")  # the rest stop cleanly
    for p, _ in procs:
        p.wait(120)
    time.sleep(EXPIRY_S + 0.5)  # let the killed workers' heartbeats expire
    study = sg.load_study("chaos", storage=url, sampler="random")
    study.fail_stale_trials()
    trials = study.trials

    seen: dict[int, tuple[str, float]] = {}
    for _, log in procs:
        if log.exists():
            for line in log.read_text().splitlines():
                n, state, value = json.loads(line)
                assert n not in seen  # no trial finished twice
                seen[n] = (state, value)
    assert killed >= 10 and len(seen) > 50
    assert [t.number for t in trials] == list(range(len(trials)))
    for n, (state, value) in seen.items():  # every finish a worker saw is in the study as it saw it
        assert trials[n].state.value == state == "COMPLETE" and trials[n].value == value
    assert not [t.number for t in trials if t.state is TrialState.RUNNING]
    lost = [t for t in trials if t.state is TrialState.FAIL and (t.fail_reason or "").startswith("stale")]
    assert lost, "no trial was lost to a kill: the test did not test anything"
    retries_of: dict[int, list[int]] = {}
    for t in trials:
        if isinstance(t.system_attrs.get("retry_of"), int):
            retries_of.setdefault(t.system_attrs["retry_of"], []).append(t.number)
    for t in lost:
        again = retries_of.get(t.number, [])
        if "retry_of" in t.system_attrs:  # a retry lost again: its configuration is not retried for ever
            assert again == [] and t.system_attrs.get("retries_exhausted") == 1
        else:
            assert len(again) == 1  # queued again exactly once
    for numbers in retries_of.values():
        assert len(numbers) == 1


def test_chaos_on_sqlite(tmp_path):
    _chaos(f"sqlite:///{tmp_path / 'chaos.db'}", tmp_path)


def test_chaos_on_postgresql(postgres, tmp_path):
    _chaos(postgres.new_database(), tmp_path)
