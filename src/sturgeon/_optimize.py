"""The optimize loop: workers (threads) that ask, run the objective, and tell."""

from __future__ import annotations

import gc
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sturgeon._exceptions import GridExhaustedError, InvalidValueError, TrialPruned
from sturgeon._frozen import FrozenTrial, TrialState
from sturgeon._progress import ProgressBar

if TYPE_CHECKING:
    from sturgeon.study import Objective, Study
    from sturgeon.trial import Trial

__all__ = ["run_optimize"]

_log = logging.getLogger("sturgeon")


def _check_args(
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    catch: Any,
    heartbeat_interval: float,
    resource_budget: int | None,
) -> tuple[type[BaseException], ...]:
    if n_trials is not None and (isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 0):
        raise InvalidValueError(f"optimize: n_trials must be an int >= 0 or None, got {n_trials!r}")
    if resource_budget is not None and (
        isinstance(resource_budget, bool) or not isinstance(resource_budget, int) or resource_budget <= 0
    ):
        raise InvalidValueError(
            f"optimize: resource_budget must be an int > 0 (steps trained in total) or None, got {resource_budget!r}"
        )
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
        raise InvalidValueError(f"optimize: timeout must be a number of seconds > 0 or None, got {timeout!r}")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise InvalidValueError(f"optimize: n_jobs must be an int >= 1, or -1 for one per CPU, got {n_jobs!r}")
    if not isinstance(heartbeat_interval, (int, float)) or heartbeat_interval <= 0:
        raise InvalidValueError(f"optimize: heartbeat_interval must be > 0 seconds, got {heartbeat_interval!r}")
    if isinstance(catch, type):
        catch = (catch,)
    catch = tuple(catch)
    for c in catch:
        if not (isinstance(c, type) and issubclass(c, BaseException)):
            raise InvalidValueError(f"optimize: catch must hold exception classes, got {c!r}")
    return catch


class _Heartbeat:
    """Beats for every trial this optimize call is running, from one background thread."""

    def __init__(self, study: Study, interval: float) -> None:
        self._study = study
        self._interval = float(interval)
        self._ttl = 3.0 * self._interval + 1.0
        self._running: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sturgeon-heartbeat", daemon=True)
        self._thread.start()

    def add(self, number: int) -> None:
        with self._lock:
            self._running.add(number)
        self._study._storage.record_heartbeat(self._study._study_id, number, self._ttl)

    def remove(self, number: int) -> None:
        with self._lock:
            self._running.discard(number)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            with self._lock:
                numbers = list(self._running)
            for n in numbers:
                try:
                    self._study._storage.record_heartbeat(self._study._study_id, n, self._ttl)
                except Exception:  # a transient storage error must not kill the beat
                    _log.warning("heartbeat for trial %d failed", n, exc_info=True)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


class _Loop:
    def __init__(
        self,
        study: Study,
        func: Objective,
        n_trials: int | None,
        timeout: float | None,
        catch: tuple[type[BaseException], ...],
        callbacks: Sequence[Callable[[Study, FrozenTrial], None]],
        progress: ProgressBar,
        heartbeat: _Heartbeat,
        heartbeat_interval: float,
        resource_budget: int | None,
    ) -> None:
        self.study, self.func, self.n_trials, self.catch = study, func, n_trials, catch
        self.resource_budget = resource_budget
        self.callbacks, self.progress, self.heartbeat = callbacks, progress, heartbeat
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.lock = threading.Lock()
        self.started = 0
        self.error: BaseException | None = None
        self.halt = threading.Event()
        self.stale_every = heartbeat_interval
        self.last_stale_check = time.monotonic()

    def _next_trial(self) -> Trial | None:
        """The next trial to run (a resumed one first), or None when the loop is done. A new
        trial takes one of the ``n_trials`` slots; a resumed one does not."""
        with self.lock:
            if self.halt.is_set() or self.study._stop_flag.is_set():
                return None
            if self.deadline is not None and time.monotonic() >= self.deadline:
                return None
            if self.resource_budget is not None and self.study.total_resource >= self.resource_budget:
                return None
            new_ok = self.n_trials is None or self.started < self.n_trials
            if new_ok:
                self.started += 1
        self._maybe_fail_stale()
        try:
            trial = self.study._next_trial(None, allow_new=new_ok)
        except BaseException:
            if new_ok:
                with self.lock:
                    self.started -= 1
            raise
        if new_ok and (trial is None or trial.resumed_step is not None):
            with self.lock:
                self.started -= 1
        return trial

    def worker(self) -> None:
        try:
            while True:
                try:
                    trial = self._next_trial()
                except GridExhaustedError:
                    _log.info("study %r: the grid is exhausted; stopping", self.study.name)
                    self.halt.set()
                    return
                if trial is None:
                    return
                frozen = self._run_one(trial)
                for cb in self.callbacks:
                    cb(self.study, frozen)
                self.progress.update(self.study, frozen)
        except BaseException as e:
            with self.lock:
                if self.error is None:
                    self.error = e
            self.halt.set()

    def _maybe_fail_stale(self) -> None:
        now = time.monotonic()
        if now - self.last_stale_check >= self.stale_every:
            self.last_stale_check = now
            self.study.fail_stale_trials()

    def _run_one(self, trial: Trial) -> FrozenTrial:
        study = self.study
        trial._resource_cap = self.resource_budget
        self.heartbeat.add(trial.number)
        try:
            try:
                value = self.func(trial)
            except TrialPruned:
                if trial.state is not TrialState.RUNNING:  # the objective told it itself
                    return study._view.trial(trial.number)
                return study._stopped(trial)
            except self.catch as e:
                _log.warning("trial %d failed with %r (caught; going on)", trial.number, e)
                return study.tell(trial, state=TrialState.FAIL, reason=f"{type(e).__name__}: {e}")
            except BaseException as e:
                if trial.state is TrialState.RUNNING:
                    study.tell(trial, state=TrialState.FAIL, reason=f"{type(e).__name__}: {e}")
                raise
            if trial.state is not TrialState.RUNNING:  # the objective told it itself
                return study._view.trial(trial.number)
            frozen = study._tell(trial, value, state=None, reason=None, warn=False)  # logged below instead
            if frozen.state is TrialState.FAIL:
                _log.warning("trial %d failed: %s", trial.number, frozen.fail_reason)
            return frozen
        finally:
            self.heartbeat.remove(trial.number)


def run_optimize(
    study: Study,
    func: Objective,
    *,
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    catch: Iterable[type[BaseException]] | type[BaseException],
    callbacks: Sequence[Callable[[Study, FrozenTrial], None]] | None,
    show_progress_bar: bool | None,
    heartbeat_interval: float,
    resource_budget: int | None = None,
) -> None:
    if not callable(func):
        raise InvalidValueError(f"optimize: func must be callable (trial) -> float, got {func!r}")
    catch_t = _check_args(n_trials, timeout, n_jobs, catch, heartbeat_interval, resource_budget)
    if n_jobs == -1:
        n_jobs = os.cpu_count() or 1
    if show_progress_bar is None:
        show_progress_bar = sys.stderr.isatty()
    study._stop_flag.clear()
    study.fail_stale_trials()
    progress = ProgressBar(enabled=bool(show_progress_bar), n_trials=n_trials, timeout=timeout)
    heartbeat = _Heartbeat(study, heartbeat_interval)
    loop = _Loop(
        study,
        func,
        n_trials,
        timeout,
        catch_t,
        list(callbacks or ()),
        progress,
        heartbeat,
        heartbeat_interval,
        resource_budget,
    )
    try:
        if n_jobs == 1:
            loop.worker()
        else:
            threads = [threading.Thread(target=loop.worker, name=f"sturgeon-worker-{i}") for i in range(n_jobs)]
            for t in threads:
                t.start()
            try:
                for t in threads:
                    t.join()
            except KeyboardInterrupt:
                loop.halt.set()
                for t in threads:
                    t.join()
                raise
    finally:
        heartbeat.close()
        progress.close()
        gc.collect(0)
    if loop.error is not None:
        raise loop.error
