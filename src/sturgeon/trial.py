"""``Trial``: the handle an objective gets to suggest parameters and report progress."""

from __future__ import annotations

import math
import shutil
import tempfile
import warnings
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sturgeon._checks import check_json, check_name, short_repr
from sturgeon._exceptions import InvalidSpaceError, InvalidValueError, TrialStateError
from sturgeon._frozen import CONSTRAINTS_ATTR, FrozenTrial, TrialState
from sturgeon._optuna import create_trial
from sturgeon.pruners import Change, Decision
from sturgeon.samplers import SampleContext
from sturgeon.space import MAX_INT, Categorical, CategoricalChoice, Distribution, Float, Int
from sturgeon.storage import Event, EventKind

if TYPE_CHECKING:
    from sturgeon.study import Study

__all__ = ["FrozenTrial", "Trial", "TrialState", "create_trial"]


class _LazyHistory(Sequence[FrozenTrial]):
    """The study's trials, read from storage only if a sampler looks at them."""

    def __init__(self, study: Study, *, synced: bool = False, number: int | None = None) -> None:
        self._study = study
        self._synced = synced
        self._number = number  # the trial being sampled: its ParEGO weights (samplers/_scalarize.py)
        self._trials: list[FrozenTrial] | None = None

    def _get(self) -> list[FrozenTrial]:
        if self._trials is None:
            study = self._study
            if not self._synced:
                study._view.sync()
            trials = study._view.rule_trials(study._rule_direction)
            if not getattr(study.sampler, "multi_objective", False):
                from sturgeon.samplers._scalarize import needs_scalarizing, scalarized, weights_for

                if needs_scalarizing(trials, study._directions):
                    m = len(study._directions)
                    weights = weights_for(study._seed, self._number or 0, m) if m > 1 else None
                    trials = scalarized(trials, study._directions, weights)
            self._trials = trials
        return self._trials

    def __len__(self) -> int:
        return len(self._get())

    def __getitem__(self, i: Any) -> Any:
        return self._get()[i]

    def __iter__(self) -> Iterator[FrozenTrial]:
        return iter(self._get())


class Trial:
    """One evaluation of the objective. Created by ``Study.ask`` or ``Study.optimize``.

    A Trial is used by one thread. Its parameters are stored as they are suggested, so a
    crash loses nothing that was decided.
    """

    def __init__(
        self,
        study: Study,
        number: int,
        *,
        fixed_params: Mapping[str, Any] | None = None,
        space: Mapping[str, Distribution] | None = None,
        resumed: FrozenTrial | None = None,
        replay: Sequence[Sequence[Any]] | None = None,
    ) -> None:
        self._study = study
        self._number = number
        self._params: dict[str, Any] = {}
        self._dists: dict[str, Distribution] = {}
        self._intermediate: dict[int, float] = {}
        self._user_attrs: dict[str, Any] = {}
        self._joint: dict[str, Any] | None = None
        self._joint_space: dict[str, Distribution] = {}
        self._state = TrialState.RUNNING
        self._checkpoints: dict[int, str] = {}
        self._resumed_step: int | None = None
        self._decision: tuple[Decision, int] | None = None  # the last rule decision and its step
        self._fetched: tuple[str, Path] | None = None  # a remote checkpoint downloaded for this run
        self._live: dict[str, Any] = {}  # live values set while it ran (over the starting params)
        self._control: dict[str, Any] | None = None  # a stop / pause / rewind request to act on
        self._changed_at: int | None = None  # the report step at which live values last changed
        self._ignored: set[int] = set()  # requests it cannot act on (warned once)
        self._decided: tuple[int, Decision] | None = None  # (step, decision): one decision per report
        self._resource_cap: int | None = None  # optimize's resource_budget: pause here once it is spent
        self._final_step: int | None = None  # the last step of a full training, when the loop says it
        # (TrialLoop does): no rule pauses or exploits there, and no budget pause
        self._budget_pause = False
        # a replay of a schedule: {first step: values}, applied at the report before each step
        self._replay = {int(step): dict(values) for step, values in replay} if replay is not None else None
        if self._replay is not None:
            self._live = dict(fixed_params or {})
        self._ctx = SampleContext(
            trial_number=number,
            rng=np.random.default_rng([study._seed, number]),
            direction=study._rule_direction,
            directions=study._directions,
            seed=study._seed,
            space=space,
            params=self._params,
            fixed_params=dict(fixed_params or {}),
            system_attrs={},
            claim=self._claim,
            refresh=study._refresh_for_sampler,
            set_system_attr=self._set_system_attr,
        )
        if resumed is not None:  # a paused trial going on: what it had decided stays decided
            self._params = dict(resumed.params)
            self._ctx.params = self._params
            self._dists = dict(resumed.distributions)
            self._intermediate = dict(resumed.intermediate_values)
            self._user_attrs = dict(resumed.user_attrs)
            self._ctx.system_attrs.update(resumed.system_attrs)
            self._checkpoints = dict(resumed.checkpoints)
            self._resumed_step = resumed.resumed_step
            self._live = dict(resumed.live_params)

    # -- read-only views ---------------------------------------------------------------------
    @property
    def number(self) -> int:
        """The trial's number in its study, from 0."""
        return self._number

    @property
    def params(self) -> dict[str, Any]:
        """Parameters suggested so far."""
        return dict(self._params)

    @property
    def distributions(self) -> dict[str, Distribution]:
        return dict(self._dists)

    @property
    def user_attrs(self) -> dict[str, Any]:
        return dict(self._user_attrs)

    @property
    def system_attrs(self) -> dict[str, Any]:
        return dict(self._ctx.system_attrs)

    @property
    def intermediate_values(self) -> dict[int, float]:
        return dict(self._intermediate)

    @property
    def state(self) -> TrialState:
        return self._state

    @property
    def live_params(self) -> dict[str, Any]:
        """The hyperparameter values in force now: the suggested ones with every live change
        applied so far. Refreshed at each ``report``: read the learning rate (say) from here
        at the start of every step to follow changes made from outside (``sturgeon set``)."""
        return {**self._params, **self._live}

    @property
    def resumed_step(self) -> int | None:
        """The step of the checkpoint this run continues from (train from ``resumed_step + 1``),
        or None for a fresh start. Load ``latest_checkpoint()`` when it is not None."""
        return self._resumed_step

    @property
    def checkpoint_steps(self) -> list[int]:
        """Steps of this trial's checkpoints that still exist, oldest first."""
        return sorted(self._checkpoints)

    @property
    def study(self) -> Study:
        return self._study

    def __repr__(self) -> str:
        return f"Trial(number={self._number}, params={self._params!r})"

    # -- suggestions ---------------------------------------------------------------------
    def suggest_float(
        self, name: str, low: float, high: float, *, log: bool = False, step: float | None = None
    ) -> float:
        """A float in [low, high]; ``log=True`` samples on a log scale, ``step`` on a grid."""
        return float(self.suggest(name, Float(low, high, log=log, step=step)))

    def suggest_int(self, name: str, low: int, high: int, *, log: bool = False, step: int = 1) -> int:
        """An int in [low, high] on a grid of ``step``; ``log=True`` samples on a log scale."""
        return int(self.suggest(name, Int(low, high, log=log, step=step)))

    def suggest_categorical(self, name: str, choices: Sequence[CategoricalChoice]) -> Any:
        """One of ``choices`` (None, bool, int, float or str values)."""
        return self.suggest(name, Categorical(choices))

    def suggest_uniform(self, name: str, low: float, high: float) -> float:
        """``suggest_float(name, low, high)`` (Optuna's older name)."""
        return self.suggest_float(name, low, high)

    def suggest_loguniform(self, name: str, low: float, high: float) -> float:
        """``suggest_float(name, low, high, log=True)`` (Optuna's older name)."""
        return self.suggest_float(name, low, high, log=True)

    def suggest_discrete_uniform(self, name: str, low: float, high: float, q: float) -> float:
        """``suggest_float(name, low, high, step=q)`` (Optuna's older name)."""
        return self.suggest_float(name, low, high, step=q)

    @property
    def datetime_start(self) -> Any:
        """When the trial started (None before the storage knows it)."""
        return self._study._view.trial(self._number).datetime_start

    def suggest(self, name: str, distribution: Distribution) -> Any:
        """A value for ``name`` from any ``Float`` / ``Int`` / ``Categorical``."""
        value, event = self._decide(name, distribution)
        if event is not None:
            self._study._append([event])
        return value

    def _decide(self, name: str, dist: Distribution) -> tuple[Any, Event | None]:
        self._check_running("suggest")
        check_name("suggest: the parameter name", name, error=InvalidSpaceError)
        if not isinstance(dist, Distribution):
            raise InvalidSpaceError(
                f"parameter {short_repr(name)}: expected a Float, Int or Categorical, got {short_repr(dist)}"
            )
        if name in self._params:
            if self._dists[name] != dist:
                raise InvalidSpaceError(
                    f"parameter {short_repr(name)} was already suggested in trial {self._number} as "
                    f"{self._dists[name]!r}; it cannot be asked again as {short_repr(dist)}"
                )
            return self._params[name], None
        value = self._pick(name, dist)
        self._params[name] = value
        self._dists[name] = dist
        return value, Event(EventKind.PARAM, self._number, name, [value, dist.to_json()])

    def _pick(self, name: str, dist: Distribution) -> Any:
        if name in self._ctx.fixed_params:
            return dist.check(name, self._ctx.fixed_params[name])
        if dist.is_single:
            return dist.normalize(dist.decode(0.5))
        sampler = self._study.sampler
        if self._joint is None:
            history = _LazyHistory(self._study, number=self._number)
            space = self._ctx.space if self._ctx.space is not None else sampler.infer_space(history)
            self._joint_space = {k: v for k, v in space.items() if k not in self._ctx.fixed_params}
            self._joint = sampler.sample_joint(self._joint_space, history, self._ctx) if self._joint_space else {}
        if name in self._joint and self._joint_space.get(name) == dist:
            value = self._joint[name]
        else:
            value = sampler.sample_one(name, dist, _LazyHistory(self._study, number=self._number), self._ctx)
        if not dist.contains(value):
            raise RuntimeError(
                f"{short_repr(sampler)} proposed {short_repr(value)} for {short_repr(name)}, outside {short_repr(dist)}"
            )
        return dist.normalize(value)

    def _claim(self, unique_key: str, attr: str, value: Any) -> bool:
        ok = self._study._storage.append(
            self._study._study_id, [Event(EventKind.SYSTEM_ATTR, self._number, attr, value, unique_key=unique_key)]
        )
        if ok:
            self._ctx.system_attrs[attr] = value
        return ok

    def _set_system_attr(self, key: str, value: Any) -> None:
        check_json(f"system attribute {key!r}", value)
        if self._ctx.system_attrs.get(key, object()) == value:
            return
        self._ctx.system_attrs[key] = value
        self._study._append([Event(EventKind.SYSTEM_ATTR, self._number, key, value)])

    # -- progress and pruning ------------------------------------------------------------
    def report(self, value: float, step: int) -> None:
        """Record an intermediate (validation) score at ``step``, for pruners and plots.

        NaN is allowed (a diverged run): every rule counts it as the worst value. Steps are
        the trial's resource (epochs, say): each step reported counts once toward
        ``FrozenTrial.resource``.
        """
        self._check_running("report")
        step = _check_step("report", step)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise InvalidValueError(f"report: value must be a number, got value={short_repr(value)} at step {step}")
        try:
            v = float(value)
        except OverflowError:
            v = math.inf  # refused just below
        if math.isinf(v):
            raise InvalidValueError(
                f"report: value must be finite or NaN, got value={short_repr(value)} at step {step}; return "
                "float('nan') from the objective to mark the trial FAIL instead"
            )
        if step in self._intermediate:
            warnings.warn(f"trial {self._number}: step {step} was reported already; ignoring", stacklevel=2)
            return
        if self._resumed_step is not None and step <= self._resumed_step:
            warnings.warn(
                f"trial {self._number}: step {step} is not after the checkpoint step {self._resumed_step} "
                "this run resumed from; ignoring",
                stacklevel=2,
            )
            return
        self._intermediate[step] = v
        self._study._append([Event(EventKind.INTERMEDIATE, self._number, str(step), None if math.isnan(v) else v)])
        if self._replay is not None and step + 1 in self._replay:
            self._apply(step, self._replay[step + 1], action="schedule", reason="replay")
        self._poll_requests(step)

    def _apply(self, step: int, params: Mapping[str, Any], **info: Any) -> None:
        """Record and apply live values in force from ``step + 1``."""
        from sturgeon._live import applied_event

        self._study._append([applied_event(self._number, step + 1, params, self.live_params, **info)])
        self._live.update(params)
        self._changed_at = step

    def _poll_requests(self, step: int) -> None:
        """Act on requests from outside: apply live changes (in force from ``step + 1``) and
        note a stop / pause / rewind for the next ``decide``."""
        view = self._study._view
        view.sync()
        requests = view.requests_of(self._number)
        if not requests:
            return
        for r in requests:
            action = r.get("action")
            if action == "set":
                self._apply(step, dict(r.get("params") or {}), request=r["id"], action="set", reason=r.get("reason"))
            elif _can_act(action, r, self._checkpoints):
                self._control = r
            elif action == "rewind" and r["id"] not in self._ignored:
                self._ignored.add(r["id"])
                warnings.warn(
                    f"trial {self._number}: cannot rewind to step {r.get('to_step')}: that checkpoint no "
                    "longer exists; ignoring the request",
                    stacklevel=3,
                )

    def decide(self) -> Decision:
        """The decision now: the study's pruner's (CONTINUE, PRUNE or PAUSE), a request from
        outside (PRUNE for a stop, PAUSE for a pause or a rewind), or CHANGE when live values
        changed at the last report and the rule says go on. ``should_prune`` is True for PRUNE
        and PAUSE."""
        self._check_running("should_prune")
        if self._control is not None:  # asked from outside (stop, pause, rewind) or an exploit
            return Decision.PRUNE if self._control["action"] == "stop" else Decision.PAUSE
        if not self._intermediate:
            return Decision.CONTINUE
        last = max(self._intermediate)
        if self._decided is not None and self._decided[0] == last:
            return self._decided[1]
        if self._replay is not None:  # a replay trains to the end, by its schedule
            decision = Decision.CONTINUE
        else:
            # synced by this step's report; no direction: a trial over a limit is PRUNED to pruners, not a result
            history = self._study._view.rule_trials()
            pruner, snapshot = self._study.pruner, self._snapshot()
            decision = pruner.decide(snapshot, history, self._study._rule_direction)
            if last == self._final_step and decision in (Decision.PAUSE, Decision.CHANGE):
                decision = Decision.CONTINUE  # the last step: a pause or an exploit would leave nothing to train
            if decision is Decision.CHANGE:
                decision = self._change(last, pruner.plan_change(snapshot, history, self._study._rule_direction))
        if decision in (Decision.CONTINUE, Decision.CHANGE) and self._budget_spent(last):
            decision, self._budget_pause = Decision.PAUSE, True
        self._decision = (decision, last)
        if decision is Decision.CONTINUE and self._changed_at == last:
            decision = Decision.CHANGE
        self._decided = (last, decision)
        return decision

    def _budget_spent(self, step: int) -> bool:
        """Whether the study has trained ``optimize``'s resource budget: the trial then pauses at
        this step's checkpoint (a later ``optimize`` with budget left resumes it), unless this is
        its last step or it has no checkpoint here (then it trains to the end)."""
        if self._resource_cap is None or step not in self._checkpoints or step == self._final_step:
            return False
        return self._study._view.total_resource >= self._resource_cap

    def _change(self, step: int, plan: Change | None) -> Decision:
        """A rule's change: new values now, or (an exploit) a copy of another trial's
        checkpoint and a pause there, to go on from it with the new values."""
        if plan is None or not plan.params:
            return Decision.CONTINUE
        if plan.source is None or plan.source[0] == self._number:
            self._apply(step, dict(plan.params), action="set", reason=plan.reason)
            return Decision.CHANGE
        donor, at = plan.source
        key = self._study._view.trial(donor).checkpoints.get(at)
        copied = None if key is None else self._study._checkpoints.copy(key, self._number, at)
        if copied is None:
            return Decision.CONTINUE  # the donor's checkpoint is gone: go on unchanged
        self._checkpoints[at] = copied
        self._control = {
            "action": "exploit",
            "id": None,
            "params": dict(plan.params),
            "source": {"trial": donor, "step": at},
            "reason": plan.reason,
        }
        return Decision.PAUSE

    def report_constraints(self, values: Sequence[float]) -> None:
        """Record the trial's constraint values (each satisfied at <= 0), e.g. a model's size
        over its limit: samplers steer away from infeasible regions and ``best_*`` name only
        feasible trials. The last report counts; a study's ``constraints_func`` overrides it."""
        self._check_running("report_constraints")
        checked = check_constraints(values, "report_constraints")
        self._set_system_attr(CONSTRAINTS_ATTR, checked)

    def should_prune(self) -> bool:
        """Whether the study's pruner says to stop this trial now (raise ``TrialPruned``).

        When the rule's decision is to pause and the trial committed a checkpoint at its last
        reported step, raising ``TrialPruned`` pauses the trial (it can be resumed from that
        checkpoint later) instead of pruning it. So save the checkpoint before asking."""
        return self.decide() in (Decision.PRUNE, Decision.PAUSE)

    # -- checkpoints -----------------------------------------------------------------------
    @contextmanager
    def checkpoint(self, step: int) -> Iterator[Path]:
        """An empty local folder to write the trial's state at ``step`` into; when the block
        exits without an error its files are committed to the study's artifact store at once
        (the checkpoint exists from then on; on an error nothing is kept).

            with trial.checkpoint(epoch) as folder:
                torch.save(model.state_dict(), folder / "model.pt")
        """
        self._check_running("checkpoint")
        step = _check_step("checkpoint", step)
        folder = Path(tempfile.mkdtemp(prefix=f"sturgeon-trial{self._number}-step{step}-"))
        try:
            yield folder
            key = self._study._checkpoints.commit(self._number, step, folder)
            self._checkpoints[step] = key
            self._study._checkpoints.collect([self._number])
            self._checkpoints = {s: k for s, k in self._checkpoints.items() if self._still_there(k)}
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _still_there(self, key: str) -> bool:
        return key in self._study._view.trial(self._number).checkpoints.values()

    def latest_checkpoint(self) -> Path | None:
        """The local folder of the trial's newest checkpoint (fetched from the store when it is
        remote), or None when it has none. Read it; do not write into it."""
        if not self._checkpoints:
            return None
        key = self._checkpoints[max(self._checkpoints)]
        store = self._study._checkpoints
        if store.is_local():
            return store.fetch(key)
        if self._fetched is not None and self._fetched[0] == key:
            return self._fetched[1]
        self._release_fetched()
        folder = store.fetch(key)  # a new temporary folder, removed when the trial stops running
        self._fetched = (key, folder)
        weakref.finalize(self, shutil.rmtree, folder, True)
        return folder

    def _release_fetched(self) -> None:
        if self._fetched is not None:
            shutil.rmtree(self._fetched[1], ignore_errors=True)
            self._fetched = None

    def set_checkpoint_keep(self, keep: int) -> None:
        """Keep this trial's newest ``keep`` checkpoints (default: the study's setting, 2), e.g.
        more for a long babysat run that may be rewound."""
        from sturgeon._checkpoints import KEEP_ATTR, check_keep

        self._set_system_attr(KEEP_ATTR, check_keep("set_checkpoint_keep", keep))

    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serializable value to the trial."""
        check_name("set_user_attr: key", key)
        check_json(f"set_user_attr({key!r})", value)
        self._user_attrs[key] = value
        self._study._append([Event(EventKind.USER_ATTR, self._number, key, value)])

    # -- internals -----------------------------------------------------------------------
    def _check_running(self, what: str) -> None:
        if self._state is not TrialState.RUNNING:
            raise TrialStateError(f"{what}: trial {self._number} is {self._state.value}, not RUNNING")

    def _snapshot(self) -> FrozenTrial:
        return FrozenTrial(
            number=self._number,
            state=self._state,
            value=None,
            params=dict(self._params),
            distributions=dict(self._dists),
            intermediate_values=dict(self._intermediate),
            user_attrs=dict(self._user_attrs),
            system_attrs=dict(self._ctx.system_attrs),
            datetime_start=None,
            datetime_complete=None,
            fixed_params=dict(self._ctx.fixed_params),
            checkpoints=dict(self._checkpoints),
            resumed_step=self._resumed_step,
            live_changes=self._study._view.trial(self._number).live_changes,  # as of the last report's sync
        )

    def _pause_step(self) -> int | None:
        """The step to pause at: the last decision was PAUSE and a checkpoint exists there."""
        if self._decision is None:
            return None
        decision, step = self._decision
        if decision is Decision.PAUSE and step in self._checkpoints and step == max(self._intermediate):
            return step
        return None


def _can_act(action: Any, request: Mapping[str, Any], checkpoints: Mapping[int, str]) -> bool:
    """Whether a running trial can act on a stop / pause / rewind request now: a pause needs a
    checkpoint, a rewind the checkpoint it asks for."""
    if action == "stop":
        return True
    if action == "pause":
        return bool(checkpoints)
    return action == "rewind" and request.get("to_step") in checkpoints


def check_constraints(values: Any, what: str) -> list[float]:
    """Constraint values as recorded: a non-empty list of finite numbers (each holds at <= 0)."""
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, (Sequence, np.ndarray)):
        raise InvalidValueError(
            f"{what} must give a list of numbers (each constraint holds at <= 0), got {short_repr(values)}"
        )
    out = []
    for i, v in enumerate(values):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise InvalidValueError(f"{what}: constraint {i} must be a number, got {short_repr(v)}")
        try:
            f = float(v)
        except OverflowError:
            f = math.inf
        if not math.isfinite(f):
            raise InvalidValueError(f"{what}: constraint {i} must be finite, got {short_repr(v)}")
        out.append(f)
    if not 1 <= len(out) <= 256:
        raise InvalidValueError(f"{what} must give 1 to 256 constraint values, got {len(out)}")
    return out


def _check_step(what: str, step: Any) -> int:
    if isinstance(step, (bool, np.bool_)) or not isinstance(step, (int, np.integer)) or not 0 <= step <= MAX_INT:
        raise InvalidValueError(f"{what}: step must be an int >= 0 (at most 2**53), got step={short_repr(step)}")
    return int(step)
