"""sturgeon.integrations.lightning.SturgeonCallback on a real small LightningModule (CPU,
digits): reports per epoch, pruning, a checkpoint round trip through pause and resume, and a
live learning-rate change."""

from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch")
pl = pytest.importorskip("pytorch_lightning")

from sturgeon.integrations.lightning import SturgeonCallback  # noqa: E402
from tests import _callback_checks as checks  # noqa: E402


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


def test_reports_every_epoch_and_applies_a_live_rate_change(loaders):
    checks.check_reports_and_a_live_rate_change(lambda log, hook=None: _objective(loaders, log, hook))


def test_pruning_stops_the_fit(loaders):
    checks.check_pruning_stops_the_fit(lambda log, hook=None: _objective(loaders, log, hook))


def test_checkpoint_round_trip_through_pause_and_resume(loaders):
    checks.check_round_trip_through_pause_and_resume(lambda log, hook=None: _objective(loaders, log, hook), torch.equal)
