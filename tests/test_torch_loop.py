"""sturgeon.integrations.torch.TrialLoop on a real small PyTorch model (CPU, digits): reports,
pruning, a checkpoint round trip through pause and resume, and a live learning-rate change."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import sturgeon as sg  # noqa: E402
from sturgeon import TrialState  # noqa: E402
from sturgeon.integrations.torch import TrialLoop  # noqa: E402


@pytest.fixture(scope="module")
def data():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x, y = torch.tensor(x[:400] / 16.0, dtype=torch.float32), torch.tensor(y[:400])
    return x[:300], y[:300], x[300:], y[300:]


def _digest(model):
    return [t.clone() for t in model.state_dict().values()]


def _objective(data, log, hook=None, epochs=6):
    x, y, xv, yv = data

    def objective(trial):
        trial.suggest_float("lr", 1e-3, 1.0, log=True)
        trial.suggest_float("momentum", 0.0, 0.95)
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(64, 16), torch.nn.ReLU(), torch.nn.Linear(16, 10))
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.0)
        loop = TrialLoop(trial, model, opt)
        loss = float("nan")
        for epoch in loop.epochs(epochs):
            if trial.resumed_step is not None and epoch == trial.resumed_step + 1:
                log.append(("restored", trial.resumed_step, _digest(model)))
            log.append(("lr", epoch, opt.param_groups[0]["lr"], opt.param_groups[0]["momentum"]))
            for idx in torch.arange(len(x)).split(50):
                opt.zero_grad()
                torch.nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
                opt.step()
            with torch.no_grad():
                loss = float(torch.nn.functional.cross_entropy(model(xv), yv))
            log.append(("saved", epoch, _digest(model)))
            if hook is not None:
                hook(trial, epoch)
            loop.report(loss)
        return loss

    return objective


def _study(**kw):
    study = sg.create_study(sampler="random", seed=0, **kw)
    study.enqueue({"lr": 0.05, "momentum": 0.5})
    return study


def test_reports_and_a_live_learning_rate_change_reach_the_optimizer(data):
    study, log = _study(pruner=None), []

    def hook(trial, epoch):
        if epoch == 1:
            study.set_live_params(trial.number, {"lr": 0.2, "momentum": 0.9}, reason="faster")

    study.optimize(_objective(data, log, hook), n_trials=1)
    t = study.trials[0]
    assert t.state is TrialState.COMPLETE and sorted(t.intermediate_values) == list(range(6))
    (change,) = t.live_changes
    # asked before the report of epoch 1, so applied at that report: in force from epoch 2
    assert change.step == 2 and change.reason == "faster"
    used = [(e, lr, m) for kind, e, *rest in log if kind == "lr" for lr, m in [rest]]
    assert used == [(0, 0.05, 0.5), (1, 0.05, 0.5)] + [(e, 0.2, 0.9) for e in range(2, 6)]


def test_pruning_raises_through_the_loop(data):
    study, log = _study(pruner=sg.pruners.ThresholdPruner(upper=0.0)), []
    study.optimize(_objective(data, log), n_trials=1)
    t = study.trials[0]
    assert t.state is TrialState.PRUNED and sorted(t.intermediate_values) == [0]


def test_checkpoint_round_trip_through_pause_and_resume(data):
    study, log = _study(pruner=None), []

    def hook(trial, epoch):
        if epoch == 2 and trial.resumed_step is None:
            study.pause_trial(trial.number, reason="check")

    objective = _objective(data, log, hook)
    study.optimize(objective, n_trials=1)
    t = study.trials[0]
    assert t.state is TrialState.PAUSED and t.pause_info["step"] == 2  # asked before that report
    study.resume_trial(0)
    study.optimize(objective, n_trials=0)
    t = study.trials[0]
    assert t.state is TrialState.COMPLETE and t.resumed_step == 2
    (restored,) = [e for e in log if e[0] == "restored"]
    saved = next(e for e in log if e[0] == "saved" and e[1] == 2)
    assert all(torch.equal(a, b) for a, b in zip(restored[2], saved[2], strict=True))
    assert sorted(t.intermediate_values) == list(range(6)) and t.resource == 6


class _PauseEveryStep(sg.pruners.BasePruner):
    """A rule that pauses a trial at every report and resumes every paused trial."""

    def decide(self, trial, history, direction):
        return sg.pruners.Decision.PAUSE

    def promotable(self, paused, history, direction):
        return [t.number for t in paused]


def test_the_loop_is_never_paused_at_its_last_epoch(data):
    """TrialLoop tells the trial its last epoch: a rule's pause (or the resource budget's) there
    would leave a resumed run with nothing to train."""
    study, log = _study(pruner=_PauseEveryStep()), []
    study.optimize(_objective(data, log, epochs=4), n_trials=1)
    t = study.trials[0]
    assert t.state is TrialState.COMPLETE and t.value == t.intermediate_values[3]
    assert t.n_pauses == 3 and [e[1] for e in log if e[0] == "restored"] == [0, 1, 2]
