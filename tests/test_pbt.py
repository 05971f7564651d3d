"""Population-based training (sturgeon.pruners.PBT) on the live-change mechanism: exploits copy
the right checkpoint, explored values stay in bounds, lineage and schedule are complete, a dead
worker's member is resumed, no checkpoint is read after its deletion, and a replay reproduces."""

from __future__ import annotations

import json
import time

import pytest

import sturgeon as sg
from sturgeon import TrialState
from sturgeon._live import values_at
from sturgeon.artifacts import ArtifactStore
from sturgeon.pruners import PBT

STEPS = 15
LOW, HIGH = 1e-3, 1.0


class Trainer:
    """A toy model whose whole state is a JSON file: x moves toward 1 at a speed set by the
    live learning rate (so the schedule matters); ``trace`` is every (trial, step, lr) that
    trained the state, copied along with it. Logs every save and load."""

    def __init__(self, steps: int = STEPS) -> None:
        self.steps = steps
        self.log: list[tuple] = []  # (event, trial, step, state[, the checkpoint a load came from])

    def __call__(self, trial: sg.Trial) -> float:
        trial.suggest_float("lr", LOW, HIGH, log=True)
        trial.suggest_float("momentum", 0.0, 0.9)
        trial.suggest_int("batch", 8, 64, log=True)
        if trial.resumed_step is not None:
            state = json.loads((trial.latest_checkpoint() / "state.json").read_text())
            last = trial.study.trials[trial.number].live_changes[-1:]
            came_from = last[0].source if last and last[0].step == trial.resumed_step + 1 else None
            self.log.append(("load", trial.number, trial.resumed_step, json.loads(json.dumps(state)), came_from))
            start = trial.resumed_step + 1
        else:
            state, start = {"x": 0.0, "trace": []}, 0
        for step in range(start, self.steps):
            live = trial.live_params
            state["x"] += 0.3 * live["lr"] * (1.0 - state["x"]) * (1.0 - 0.1 * live["momentum"])
            state["trace"].append([trial.number, step, live["lr"], live["momentum"], live["batch"]])
            with trial.checkpoint(step) as folder:
                (folder / "state.json").write_text(json.dumps(state))
            self.log.append(("save", trial.number, step, json.loads(json.dumps(state))))
            trial.report(1.0 - state["x"], step)
            if trial.should_prune():
                raise sg.TrialPruned()
        return 1.0 - state["x"]


def _pbt_study(**kw) -> tuple[sg.Study, Trainer]:
    pbt = PBT(population_size=4, perturbation_interval=3, hyperparams=["lr", "batch"], seed=5, **kw)
    study = sg.create_study(sampler="random", pruner=pbt, seed=1)
    trainer = Trainer()
    study.optimize(trainer, n_trials=4)
    return study, trainer


def _exploits(study: sg.Study) -> list[tuple[int, sg.LiveChange]]:
    return [(t.number, c) for t in study.trials for c in t.live_changes if c.action == "exploit"]


def test_exploit_goes_on_from_the_donors_checkpoint_with_explored_values():
    study, trainer = _pbt_study(resample_probability=0.0)
    exploits = _exploits(study)
    assert len(exploits) >= 3
    trials = study.trials
    for number, change in exploits:
        donor, at = change.source
        assert donor != number and change.step == at + 1
        # the state the recipient loaded is the donor's, as the donor saved it at that step
        loads = [i for i, e in enumerate(trainer.log) if e[:3] == ("load", number, at) and e[4] == (donor, at)]
        assert len(loads) == 1
        i = loads[0]
        saved = [e for e in trainer.log[:i] if e[:3] == ("save", donor, at)]
        assert trainer.log[i][3] == saved[-1][3]
        # explored: multiplied by 0.8 or 1.2 (log scale keeps it positive), clipped, in bounds;
        # what PBT does not mutate (momentum) comes from the donor unchanged
        before = values_at(trials[donor], at)
        lr, batch = change.params["lr"], change.params["batch"]
        assert LOW <= lr <= HIGH and 8 <= batch <= 64 and isinstance(batch, int)
        ratios = [0.8 * before["lr"], 1.2 * before["lr"], LOW, HIGH]
        assert min(abs(lr - r) for r in ratios) < 1e-12
        assert change.params["momentum"] == before["momentum"]
    assert all(t.state is TrialState.COMPLETE for t in trials)
    assert study.best_value < min(t.intermediate_values[2] for t in trials)  # it learned


def test_lineage_schedule_and_replay_reproduce_the_winner():
    study, first = _pbt_study()
    best = study.best_trial
    schedule = study.schedule(best.number)
    assert schedule[0][0] == 0 and [s for s, _ in schedule] == sorted({s for s, _ in schedule})
    replay = study.replay(best.number)
    trainer = Trainer()
    study.optimize(trainer, n_trials=1)
    t = study.trials[replay]
    assert t.system_attrs["replay_of"] == best.number and t.state is TrialState.COMPLETE
    assert t.value == pytest.approx(best.value, rel=0, abs=1e-12)  # the same run, from scratch
    # the values it trained with, step by step, are the lineage's (the winner's state carries them)
    final = [e for e in trainer.log if e[0] == "save" and e[1] == replay][-1][3]
    assert [row[2:] for row in final["trace"]] == [row[2:] for row in _by_step(study, best.number)]
    winner = [e for e in first.log if e[0] == "save" and e[1] == best.number][-1][3]
    assert [row[1:] for row in final["trace"]] == [row[1:] for row in winner["trace"]]
    assert len({row[0] for row in winner["trace"]}) > 1  # the winner's state came through exploits
    assert not t.intermediate_values or t.resumed_step is None  # never paused or exploited
    assert {c.action for c in t.live_changes} <= {"schedule"}


def _by_step(study: sg.Study, number: int) -> list[list]:
    """(trial, step, lr, momentum, batch) at every step, from the trial's schedule."""
    schedule = study.schedule(number)
    rows = []
    for step in range(STEPS):
        values = [v for s, v in schedule if s <= step][-1]
        rows.append([number, step, values["lr"], values["momentum"], values["batch"]])
    return rows


def test_no_checkpoint_is_read_after_its_deletion_and_none_is_left(monkeypatch):
    deleted: set[str] = set()
    read_after_delete: list[str] = []
    real_fetch, real_delete = ArtifactStore.fetch, ArtifactStore.delete

    def fetch(self, key, dest=None):
        if key in deleted:
            read_after_delete.append(key)
        return real_fetch(self, key, dest)

    def delete(self, key):
        deleted.add(key)
        return real_delete(self, key)

    monkeypatch.setattr(ArtifactStore, "fetch", fetch)
    monkeypatch.setattr(ArtifactStore, "delete", delete)
    study, _ = _pbt_study()
    assert _exploits(study) and deleted
    assert read_after_delete == []
    assert all(not t.checkpoints for t in study.trials)  # finished: every checkpoint deleted


def test_a_dead_workers_member_is_resumed_and_finishes():
    study = sg.create_study(sampler="random", pruner=PBT(population_size=3, perturbation_interval=3), seed=2)
    trainer = Trainer()
    # a worker that trained a member for 2 steps (with checkpoints) and then died
    trial = study.ask()
    trainer.steps = 2
    trainer(trial)
    study.storage.record_heartbeat(study._study_id, trial.number, 0.01)
    time.sleep(0.05)
    assert study.fail_stale_trials() == []  # it had checkpoints: back to PAUSED, not failed
    recovered = study.trials[trial.number]
    assert recovered.state is TrialState.PAUSED and recovered.pause_reason == "recovered"
    trainer.steps = STEPS
    study.optimize(trainer, n_trials=2)
    t = study.trials[trial.number]
    assert t.state is TrialState.COMPLETE and t.resumed_step is not None and t.n_pauses >= 1
    assert study.trials[trial.number].system_attrs.get("fail_reason") is None
    assert sorted(t.intermediate_values) == list(range(STEPS))
    assert len(study.trials) == 3


def test_no_exploit_at_the_last_step():
    for kw in ({"max_resource": STEPS}, {}):  # given, or learned from the first completed member
        study, trainer = _pbt_study(resample_probability=0.0, **kw)
        first_done = min(t.datetime_complete for t in study.trials)
        late = [c for _, c in _exploits(study) if c.step == STEPS]  # an exploit at the last step, 14
        if kw:
            assert not late
            assert not [e for e in trainer.log if e[0] == "load" and e[2] == STEPS - 1]
        assert all(c.time <= first_done for c in late)
        assert all(t.state is TrialState.COMPLETE for t in study.trials)


def test_pbt_arguments_are_checked():
    with pytest.raises(sg.InvalidValueError, match="population_size must be an int >= 2"):
        PBT(population_size=1)
    with pytest.raises(sg.InvalidValueError, match=r"quantile must be a number in \(0, 0.5\]"):
        PBT(quantile=0.7)
    with pytest.raises(sg.InvalidValueError, match="hyperparams must be a list"):
        PBT(hyperparams="lr")
    with pytest.raises(sg.InvalidValueError, match="factors must be two numbers > 0"):
        PBT(factors=(0.8, -1))
    assert isinstance(sg.create_study(pruner="pbt").pruner, PBT)


def test_replay_from_the_command_line(tmp_path):
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'p.db'}"
    study = sg.create_study(
        name="p", storage=url, sampler="random", pruner=PBT(population_size=3, perturbation_interval=3), seed=4
    )
    study.optimize(Trainer(), n_trials=3)
    best = study.best_trial
    res = subprocess.run(
        [sys.executable, "-m", "sturgeon", "replay", "p", str(best.number), "--storage", url],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert f"a replay of #{best.number}'s schedule" in res.stdout and "from step 0: lr=" in res.stdout
    study.optimize(Trainer(), n_trials=1)
    assert study.trials[-1].value == pytest.approx(best.value, rel=0, abs=1e-12)


@pytest.mark.slow
def test_the_examples_run(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("torch")
    root = Path(__file__).resolve().parents[1] / "examples"
    res = subprocess.run(
        [sys.executable, str(root / "pbt.py"), "--population", "4", "--epochs", "8"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "best trial #" in res.stdout and "replayed from scratch" in res.stdout
    res = subprocess.run(
        [sys.executable, str(root / "panda.py"), "--epochs", "3", "--pause", "0", "--storage",
         f"sqlite:///{tmp_path / 'panda.db'}"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "done: COMPLETE" in res.stdout


def test_a_donor_checkpoint_deleted_during_the_copy_is_no_exploit(tmp_path, monkeypatch):
    """The local original of a checkpoint may be deleted (retention) between reading its key and
    copying it: the copy gives None (the exploit does not happen), never an error."""
    import shutil

    study = sg.create_study(storage=f"sqlite:///{tmp_path / 's.db'}", sampler="random", seed=0)
    donor, recipient = study.ask(), study.ask()
    with donor.checkpoint(3) as folder:
        (folder / "state.json").write_text("{}")
    key = study.trials[donor.number].checkpoints[3]
    ckpts = study._checkpoints
    fetch = ckpts.fetch

    def vanishing_fetch(k):
        path = fetch(k)
        shutil.rmtree(path)
        return path

    monkeypatch.setattr(ckpts, "fetch", vanishing_fetch)
    assert ckpts.copy(key, recipient.number, 3) is None
    assert 3 not in study.trials[recipient.number].checkpoints
