"""``sturgeon worker``: processes in different working folders join one study and share it with
nothing lost or duplicated; SIGTERM finishes the running trial and leaves nothing RUNNING."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import sturgeon as sg
from sturgeon import TrialState

OBJECTIVE = """
import time

def objective(trial):
    x = trial.suggest_float("x", -3, 3)
    time.sleep(float(__import__("os").environ.get("SLEEP", "0")))
    return (x - 1) ** 2
"""


def _worker(url: str, folder: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.py").write_text(OBJECTIVE)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sturgeon",
            "worker",
            "--storage",
            url,
            "--study",
            "shared",
            "--objective",
            "train:objective",
            *args,
        ],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_two_workers_in_different_folders_share_one_study(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    sg.create_study(storage=url, name="shared", sampler="random", seed=0)
    procs = [_worker(url, tmp_path / f"machine{i}", "--n-trials", "15") for i in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        assert "ran 15 trials" in out
    trials = sg.load_study("shared", storage=url).trials
    assert len(trials) == 30 and [t.number for t in trials] == list(range(30))
    assert all(t.state is TrialState.COMPLETE and t.value is not None for t in trials)
    assert len({t.worker.split("/")[0] for t in trials}) == 2  # two processes


def test_sigterm_finishes_the_running_trial_and_leaves_nothing_running(tmp_path):
    import os

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    study = sg.create_study(storage=url, name="shared", sampler="random", seed=0)
    proc = _worker(url, tmp_path / "m", env={**os.environ, "SLEEP": "1.0"})
    deadline = time.monotonic() + 120
    while not study.trials:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "SIGTERM: finishing the running trials" in err
    trials = study.trials
    assert trials and all(t.state is TrialState.COMPLETE for t in trials)


@pytest.mark.parametrize(
    "spec, message",
    [("train", "MODULE:FUNCTION"), ("nosuchmodule:f", "cannot import"), ("train:nothing", "no function")],
)
def test_a_bad_objective_is_one_clear_line(tmp_path, spec, message):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    sg.create_study(storage=url, name="shared", sampler="random", seed=0)
    (tmp_path / "train.py").write_text(OBJECTIVE)
    res = subprocess.run(
        [sys.executable, "-m", "sturgeon", "worker", "--storage", url, "--study", "shared", "--objective", spec],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode != 0 and message in res.stderr and "Traceback" not in res.stderr
