"""``optimize(executor=RayExecutor(...))``: trials run on a Ray cluster (the ``ray`` extra).

Each of ``n_jobs`` Ray actors holds ``resources_per_trial`` (CPUs, GPUs: Ray assigns the GPUs
and sets ``CUDA_VISIBLE_DEVICES`` for the objective) and runs an ``optimize`` loop of its own
on the study's storage, which every node must reach (PostgreSQL on a cluster; an SQLite file
on one machine). The objective, sampler and pruner travel with cloudpickle, as for worker
processes; the driver runs the callbacks and the progress bar, stops the actors through the
study-wide stop, and when an actor dies (its node lost, its process killed) recovers the trial
it was running at once ("WORKER_LOST", the recovery rule) and starts another actor for the rest
of its share.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sturgeon._exceptions import InvalidValueError
from sturgeon._frozen import FrozenTrial, TrialState

if TYPE_CHECKING:
    from sturgeon._progress import ProgressBar
    from sturgeon.study import Study

__all__ = ["RayExecutor", "run_ray"]

_log = logging.getLogger("sturgeon")
POLL_S = 0.2


@dataclass(frozen=True)
class RayExecutor:
    """Run trials on Ray: ``address`` None starts (or joins) a local cluster, ``"auto"`` or
    ``"ray://host:10001"`` joins one; ``resources_per_trial`` e.g. ``{"cpu": 1, "gpu": 0.5}``;
    ``init`` more keyword arguments for ``ray.init`` (``num_gpus``, ``runtime_env``...)."""

    address: str | None = None
    resources_per_trial: Mapping[str, float] = field(default_factory=lambda: {"cpu": 1})
    init: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        bad = [k for k in self.resources_per_trial if k not in ("cpu", "gpu")]
        if bad:
            raise InvalidValueError(f"RayExecutor: resources_per_trial keys are 'cpu' and 'gpu', got {bad}")
        for k, v in self.resources_per_trial.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                raise InvalidValueError(f"RayExecutor: resources_per_trial[{k!r}] must be a number >= 0, got {v!r}")


class _Worker:
    """A Ray actor: one ``optimize`` loop on the study."""

    def pid(self) -> int:
        return os.getpid()

    def run(self, blob: bytes, url: str, name: str, share: int | None) -> tuple[str, str | None]:
        import traceback

        from sturgeon._processes import run_worker_loop

        try:
            run_worker_loop(blob, url, name, share, "ray")
            return "done", None
        except BaseException as e:  # every failure goes back to the driver, which raises it
            return "error", f"{type(e).__name__}: {e}\n\nin a Ray worker:\n{traceback.format_exc()}"


@dataclass
class _Slot:
    actor: Any
    pid: int
    ref: Any
    share: int | None


def run_ray(
    study: Study,
    func: Callable[..., Any],
    *,
    executor: RayExecutor,
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    catch: tuple[type[BaseException], ...],
    callbacks: Sequence[Callable[[Study, FrozenTrial], None]],
    progress: ProgressBar,
    heartbeat_interval: float,
    resource_budget: int | None,
) -> None:
    try:
        import ray
    except ImportError as e:
        raise ImportError("executor=RayExecutor(...) needs the 'ray' extra: pip install 'sturgeon[ray]'") from e
    from sturgeon._processes import FinishReporter, raise_errors, split_trials, worker_blob

    url = getattr(study.storage, "url", None)
    if not isinstance(url, str):
        raise InvalidValueError(
            "optimize: a RayExecutor needs a study in a database its workers reach (storage='sqlite:///file.db' "
            "on one machine, a PostgreSQL URL on a cluster); this study is in memory"
        )
    if not ray.is_initialized():
        ray.init(address=executor.address, include_dashboard=False, **dict(executor.init))
    res = dict(executor.resources_per_trial)
    worker_cls: Any = ray.remote(num_cpus=res.get("cpu", 1), num_gpus=res.get("gpu", 0), max_restarts=0)(_Worker)
    blob = worker_blob(
        study,
        func,
        timeout=timeout,
        catch=catch,
        heartbeat_interval=heartbeat_interval,
        resource_budget=resource_budget,
    )
    shares = split_trials(n_trials, n_jobs)
    deadline = None if timeout is None else time.monotonic() + timeout
    finished = FinishReporter(study, callbacks, progress)
    errors: list[str] = []

    def start(share: int | None) -> _Slot:
        actor: Any = worker_cls.remote()
        pid = int(ray.get(actor.pid.remote()))
        return _Slot(actor, pid, actor.run.remote(blob, url, study.name, share), share)

    def theirs(pid: int) -> list[FrozenTrial]:
        study._view.sync()
        mark = f":{pid}/ray:"
        return [t for t in study._view.trials() if t.worker and mark in t.worker]

    slots = [start(s) for s in shares]

    try:
        while slots:
            ready, _ = ray.wait([s.ref for s in slots], num_returns=1, timeout=POLL_S)
            for ref in ready:
                slot = next(s for s in slots if s.ref == ref)
                slots.remove(slot)
                try:
                    kind, text = ray.get(ref)
                except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError) as e:
                    ran = theirs(slot.pid)
                    for t in ran:
                        if t.state is TrialState.RUNNING:
                            study._lost_trial(
                                t.number, f"WORKER_LOST: the Ray worker died ({type(e).__name__})", requeue=True
                            )
                    _log.warning("a Ray worker (pid %d) died; its trial is recovered", slot.pid)
                    left = None if slot.share is None else slot.share - sum(t.resumed_step is None for t in ran)
                    over = deadline is not None and time.monotonic() >= deadline
                    if (left is None or left > 0) and not over and not study._stop_flag.is_set():
                        slots.append(start(left))
                    continue
                if kind == "error" and text:
                    errors.append(text)
                    if not study._stop_flag.is_set():
                        study.stop(reason="a Ray worker failed")
            finished()
        finished()
    except BaseException:
        study.stop(reason="the optimize call that started the Ray workers stopped")
        raise
    raise_errors(errors)
