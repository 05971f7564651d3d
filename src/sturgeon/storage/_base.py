"""The storage contract: an append-only log of small immutable events per study.

A backend stores studies (name, direction) and, for each study, a totally ordered log
of ``Event`` records. It never updates or deletes an event (only ``delete_study`` drops
a whole study). Every process keeps its own materialized view (``StudyView``) and
catches up by reading the events after its cursor, so readers pay only for what is new.

Concurrency rules every backend must honour:

* ``append`` is atomic: all of its events land, contiguously and in order, or none do.
* An event may carry a ``unique_key``; at most one event per (study, unique_key) can
  ever exist. ``append`` returns False, writing nothing, when a key is taken. This
  settles races: claiming an enqueued trial (``start:N``), finishing a trial
  (``finish:N``), claiming a grid point (``grid:...``).
* ``create_trial`` allocates the next trial number of the study, never twice.
* Event ids are increasing in commit order within a study, so a cursor never skips one.
* Appending a TRIAL_FINISHED or TRIAL_PAUSED event also drops that trial's heartbeat, in the
  same transaction (the trial has no owner any more).
* No trial without an owner: a worker that creates or claims a trial passes
  ``heartbeat_ttl``, and the trial's first heartbeat is written in the same transaction as
  its TRIAL_CREATED / TRIAL_STARTED / TRIAL_RESUMED event. A worker killed right after the
  commit leaves a trial whose heartbeat expires, never a RUNNING trial nobody can see.
* Recovery is settled in the log too: ``recover`` appends only while the trial's heartbeat
  is still expired, dropping it in the same transaction, so a worker whose beat came late
  keeps its trial and two recovering workers never both act.

Readers skip event kinds they do not know (written by a newer sturgeon), with a warning.

Heartbeats are the one mutable record: until when a worker vouches that a RUNNING trial
is alive (its expiry). They are kept outside the log so that liveness does not grow it.
A backend that serves several machines compares expiries on one clock (the database's).

All methods are thread-safe.
"""

from __future__ import annotations

import datetime as _dt
import enum
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

__all__ = ["BaseStorage", "Event", "EventKind", "StudyRecord"]


class EventKind(enum.IntEnum):
    """What an event records. Values are stored: never renumber."""

    TRIAL_CREATED = 1  # value: {"state": "RUNNING"|"WAITING", "fixed_params": {...}}
    TRIAL_STARTED = 2  # a WAITING trial was claimed by a worker; value: None
    PARAM = 3  # key: name; value: [v, distribution JSON]
    INTERMEDIATE = 4  # key: str(step); value: float, null (NaN) or "inf"|"-inf" (imported only)
    TRIAL_FINISHED = 5  # value: {"state": ..., "value": float|None[, "nonfinite": "inf"|"-inf"|"nan"]}
    # [, "values": [float|"inf"|"-inf"|"nan", ...]] (schema 4: a multi-objective study's values)
    USER_ATTR = 6  # key, value; trial None = study-level
    SYSTEM_ATTR = 7  # key, value; trial None = study-level
    TRIAL_PAUSED = 8  # value: {"step": s, "reason": "rule"|"recovered"|...}; the trial has no owner
    TRIAL_RESUMED = 9  # unique key resume:N:k; value: {"from_step": s}; reports after s are superseded
    CHECKPOINT = 10  # key: str(step); value: {"path": store key, "bytes": n} (committed)
    CHECKPOINT_DELETED = 11  # key: store key; unique key ckdel:<store key>
    LIVE_REQUEST = 12  # value: {"action": "set"|"pause"|"resume"|"stop"|"rewind", "params", "reason", ...}
    LIVE_APPLIED = 13  # key: str(step the values are in force from); value: {"params", "old", "request", ...}


class Event(NamedTuple):
    """One immutable fact about a study. ``id`` is set by the storage on append."""

    kind: EventKind
    trial: int | None = None
    key: str | None = None
    value: Any = None
    time: float = 0.0
    unique_key: str | None = None
    id: int = 0


def numbered(events: Sequence[Event], number: int) -> list[Event]:
    """``events`` of trial ``number``: their trial set, ``{n}`` in their unique keys replaced."""
    return [
        e._replace(trial=number, unique_key=None if e.unique_key is None else e.unique_key.replace("{n}", str(number)))
        for e in events
    ]


@dataclass(frozen=True)
class StudyRecord:
    """What the storage knows of a study besides its log."""

    study_id: int
    name: str
    direction: str
    """'minimize' or 'maximize'; for several objectives their directions joined by commas."""
    created_at: _dt.datetime

    @property
    def directions(self) -> tuple[str, ...]:
        return tuple(self.direction.split(","))


class BaseStorage(ABC):
    """Where studies live. See the module docstring for the contract."""

    @abstractmethod
    def create_study(self, name: str, direction: str) -> int:
        """Create a study; raise DuplicatedStudyError when the name is taken."""

    @abstractmethod
    def get_study(self, name: str) -> StudyRecord:
        """Look a study up by name; raise StudyNotFoundError when absent."""

    @abstractmethod
    def list_studies(self) -> list[StudyRecord]:
        """Every study, oldest first."""

    @abstractmethod
    def delete_study(self, study_id: int) -> None:
        """Drop a study and its whole log."""

    @abstractmethod
    def create_trial(self, study_id: int, events: Sequence[Event], *, heartbeat_ttl: float | None = None) -> int:
        """Allocate the next trial number N and append, atomically, a TRIAL_CREATED event
        for N (unique key ``trial:N``) followed by ``events`` with their trial set to N
        (``{n}`` in their unique keys reads N: ``finish:{n}`` for a trial created finished).
        With ``heartbeat_ttl`` (seconds), N's first heartbeat is recorded in the same
        transaction."""

    @abstractmethod
    def append(self, study_id: int, events: Sequence[Event], *, heartbeat: tuple[int, float] | None = None) -> bool:
        """Append events atomically; False (nothing written) if a unique key is taken. With
        ``heartbeat=(trial, ttl)`` that trial's heartbeat is recorded in the same transaction
        (a claim and its first heartbeat land together, or neither does)."""

    @abstractmethod
    def read(self, study_id: int, after: int = 0) -> list[Event]:
        """The study's events with id > ``after``, in log order (``unique_key`` may be left
        out: it matters only to appends)."""

    @abstractmethod
    def count_trials(self, study_id: int) -> int:
        """How many trial numbers the study has allocated."""

    # -- liveness -------------------------------------------------------------------------
    def record_heartbeat(self, study_id: int, trial: int, ttl_seconds: float, *, renew_only: bool = False) -> bool:
        """Say that ``trial`` is alive now and should be taken for dead if no other heartbeat
        comes within ``ttl_seconds``. With ``renew_only`` an absent heartbeat (the trial was
        finished, paused or recovered meanwhile) is not created again and False is returned.
        Backends without liveness ignore it (and return True)."""
        return True

    def clear_heartbeat(self, study_id: int, trial: int) -> None:
        """Forget the heartbeat of a finished trial."""

    def stale_trials(self, study_id: int) -> list[int]:
        """Trials whose last heartbeat has expired."""
        return []

    def recover(self, study_id: int, trial: int, events: Sequence[Event]) -> bool:
        """Append ``events`` (the recovery of ``trial``: a pause or a failure) atomically, only if
        ``trial``'s heartbeat exists and has expired, and drop that heartbeat in the same
        transaction. False (nothing written) when the heartbeat was renewed or is gone, or a
        unique key is taken."""
        return False

    def close(self) -> None:
        """Release connections. The storage must not be used afterwards."""
