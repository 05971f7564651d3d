"""The trial lifecycle under real conditions: PAUSED trials and resume claims across processes,
checkpoints in the artifact store and their retention, crash recovery to PAUSED, resource
accounting and ``resource_budget``, schema migration, unknown event kinds, ask/tell with PAUSED,
and what stopped trials tell the samplers (see docs/architecture.md, "The trial lifecycle")."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import fsspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sturgeon as sg
from sturgeon import FrozenTrial, TrialState
from sturgeon.pruners import SuccessiveHalvingPruner
from sturgeon.samplers import SampleContext, make_sampler
from sturgeon.samplers._fidelity import FidelityView, target_step
from sturgeon.storage import SCHEMA_VERSION
from tests import _lifecycle_workers as workers

WORKERS = str(Path(__file__).with_name("_lifecycle_workers.py"))
PAUSED, RUNNING, COMPLETE, PRUNED, FAIL, WAITING = (
    TrialState.PAUSED,
    TrialState.RUNNING,
    TrialState.COMPLETE,
    TrialState.PRUNED,
    TrialState.FAIL,
    TrialState.WAITING,
)


# -- helpers ---------------------------------------------------------------------------------------
def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, WORKERS, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _run_worker(*args: str) -> tuple[int, dict[str, Any]]:
    """Run a worker to the end; (its pid, the JSON line it printed last)."""
    proc = _spawn(*args)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return proc.pid, json.loads(out.strip().splitlines()[-1])


def _sqlite(tmp_path: Path, stem: str = "study") -> tuple[str, Path]:
    """A new SQLite study file's URL and its default artifact folder."""
    return f"sqlite:///{tmp_path / f'{stem}.db'}", tmp_path / f"{stem}_artifacts"


def _study_id(study: sg.Study) -> int:
    return study.storage.get_study(study.name).study_id


def _files_of(root: Path, study_id: int, number: int) -> list[str]:
    """Every file the store holds for the trial (checkpoint files and commit markers)."""
    folder = root / f"study-{study_id}" / f"trial-{number}"
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _dirs_of(root: Path, study_id: int, number: int) -> set[str]:
    """The trial's checkpoint folders in a local store."""
    folder = root / f"study-{study_id}" / f"trial-{number}"
    return {p.name for p in folder.iterdir() if p.is_dir()} if folder.exists() else set()


def _names(frozen: FrozenTrial) -> set[str]:
    return {Path(key).name for key in frozen.checkpoints.values()}


def _save(trial: sg.Trial, step: int, payload: Mapping[str, Any] | None = None, size: int = 0) -> None:
    with trial.checkpoint(step) as folder:
        (folder / "state.json").write_text(json.dumps(dict(payload or {"step": step})))
        if size:
            (folder / "weights.bin").write_bytes(b"w" * size)


def _expire_heartbeat(study: sg.Study, number: int) -> None:
    """Make trial ``number`` look like its worker died: a heartbeat that has expired already."""
    study.storage.record_heartbeat(_study_id(study), number, -1.0)


def _runs(t: FrozenTrial) -> list[dict[str, Any]]:
    return [v for k, v in sorted(t.user_attrs.items()) if k.startswith("run_from_")]


def _check_runs(t: FrozenTrial) -> None:
    """Every run of the trial that resumed loaded the state saved at its resume step and
    reported from the step after it on; the reports of all runs are contiguous from step 0."""
    iv = t.intermediate_values
    assert sorted(iv) == list(range(len(iv)))
    assert t.superseded_values == ()
    for run in _runs(t):
        step = run["resumed_step"]
        if step is None:
            assert run["loaded"] is None and run["first_step"] == 0
            continue
        assert run["loaded"]["step"] == step
        assert run["loaded"]["sum"] == pytest.approx(sum(iv[s] for s in range(step + 1)))
        assert run["first_step"] == step + 1
    if t.state is COMPLETE:
        assert len(iv) == workers.STEPS
        assert t.user_attrs["final_sum"] == pytest.approx(sum(iv.values()))
        assert t.value == pytest.approx(workers.curve(t.params["x"], workers.STEPS - 1))


# -- 1. promotion with a real checkpoint round trip across two processes ------------------------
def test_a_trial_paused_in_one_process_is_promoted_and_resumed_in_another(tmp_path):
    url, root = _sqlite(tmp_path)
    sg.create_study(name="promo", storage=url)
    pid_a, out_a = _run_worker("promote", url, "promo", "9", "0")
    study = sg.load_study(name="promo", storage=url, sampler="random", pruner=workers.halving())
    sid = _study_id(study)
    after_a = study.trials
    paused_in_a = {t.number for t in after_a if t.state is PAUSED}
    assert len(after_a) == 9 and paused_in_a
    for t in after_a:
        if t.state is PAUSED:  # paused at a rung, with its checkpoint there on disk
            assert t.pause_reason == "rule" and t.latest_checkpoint_step == t.last_step
            state = json.loads((root / t.checkpoints[t.last_step] / "state.json").read_text())
            assert state == {"step": t.last_step, "sum": pytest.approx(sum(t.intermediate_values.values()))}

    pid_b, out_b = _run_worker("promote", url, "promo", "9", "0")
    assert pid_a != pid_b
    trials = study.trials
    assert [t.number for t in trials] == list(range(18))  # resumptions took no new numbers
    crossed = [
        t
        for t in trials
        if t.number in paused_in_a
        and {r["pid"] for r in _runs(t) if r["resumed_step"] is None} == {pid_a}
        and any(r["pid"] == pid_b and r["resumed_step"] is not None for r in _runs(t))
    ]
    assert crossed, "process B should have promoted and resumed a trial that process A paused"
    for t in trials:
        _check_runs(t)
    for t in crossed:
        assert t.n_pauses >= 1 and t.resumed_step is not None
    assert any(t.state is COMPLETE and t.resumed_step is not None for t in trials)

    distinct_steps = sum(len(t.intermediate_values) for t in trials)
    assert study.total_resource == distinct_steps == sum(t.resource for t in trials)
    assert study.total_resource == out_a["steps"] + out_b["steps"]

    for t in trials:  # finished trials' checkpoints are gone; paused ones keep theirs at the rung
        if t.state is PAUSED:
            assert t.latest_checkpoint_step == t.last_step and len(t.checkpoints) <= 2
            assert _dirs_of(root, sid, t.number) == _names(t)
        else:
            assert t.state is COMPLETE and t.checkpoints == {}
            assert _files_of(root, sid, t.number) == []


# -- 2. checkpoints deleted after use, kept while needed ------------------------------------------
def test_running_trial_keeps_its_newest_checkpoints_and_a_finished_one_none(tmp_path):
    url, root = _sqlite(tmp_path)
    study = sg.create_study(name="keep", storage=url, sampler="random", pruner=None, checkpoint_keep=2)
    sid = _study_id(study)
    trial = study.ask({"x": sg.Float(0, 1)})
    for step in range(5):
        trial.report(float(step), step)
        _save(trial, step, {"step": step})
        frozen = study.trials[0]
        assert sorted(frozen.checkpoints) == list(range(max(0, step - 1), step + 1))
        assert _dirs_of(root, sid, 0) == _names(frozen)  # the files on disk are exactly those
    for step, key in frozen.checkpoints.items():
        assert json.loads((root / key / "state.json").read_text()) == {"step": step}
    assert json.loads((trial.latest_checkpoint() / "state.json").read_text()) == {"step": 4}

    assert study.tell(trial, 1.0).state is COMPLETE
    assert study.trials[0].checkpoints == {}
    assert _files_of(root, sid, 0) == []

    pruned = study.ask({"x": sg.Float(0, 1)})
    for step in range(3):
        pruned.report(float(step), step)
        _save(pruned, step)
    assert len(_dirs_of(root, sid, 1)) == 2
    study.tell(pruned, state=PRUNED)
    assert study.trials[1].state is PRUNED and study.trials[1].checkpoints == {}
    assert _files_of(root, sid, 1) == []

    failed = study.ask({"x": sg.Float(0, 1)})
    _save(failed, 0)
    study.tell(failed, state=FAIL, reason="out of memory")
    assert study.trials[2].checkpoints == {}
    assert _files_of(root, sid, 2) == []


def test_checkpoint_steps_lists_only_checkpoints_that_still_exist(sqlite_url):
    study = sg.create_study(name="steps", storage=sqlite_url, sampler="random", pruner=None, checkpoint_keep=2)
    trial = study.ask({"x": sg.Float(0, 1)})
    for step in range(4):
        _save(trial, step)
    assert sorted(study.trials[0].checkpoints) == [2, 3]
    assert trial.checkpoint_steps == [2, 3]


def test_tell_returns_a_snapshot_without_the_deleted_checkpoints(sqlite_url):
    study = sg.create_study(name="tell", storage=sqlite_url, sampler="random", pruner=None)
    trial = study.ask({"x": sg.Float(0, 1)})
    _save(trial, 0)
    assert study.tell(trial, 1.0).checkpoints == study.trials[0].checkpoints == {}


def test_paused_trial_keeps_its_latest_checkpoint_and_set_checkpoint_keep_keeps_more(tmp_path):
    url, root = _sqlite(tmp_path)
    study = sg.create_study(name="keep", storage=url, sampler="random", pruner=None)  # keep: 2 by default
    sid = _study_id(study)
    paused = study.ask({"x": sg.Float(0, 1)})
    for step in range(4):
        paused.report(float(step), step)
        _save(paused, step)
    frozen = study.tell(paused, state=PAUSED)
    assert frozen.state is PAUSED and sorted(frozen.checkpoints) == [2, 3] and frozen.latest_checkpoint_step == 3
    assert _dirs_of(root, sid, 0) == _names(frozen)

    babysat = study.ask({"x": sg.Float(0, 1)})
    babysat.set_checkpoint_keep(5)
    for step in range(7):
        babysat.report(float(step), step)
        _save(babysat, step)
    frozen = study.trials[1]
    assert sorted(frozen.checkpoints) == [2, 3, 4, 5, 6]
    assert _dirs_of(root, sid, 1) == _names(frozen)
    with pytest.raises(sg.InvalidValueError, match="checkpoint_keep"):
        babysat.set_checkpoint_keep(0)

    # another worker that loads the study sees the same checkpoints and the same store
    again = sg.load_study(name="keep", storage=url, pruner=None)
    assert again.trials[0].checkpoints == study.trials[0].checkpoints
    study.tell(babysat, 1.0)
    assert _files_of(root, sid, 1) == [] and _dirs_of(root, sid, 0) == _names(study.trials[0])


def test_a_checkpoint_saved_again_at_the_same_step_replaces_the_old_one(sqlite_url, tmp_path):
    study = sg.create_study(name="again", storage=sqlite_url, sampler="random", pruner=None)
    root, sid = tmp_path / "study_artifacts", _study_id(study)
    trial = study.ask({"x": sg.Float(0, 1)})
    _save(trial, 0, {"version": 1})
    _save(trial, 0, {"version": 2}, size=100)
    frozen = study.trials[0]
    assert list(frozen.checkpoints) == [0]
    assert json.loads((root / frozen.checkpoints[0] / "state.json").read_text()) == {"version": 2}
    _save(trial, 1)  # the next collection deletes the replaced one's files too
    assert _dirs_of(root, sid, 0) == _names(study.trials[0]) and len(_names(study.trials[0])) == 2
    study.tell(trial, 0.5)
    assert _files_of(root, sid, 0) == []


def test_checkpoint_keep_is_recorded_on_the_study(tmp_path):
    url, root = _sqlite(tmp_path)
    sg.create_study(name="k3", storage=url, sampler="random", pruner=None, checkpoint_keep=3)
    worker = sg.load_study(name="k3", storage=url, sampler="random", pruner=None)  # no checkpoint_keep
    trial = worker.ask({"x": sg.Float(0, 1)})
    for step in range(6):
        _save(trial, step)
    assert sorted(worker.trials[0].checkpoints) == [3, 4, 5]
    assert _dirs_of(root, _study_id(worker), 0) == _names(worker.trials[0])
    with pytest.raises(sg.InvalidValueError, match="checkpoint_keep"):
        sg.create_study(storage=url, checkpoint_keep=0)


def test_delete_study_removes_its_checkpoint_folder_only(tmp_path):
    url, root = _sqlite(tmp_path)
    studies = [sg.create_study(name=name, storage=url, sampler="random", pruner=None) for name in ("a", "b")]
    for study in studies:
        trial = study.ask({"x": sg.Float(0, 1)})
        _save(trial, 0)
    ids = [_study_id(s) for s in studies]
    assert all((root / f"study-{i}").is_dir() for i in ids)
    sg.delete_study("a", storage=url)
    assert not (root / f"study-{ids[0]}").exists()
    assert len(_dirs_of(root, ids[1], 0)) == 1


@pytest.fixture
def memory_url() -> Iterator[str]:
    root = f"/sturgeon-lifecycle-{secrets.token_hex(6)}"
    yield f"memory://{root}"
    mem = fsspec.filesystem("memory")
    if mem.exists(root):
        mem.rm(root, recursive=True)


def test_memory_artifact_store_is_used_and_recorded_on_the_study(tmp_path, memory_url):
    url, default_root = _sqlite(tmp_path)
    study = sg.create_study(name="mem", storage=url, sampler="random", pruner=None, artifacts=memory_url)
    sid = _study_id(study)
    mem = fsspec.filesystem("memory")
    root = memory_url.removeprefix("memory://")
    trial = study.ask({"x": sg.Float(0, 1)})
    trial.report(0.5, 0)
    _save(trial, 0, {"weights": [1, 2, 3]})
    study.tell(trial, state=PAUSED)
    key = study.trials[0].checkpoints[0]
    assert json.loads(mem.cat_file(f"{root}/{key}/state.json")) == {"weights": [1, 2, 3]}
    assert not default_root.exists()  # the store named on the study, not the default

    # a worker that loads the study without artifacts= finds the store recorded on the study
    other = sg.load_study(name="mem", storage=url, sampler="random", pruner=None)
    fresh = other.ask({"x": sg.Float(0, 1)})
    _save(fresh, 0)
    (key,) = other.trials[1].checkpoints.values()
    assert mem.exists(f"{root}/{key}/state.json") and not default_root.exists()
    other.tell(fresh, 0.0)
    assert mem.find(f"{root}/study-{sid}/trial-1") == []
    assert mem.find(f"{root}/study-{sid}/trial-0")  # the paused trial keeps its checkpoint
    sg.delete_study("mem", storage=url)  # finds the store on the study, and empties its folder
    assert mem.find(f"{root}/study-{sid}") == []


def test_memory_store_resume_fetches_the_checkpoint(memory_url):
    study = sg.create_study(sampler="random", pruner=None, artifacts=memory_url)
    trial = study.ask({"x": sg.Float(0, 1)})
    trial.report(0.5, 0)
    _save(trial, 0, {"weights": [1, 2, 3]})
    _expire_heartbeat(study, 0)
    study.fail_stale_trials()
    assert study.trials[0].pause_reason == "recovered"
    resumed = study.ask()
    assert resumed.number == 0 and resumed.resumed_step == 0
    folder = resumed.latest_checkpoint()
    try:
        assert folder.is_relative_to(tempfile.gettempdir())  # a local copy of the remote checkpoint
        assert json.loads((folder / "state.json").read_text()) == {"weights": [1, 2, 3]}
        study.tell(resumed, 0.25)
        mem = fsspec.filesystem("memory")
        assert mem.find(memory_url.removeprefix("memory://")) == []
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_a_checkpoint_fetched_from_a_remote_store_is_cleaned_up_when_the_trial_ends(memory_url):
    study = sg.create_study(sampler="random", pruner=None, artifacts=memory_url)
    trial = study.ask({"x": sg.Float(0, 1)})
    _save(trial, 0, size=1000)
    _expire_heartbeat(study, 0)
    study.fail_stale_trials()
    resumed = study.ask()
    first, second = resumed.latest_checkpoint(), resumed.latest_checkpoint()
    try:
        study.tell(resumed, 1.0)
        assert not first.exists() and not second.exists()
    finally:
        for folder in (first, second):
            shutil.rmtree(folder, ignore_errors=True)


def test_an_explicit_folder_store_is_used_and_recorded(tmp_path):
    url, default_root = _sqlite(tmp_path)
    store = tmp_path / "shared" / "ckpts"
    study = sg.create_study(name="dir", storage=url, sampler="random", pruner=None, artifacts=str(store))
    sid = _study_id(study)
    trial = study.ask({"x": sg.Float(0, 1)})
    _save(trial, 0, {"a": 1})
    assert _dirs_of(store, sid, 0) == _names(study.trials[0])
    assert not default_root.exists()
    other = sg.load_study(name="dir", storage=url, pruner=None)
    second = other.ask({"x": sg.Float(0, 1)})
    _save(second, 0)
    assert len(_dirs_of(store, sid, 1)) == 1 and not default_root.exists()


def test_artifacts_max_bytes_refuses_a_checkpoint_that_does_not_fit(tmp_path):
    url, root = _sqlite(tmp_path)
    study = sg.create_study(name="cap", storage=url, sampler="random", pruner=None, artifacts_max_bytes=1500)
    sid = _study_id(study)
    trial = study.ask({"x": sg.Float(0, 1)})
    _save(trial, 0, size=1000)
    with pytest.raises(sg.ArtifactStoreError, match="max_bytes=1500"):
        _save(trial, 1, size=1000)
    assert trial.checkpoint_steps == [0] and sorted(study.trials[0].checkpoints) == [0]
    assert len(_dirs_of(root, sid, 0)) == 1  # nothing of the refused one was written
    study.tell(trial, 1.0)  # its checkpoint is deleted: the space is free again
    second = study.ask({"x": sg.Float(0, 1)})
    _save(second, 0, size=1000)
    assert sorted(study.trials[1].checkpoints) == [0]
    with pytest.raises(sg.InvalidValueError, match="artifacts_max_bytes"):
        sg.create_study(storage=url, artifacts_max_bytes=0)


def test_a_postgres_study_needs_artifacts_for_checkpoints(postgres, tmp_path):
    url = postgres.new_database()
    study = sg.create_study(name="pg", storage=url, sampler="random", pruner=None)
    trial = study.ask({"x": sg.Float(0, 1)})
    trial.report(1.0, 0)
    with pytest.raises(sg.ArtifactStoreError, match="artifacts="):
        _save(trial, 0)
    assert trial.checkpoint_steps == [] and study.trials[0].checkpoints == {}
    study.tell(trial, 1.0)  # the trial itself is unharmed

    store = tmp_path / "pg_store"
    with_store = sg.load_study(name="pg", storage=url, pruner=None, artifacts=str(store))
    second = with_store.ask({"x": sg.Float(0, 1)})
    _save(second, 0)
    sid = _study_id(with_store)
    assert len(_dirs_of(store, sid, 1)) == 1
    # the URL is now recorded on the study: a worker that loads it without artifacts= finds it
    third_study = sg.load_study(name="pg", storage=url, pruner=None)
    third = third_study.ask({"x": sg.Float(0, 1)})
    _save(third, 0)
    assert len(_dirs_of(store, sid, 2)) == 1


# -- 3. a worker SIGKILLed while its trial has a checkpoint -----------------------------------------
def test_killed_worker_trial_with_checkpoint_is_paused_and_resumed_by_another_worker(tmp_path):
    url, root = _sqlite(tmp_path)
    sg.create_study(name="crash", storage=url)
    proc = _spawn("hang", url, "crash")
    assert proc.stdout is not None
    assert {proc.stdout.readline().strip() for _ in range(2)} == {"hanging 0", "hanging 1"}
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)

    study = sg.load_study(name="crash", storage=url, sampler="random", pruner=None)
    sid = _study_id(study)
    before = study.trials
    assert [t.state for t in before] == [RUNNING, RUNNING]
    assert sorted(before[0].checkpoints) == [workers.HANG_STEP - 1, workers.HANG_STEP] and before[1].checkpoints == {}

    failed: list[int] = []
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:  # the heartbeat expires 3 x 0.2 + 1 s after the last beat
        failed += study.fail_stale_trials()
        if study.trials[0].state is PAUSED and failed:
            break
        time.sleep(0.1)
    assert failed == [1]
    t0, t1, t2 = study.trials
    assert t0.state is PAUSED and t0.pause_reason == "recovered" and t0.latest_checkpoint_step == workers.HANG_STEP
    assert t0.n_pauses == 1
    assert t1.state is FAIL and "heartbeat" in t1.fail_reason and t1.system_attrs["retried_as"] == 2
    assert t2.state is WAITING and t2.fixed_params == t1.params and t2.system_attrs["retry_of"] == 1
    assert study.fail_stale_trials() == [] and study.trials[0].n_pauses == 1  # once only

    pid, out = _run_worker("resume", url, "crash", "1")
    t0, t1, t2, *rest = study.trials
    assert rest == []  # the resumption took no new number
    assert t0.state is COMPLETE and t0.resumed_step == workers.HANG_STEP
    (run,) = [r for r in _runs(t0) if r["resumed_step"] is not None]
    assert run["pid"] == pid != proc.pid
    x = t0.params["x"]
    assert run["loaded"] == {
        "step": workers.HANG_STEP,
        "sum": pytest.approx(sum(workers.curve(x, s) for s in range(workers.HANG_STEP + 1))),
    }
    _check_runs(t0)
    assert t0.checkpoints == {} and _files_of(root, sid, 0) == []
    assert t1.state is FAIL and t2.state is COMPLETE and t2.params == t1.params and t2.resumed_step is None
    assert out["steps"] == (workers.STEPS - workers.HANG_STEP - 1) + workers.STEPS
    assert [t.resource for t in (t0, t1, t2)] == [workers.STEPS, workers.HANG_STEP + 1, workers.STEPS]
    assert study.total_resource == 2 * workers.STEPS + workers.HANG_STEP + 1


def test_the_next_optimize_recovers_a_dead_workers_trial_and_resumes_it(sqlite_url):
    study = sg.create_study(name="dead", storage=sqlite_url, sampler="random", pruner=None, seed=0)
    objective = workers.Objective()
    trial = study.ask()
    x = trial.suggest_float("x", 0.0, 1.0)
    total = 0.0
    for step in range(3):  # what the dead worker did before it died
        trial.report(workers.curve(x, step), step)
        total += workers.curve(x, step)
        _save(trial, step, {"step": step, "sum": total})
    _expire_heartbeat(study, 0)
    other = sg.load_study(name="dead", storage=sqlite_url, sampler="random", pruner=None, seed=0)
    other.optimize(objective, n_trials=0)  # n_trials counts new trials: this only resumes
    (t0,) = other.trials
    assert t0.state is COMPLETE and t0.resumed_step == 2 and t0.n_pauses == 1
    assert objective.steps == workers.STEPS - 3
    assert _runs(t0)[0]["loaded"] == {"step": 2, "sum": pytest.approx(total)}
    assert sorted(t0.intermediate_values) == list(range(workers.STEPS)) and t0.resource == workers.STEPS


# -- 4. resource_budget ------------------------------------------------------------------------------
def _ten_steps(trial: sg.Trial) -> float:
    x = trial.suggest_float("x", 0, 1)
    for step in range(10):
        trial.report(x, step)
    return x


@pytest.mark.parametrize("n_jobs", [1, 3])
def test_resource_budget_stops_once_the_study_trained_that_many_steps(n_jobs):
    study = sg.create_study(sampler="random", pruner=None, seed=0)
    study.optimize(_ten_steps, resource_budget=25, n_jobs=n_jobs)
    total = study.total_resource
    assert 25 <= total < 25 + 10 * n_jobs
    assert total == sum(t.resource for t in study.trials) == 10 * len(study.trials)
    assert all(t.state is COMPLETE for t in study.trials)
    if n_jobs == 1:
        assert total == 30
    n = len(study.trials)
    study.optimize(_ten_steps, resource_budget=25, n_jobs=n_jobs)  # the budget is the study's total
    assert len(study.trials) == n
    study.optimize(_ten_steps, resource_budget=total + 15, n_jobs=1)
    assert len(study.trials) == n + 2


def _ten_checkpointed_steps(trial: sg.Trial) -> float:
    x = trial.suggest_float("x", 0, 1)
    start = 0 if trial.resumed_step is None else trial.resumed_step + 1
    if start:
        assert json.loads((trial.latest_checkpoint() / "state.json").read_text()) == {"step": start - 1}
    for step in range(start, 10):
        _save(trial, step)
        trial.report(x + step, step)
        if trial.should_prune():
            raise sg.TrialPruned()
    return x


def test_resource_budget_is_a_cap_running_trials_pause_at_their_next_checkpoint(sqlite_url):
    study = sg.create_study(storage=sqlite_url, sampler="random", pruner="none", seed=0)
    study.optimize(_ten_checkpointed_steps, resource_budget=45, n_jobs=3)
    total = study.total_resource
    assert 45 <= total < 45 + 3  # each of 3 parallel trials overruns by at most one step
    paused = [t for t in study.trials if t.state is TrialState.PAUSED]
    assert paused and all(t.pause_reason == "budget" for t in paused)
    assert all(t.state in (COMPLETE, TrialState.PAUSED) for t in study.trials)
    assert study.best_trial.state is COMPLETE
    n = len(study.trials)
    # a later optimize with budget left resumes the paused trials first, from their checkpoints
    study.optimize(_ten_checkpointed_steps, resource_budget=total + 10 * len(paused), n_jobs=1, n_trials=0)
    assert len(study.trials) == n
    for t in (study.trials[p.number] for p in paused):
        assert t.state is COMPLETE and sorted(t.intermediate_values) == list(range(10)) and t.resource == 10


def test_resource_budget_never_pauses_a_trial_at_its_last_step():
    study = sg.create_study(sampler="random", pruner="none", seed=0)

    def objective(trial: sg.Trial) -> float:
        trial._final_step = 9  # what TrialLoop.epochs(10) tells the trial
        return _ten_checkpointed_steps(trial)

    study.optimize(objective, resource_budget=10, n_jobs=1)  # spent exactly at the last step
    (t,) = study.trials
    assert t.state is COMPLETE and t.resource == 10


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "10"])
def test_resource_budget_must_be_a_positive_int(bad):
    study = sg.create_study(sampler="random")
    with pytest.raises(sg.InvalidValueError, match="resource_budget"):
        study.optimize(_ten_steps, resource_budget=bad)
    assert study.trials == []


def test_n_trials_counts_new_trials_only(tmp_path):
    url, _ = _sqlite(tmp_path)
    study = sg.create_study(name="count", storage=url, sampler="random", pruner=workers.halving(), seed=0)
    objective = workers.Objective()
    calls: list[int] = []
    study.optimize(objective, n_trials=18, callbacks=[lambda s, t: calls.append(t.number)])
    trials = study.trials
    resumed = [t for t in trials if t.resumed_step is not None]
    assert len(trials) == 18 and resumed
    assert len(calls) == 18 + sum(t.n_pauses - (t.state is PAUSED) for t in trials)  # one per run
    study.optimize(objective, n_trials=2)
    assert len(study.trials) == 20
    assert study.total_resource == objective.steps == sum(len(t.intermediate_values) for t in study.trials)


# -- 5. an old database migrates ----------------------------------------------------------------------
_SCHEMA_1 = """
CREATE TABLE sturgeon_meta (key VARCHAR(64) NOT NULL PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sturgeon_studies (
    study_id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(512) NOT NULL UNIQUE,
    direction VARCHAR(16) NOT NULL, created_at FLOAT NOT NULL, n_trials INTEGER NOT NULL,
    n_appends BIGINT NOT NULL);
CREATE TABLE sturgeon_events (
    event_id INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id INTEGER NOT NULL REFERENCES sturgeon_studies (study_id) ON DELETE CASCADE,
    kind SMALLINT NOT NULL, trial INTEGER, key VARCHAR(512), value TEXT, time FLOAT NOT NULL,
    unique_key VARCHAR(512), CONSTRAINT uq_sturgeon_events_key UNIQUE (study_id, unique_key));
CREATE INDEX ix_sturgeon_events_study ON sturgeon_events (study_id, event_id);
CREATE TABLE sturgeon_heartbeats (
    study_id INTEGER NOT NULL, trial INTEGER NOT NULL, expires FLOAT NOT NULL,
    PRIMARY KEY (study_id, trial));
"""
_FLOAT01 = {"type": "float", "low": 0.0, "high": 1.0, "log": False, "step": None}


def _schema_1_file(path: Path) -> None:
    """A database as sturgeon wrote it before schema 2: two finished trials and one RUNNING
    trial whose worker is gone (an expired heartbeat, without an owner column)."""
    now = time.time()
    events = [  # (trial, kind, key, value, unique_key)
        (0, 1, None, {"state": "RUNNING"}, "trial:0"),
        (0, 3, "x", [0.25, _FLOAT01], None),
        (0, 4, "0", 0.5, None),
        (0, 4, "1", 0.3, None),
        (0, 5, None, {"state": "COMPLETE", "value": 0.3}, "finish:0"),
        (1, 1, None, {"state": "RUNNING"}, "trial:1"),
        (1, 3, "x", [0.75, _FLOAT01], None),
        (1, 4, "0", None, None),  # a NaN report
        (1, 5, None, {"state": "PRUNED", "value": None}, "finish:1"),
        (2, 1, None, {"state": "RUNNING"}, "trial:2"),
        (2, 3, "x", [0.5, _FLOAT01], None),
    ]
    with sqlite3.connect(path) as con:
        con.executescript(_SCHEMA_1)
        con.execute("INSERT INTO sturgeon_meta VALUES ('schema_version', '1')")
        con.execute("INSERT INTO sturgeon_studies VALUES (1, 'old', 'minimize', ?, 3, 0)", (now - 100,))
        con.executemany(
            "INSERT INTO sturgeon_events (study_id, kind, trial, key, value, time, unique_key) "
            "VALUES (1, ?, ?, ?, ?, ?, ?)",
            [(k, n, key, json.dumps(v), now - 50 + i, uk) for i, (n, k, key, v, uk) in enumerate(events)],
        )
        con.execute("INSERT INTO sturgeon_heartbeats VALUES (1, 2, ?)", (now - 10,))
    con.close()


def _meta(path: Path) -> tuple[dict[str, str], set[str]]:
    with sqlite3.connect(path) as con:
        meta = dict(con.execute("SELECT key, value FROM sturgeon_meta").fetchall())
        columns = {r[1] for r in con.execute("PRAGMA table_info(sturgeon_heartbeats)")}
    con.close()
    return meta, columns


def test_a_schema_1_database_is_migrated_in_place(tmp_path):
    path = tmp_path / "old.db"
    _schema_1_file(path)
    assert _meta(path) == ({"schema_version": "1"}, {"study_id", "trial", "expires"})
    url = f"sqlite:///{path}"
    study = sg.load_study(name="old", storage=url, sampler="random", pruner=None)
    meta, columns = _meta(path)
    assert meta == {"schema_version": str(SCHEMA_VERSION), "min_reader_version": "2"} and SCHEMA_VERSION == 4
    assert "owner" in columns
    t0, t1, t2 = study.trials
    assert (t0.state, t0.value, t0.params, t0.intermediate_values) == (COMPLETE, 0.3, {"x": 0.25}, {0: 0.5, 1: 0.3})
    assert t0.distributions == {"x": sg.Float(0, 1)} and t0.resource == 2
    assert t1.state is PRUNED and math.isnan(t1.intermediate_values[0])
    assert t2.state is RUNNING and study.best_trial.number == 0

    owners: list[str] = []

    def objective(trial: sg.Trial) -> float:
        with sqlite3.connect(path) as con:
            owners.extend(
                r[0] for r in con.execute("SELECT owner FROM sturgeon_heartbeats WHERE trial = ?", (trial.number,))
            )
        con.close()
        return trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=2)  # recovers the dead trial 2 (a heartbeat without owner)
    trials = study.trials
    assert [t.state for t in trials] == [COMPLETE, PRUNED, FAIL, COMPLETE, COMPLETE]
    assert trials[3].system_attrs["retry_of"] == 2 and trials[3].params == {"x": 0.5}
    assert owners == [f"{socket.gethostname()}:{os.getpid()}"] * 2  # new heartbeats name their owner

    again = sg.load_study(name="old", storage=url)  # opening it again changes nothing
    assert _meta(path) == (meta, columns)
    assert [(t.state, t.value) for t in again.trials] == [(t.state, t.value) for t in trials]


def test_processes_opening_an_old_database_at_once_migrate_it_once(tmp_path):
    path = tmp_path / "old.db"
    _schema_1_file(path)
    code = f"import sturgeon as sg; print(len(sg.load_study(name='old', storage='sqlite:///{path}').trials))"
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert out.strip() == "3"
    meta, columns = _meta(path)
    assert meta == {"schema_version": str(SCHEMA_VERSION), "min_reader_version": "2"} and "owner" in columns


# -- 6. an unknown event kind ----------------------------------------------------------------------------
def test_a_log_with_an_unknown_event_kind_loads_with_one_warning(sqlite_url, tmp_path):
    study = sg.create_study(name="future", storage=sqlite_url, sampler="random", pruner=None)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    sid = _study_id(study)
    before = [(t.number, t.state, t.value, t.params) for t in study.trials]
    with sqlite3.connect(tmp_path / "study.db") as con:
        rows = [(sid, 99, 0, "note", '{"from": "the future"}', time.time()), (sid, 99, None, None, None, time.time())]
        con.executemany(
            "INSERT INTO sturgeon_events (study_id, kind, trial, key, value, time) VALUES (?, ?, ?, ?, ?, ?)", rows
        )
    con.close()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = sg.load_study(name="future", storage=sqlite_url, sampler="random", pruner=None)
        trials = loaded.trials
        loaded.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
        assert len(loaded.trials) == 3
    about = [str(w.message) for w in caught if "kind 99" in str(w.message)]
    assert len(about) == 1 and "newer" in about[0]
    assert [(t.number, t.state, t.value, t.params) for t in trials] == before


# -- 7. ask / tell with PAUSED ------------------------------------------------------------------------
def test_tell_paused_needs_a_checkpoint_and_the_running_handle(sqlite_url):
    study = sg.create_study(name="at", storage=sqlite_url, sampler="random", pruner=None)
    trial = study.ask({"x": sg.Float(0, 1)})
    trial.report(0.5, 0)
    with pytest.raises(sg.TrialStateError, match="checkpoint"):
        study.tell(trial, state=PAUSED)
    _save(trial, 0)
    with pytest.raises(sg.TrialStateError, match="handle"):
        study.tell(trial.number, state=PAUSED)
    assert study.trials[0].state is RUNNING
    frozen = study.tell(trial, state=PAUSED)
    assert frozen.state is PAUSED and frozen.pause_reason == "rule" and frozen.n_pauses == 1
    assert frozen.latest_checkpoint_step == 0 and trial.state is PAUSED
    with pytest.raises(sg.TrialStateError):
        trial.report(0.4, 1)
    with pytest.raises(sg.TrialStateError):
        study.tell(trial, state=PAUSED)
    # nothing promotes a trial paused by hand under a pruner that never pauses: ask starts a new one
    assert study.ask().number == 1 and study.trials[0].state is PAUSED


def test_ask_resumes_recovered_trials_first_then_promotable_ones(sqlite_url):
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    study = sg.create_study(name="order", storage=sqlite_url, sampler="random", pruner=pruner)
    space = {"x": sg.Float(0, 1)}
    trials = [study.ask(space) for _ in range(4)]  # all started before any pauses
    for trial, value in zip(trials, (0.1, 0.5, 0.9, 0.7), strict=True):
        trial.report(value, 0)
        _save(trial, 0, {"number": trial.number})
    for trial in trials[:3]:  # paused by hand; at the rung of 4, the best one is promotable
        study.tell(trial, state=PAUSED)
    assert study.pruner.promotable(study.get_trials(states=(PAUSED,)), study.trials, "minimize") == [0]
    _expire_heartbeat(study, 3)  # trial 3's worker died
    assert study.fail_stale_trials() == []  # paused, not failed: it has a checkpoint
    assert study.trials[3].state is PAUSED and study.trials[3].pause_reason == "recovered"

    first = study.ask()
    assert first.number == 3 and first.resumed_step == 0 and first.params == trials[3].params
    assert json.loads((first.latest_checkpoint() / "state.json").read_text()) == {"number": 3}
    second = study.ask()
    assert second.number == 0 and second.resumed_step == 0 and second.intermediate_values == {0: 0.1}
    assert second.params == trials[0].params
    third = study.ask()
    assert third.number == 4 and third.resumed_step is None
    assert [t.state for t in study.trials] == [RUNNING, PAUSED, PAUSED, RUNNING, RUNNING]
    assert [t.n_pauses for t in study.trials] == [1, 1, 1, 1, 0]


def test_resume_supersedes_reports_after_the_checkpoint_and_counts_retrained_steps(sqlite_url):
    study = sg.create_study(name="rewind", storage=sqlite_url, sampler="random", pruner=None)
    trial = study.ask({"x": sg.Float(0, 1)})
    trial.report(3.0, 0)
    _save(trial, 1)  # a checkpoint at step 1, which it did not report
    trial.report(2.0, 2)
    trial.report(1.0, 3)  # reported, but its worker died before the next checkpoint
    _expire_heartbeat(study, 0)
    study.fail_stale_trials()
    frozen = study.trials[0]
    assert frozen.state is PAUSED and frozen.pause_reason == "recovered" and frozen.latest_checkpoint_step == 1
    assert frozen.resource == 3 and frozen.intermediate_values == {0: 3.0, 2: 2.0, 3: 1.0}

    again = sg.load_study(name="rewind", storage=sqlite_url, sampler="random", pruner=None)
    resumed = again.ask()
    assert resumed.number == 0 and resumed.resumed_step == 1 and resumed.intermediate_values == {0: 3.0}
    t0 = again.trials[0]
    assert t0.state is RUNNING and t0.resumed_step == 1 and t0.pause_reason is None
    assert t0.intermediate_values == {0: 3.0} and t0.superseded_values == ((2, 2.0), (3, 1.0))
    assert t0.resource == 3  # the steps trained stay counted ...
    with pytest.warns(UserWarning, match="not after the checkpoint step 1"):
        resumed.report(9.0, 1)
    resumed.report(2.5, 2)
    resumed.report(1.5, 3)
    again.tell(resumed, 1.5)
    done = again.trials[0]
    assert done.resource == 5 and again.total_resource == 5  # ... and the retrained ones count again
    assert done.intermediate_values == {0: 3.0, 2: 2.5, 3: 1.5} and done.state is COMPLETE
    # the stale claim of the first run cannot finish it again
    with pytest.raises(sg.TrialStateError, match="already finished"):
        study.tell(0, 0.0)


def test_best_trial_ignores_paused_trials_and_paused_trials_outlive_optimize(sqlite_url):
    study = sg.create_study(name="best", storage=sqlite_url, sampler="random", pruner=workers.halving(), seed=0)
    objective = workers.Objective()
    study.optimize(objective, n_trials=8)
    paused_before = {t.number for t in study.trials if t.state is PAUSED}
    assert paused_before, "optimize should leave PAUSED trials behind"
    best = study.best_trial
    assert best.state is COMPLETE and best.value == min(t.value for t in study.trials if t.state is COMPLETE)
    trial = study.ask({"x": sg.Float(0, 1)})
    trial.report(-100.0, 0)  # better than anything, but only a report of a paused trial
    _save(trial, 0, {"step": 0, "sum": -100.0})
    study.tell(trial, state=PAUSED)
    assert study.best_trial.number == best.number
    paused_before.add(trial.number)

    later = sg.load_study(name="best", storage=sqlite_url, sampler="random", pruner=workers.halving(), seed=0)
    assert {t.number for t in later.trials if t.state is PAUSED} == paused_before
    later.optimize(objective, n_trials=9)
    trials = later.trials
    assert len(trials) == 18
    assert any(t.number in paused_before and t.state is not PAUSED for t in trials)
    for t in trials:
        if t.number != trial.number:
            _check_runs(t)


# -- 8. what pruned and paused trials tell the samplers -------------------------------------------------
X = sg.Float(0.0, 1.0)


def _f(x: float) -> float:
    return (x - 0.8) ** 2 + 0.01


def _mf(number: int, x: float, last_step: int, state: TrialState, *, n_params: int = 1) -> FrozenTrial:
    """A trial of the curve ``f(x) * (1 + 1 / (step + 1))`` that reported steps 0..last_step."""
    iv = {s: _f(x) * (1.0 + 1.0 / (s + 1)) for s in range(last_step + 1)}
    params = {"x": x, **{f"p{i}": 0.5 for i in range(1, n_params)}}
    dists = {name: X for name in params}
    t0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    return FrozenTrial(
        number=number,
        state=state,
        value=iv[last_step] if state in (COMPLETE, PRUNED) else None,
        params=params,
        distributions=dists,
        intermediate_values=iv,
        user_attrs={},
        system_attrs={},
        datetime_start=t0,
        datetime_complete=t0 + dt.timedelta(seconds=number) if state.is_finished else None,
        checkpoints={last_step: f"study-1/trial-{number}/step-{last_step}-00000000"} if state is PAUSED else {},
    )


def _asha_history(n_complete: int = 3) -> list[FrozenTrial]:
    """30 trials spread over [0, 1] as successive halving leaves them: the worst 20 PRUNED at
    step 0, the next ones PAUSED at step 2, only the best ``n_complete`` COMPLETE at step 8."""
    xs = [(i + 0.5) / 30 for i in range(30)]
    ranked = sorted(range(30), key=lambda i: _f(xs[i]))
    out = []
    for i, x in enumerate(xs):
        rank = ranked.index(i)
        if rank < n_complete:
            out.append(_mf(i, x, 8, COMPLETE))
        elif rank < 10:
            out.append(_mf(i, x, 2, PAUSED))
        else:
            out.append(_mf(i, x, 0, PRUNED))
    return out


def _near_optimum(name: str, history: list[FrozenTrial]) -> tuple[int, list[float]]:
    """How many of 20 proposals (asked one after the other on ``history``) lie within 0.2 of
    the optimum x = 0.8. Uniform draws: 8 of 20 expected, 15 or more with p < 0.001."""
    sampler = make_sampler(name, 0)
    proposals = []
    for n in range(len(history), len(history) + 20):
        ctx = SampleContext(trial_number=n, rng=np.random.default_rng([0, n]), direction="minimize", seed=0)
        proposals.append(sampler.sample_joint({"x": X}, history, ctx)["x"])
    return sum(abs(p - 0.8) <= 0.2 for p in proposals), proposals


@pytest.mark.parametrize("name", ["tpe", "gp"])
def test_stopped_trials_steer_the_samplers_toward_good_rung_values(name):
    history = _asha_history()
    assert sum(t.state is COMPLETE for t in history) == 3  # too few for either model on their own
    near, proposals = _near_optimum(name, history)
    assert near >= 15, proposals


@pytest.mark.parametrize(
    "n_complete",
    [3, 4, 5, 7, 8],
)
def test_tpe_keeps_modelling_the_rung_values_as_more_trials_complete(n_complete):
    near, proposals = _near_optimum("tpe", _asha_history(n_complete))
    assert near >= 15, proposals


def _stop_or_finish(trial: sg.Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    for step in range(workers.STEPS):
        trial.report(_f(x) * (1.0 + 1.0 / (step + 1)), step)
        if trial.should_prune():
            raise sg.TrialPruned()
    return _f(x)


def test_gp_under_successive_halving_does_not_rerun_a_pruned_point():
    study = sg.create_study(sampler="gp", pruner=workers.halving(), seed=0)
    study.optimize(_stop_or_finish, n_trials=30)
    xs = [t.params["x"] for t in study.trials]
    repeats = max(xs.count(x) for x in xs)
    assert repeats <= 2, sorted(xs)


def test_fidelity_view_without_stopped_trials_is_the_history_itself():
    history = [_mf(i, i / 10, 8, COMPLETE) for i in range(4)] + [_mf(4, 0.5, 3, RUNNING)]
    assert FidelityView()(history) is history


def test_fidelity_view_with_enough_complete_trials_models_final_values():
    history = [_mf(i, i / 10, 8, COMPLETE) for i in range(5)]
    history += [_mf(5, 0.8, 2, PAUSED), _mf(6, 0.79, 0, PRUNED), _mf(7, 0.5, 1, RUNNING)]
    assert target_step(history, 5) is None
    seen = FidelityView()(history)
    assert seen[:5] == history[:5]
    assert seen[5].state is PRUNED and seen[5].number == 5  # a paused trial is a bad point, never COMPLETE
    assert seen[6] is history[6] and seen[7] is history[7]


def test_fidelity_view_models_the_largest_step_enough_trials_reached():
    history = _asha_history()
    assert target_step(history, 5) == 2  # 3 + 7 trials reached step 2, 5 are needed
    seen = FidelityView()(history)
    assert [t.number for t in seen] == [t.number for t in history]
    for before, after in zip(history, seen, strict=True):
        if before.last_step >= 2:  # reached the target: COMPLETE at its value there
            assert after.state is COMPLETE and after.value == before.intermediate_values[2]
        else:
            assert after.state is PRUNED
    # a complete trial is shown at the target fidelity too, not at its final value
    finished = next(t for t in history if t.state is COMPLETE)
    assert seen[finished.number].value != finished.value


def test_target_step_needs_more_trials_with_more_parameters():
    history = [_mf(i, i / 10, 8 - i, PAUSED, n_params=4) for i in range(8)]
    assert target_step(history, 5) == 8 - 5  # max(5, 4 + 2) = 6 trials: the 6th largest last step
    assert target_step(history[:5], 5) is None  # no step is reached by 6 trials
    assert target_step([_mf(i, i / 10, 8 - i, PAUSED) for i in range(8)], 5) == 8 - 4


def test_fidelity_view_a_nan_at_the_target_is_a_bad_point():
    history = [_mf(i, i / 10, 3, PAUSED) for i in range(6)]
    iv = dict(history[0].intermediate_values)
    iv[3] = math.nan
    history[0] = FrozenTrial(**{**history[0].__dict__, "intermediate_values": iv})
    seen = FidelityView()(history)
    assert seen[0].state is PRUNED and seen[0].value is None
    assert all(t.state is COMPLETE for t in seen[1:])


def test_fidelity_view_memoizes_rewrites_and_counts_target_moves():
    view = FidelityView()
    history = _asha_history()
    first = view(history)
    assert view(history)[5] is first[5] and view.generation == 1
    moved = [*history[:27], *(_mf(30 + i, 0.8, 8, COMPLETE) for i in range(3))]
    view(moved)
    assert view.generation == 2


def test_fidelity_view_shows_a_paused_trial_without_reports_as_pruned():
    history = _asha_history()
    unreported = FrozenTrial(**{**_mf(30, 0.1, 0, PAUSED).__dict__, "intermediate_values": {}})
    seen = FidelityView()([*history, unreported])
    assert seen[-1].state is PRUNED


_STATES = [COMPLETE, PRUNED, PAUSED, RUNNING, FAIL]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(_STATES), st.integers(0, 12), st.floats(0, 1), st.booleans()),
        min_size=1,
        max_size=20,
    ),
    st.integers(1, 8),
)
def test_fidelity_view_never_shows_a_stopped_trial_complete_beyond_what_it_reached(rows, min_trials):
    history = []
    for i, (state, last, x, reported) in enumerate(rows):
        t = _mf(i, x, last, state)
        if not reported:
            t = FrozenTrial(**{**t.__dict__, "intermediate_values": {}})
        history.append(t)
    seen = FidelityView(min_trials=min_trials)(history)
    r = target_step(history, min_trials)
    if not any(t.state in (PRUNED, PAUSED) and t.intermediate_values for t in history):
        assert seen is history  # nothing was stopped early: the history as it is
        return
    assert [t.number for t in seen] == [t.number for t in history]
    for before, after in zip(history, seen, strict=True):
        if before.state in (RUNNING, FAIL):
            assert after is before
            continue
        assert after.state is not PAUSED or not before.intermediate_values
        if before.state in (PRUNED, PAUSED) and after.state is COMPLETE:
            # shown COMPLETE only at a target fidelity that it reached, with its value there
            assert r is not None and before.intermediate_values and before.last_step >= r
            first = min(s for s in before.intermediate_values if s >= r)
            assert after.value == before.intermediate_values[first]
        if r is not None and after.state is COMPLETE and before.intermediate_values:
            first = min(s for s in before.intermediate_values if s >= r)
            assert after.value == before.intermediate_values[first]


def test_parallel_workers_pause_promote_and_resume_each_trial_once(tmp_path):
    url, root = _sqlite(tmp_path)
    study = sg.create_study(name="par", storage=url, sampler="random", pruner=workers.halving(), seed=1)
    objective = workers.Objective()
    finished_runs: list[tuple[int, TrialState]] = []
    study.optimize(objective, n_trials=30, n_jobs=4, callbacks=[lambda s, t: finished_runs.append((t.number, t.state))])
    trials = study.trials
    assert len(trials) == 30
    for t in trials:
        _check_runs(t)
        # one run per start and per resume: every resume claim (resume:N:k) was won exactly once
        assert len(_runs(t)) == 1 + t.n_pauses - (t.state is PAUSED)
    assert len(finished_runs) == sum(len(_runs(t)) for t in trials)
    assert any(t.resumed_step is not None for t in trials)
    assert study.total_resource == objective.steps == sum(len(t.intermediate_values) for t in trials)
    sid = _study_id(study)
    for t in trials:
        assert _dirs_of(root, sid, t.number) == _names(t)
        assert (t.state is PAUSED) == bool(t.checkpoints)
