"""The immutable trial record and the trial states."""

from __future__ import annotations

import datetime as _dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sturgeon.space import Distribution

__all__ = ["CONSTRAINTS_ATTR", "EXCLUDED_ATTR", "WORKER_ATTR", "FrozenTrial", "LiveChange", "TrialState"]

WORKER_ATTR = "worker"  # system attribute: "host:pid/executor:thread" of the worker that ran (or last resumed) it
CONSTRAINTS_ATTR = "constraints"  # system attribute: [c1, c2, ...], each satisfied at <= 0 (Optuna's key)
EXCLUDED_ATTR = "excluded"  # system attribute: {"reason", "by", "time"} while a person excludes the trial


class TrialState(enum.Enum):
    """Where a trial is in its life (see docs/architecture.md, "The trial lifecycle").

    WAITING: enqueued, not yet started. RUNNING: a worker owns it and sends heartbeats.
    PAUSED: stopped at a checkpoint with no owner, to be resumed. COMPLETE, PRUNED, FAIL: final.
    """

    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    PRUNED = "PRUNED"
    FAIL = "FAIL"
    WAITING = "WAITING"
    PAUSED = "PAUSED"

    @property
    def is_finished(self) -> bool:
        return self in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


@dataclass(frozen=True)
class LiveChange:
    """One change of a trial's hyperparameters while it ran (docs/architecture.md, "Live
    changes"): from ``step`` on, ``params`` hold these values (``old``: what they were)."""

    step: int
    """The first step trained with the new values (the trial applied them at its report of
    ``step - 1``, or when it resumed from the checkpoint at ``step - 1``)."""
    params: Mapping[str, Any]
    old: Mapping[str, Any]
    action: str
    """"set" (a person or a rule changed values), "rewind" (continued from an earlier
    checkpoint of its own) or "exploit" (continued from another trial's checkpoint)."""
    reason: str | None = None
    time: _dt.datetime | None = None
    source: tuple[int, int] | None = None
    """(trial, step) of the checkpoint the trial continued from, for "exploit" and "rewind"."""
    superseded: bool = False
    """True when the trial later went back to a checkpoint from before this change."""


def fold_schedule(
    start: list[tuple[int, dict[str, Any]]], changes: Sequence[LiveChange]
) -> list[tuple[int, dict[str, Any]]]:
    """``start`` (a schedule) followed by ``changes`` (sorted by step): [(first step, values)]."""
    out = list(start)
    for change in changes:
        values = {**out[-1][1], **change.params}
        if values == out[-1][1]:
            continue
        if out[-1][0] == change.step:
            out[-1] = (change.step, values)
        else:
            out.append((change.step, values))
    return out


@dataclass(frozen=True)
class FrozenTrial:
    """A read-only snapshot of one trial, as the storage knows it."""

    number: int
    state: TrialState
    value: float | None
    """The objective value; None in a multi-objective study (see ``values``)."""
    params: Mapping[str, Any]
    distributions: Mapping[str, Distribution]
    intermediate_values: Mapping[int, float]
    user_attrs: Mapping[str, Any]
    system_attrs: Mapping[str, Any]
    datetime_start: _dt.datetime | None
    datetime_complete: _dt.datetime | None
    fixed_params: Mapping[str, Any] = field(default_factory=dict)
    resource: int = 0
    """Steps trained: the steps reported beyond the step each run of it started or resumed from."""
    checkpoints: Mapping[int, str] = field(default_factory=dict)
    """Committed checkpoints that still exist: step -> artifact-store key."""
    resumed_step: int | None = None
    """The step of the checkpoint the trial's current (or last) run continued from; None if fresh."""
    pause_reason: str | None = None
    """Why a PAUSED trial is paused: "rule" (a scheduler paused it at a rung), "recovered" (its
    worker died after it saved a checkpoint), "budget" (``optimize``'s resource budget was spent),
    "user", "rewind" or "exploit" (see ``_live.GO_ON``)."""
    n_pauses: int = 0
    """How many times the trial has been paused (its next resume claims ``resume:N:n_pauses``)."""
    superseded_values: tuple[tuple[int, float], ...] = ()
    """(step, value) reports dropped because the trial resumed from an earlier checkpoint."""
    pause_info: Mapping[str, Any] = field(default_factory=dict)
    """The record of its last pause: "step", "reason", and for a rewind or an exploit the
    values (and the checkpoint) it goes on with."""
    live_changes: tuple[LiveChange, ...] = ()
    """Every change of its hyperparameters while it ran, in the order applied (superseded
    ones, from before a rewind, included and marked)."""
    pending_requests: tuple[Mapping[str, Any], ...] = ()
    """Requests from outside (set / pause / resume / stop / rewind) it has not acted on yet."""
    objective_values: tuple[float, ...] | None = None
    """A multi-objective study's values, one per direction (None in a study of one objective)."""

    @property
    def values(self) -> list[float] | None:
        """The objective values, in the study's order of directions: ``[value]`` in a study of
        one objective; None without a value."""
        if self.objective_values is not None:
            return list(self.objective_values)
        return None if self.value is None else [self.value]

    @property
    def constraints(self) -> tuple[float, ...] | None:
        """The constraint values recorded for it (``constraints_func`` or
        ``trial.report_constraints``); a constraint holds at <= 0. None when none were recorded."""
        c = self.system_attrs.get(CONSTRAINTS_ATTR)
        return None if c is None else tuple(float(v) for v in c)

    @property
    def feasible(self) -> bool:
        """Whether every recorded constraint holds (True without constraints)."""
        c = self.constraints
        return c is None or all(v <= 0.0 for v in c)

    @property
    def live_params(self) -> dict[str, Any]:
        """The values in force now: the starting ``params`` with every change still in force."""
        values = dict(self.params)
        for change in self.live_changes:
            if not change.superseded:
                values.update(change.params)
        return values

    @property
    def schedule(self) -> list[tuple[int, dict[str, Any]]]:
        """The trial's own values by step: [(first step, every value in force from it), ...],
        from (0, params); superseded changes left out. ``Study.schedule`` follows exploits."""
        changes = sorted((c for c in self.live_changes if not c.superseded), key=lambda c: c.step)
        return fold_schedule([(0, dict(self.params))], changes)

    @property
    def best_step(self) -> int | None:
        """The step of its best score, when the objective used ``sg.EarlyStopping``."""
        step = self.system_attrs.get("best_step")
        return None if step is None else int(step)

    @property
    def duration(self) -> _dt.timedelta | None:
        """Time from start to finish, or None while unfinished."""
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return self.datetime_complete - self.datetime_start

    @property
    def latest_checkpoint_step(self) -> int | None:
        """The step of the newest checkpoint that still exists, or None."""
        return max(self.checkpoints) if self.checkpoints else None

    @property
    def last_step(self) -> int | None:
        """The largest step reported, or None."""
        return max(self.intermediate_values) if self.intermediate_values else None

    @property
    def worker(self) -> str | None:
        """The worker that ran the trial (its last run, for a resumed one): host, process,
        executor and thread, e.g. ``"node1:4242/thread:sturgeon-worker-0"``; None for a trial
        from a plain ``ask``."""
        w = self.system_attrs.get(WORKER_ATTR)
        return None if w is None else str(w)

    @property
    def excluded(self) -> bool:
        """Whether a person excluded the trial (``Study.exclude_trial``): samplers, pruners,
        importance and ``best_*`` ignore it; tables still show it, marked."""
        return self.system_attrs.get(EXCLUDED_ATTR) is not None

    @property
    def fail_reason(self) -> str | None:
        """Why a FAIL trial failed, when known."""
        reason = self.system_attrs.get("fail_reason")
        return None if reason is None else str(reason)
