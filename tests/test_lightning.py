"""sturgeon.integrations.lightning.SturgeonCallback on a real small LightningModule (CPU,
digits): reports per epoch, pruning, a checkpoint round trip through pause and resume, and a
live learning-rate change."""

from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch")
pl = pytest.importorskip("pytorch_lightning")

import sturgeon as sg  # noqa: E402
from sturgeon import TrialState  # noqa: E402
from sturgeon.integrations.lightning import SturgeonCallback  # noqa: E402


class Net(pl.LightningModule):
    def __init__(self, lr: float, log: list) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = torch.nn.Sequential(torch.nn.Linear(64, 16), torch.nn.ReLU(), torch.nn.Linear(16, 10))
        self.lr = lr
        self.seen: list = log

    def training_step(self, batch, i):
        if i == 0:
            self.seen.append(("lr", self.current_epoch, self.trainer.optimizers[0].param_groups[0]["lr"]))
        x, y = batch
        return torch.nn.functional.cross_entropy(self.net(x), y)

    def validation_step(self, batch, i):
        x, y = batch
        self.log("val_loss", torch.nn.functional.cross_entropy(self.net(x), y))

    def on_train_epoch_end(self):
        self.seen.append(("weights", self.current_epoch, [p.detach().clone() for p in self.parameters()]))

    def on_train_start(self):
        self.seen.append(("start", self.current_epoch, [p.detach().clone() for p in self.parameters()]))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.lr, momentum=0.5)


@pytest.fixture(scope="module")
def loaders():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    ds = torch.utils.data.TensorDataset(torch.tensor(x[:400] / 16.0, dtype=torch.float32), torch.tensor(y[:400]))
    train, val = torch.utils.data.random_split(ds, [300, 100], generator=torch.Generator().manual_seed(0))
    return torch.utils.data.DataLoader(train, batch_size=50), torch.utils.data.DataLoader(val, batch_size=100)


def _objective(loaders, log, hook=None, epochs=5):
    class Hook(pl.Callback):
        def __init__(self, trial):
            self.trial = trial

        def on_train_epoch_end(self, trainer, module):
            if hook is not None:
                hook(self.trial, trainer.current_epoch)

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-3, 1.0, log=True)
        callback = SturgeonCallback(trial, monitor="val_loss")
        trainer = pl.Trainer(
            max_epochs=epochs, callbacks=[Hook(trial), callback], accelerator="cpu", devices=1, logger=False,
            enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
        )  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trainer.fit(Net(lr, log), *loaders, ckpt_path=callback.ckpt_path, weights_only=True)
        callback.raise_if_stopped()
        return float(trainer.callback_metrics["val_loss"])

    return objective


def _study(**kw):
    study = sg.create_study(sampler="random", seed=0, **kw)
    study.enqueue({"lr": 0.05})
    return study


def test_reports_every_epoch_and_applies_a_live_rate_change(loaders):
    study, log = _study(pruner=None), []

    def hook(trial, epoch):
        if epoch == 1:
            study.set_live_params(trial.number, {"lr": 0.3}, reason="faster")

    study.optimize(_objective(loaders, log, hook), n_trials=1)
    t = study.trials[0]
    assert t.state is TrialState.COMPLETE and sorted(t.intermediate_values) == list(range(5))
    (change,) = t.live_changes
    # asked at the end of epoch 1 (after its validation report): applied at the report of epoch 2
    assert change.step == 3 and change.params == {"lr": 0.3}
    assert [(e, lr) for kind, e, lr in log if kind == "lr"] == [(0, 0.05), (1, 0.05), (2, 0.05), (3, 0.3), (4, 0.3)]


def test_pruning_stops_the_fit(loaders):
    study, log = _study(pruner=sg.pruners.ThresholdPruner(upper=0.0)), []
    study.optimize(_objective(loaders, log), n_trials=1)
    t = study.trials[0]
    assert t.state is TrialState.PRUNED and sorted(t.intermediate_values) == [0]


def test_checkpoint_round_trip_through_pause_and_resume(loaders):
    study, log = _study(pruner=None), []

    def hook(trial, epoch):
        if epoch == 1 and trial.resumed_step is None:
            study.pause_trial(trial.number)

    objective = _objective(loaders, log, hook)
    study.optimize(objective, n_trials=1)
    assert study.trials[0].state is TrialState.PAUSED and study.trials[0].pause_info["step"] == 2
    study.resume_trial(0)
    study.optimize(objective, n_trials=0)
    t = study.trials[0]
    assert t.state is TrialState.COMPLETE and t.resumed_step == 2
    assert sorted(t.intermediate_values) == list(range(5)) and t.resource == 5
    saved = next(w for kind, e, w in log if kind == "weights" and e == 2)
    starts = [w for kind, e, w in log if kind == "start"]
    assert len(starts) == 2 and all(torch.equal(a, b) for a, b in zip(starts[1], saved, strict=True))
