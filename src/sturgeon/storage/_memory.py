"""In-memory storage: the event log in a Python list, for one process."""

from __future__ import annotations

import datetime as _dt
import threading
import time
from collections.abc import Sequence

from sturgeon._exceptions import DuplicatedStudyError, StudyNotFoundError
from sturgeon.storage._base import BaseStorage, Event, EventKind, StudyRecord, numbered

__all__ = ["InMemoryStorage"]


class _MemStudy:
    def __init__(self, record: StudyRecord) -> None:
        self.record = record
        self.events: list[Event] = []
        self.keys: set[str] = set()
        self.n_trials = 0
        self.heartbeats: dict[int, float] = {}


class InMemoryStorage(BaseStorage):
    """Keeps everything in this process; lost when it exits. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._studies: dict[int, _MemStudy] = {}
        self._next_study_id = 1
        self._next_event_id = 1

    def _study(self, study_id: int) -> _MemStudy:
        try:
            return self._studies[study_id]
        except KeyError:
            raise StudyNotFoundError(f"no study with id {study_id} in this storage") from None

    def create_study(self, name: str, direction: str) -> int:
        with self._lock:
            if any(s.record.name == name for s in self._studies.values()):
                raise DuplicatedStudyError(f"a study named {name!r} exists already")
            sid = self._next_study_id
            self._next_study_id += 1
            now = _dt.datetime.now(_dt.UTC)
            self._studies[sid] = _MemStudy(StudyRecord(sid, name, direction, now))
            return sid

    def get_study(self, name: str) -> StudyRecord:
        with self._lock:
            for s in self._studies.values():
                if s.record.name == name:
                    return s.record
        raise StudyNotFoundError(f"no study named {name!r} in this storage")

    def list_studies(self) -> list[StudyRecord]:
        with self._lock:
            return [s.record for s in self._studies.values()]

    def delete_study(self, study_id: int) -> None:
        with self._lock:
            self._study(study_id)
            del self._studies[study_id]

    def _append_locked(self, study: _MemStudy, events: Sequence[Event]) -> bool:
        keys = [e.unique_key for e in events if e.unique_key is not None]
        if any(k in study.keys for k in keys) or len(set(keys)) != len(keys):
            return False
        now = time.time()
        for e in events:
            study.events.append(e._replace(id=self._next_event_id, time=e.time or now))
            self._next_event_id += 1
            if e.kind in (EventKind.TRIAL_FINISHED, EventKind.TRIAL_PAUSED) and e.trial is not None:
                study.heartbeats.pop(e.trial, None)
        study.keys.update(keys)
        return True

    def create_trial(self, study_id: int, events: Sequence[Event], *, heartbeat_ttl: float | None = None) -> int:
        with self._lock:
            study = self._study(study_id)
            number = study.n_trials
            study.n_trials += 1
            created, rest = events[0], events[1:]
            batch = [created._replace(trial=number, unique_key=f"trial:{number}")]
            batch += numbered(rest, number)
            if not self._append_locked(study, batch):  # pragma: no cover - keys are fresh
                raise RuntimeError("trial number collision")
            if heartbeat_ttl is not None:
                study.heartbeats[number] = time.time() + heartbeat_ttl
            return number

    def append(self, study_id: int, events: Sequence[Event], *, heartbeat: tuple[int, float] | None = None) -> bool:
        with self._lock:
            study = self._study(study_id)
            if not self._append_locked(study, events):
                return False
            if heartbeat is not None:
                study.heartbeats[heartbeat[0]] = time.time() + heartbeat[1]
            return True

    def read(self, study_id: int, after: int = 0) -> list[Event]:
        with self._lock:
            events = self._study(study_id).events
            if after <= 0:
                return list(events)
            # ids are increasing: binary search for the cursor
            lo, hi = 0, len(events)
            while lo < hi:
                mid = (lo + hi) // 2
                if events[mid].id <= after:
                    lo = mid + 1
                else:
                    hi = mid
            return events[lo:]

    def count_trials(self, study_id: int) -> int:
        with self._lock:
            return self._study(study_id).n_trials

    def record_heartbeat(self, study_id: int, trial: int, ttl_seconds: float, *, renew_only: bool = False) -> bool:
        with self._lock:
            beats = self._study(study_id).heartbeats
            if renew_only and trial not in beats:
                return False
            beats[trial] = time.time() + ttl_seconds
            return True

    def clear_heartbeat(self, study_id: int, trial: int) -> None:
        with self._lock:
            self._study(study_id).heartbeats.pop(trial, None)

    def stale_trials(self, study_id: int) -> list[int]:
        now = time.time()
        with self._lock:
            return sorted(t for t, expires in self._study(study_id).heartbeats.items() if expires < now)

    def recover(self, study_id: int, trial: int, events: Sequence[Event]) -> bool:
        with self._lock:
            study = self._study(study_id)
            expires = study.heartbeats.get(trial)
            if expires is None or expires >= time.time():
                return False
            if not self._append_locked(study, events):
                return False
            study.heartbeats.pop(trial, None)
            return True
