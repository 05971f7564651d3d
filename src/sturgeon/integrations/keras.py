"""Keras 3 callback (needs the ``keras`` extra; any backend, tested with torch): reports a
metric to the trial every epoch, saves the model (weights and optimizer state, ``.keras``
format) through ``trial.checkpoint``, stops ``fit`` when the trial is to be pruned, paused or
rewound, and applies live changes of the optimizer's ``learning_rate`` / ``momentum`` /
``weight_decay`` at the start of every epoch.

    callback = SturgeonCallback(trial, monitor="val_loss")
    model = callback.load_model() or build_and_compile_model()   # a resumed trial's saved model
    model.fit(x, y, validation_data=(xv, yv), epochs=50, initial_epoch=callback.initial_epoch,
              callbacks=[callback])
    callback.raise_if_stopped()                                  # TrialPruned: pruned or paused
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

try:
    import keras
except ImportError:  # pragma: no cover - depends on the environment
    raise ImportError("sturgeon.integrations.keras needs Keras 3: pip install 'sturgeon[keras]'") from None

from sturgeon.integrations import optimizer_values

__all__ = ["SturgeonCallback"]

MODEL_FILE = "model.keras"
# trial parameter name -> Keras optimizer attribute
KEYS = {"lr": "learning_rate", "learning_rate": "learning_rate", "momentum": "momentum", "weight_decay": "weight_decay"}


class SturgeonCallback(keras.callbacks.Callback):
    """See the module docstring. ``monitor``: the ``logs`` key reported (e.g. "val_loss");
    ``keys``: trial parameter name -> optimizer attribute."""

    def __init__(self, trial: Any, monitor: str = "val_loss", keys: dict[str, str] | None = None) -> None:
        super().__init__()
        self.trial = trial
        self.monitor = monitor
        self.keys = dict(KEYS if keys is None else keys)
        self.stopped = False

    @property
    def initial_epoch(self) -> int:
        """The epoch to start ``fit`` at: after the checkpoint a resumed trial goes on from."""
        return 0 if self.trial.resumed_step is None else int(self.trial.resumed_step) + 1

    def load_model(self) -> Any:
        """The model saved at the checkpoint a resumed trial goes on from (compiled, with its
        optimizer state), or None for a fresh start."""
        if self.trial.resumed_step is None:
            return None
        folder = self.trial.latest_checkpoint()
        return keras.models.load_model(Path(folder) / MODEL_FILE)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        optimizer = self.model.optimizer
        for attr, value in optimizer_values(self.trial, self.keys).items():
            if not hasattr(optimizer, attr):
                continue
            current = getattr(optimizer, attr)
            if hasattr(current, "assign"):  # a backend variable (learning_rate)
                current.assign(value)
            else:
                setattr(optimizer, attr, value)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        if self.monitor not in logs:
            from sturgeon._exceptions import InvalidValueError

            raise InvalidValueError(f"SturgeonCallback: monitor={self.monitor!r} is not in the logs ({sorted(logs)})")
        with self.trial.checkpoint(epoch) as folder:
            self.model.save(Path(folder) / MODEL_FILE)
        self.trial.report(float(logs[self.monitor]), epoch)
        if self.trial.should_prune():
            self.stopped = True
            self.model.stop_training = True

    def raise_if_stopped(self) -> None:
        """After ``fit``: raise ``TrialPruned`` when it stopped for the trial."""
        if self.stopped:
            import sturgeon as sg

            raise sg.TrialPruned()
