"""The immutable trial record and the trial states."""

from __future__ import annotations

import datetime as _dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sturgeon.space import Distribution

__all__ = ["FrozenTrial", "TrialState"]


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
class FrozenTrial:
    """A read-only snapshot of one trial, as the storage knows it."""

    number: int
    state: TrialState
    value: float | None
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
    """Why a PAUSED trial is paused: "rule" (a scheduler paused it at a rung) or "recovered"
    (its worker died after it saved a checkpoint)."""
    n_pauses: int = 0
    """How many times the trial has been paused (its next resume claims ``resume:N:n_pauses``)."""
    superseded_values: tuple[tuple[int, float], ...] = ()
    """(step, value) reports dropped because the trial resumed from an earlier checkpoint."""

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
    def fail_reason(self) -> str | None:
        """Why a FAIL trial failed, when known."""
        reason = self.system_attrs.get("fail_reason")
        return None if reason is None else str(reason)
