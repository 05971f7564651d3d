"""sturgeon.integrations.keras.SturgeonCallback on a real small Keras 3 model (torch backend,
CPU, digits): reports per epoch, pruning, a checkpoint round trip through pause and resume, and
a live learning-rate change."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

from sturgeon.integrations.keras import SturgeonCallback  # noqa: E402
from tests import _callback_checks as checks  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Keras' own, under NumPy 2

if keras.backend.backend() != "torch":  # pragma: no cover - another test chose a backend first
    pytest.skip("these tests run Keras on the torch backend", allow_module_level=True)


@pytest.fixture(scope="module")
def data():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return (x[:300] / 16.0).astype("float32"), y[:300], (x[300:400] / 16.0).astype("float32"), y[300:400]


def _objective(data, log, hook=None, epochs=5):
    x, y, xv, yv = data

    class Watch(keras.callbacks.Callback):
        def __init__(self, trial):
            super().__init__()
            self.trial = trial

        def on_epoch_begin(self, epoch, logs=None):
            log.append(("lr", epoch, round(float(self.model.optimizer.learning_rate), 6)))

        def on_train_begin(self, logs=None):
            log.append(("start", None, [w.copy() for w in self.model.get_weights()]))

        def on_epoch_end(self, epoch, logs=None):
            log.append(("weights", epoch, [w.copy() for w in self.model.get_weights()]))
            if hook is not None:
                hook(self.trial, epoch)

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-3, 1.0, log=True)
        callback = SturgeonCallback(trial, monitor="val_loss")
        model = callback.load_model()
        if model is None:
            keras.utils.set_random_seed(0)
            model = keras.Sequential(
                [keras.Input((64,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(10)]
            )
            model.compile(
                optimizer=keras.optimizers.SGD(learning_rate=lr, momentum=0.5),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            )
        # our callback first: it applies the live values before Watch reads them
        model.fit(x, y, validation_data=(xv, yv), epochs=epochs, batch_size=50, verbose=0,
                  initial_epoch=callback.initial_epoch, callbacks=[callback, Watch(trial)], shuffle=False)  # fmt: skip
        callback.raise_if_stopped()
        return float(model.evaluate(xv, yv, verbose=0))

    return objective


def test_reports_every_epoch_and_applies_a_live_rate_change(data):
    checks.check_reports_and_a_live_rate_change(lambda log, hook=None: _objective(data, log, hook))


def test_pruning_stops_the_fit(data):
    checks.check_pruning_stops_the_fit(lambda log, hook=None: _objective(data, log, hook))


def test_checkpoint_round_trip_through_pause_and_resume(data):
    checks.check_round_trip_through_pause_and_resume(lambda log, hook=None: _objective(data, log, hook), np.array_equal)
