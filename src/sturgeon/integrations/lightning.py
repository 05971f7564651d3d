"""PyTorch Lightning callback (needs the ``lightning`` extra): reports a validation metric to
the trial every epoch, saves a Lightning checkpoint through ``trial.checkpoint``, stops the fit
when the trial is to be pruned, paused or rewound, and applies live changes of the optimizers'
``lr`` / ``momentum`` / ``weight_decay`` at the start of every epoch.

    callback = SturgeonCallback(trial, monitor="val_loss")
    trainer = pl.Trainer(max_epochs=50, callbacks=[callback])
    trainer.fit(model, data, ckpt_path=callback.ckpt_path, weights_only=True)  # resumes a paused trial
    callback.raise_if_stopped()                              # TrialPruned: pruned or paused
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

try:
    import pytorch_lightning as pl
except ImportError:  # pragma: no cover - depends on the environment
    raise ImportError(
        "sturgeon.integrations.lightning needs PyTorch Lightning: pip install 'sturgeon[lightning]'"
    ) from None

from sturgeon.integrations import optimizer_values
from sturgeon.integrations.torch import OPTIMIZER_KEYS, set_param_groups

__all__ = ["SturgeonCallback"]

CKPT = "lightning.ckpt"


class SturgeonCallback(pl.Callback):
    """See the module docstring. ``monitor``: the logged metric reported (e.g. "val_loss");
    ``keys``: trial parameter name -> optimizer param_group key (default lr, momentum,
    weight_decay)."""

    def __init__(self, trial: Any, monitor: str = "val_loss", keys: dict[str, str] | None = None) -> None:
        super().__init__()
        self.trial = trial
        self.monitor = monitor
        self.keys = dict(OPTIMIZER_KEYS if keys is None else keys)
        self.stopped = False

    @property
    def ckpt_path(self) -> str | None:
        """The checkpoint to resume from (pass it to ``trainer.fit``), or None for a fresh start."""
        if self.trial.resumed_step is None:
            return None
        folder = self.trial.latest_checkpoint()
        return None if folder is None else str(Path(folder) / CKPT)

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        values = optimizer_values(self.trial, self.keys)
        for optimizer in trainer.optimizers:
            set_param_groups(optimizer, values)

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        metric = trainer.callback_metrics.get(self.monitor)
        if metric is None:
            from sturgeon._exceptions import InvalidValueError

            known = sorted(trainer.callback_metrics)
            raise InvalidValueError(f"SturgeonCallback: monitor={self.monitor!r} was not logged (logged: {known})")
        epoch = trainer.current_epoch
        with self.trial.checkpoint(epoch) as folder:
            trainer.save_checkpoint(Path(folder) / CKPT)
        self.trial.report(float(metric), epoch)
        if self.trial.should_prune():
            self.stopped = True
            trainer.should_stop = True

    def raise_if_stopped(self) -> None:
        """After ``trainer.fit``: raise ``TrialPruned`` when the fit stopped for the trial (the
        study then prunes or pauses it, or rewinds it, as decided)."""
        if self.stopped:
            import sturgeon as sg

            raise sg.TrialPruned()
