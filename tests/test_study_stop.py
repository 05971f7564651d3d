"""Stopping a study from anywhere: ``Study.stop``, ``sturgeon stop STUDY`` and the dashboard write
one study event that every running ``optimize`` of the study obeys (no new trial, the running
ones finish); an ``optimize`` started later is not stopped by it. And each trial records the
worker that ran it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import sturgeon as sg
from sturgeon import TrialState


def _slow(trial: sg.Trial) -> float:
    x = trial.suggest_float("x", 0, 1)
    time.sleep(0.05)
    return x


def test_a_stop_from_another_process_ends_a_running_optimize(tmp_path):
    url = f"sqlite:///{tmp_path / 'stop.db'}"
    study = sg.create_study(storage=url, name="s", sampler="random", seed=0)
    runner = threading.Thread(target=study.optimize, args=(_slow,), kwargs={"n_trials": 100_000, "n_jobs": 2})
    runner.start()
    deadline = time.monotonic() + 60
    while len(study.trials) < 3:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    res = subprocess.run(
        [sys.executable, "-m", "sturgeon", "stop", "s", "--storage", url, "--reason", "enough"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert "stop asked for" in res.stdout
    runner.join(60)
    assert not runner.is_alive()  # the loop obeyed the other process
    trials = study.trials
    assert len(trials) < 100_000 and all(t.state is TrialState.COMPLETE for t in trials)
    request = study._view.system_attrs["stop_requested"]
    assert request["reason"] == "enough" and request["by"].startswith(socket.gethostname())
    # a later optimize is not stopped by that old request
    study.optimize(_slow, n_trials=3)
    assert len(study.trials) == len(trials) + 3


def test_study_stop_works_from_a_callback_and_names_who_asked():
    study = sg.create_study(sampler="random", seed=0)
    study.optimize(_slow, n_trials=50, callbacks=[lambda s, t: s.stop() if t.number == 2 else None])
    assert len(study.trials) == 3
    assert study._view.system_attrs["stop_requested"]["by"] == f"{socket.gethostname()}:{os.getpid()}"


def test_each_trial_records_its_worker(tmp_path):
    study = sg.create_study(storage=f"sqlite:///{tmp_path / 'w.db'}", sampler="random", seed=0)
    study.optimize(_slow, n_trials=4, n_jobs=2)
    workers = {t.worker for t in study.trials}
    prefix = f"{socket.gethostname()}:{os.getpid()}/thread:"
    assert all(w is not None and w.startswith(prefix) for w in workers)
    assert len(workers) <= 2
    t = study.ask()  # a plain ask belongs to its caller: no worker
    assert study.trials[t.number].worker is None
