"""A progress bar for ``optimize`` (tqdm), showing trials done and the best value."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from sturgeon._frozen import FrozenTrial, TrialState

if TYPE_CHECKING:
    from sturgeon.study import Study

__all__ = ["ProgressBar"]


class ProgressBar:
    """Counts trials (``n_trials`` given) or seconds (only ``timeout`` given). Thread-safe."""

    def __init__(self, *, enabled: bool, n_trials: int | None, timeout: float | None, desc: str = "trials") -> None:
        self._bar: Any = None
        self._by_time = n_trials is None and timeout is not None
        self._t0 = time.monotonic()
        self._best: float | None = None
        if not enabled:
            return
        from tqdm.auto import tqdm

        if self._by_time:
            fmt = "{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f}s [{elapsed}<{remaining}{postfix}]"
            self._bar = tqdm(total=timeout, desc=desc, bar_format=fmt, dynamic_ncols=True)
        else:
            self._bar = tqdm(total=n_trials, desc=desc, unit="trial", dynamic_ncols=True)

    def update(self, study: Study, trial: FrozenTrial) -> None:
        if self._bar is None:
            return
        if trial.state is TrialState.COMPLETE and trial.value is not None:
            better = self._best is None or (
                trial.value < self._best if study.direction == "minimize" else trial.value > self._best
            )
            if better:
                self._best = trial.value
        if self._best is not None:
            self._bar.set_postfix_str(f"best={self._best:.6g}", refresh=False)
        if self._by_time:
            elapsed = min(time.monotonic() - self._t0, float(self._bar.total))
            self._bar.update(elapsed - self._bar.n)
        else:
            self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
