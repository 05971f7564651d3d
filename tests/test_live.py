"""Live changes to a running trial (docs/architecture.md, "Live changes"): set, pause, resume,
stop and rewind from another process, the CLI and the Python API; the trial's record of them."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path

import pytest

import sturgeon as sg
from sturgeon import TrialState
from sturgeon.pruners import Decision

WORKER = Path(__file__).with_name("_live_worker.py")
COMPLETE, PAUSED, RUNNING, PRUNED = TrialState.COMPLETE, TrialState.PAUSED, TrialState.RUNNING, TrialState.PRUNED


def _records(log: Path) -> list[dict]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def _wait_for(log: Path, proc: subprocess.Popen, **match: object) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if any(all(r.get(k) == v for k, v in match.items()) for r in _records(log)):
            return
        if proc.poll() is not None:
            raise AssertionError(f"the worker exited ({proc.returncode}): {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {match}")


def _cli(*args: str) -> str:
    res = subprocess.run([sys.executable, "-m", "sturgeon", *args], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    return res.stdout


@pytest.mark.slow
@pytest.mark.parametrize("way", ["cli", "api"])
def test_a_real_training_process_follows_a_live_rate_change_and_a_rewind(tmp_path, way):
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    url = f"sqlite:///{tmp_path / 'live.db'}"
    study = sg.create_study(name="panda", storage=url, sampler="random", pruner=None, seed=3)
    study.enqueue({"lr": 0.01, "momentum": 0.5})
    log, flag_a, flag_b = tmp_path / "log.jsonl", tmp_path / "a", tmp_path / "b"
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), url, "panda", str(log), "--epochs", "10", "--wait-at", f"2:{flag_a}",
         "--wait-at", f"6:{flag_b}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        _wait_for(log, proc, event="waiting", step=2)
        if way == "cli":
            out = _cli("set", "panda", "0", "lr=0.2", "--reason", "plateau", "--storage", url)
            assert "lr=0.2" in out
        else:
            sg.load_study(name="panda", storage=url).set_live_params(0, {"lr": 0.2}, reason="plateau")
        flag_a.touch()
        _wait_for(log, proc, event="waiting", step=6)
        if way == "cli":
            _cli("rewind", "panda", "0", "--to-step", "4", "lr=0.05", "--reason", "too bold", "--storage", url)
        else:
            sg.load_study(name="panda", storage=url).rewind_trial(0, 4, {"lr": 0.05}, reason="too bold")
        flag_b.touch()
        proc.wait(timeout=120)
        assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        proc.kill()

    t = sg.load_study(name="panda", storage=url).trials[0]
    assert t.state is COMPLETE and t.n_pauses == 1 and t.resumed_step == 4
    set_change, rewind = t.live_changes
    # the set: asked while the trial waited after epoch 2, applied at its next report (epoch 3),
    # in force from epoch 4 on, with the old and new values and the reason
    assert (set_change.action, set_change.step, set_change.reason) == ("set", 4, "plateau")
    assert set_change.params == {"lr": 0.2} and set_change.old == {"lr": 0.01} and not set_change.superseded
    assert (rewind.action, rewind.step, rewind.source, rewind.reason) == ("rewind", 5, (0, 4), "too bold")
    assert rewind.params == {"lr": 0.05} and rewind.old == {"lr": 0.2}
    assert t.schedule == [(0, {"lr": 0.01, "momentum": 0.5}), (4, {"lr": 0.2, "momentum": 0.5}),
                          (5, {"lr": 0.05, "momentum": 0.5})]  # fmt: skip

    records = _records(log)
    epochs = [(r["step"], r["lr"], r["resumed"]) for r in records if r["event"] == "epoch"]
    # the optimizer really used each value from the step the trial recorded
    first = [(s, lr) for s, lr, resumed in epochs if resumed is None]
    second = [(s, lr) for s, lr, resumed in epochs if resumed == 4]
    assert first == [(0, 0.01), (1, 0.01), (2, 0.01), (3, 0.01), (4, 0.2), (5, 0.2), (6, 0.2), (7, 0.2)]
    assert second == [(s, 0.05) for s in range(5, 10)]
    # the rewind went on from the checkpoint of step 4: the weights loaded are the ones saved then
    saved = {r["step"]: r["digest"] for r in records if r["event"] == "save"}
    (load,) = [r for r in records if r["event"] == "load"]
    first_saves = [r for r in records if r["event"] == "save"][:8]
    assert load["step"] == 4 and load["digest"] == first_saves[4]["digest"]
    assert saved[4] == load["digest"]
    # the abandoned branch's reports stay in the log, superseded; the kept ones are the new branch
    assert [s for s, _ in t.superseded_values] == [5, 6, 7]
    assert sorted(t.intermediate_values) == list(range(10))
    assert t.resource == 8 + 5

    shown = _cli("show", "panda", "0", "--storage", url)
    assert "plateau" in shown and "too bold" in shown and "rewind" in shown
    assert "lr = 0.01 -> 0.05" in shown


# -- in one process: the rules of each request --------------------------------------------------------
def _trainer(study: sg.Study, steps: int = 8, hook=None, used: list | None = None):
    def objective(trial: sg.Trial) -> float:
        trial.suggest_float("lr", 1e-3, 1.0, log=True)
        trial.set_checkpoint_keep(steps)
        start = 0 if trial.resumed_step is None else trial.resumed_step + 1
        w = 0.0
        if trial.resumed_step is not None:
            w = float((trial.latest_checkpoint() / "w").read_text())
        for step in range(start, steps):
            lr = trial.live_params["lr"]
            if used is not None:
                used.append((trial.number, step, lr))
            w += lr
            with trial.checkpoint(step) as folder:
                (folder / "w").write_text(repr(w))
            trial.report(w, step)
            if hook is not None:
                hook(trial, step)
            if trial.should_prune():
                raise sg.TrialPruned()
        return w

    return objective


@pytest.fixture
def study(tmp_path):
    s = sg.create_study(name="s", storage=f"sqlite:///{tmp_path / 's.db'}", sampler="random", pruner=None, seed=0)
    s.enqueue({"lr": 0.1})
    return s


def test_decide_says_change_at_the_report_that_applied_a_live_change(study):
    decisions = []

    def hook(trial, step):
        if step == 1:
            study.set_live_params(trial.number, {"lr": 0.5})
        decisions.append(trial.decide())

    study.optimize(_trainer(study, steps=4, hook=hook), n_trials=1)
    # asked after report 1: applied at report 2 (in force from step 3), so CHANGE at step 2 only
    assert decisions == [Decision.CONTINUE, Decision.CONTINUE, Decision.CHANGE, Decision.CONTINUE]
    t = study.trials[0]
    assert [(c.step, c.params) for c in t.live_changes] == [(3, {"lr": 0.5})]
    assert t.live_params == {"lr": 0.5} and t.params == {"lr": 0.1}  # samplers learn from the start


def test_pause_then_resume_from_outside(study):
    used = []

    def hook(trial, step):
        if step == 2 and trial.resumed_step is None:
            study.pause_trial(trial.number, reason="lunch")

    study.optimize(_trainer(study, hook=hook, used=used), n_trials=1)
    t = study.trials[0]
    assert t.state is PAUSED and t.pause_reason == "user" and t.pause_info["step"] == 3
    study.optimize(_trainer(study, hook=hook, used=used), n_trials=1)  # a person-paused trial waits
    assert study.trials[0].state is PAUSED and len(study.trials) == 2
    with pytest.raises(sg.TrialStateError, match="'pause' needs a RUNNING trial"):
        study.pause_trial(0)
    study.set_live_params(0, {"lr": 0.3}, reason="while paused")
    study.resume_trial(0)
    study.optimize(_trainer(study, hook=hook, used=used), n_trials=0)
    t = study.trials[0]
    assert t.state is COMPLETE and t.resumed_step == 3
    assert [(s, lr) for n, s, lr in used if n == 0] == [(0, 0.1), (1, 0.1), (2, 0.1), (3, 0.1)] + [
        (s, 0.3) for s in range(4, 8)
    ]
    assert [(c.step, c.params, c.reason) for c in t.live_changes] == [(4, {"lr": 0.3}, "while paused")]


@pytest.mark.parametrize("prune", [False, True])
def test_stop_finishes_a_running_trial_with_its_best_value_or_pruned(study, prune):
    def hook(trial, step):
        if step == 2:
            study.stop_trial(trial.number, prune=prune, reason="good enough")

    study.optimize(_trainer(study, hook=hook), n_trials=1)
    t = study.trials[0]
    assert t.last_step == 3  # it acts at the report after the request
    assert t.system_attrs["stopped_by"]["reason"] == "good enough"
    if prune:
        assert t.state is PRUNED
    else:  # minimize: the best of its reports is the first one
        assert t.state is COMPLETE and t.value == pytest.approx(0.1)


def test_stop_of_a_paused_trial_finishes_it_at_once_and_no_worker_resumes_it(study):
    def hook(trial, step):
        if step == 1:
            study.pause_trial(trial.number)

    study.optimize(_trainer(study, hook=hook), n_trials=1)
    assert study.trials[0].state is PAUSED
    t = study.stop_trial(0)
    assert t.state is COMPLETE and t.value == pytest.approx(0.1)
    with pytest.raises(sg.TrialStateError, match="finished trials do not change"):
        study.resume_trial(0)


def test_rewind_of_a_paused_trial_goes_on_from_that_checkpoint(study):
    def hook(trial, step):
        if step == 5 and trial.resumed_step is None:
            study.pause_trial(trial.number)

    study.optimize(_trainer(study, hook=hook), n_trials=1)
    assert study.trials[0].state is PAUSED and study.trials[0].pause_info["step"] == 6
    study.rewind_trial(0, 2, {"lr": 0.2}, reason="back")
    study.optimize(_trainer(study), n_trials=0)
    t = study.trials[0]
    assert t.state is COMPLETE and t.resumed_step == 2
    assert [s for s, _ in t.superseded_values] == [3, 4, 5, 6]
    assert t.value == pytest.approx(3 * 0.1 + 5 * 0.2)  # w from the checkpoint at 2, then 0.2 a step
    (change,) = t.live_changes
    assert (change.action, change.step, change.source, change.params) == ("rewind", 3, (0, 2), {"lr": 0.2})


def test_a_change_after_a_rewind_point_is_superseded(study):
    def hook(trial, step):
        if trial.resumed_step is None and step == 1:
            study.set_live_params(trial.number, {"lr": 0.5})  # in force from 3
        if trial.resumed_step is None and step == 4:
            study.rewind_trial(trial.number, 1)  # back before that change was decided

    study.optimize(_trainer(study, hook=hook), n_trials=1)
    t = study.trials[0]
    assert t.state is COMPLETE and t.resumed_step == 1
    first, rewind = t.live_changes
    assert first.step == 3 and first.superseded and rewind.action == "rewind" and rewind.params == {}
    assert t.live_params == {"lr": 0.1} and t.schedule == [(0, {"lr": 0.1})]
    assert t.value == pytest.approx(8 * 0.1)


# -- bad requests: clear errors, nothing written -------------------------------------------------------
def test_bad_live_requests_fail_clearly(study):
    def hook(trial, step):
        if step != 0:
            return
        n = trial.number
        with pytest.raises(sg.InvalidValueError, match=r"'lr'.*outside its distribution.*allow_outside"):
            study.set_live_params(n, {"lr": 5.0})
        with pytest.raises(sg.InvalidValueError, match=r"no parameter 'beta'.*allow_new"):
            study.set_live_params(n, {"beta": 1})
        with pytest.raises(sg.InvalidValueError, match=r"log-scaled: value must be > 0"):
            study.set_live_params(n, {"lr": -1.0}, allow_outside=True)
        with pytest.raises(sg.InvalidValueError, match="non-empty dict"):
            study.set_live_params(n, {})
        with pytest.raises(sg.InvalidValueError, match="has no trial 7"):
            study.set_live_params(7, {"lr": 0.2})
        with pytest.raises(sg.InvalidValueError, match=r"no checkpoint at step 3 .*steps: \[0\]"):
            study.rewind_trial(n, 3)
        with pytest.raises(sg.TrialStateError, match="needs a PAUSED trial"):
            study.resume_trial(n)
        study.set_live_params(n, {"lr": 5.0}, allow_outside=True)
        study.set_live_params(n, {"beta": 2}, allow_new=True)

    study.optimize(_trainer(study, steps=3, hook=hook), n_trials=1)
    t = study.trials[0]
    assert [c.params for c in t.live_changes] == [{"lr": 5.0}, {"beta": 2}]
    assert t.live_params == {"lr": 5.0, "beta": 2}
    with pytest.raises(sg.TrialStateError, match="COMPLETE.*finished trials do not change"):
        study.set_live_params(0, {"lr": 0.2})
    n = study.enqueue({"lr": 0.2})
    with pytest.raises(sg.TrialStateError, match="WAITING.*enqueue it"):
        study.set_live_params(n, {"lr": 0.3})


def test_cli_errors_name_the_problem(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    study = sg.create_study(name="c", storage=url, sampler="random", pruner=None)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    res = subprocess.run(
        [sys.executable, "-m", "sturgeon", "set", "c", "0", "x=0.5", "--storage", url], capture_output=True, text=True
    )
    assert res.returncode == 1 and "trial 0 is COMPLETE" in res.stderr
    res = subprocess.run(
        [sys.executable, "-m", "sturgeon", "set", "c", "0", "x", "--storage", url], capture_output=True, text=True
    )
    assert res.returncode == 1 and ("NAME=VALUE" in res.stderr or "COMPLETE" in res.stderr)
    assert math.isfinite(study.trials[0].value or 0.0)


# -- sturgeon watch --------------------------------------------------------------------------------------
def test_watch_draws_curves_with_changes_and_stops_cleanly_on_ctrl_c(tmp_path):
    import signal

    pytest.importorskip("plotext")
    url = f"sqlite:///{tmp_path / 'w.db'}"
    study = sg.create_study(name="w", storage=url, sampler="random", pruner=None, seed=0)
    study.enqueue({"lr": 0.1})

    def hook(trial, step):
        if step == 2:
            study.set_live_params(trial.number, {"lr": 0.4}, reason="faster")

    study.optimize(_trainer(study, hook=hook), n_trials=1)
    out = _cli("watch", "w", "0", "--once", "--storage", url, "--width", "80", "--height", "15")
    assert "w #0 COMPLETE" in out and "lr=0.4" in out and "1 change(s)" in out and "step" in out
    assert "#0 complete" in _cli("watch", "w", "--once", "--storage", url)
    res = subprocess.run(
        [sys.executable, "-m", "sturgeon", "watch", "w", "5", "--once", "--storage", url],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 1 and "has no trial 5" in res.stderr

    proc = subprocess.Popen(
        [sys.executable, "-m", "sturgeon", "watch", "w", "--storage", url, "--interval", "0.2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(2.0)  # a few redraws
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Stopped watching." in out and "Traceback" not in err
