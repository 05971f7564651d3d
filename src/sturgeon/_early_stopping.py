"""Early stopping inside a trial: stop when the validation score has not improved for
``patience`` steps, and keep the best step and value, so the number of epochs needs no tuning."""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, Any

from sturgeon._exceptions import InvalidValueError

if TYPE_CHECKING:
    from sturgeon.trial import Trial

__all__ = ["BEST_STEP_ATTR", "EarlyStopping"]

BEST_STEP_ATTR = "best_step"  # system attributes on the trial: its best step and the value there
BEST_VALUE_ATTR = "best_step_value"


class EarlyStopping:
    """Stop a training loop when its score stops improving.

        stopper = sg.EarlyStopping(trial, patience=5)
        for epoch in range(1000):
            ...
            trial.report(val_loss, epoch)
            if stopper.update(val_loss, epoch, state=model.state_dict()):
                break
        model.load_state_dict(stopper.best_state)   # the weights of the best epoch
        return stopper.best_value

    Args:
        trial: the trial to record the best step on (``FrozenTrial.best_step``); None to use
            it outside a study.
        patience: steps without an improvement before ``update`` says stop.
        min_delta: how much better than the best a value must be to count as an improvement.
        mode: "min" or "max"; default: the study's direction (or "min" without a trial).
    """

    def __init__(
        self, trial: Trial | None = None, *, patience: int = 10, min_delta: float = 0.0, mode: str | None = None
    ) -> None:
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
            raise InvalidValueError(f"EarlyStopping: patience must be an int >= 1, got patience={patience!r}")
        if isinstance(min_delta, bool) or not isinstance(min_delta, (int, float)) or not min_delta >= 0:
            raise InvalidValueError(f"EarlyStopping: min_delta must be a number >= 0, got min_delta={min_delta!r}")
        if mode is None and trial is not None and trial.study.is_multi_objective:
            raise InvalidValueError(
                "EarlyStopping: the study has several objectives; say which way the watched score improves "
                "with mode='min' or mode='max'"
            )
        if mode is None:
            mode = "max" if trial is not None and trial.study.direction == "maximize" else "min"
        if mode not in ("min", "max"):
            raise InvalidValueError(f"EarlyStopping: mode must be 'min' or 'max', got mode={mode!r}")
        self.trial = trial
        self.patience = patience
        self.min_delta = float(min_delta)
        self.mode = mode
        self.best_value: float | None = None
        self.best_step: int | None = None
        self.best_state: Any = None
        self.last_step: int | None = None
        if trial is not None and trial.resumed_step is not None:  # a resumed trial keeps its best
            attrs = trial.system_attrs
            best = attrs.get(BEST_STEP_ATTR)
            if best is not None and int(best) <= trial.resumed_step:
                self.best_step, self.best_value = int(best), float(attrs[BEST_VALUE_ATTR])

    def _better(self, value: float) -> bool:
        if self.best_value is None:
            return True
        if self.mode == "min":
            return value < self.best_value - self.min_delta
        return value > self.best_value + self.min_delta

    def update(self, value: float, step: int, *, state: Any = None) -> bool:
        """Take the score at ``step``; True when training should stop (no improvement in the
        last ``patience`` steps). ``state`` (e.g. ``model.state_dict()``) is deep-copied at
        each new best and kept as ``best_state``. A NaN score never improves."""
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isinf(float(value)):
            raise InvalidValueError(f"EarlyStopping.update: value must be a finite number or NaN, got {value!r}")
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise InvalidValueError(f"EarlyStopping.update: step must be an int >= 0, got step={step!r}")
        v = float(value)
        self.last_step = step
        if not math.isnan(v) and self._better(v):
            self.best_value, self.best_step = v, step
            if state is not None:
                self.best_state = copy.deepcopy(state)
            if self.trial is not None:
                self.trial._set_system_attr(BEST_STEP_ATTR, step)
                self.trial._set_system_attr(BEST_VALUE_ATTR, v)
        return self.should_stop

    @property
    def should_stop(self) -> bool:
        """Whether ``patience`` steps have passed since the best one."""
        if self.last_step is None:
            return False
        if self.best_step is None:
            return self.last_step + 1 >= self.patience
        return self.last_step - self.best_step >= self.patience
