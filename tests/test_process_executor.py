"""optimize(executor="process"): trials run in worker processes on one SQLite study; an objective
from __main__ (a real script) and a closure work (cloudpickle); callbacks and study.stop() run in
the parent; an objective's exception comes back with the worker's traceback; clear errors."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import sturgeon as sg
from sturgeon import TrialState

SCRIPT = """
import os, sys
import sturgeon as sg

def objective(trial):          # defined in __main__: travels with cloudpickle
    x = trial.suggest_float("x", -5, 5)
    total = 0
    for i in range(20000):     # pure Python work
        total += i % 7
    return (x - 1) ** 2 + total * 0.0

seen = []
study = sg.create_study(storage=sys.argv[1], name="p", sampler="tpe", seed=0)
study.optimize(objective, n_trials=8, n_jobs=2, executor="process", callbacks=[lambda s, t: seen.append(t.number)])
print(sorted(seen))
print(os.getpid())
"""


def test_an_objective_from_main_runs_in_worker_processes(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    res = subprocess.run([sys.executable, str(script), url], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    seen, parent = res.stdout.strip().splitlines()
    assert seen == str(list(range(8)))  # every trial's callback ran in the parent
    trials = sg.load_study("p", storage=url).trials
    assert len(trials) == 8 and all(t.state is TrialState.COMPLETE for t in trials)
    pids = {t.worker.split("/")[0].rsplit(":", 1)[1] for t in trials}
    assert len(pids) == 2 and parent not in pids
    assert all(t.worker.split("/")[1].startswith("process:") for t in trials)


def test_a_closure_and_a_stop_from_a_callback(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    study = sg.create_study(storage=url, sampler="random", seed=0)
    offset = 3.0  # captured by the closure

    def objective(trial):
        import time

        time.sleep(0.05)
        return trial.suggest_float("x", 0, 1) + offset

    def stop_at_four(s, t):
        if len([x for x in s.trials if x.state is TrialState.COMPLETE]) >= 4:
            s.stop(reason="enough")

    study.optimize(objective, n_trials=200, n_jobs=2, executor="process", callbacks=[stop_at_four])
    trials = study.trials
    assert 4 <= len(trials) < 200
    assert all(t.state is TrialState.COMPLETE and t.value >= 3.0 for t in trials)


def _boom(trial):
    trial.suggest_float("x", 0, 1)
    raise RuntimeError("the objective broke")


def test_an_objective_error_comes_back_with_the_workers_traceback(tmp_path):
    study = sg.create_study(storage=f"sqlite:///{tmp_path / 'e.db'}", sampler="random", seed=0)
    with pytest.raises(sg.SturgeonError, match="the objective broke") as info:
        study.optimize(_boom, n_trials=4, n_jobs=2, executor="process")
    assert "in worker process" in str(info.value) and "Traceback" in str(info.value)
    assert not [t for t in study.trials if t.state is TrialState.RUNNING]
    study.optimize(_boom, n_trials=4, n_jobs=2, executor="process", catch=RuntimeError)  # caught: goes on
    assert sum(t.state is TrialState.FAIL for t in study.trials) >= 4


def test_process_executor_needs_a_shared_database_and_a_known_name():
    study = sg.create_study(sampler="random")
    with pytest.raises(sg.InvalidValueError, match="executor='process' needs a study in a database"):
        study.optimize(_boom, n_trials=1, n_jobs=2, executor="process")
    with pytest.raises(sg.InvalidValueError, match=r"executor must be one of \['thread', 'process'\]"):
        study.optimize(_boom, n_trials=1, executor="ray?")
    assert study.trials == [] and os.getpid() > 0


def _limited(trial):
    import time

    x = trial.suggest_float("x", 0, 1)
    if trial.number % 2 == 1:
        mode = trial.study.user_attrs["mode"]
        if mode == "slow":
            time.sleep(60)
        else:
            hog = bytearray(400 * 1024 * 1024)  # touched: resident
            for i in range(0, len(hog), 4096):
                hog[i] = 1
            time.sleep(60)
    return x


@pytest.mark.parametrize("mode", ["slow", "hungry"])
def test_a_trial_past_its_limit_fails_with_the_reason_and_the_study_goes_on(tmp_path, mode):
    study = sg.create_study(storage=f"sqlite:///{tmp_path / 'l.db'}", sampler="random", seed=0)
    study.set_user_attr("mode", mode)
    limits = {"trial_timeout": 3.0} if mode == "slow" else {"trial_memory": 200 * 1024 * 1024}
    study.optimize(_limited, n_trials=4, n_jobs=2, executor="process", **limits)
    trials = study.trials
    assert len(trials) == 4 and not [t for t in trials if t.state is TrialState.RUNNING]
    failed = [t for t in trials if t.state is TrialState.FAIL]
    assert [t.number for t in failed] == [1, 3]
    expected = "TIMEOUT: ran longer than trial_timeout=3 s" if mode == "slow" else "OOM: resident memory"
    assert all(t.fail_reason.startswith(expected) for t in failed)
    assert all(t.state is TrialState.COMPLETE for t in trials if t.number % 2 == 0)


def test_a_killed_worker_s_trial_is_recovered_with_the_reason(tmp_path):
    import signal
    import threading
    import time

    study = sg.create_study(storage=f"sqlite:///{tmp_path / 'k.db'}", sampler="random", seed=0)
    study.set_user_attr("mode", "slow")

    def killer():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            running = [t for t in study.trials if t.state is TrialState.RUNNING and t.number == 1 and t.worker]
            if running:
                pid = int(running[0].worker.split("/")[0].rsplit(":", 1)[1])
                os.kill(pid, signal.SIGKILL)
                return
            time.sleep(0.1)

    threading.Thread(target=killer, daemon=True).start()
    study.optimize(_limited, n_trials=2, n_jobs=1, executor="process", trial_timeout=30.0)
    t1 = study.trials[1]
    assert t1.state is TrialState.FAIL and t1.fail_reason == "KILLED by signal 9"
    (retry,) = [t for t in study.trials if t.system_attrs.get("retry_of") == 1]
    assert retry.fixed_params == t1.params


def test_limits_need_processes_and_sane_values():
    study = sg.create_study(sampler="random")
    with pytest.raises(sg.InvalidValueError, match="trial_timeout and trial_memory need executor='process'"):
        study.optimize(_boom, n_trials=1, trial_timeout=5)
    for bad in ({"trial_timeout": 0}, {"trial_timeout": float("nan")}, {"trial_memory": 1.5}, {"trial_memory": -1}):
        with pytest.raises(sg.InvalidValueError, match=next(iter(bad))):
            study.optimize(_boom, n_trials=1, executor="process", **bad)


def test_samplers_steer_away_from_a_region_that_runs_out_of_time():
    """Trials that failed by a per-trial limit count as the study's worst result to TPE; plain
    failures are ignored. Same history rule, same seeds: fewer proposals in that region."""

    def share_in_region(reason: str, seed: int) -> float:
        study = sg.create_study(sampler=sg.samplers.TPESampler(seed=seed, n_startup_trials=5))
        space = {"x": sg.Float(0, 1)}
        for _ in range(40):
            t = study.ask(space)
            x = t.params["x"]
            if x > 0.6:  # where the best values would be, but every trial there runs out of time
                study.tell(t, state=TrialState.FAIL, reason=reason)
            else:
                study.tell(t, -x)
        later = [study.ask(space) for _ in range(60)]
        for t in later:
            study.tell(t, state=TrialState.FAIL, reason="not run")
        return sum(t.params["x"] > 0.6 for t in later) / len(later)

    timed_out = [share_in_region("TIMEOUT: ran longer than trial_timeout=60 s", seed) for seed in range(3)]
    plain = [share_in_region("ValueError: boom", seed) for seed in range(3)]
    assert all(a < b for a, b in zip(timed_out, plain, strict=True))
    assert sum(timed_out) < 0.7 * sum(plain)
