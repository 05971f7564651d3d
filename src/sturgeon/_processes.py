"""``optimize(executor="process")``: trials run in worker processes, each an ``optimize`` loop of
its own on the same storage (an SQLite file or a PostgreSQL server), so a pure-Python objective
gets a core per worker instead of sharing one through the GIL.

Each worker is a fresh interpreter (``python -m sturgeon._processes``) that never imports the
parent's ``__main__``; the objective, the sampler and the pruner travel with cloudpickle, so
functions defined in ``__main__`` or a notebook work. The parent hands each worker its share of ``n_trials``, runs
the callbacks and the progress bar on the trials the workers finish (read from the storage),
and stops the workers through the study-wide stop (``Study.stop``: a callback that stops the
study stops them all). An exception a worker's objective raised (and ``catch`` did not catch)
stops the others and is raised here with the worker's traceback.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from sturgeon._exceptions import InvalidValueError, SturgeonError
from sturgeon._frozen import FrozenTrial
from sturgeon._live import STOP_ATTR

if TYPE_CHECKING:
    from sturgeon._progress import ProgressBar
    from sturgeon.study import Study

__all__ = ["WorkerProcessError", "run_processes"]

_log = logging.getLogger("sturgeon")
POLL_S = 0.2


class WorkerProcessError(SturgeonError):
    """A worker process ended with an error its objective raised (its traceback is in the
    message) or died without saying why (killed by a signal, out of memory)."""


def _worker_main(blob_path: str, url: str, name: str, share: str, index: str, result_path: str) -> int:
    """One worker process (``python -m sturgeon._processes ...``): its own ``optimize`` loop on
    the study. Started as a fresh interpreter that never imports the parent's ``__main__``."""
    import traceback

    def result(kind: str, text: str | None) -> None:
        Path(result_path).write_text(json.dumps({"kind": kind, "index": int(index), "text": text}))

    try:
        current = Path(result_path).with_name(f"current-{index}.json")
        started = [0]

        def watched(func: Callable[..., Any]) -> Callable[..., Any]:
            def run(trial: Any) -> Any:  # the parent reads which trial runs since when (per-trial limits)
                started[0] += trial.resumed_step is None
                current.write_text(json.dumps({"trial": trial.number, "start": time.time(), "started": started[0]}))
                try:
                    return func(trial)
                finally:
                    current.write_text(json.dumps({"trial": None, "started": started[0]}))

            return run

        n_trials = None if share == "-" else int(share)
        run_worker_loop(Path(blob_path).read_bytes(), url, name, n_trials, "process", wrap=watched)
        result("done", None)
        return 0
    except KeyboardInterrupt:
        result("interrupted", None)
        return 130
    except BaseException as e:  # every failure goes back to the parent, which raises it
        result("error", f"{type(e).__name__}: {e}\n\nin worker process {index}:\n{traceback.format_exc()}")
        return 1


def run_worker_loop(
    blob: bytes,
    url: str,
    name: str,
    n_trials: int | None,
    executor: str,
    wrap: Callable[[Callable[..., Any]], Callable[..., Any]] | None = None,
) -> None:
    """A worker's side of process and Ray execution: the objective, sampler, pruner and options
    from ``blob`` (see ``worker_blob``), one ``optimize`` loop on the study."""
    import cloudpickle

    import sturgeon as sg
    from sturgeon import _optimize

    func, sampler, pruner, seed, options, stop_seen = cloudpickle.loads(blob)
    _optimize.EXECUTOR = executor
    _optimize.STOP_SEEN = stop_seen  # a stop asked before this worker started still counts
    study = sg.load_study(name, storage=url, sampler=sampler, pruner=pruner, seed=seed)
    objective = func if wrap is None else wrap(func)
    study.optimize(objective, n_trials=n_trials, n_jobs=1, show_progress_bar=False, **options)


def worker_blob(
    study: Study,
    func: Callable[..., Any],
    *,
    timeout: float | None,
    catch: tuple[type[BaseException], ...],
    heartbeat_interval: float,
    resource_budget: int | None,
) -> bytes:
    """What a worker needs, pickled: the objective, the study's sampler, pruner and seed, the
    loop's options and the stop request in force now (one asked later stops the worker)."""
    import cloudpickle

    options = {
        "timeout": timeout,
        "catch": catch,
        "heartbeat_interval": heartbeat_interval,
        "resource_budget": resource_budget,
        "retries": study.retries,
        "retry_on": study._retry_on,
    }
    study._view.sync()
    stop_seen = study._view.system_attrs.get(STOP_ATTR)
    try:
        return _dumps(cloudpickle, (func, study.sampler, study.pruner, study._seed, options, stop_seen))
    except Exception as e:
        raise InvalidValueError(f"optimize: cannot send the objective to a worker: {e}") from e


def split_trials(n_trials: int | None, n_jobs: int) -> list[int | None]:
    """Each worker's share of ``n_trials`` (None each: no limit); no worker with nothing to do."""
    if n_trials is None:
        return [None] * n_jobs
    shares = [n_trials // n_jobs + (i < n_trials % n_jobs) for i in range(n_jobs)]
    return [s for s in shares if s]


class FinishReporter:
    """Runs the callbacks and the progress bar, in the parent, on each trial the workers finish
    (read from the storage), once each."""

    def __init__(self, study: Study, callbacks: Sequence[Callable[[Study, FrozenTrial], None]], progress: ProgressBar):
        self.study, self.callbacks, self.progress = study, callbacks, progress
        study._view.sync()
        self.seen = {t.number for t in study._view.trials() if t.state.is_finished}

    def __call__(self) -> None:
        self.study._view.sync()
        for t in self.study._view.trials():
            if t.state.is_finished and t.number not in self.seen:
                self.seen.add(t.number)
                for cb in self.callbacks:
                    cb(self.study, t)
                self.progress.update(self.study, t)


def raise_errors(errors: Sequence[str]) -> None:
    if errors:
        more = f"\n({len(errors) - 1} more worker errors)" if len(errors) > 1 else ""
        raise WorkerProcessError(errors[0] + more)


def _dumps(cloudpickle: Any, obj: Any) -> bytes:
    """cloudpickle, with locks sent as new locks (samplers and pruners hold some for threads)."""
    import collections
    import io
    import threading

    locks = {type(threading.Lock()): threading.Lock, type(threading.RLock()): threading.RLock}

    class Pickler(cloudpickle.Pickler):
        dispatch_table: ClassVar[Any] = collections.ChainMap(
            {t: (lambda _lock, make=make: (make, ())) for t, make in locks.items()},
            cloudpickle.Pickler.dispatch_table,
        )

    buf = io.BytesIO()
    Pickler(buf).dump(obj)
    return buf.getvalue()


@dataclass
class _Slot:
    """One worker process and what it was given."""

    index: int
    share: int | None
    proc: subprocess.Popen[bytes]
    result: Path
    current: Path
    done: bool = False


def _rss(pid: int) -> int | None:
    """Resident memory of a process in bytes (Linux /proc), None where unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def run_processes(
    study: Study,
    func: Callable[..., Any],
    *,
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    catch: tuple[type[BaseException], ...],
    callbacks: Sequence[Callable[[Study, FrozenTrial], None]],
    progress: ProgressBar,
    heartbeat_interval: float,
    resource_budget: int | None,
    trial_timeout: float | None = None,
    trial_memory: int | None = None,
) -> None:
    url = getattr(study.storage, "url", None)
    if not isinstance(url, str):
        raise InvalidValueError(
            "optimize: executor='process' needs a study in a database that processes share (storage="
            "'sqlite:///file.db' or a PostgreSQL URL); this study is in memory: use executor='thread'"
        )
    deadline = None if timeout is None else time.monotonic() + timeout
    blob = worker_blob(
        study,
        func,
        timeout=timeout,
        catch=catch,
        heartbeat_interval=heartbeat_interval,
        resource_budget=resource_budget,
    )
    shares = split_trials(n_trials, n_jobs)
    finished = FinishReporter(study, callbacks, progress)
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="sturgeon-workers-") as tmp:
        blob_path = Path(tmp) / "objective.pkl"
        blob_path.write_bytes(blob)
        env = dict(os.environ)
        # the objective's own modules (pickled by reference) import as they do here
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))
        count = [0]

        def start(share: int | None) -> _Slot:
            index = count[0]
            count[0] += 1
            result, current = Path(tmp) / f"result-{index}.json", Path(tmp) / f"current-{index}.json"
            args = [str(blob_path), url, study.name, "-" if share is None else str(share), str(index), str(result)]
            proc = subprocess.Popen([sys.executable, "-m", "sturgeon._processes", *args], env=env)
            return _Slot(index, share, proc, result, current)

        slots = [start(share) for share in shares]

        def current(slot: _Slot) -> dict[str, Any] | None:
            try:
                got: dict[str, Any] = json.loads(slot.current.read_text())
            except (OSError, ValueError):
                return None
            return got if got.get("trial") is not None else None

        def replace(slot: _Slot, running: dict[str, Any] | None) -> None:
            """A worker that was killed or died: start another for the rest of its share."""
            left = None if slot.share is None else slot.share - int((running or {}).get("started", 0))
            over = deadline is not None and time.monotonic() >= deadline
            if (left is None or left > 0) and not over and not study._stop_flag.is_set():
                slots.append(start(left))

        def lost(slot: _Slot, running: dict[str, Any] | None, reason: str, requeue: bool) -> None:
            slot.done = True
            if running is not None:
                study._lost_trial(int(running["trial"]), reason, requeue=requeue)
            replace(slot, running)

        def check(slot: _Slot) -> None:
            code = slot.proc.poll()
            if code is None:  # running: hold it to its limits
                running = current(slot)
                if running is None:
                    return
                why = None
                if trial_timeout is not None and time.time() - float(running["start"]) > trial_timeout:
                    why = f"TIMEOUT: ran longer than trial_timeout={trial_timeout:g} s"
                rss = _rss(slot.proc.pid) if trial_memory is not None else None
                if rss is not None and trial_memory is not None and rss > trial_memory:
                    why = f"OOM: resident memory {rss} bytes, over trial_memory={trial_memory}"
                if why is not None:
                    slot.proc.kill()
                    slot.proc.wait()
                    _log.warning("trial %s: %s; the study goes on", running["trial"], why)
                    lost(slot, running, why, requeue=False)
                return
            if slot.result.exists():
                slot.done = True
                got = json.loads(slot.result.read_text())
                if got["kind"] == "error":
                    errors.append(got["text"])
                    if not study._stop_flag.is_set():
                        study.stop(reason=f"worker process {slot.index} failed")
                return
            running = current(slot)  # died without a word: the recovery rule, with the reason
            why = f"KILLED by signal {-code}" if code < 0 else f"WORKER_LOST: exit code {code}"
            _log.warning("worker process %d: %s", slot.index, why)
            lost(slot, running, why, requeue=True)

        try:
            while any(not s.done for s in slots):
                for slot in list(slots):
                    if not slot.done:
                        check(slot)
                finished()
                time.sleep(POLL_S)
            finished()
        except KeyboardInterrupt:  # the workers got the same Ctrl-C: each pauses or re-queues its trial
            for slot in slots:
                _wait(slot.proc, 30)
            raise
        except BaseException:  # a callback failed: the workers stop as for study.stop()
            study.stop(reason="the optimize call that started the worker processes failed")
            for slot in slots:
                _wait(slot.proc, 60)
            raise
    raise_errors(errors)


def _wait(proc: subprocess.Popen[bytes], seconds: float) -> None:
    try:
        proc.wait(seconds)
    except subprocess.TimeoutExpired:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    sys.exit(_worker_main(*sys.argv[1:7]))
