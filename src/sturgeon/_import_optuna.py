"""Bring Optuna studies along: ``import_optuna_study`` and ``sturgeon import-optuna``.

Each Optuna trial becomes one sturgeon trial, written in one ``create_trial`` transaction:
its TRIAL_CREATED event carries the original start time and its TRIAL_FINISHED event the
original end time (the storage keeps an event's ``time`` when one is given), so
``FrozenTrial.datetime_start`` / ``datetime_complete`` are Optuna's. What else arrives:

* parameters with their distributions (Float / Int / Categorical, log and step as they were),
  the value, intermediate values, user and system attributes, the state;
* RUNNING trials arrive FAIL with ``fail_reason`` "running when imported" (ended at the
  import); WAITING trials arrive WAITING with their fixed parameters, run next by ``ask``;
* values sturgeon's API would refuse are kept as recorded and flagged in the system attribute
  ``import_flags``: an infinite or NaN result (the view reads it back; samplers and pruners
  see that trial as FAIL), NaN and infinite reports, non-finite numbers inside attributes
  (stored as the strings "nan", "inf", "-inf": JSON has no such numbers);
* multi-objective studies arrive as sturgeon multi-objective studies (the same directions),
  each trial with all its values; a non-finite value is kept as recorded and flagged;
* the system attribute ``optuna_trial`` ({"study", "number", "state"}) names the source of
  each trial: an import skips the trials already there, so running it twice adds nothing. Its
  unique key makes two imports at once fail rather than duplicate.

Optuna is imported only inside ``import_optuna_study`` (the ``optuna`` extra).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sturgeon._checks import short_repr
from sturgeon._exceptions import InvalidValueError, StorageError, StudyNotFoundError
from sturgeon.space import Categorical, Distribution, Float, Int
from sturgeon.storage import BaseStorage, get_storage
from sturgeon.storage._base import Event, EventKind
from sturgeon.storage._url import shown_url
from sturgeon.storage._view import StudyView

__all__ = ["ImportedStudy", "import_optuna_study"]

TRIAL_ATTR = "optuna_trial"  # system attribute: {"study", "number", "state"} of the source trial
FLAGS_ATTR = "import_flags"  # system attribute: what the import kept that sturgeon would refuse
VALUES_ATTR = "values"  # system attribute of a trial from a multi-objective study: every value
STUDY_ATTR = "optuna_study"  # study system attribute: {"name", "directions"} of the source
DIRECTIONS_ATTR = "directions"  # study system attribute of a multi-objective import
RUNNING_REASON = "running when imported"
DEFAULT_TARGET = "sqlite:///sturgeon.db"
_SQLITE_MAGIC = b"SQLite format 3\x00"

# system attribute keys that mean something to sturgeon: an Optuna attribute of that name
# arrives as "optuna:<key>" (and the trial is flagged) so that it is not taken for ours
_TRIAL_KEYS = frozenset(
    {
        TRIAL_ATTR,
        FLAGS_ATTR,
        VALUES_ATTR,
        "excluded",
        "exclusion_log",
        "worker",
        "best_step",
        "best_step_value",
        "replay_of",
        "replay_schedule",
        "retry_of",
        "retried_as",
        "stopped_by",
        "enqueue_unchecked",
        "checkpoint_keep",
        "grid_point",
        "auto:sampler",
        "cmaes:generation",
    }
)
_STUDY_KEYS = frozenset({STUDY_ATTR, DIRECTIONS_ATTR, "stop_requested", "artifacts", "checkpoint_keep"})


@dataclass(frozen=True)
class ImportedStudy:
    """What one study's import did: ``imported`` new trials, ``skipped`` ones already there,
    ``flagged`` new trials with ``import_flags``."""

    name: str
    directions: tuple[str, ...]
    imported: int
    skipped: int
    flagged: int


def _require_optuna() -> Any:
    try:
        import optuna
    except ImportError as e:
        raise ImportError(
            "importing Optuna studies needs Optuna: pip install 'sturgeon[optuna]' (the optuna extra)"
        ) from e
    return optuna


def _journal_path(source: str) -> str | None:
    """The file a journal source names: ``journal:PATH``, ``file:PATH`` (or ``file://PATH``),
    a path ending in ``.log``, or any other existing file that is not an SQLite database."""
    for prefix in ("journal:", "file://", "file:"):
        if source.startswith(prefix):
            return source[len(prefix) :]
    if "://" in source:
        return None
    if source.endswith(".log"):
        return source
    if os.path.isfile(source):
        with open(source, "rb") as f:
            if f.read(len(_SQLITE_MAGIC)) != _SQLITE_MAGIC:
                return source
    return None


def _open_source(optuna: Any, source: Any) -> Any:
    """An Optuna storage that reads ``source`` and, for files, never creates one."""
    if isinstance(source, optuna.storages.BaseStorage):
        return source
    if not isinstance(source, str) or not source:
        raise InvalidValueError(
            f"from_storage must be an Optuna storage URL or a journal file path, got {short_repr(source)}"
        )
    path = _journal_path(source)
    if path is not None:
        if not os.path.isfile(path):
            raise StorageError(f"no Optuna journal file at {path!r} (from {source!r})")
        from optuna.storages.journal import JournalFileBackend, JournalStorage

        return JournalStorage(JournalFileBackend(path))
    url = source if "://" in source else f"sqlite:///{source}"
    if url.startswith("sqlite:///"):
        file = url[len("sqlite:///") :].split("?", 1)[0]
        if file and file != ":memory:" and not os.path.isfile(file):
            raise StorageError(f"no Optuna database at {file!r} (from {source!r}): the file does not exist")
    try:
        return optuna.storages.RDBStorage(url, skip_table_creation=True)
    except Exception as e:
        raise StorageError(f"cannot read the Optuna storage {shown_url(source)!r}: {e}") from None


def _shown(source: Any) -> str:
    return repr(shown_url(source)) if isinstance(source, str) else short_repr(source)


# -- values ---------------------------------------------------------------------------------------
def _nonfinite_text(x: float) -> str:
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def _storable(value: Any) -> tuple[Any, bool]:
    """``value`` as strict JSON, non-finite floats as strings; True when something changed."""
    if isinstance(value, float) and not math.isfinite(value):
        return _nonfinite_text(value), True
    if isinstance(value, Mapping):
        pairs = [(str(k), _storable(v)) for k, v in value.items()]
        return {k: v for k, (v, _) in pairs}, any(c for _, (_, c) in pairs)
    if isinstance(value, (list, tuple)):
        items = [_storable(v) for v in value]
        return [v for v, _ in items], any(c for _, c in items)
    return value, False


def _distribution(optuna: Any, name: str, dist: Any, where: str) -> Distribution:
    d = optuna.distributions
    try:
        if isinstance(dist, d.FloatDistribution):
            return Float(dist.low, dist.high, log=dist.log, step=dist.step)
        if isinstance(dist, d.IntDistribution):
            return Int(dist.low, dist.high, log=dist.log, step=dist.step)
        if isinstance(dist, d.CategoricalDistribution):
            return Categorical(list(dist.choices))
    except Exception as e:
        raise InvalidValueError(f"{where}: parameter {name!r}: {dist!r} has no sturgeon counterpart: {e}") from None
    raise InvalidValueError(f"{where}: parameter {name!r}: unknown distribution {dist!r}")


def _time(dt: Any) -> float:
    """A POSIX timestamp; Optuna's datetimes are naive local time (or aware)."""
    return float(dt.timestamp())


def _attrs(
    kind: EventKind, attrs: Mapping[str, Any], reserved: frozenset[str], what: str, flags: list[str]
) -> list[Event]:
    events = []
    for key, raw in attrs.items():
        value, changed = _storable(raw)
        if changed:
            flags.append(f"{what} {key!r}: non-finite numbers stored as strings")
        if key in reserved:
            flags.append(f"{what} {key!r} is named {'optuna:' + key!r} (sturgeon uses {key!r})")
            key = f"optuna:{key}"
        events.append(Event(kind, None, key, value))
    return events


def _trial_events(optuna: Any, t: Any, source_name: str, multi: bool) -> tuple[Event, list[Event], list[str]]:
    """(TRIAL_CREATED, the rest, flags) for Optuna trial ``t``."""
    states = optuna.trial.TrialState
    where = f"Optuna study {source_name!r}, trial {t.number}"
    flags: list[str] = []
    rest: list[Event] = []
    waiting = t.state == states.WAITING
    if waiting:
        fixed, _ = _storable({**t.params, **(t.system_attrs.get("fixed_params") or {})})
        first = Event(EventKind.TRIAL_CREATED, value={"state": "WAITING", "fixed_params": fixed})
    else:
        if t.datetime_start is None:
            flags.append("no start time: datetime_start shows the end time")
            first = Event(EventKind.TRIAL_CREATED, value={"state": "WAITING", "fixed_params": {}})
        else:
            first = Event(EventKind.TRIAL_CREATED, value={"state": "RUNNING"}, time=_time(t.datetime_start))
        for name, dist in t.distributions.items():
            ours = _distribution(optuna, name, dist, where)
            value = t.params[name]
            if not ours.contains(value):
                flags.append(f"parameter {name!r}: {short_repr(value)} is outside {ours!r}")
            rest.append(Event(EventKind.PARAM, None, name, [value, ours.to_json()]))
    for step, v in sorted(t.intermediate_values.items()):
        v = float(v)
        if not math.isfinite(v):
            flags.append(f"intermediate value at step {step} is {_nonfinite_text(v)}")
        stored = None if math.isnan(v) else (v if math.isfinite(v) else _nonfinite_text(v))
        rest.append(Event(EventKind.INTERMEDIATE, None, str(step), stored))
    rest += _attrs(EventKind.USER_ATTR, t.user_attrs, frozenset(), "user attribute", flags)
    reserved = _TRIAL_KEYS | ({"fail_reason"} if t.state == states.RUNNING else frozenset())
    rest += _attrs(EventKind.SYSTEM_ATTR, t.system_attrs, reserved, "system attribute", flags)
    values = None if t.values is None else [float(v) for v in t.values]
    if not waiting:
        state = t.state.name
        end = None if t.datetime_complete is None else _time(t.datetime_complete)
        if t.state == states.RUNNING:
            state = "FAIL"
            flags.append(RUNNING_REASON)
            rest.append(Event(EventKind.SYSTEM_ATTR, None, "fail_reason", RUNNING_REASON))
        elif end is None:
            flags.append("no end time: datetime_complete is the time of the import")
        finished: dict[str, Any] = {"state": state, "value": None}
        if multi and values:
            finished["values"] = [v if math.isfinite(v) else _nonfinite_text(v) for v in values]
            flags += [
                f"value {i} is {_nonfinite_text(v)}, kept as recorded"
                for i, v in enumerate(values)
                if not math.isfinite(v)
            ]
        elif values:
            if math.isfinite(values[0]):
                finished["value"] = values[0]
            else:
                finished["nonfinite"] = _nonfinite_text(values[0])
                flags.append(f"value is {_nonfinite_text(values[0])}, kept as recorded")
        rest.append(Event(EventKind.TRIAL_FINISHED, value=finished, time=end or 0.0, unique_key="finish:{n}"))
    mark = {"study": source_name, "number": t.number, "state": t.state.name}
    digest = hashlib.sha256(source_name.encode()).hexdigest()[:16]
    rest.append(Event(EventKind.SYSTEM_ATTR, None, TRIAL_ATTR, mark, unique_key=f"optuna:{digest}:{t.number}"))
    if flags:
        rest.append(Event(EventKind.SYSTEM_ATTR, None, FLAGS_ATTR, flags))
    return first, rest, flags


# -- studies --------------------------------------------------------------------------------------
def _directions(frozen: Any) -> tuple[str, ...]:
    out = tuple(d.name.lower() for d in frozen.directions)
    if any(d not in ("minimize", "maximize") for d in out):
        raise InvalidValueError(f"Optuna study {frozen.study_name!r} has no direction set ({list(out)})")
    return out


def _target_study(storage: BaseStorage, name: str, directions: tuple[str, ...]) -> tuple[int, StudyView]:
    try:
        record = storage.get_study(name)
    except StudyNotFoundError:
        study_id = storage.create_study(name, ",".join(directions))
    else:
        study_id = record.study_id
        view = StudyView(storage, study_id)
        view.sync()
        theirs = record.directions
        if theirs != directions:
            raise InvalidValueError(
                f"study {name!r} exists already with direction(s) {list(theirs)}; the Optuna study has "
                f"{list(directions)}: import into another storage, or delete that study first"
            )
    view = StudyView(storage, study_id)
    view.sync()
    return study_id, view


def _study_attr_events(frozen: Any, directions: tuple[str, ...], view: StudyView) -> list[Event]:
    """The study attributes the target lacks or holds with another value."""
    ignored: list[str] = []
    wanted = _attrs(EventKind.USER_ATTR, frozen.user_attrs, frozenset(), "user attribute", ignored)
    wanted += _attrs(EventKind.SYSTEM_ATTR, frozen.system_attrs, _STUDY_KEYS, "system attribute", ignored)
    wanted.append(Event(EventKind.SYSTEM_ATTR, None, STUDY_ATTR, {"name": frozen.study_name, "directions": directions}))
    missing = object()
    out = []
    for e in wanted:
        have = (view.user_attrs if e.kind is EventKind.USER_ATTR else view.system_attrs).get(e.key or "", missing)
        if have is missing or json.dumps(have, sort_keys=True) != json.dumps(e.value, sort_keys=True):
            out.append(e)
    return out


def _import_one(optuna: Any, source: Any, frozen: Any, storage: BaseStorage) -> ImportedStudy:
    name = frozen.study_name
    directions = _directions(frozen)
    multi = len(directions) > 1
    trials = sorted(source.get_all_trials(source.get_study_id_from_name(name), deepcopy=False), key=lambda t: t.number)
    # every trial is converted before anything is written: one that cannot be (a distribution
    # sturgeon cannot hold) stops the import of the study with nothing of it written
    converted = [(t.number, _trial_events(optuna, t, name, multi)) for t in trials]
    study_id, view = _target_study(storage, name, directions)
    done = {
        int(mark["number"])
        for t in view.trials()
        if isinstance(mark := t.system_attrs.get(TRIAL_ATTR), dict) and mark.get("study") == name
    }
    todo = [events for number, events in converted if number not in done]
    storage.append(study_id, _study_attr_events(frozen, directions, view))
    for first, rest, _ in todo:
        storage.create_trial(study_id, [first, *rest])
    return ImportedStudy(name, directions, len(todo), len(trials) - len(todo), sum(bool(f) for *_, f in todo))


def import_optuna_study(
    from_storage: Any,
    study_name: str | Sequence[str] | None = None,
    *,
    to_storage: str | BaseStorage = DEFAULT_TARGET,
) -> list[ImportedStudy]:
    """Import Optuna studies into a sturgeon storage, so that they continue with sturgeon's
    samplers; running it again adds only the trials that are new there.

    ``from_storage``: an Optuna RDB URL (``sqlite:///optuna.db``, ``postgresql://...``), a
    journal file (``journal:PATH``, ``file:PATH``, or a path ending in ``.log``; a plain path is
    read as SQLite or journal by its content) or an Optuna storage object. ``study_name``: one
    name, several, or None for every study there. ``to_storage``: a sturgeon storage URL or
    object (created when absent); each study keeps its name. Needs the ``optuna`` extra.

    Raises ``StudyNotFoundError`` for a name the source lacks and ``InvalidValueError`` when
    a sturgeon study of that name exists with other directions. See the module docstring for
    how states, non-finite values and multi-objective studies arrive.
    """
    optuna = _require_optuna()
    source = _open_source(optuna, from_storage)
    studies = {s.study_name: s for s in source.get_all_studies()}
    if study_name is None:
        names = list(studies)
    else:
        names = [study_name] if isinstance(study_name, str) else list(study_name)
        absent = [n for n in names if n not in studies]
        if absent:
            raise StudyNotFoundError(
                f"no Optuna study named {absent[0]!r} in {_shown(from_storage)}; it has: "
                f"{', '.join(repr(n) for n in studies) or 'no study'}"
            )
    target = get_storage(to_storage)
    try:
        return [_import_one(optuna, source, studies[n], target) for n in names]
    finally:
        if target is not to_storage:
            target.close()
        engine = getattr(source, "engine", None)  # an RDB storage opened here: release its connections
        if source is not from_storage and engine is not None:
            engine.dispose()
