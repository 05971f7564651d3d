"""The optimize loop: workers (threads) that ask, run the objective, and tell."""

from __future__ import annotations

import gc
import logging
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sturgeon._checks import short_repr
from sturgeon._exceptions import GridExhaustedError, InvalidValueError, TrialPruned, TrialStateError
from sturgeon._frozen import FrozenTrial, TrialState
from sturgeon._live import STOP_ATTR, worker_name
from sturgeon._progress import ProgressBar

EXECUTORS = ("thread", "process")
EXECUTOR = "thread"  # how this process runs trials: "process" inside a worker process of executor="process"
_UNSET: Any = object()
STOP_SEEN: Any = _UNSET  # in a worker process: the stop request its parent saw at its start

if TYPE_CHECKING:
    from sturgeon.study import Objective, Study
    from sturgeon.trial import Trial

__all__ = ["run_optimize"]

_log = logging.getLogger("sturgeon")
_MAX_INTERVAL = 86400.0


def _check_args(
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    catch: Any,
    heartbeat_interval: float,
    resource_budget: int | None,
) -> tuple[type[BaseException], ...]:
    if n_trials is not None and (isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 0):
        raise InvalidValueError(f"optimize: n_trials must be an int >= 0 or None, got {short_repr(n_trials)}")
    if resource_budget is not None and (
        isinstance(resource_budget, bool) or not isinstance(resource_budget, int) or resource_budget <= 0
    ):
        raise InvalidValueError(
            "optimize: resource_budget must be an int > 0 (steps trained in total) or None, got "
            f"{short_repr(resource_budget)}"
        )
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < math.inf
    ):
        raise InvalidValueError(
            f"optimize: timeout must be a finite number of seconds > 0, or None for no limit, got {short_repr(timeout)}"
        )
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise InvalidValueError(
            f"optimize: n_jobs must be an int >= 1, or -1 for one per CPU, got {short_repr(n_jobs)}"
        )
    if (
        isinstance(heartbeat_interval, bool)
        or not isinstance(heartbeat_interval, (int, float))
        or not 0 < heartbeat_interval <= _MAX_INTERVAL
    ):
        raise InvalidValueError(
            f"optimize: heartbeat_interval must be a number of seconds > 0 and <= {_MAX_INTERVAL:g} (one day), "
            f"got {short_repr(heartbeat_interval)}"
        )
    return _exception_types("catch", catch)


def _exception_types(what: str, types: Any) -> tuple[type[BaseException], ...]:
    if isinstance(types, type):
        types = (types,)
    try:
        out = tuple(types)
    except TypeError:
        raise InvalidValueError(
            f"optimize: {what} must be an exception class or several, got {short_repr(types)}"
        ) from None
    for c in out:
        if not (isinstance(c, type) and issubclass(c, BaseException)):
            raise InvalidValueError(f"optimize: {what} must hold exception classes, got {short_repr(c)}")
    return out


class _Heartbeat:
    """Beats for every trial this optimize call is running, from one background thread, and
    recovers the study's dead trials (``fail_stale_trials``) every ``interval`` seconds.

    A trial's first heartbeat is written with its creation or claim (``ttl``: the expiry the
    storage gets); this thread renews it every ``interval``. The expiry is three intervals
    and a second, so two missed beats in a row (a slow storage, a long GC pause) do not make
    a live trial look dead, and a dead worker's trial is recovered within that expiry plus one
    interval of whichever worker checks. The thread lives on its own: sleeping, waiting on
    I/O or training in C code that releases the GIL never delays it. An error is logged and
    the loop goes on; should the thread end anyway, the next trial starts it again.
    """

    def __init__(self, study: Study, interval: float) -> None:
        self._study = study
        self._interval = float(interval)
        self.ttl = 3.0 * self._interval + 1.0
        self._running: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._last_ok = time.monotonic()
        self._thread = self._start()

    def _start(self) -> threading.Thread:
        thread = threading.Thread(target=self._loop, name="sturgeon-heartbeat", daemon=True)
        thread.start()
        return thread

    def worker(self) -> str:
        """The name the trial a thread of this loop takes records as its worker."""
        return worker_name(EXECUTOR)

    def add(self, number: int) -> None:
        """Beat for ``number`` from now on (its first heartbeat came with its claim)."""
        with self._lock:
            self._running.add(number)
            if not self._thread.is_alive() and not self._stop.is_set():
                _log.error("the heartbeat thread had stopped; starting it again")
                self._thread = self._start()

    def remove(self, number: int) -> None:
        with self._lock:
            self._running.discard(number)

    def _loop(self) -> None:
        try:
            while not self._stop.wait(self._interval):
                try:
                    self._beat()
                    self._study.fail_stale_trials()
                except Exception:  # a transient storage error must not end the beat
                    _log.warning("heartbeat: the storage could not be reached", exc_info=True)
        except BaseException:  # logged, never silent; the next trial starts the thread again
            _log.error("the heartbeat thread stopped", exc_info=True)

    def _beat(self) -> None:
        with self._lock:
            numbers = sorted(self._running)
        ok = True
        for n in numbers:
            try:
                alive = self._study._storage.record_heartbeat(self._study._study_id, n, self.ttl, renew_only=True)
            except Exception:
                ok = False
                _log.warning("heartbeat for trial %d failed", n, exc_info=True)
                continue
            if not alive:  # finished meanwhile, or recovered by another worker while its beats were late
                with self._lock:
                    if n in self._running:
                        self._running.discard(n)
                        _log.warning("trial %d has no heartbeat any more (finished or recovered elsewhere)", n)
        now = time.monotonic()
        if ok:
            if now - self._last_ok > self.ttl:
                late = now - self._last_ok
                _log.warning("heartbeats were %.1f s apart; running trials may have been taken for dead", late)
            self._last_ok = now

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
        # a stop asked from anywhere (Study.stop, `sturgeon stop STUDY`, the dashboard) is a
        # study attribute: this loop obeys one asked after it started
        study._view.sync()
        self.stop_seen = study._view.system_attrs.get(STOP_ATTR) if STOP_SEEN is _UNSET else STOP_SEEN

    def _stop_requested(self) -> bool:
        request = self.study._view.system_attrs.get(STOP_ATTR)  # the view is synced at every ask
        if request != self.stop_seen:
            by = (request or {}).get("by")
            _log.info("study %r: stop asked by %s; finishing the running trials", self.study.name, by)
            return True
        return False

    def _next_trial(self) -> Trial | None:
        """The next trial to run (a resumed one first), or None when the loop is done. A new
        trial takes one of the ``n_trials`` slots; a resumed one does not."""
        with self.lock:
            if self.halt.is_set() or self.study._stop_flag.is_set() or self._stop_requested():
                return None
            if self.deadline is not None and time.monotonic() >= self.deadline:
                return None
            if self.resource_budget is not None and self.study.total_resource >= self.resource_budget:
                return None
            new_ok = self.n_trials is None or self.started < self.n_trials
            if new_ok:
                self.started += 1
        try:
            trial = self.study._next_trial(None, allow_new=new_ok, owner=self.heartbeat)
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

    def _run_one(self, trial: Trial) -> FrozenTrial:
        study = self.study
        trial._resource_cap = self.resource_budget
        self.heartbeat.add(trial.number)  # added at its claim already; this also restarts a stopped thread
        try:
            try:
                value = self.func(trial)
            except TrialPruned:
                if trial.state is not TrialState.RUNNING:  # the objective told it itself
                    return study._view.trial(trial.number)
                return self._finish(trial, lambda: study._stopped(trial))
            except self.catch + study._retry_on as e:
                why = _why(e)
                frozen = self._finish(trial, lambda: study.tell(trial, state=TrialState.FAIL, reason=why))
                if isinstance(e, study._retry_on) and frozen.state is TrialState.FAIL:
                    _log.warning("trial %d failed with %r; queued again (retry_on)", trial.number, e)
                    study._requeue(trial.number, {**trial._ctx.fixed_params, **trial.params})
                else:
                    _log.warning("trial %d failed with %r (caught; going on)", trial.number, e)
                return frozen
            except BaseException as e:
                if trial.state is TrialState.RUNNING and isinstance(e, (KeyboardInterrupt, SystemExit)):
                    self._finish(trial, lambda: study._interrupted(trial))  # paused or queued again
                elif trial.state is TrialState.RUNNING:
                    why = _why(e)
                    self._finish(trial, lambda: study.tell(trial, state=TrialState.FAIL, reason=why))
                raise
            if trial.state is not TrialState.RUNNING:  # the objective told it itself
                return study._view.trial(trial.number)
            # logged below instead of warned
            frozen = self._finish(trial, lambda: study._tell(trial, value, state=None, reason=None, warn=False))
            if frozen.state is TrialState.FAIL:
                _log.warning("trial %d failed: %s", trial.number, frozen.fail_reason)
            return frozen
        finally:
            self.heartbeat.remove(trial.number)

    def _finish(self, trial: Trial, tell: Callable[[], FrozenTrial]) -> FrozenTrial:
        """Record how the trial ended. When another worker recovered it meanwhile (its beats
        came too late), that record stands: log it and go on. When recording fails, the trial
        is failed with the reason, so it is never left RUNNING, and the error is raised."""
        try:
            return tell()
        except TrialStateError:
            study = self.study
            study._view.sync()
            frozen = study._view.trial(trial.number)
            if frozen.state is TrialState.RUNNING:
                raise
            _log.warning(
                "trial %d was recovered by another worker (now %s) before it finished here (its heartbeat had "
                "expired); its result here is dropped",
                trial.number,
                frozen.state.value,
            )
            return frozen
        except BaseException as e:
            if trial.state is TrialState.RUNNING:
                try:
                    self.study.tell(trial, state=TrialState.FAIL, reason=f"its result could not be recorded: {_why(e)}")
                except Exception:
                    _log.error("trial %d could not be failed", trial.number, exc_info=True)
            raise


def _why(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}"[:2000]


def _check_limits(executor: str, trial_timeout: Any, trial_memory: Any) -> None:
    if trial_timeout is not None and (
        isinstance(trial_timeout, bool)
        or not isinstance(trial_timeout, (int, float))
        or not math.isfinite(trial_timeout)
        or trial_timeout <= 0
    ):
        raise InvalidValueError(
            f"optimize: trial_timeout must be seconds > 0 (finite) or None, got {short_repr(trial_timeout)}"
        )
    if trial_memory is not None and (
        isinstance(trial_memory, bool) or not isinstance(trial_memory, int) or trial_memory <= 0
    ):
        raise InvalidValueError(
            f"optimize: trial_memory must be bytes (an int > 0) or None, got {short_repr(trial_memory)}"
        )
    if (trial_timeout is not None or trial_memory is not None) and executor != "process":
        raise InvalidValueError(
            "optimize: trial_timeout and trial_memory need executor='process' (a thread cannot be stopped or measured)"
        )


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
    executor: Any = "thread",
    trial_timeout: float | None = None,
    trial_memory: int | None = None,
    retries: int = 1,
    retry_on: Iterable[type[BaseException]] | type[BaseException] = (),
) -> None:
    if not callable(func):
        raise InvalidValueError(f"optimize: func must be callable (trial) -> float, got {short_repr(func)}")
    catch_t = _check_args(n_trials, timeout, n_jobs, catch, heartbeat_interval, resource_budget)
    from sturgeon._ray import RayExecutor

    ray_executor = executor if isinstance(executor, RayExecutor) else None
    if ray_executor is None and executor not in EXECUTORS:
        raise InvalidValueError(
            f"optimize: executor must be one of {list(EXECUTORS)} or a RayExecutor, got {short_repr(executor)}"
        )
    _check_limits(executor, trial_timeout, trial_memory)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise InvalidValueError(f"optimize: retries must be an int >= 0, got {short_repr(retries)}")
    study.retries = retries
    study._retry_on = _exception_types("retry_on", retry_on)
    if n_jobs == -1:
        n_jobs = os.cpu_count() or 1
    if show_progress_bar is None:
        show_progress_bar = sys.stderr.isatty()
    study._stop_flag.clear()
    study.fail_stale_trials()
    progress = ProgressBar(enabled=bool(show_progress_bar), n_trials=n_trials, timeout=timeout)
    if ray_executor is not None:
        from sturgeon._ray import run_ray

        try:
            run_ray(
                study,
                func,
                executor=ray_executor,
                n_trials=n_trials,
                timeout=timeout,
                n_jobs=n_jobs,
                catch=catch_t,
                callbacks=list(callbacks or ()),
                progress=progress,
                heartbeat_interval=heartbeat_interval,
                resource_budget=resource_budget,
            )
        finally:
            progress.close()
        return
    if executor == "process":
        from sturgeon._processes import run_processes

        try:
            run_processes(
                study,
                func,
                n_trials=n_trials,
                timeout=timeout,
                n_jobs=n_jobs,
                catch=catch_t,
                callbacks=list(callbacks or ()),
                progress=progress,
                heartbeat_interval=heartbeat_interval,
                resource_budget=resource_budget,
                trial_timeout=trial_timeout,
                trial_memory=trial_memory,
            )
        finally:
            progress.close()
        return
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
