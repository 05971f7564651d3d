"""Random API calls with odd arguments, on real storages (memory, an SQLite file, PostgreSQL).

Every call either works or raises a clear error: a sturgeon error, or a ValueError / TypeError
(KeyError where the API documents it: an unknown study) whose message names the argument at
fault. Never a raw OverflowError, RecursionError, UnicodeError, AttributeError or a driver
error. At the end, once the fuzzer has told every trial it still holds, no trial is RUNNING.
The sequence is fixed by a seed.
"""

from __future__ import annotations

import math
import random
import traceback
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

import sturgeon as sg
from sturgeon import TrialState

SEED = 20240905


def _deep(depth: int) -> list[Any]:
    out: list[Any] = []
    for _ in range(depth):
        out = [out]
    return out


_NUMBERS: list[Any] = [
    0,
    1,
    -1,
    3,
    0.5,
    -2.5,
    1e-9,
    10**400,
    -(10**400),
    2**53 + 1,
    2**1100,
    10**5000,
    math.nan,
    math.inf,
    -math.inf,
    1e308,
    -1e308,
    5e-324,
    np.float64(1.5),
    np.int64(3),
    np.float32("nan"),
    Fraction(1, 3),
    complex(1, 2),
]
_ODD: list[Any] = [
    True,
    None,
    "x",
    "",
    "\x00",
    "\ud800",
    "é" * 300,
    [],
    {},
    [1, [2]],
    {"a": 1},
    {1: "a"},
    _deep(20_000),
    object(),
    b"bytes",
    {1, 2},
    (1, 2),
    np.array([1.0, 2.0]),
]
_NAMES: list[Any] = [
    "x",
    "lr",
    "units",
    "k",
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "é",
    "名前",
    "x" * 300,
    "y" * 600,
    5,
    None,
    b"x",
    ("a",),
]


def _any_value(rng: random.Random) -> Any:
    return rng.choice(_NUMBERS if rng.random() < 0.6 else _ODD)


@dataclass
class Fuzzer:
    """Holds the studies and the trials it asked for; ``call`` runs one random API call."""

    storage: Any
    rng: random.Random
    studies: list[sg.Study] = field(default_factory=list)
    held: list[sg.Trial] = field(default_factory=list)
    calls: int = 0
    raised: dict[str, int] = field(default_factory=dict)
    unclear: list[str] = field(default_factory=list)

    # -- the calls ---------------------------------------------------------------------------
    def study(self) -> sg.Study:
        if not self.studies:
            self.studies.append(
                sg.create_study(name=f"fuzz-{uuid.uuid4().hex[:8]}", storage=self.storage, sampler="random", seed=0)
            )
        return self.rng.choice(self.studies)

    def name(self) -> Any:
        return self.rng.choice(_NAMES) if self.rng.random() < 0.4 else self.rng.choice(["x", "lr", "units", "k"])

    def dist(self) -> Any:
        r = self.rng
        kind = r.randrange(4)
        if kind == 0:
            return self._guard(
                ["low", "high", "log", "step"],
                lambda: sg.Float(
                    r.choice([0, 1e-5, -1.0, _any_value(r)]),
                    r.choice([1.0, 10.0, _any_value(r)]),
                    log=r.choice([False, False, True, _any_value(r)]),
                    step=r.choice([None, None, 0.5, _any_value(r)]),
                ),
            )
        if kind == 1:
            return self._guard(
                ["low", "high", "log", "step"],
                lambda: sg.Int(
                    r.choice([0, 1, _any_value(r)]),
                    r.choice([10, 2**1100, _any_value(r)]),
                    log=r.choice([False, True, _any_value(r)]),
                    step=r.choice([1, 1, 2, _any_value(r)]),
                ),
            )
        if kind == 2:
            choices = r.choice([["a", "b"], [1, 2, 3], [_any_value(r), _any_value(r)], _any_value(r)])
            return self._guard(["choice"], lambda: sg.Categorical(choices))
        return _any_value(r)

    def space(self) -> Any:
        if self.rng.random() < 0.1:
            return _any_value(self.rng)
        return {self.name(): self.dist() for _ in range(self.rng.randrange(1, 4))}

    def ask(self) -> None:
        s, space = self.study(), self.space()
        trial = self._guard(["space", "parameter", "enqueued", "name", "low", "grid"], lambda: s.ask(space))
        if isinstance(trial, sg.Trial):
            self.held.append(trial)

    def trial(self) -> sg.Trial | None:
        if not self.held:
            self.ask()
        return self.rng.choice(self.held) if self.held else None

    def tell(self) -> None:
        r, s = self.rng, self.study()
        t = self.trial()
        target: Any = t if (t is not None and r.random() < 0.8) else r.choice([0, -1, 10**6, "x", None, 2**70])
        if isinstance(target, sg.Trial) and target.study is not s:
            s = target.study
        value = r.choice([1.0, 0.25, _any_value(r)])
        state = r.choice([None, None, TrialState.PRUNED, TrialState.FAIL, TrialState.PAUSED, "FAIL", 3])
        reason = r.choice([None, "why", _any_value(r)])
        done = self._guard(
            ["trial", "state", "reason", "finished", "paused", "waiting"],
            lambda: s.tell(target, value, state=state, reason=reason),
        )
        if isinstance(target, sg.Trial) and target.state is not TrialState.RUNNING and target in self.held:
            self.held.remove(target)
        del done

    def enqueue(self) -> None:
        r, s = self.rng, self.study()
        params = r.choice([{self.name(): _any_value(r)}, {"x": 3.5}, {"k": 2}, _any_value(r)])
        attrs = r.choice([None, None, {self.name(): _any_value(r)}, _any_value(r)])
        self._guard(["params", "parameter", "user_attrs"], lambda: s.enqueue(params, user_attrs=attrs))

    def report(self) -> None:
        r, t = self.rng, self.trial()
        if t is not None:
            self._guard(["value", "step", "trial"], lambda: t.report(_any_value(r), r.choice([0, 1, 2, _any_value(r)])))

    def suggest(self) -> None:
        r, t = self.rng, self.trial()
        if t is None:
            return
        how, name = r.randrange(3), self.name()
        low, high, choices = (
            r.choice([0, _any_value(r)]),
            r.choice([10, _any_value(r)]),
            r.choice([["a"], _any_value(r)]),
        )

        def call() -> Any:
            if how == 0:
                return t.suggest_float(name, low, high)
            if how == 1:
                return t.suggest_int(name, low, high)
            return t.suggest_categorical(name, choices)

        self._guard(["name", "parameter", "low", "high", "step", "choice", "trial"], call)

    def attrs(self) -> None:
        r = self.rng
        key, value = self.name(), _any_value(r)
        if r.random() < 0.5 and (t := self.trial()) is not None:
            self._guard(["key", "set_user_attr", "trial"], lambda: t.set_user_attr(key, value))
        else:
            s = self.study()
            self._guard(["key", "set_user_attr"], lambda: s.set_user_attr(key, value))

    def read(self) -> None:
        r, s = self.rng, self.study()
        states = r.choice(
            [None, TrialState.COMPLETE, TrialState.RUNNING, (TrialState.FAIL, TrialState.WAITING), "COMPLETE", 5, [1]]
        )
        self._guard(["states"], lambda: s.get_trials(states=states))
        self._guard(["complete"], lambda: s.best_trial)
        s.fail_stale_trials()
        assert isinstance(s.trials, list)

    def create(self) -> None:
        r = self.rng
        name = r.choice([f"fuzz-{uuid.uuid4().hex[:8]}", self.name(), _any_value(r)])
        direction = r.choice(["minimize", "maximize", "max", _any_value(r)])
        sampler = r.choice(["random", "random", "tpe", "qmc", "nope", _any_value(r)])
        pruner = r.choice([None, "median", "auto", "nope", _any_value(r)])
        seed = r.choice([None, 0, 7, -1, 2**70, _any_value(r)])
        load = r.choice([True, False])
        study = self._guard(
            ["name", "direction", "sampler", "pruner", "seed", "exists"],
            lambda: sg.create_study(
                name=name,
                storage=self.storage,
                direction=direction,
                sampler=sampler,
                pruner=pruner,
                seed=seed,
                load_if_exists=load,
            ),
        )
        if isinstance(study, sg.Study) and len(self.studies) < 8:
            self.studies.append(study)
        self._guard(["name", "study"], lambda: sg.load_study(name=self.name(), storage=self.storage))

    def optimize(self) -> None:
        r, s = self.rng, self.study()
        returned = r.choice([0.5, 10**400, math.nan, "x", None, np.float64(2.0)])
        raises = r.random() < 0.2

        def objective(trial: sg.Trial) -> Any:
            trial.suggest_float("x", 0, 1)
            if raises:
                raise ValueError("objective failed")
            return returned

        kwargs = {
            "n_trials": r.choice([1, 2, 0, -1, 1.5]),
            "timeout": r.choice([None, None, 30.0, math.nan, math.inf, -1, 0]),
            "heartbeat_interval": r.choice([10.0, 10.0, math.nan, math.inf, -1.0, 0, 10**400, True]),
            "n_jobs": r.choice([1, 1, 2, 0, -2]),
            "catch": r.choice([(), (ValueError,), ValueError, [42]]),
        }
        self._guard(
            ["n_trials", "timeout", "heartbeat_interval", "n_jobs", "catch", "objective failed", "parameter"],
            lambda: s.optimize(objective, show_progress_bar=False, **kwargs),
        )

    def live(self) -> None:
        r, s = self.rng, self.study()
        number = r.choice([0, 1, -1, 10**6, _any_value(r)])
        params = r.choice([{"x": 0.5}, {self.name(): _any_value(r)}, _any_value(r)])
        self._guard(["trial", "param", "value", "set", "running", "state"], lambda: s.set_live_params(number, params))

    # -- running -----------------------------------------------------------------------------
    def _guard(self, names: list[str], call: Callable[[], Any]) -> Any:
        """Run one call; record an exception that is not clear (wrong type, or a message that
        names none of ``names``)."""
        self.calls += 1
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return call()
        except (sg.SturgeonError, ValueError, TypeError, KeyError) as e:
            kind = type(e).__name__
            self.raised[kind] = self.raised.get(kind, 0) + 1
            try:
                msg = str(e).lower()
            except Exception:
                msg = ""
            # a UnicodeError is a ValueError, a bare KeyError an internal lookup: neither is clear
            bad_type = isinstance(e, UnicodeError) or type(e) is KeyError
            if bad_type or not any(n.lower() in msg for n in names):
                self.unclear.append(f"{kind}: {msg[:300]} (expected a mention of one of {names}) {_where(e)}")
            return e
        except Exception as e:  # an unclear exception: recorded, the fuzzing goes on
            self.unclear.append(f"{type(e).__name__}: {str(e)[:300]!s} {_where(e)}")
            return e

    def run(self, n_calls: int, *, optimize: bool = True) -> None:
        ops = [self.ask, self.tell, self.enqueue, self.report, self.suggest, self.attrs, self.read, self.live]
        weights = [6, 5, 3, 3, 4, 3, 2, 1]
        ops += [lambda: self.dist(), self.create]
        weights += [6, 2]
        if optimize:
            ops.append(self.optimize)
            weights.append(1)
        while self.calls < n_calls:
            self.rng.choices(ops, weights)[0]()

    def finish(self) -> None:
        """Tell every trial the fuzzer holds, then nothing may be RUNNING."""
        for t in self.held:
            if t.state is TrialState.RUNNING:
                t.study.tell(t, 1.0)
        self.held.clear()
        for s in self.studies:
            running = [t.number for t in s.trials if t.state is TrialState.RUNNING]
            assert running == [], f"study {s.name!r}: trials {running} left RUNNING with no owner"


def _where(e: BaseException) -> str:
    """Where in sturgeon the exception came from (its deepest frame there)."""
    frames = [f for f in traceback.extract_tb(e.__traceback__) if "sturgeon" in f.filename]
    return f"at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else ""


def _fuzz(storage: Any, n_calls: int, seed: int, *, optimize: bool = True) -> Fuzzer:
    fuzzer = Fuzzer(storage, random.Random(seed))
    fuzzer.run(n_calls, optimize=optimize)
    fuzzer.finish()
    return fuzzer


def _check(fuzzer: Fuzzer) -> None:
    assert fuzzer.unclear == [], "\n".join(sorted(set(fuzzer.unclear)))
    assert sum(fuzzer.raised.values()) > fuzzer.calls // 10  # the odd arguments were odd enough


def test_fuzzed_api_calls_on_memory() -> None:
    _check(_fuzz(sg.storage.InMemoryStorage(), 1500, SEED))


def test_fuzzed_api_calls_on_sqlite(sqlite_url: str) -> None:
    _check(_fuzz(sqlite_url, 2500, SEED + 1))


def test_fuzzed_api_calls_on_postgresql(postgres: Any) -> None:
    _check(_fuzz(postgres.new_database(), 600, SEED + 2))


@pytest.mark.parametrize("value", [10**400, -(10**400), 2**1100], ids=["1e400", "-1e400", "2**1100"])
def test_a_huge_int_from_the_objective_fails_the_trial_with_its_reason(sqlite_url: str, value: int) -> None:
    study = sg.create_study(storage=sqlite_url, sampler="random")

    def objective(trial: sg.Trial) -> int:
        trial.suggest_float("x", 0, 1)
        return value

    study.optimize(objective, n_trials=1)  # no catch: the value is the trial's failure, not the loop's
    (t,) = study.trials
    assert t.state is TrialState.FAIL and "too large for a float" in t.fail_reason
    trial = study.ask()
    with pytest.warns(UserWarning, match="too large"):
        assert study.tell(trial, value).state is TrialState.FAIL
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.FAIL]
