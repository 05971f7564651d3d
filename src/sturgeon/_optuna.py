"""Optuna's names over sturgeon's API: the one module of aliases (docs/optuna.md).

Nothing here searches, prunes or stores on its own: each name translates its arguments and
calls the sturgeon function or method that does the work. Three kinds of arguments:

* the same meaning under another name (``study_name=``, ``n_ei_candidates=``): renamed;
* a setting sturgeon has no use for (``consider_prior=``): accepted, with a warning that it is
  ignored, unless its value asks for what sturgeon does anyway;
* a feature sturgeon does not have yet (CMA-ES restarts, custom NSGA-II operators, ...):
  ``NotSupportedError`` naming the argument.

This module imports the study functions when called, so samplers and ``trial`` can import it.
"""

from __future__ import annotations

import datetime as _dt
import enum
import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sturgeon._checks import short_repr
from sturgeon._exceptions import InvalidValueError, NotSupportedError
from sturgeon._frozen import FrozenTrial, TrialState
from sturgeon.space import Distribution
from sturgeon.storage import BaseStorage, Event, EventKind

if TYPE_CHECKING:
    import pandas

    from sturgeon.pruners import BasePruner
    from sturgeon.samplers import BaseSampler
    from sturgeon.study import Study, StudySummary

__all__ = [
    "MaxTrialsCallback",
    "StudyDirection",
    "copy_study",
    "create_study",
    "create_trial",
    "delete_study",
    "get_all_study_names",
    "get_all_study_summaries",
    "load_study",
    "optuna_kwargs",
]

_LATER = "multi-objective search is not supported yet"
_NO_CONSTRAINTS = "constrained search is not supported yet"


class StudyDirection(enum.StrEnum):
    """'minimize' / 'maximize' under Optuna's enum names; a member equals its string, so
    ``study.direction == StudyDirection.MAXIMIZE`` holds for a maximizing study."""

    MINIMIZE = "minimize"
    MAXIMIZE = "maximize"


# -- keyword arguments of the sampler classes -----------------------------------------------
# name -> (action, values, why). "rename": passed on as `values` (the sturgeon name); "ignore":
# warns unless the value is one of `values` (what sturgeon does anyway); "refuse": raises
# NotSupportedError unless the value is one of `values`.
_Rule = tuple[str, Any, str]
_LIAR = "running trials always count as bad points (the constant liar)"
_NSGA_ELITE = "the population is always chosen by constrained domination, non-dominated sorting "
_NSGA_CHILD = "children always come from tournaments, crossover and mutation in the unit cube"
_NSGA_AFTER = "the study records constraints itself (constraints_func)"
_RULES: dict[str, dict[str, _Rule]] = {
    "TPESampler": {
        "n_ei_candidates": ("rename", "n_candidates", ""),
        "multivariate": ("ignore", (None, True), "sturgeon's TPE always models the parameters jointly"),
        "group": ("ignore", (True,), "conditional parameters are always modelled by their groups"),
        "constant_liar": ("ignore", (True,), _LIAR),
        "consider_prior": ("ignore", (None,), "sturgeon's Parzen estimators have no prior component"),
        "prior_weight": ("ignore", (None,), "sturgeon's Parzen estimators have no prior component"),
        "consider_magic_clip": ("ignore", (None,), "kernel widths follow sturgeon's own rule"),
        "consider_endpoints": ("ignore", (None,), "kernel widths follow sturgeon's own rule"),
        "weights": ("ignore", (None,), "every trial of a group has the same weight"),
        "categorical_distance_func": ("ignore", (None,), "categorical kernels do not use a distance"),
        "warn_independent_sampling": ("ignore", (None, True, False), ""),
        "constraints_func": ("rename", "constraints_func", ""),
    },
    "GPSampler": {
        "independent_sampler": ("ignore", (None,), "parameters outside the joint space use the Sobol design"),
        "deterministic_objective": ("ignore", (False,), "the noise level is always fitted"),
        "warn_independent_sampling": ("ignore", (True, False), ""),
        "constraints_func": ("rename", "constraints_func", ""),
    },
    "CmaEsSampler": {
        "popsize": ("rename", "population_size", ""),
        "n_startup_trials": ("ignore", (1,), "the first generation comes from the CMA-ES itself"),
        "independent_sampler": ("ignore", (None,), "parameters outside the joint space are drawn at random"),
        "warn_independent_sampling": ("ignore", (True, False), ""),
        "consider_pruned_trials": ("ignore", (False,), "only COMPLETE trials update the distribution"),
        "with_margin": ("ignore", (False,), "integers are decoded from the unit cube"),
        "inc_popsize": ("ignore", (-1, 2), "there are no restarts"),
        "restart_strategy": ("refuse", (None,), "CMA-ES restarts (IPOP / BIPOP) are not supported yet"),
        "use_separable_cma": ("refuse", (False,), "separable CMA-ES is not supported yet"),
        "lr_adapt": ("refuse", (False,), "learning-rate adaptation is not supported yet"),
        "source_trials": ("refuse", (None,), "warm starts from other studies are not supported yet"),
    },
    "QMCSampler": {
        "qmc_type": ("refuse", ("sobol",), "sturgeon's quasi-random points are Sobol points"),
        "scramble": ("ignore", (True,), "the Sobol points are always scrambled with the study's seed"),
        "independent_sampler": ("ignore", (None,), "every parameter takes a Sobol point"),
        "warn_asynchronous_seeding": ("ignore", (True, False), ""),
        "warn_independent_sampling": ("ignore", (True, False), ""),
    },
    "GridSampler": {"search_space": ("rename", "space", "")},
    "NSGAIISampler": {
        "elite_population_selection_strategy": ("refuse", (None,), _NSGA_ELITE + "and crowding distance"),
        "child_generation_strategy": ("refuse", (None,), _NSGA_CHILD),
        "after_trial_strategy": ("refuse", (None,), _NSGA_AFTER),
    },
    "NSGAIIISampler": {
        "elite_population_selection_strategy": ("refuse", (None,), _NSGA_ELITE + "and reference-point niching"),
        "child_generation_strategy": ("refuse", (None,), _NSGA_CHILD),
        "after_trial_strategy": ("refuse", (None,), _NSGA_AFTER),
    },
}


def _among(value: Any, values: Sequence[Any]) -> bool:
    return any(value is v or (type(value) is type(v) and value == v) for v in values)


def optuna_kwargs(owner: str, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Check Optuna's keyword arguments of ``owner`` (a sampler class): the renamed ones come
    back under sturgeon's names; ignored ones warn, missing features raise ``NotSupportedError``
    and unknown names ``TypeError``, each naming the argument."""
    rules = _RULES.get(owner, {})
    out: dict[str, Any] = {}
    for name, value in kwargs.items():
        rule = rules.get(name)
        if rule is None:
            raise TypeError(f"{owner}() got an unexpected keyword argument {name!r}")
        action, values, why = rule
        if action == "rename":
            out[values] = value
        elif _among(value, values):
            continue
        elif action == "ignore":
            warnings.warn(f"{owner}: {name}={short_repr(value)} is accepted and ignored: {why}", UserWarning, 3)
        else:
            raise NotSupportedError(f"{owner}: {name}={short_repr(value)} is not supported: {why}")
    return out


def refuse_sampler(name: str, why: str) -> Callable[..., Any]:
    """A stand-in for a sampler class sturgeon does not have: calling it raises."""

    def make(*args: Any, **kwargs: Any) -> Any:
        raise NotSupportedError(f"{name} is not supported: {why}")

    make.__name__ = make.__qualname__ = name
    make.__doc__ = f"Not supported: {why}."
    return make


# -- directions ----------------------------------------------------------------------------
def _plain(direction: Any) -> Any:
    return str(direction.value) if isinstance(direction, StudyDirection) else direction


def _directions(direction: Any, directions: Sequence[Any] | None) -> tuple[str, Sequence[Any] | None]:
    """(direction, directions) for ``sturgeon.study.create_study``: one entry of ``directions``
    is ``direction``; ``StudyDirection`` members become their strings."""
    if directions is not None:  # checked by sturgeon.study.create_study
        if direction is not None:
            raise InvalidValueError("create_study: give direction or directions, not both")
        return "minimize", [_plain(d) for d in directions] if isinstance(directions, (list, tuple)) else directions
    return ("minimize" if direction is None else _plain(direction)), None


def _single_value(values: Any, what: str) -> Any:
    """One objective value from Optuna's ``values`` (a number or a list of one)."""
    if isinstance(values, (list, tuple)):
        if len(values) != 1:
            raise InvalidValueError(
                f"{what}: values={short_repr(values)} has {len(values)} entries; the study has one objective"
            )
        return values[0]
    return values


# -- studies -------------------------------------------------------------------------------
def _study_name(name: str | None, study_name: str | None, what: str, *, required: bool) -> str | None:
    if name is not None and study_name is not None and name != study_name:
        raise InvalidValueError(f"{what}: give name or study_name, not both (got {name!r} and {study_name!r})")
    chosen = name if name is not None else study_name
    if chosen is None and required:
        raise InvalidValueError(f"{what}: the study's name is missing (study_name=...)")
    return chosen


def create_study(
    name: str | None = None,
    *,
    study_name: str | None = None,
    direction: str | StudyDirection | None = None,
    directions: Sequence[str | StudyDirection] | None = None,
    storage: str | BaseStorage | None = None,
    sampler: str | BaseSampler | None = "auto",
    pruner: str | BasePruner | None = "auto",
    seed: int | None = None,
    load_if_exists: bool = False,
    artifacts: str | None = None,
    checkpoint_keep: int | None = None,
    artifacts_max_bytes: int | None = None,
    constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
) -> Study:
    """``sturgeon.study.create_study`` that also takes Optuna's spellings: ``study_name=``
    for ``name``, ``directions=[one]`` for ``direction`` and ``StudyDirection`` members."""
    from sturgeon.study import create_study as create

    one, several = _directions(direction, directions)
    return create(
        _study_name(name, study_name, "create_study", required=False),
        direction=one,
        directions=several,
        constraints_func=constraints_func,
        storage=storage,
        sampler=sampler,
        pruner=pruner,
        seed=seed,
        load_if_exists=load_if_exists,
        artifacts=artifacts,
        checkpoint_keep=checkpoint_keep,
        artifacts_max_bytes=artifacts_max_bytes,
    )


def load_study(
    name: str | None = None,
    *,
    study_name: str | None = None,
    storage: str | BaseStorage,
    sampler: str | BaseSampler | None = "auto",
    pruner: str | BasePruner | None = "auto",
    seed: int | None = None,
    artifacts: str | None = None,
    checkpoint_keep: int | None = None,
    artifacts_max_bytes: int | None = None,
) -> Study:
    """``sturgeon.study.load_study``; the name may be given as ``study_name=``."""
    from sturgeon.study import load_study as load

    chosen = _study_name(name, study_name, "load_study", required=True)
    assert chosen is not None
    return load(
        chosen,
        storage=storage,
        sampler=sampler,
        pruner=pruner,
        seed=seed,
        artifacts=artifacts,
        checkpoint_keep=checkpoint_keep,
        artifacts_max_bytes=artifacts_max_bytes,
    )


def delete_study(name: str | None = None, *, study_name: str | None = None, storage: str | BaseStorage) -> None:
    """``sturgeon.study.delete_study``; the name may be given as ``study_name=``."""
    from sturgeon.study import delete_study as delete

    chosen = _study_name(name, study_name, "delete_study", required=True)
    assert chosen is not None
    delete(chosen, storage=storage)


def get_all_study_summaries(storage: str | BaseStorage, include_best_trial: bool = True) -> list[StudySummary]:
    """``list_studies``; each summary's ``best_trial`` is left None unless ``include_best_trial``."""
    import dataclasses

    from sturgeon.study import list_studies

    summaries = list_studies(storage)
    if include_best_trial:
        return summaries
    return [dataclasses.replace(s, best_trial=None) for s in summaries]


def get_all_study_names(storage: str | BaseStorage) -> list[str]:
    """The names of every study in the storage, oldest first."""
    from sturgeon.study import list_studies

    return [s.name for s in list_studies(storage)]


def copy_study(
    *,
    from_study_name: str,
    from_storage: str | BaseStorage,
    to_storage: str | BaseStorage,
    to_study_name: str | None = None,
) -> None:
    """Copy a study, every trial with its events (times included), into ``to_storage`` (under
    ``to_study_name``, default the same name). Checkpoints are not copied: their events are
    left out (with a warning), so the copy never deletes the original's files."""
    from sturgeon.storage import get_storage

    source, target = get_storage(from_storage), get_storage(to_storage)
    try:
        record = source.get_study(from_study_name)
        events = source.read(record.study_id)
        new_name = to_study_name if to_study_name is not None else from_study_name
        study_id = target.create_study(new_name, record.direction)
        _copy_events(target, study_id, events)
    finally:
        for backend, given in ((source, from_storage), (target, to_storage)):
            if backend is not given:
                backend.close()


_NOT_COPIED = (EventKind.CHECKPOINT, EventKind.CHECKPOINT_DELETED)


def _copy_events(target: BaseStorage, study_id: int, events: Sequence[Event]) -> None:
    from sturgeon._checkpoints import STORE_ATTR

    by_trial: dict[int, list[Event]] = {}
    study_level: list[Event] = []
    dropped = 0
    for e in events:
        if e.kind in _NOT_COPIED or (e.trial is None and e.key == STORE_ATTR):
            dropped += e.kind is EventKind.CHECKPOINT
            continue
        (study_level if e.trial is None else by_trial.setdefault(e.trial, [])).append(e)
    if study_level:
        target.append(study_id, [e._replace(id=0, unique_key=None) for e in study_level])
    for number in sorted(by_trial):
        pauses, out = 0, []
        for e in by_trial[number]:
            key = e.unique_key
            if key is None:
                key, pauses = _derived_key(e, number, pauses)
            elif e.kind is EventKind.TRIAL_PAUSED:
                pauses += 1
            out.append(e._replace(id=0, unique_key=key))
        got = target.create_trial(study_id, out)
        if got != number:  # pragma: no cover - numbers are dense in every backend
            raise RuntimeError(f"copy_study: trial {number} was copied as {got}")
    if dropped:
        warnings.warn(f"copy_study: {dropped} checkpoint(s) were not copied", UserWarning, stacklevel=3)


def _derived_key(e: Event, number: int, pauses: int) -> tuple[str | None, int]:
    """The unique key an event had when it was first appended (a storage need not return it)."""
    if e.kind is EventKind.TRIAL_FINISHED:
        return f"finish:{number}", pauses
    if e.kind is EventKind.TRIAL_STARTED:
        return f"start:{number}", pauses
    if e.kind is EventKind.TRIAL_PAUSED:
        return f"pause:{number}:{pauses}", pauses + 1
    if e.kind is EventKind.TRIAL_RESUMED:
        return f"resume:{number}:{pauses}", pauses
    if e.kind is EventKind.SYSTEM_ATTR and e.key == "grid_point":
        return f"grid:{e.value}", pauses
    return None, pauses


# -- trials made by hand -------------------------------------------------------------------
def create_trial(
    *,
    state: TrialState = TrialState.COMPLETE,
    value: float | None = None,
    values: Sequence[float] | None = None,
    params: Mapping[str, Any] | None = None,
    distributions: Mapping[str, Distribution] | None = None,
    user_attrs: Mapping[str, Any] | None = None,
    system_attrs: Mapping[str, Any] | None = None,
    intermediate_values: Mapping[int, float] | None = None,
    constraints: Sequence[float] | None = None,
) -> FrozenTrial:
    """A finished (or WAITING) trial record to add to a study with ``Study.add_trial``: a
    result measured elsewhere, or an earlier run. Its number is -1 until it is added.
    ``values`` with several entries is a multi-objective study's result; ``constraints``
    its constraint values (each satisfied at <= 0)."""
    from sturgeon._frozen import CONSTRAINTS_ATTR

    several: tuple[float, ...] | None = None
    if values is not None:
        if value is not None:
            raise InvalidValueError("create_trial: give value or values, not both")
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
            raise InvalidValueError(
                f"create_trial: values must be a non-empty list of numbers, got {short_repr(values)}"
            )
        if len(values) > 1:
            several = tuple(float(v) for v in values)
        else:
            value = values[0]
    attrs = dict(system_attrs or {})
    if constraints is not None:
        from sturgeon.trial import check_constraints

        attrs[CONSTRAINTS_ATTR] = check_constraints(constraints, "create_trial: constraints")
    now = _dt.datetime.now(_dt.UTC)
    trial = FrozenTrial(
        number=-1,
        state=state,
        value=None if value is None else float(value),
        params=dict(params or {}),
        distributions=dict(distributions or {}),
        intermediate_values={int(k): float(v) for k, v in (intermediate_values or {}).items()},
        user_attrs=dict(user_attrs or {}),
        system_attrs=attrs,
        datetime_start=None if state is TrialState.WAITING else now,
        datetime_complete=now if isinstance(state, TrialState) and state.is_finished else None,
        objective_values=several,
    )
    check_added_trial(trial, "create_trial")
    return trial


def check_added_trial(trial: Any, what: str) -> None:
    """The rules a trial record must meet to be added to a study."""
    from sturgeon._checks import check_json, check_name

    if not isinstance(trial, FrozenTrial):
        raise InvalidValueError(
            f"{what}: expected a FrozenTrial (sturgeon.trial.create_trial), got {short_repr(trial)}"
        )
    allowed = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.WAITING)
    if trial.state not in allowed:
        raise InvalidValueError(
            f"{what}: state must be COMPLETE, PRUNED, FAIL or WAITING, got {short_repr(trial.state)}"
        )
    if trial.state is TrialState.COMPLETE and (not trial.values or not all(map(math.isfinite, trial.values))):
        raise InvalidValueError(f"{what}: a COMPLETE trial needs a finite value, got values={short_repr(trial.values)}")
    if set(trial.params) != set(trial.distributions):
        raise InvalidValueError(
            f"{what}: params and distributions must name the same parameters, got {sorted(trial.params)} and "
            f"{sorted(trial.distributions)}"
        )
    for name, v in trial.params.items():
        dist = trial.distributions[name]
        if not isinstance(dist, Distribution):
            raise InvalidValueError(f"{what}: distributions[{name!r}] must be a distribution, got {short_repr(dist)}")
        if not dist.contains(v):
            raise InvalidValueError(f"{what}: params[{name!r}]={short_repr(v)} is not in {short_repr(dist)}")
    for step, v in trial.intermediate_values.items():
        if math.isinf(v):
            raise InvalidValueError(f"{what}: intermediate_values[{step}] must be finite or NaN, got {v!r}")
    for attrs, kind in ((trial.user_attrs, "user_attrs"), (trial.system_attrs, "system_attrs")):
        for k, v in attrs.items():
            check_name(f"{what}: a {kind} key", k)
            check_json(f"{what}: {kind}[{k!r}]", v)


def trial_events(trial: FrozenTrial) -> list[Event]:
    """The events that record ``trial`` (checked with ``check_added_trial``) as a new trial."""
    if trial.state is TrialState.WAITING:
        fixed = {**trial.fixed_params, **trial.params}
        events = [Event(EventKind.TRIAL_CREATED, value={"state": "WAITING", "fixed_params": fixed})]
    else:
        start = trial.datetime_start.timestamp() if trial.datetime_start else 0.0
        events = [Event(EventKind.TRIAL_CREATED, value={"state": "RUNNING"}, time=start)]
        events += [
            Event(EventKind.PARAM, None, name, [v, trial.distributions[name].to_json()], time=start)
            for name, v in trial.params.items()
        ]
        events += [
            Event(EventKind.INTERMEDIATE, None, str(step), None if math.isnan(v) else v, time=start)
            for step, v in sorted(trial.intermediate_values.items())
        ]
    events += [Event(EventKind.USER_ATTR, None, k, v) for k, v in trial.user_attrs.items()]
    events += [Event(EventKind.SYSTEM_ATTR, None, k, v) for k, v in trial.system_attrs.items()]
    if trial.state.is_finished:
        end = trial.datetime_complete.timestamp() if trial.datetime_complete else 0.0
        finished: dict[str, Any] = {"state": trial.state.value, "value": trial.value}
        if trial.objective_values is not None:
            finished["values"] = list(trial.objective_values)
        events.append(Event(EventKind.TRIAL_FINISHED, None, value=finished, time=end))
    return events


# -- study methods' helpers ------------------------------------------------------------------
_ATTRS = ("number", "value", "datetime_start", "datetime_complete", "duration", "params", "user_attrs", "state")
_COLUMN = {"duration": "duration_s"}


def trials_dataframe(study: Study, attrs: Sequence[str], multi_index: bool) -> pandas.DataFrame:
    """``study.to_dataframe()`` cut to Optuna's ``attrs`` (``system_attrs`` has no columns in
    sturgeon's table and is skipped), with a two-level column index when ``multi_index``."""
    import pandas as pd

    if isinstance(attrs, str) or not isinstance(attrs, Iterable):
        raise InvalidValueError(f"trials_dataframe: attrs must be a tuple of names, got {short_repr(attrs)}")
    unknown = [a for a in attrs if a not in (*_ATTRS, "system_attrs")]
    if unknown:
        raise InvalidValueError(f"trials_dataframe: attrs must be among {list(_ATTRS)}, got {short_repr(unknown[0])}")
    df = study.to_dataframe()
    keep = []
    for a in attrs:
        col = _COLUMN.get(a, a)
        keep += [c for c in df.columns if c == col or (a in ("params", "user_attrs") and c.startswith(a + "_"))]
    df = df[keep]
    if multi_index:
        pairs = []
        for c in df.columns:
            head = next((a for a in ("params", "user_attrs") if c.startswith(a + "_")), None)
            pairs.append((head, c[len(head) + 1 :]) if head else (c, ""))
        df.columns = pd.MultiIndex.from_tuples(pairs)
    return df


class MaxTrialsCallback:
    """Stop ``optimize`` once the study has ``n_trials`` trials in ``states`` (None: in any
    state), counting the trials of every worker: ``study.optimize(f, callbacks=[...])``."""

    def __init__(self, n_trials: int, states: Iterable[TrialState] | None = (TrialState.COMPLETE,)) -> None:
        if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
            raise InvalidValueError(f"MaxTrialsCallback: n_trials must be an int >= 1, got {short_repr(n_trials)}")
        self.n_trials = n_trials
        self.states = None if states is None else tuple(states)

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        if len(study.get_trials(states=self.states)) >= self.n_trials:
            study.stop()

    def __repr__(self) -> str:
        return f"MaxTrialsCallback(n_trials={self.n_trials}, states={self.states!r})"
