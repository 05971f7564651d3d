"""Ctrl-C during optimize (a real subprocess gets SIGINT): the running trial is not lost. With a
checkpoint it is PAUSED ("interrupted") and a later optimize resumes it first; without one it is
FAIL with the reason "interrupted" and its parameters are queued again once."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

import sturgeon as sg
from sturgeon import TrialState

SCRIPT = """
import sys, time
import sturgeon as sg

def objective(trial):
    x = trial.suggest_float("x", 0, 1)
    start = 0 if trial.resumed_step is None else trial.resumed_step + 1
    for step in range(start, 100):
        if sys.argv[2] == "ckpt":
            with trial.checkpoint(step) as folder:
                (folder / "s").write_text(str(step))
        trial.report(x, step)
        time.sleep(0.05)
    return x

study = sg.load_study("s", storage=sys.argv[1], sampler="random")
study.optimize(objective, n_trials=5)
"""


@pytest.mark.parametrize("kind", ["ckpt", "plain"])
def test_ctrl_c_pauses_or_requeues_the_running_trial(tmp_path, kind):
    url = f"sqlite:///{tmp_path / 'i.db'}"
    study = sg.create_study(storage=url, name="s", sampler="random", seed=0)
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), url, kind], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (study.trials and len(study.trials[0].intermediate_values) >= 3):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "KeyboardInterrupt" in err
    trials = study.trials
    first = trials[0]
    assert not [t for t in trials if t.state is TrialState.RUNNING]
    if kind == "ckpt":
        assert first.state is TrialState.PAUSED and first.pause_reason == "interrupted"
        assert len(trials) == 1
        script.write_text(SCRIPT.replace("n_trials=5", "n_trials=0"))
        subprocess.run([sys.executable, str(script), url, kind], check=True, timeout=300)
        first = study.trials[0]
        assert first.state is TrialState.COMPLETE and first.resumed_step is not None
    else:
        assert first.state is TrialState.FAIL and first.fail_reason == "interrupted"
        (retry,) = trials[1:]
        assert retry.state is TrialState.WAITING and retry.fixed_params == first.params
        assert retry.system_attrs["retry_of"] == 0


_CALLS: list[int] = []


def _flaky(trial: sg.Trial) -> float:
    x = trial.suggest_float("x", 0, 1)
    _CALLS.append(trial.number)
    if len(_CALLS) == 1:  # the first call only
        raise ConnectionError("the data server dropped the connection")
    return x


def test_retry_on_queues_an_objective_error_again_and_the_chain_is_recorded():
    study = sg.create_study(sampler="random", seed=0)
    study.optimize(_flaky, n_trials=1, retry_on=ConnectionError)
    first, retry = study.trials
    assert first.state is TrialState.FAIL and first.fail_reason.startswith("ConnectionError")
    assert retry.state is TrialState.WAITING and retry.system_attrs["retry_of"] == 0
    study.optimize(_flaky, n_trials=1)  # the enqueued retry runs first, and succeeds
    assert study.trials[1].state is TrialState.COMPLETE and study.trials[1].params == first.params


def _always(trial: sg.Trial) -> float:
    trial.suggest_float("x", 0, 1)
    raise ConnectionError("down")


def test_a_configuration_that_keeps_failing_is_not_retried_for_ever():
    study = sg.create_study(sampler="random", seed=0)
    study.optimize(_always, n_trials=1, retries=2, retry_on=ConnectionError)
    for _ in range(5):  # run whatever is queued
        study.optimize(_always, n_trials=0, retries=2, retry_on=ConnectionError)
        waiting = [t for t in study.trials if t.state is TrialState.WAITING]
        if not waiting:
            break
        study.optimize(_always, n_trials=len(waiting), retries=2, retry_on=ConnectionError)
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.FAIL] * 3  # the first and its 2 retries
    assert [t.system_attrs.get("retry_of") for t in trials] == [None, 0, 1]
    assert trials[-1].system_attrs["retries_exhausted"] == 2
    with pytest.raises(sg.InvalidValueError, match="retries must be an int >= 0"):
        study.optimize(_always, n_trials=1, retries=-1)
