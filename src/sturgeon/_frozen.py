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
    """Where a trial is in its life. WAITING: enqueued, not yet started."""

    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    PRUNED = "PRUNED"
    FAIL = "FAIL"
    WAITING = "WAITING"

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

    @property
    def duration(self) -> _dt.timedelta | None:
        """Time from start to finish, or None while unfinished."""
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return self.datetime_complete - self.datetime_start

    @property
    def last_step(self) -> int | None:
        """The largest step reported, or None."""
        return max(self.intermediate_values) if self.intermediate_values else None

    @property
    def fail_reason(self) -> str | None:
        """Why a FAIL trial failed, when known."""
        reason = self.system_attrs.get("fail_reason")
        return None if reason is None else str(reason)
