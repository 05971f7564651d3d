"""A process's materialized view of one study, rebuilt from its event log.

``StudyView.sync()`` reads only the events after its cursor and applies them, so
keeping up with a study costs what is new, not what is there.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import gc
import math
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sturgeon._frozen import EXCLUDED_ATTR, FrozenTrial, LiveChange, TrialState
from sturgeon.space import Distribution, distribution_from_json
from sturgeon.storage._base import BaseStorage, Event, EventKind

__all__ = ["StudyView"]

_UTC = _dt.UTC
_NAN = float("nan")  # a NaN report is stored as null (JSON has no NaN)
LIMIT_REASONS = ("TIMEOUT", "OOM")  # fail reasons of a trial stopped by a per-trial limit


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


def _number(value: float | str | None) -> float:
    """A reported value: null is NaN; "inf" / "-inf" (JSON has no infinity) come only from
    imports (``import_optuna_study``), since ``Trial.report`` refuses infinite values."""
    if value is None:
        return _NAN
    return float(value) if isinstance(value, str) else value


def _superseded(change: LiveChange) -> LiveChange:
    return dataclasses.replace(change, superseded=True)


class _Record:
    __slots__ = (
        "changed",
        "checkpoints",
        "ckpt_bytes",
        "complete",
        "distributions",
        "fixed",
        "frozen",
        "intermediate",
        "live",
        "n_pauses",
        "number",
        "params",
        "pause_reason",
        "pause_value",
        "requests",
        "resource",
        "resumed_step",
        "start",
        "state",
        "superseded",
        "system_attrs",
        "user_attrs",
        "value",
        "values",
    )

    def __init__(self, number: int, state: TrialState, start: float | None, fixed: dict[str, Any]) -> None:
        self.number = number
        self.state = state
        self.value: float | None = None
        self.values: tuple[float, ...] | None = None  # a multi-objective study's values
        self.params: dict[str, Any] = {}
        self.distributions: dict[str, Distribution] = {}
        self.intermediate: dict[int, float] = {}
        self.user_attrs: dict[str, Any] = {}
        self.system_attrs: dict[str, Any] = {}
        self.start = start
        self.complete: float | None = None
        self.fixed = fixed
        self.frozen: FrozenTrial | None = None
        self.resource = 0
        self.checkpoints: dict[int, str] = {}
        self.ckpt_bytes: dict[str, int] = {}
        self.resumed_step: int | None = None
        self.pause_reason: str | None = None
        self.n_pauses = 0
        self.superseded: list[tuple[int, float]] = []
        self.live: list[LiveChange] = []
        self.requests: dict[int, dict[str, Any]] = {}  # pending: request event id -> request
        self.pause_value: dict[str, Any] = {}  # the last TRIAL_PAUSED event's value
        self.changed = 0  # the id of the last event that changed this trial

    def freeze(self) -> FrozenTrial:
        if self.frozen is None:
            self.frozen = FrozenTrial(
                number=self.number,
                state=self.state,
                value=self.value,
                objective_values=self.values,
                params=dict(self.params),
                distributions=dict(self.distributions),
                intermediate_values=dict(self.intermediate),
                user_attrs=dict(self.user_attrs),
                system_attrs=dict(self.system_attrs),
                datetime_start=_ts(self.start),
                datetime_complete=_ts(self.complete),
                fixed_params=dict(self.fixed),
                resource=self.resource,
                checkpoints=dict(self.checkpoints),
                resumed_step=self.resumed_step,
                pause_reason=self.pause_reason if self.state is TrialState.PAUSED else None,
                n_pauses=self.n_pauses,
                superseded_values=tuple(self.superseded),
                pause_info=dict(self.pause_value),
                live_changes=tuple(self.live),
                pending_requests=tuple(dict(r) for r in self.requests.values()),
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
        self._paused: set[int] = set()
        self._excluded: set[int] = set()  # trials a person excluded from rules and best_*
        self._nonfinite: set[int] = set()  # COMPLETE with an imported inf / NaN value: FAIL to rules
        self._over_limit: set[int] = set()  # failed by a per-trial limit (time, memory): PRUNED to rules
        self._masked: dict[int, tuple[FrozenTrial, FrozenTrial]] = {}  # number -> (record, as rules see it)
        self._unknown_kinds: set[int] = set()
        self.total_resource = 0
        self.checkpoint_bytes = 0  # committed checkpoints of this study that still exist
        self.deleted_paths: set[str] = set()  # checkpoints recorded as deleted

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
            if not isinstance(kind, EventKind):
                self._skip_unknown(kind)
                continue
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
                rec.changed = ev.id
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
            rec.changed = ev.id
            if kind is EventKind.PARAM:
                rec.params[ev.key or ""] = ev.value[0]
                rec.distributions[ev.key or ""] = self._distribution(ev.key or "", ev.value[1])
            elif kind is EventKind.INTERMEDIATE:
                step = int(ev.key or 0)
                if step not in rec.intermediate and step > (-1 if rec.resumed_step is None else rec.resumed_step):
                    rec.resource += 1
                    self.total_resource += 1
                rec.intermediate[step] = _number(ev.value)
            elif kind is EventKind.TRIAL_FINISHED:
                self._waiting.discard(n)
                self._paused.discard(n)
                rec.requests.clear()  # nothing left to act on
                rec.state = TrialState(ev.value["state"])
                nonfinite = ev.value.get("nonfinite")  # an imported inf / NaN result, kept as recorded
                rec.value = ev.value.get("value") if nonfinite is None else float(nonfinite)
                values = ev.value.get("values")
                if values is not None:  # several objectives: "inf" / "nan" kept from imports only
                    rec.values = tuple(_NAN if v is None else float(v) for v in values)
                unfit = nonfinite is not None or (rec.values is not None and not all(map(math.isfinite, rec.values)))
                if unfit and rec.state is TrialState.COMPLETE:
                    self._nonfinite.add(n)
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
                if ev.key == EXCLUDED_ATTR:
                    (self._excluded.add if ev.value is not None else self._excluded.discard)(n)
                elif ev.key == "fail_reason" and str(ev.value).startswith(LIMIT_REASONS):
                    self._over_limit.add(n)
            elif kind is EventKind.TRIAL_PAUSED:
                if rec.state.is_finished:  # pragma: no cover - a race the unique keys settle
                    continue
                rec.state = TrialState.PAUSED
                rec.pause_reason = str(ev.value.get("reason") or "rule")
                rec.pause_value = dict(ev.value)
                rec.n_pauses += 1
                rec.requests.pop(ev.value.get("request", -1), None)
                self._paused.add(n)
                if "step" in ev.value:
                    # it will go on from this checkpoint: later ones are an abandoned branch
                    for step in [s for s in rec.checkpoints if s > int(ev.value["step"])]:
                        del rec.checkpoints[step]
            elif kind is EventKind.TRIAL_RESUMED:
                if rec.state.is_finished:  # stopped while paused, then claimed by a slow worker
                    continue
                self._paused.discard(n)
                rec.state = TrialState.RUNNING
                frm = int(ev.value["from_step"])
                rec.resumed_step = frm
                for step in [s for s in rec.checkpoints if s > frm]:  # past states of another branch
                    del rec.checkpoints[step]
                later = sorted(s for s in rec.intermediate if s > frm)
                rec.superseded.extend((s, rec.intermediate.pop(s)) for s in later)
                # changes decided after the report of step frm belong to the abandoned branch
                rec.live = [c if c.step <= frm + 1 or c.superseded else _superseded(c) for c in rec.live]
                for rid in [i for i, r in rec.requests.items() if r.get("action") in ("resume", "rewind")]:
                    del rec.requests[rid]
            elif kind is EventKind.LIVE_REQUEST:
                if not rec.state.is_finished:
                    rec.requests[ev.id] = {**ev.value, "id": ev.id, "time": ev.time}
            elif kind is EventKind.LIVE_APPLIED:
                v = ev.value
                rec.requests.pop(v.get("request", -1), None)
                src = v.get("source")
                rec.live.append(
                    LiveChange(
                        step=int(ev.key or 0),
                        params=dict(v.get("params") or {}),
                        old=dict(v.get("old") or {}),
                        action=str(v.get("action") or "set"),
                        reason=v.get("reason"),
                        time=_ts(ev.time),
                        source=None if src is None else (int(src["trial"]), int(src["step"])),
                    )
                )
            elif kind is EventKind.CHECKPOINT:
                path = str(ev.value["path"])
                size = int(ev.value.get("bytes") or 0)
                rec.checkpoints[int(ev.key or 0)] = path
                rec.ckpt_bytes[path] = size
                self.checkpoint_bytes += size
            elif kind is EventKind.CHECKPOINT_DELETED:
                path = ev.key or ""
                for step in [s for s, p in rec.checkpoints.items() if p == path]:
                    del rec.checkpoints[step]
                self.checkpoint_bytes -= rec.ckpt_bytes.pop(path, 0)
                self.deleted_paths.add(path)

    def _skip_unknown(self, kind: int) -> None:
        if kind not in self._unknown_kinds:
            self._unknown_kinds.add(kind)
            warnings.warn(
                f"study {self._study_id}: skipping events of kind {kind}, which this version of sturgeon "
                "does not know (written by a newer one); upgrade to see them",
                stacklevel=4,
            )

    def trials(self) -> list[FrozenTrial]:
        """Every trial, by number."""
        with self._lock, _gc_paused():
            if self._all is None:
                self._all = [r.freeze() for r in self._records]
            return self._all

    def rule_trials(self, direction: str | None = None) -> list[FrozenTrial]:
        """The trials as samplers and pruners see them (the numbering stays dense):

        * an excluded trial (``EXCLUDED_ATTR``, ``Study.exclude_trial``) appears as FAIL, so no
          rule learns from it or ranks it, and so does a COMPLETE trial whose value is infinite
          or NaN (only an import keeps one: no model can fit it);
        * a trial that failed by a per-trial limit (reason "TIMEOUT..." or "OOM...") appears as
          COMPLETE with the worst value of the study's completed trials (given ``direction``;
          PRUNED, a bad point to TPE, before any completed), so TPE and the GP steer away from
          the region that runs out of time or memory, as from a constraint."""
        with self._lock, _gc_paused():
            trials = self.trials()
            if not self._excluded and not self._nonfinite and not self._over_limit:
                return trials
            out = list(trials)
            worst: float | None = None
            if self._over_limit and direction is not None:
                done = [
                    t.value
                    for t in trials
                    if t.state is TrialState.COMPLETE
                    and t.value is not None
                    and math.isfinite(t.value)
                    and t.number not in self._excluded
                ]
                if done:
                    worst = max(done) if direction == "minimize" else min(done)
            for n in self._excluded | self._nonfinite | self._over_limit:
                t = trials[n]
                if n in self._excluded or n in self._nonfinite:
                    state, value = TrialState.FAIL, None
                elif t.state is TrialState.FAIL:
                    state, value = (TrialState.PRUNED, None) if worst is None else (TrialState.COMPLETE, worst)
                else:
                    continue
                cached = self._masked.get(n)
                if cached is None or cached[0] is not t or cached[1].value != value:
                    cached = (t, dataclasses.replace(t, state=state, value=value))
                    self._masked[n] = cached
                out[n] = cached[1]
            return out

    @property
    def cursor(self) -> int:
        """The id of the last event applied (0 before any)."""
        return self._cursor

    def changed_since(self, cursor: int) -> list[FrozenTrial]:
        """The trials that an event after ``cursor`` created or changed, by number: what a
        reader that has seen the log up to ``cursor`` must update."""
        with self._lock, _gc_paused():
            return [r.freeze() for r in self._records if r.changed > cursor]

    def trial(self, number: int) -> FrozenTrial:
        with self._lock:
            if not 0 <= number < len(self._records):
                raise KeyError(number)
            return self._records[number].freeze()

    def waiting_numbers(self) -> list[int]:
        with self._lock:
            return sorted(self._waiting)

    def checkpoint_paths(self, number: int) -> set[str]:
        """Every committed, undeleted checkpoint of a trial (also those a newer checkpoint at
        the same step has replaced in ``FrozenTrial.checkpoints``)."""
        with self._lock:
            return set(self._records[number].ckpt_bytes)

    def requests_of(self, number: int) -> list[dict[str, Any]]:
        """The requests from outside that trial ``number`` has not acted on yet, oldest first."""
        with self._lock:
            return list(self._records[number].requests.values())

    def paused_numbers(self) -> list[int]:
        with self._lock:
            return sorted(self._paused)

    def __len__(self) -> int:
        return len(self._records)
