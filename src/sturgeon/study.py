"""``Study``: a persistent history of trials, and the functions that create and find studies."""

from __future__ import annotations

import dataclasses
import logging
import math
import secrets
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sturgeon._checkpoints import Checkpoints
from sturgeon._checks import check_json, check_name, short_repr
from sturgeon._enqueue import UNCHECKED_ATTR, check_enqueued, warn_unused
from sturgeon._exceptions import (
    DuplicatedStudyError,
    GridExhaustedError,
    InvalidSpaceError,
    InvalidValueError,
    NoCompletedTrialsError,
    TrialStateError,
)
from sturgeon._frozen import CONSTRAINTS_ATTR, WORKER_ATTR, FrozenTrial, TrialState, fold_schedule
from sturgeon._live import GO_ON as _GO_ON
from sturgeon._live import resume_events as _resume_events
from sturgeon._live import wants_resume as _wants_resume
from sturgeon._optuna import MaxTrialsCallback, StudyDirection
from sturgeon.pruners import BasePruner, make_pruner
from sturgeon.pruners._pbt import REPLAY_ATTR
from sturgeon.samplers import BaseSampler, make_sampler
from sturgeon.space import Distribution, validate_space
from sturgeon.storage import BaseStorage, Event, EventKind, StudyRecord, StudyView, get_storage
from sturgeon.trial import Trial, _LazyHistory

if TYPE_CHECKING:
    import pandas

    from sturgeon._ray import RayExecutor

_log = logging.getLogger("sturgeon")

__all__ = [
    "MaxTrialsCallback",
    "Study",
    "StudyDirection",
    "StudySummary",
    "create_study",
    "delete_study",
    "list_studies",
    "load_study",
]

_DIRECTIONS = ("minimize", "maximize")
_REPLAY_SCHEDULE = "replay_schedule"  # system attribute of a replay: [[first step, values], ...]
Objective = Callable[[Trial], float]


class _Owner(Protocol):
    """Who beats for a worker's trials (``_optimize._Heartbeat``): ``ttl`` for the first
    heartbeat, written with the claim; ``add`` / ``remove`` when a trial is taken / given back."""

    ttl: float

    def add(self, number: int) -> None: ...

    def remove(self, number: int) -> None: ...

    def worker(self) -> str: ...


def _check_direction(direction: str) -> str:
    if not isinstance(direction, str) or direction not in _DIRECTIONS:
        raise InvalidValueError(f"direction must be 'minimize' or 'maximize', got {short_repr(direction)}")
    return direction


def _check_directions(direction: Any, directions: Any) -> tuple[str, ...]:
    """The study's directions from ``direction`` / ``directions`` (one of them)."""
    if directions is None:
        return (_check_direction(str(direction) if isinstance(direction, StudyDirection) else direction),)
    if direction != "minimize":
        raise InvalidValueError("create_study: give direction or directions, not both")
    if isinstance(directions, str) or not isinstance(directions, Sequence) or not directions:
        raise InvalidValueError(
            "create_study: directions must be a non-empty list of 'minimize' / 'maximize', got "
            f"{short_repr(directions)}"
        )
    out = []
    for i, d in enumerate(directions):
        if not isinstance(d, str) or d not in _DIRECTIONS:
            raise InvalidValueError(
                f"create_study: directions[{i}] must be 'minimize' or 'maximize', got {short_repr(d)}"
            )
        out.append(str(d))
    if len(out) > 16:
        raise InvalidValueError(f"create_study: at most 16 objectives, got {len(out)} directions")
    return tuple(out)


def objective_values(value: Any, n: int) -> tuple[tuple[float, ...] | None, str | None]:
    """(values, None) for a usable result of an objective with ``n`` objectives, else (None, why)."""
    if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__len__") or not hasattr(value, "__iter__"):
        return None, (
            f"the objective returned {short_repr(value)} ({type(value).__name__}); a study with {n} objectives "
            f"needs a sequence of {n} numbers"
        )
    items = list(value)
    if len(items) != n:
        return None, f"the objective returned {len(items)} values ({short_repr(items)}); the study has {n} objectives"
    out = []
    for i, item in enumerate(items):
        v, why = objective_value(item)
        if why is not None:
            return None, f"objective {i}: {why}"
        assert v is not None
        out.append(v)
    return tuple(out), None


def _check_seed(seed: int | None) -> int | None:
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise InvalidValueError(f"seed must be an int >= 0 or None, got {short_repr(seed)}")
    return seed


def _check_states(states: Any) -> frozenset[TrialState]:
    if isinstance(states, TrialState):
        return frozenset((states,))
    if isinstance(states, (str, bytes)) or not isinstance(states, Iterable):
        raise InvalidValueError(f"get_trials: states must be a TrialState or several, got {short_repr(states)}")
    out = frozenset(states)
    bad = [s for s in out if not isinstance(s, TrialState)]
    if bad:
        raise InvalidValueError(f"get_trials: states must hold TrialState members, got {short_repr(bad[0])}")
    return out


def objective_value(value: Any) -> tuple[float | None, str | None]:
    """(value, None) for a usable objective value, else (None, why it is unusable)."""
    if isinstance(value, bool) or (not isinstance(value, (int, float)) and not hasattr(value, "__float__")):
        return None, f"the objective returned {short_repr(value)} ({type(value).__name__}), not a number"
    try:
        v = float(value)
    except OverflowError:
        return None, f"the objective returned {short_repr(value)}, which is too large for a float"
    except Exception as e:
        return None, f"the objective returned {short_repr(value)}, which cannot be read as a number ({e})"
    if not math.isfinite(v):
        return None, f"the objective returned {short_repr(value)}, which is not finite"
    return v, None


class Study:
    """A named, persistent history of trials in one direction. Use ``create_study`` /
    ``load_study`` to get one. Thread-safe: many threads may ask, tell and optimize at once."""

    def __init__(
        self,
        *,
        storage: BaseStorage,
        record: StudyRecord,
        sampler: str | BaseSampler | None = "auto",
        pruner: str | BasePruner | None = "auto",
        seed: int | None = None,
        artifacts: str | None = None,
        checkpoint_keep: int | None = None,
        artifacts_max_bytes: int | None = None,
        constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
    ) -> None:
        _check_seed(seed)
        self._storage = storage
        self._record = record
        self._study_id = record.study_id
        self._directions = record.directions
        self.sampler = make_sampler(sampler, seed)
        self._seed = self.sampler.seed if self.sampler.seed is not None else secrets.randbits(32)
        if len(self._directions) > 1:
            from sturgeon.pruners import NopPruner

            if pruner != "auto" and not isinstance(make_pruner(pruner), NopPruner):
                raise InvalidValueError(
                    f"pruner={short_repr(pruner)}: a study with {len(self._directions)} objectives cannot prune (a "
                    "stopping rule ranks trials by one value); leave pruner at its default"
                )
            pruner = None
        self.pruner = make_pruner(pruner, self._seed)
        if constraints_func is None:  # Optuna puts it on the sampler
            constraints_func = getattr(self.sampler, "constraints_func", None)
        if constraints_func is not None and not callable(constraints_func):
            raise InvalidValueError(
                f"constraints_func must be a function of the finished trial returning a list of numbers, "
                f"got {short_repr(constraints_func)}"
            )
        self.constraints_func = constraints_func
        self._pending_constraints: dict[int, list[float]] = {}  # number -> constraints_func result, until the finish
        self._view = StudyView(storage, record.study_id)
        self._stop_flag = threading.Event()
        self.retries = 1  # times a configuration lost to a crash is queued again (optimize(retries=))
        self._retry_on: tuple[type[BaseException], ...] = ()  # objective exceptions retried as well
        self._checkpoints = Checkpoints(
            storage=storage,
            view=self._view,
            study_id=record.study_id,
            study_name=record.name,
            url=artifacts,
            keep=checkpoint_keep,
            max_bytes=artifacts_max_bytes,
        )
        if artifacts is not None or checkpoint_keep is not None:  # record them for every worker
            self._view.sync()
            self._append(self._checkpoints.record_settings())

    # -- identity --------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._record.name

    @property
    def direction(self) -> str:
        """'minimize' or 'maximize'; a study of several objectives has ``directions`` instead."""
        if len(self._directions) > 1:
            raise InvalidValueError(
                f"study {self.name!r} has {len(self._directions)} objectives ({', '.join(self._directions)}): "
                "read study.directions"
            )
        return self._directions[0]

    @property
    def is_multi_objective(self) -> bool:
        return len(self._directions) > 1

    @property
    def _rule_direction(self) -> str:
        """The direction rules rank by (pruners see no values in a multi-objective study)."""
        return self._directions[0] if len(self._directions) == 1 else "minimize"

    @property
    def storage(self) -> BaseStorage:
        return self._storage

    def __repr__(self) -> str:
        if self.is_multi_objective:
            return f"Study(name={self.name!r}, directions={list(self._directions)!r}, sampler={self.sampler!r})"
        return f"Study(name={self.name!r}, direction={self.direction!r}, sampler={self.sampler!r})"

    # -- reading ---------------------------------------------------------------------------
    def _synced_trials(self) -> list[FrozenTrial]:
        self._view.sync()
        return self._view.trials()

    def _refresh_for_sampler(self) -> list[FrozenTrial]:
        self.fail_stale_trials()
        return self._synced_trials()

    @property
    def trials(self) -> list[FrozenTrial]:
        """Every trial, by number (a snapshot)."""
        return list(self._synced_trials())

    def get_trials(
        self, states: Iterable[TrialState] | TrialState | None = None, *, deepcopy: bool = True
    ) -> list[FrozenTrial]:
        """Trials, by number, optionally only those in ``states`` (one state or several).
        ``deepcopy`` changes nothing: the records are immutable snapshots either way."""
        wanted = None if states is None else _check_states(states)
        trials = self._synced_trials()
        if wanted is None:
            return list(trials)
        return [t for t in trials if t.state in wanted]

    @property
    def best_trial(self) -> FrozenTrial:
        """The COMPLETE trial with the best value (the earliest on ties); excluded trials
        (``exclude_trial``) and infeasible ones (constraints) are left out. A study of
        several objectives has ``best_trials`` (its Pareto front) instead."""
        if self.is_multi_objective:
            raise InvalidValueError(
                f"study {self.name!r} has {len(self._directions)} objectives: it has no single best trial; "
                "read study.best_trials (the Pareto front)"
            )
        best: FrozenTrial | None = None
        sign = 1.0 if self.direction == "minimize" else -1.0
        infeasible = 0
        for t in self._synced_trials():
            done = t.state is TrialState.COMPLETE and t.value is not None and not t.excluded
            if done and not t.feasible:
                infeasible += 1
                continue
            if done and (best is None or sign * (t.value or 0.0) < sign * (best.value or 0.0)):
                best = t
        if best is None:
            if infeasible:
                raise NoCompletedTrialsError(
                    f"study {self.name!r} has no feasible COMPLETE trial yet ({infeasible} COMPLETE, all infeasible)"
                )
            raise NoCompletedTrialsError(f"study {self.name!r} has no COMPLETE trial yet")
        return best

    @property
    def best_value(self) -> float:
        value = self.best_trial.value
        assert value is not None
        return value

    @property
    def best_params(self) -> dict[str, Any]:
        return dict(self.best_trial.params)

    @property
    def user_attrs(self) -> dict[str, Any]:
        self._view.sync()
        return dict(self._view.user_attrs)

    @property
    def total_resource(self) -> int:
        """Steps trained by all trials together (see ``FrozenTrial.resource``)."""
        self._view.sync()
        return self._view.total_resource

    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serializable value to the study."""
        check_name("set_user_attr: key", key)
        check_json(f"set_user_attr({key!r})", value)
        self._append([Event(EventKind.USER_ATTR, None, key, value)])

    # -- writing ---------------------------------------------------------------------------
    def _append(self, events: Sequence[Event]) -> bool:
        return self._storage.append(self._study_id, events)

    def enqueue(
        self,
        params: Mapping[str, Any],
        *,
        user_attrs: Mapping[str, Any] | None = None,
        skip_if_exists: bool = False,
        strict: bool = False,
    ) -> int | None:
        """Queue a trial with these parameters; the next ``ask`` (any worker) runs it first.

        Parameters the objective asks for but ``params`` lacks are sampled as usual.
        Returns the trial's number, or None when ``skip_if_exists`` found the same params.

        A name that no trial of the study has suggested warns (a misspelled name would be
        dropped); ``strict=True`` raises ``InvalidValueError`` instead. While no trial has
        suggested any parameter yet, the names are checked when this trial completes: one it
        never suggested warns then (strict or not).
        """
        if not isinstance(params, Mapping):
            raise InvalidValueError(f"enqueue: params must be a dict of name -> value, got {short_repr(params)}")
        if user_attrs is not None and not isinstance(user_attrs, Mapping):
            raise InvalidValueError(f"enqueue: user_attrs must be a dict of key -> value, got {short_repr(user_attrs)}")
        for k, v in params.items():
            check_name("enqueue: a parameter name", k)
            check_json(f"enqueue: parameter {k!r}", v)
        for k, v in (user_attrs or {}).items():
            check_name("enqueue: a user_attrs key", k)
            check_json(f"enqueue: user_attrs[{k!r}]", v)
        trials = self._synced_trials()
        if skip_if_exists:
            wanted = dict(params)
            for t in trials:
                if dict(t.fixed_params) == wanted or dict(t.params) == wanted:
                    return None
        unchecked = check_enqueued(params, trials, strict=strict)
        events = [Event(EventKind.TRIAL_CREATED, value={"state": "WAITING", "fixed_params": dict(params)})]
        if unchecked:
            events.append(Event(EventKind.SYSTEM_ATTR, None, UNCHECKED_ATTR, unchecked))
        for k, v in (user_attrs or {}).items():
            events.append(Event(EventKind.USER_ATTR, None, k, v))
        return self._storage.create_trial(self._study_id, events)

    def ask(
        self,
        space: Mapping[str, Distribution] | None = None,
        *,
        fixed_distributions: Mapping[str, Distribution] | None = None,
    ) -> Trial:
        """Start a trial: a paused one that may go on, else the oldest enqueued one, else a
        new one.

        With a declarative ``space``, every parameter in it is suggested at once and
        ``trial.params`` holds them. Raises ``GridExhaustedError`` when the sampler has
        nothing left to propose.

        The trial belongs to the caller until it is told: it has no heartbeat, so
        ``fail_stale_trials`` never takes it. If ``ask`` itself fails after the trial was
        created or claimed, that trial is failed at once (``fail_reason`` "not run: ...") and an
        enqueued one is queued again (``retry_of``), so no trial is left RUNNING without an
        owner. An enqueued trial whose values do not fit ``space`` is not claimed at all:
        ``InvalidSpaceError`` names the parameter, and the trial stays WAITING.
        """
        if fixed_distributions is not None:  # Optuna's name for the space
            if space is not None:
                raise InvalidValueError("ask: give space or fixed_distributions, not both")
            space = fixed_distributions
        trial = self._next_trial(space, allow_new=True)
        assert trial is not None
        return trial

    def _next_trial(
        self, space: Mapping[str, Distribution] | None, *, allow_new: bool, owner: _Owner | None = None
    ) -> Trial | None:
        """Resume a paused trial that may go on, else (when ``allow_new``) claim an enqueued
        one or start a new one; None when there is nothing to do. With an ``owner`` (a
        worker's heartbeat) the trial's first heartbeat is written with its creation or claim,
        and the owner beats for it from that moment on (even while the sampler prepares it)."""
        if space is not None:
            space = validate_space(space)
        self._view.sync()
        resumed = self._claim_paused(owner)
        if resumed is not None or not allow_new:
            return resumed
        number, fixed = self._claim_waiting(space, owner)
        if number is None:
            if self.sampler.is_exhausted(_LazyHistory(self, synced=True)):
                raise GridExhaustedError(f"study {self.name!r}: the sampler's grid is exhausted")
            events = [Event(EventKind.TRIAL_CREATED, value={"state": "RUNNING"})]
            if owner is not None:  # who runs it, written with its creation
                events.append(Event(EventKind.SYSTEM_ATTR, key=WORKER_ATTR, value=owner.worker()))
            number = self._storage.create_trial(
                self._study_id, events, heartbeat_ttl=None if owner is None else owner.ttl
            )
            if owner is not None:
                owner.add(number)
        try:
            return self._start(number, fixed, space)
        except BaseException as e:
            if owner is not None:
                owner.remove(number)
            self._not_run(number, fixed, e)
            raise

    def _start(self, number: int, fixed: dict[str, Any] | None, space: dict[str, Distribution] | None) -> Trial:
        """The handle of a trial just created or claimed: the sampler's reservations, and every
        parameter of a declarative ``space``."""
        replay = self._view.trial(number).system_attrs.get(_REPLAY_SCHEDULE) if fixed is not None else None
        trial = Trial(self, number, fixed_params=fixed, space=space, replay=replay)
        self.sampler.before_trial(_LazyHistory(self, synced=True, number=trial.number), trial._ctx)
        if space:
            events = []
            for name, dist in space.items():
                _, event = trial._decide(name, dist)
                if event is not None:
                    events.append(event)
            self._append(events)
        return trial

    def _not_run(self, number: int, fixed: dict[str, Any] | None, error: BaseException) -> None:
        """``ask`` failed after trial ``number`` was created or claimed: fail it at once, and
        queue an enqueued one again (it never ran), so nothing stays RUNNING without an owner."""
        why = str(error) if isinstance(error, GridExhaustedError) else f"{type(error).__name__}: {error}"
        done = self._append(
            [
                Event(EventKind.SYSTEM_ATTR, number, "fail_reason", f"not run: {why}"[:2000]),
                Event(
                    EventKind.TRIAL_FINISHED,
                    number,
                    value={"state": "FAIL", "value": None},
                    unique_key=f"finish:{number}",
                ),
            ]
        )
        if done and fixed is not None:
            self._requeue(number, fixed)
        self._view.sync()

    def _lost_trial(self, number: int, reason: str, *, requeue: bool) -> None:
        """A trial whose worker process the executor killed (a per-trial limit) or saw die:
        FAIL with ``reason``; with ``requeue`` (the worker died) the recovery rule instead:
        PAUSED at its checkpoint, else FAIL and its parameters queued again once."""
        self._view.sync()
        if not 0 <= number < len(self._view):
            return
        t = self._view.trial(number)
        if t.state is not TrialState.RUNNING:
            return
        if requeue and t.checkpoints:
            value = {"step": max(t.checkpoints), "reason": "recovered", "lost": reason}
            self._append(
                [Event(EventKind.TRIAL_PAUSED, number, value=value, unique_key=f"pause:{number}:{t.n_pauses}")]
            )
        else:
            self._finish(number, TrialState.FAIL, None, reason)
            if requeue:
                self._requeue(number, {**t.fixed_params, **t.params})
        self._storage.clear_heartbeat(self._study_id, number)
        self._view.sync()

    def _interrupted(self, trial: Trial) -> FrozenTrial:
        """A running trial stopped by Ctrl-C or SIGTERM: PAUSED at its latest checkpoint when it
        has one (a later ``optimize`` resumes it first), else FAIL with the reason
        "interrupted" and its parameters queued again once (``retry_of``)."""
        if trial.checkpoint_steps:
            return self._pause(trial, trial.checkpoint_steps[-1], "interrupted")
        frozen = self._finish(trial, TrialState.FAIL, None, "interrupted")
        self._requeue(trial.number, {**trial._ctx.fixed_params, **trial.params})
        return frozen

    def _retries_of(self, number: int) -> int:
        """How many times the configuration of trial ``number`` was queued again before it
        (the length of its ``retry_of`` chain)."""
        n, depth = number, 0
        while True:
            prev = self._view.trial(n).system_attrs.get("retry_of") if 0 <= n < len(self._view) else None
            if not isinstance(prev, int) or depth > len(self._view):
                return depth
            n, depth = prev, depth + 1

    def _requeue(self, number: int, params: Mapping[str, Any]) -> int | None:
        """Enqueue the parameters of failed trial ``number`` again, as a new WAITING trial,
        unless its configuration was retried ``self.retries`` times already (a configuration
        that keeps crashing its worker is not retried for ever): then None, and the trial
        records ``retries_exhausted``."""
        self._view.sync()
        if self._retries_of(number) >= self.retries:
            self._append([Event(EventKind.SYSTEM_ATTR, number, "retries_exhausted", self.retries)])
            _log.warning("trial %d: its configuration failed %d times; not queued again", number, self.retries + 1)
            return None
        retry = self._storage.create_trial(
            self._study_id,
            [
                Event(EventKind.TRIAL_CREATED, value={"state": "WAITING", "fixed_params": dict(params)}),
                Event(EventKind.SYSTEM_ATTR, key="retry_of", value=number),
            ],
        )
        self._append([Event(EventKind.SYSTEM_ATTR, number, "retried_as", retry)])
        return retry

    def _claim_paused(self, owner: _Owner | None = None) -> Trial | None:
        """Resume a paused trial: first those that must go on (recovered from a dead worker,
        rewound, asked for from outside), then those the pruner says are promotable (a trial a
        person paused waits for a resume request). The claim's unique key makes exactly one
        worker win; changes waiting for the trial are applied in the same append (and the
        first heartbeat, for a worker's claim)."""
        paused_numbers = self._view.paused_numbers()
        if not paused_numbers:
            return None
        trials = self._view.trials()
        paused = [trials[n] for n in paused_numbers]
        order = [t.number for t in paused if t.pause_reason in _GO_ON or _wants_resume(t)]
        by_rule = [t for t in paused if t.pause_reason == "rule"]
        if by_rule:
            order += [n for n in self.pruner.promotable(by_rule, trials, self._rule_direction) if n not in order]
        for n in order:
            t = self._view.trial(n)
            if t.state is not TrialState.PAUSED or t.latest_checkpoint_step is None:
                continue
            events = _resume_events(t)
            beat = None if owner is None else (n, owner.ttl)
            if events and owner is not None:
                events = [*events, Event(EventKind.SYSTEM_ATTR, n, WORKER_ATTR, owner.worker())]
            if events and self._storage.append(self._study_id, events, heartbeat=beat):
                if owner is not None:
                    owner.add(n)
                try:
                    self._view.sync()
                    now = self._view.trial(n)
                    if now.state is not TrialState.RUNNING:  # stopped from outside in the meantime
                        if owner is not None:
                            owner.remove(n)
                        continue
                    return Trial(self, n, resumed=now)
                except BaseException:  # give it back: paused again, to be resumed first
                    if owner is not None:
                        owner.remove(n)
                    self._view.sync()
                    self._repause(self._view.trial(n))
                    raise
        return None

    def _repause(self, t: FrozenTrial) -> None:
        if t.state is TrialState.RUNNING and t.checkpoints:
            value = {"step": max(t.checkpoints), "reason": "recovered"}
            self._append(
                [Event(EventKind.TRIAL_PAUSED, t.number, value=value, unique_key=f"pause:{t.number}:{t.n_pauses}")]
            )

    def _claim_waiting(
        self, space: Mapping[str, Distribution] | None, owner: _Owner | None
    ) -> tuple[int | None, dict[str, Any] | None]:
        for n in self._view.waiting_numbers():
            fixed = dict(self._view.trial(n).fixed_params)
            for name, dist in (space or {}).items():
                if name in fixed and not dist.contains(fixed[name]):
                    raise InvalidSpaceError(
                        f"ask: enqueued trial {n} has {name}={fixed[name]!r}, which is not in {short_repr(dist)}; the "
                        "trial stays WAITING (ask with a space that holds the value, or without a space, to run it)"
                    )
            beat = None if owner is None else (n, owner.ttl)
            claim = [Event(EventKind.TRIAL_STARTED, n, unique_key=f"start:{n}")]
            if owner is not None:
                claim.append(Event(EventKind.SYSTEM_ATTR, n, WORKER_ATTR, owner.worker()))
            if self._storage.append(self._study_id, claim, heartbeat=beat):
                if owner is not None:
                    owner.add(n)
                return n, fixed
        return None, None

    def tell(
        self,
        trial: Trial | int,
        value: Any = None,
        *,
        state: TrialState | None = None,
        reason: str | None = None,
        values: Any = None,
        skip_if_finished: bool = False,
    ) -> FrozenTrial:
        """Finish a trial with its objective ``value`` (or a ``state``: PRUNED or FAIL).

        A value that is NaN, infinite or not a number marks the trial FAIL, with the
        reason recorded in ``fail_reason`` (and a warning). A PRUNED trial keeps its last
        reported value. ``values`` (a number or a list of one) is Optuna's name for
        ``value``; with ``skip_if_finished`` a finished trial is returned as it is.
        """
        if values is not None:
            if value is not None:
                raise InvalidValueError("tell: give value or values, not both")
            if self.is_multi_objective:
                value = values
            else:
                from sturgeon._optuna import _single_value

                value = _single_value(values, "tell")
        if skip_if_finished:
            number = trial.number if isinstance(trial, Trial) else trial
            self._view.sync()
            if isinstance(number, int) and 0 <= number < len(self._view):
                current = self._view.trial(number)
                if current.state.is_finished:
                    return current
        return self._tell(trial, value, state=state, reason=reason, warn=True)

    def _tell(
        self, trial: Trial | int, value: Any, *, state: TrialState | None, reason: str | None, warn: bool
    ) -> FrozenTrial:
        if isinstance(trial, Trial):
            if trial.study is not self and trial.study._study_id != self._study_id:
                raise InvalidValueError(f"tell: trial {trial.number} belongs to another study")
            handle: Trial | None = trial
            number = trial.number
        elif isinstance(trial, int) and not isinstance(trial, bool):
            handle, number = None, trial
        else:
            raise InvalidValueError(f"tell: trial must be a Trial or a trial number, got {short_repr(trial)}")
        if state is not None and not isinstance(state, TrialState):
            raise InvalidValueError(f"tell: state must be a TrialState, got {short_repr(state)}")
        if reason is not None and not isinstance(reason, str):
            raise InvalidValueError(f"tell: reason must be a string or None, got {short_repr(reason)}")
        if state is None or state is TrialState.COMPLETE:
            vs: tuple[float, ...] | None = None
            if self.is_multi_objective:
                v, (vs, why) = None, objective_values(value, len(self._directions))
            else:
                v, why = objective_value(value)
            if why is None:
                why = self._constraints_problem(handle, number, v, vs)
            if why is not None:
                if warn:
                    warnings.warn(f"trial {number} failed: {why}", stacklevel=3)
                return self._finish(handle or number, TrialState.FAIL, None, why)
            return self._finish(handle or number, TrialState.COMPLETE, v, None, values=vs)
        if state is TrialState.PRUNED:
            return self._finish(handle or number, TrialState.PRUNED, None, None)
        if state is TrialState.FAIL:
            return self._finish(handle or number, TrialState.FAIL, None, reason)
        if state is TrialState.PAUSED:
            if handle is None or handle.state is not TrialState.RUNNING or not handle.checkpoint_steps:
                raise TrialStateError(
                    f"tell: trial {number} can be PAUSED only through its running Trial handle, after it "
                    "committed a checkpoint (trial.checkpoint(step))"
                )
            return self._pause(handle, handle.checkpoint_steps[-1], "rule")
        raise InvalidValueError(f"tell: state must be COMPLETE, PRUNED, FAIL or PAUSED, got {state.value}")

    def _stopped(self, trial: Trial) -> FrozenTrial:
        """The objective raised ``TrialPruned``: act on a request from outside that asked for
        it (stop, pause, rewind), else pause the trial if its rule said PAUSE and it has a
        checkpoint at that step, else prune it."""
        control = trial._control
        if control is not None:
            return self._act(trial, control)
        step = trial._pause_step()
        if step is not None:
            return self._pause(trial, step, "budget" if trial._budget_pause else "rule")
        return self._tell(trial, None, state=TrialState.PRUNED, reason=None, warn=False)

    def _act(self, trial: Trial, request: dict[str, Any]) -> FrozenTrial:
        action, rid = request["action"], request["id"]
        if action == "stop":
            return self._stop_finish(trial, request)
        if action == "pause":
            return self._pause(trial, trial.checkpoint_steps[-1], "user", {"request": rid})
        if action == "exploit":  # a rule's: go on from the copy of another trial's checkpoint
            src = request["source"]
            extra = {"params": request["params"], "source": src, "note": request.get("reason")}
            return self._pause(trial, int(src["step"]), "exploit", extra)
        # rewind: paused at the checkpoint asked for, the new values applied when it resumes
        extra = {"request": rid, "params": request.get("params") or {}, "note": request.get("reason")}
        return self._pause(trial, int(request["to_step"]), "rewind", extra)

    def _stop_finish(self, trial: Trial | int, request: dict[str, Any]) -> FrozenTrial:
        """Finish a trial a person stopped: COMPLETE with its best reported value, or PRUNED."""
        number = trial.number if isinstance(trial, Trial) else trial
        reported = trial._intermediate if isinstance(trial, Trial) else self._view.trial(number).intermediate_values
        finite = [v for v in reported.values() if not math.isnan(v)]
        note = {"request": request.get("id"), "reason": request.get("reason"), "by": request.get("by")}
        self._append([Event(EventKind.SYSTEM_ATTR, number, "stopped_by", note)])
        if request.get("prune") or not finite or self.is_multi_objective:
            return self._finish(trial, TrialState.PRUNED, None, None)
        best = max(finite) if self.direction == "maximize" else min(finite)
        return self._finish(trial, TrialState.COMPLETE, best, None)

    def _pause(self, trial: Trial, step: int, reason: str, extra: Mapping[str, Any] | None = None) -> FrozenTrial:
        n = trial.number
        key = f"pause:{n}:{self._view.trial(n).n_pauses}"
        value = {"step": step, "reason": reason, **(extra or {})}
        if not self._append([Event(EventKind.TRIAL_PAUSED, n, value=value, unique_key=key)]):
            self._view.sync()
            raise TrialStateError(f"tell: trial {n} is {self._view.trial(n).state.value}; it cannot be paused")
        trial._state = TrialState.PAUSED
        trial._release_fetched()
        self._view.sync()
        return self._view.trial(n)

    def _constraints_problem(
        self, handle: Trial | None, number: int, value: float | None, values: tuple[float, ...] | None
    ) -> str | None:
        """Run ``constraints_func`` on the trial about to complete (its result is recorded with the
        finish); why it could not, or None."""
        if self.constraints_func is None:
            return None
        self._view.sync()
        if not 0 <= number < len(self._view):
            return None  # _finish names the missing trial
        current = self._view.trial(number)
        if handle is not None:
            current = dataclasses.replace(
                current,
                params=handle.params,
                distributions=handle.distributions,
                user_attrs=handle.user_attrs,
                intermediate_values=handle.intermediate_values,
            )
        done = dataclasses.replace(current, state=TrialState.COMPLETE, value=value, objective_values=values)
        try:
            result = self.constraints_func(done)
        except Exception as e:
            return f"constraints_func raised {type(e).__name__}: {e}"
        from sturgeon.trial import check_constraints

        try:
            self._pending_constraints[number] = check_constraints(result, "constraints_func")
        except InvalidValueError as e:
            return str(e)
        return None

    def _finish(
        self,
        trial: Trial | int,
        state: TrialState,
        value: float | None,
        reason: str | None,
        *,
        values: tuple[float, ...] | None = None,
    ) -> FrozenTrial:
        if isinstance(trial, Trial):
            number, reported = trial.number, trial._intermediate
        else:  # a bare number: check it against the stored trial
            number = trial
            self._view.sync()
            if not 0 <= number < len(self._view):
                raise InvalidValueError(f"tell: study {self.name!r} has no trial {number}")
            current = self._view.trial(number)
            if current.state is TrialState.WAITING:
                raise TrialStateError(f"tell: trial {number} is WAITING (enqueued, never started)")
            if current.state.is_finished:  # e.g. one recorded finished by add_trial (no finish key)
                raise TrialStateError(f"tell: trial {number} is already finished ({current.state.value})")
            reported = dict(current.intermediate_values)
        if state is TrialState.PRUNED and value is None and reported:
            value = reported[max(reported)]
            if math.isnan(value):  # a diverged last report: the pruned trial has no value
                value = None
        if self.is_multi_objective:
            value = None  # a pruned trial's last report is not a vector of objectives
        events = []
        if reason is not None:
            events.append(Event(EventKind.SYSTEM_ATTR, number, "fail_reason", reason))
        constraints = self._pending_constraints.pop(number, None)
        if constraints is not None:
            events.append(Event(EventKind.SYSTEM_ATTR, number, CONSTRAINTS_ATTR, constraints))
        finished: dict[str, Any] = {"state": state.value, "value": value}
        if values is not None:
            finished["values"] = list(values)
        events.append(Event(EventKind.TRIAL_FINISHED, number, value=finished, unique_key=f"finish:{number}"))
        if not self._append(events):
            self._view.sync()
            actual = self._view.trial(number).state
            if isinstance(trial, Trial):
                trial._state = actual
            raise TrialStateError(f"tell: trial {number} is already finished ({actual.value})")
        if isinstance(trial, Trial):
            trial._state = state
            trial._release_fetched()
        self._view.sync()
        if self._view.trial(number).checkpoints:
            self._checkpoints.collect([number])
        warn_unused(self._view.trial(number))
        return self._view.trial(number)

    # -- crash recovery --------------------------------------------------------------------
    def fail_stale_trials(self) -> list[int]:
        """Recover RUNNING trials whose worker stopped sending heartbeats (it crashed or was
        killed): a trial with a checkpoint goes back to PAUSED and is resumed by the next
        worker that asks; any other is failed and its parameters are enqueued again.
        Each recovery lands only while the heartbeat is still expired (``storage.recover``),
        so a worker whose beat came late keeps its trial, and two workers recovering at
        once act once. Returns the numbers of the trials failed."""
        stale = self._storage.stale_trials(self._study_id)
        failed: list[int] = []
        if not stale:
            return failed
        self._view.sync()
        for n in stale:
            t = self._view.trial(n) if n < len(self._view) else None
            if t is None or t.state is not TrialState.RUNNING:  # a heartbeat left behind
                self._storage.clear_heartbeat(self._study_id, n)
            elif t.checkpoints:
                value = {"step": max(t.checkpoints), "reason": "recovered"}
                pause = Event(EventKind.TRIAL_PAUSED, n, value=value, unique_key=f"pause:{n}:{t.n_pauses}")
                self._storage.recover(self._study_id, n, [pause])
            elif self._storage.recover(
                self._study_id,
                n,
                [
                    Event(EventKind.SYSTEM_ATTR, n, "fail_reason", "stale: its worker stopped sending heartbeats"),
                    Event(
                        EventKind.TRIAL_FINISHED, n, value={"state": "FAIL", "value": None}, unique_key=f"finish:{n}"
                    ),
                ],
            ):
                failed.append(n)
                self._requeue(n, {**t.fixed_params, **t.params})
        self._view.sync()
        return failed

    # -- the loop --------------------------------------------------------------------------
    def optimize(
        self,
        func: Objective,
        n_trials: int | None = None,
        timeout: float | None = None,
        n_jobs: int = 1,
        catch: Iterable[type[BaseException]] | type[BaseException] = (),
        callbacks: Sequence[Callable[[Study, FrozenTrial], None]] | None = None,
        show_progress_bar: bool | None = None,
        heartbeat_interval: float = 10.0,
        resource_budget: int | None = None,
        executor: str | RayExecutor = "thread",
        trial_timeout: float | None = None,
        trial_memory: int | None = None,
        retries: int = 1,
        retry_on: Iterable[type[BaseException]] | type[BaseException] = (),
    ) -> None:
        """Run ``func`` on new trials until ``n_trials`` have run (in this call), ``timeout``
        seconds have passed, the study has trained ``resource_budget`` steps in total
        (``total_resource``), the grid is exhausted or ``study.stop()`` is called.

        ``resource_budget`` is a cap: once it is spent, a running trial pauses at its next
        report that has a checkpoint (reason "budget"; a later ``optimize`` with budget left
        resumes it first), so parallel trials overrun it by at most a step each. A trial at
        its last step (``TrialLoop`` says which it is) or without checkpoints trains to the end.

        Paused trials that may go on (promoted by the pruner, or recovered from a dead
        worker) are resumed before new trials start; resumptions do not count toward
        ``n_trials``, and once ``n_trials`` new trials have started the loop still resumes
        what can be resumed, then returns.

        ``n_jobs`` threads run trials at once (-1: one per CPU); with ``executor="process"``,
        ``n_jobs`` worker processes (a study in an SQLite file or on PostgreSQL; the objective
        travels with cloudpickle, so one defined in ``__main__`` or a notebook works; callbacks
        and the progress bar run here). Threads are the default: they share the objective's
        memory (data loaded once, closures that collect results), and PyTorch, NumPy and
        scikit-learn release the GIL while they compute; processes suit objectives whose own
        Python code is the work; ``executor=RayExecutor(address, resources_per_trial)`` runs
        ``n_jobs`` Ray actors on a cluster. With processes, ``trial_timeout`` (seconds) and
        ``trial_memory`` (bytes of resident memory) limit each trial: the executor kills the
        worker of a trial past its limit, the trial is FAIL with the reason ("TIMEOUT: ...",
        "OOM: ...") and a new worker goes on; a worker that dies otherwise ("KILLED by signal
        N", "WORKER_LOST") has its trial recovered as a dead worker's is. A trial lost to a
        crash (a dead worker, Ctrl-C) is queued again (``retry_of``), up to ``retries`` times
        along a configuration's chain (then it records ``retries_exhausted``); an objective's
        exception is retried that way only when listed in ``retry_on``. Exceptions listed in
        ``catch`` mark the trial FAIL and the loop goes on; any other exception marks it
        FAIL, stops the loop and is re-raised. Each callback gets (study, finished trial).
        Each trial this call runs has a heartbeat from its creation or claim on, renewed every
        ``heartbeat_interval`` seconds (> 0, finite) by a thread of its own, so that a crashed
        worker's trial is detected (it expires after 3 intervals + 1 s); the same thread recovers
        other workers' dead trials (``fail_stale_trials``) every interval, as this method does
        when it starts. ``timeout`` must be finite (None: no limit).
        """
        from sturgeon._optimize import run_optimize

        run_optimize(
            self,
            func,
            n_trials=n_trials,
            timeout=timeout,
            n_jobs=n_jobs,
            catch=catch,
            callbacks=callbacks,
            show_progress_bar=show_progress_bar,
            heartbeat_interval=heartbeat_interval,
            resource_budget=resource_budget,
            executor=executor,
            trial_timeout=trial_timeout,
            trial_memory=trial_memory,
            retries=retries,
            retry_on=retry_on,
        )

    def stop(self, *, reason: str | None = None) -> None:
        """Ask every running ``optimize`` of this study, in this process or any other that
        reaches the storage (``sturgeon worker``, another machine), to start no new trial,
        finish its running ones and return. A recorded study event (who asked, why, when):
        ``optimize`` calls started after it are not stopped by it."""
        from sturgeon._live import STOP_ATTR, requester

        if reason is not None and not isinstance(reason, str):
            raise InvalidValueError(f"stop: reason must be text or None, got {short_repr(reason)}")
        self._stop_flag.set()
        note = {"id": uuid.uuid4().hex, "by": requester(), "reason": reason, "time": time.time()}
        self._append([Event(EventKind.SYSTEM_ATTR, None, STOP_ATTR, note)])

    # -- live changes (docs/architecture.md, "Live changes") -----------------------------------
    def _live_target(self, number: Any, action: str) -> FrozenTrial:
        from sturgeon._live import check_request

        if isinstance(number, bool) or not isinstance(number, int):
            raise InvalidValueError(f"{action}: trial must be a trial number (int), got {short_repr(number)}")
        self._view.sync()
        if not 0 <= number < len(self._view):
            raise InvalidValueError(f"{action}: study {self.name!r} has no trial {number} (it has {len(self._view)})")
        trial = self._view.trial(number)
        check_request(trial, action)
        return trial

    def _request(self, trial: FrozenTrial, action: str, reason: str | None, **fields: Any) -> None:
        from sturgeon._live import requester

        if reason is not None and not isinstance(reason, str):
            raise InvalidValueError(f"{action}: reason must be a string or None, got {short_repr(reason)}")
        value = {"action": action, "by": requester(), **fields}
        if reason:
            value["reason"] = reason
        self._append([Event(EventKind.LIVE_REQUEST, trial.number, value=value)])
        self._view.sync()

    def set_live_params(
        self,
        trial: int,
        params: Mapping[str, Any],
        *,
        reason: str | None = None,
        allow_outside: bool = False,
        allow_new: bool = False,
    ) -> None:
        """Change hyperparameters of a running (or paused) trial, from any process that reaches
        the storage. The trial applies the change at its next report and records the step from
        which the new values are in force; inside the objective ``trial.live_params`` has them.
        Values are checked against the parameter's distribution (``allow_outside`` widens it;
        ``allow_new`` allows a name the trial did not suggest)."""
        from sturgeon._live import check_live_values

        target = self._live_target(trial, "set")
        values = check_live_values(target, params, allow_outside=allow_outside, allow_new=allow_new)
        self._request(target, "set", reason, params=values)

    def pause_trial(self, trial: int, *, reason: str | None = None) -> None:
        """Ask a running trial to pause at its next report, at its latest checkpoint (it needs
        one); it waits, PAUSED, until ``resume_trial``."""
        self._request(self._live_target(trial, "pause"), "pause", reason)

    def resume_trial(self, trial: int, *, reason: str | None = None) -> None:
        """Ask the study's workers to resume a paused trial (the next one that asks takes it)."""
        self._request(self._live_target(trial, "resume"), "resume", reason)

    def stop_trial(self, trial: int, *, prune: bool = False, reason: str | None = None) -> FrozenTrial:
        """Finish a trial: COMPLETE with its best reported value (PRUNED with ``prune``). A
        running trial stops at its next report (its objective must check ``should_prune``);
        a paused one at once. Returns the trial as it is now."""
        from sturgeon._live import requester

        target = self._live_target(trial, "stop")
        if target.state is TrialState.PAUSED:  # no owner: finish it here
            request = {"action": "stop", "prune": bool(prune), "reason": reason, "by": requester(), "id": None}
            return self._stop_finish(target.number, request)
        self._request(target, "stop", reason, prune=bool(prune))
        return self._view.trial(target.number)

    def rewind_trial(
        self,
        trial: int,
        to_step: int,
        params: Mapping[str, Any] | None = None,
        *,
        reason: str | None = None,
        allow_outside: bool = False,
        allow_new: bool = False,
    ) -> None:
        """Go back: the trial continues from its checkpoint at ``to_step`` (with new values
        when ``params`` are given). Its reports after ``to_step`` stay in the log, marked
        superseded. A running trial goes back at its next report, a paused one at once."""
        from sturgeon._live import check_live_values

        target = self._live_target(trial, "rewind")
        if isinstance(to_step, bool) or not isinstance(to_step, int) or to_step not in target.checkpoints:
            have = sorted(target.checkpoints) or "none"
            raise InvalidValueError(
                f"rewind: trial {target.number} has no checkpoint at step {short_repr(to_step)} (it has checkpoints at "
                f"steps: {have}; keep more with trial.set_checkpoint_keep(n))"
            )
        values = check_live_values(target, params, allow_outside=allow_outside, allow_new=allow_new) if params else {}
        self._request(target, "rewind", reason, to_step=to_step, params=values)

    def set_trial_user_attr(self, trial: int, key: str, value: Any) -> None:
        """Attach a JSON-serializable value to trial ``trial``, in any state (a note on a
        finished trial, from any process)."""
        self._view.sync()
        if isinstance(trial, bool) or not isinstance(trial, int) or not 0 <= trial < len(self._view):
            raise InvalidValueError(f"set_trial_user_attr: study {self.name!r} has no trial {trial!r}")
        if not isinstance(key, str) or not key:
            raise InvalidValueError(f"set_trial_user_attr: key must be a non-empty string, got {key!r}")
        check_json(f"set_trial_user_attr({key!r})", value)
        self._append([Event(EventKind.USER_ATTR, trial, key, value)])

    def exclude_trial(self, trial: int, *, reason: str | None = None) -> None:
        """Leave trial ``trial`` out of what samplers, pruners, importance and ``best_*`` read
        (a wrong measurement, a bug in that run): recorded with the reason and who asked,
        reversible with ``include_trial``, and every exclusion stays in the log."""
        self._set_excluded(trial, True, reason)

    def include_trial(self, trial: int, *, reason: str | None = None) -> None:
        """Undo ``exclude_trial``."""
        self._set_excluded(trial, False, reason)

    def _set_excluded(self, trial: Any, excluded: bool, reason: str | None) -> None:
        from sturgeon._frozen import EXCLUDED_ATTR
        from sturgeon._live import requester

        what = "exclude_trial" if excluded else "include_trial"
        self._view.sync()
        if isinstance(trial, bool) or not isinstance(trial, int) or not 0 <= trial < len(self._view):
            raise InvalidValueError(f"{what}: study {self.name!r} has no trial {trial!r}")
        if reason is not None and not isinstance(reason, str):
            raise InvalidValueError(f"{what}: reason must be text or None, got {reason!r}")
        t = self._view.trial(trial)
        note = {"reason": reason, "by": requester(), "time": time.time()}
        log = [*t.system_attrs.get("exclusion_log", []), {"excluded": excluded, **note}]
        self._append(
            [
                Event(EventKind.SYSTEM_ATTR, trial, EXCLUDED_ATTR, note if excluded else None),
                Event(EventKind.SYSTEM_ATTR, trial, "exclusion_log", log),
            ]
        )
        self._view.sync()

    def schedule(self, trial: int) -> list[tuple[int, dict[str, Any]]]:
        """The values in force at each step along the trial's lineage: [(first step, every
        value from it on), ...], starting at (0, ...). A trial that went on from another
        trial's checkpoint (a PBT exploit) has that trial's schedule up to the checkpoint."""
        self._view.sync()
        if isinstance(trial, bool) or not isinstance(trial, int) or not 0 <= trial < len(self._view):
            raise InvalidValueError(f"schedule: study {self.name!r} has no trial {short_repr(trial)}")
        return _lineage(self._view.trials(), trial, None)

    def replay(self, trial: int) -> int:
        """Enqueue one run trained from scratch with ``trial``'s whole schedule (its lineage's
        values by step): the next worker runs it, applying each value at the step it came in
        force, with no rule stopping or changing it. Returns the new trial's number."""
        sched = self.schedule(trial)
        start, rest = sched[0][1], [[step, values] for step, values in sched[1:]]
        events = [
            Event(EventKind.TRIAL_CREATED, value={"state": "WAITING", "fixed_params": dict(start)}),
            Event(EventKind.SYSTEM_ATTR, key=REPLAY_ATTR, value=trial),
            Event(EventKind.SYSTEM_ATTR, key=_REPLAY_SCHEDULE, value=rest),
        ]
        return self._storage.create_trial(self._study_id, events)

    # -- reading the results -----------------------------------------------------------------
    def suggested_ranges(self, *, top_fraction: float = 0.2, margin: float = 0.25) -> dict[str, Distribution]:
        """The ranges where the best ``top_fraction`` of the trials lie (widened by ``margin`` of
        their span), as a space to search next: ``study.ask(study.suggested_ranges())``.
        Warns for each parameter whose best value sits at a bound ("widen the range")."""
        from sturgeon.analysis import edge_warnings, narrowed_space

        trials = self._synced_trials()
        for msg in edge_warnings(trials, self.direction):
            warnings.warn(msg, UserWarning, stacklevel=2)
        return narrowed_space(trials, self.direction, top_fraction=top_fraction, margin=margin)

    # -- export ----------------------------------------------------------------------------
    def to_dataframe(self) -> pandas.DataFrame:
        """One row per trial: number, state, value, times, ``params_*`` and ``user_attrs_*``."""
        from sturgeon._export import trials_dataframe

        return trials_dataframe(self.trials)

    # -- Optuna's names (sturgeon/_optuna.py, docs/optuna.md): aliases of the methods above ----
    @property
    def study_name(self) -> str:
        return self.name

    @property
    def directions(self) -> list[StudyDirection]:
        """The direction of each objective (one entry for a study of one objective)."""
        return [StudyDirection(d) for d in self._directions]

    @property
    def system_attrs(self) -> dict[str, Any]:
        self._view.sync()
        return dict(self._view.system_attrs)

    @property
    def best_trials(self) -> list[FrozenTrial]:
        """The Pareto front: every feasible COMPLETE trial no other one dominates (better or
        equal in every objective, better in one), by number; excluded trials left out. In a
        study of one objective, every trial with the best value. Empty before one completes."""
        if not self.is_multi_objective:
            try:
                best = self.best_value
            except NoCompletedTrialsError:
                return []
            return [
                t
                for t in self._synced_trials()
                if t.state is TrialState.COMPLETE and t.value == best and not t.excluded and t.feasible
            ]
        from sturgeon._pareto import as_losses, pareto_mask

        done = self._front_candidates()
        if not done:
            return []
        mask = pareto_mask(as_losses([t.values for t in done], self._directions))
        return [t for t, keep in zip(done, mask, strict=True) if keep]

    def _front_candidates(self) -> list[FrozenTrial]:
        return [
            t
            for t in self._synced_trials()
            if t.state is TrialState.COMPLETE
            and t.values is not None
            and not t.excluded
            and t.feasible
            and all(math.isfinite(v) for v in t.values)
        ]

    def hypervolume(self, reference: Sequence[float] | None = None) -> tuple[float, list[float]]:
        """(hypervolume of the Pareto front, the reference point used), in the objectives' own
        directions. Default reference: per objective, the worst value of the feasible COMPLETE
        trials plus 10 % of their range (stated in the second item)."""
        import numpy as np

        from sturgeon._pareto import as_losses, default_reference, hypervolume

        done = self._front_candidates()
        m = len(self._directions)
        if reference is not None:
            if isinstance(reference, str) or not isinstance(reference, Sequence) or len(reference) != m:
                raise InvalidValueError(
                    f"hypervolume: reference must be a list of {m} numbers, got {short_repr(reference)}"
                )
            ref = as_losses([[float(r) for r in reference]], self._directions)[0]
        elif not done:
            raise NoCompletedTrialsError(f"study {self.name!r} has no feasible COMPLETE trial yet")
        Y = as_losses([t.values for t in done], self._directions) if done else np.zeros((0, m))
        if reference is None:
            ref = default_reference(Y)
        shown = as_losses([ref], self._directions)[0]  # back in the objectives' directions
        return hypervolume(Y, ref), [float(r) for r in shown]

    def enqueue_trial(
        self,
        params: Mapping[str, Any],
        user_attrs: Mapping[str, Any] | None = None,
        skip_if_exists: bool = False,
    ) -> None:
        """``enqueue`` (Optuna's name)."""
        self.enqueue(params, user_attrs=user_attrs, skip_if_exists=skip_if_exists)

    def trials_dataframe(
        self,
        attrs: Sequence[str] = (
            "number",
            "value",
            "datetime_start",
            "datetime_complete",
            "duration",
            "params",
            "user_attrs",
            "system_attrs",
            "state",
        ),
        multi_index: bool = False,
    ) -> pandas.DataFrame:
        """``to_dataframe`` cut to Optuna's ``attrs`` (``duration`` is ``duration_s``, in seconds)."""
        from sturgeon._optuna import trials_dataframe

        return trials_dataframe(self, attrs, multi_index)

    def add_trial(self, trial: FrozenTrial) -> int:
        """Record a finished (or WAITING) trial made with ``sturgeon.trial.create_trial`` (a
        result from elsewhere); samplers learn from it. Returns its number."""
        from sturgeon._optuna import check_added_trial, trial_events

        check_added_trial(trial, "add_trial")
        n_values = 0 if trial.values is None else len(trial.values)
        if trial.state is TrialState.COMPLETE and n_values != len(self._directions):
            raise InvalidValueError(
                f"add_trial: the trial has {n_values} values; study {self.name!r} has {len(self._directions)} "
                "objectives"
            )
        return self._storage.create_trial(self._study_id, trial_events(trial))

    def add_trials(self, trials: Iterable[FrozenTrial]) -> list[int]:
        """``add_trial`` for each; returns their numbers."""
        return [self.add_trial(t) for t in trials]


# -- module-level functions ----------------------------------------------------------------
@dataclass(frozen=True)
class StudySummary:
    """One line of ``list_studies``."""

    name: str
    direction: str
    n_trials: int
    n_complete: int
    best_value: float | None
    created_at: Any
    best_trial: FrozenTrial | None = None
    user_attrs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def study_name(self) -> str:
        """``name`` (Optuna's name for it)."""
        return self.name

    @property
    def datetime_start(self) -> Any:
        """``created_at`` (Optuna's name for it)."""
        return self.created_at

    @property
    def directions(self) -> list[StudyDirection]:
        return [StudyDirection(d) for d in self.direction.split(",")]


def _lineage(trials: Sequence[FrozenTrial], number: int, until: int | None) -> list[tuple[int, dict[str, Any]]]:
    """The schedule of trial ``number`` for its steps up to ``until`` (None: all), following
    the exploits it went through (each takes the donor's schedule up to the donor's step)."""
    t = trials[number]
    changes = [c for c in t.live_changes if not c.superseded and (until is None or c.step <= until)]
    changes.sort(key=lambda c: c.step)  # stable: log order within a step
    cut = max((i for i, c in enumerate(changes) if c.action == "exploit" and c.source), default=None)
    if cut is None:
        out = [(0, dict(t.params))]
    else:
        donor, at = changes[cut].source  # type: ignore[misc]
        out = _lineage(trials, donor, at)
        changes = changes[cut:]
    return fold_schedule(out, changes)


def create_study(
    name: str | None = None,
    *,
    direction: str = "minimize",
    directions: Sequence[str] | None = None,
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
    """Create a study (in memory when ``storage`` is None, else in the database at that URL).

    ``sampler``: "auto", "random", "grid", ... or a sampler object; ``pruner``: "auto" (the
    default: nothing for objectives that never report), None, "median", "asha",
    "hyperband", ... or a pruner object; ``seed`` makes the sequence of suggestions
    reproducible. With ``load_if_exists`` an existing study of that name is loaded instead of
    refused.

    Checkpoints (``trial.checkpoint``) go to ``artifacts``, any fsspec URL or folder (default:
    a folder beside the SQLite file, a temporary folder for in-memory studies; required for
    other databases); each running or paused trial keeps its newest ``checkpoint_keep``
    (default 2); ``artifacts_max_bytes`` caps the study's checkpoints in total.

    Several objectives: ``directions=["minimize", "maximize", ...]``; the objective returns
    one value per direction, ``study.best_trials`` is the Pareto front (docs/multiobjective.md).
    ``constraints_func(trial)`` returns a list of numbers for a finished trial, each satisfied
    at <= 0: samplers prefer the feasible region and ``best_*`` name feasible trials only.
    """
    dirs = _check_directions(direction, directions)
    direction = ",".join(dirs)
    _check_seed(seed)
    if name is None:
        name = f"study-{uuid.uuid4().hex[:8]}"
    check_name("create_study: name", name)
    if not name.strip():
        raise InvalidValueError(f"create_study: name must not be blank, got {short_repr(name)}")
    backend = get_storage(storage)
    try:
        backend.create_study(name, direction)
    except DuplicatedStudyError:
        if not load_if_exists:
            raise DuplicatedStudyError(
                f"a study named {short_repr(name)} exists already; pass load_if_exists=True to continue it"
            ) from None
    record = backend.get_study(name)
    if record.direction != direction:
        raise InvalidValueError(
            f"study {short_repr(name)} exists with directions {list(record.directions)}; it cannot be loaded "
            f"with {list(dirs)}"
        )
    return Study(
        storage=backend,
        record=record,
        sampler=sampler,
        pruner=pruner,
        seed=seed,
        artifacts=artifacts,
        checkpoint_keep=checkpoint_keep,
        artifacts_max_bytes=artifacts_max_bytes,
        constraints_func=constraints_func,
    )


def load_study(
    name: str,
    *,
    storage: str | BaseStorage,
    sampler: str | BaseSampler | None = "auto",
    pruner: str | BasePruner | None = "auto",
    seed: int | None = None,
    artifacts: str | None = None,
    checkpoint_keep: int | None = None,
    artifacts_max_bytes: int | None = None,
    constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
) -> Study:
    """Open an existing study; ``StudyNotFoundError`` if there is none by that name. The
    artifact store recorded on the study is used unless ``artifacts`` names another."""
    check_name("load_study: name", name)
    backend = get_storage(storage)
    return Study(
        storage=backend,
        record=backend.get_study(name),
        sampler=sampler,
        pruner=pruner,
        seed=seed,
        artifacts=artifacts,
        checkpoint_keep=checkpoint_keep,
        artifacts_max_bytes=artifacts_max_bytes,
        constraints_func=constraints_func,
    )


def delete_study(name: str, *, storage: str | BaseStorage) -> None:
    """Delete a study, all its trials and all its checkpoints."""
    check_name("delete_study: name", name)
    backend = get_storage(storage)
    try:
        record = backend.get_study(name)
        view = StudyView(backend, record.study_id)
        view.sync()
        Checkpoints(
            storage=backend, view=view, study_id=record.study_id, study_name=name, url=None, keep=None, max_bytes=None
        ).delete_all()
        backend.delete_study(record.study_id)
    finally:
        if backend is not storage:
            backend.close()


def list_studies(storage: str | BaseStorage) -> list[StudySummary]:
    """Every study in the storage, with trial counts and best value."""
    backend = get_storage(storage)
    out = []
    try:
        for rec in backend.list_studies():
            view = StudyView(backend, rec.study_id)
            view.sync()
            trials = view.trials()
            done = [t for t in trials if t.state is TrialState.COMPLETE and t.values is not None and not t.excluded]
            n_complete = len(done)
            done = [t for t in done if t.value is not None and t.feasible]  # none with several objectives
            sign = 1.0 if rec.direction == "minimize" else -1.0
            top = min(done, key=lambda t: sign * (t.value or 0.0)) if done else None
            best = None if top is None else top.value
            summary = StudySummary(rec.name, rec.direction, len(trials), n_complete, best, rec.created_at, top)
            out.append(dataclasses.replace(summary, user_attrs=dict(view.user_attrs)))
    finally:
        if backend is not storage:
            backend.close()
    return out
