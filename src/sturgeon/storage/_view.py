"""A process's materialized view of one study, rebuilt from its event log.

``StudyView.sync()`` reads only the events after its cursor and applies them, so
keeping up with a study costs what is new, not what is there.
"""

from __future__ import annotations

import datetime as _dt
import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sturgeon._frozen import FrozenTrial, TrialState
from sturgeon.space import Distribution, distribution_from_json
from sturgeon.storage._base import BaseStorage, Event, EventKind

__all__ = ["StudyView"]

_UTC = _dt.UTC


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large batch of acyclic objects is built:
    its passes over the growing heap cost about a third of a 10,000-trial load."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _ts(t: float | None) -> _dt.datetime | None:
    return None if t is None else _dt.datetime.fromtimestamp(t, tz=_UTC)


class _Record:
    __slots__ = (
        "complete",
        "distributions",
        "fixed",
        "frozen",
        "intermediate",
        "number",
        "params",
        "start",
        "state",
        "system_attrs",
        "user_attrs",
        "value",
    )

    def __init__(self, number: int, state: TrialState, start: float | None, fixed: dict[str, Any]) -> None:
        self.number = number
        self.state = state
        self.value: float | None = None
        self.params: dict[str, Any] = {}
        self.distributions: dict[str, Distribution] = {}
        self.intermediate: dict[int, float] = {}
        self.user_attrs: dict[str, Any] = {}
        self.system_attrs: dict[str, Any] = {}
        self.start = start
        self.complete: float | None = None
        self.fixed = fixed
        self.frozen: FrozenTrial | None = None

    def freeze(self) -> FrozenTrial:
        if self.frozen is None:
            self.frozen = FrozenTrial(
                number=self.number,
                state=self.state,
                value=self.value,
                params=dict(self.params),
                distributions=dict(self.distributions),
                intermediate_values=dict(self.intermediate),
                user_attrs=dict(self.user_attrs),
                system_attrs=dict(self.system_attrs),
                datetime_start=_ts(self.start),
                datetime_complete=_ts(self.complete),
                fixed_params=dict(self.fixed),
            )
        return self.frozen


class StudyView:
    """Trials and study attributes of one study, as of the last ``sync``. Thread-safe."""

    def __init__(self, storage: BaseStorage, study_id: int) -> None:
        self._storage = storage
        self._study_id = study_id
        self._lock = threading.RLock()
        self._cursor = 0
        self._records: list[_Record] = []
        self._waiting: set[int] = set()
        self._all: list[FrozenTrial] | None = None
        self.user_attrs: dict[str, Any] = {}
        self.system_attrs: dict[str, Any] = {}
        self._dist_cache: dict[Any, Distribution] = {}
        self._last_dist: dict[str, tuple[dict[str, Any], Distribution]] = {}

    def sync(self) -> None:
        """Read and apply the events appended since the last sync."""
        with self._lock, _gc_paused():
            events = self._storage.read(self._study_id, self._cursor)
            if events:
                self._apply(events)
                self._cursor = events[-1].id

    def _distribution(self, name: str, data: dict[str, Any]) -> Distribution:
        last = self._last_dist.get(name)
        if last is not None and last[0] == data:  # the usual case: same range as last time
            choices = data.get("choices")
            if choices is None or list(map(type, choices)) == list(map(type, last[0]["choices"])):
                return last[1]
        key = (
            data["type"],
            data.get("low"),
            data.get("high"),
            data.get("log"),
            data.get("step"),
            tuple((type(c).__name__, c) for c in data.get("choices", ())),
        )
        dist = self._dist_cache.get(key)
        if dist is None:
            dist = self._dist_cache[key] = distribution_from_json(data)
        self._last_dist[name] = (data, dist)
        return dist

    def _apply(self, events: list[Event]) -> None:
        records = self._records
        self._all = None
        for ev in events:
            kind, n = ev.kind, ev.trial
            if n is None:
                if kind is EventKind.USER_ATTR:
                    self.user_attrs[ev.key or ""] = ev.value
                elif kind is EventKind.SYSTEM_ATTR:
                    self.system_attrs[ev.key or ""] = ev.value
                continue
            if kind is EventKind.TRIAL_CREATED:
                state = TrialState(ev.value["state"])
                while len(records) < n:  # numbers are dense; tolerate gaps defensively
                    records.append(_Record(len(records), TrialState.WAITING, None, {}))
                start = ev.time if state is TrialState.RUNNING else None
                rec = _Record(n, state, start, dict(ev.value.get("fixed_params") or {}))
                if n == len(records):
                    records.append(rec)
                else:
                    records[n] = rec
                if state is TrialState.WAITING:
                    self._waiting.add(n)
                continue
            if n >= len(records):  # pragma: no cover - an event before its trial's creation
                continue
            rec = records[n]
            rec.frozen = None
            if kind is EventKind.PARAM:
                rec.params[ev.key or ""] = ev.value[0]
                rec.distributions[ev.key or ""] = self._distribution(ev.key or "", ev.value[1])
            elif kind is EventKind.INTERMEDIATE:
                rec.intermediate[int(ev.key or 0)] = ev.value
            elif kind is EventKind.TRIAL_FINISHED:
                self._waiting.discard(n)
                rec.state = TrialState(ev.value["state"])
                rec.value = ev.value.get("value")
                rec.complete = ev.time
                if rec.start is None:
                    rec.start = ev.time
            elif kind is EventKind.TRIAL_STARTED:
                self._waiting.discard(n)
                rec.state = TrialState.RUNNING
                rec.start = ev.time
            elif kind is EventKind.USER_ATTR:
                rec.user_attrs[ev.key or ""] = ev.value
            elif kind is EventKind.SYSTEM_ATTR:
                rec.system_attrs[ev.key or ""] = ev.value

    def trials(self) -> list[FrozenTrial]:
        """Every trial, by number."""
        with self._lock, _gc_paused():
            if self._all is None:
                self._all = [r.freeze() for r in self._records]
            return self._all

    def trial(self, number: int) -> FrozenTrial:
        with self._lock:
            if not 0 <= number < len(self._records):
                raise KeyError(number)
            return self._records[number].freeze()

    def waiting_numbers(self) -> list[int]:
        with self._lock:
            return sorted(self._waiting)

    def __len__(self) -> int:
        return len(self._records)
