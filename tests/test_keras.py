"""sturgeon.integrations.keras.SturgeonCallback on a real small Keras 3 model (torch backend,
CPU, digits): reports per epoch, pruning, a checkpoint round trip through pause and resume, and
a live learning-rate change."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

import sturgeon as sg  # noqa: E402
from sturgeon import TrialState  # noqa: E402
from sturgeon.integrations.keras import SturgeonCallback  # noqa: E402

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


def _study(**kw):
    study = sg.create_study(sampler="random", seed=0, **kw)
    study.enqueue({"lr": 0.05})
    return study


def test_reports_every_epoch_and_applies_a_live_rate_change(data):
    study, log = _study(pruner=None), []

    def hook(trial, epoch):
        if epoch == 1:
            study.set_live_params(trial.number, {"lr": 0.3}, reason="faster")

    study.optimize(_objective(data, log, hook), n_trials=1)
    t = study.trials[0]
    assert t.state is TrialState.COMPLETE and sorted(t.intermediate_values) == list(range(5))
    (change,) = t.live_changes
    # Watch runs after our callback's report of epoch 1: applied at the report of epoch 2
    assert change.step == 3 and change.params == {"lr": 0.3}
    assert [(e, lr) for kind, e, lr in log if kind == "lr"] == [(0, 0.05), (1, 0.05), (2, 0.05), (3, 0.3), (4, 0.3)]


def test_pruning_stops_fit(data):
    study, log = _study(pruner=sg.pruners.ThresholdPruner(upper=0.0)), []
    study.optimize(_objective(data, log), n_trials=1)
    t = study.trials[0]
    assert t.state is TrialState.PRUNED and sorted(t.intermediate_values) == [0]


def test_checkpoint_round_trip_through_pause_and_resume(data):
    study, log = _study(pruner=None), []

    def hook(trial, epoch):
        if epoch == 1 and trial.resumed_step is None:
            study.pause_trial(trial.number)

    objective = _objective(data, log, hook)
    study.optimize(objective, n_trials=1)
    assert study.trials[0].state is TrialState.PAUSED and study.trials[0].pause_info["step"] == 2
    study.resume_trial(0)
    study.optimize(objective, n_trials=0)
    t = study.trials[0]
    assert t.state is TrialState.COMPLETE and t.resumed_step == 2
    assert sorted(t.intermediate_values) == list(range(5)) and t.resource == 5
    saved = next(w for kind, e, w in log if kind == "weights" and e == 2)
    starts = [w for kind, e, w in log if kind == "start"]
    assert len(starts) == 2 and all(np.array_equal(a, b) for a, b in zip(starts[1], saved, strict=True))
