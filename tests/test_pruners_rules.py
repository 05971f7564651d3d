"""Stopping rules (percentile, median, threshold, patient, Wilcoxon) on hand-built histories,
then once each through a real study."""

from __future__ import annotations

import math
import pickle
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytest

import sturgeon as sg
from sturgeon import FrozenTrial, TrialState
from sturgeon.pruners import BasePruner, Decision, NopPruner
from sturgeon.pruners._median import MedianPruner
from sturgeon.pruners._patient import PatientPruner
from sturgeon.pruners._percentile import PercentilePruner
from sturgeon.pruners._threshold import ThresholdPruner
from sturgeon.pruners._wilcoxon import WilcoxonPruner

NAN = math.nan
CONTINUE, PRUNE, PAUSE = Decision.CONTINUE, Decision.PRUNE, Decision.PAUSE


def ft(
    number: int,
    values: Sequence[float] | Mapping[int, float] = (),
    state: TrialState = TrialState.COMPLETE,
    value: float | None = None,
) -> FrozenTrial:
    """A trial record: ``values`` as a list reports steps 0, 1, ...; a mapping gives the steps."""
    iv = dict(values) if isinstance(values, Mapping) else dict(enumerate(values))
    if value is None and state is TrialState.COMPLETE and iv:
        value = iv[max(iv)]
    return FrozenTrial(
        number=number,
        state=state,
        value=value,
        params={},
        distributions={},
        intermediate_values=iv,
        user_attrs={},
        system_attrs={},
        datetime_start=None,
        datetime_complete=None,
    )


def running(values: Sequence[float] | Mapping[int, float] = (), number: int = 99) -> FrozenTrial:
    return ft(number, values, TrialState.RUNNING)


def flat_history(bests: Sequence[float], steps: int = 3) -> list[FrozenTrial]:
    """Finished trials whose every step reports their best value."""
    return [ft(i, [b] * steps) for i, b in enumerate(bests)]


HISTORY_1_TO_5 = flat_history([1.0, 2.0, 3.0, 4.0, 5.0])  # median 3, 25th pct 2, 75th pct 4


class Always(BasePruner):
    """A stub that always says ``decision``."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision

    def decide(self, trial: FrozenTrial, history: Sequence[FrozenTrial], direction: str) -> Decision:
        return self.decision


ALL_RULES: list[BasePruner] = [
    PercentilePruner(25.0, n_startup_trials=0),
    MedianPruner(n_startup_trials=0),
    ThresholdPruner(upper=1.0),
    PatientPruner(None, 0),
    PatientPruner(MedianPruner(n_startup_trials=0), 1),
    WilcoxonPruner(n_startup_steps=0),
]


# -- every rule -------------------------------------------------------------------------------
@pytest.mark.parametrize("pruner", ALL_RULES, ids=repr)
@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_empty_history_and_no_reports_continue(pruner: BasePruner, direction: str) -> None:
    assert pruner.decide(running(), [], direction) is CONTINUE
    assert pruner.decide(running(), HISTORY_1_TO_5, direction) is CONTINUE
    assert pruner.decide(running([0.5]), [], direction) is CONTINUE


@pytest.mark.parametrize("pruner", ALL_RULES, ids=repr)
def test_history_without_reports_continues(pruner: BasePruner) -> None:
    history = [ft(i, [], value=float(i)) for i in range(6)]
    assert pruner.decide(running([0.5, 0.5]), history, "minimize") is CONTINUE


@pytest.mark.parametrize("pruner", ALL_RULES, ids=repr)
def test_repr_names_the_class(pruner: BasePruner) -> None:
    assert repr(pruner).startswith(type(pruner).__name__ + "(")


@pytest.mark.parametrize("pruner", ALL_RULES, ids=repr)
def test_pickle_round_trip_decides_the_same(pruner: BasePruner) -> None:
    trial = running([9.0, 9.0, 9.0])
    again = pickle.loads(pickle.dumps(pruner))
    assert repr(again) == repr(pruner)
    assert again.decide(trial, HISTORY_1_TO_5, "minimize") is pruner.decide(trial, HISTORY_1_TO_5, "minimize")


# -- PercentilePruner -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("percentile", "mine", "expected"),
    [
        (50.0, 3.5, PRUNE),
        (50.0, 3.0, CONTINUE),  # tie with the median
        (50.0, 2.9, CONTINUE),
        (25.0, 2.5, PRUNE),
        (25.0, 2.0, CONTINUE),
        (75.0, 4.5, PRUNE),
        (75.0, 3.5, CONTINUE),
        (0.0, 1.5, PRUNE),
        (100.0, 4.9, CONTINUE),
        (100.0, 5.1, PRUNE),
    ],
)
def test_percentile_minimize(percentile: float, mine: float, expected: Decision) -> None:
    pruner = PercentilePruner(percentile)
    assert pruner.decide(running([mine] * 3), HISTORY_1_TO_5, "minimize") is expected


@pytest.mark.parametrize(
    ("percentile", "mine", "expected"),
    [
        (50.0, 2.5, PRUNE),
        (50.0, 3.0, CONTINUE),
        (25.0, 3.5, PRUNE),  # keep the top quarter: threshold is the 75th percentile, 4
        (25.0, 4.0, CONTINUE),
        (75.0, 1.5, PRUNE),
        (75.0, 2.0, CONTINUE),
    ],
)
def test_percentile_maximize_uses_the_good_side(percentile: float, mine: float, expected: Decision) -> None:
    pruner = PercentilePruner(percentile)
    assert pruner.decide(running([mine] * 3), HISTORY_1_TO_5, "maximize") is expected


def test_percentile_interpolates_between_values() -> None:
    history = flat_history([1.0, 2.0, 3.0, 4.0])  # median 2.5
    pruner = PercentilePruner(50.0, n_startup_trials=4)
    assert pruner.decide(running([2.6]), history, "minimize") is PRUNE
    assert pruner.decide(running([2.5]), history, "minimize") is CONTINUE
    assert pruner.decide(running([2.4]), history, "maximize") is PRUNE


def test_percentile_uses_the_trials_best_value_so_far() -> None:
    pruner = MedianPruner()
    assert pruner.decide(running([1.0, 10.0, 10.0]), HISTORY_1_TO_5, "minimize") is CONTINUE
    assert pruner.decide(running([10.0, 1.0, 10.0]), HISTORY_1_TO_5, "maximize") is CONTINUE
    assert pruner.decide(running([10.0, 10.0, 10.0]), HISTORY_1_TO_5, "minimize") is PRUNE


def test_percentile_compares_other_trials_up_to_the_same_step_only() -> None:
    # each other trial starts at 10 and reaches its good value only at step 2
    history = [ft(i, [10.0, 10.0, float(i)]) for i in range(5)]
    pruner = MedianPruner()
    assert pruner.decide(running([5.0, 5.0]), history, "minimize") is CONTINUE  # median at step 1 is 10
    assert pruner.decide(running([5.0, 5.0, 5.0]), history, "minimize") is PRUNE  # median at step 2 is 2


def test_percentile_handles_missing_steps_in_other_trials() -> None:
    # the others reported steps 0 and 4 only; at step 2 their best so far is step 0's
    history = [ft(i, {0: float(i), 4: -100.0}) for i in range(5)]  # median of step 0 values: 2
    pruner = MedianPruner()
    assert pruner.decide(running([3.0, 3.0, 3.0]), history, "minimize") is PRUNE
    assert pruner.decide(running([2.0, 2.0, 2.0]), history, "minimize") is CONTINUE
    # a trial that reported only later than the step does not count (nor for n_min_trials)
    late = [ft(i, {5: 0.0}) for i in range(5, 10)]
    assert pruner.decide(running([3.0, 3.0, 3.0]), history + late, "minimize") is PRUNE
    assert MedianPruner(n_min_trials=6).decide(running([9.0] * 3), history + late, "minimize") is CONTINUE


def test_percentile_counts_complete_and_pruned_but_not_running_or_failed() -> None:
    pruner = MedianPruner(n_startup_trials=5)
    four = flat_history([1.0, 2.0, 3.0, 4.0])
    others = [
        ft(10, [0.0] * 3, TrialState.RUNNING),
        ft(11, [0.0] * 3, TrialState.FAIL),
        ft(12, [0.0] * 3, TrialState.WAITING),
    ]
    assert pruner.decide(running([9.0] * 3), four + others, "minimize") is CONTINUE
    with_pruned = [*four, ft(5, [5.0] * 3, TrialState.PRUNED, value=5.0)]
    assert pruner.decide(running([9.0] * 3), with_pruned + others, "minimize") is PRUNE
    # the pruned trial's values enter the median: it is 3, not 2.5
    assert pruner.decide(running([2.9] * 3), with_pruned, "minimize") is CONTINUE


def test_percentile_startup_trials_exclude_the_trial_itself() -> None:
    me = ft(7, [9.0] * 3, TrialState.COMPLETE)  # a stale copy of the trial in the history
    history = [*flat_history([1.0, 2.0, 3.0, 4.0]), me]
    assert MedianPruner(n_startup_trials=5).decide(running([9.0] * 3, number=7), history, "minimize") is CONTINUE
    assert MedianPruner(n_startup_trials=4).decide(running([9.0] * 3, number=7), history, "minimize") is PRUNE
    assert MedianPruner(n_startup_trials=0).decide(running([9.0] * 3), [], "minimize") is CONTINUE


def test_percentile_n_min_trials() -> None:
    history = [*flat_history([1.0, 2.0]), *[ft(i, {10: 0.0}) for i in range(2, 6)]]
    assert MedianPruner(n_min_trials=2).decide(running([9.0] * 3), history, "minimize") is PRUNE
    assert MedianPruner(n_min_trials=3).decide(running([9.0] * 3), history, "minimize") is CONTINUE


def test_percentile_warmup() -> None:
    history = flat_history([1.0, 2.0, 3.0, 4.0, 5.0], steps=10)
    pruner = MedianPruner(n_warmup_steps=3)
    assert pruner.decide(running([9.0] * 3), history, "minimize") is CONTINUE  # last step 2
    assert pruner.decide(running([9.0] * 4), history, "minimize") is PRUNE  # last step 3
    assert pruner.decide(running([9.0] * 8), history, "minimize") is PRUNE


def test_percentile_interval_steps() -> None:
    history = flat_history([1.0, 2.0, 3.0, 4.0, 5.0], steps=20)
    pruner = MedianPruner(n_warmup_steps=2, interval_steps=3)  # checks at 2, 5, 8, ...
    decisions = [pruner.decide(running([9.0] * (s + 1)), history, "minimize") for s in range(10)]
    assert [s for s, d in enumerate(decisions) if d is PRUNE] == [2, 5, 8]


def test_percentile_interval_check_moves_to_the_next_reported_step() -> None:
    history = flat_history([1.0, 2.0, 3.0, 4.0, 5.0], steps=20)
    pruner = MedianPruner(interval_steps=3)  # checks at 0, 3, 6, ...
    assert pruner.decide(running({0: 9.0, 1: 9.0, 2: 9.0, 4: 9.0}), history, "minimize") is PRUNE  # 3 skipped
    assert pruner.decide(running({0: 9.0, 4: 9.0, 5: 9.0}), history, "minimize") is CONTINUE  # 4 was the check
    assert pruner.decide(running({0: 9.0, 7: 9.0}), history, "minimize") is PRUNE


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_percentile_prunes_a_trial_whose_latest_report_is_nan(direction: str) -> None:
    good = 0.0 if direction == "minimize" else 10.0
    pruner = MedianPruner()
    assert pruner.decide(running([good, good, NAN]), HISTORY_1_TO_5, direction) is PRUNE
    assert pruner.decide(running([NAN, NAN, NAN]), HISTORY_1_TO_5, direction) is PRUNE
    # an earlier NaN is the worst value, so the best so far is the good one
    assert pruner.decide(running([NAN, good, good]), HISTORY_1_TO_5, direction) is CONTINUE
    # but not during warmup, before the startup trials, or between checks
    assert MedianPruner(n_warmup_steps=3).decide(running([good, good, NAN]), HISTORY_1_TO_5, direction) is CONTINUE
    assert MedianPruner(n_startup_trials=6).decide(running([good, good, NAN]), HISTORY_1_TO_5, direction) is CONTINUE
    assert MedianPruner(interval_steps=2).decide(running([good, NAN]), HISTORY_1_TO_5, direction) is CONTINUE


def test_percentile_counts_other_trials_nan_as_worst() -> None:
    history = [*flat_history([1.0, 2.0]), *[ft(i, [NAN] * 3, TrialState.PRUNED, value=NAN) for i in range(2, 5)]]
    # sorted bests: 1, 2, worst, worst, worst -> the median is the worst value: nothing beats it
    pruner = MedianPruner()
    assert pruner.decide(running([100.0] * 3), history, "minimize") is CONTINUE
    assert pruner.decide(running([-100.0] * 3), history, "maximize") is CONTINUE
    assert PercentilePruner(25.0).decide(running([2.5] * 3), history, "minimize") is PRUNE


def test_percentile_with_infinite_values() -> None:
    history = [*flat_history([1.0, 2.0]), *[ft(i, [math.inf] * 3) for i in range(2, 5)]]
    # sorted bests 1, 2, inf, inf, inf: the 25th percentile is 2, the 40th lies between 2 and inf
    assert PercentilePruner(25.0).decide(running([1e300] * 3), history, "minimize") is PRUNE
    assert PercentilePruner(40.0).decide(running([1e300] * 3), history, "minimize") is CONTINUE
    assert MedianPruner().decide(running([math.inf] * 3), history, "minimize") is CONTINUE  # a tie


def test_median_matches_percentile_50() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        history = [ft(i, rng.normal(size=4).tolist()) for i in range(6)]
        trial = running(rng.normal(size=int(rng.integers(1, 5))).tolist())
        for direction in ("minimize", "maximize"):
            expected = PercentilePruner(50.0, n_startup_trials=3).decide(trial, history, direction)
            assert MedianPruner(n_startup_trials=3).decide(trial, history, direction) is expected


def test_median_constructor_is_backward_compatible() -> None:
    pruner = MedianPruner(n_startup_trials=5, n_warmup_steps=5)
    assert (pruner.n_startup_trials, pruner.n_warmup_steps, pruner.interval_steps, pruner.n_min_trials) == (5, 5, 1, 1)
    assert isinstance(pruner, PercentilePruner) and pruner.percentile == 50.0
    with pytest.raises(TypeError):
        MedianPruner(5)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"percentile": -1.0}, "percentile"),
        ({"percentile": 100.5}, "percentile"),
        ({"percentile": NAN}, "percentile"),
        ({"percentile": "50"}, "percentile"),
        ({"percentile": True}, "percentile"),
        ({"percentile": 50.0, "n_startup_trials": -1}, "n_startup_trials"),
        ({"percentile": 50.0, "n_startup_trials": 2.0}, "n_startup_trials"),
        ({"percentile": 50.0, "n_warmup_steps": -1}, "n_warmup_steps"),
        ({"percentile": 50.0, "interval_steps": 0}, "interval_steps"),
        ({"percentile": 50.0, "n_min_trials": 0}, "n_min_trials"),
        ({"percentile": 50.0, "n_min_trials": None}, "n_min_trials"),
    ],
)
def test_percentile_bad_arguments(kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(sg.InvalidValueError, match=rf"^PercentilePruner: {name} must be .*, got {name}="):
        PercentilePruner(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["n_startup_trials", "n_warmup_steps", "interval_steps", "n_min_trials"])
def test_median_bad_arguments(name: str) -> None:
    with pytest.raises(sg.InvalidValueError, match=rf"^MedianPruner: {name} must be an int >= \d, got {name}=-1"):
        MedianPruner(**{name: -1})


def test_bad_direction_is_refused() -> None:
    with pytest.raises(sg.InvalidValueError, match="direction"):
        MedianPruner().decide(running([9.0] * 3), HISTORY_1_TO_5, "sideways")


# -- ThresholdPruner --------------------------------------------------------------------------
@pytest.mark.parametrize("direction", ["minimize", "maximize"])
@pytest.mark.parametrize(
    ("kwargs", "latest", "expected"),
    [
        ({"upper": 1.0}, 1.5, PRUNE),
        ({"upper": 1.0}, 1.0, CONTINUE),  # on the bound
        ({"upper": 1.0}, -1e9, CONTINUE),
        ({"lower": 0.0}, -0.1, PRUNE),
        ({"lower": 0.0}, 0.0, CONTINUE),
        ({"lower": 0.0}, 1e9, CONTINUE),
        ({"lower": 0.0, "upper": 1.0}, 0.5, CONTINUE),
        ({"lower": 0.0, "upper": 1.0}, 2.0, PRUNE),
        ({"lower": 0.0, "upper": 1.0}, -2.0, PRUNE),
        ({"lower": 1.0, "upper": 1.0}, 1.0, CONTINUE),
        ({"upper": 1.0}, NAN, PRUNE),
        ({"lower": 0.0}, NAN, PRUNE),
        ({"upper": 1.0}, math.inf, PRUNE),
        ({"lower": 0.0}, -math.inf, PRUNE),
    ],
)
def test_threshold(kwargs: dict[str, Any], latest: float, expected: Decision, direction: str) -> None:
    assert ThresholdPruner(**kwargs).decide(running([0.5, latest]), [], direction) is expected


def test_threshold_looks_at_the_latest_value_only() -> None:
    pruner = ThresholdPruner(upper=1.0)
    assert pruner.decide(running([5.0, NAN, 0.5]), [], "minimize") is CONTINUE
    assert pruner.decide(running({0: 0.5, 3: 0.5, 7: 5.0}), [], "minimize") is PRUNE


def test_threshold_warmup_and_interval() -> None:
    pruner = ThresholdPruner(upper=1.0, n_warmup_steps=2, interval_steps=2)  # checks at 2, 4, 6, ...
    decisions = [pruner.decide(running([5.0] * (s + 1)), [], "minimize") for s in range(7)]
    assert [s for s, d in enumerate(decisions) if d is PRUNE] == [2, 4, 6]
    assert pruner.decide(running([NAN, NAN]), [], "minimize") is CONTINUE  # step 1: warmup
    assert pruner.decide(running({0: 0.0, 3: NAN}), [], "minimize") is PRUNE  # the check at 2 moved to 3


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, r"lower or upper must be given"),
        ({"lower": 2.0, "upper": 1.0}, r"lower must be <= upper, got lower=2.0 and upper=1.0"),
        ({"lower": NAN}, r"lower must be a number \(not NaN\) or None, got lower=nan"),
        ({"upper": "1"}, r"upper must be .*, got upper='1'"),
        ({"upper": 1.0, "n_warmup_steps": -1}, r"n_warmup_steps must be an int >= 0, got n_warmup_steps=-1"),
        ({"upper": 1.0, "interval_steps": 0}, r"interval_steps must be an int >= 1, got interval_steps=0"),
    ],
)
def test_threshold_bad_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(sg.InvalidValueError, match="^ThresholdPruner: " + match):
        ThresholdPruner(**kwargs)  # type: ignore[arg-type]


def test_threshold_arguments_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        ThresholdPruner(0.0, 1.0)  # type: ignore[call-arg]


# -- PatientPruner ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "direction", "patience", "min_delta", "expected"),
    [
        ([5.0, 4.0, 3.0, 3.5, 3.6], "minimize", 2, 0.0, CONTINUE),  # improved inside the window
        ([1.0, 2.0, 3.0, 4.0], "minimize", 2, 0.0, PRUNE),  # worse than step 0 ever since
        ([1.0, 2.0, 1.0, 3.0], "minimize", 2, 0.0, CONTINUE),  # matched the past best: a tie
        ([1.0, 1.0, 1.0, 1.0], "minimize", 1, 0.0, CONTINUE),  # a plateau is a tie
        ([1.0, 2.0, 3.0], "minimize", 2, 0.0, CONTINUE),  # too few reports to judge
        ([1.0, 1.05, 1.2, 1.3], "minimize", 2, 0.1, CONTINUE),  # within min_delta of the past best
        ([1.0, 1.05, 1.2, 1.3], "minimize", 2, 0.01, PRUNE),
        ([2.0, 1.0], "minimize", 0, 0.0, CONTINUE),  # patience 0: the last report improved
        ([1.0, 2.0], "minimize", 0, 0.0, PRUNE),
        ([4.0, 3.0, 2.0, 1.0], "maximize", 2, 0.0, PRUNE),
        ([1.0, 2.0, 3.0, 4.0], "maximize", 2, 0.0, CONTINUE),
        ([3.0, 2.95, 2.9, 2.8], "maximize", 2, 0.1, CONTINUE),
        ([1.0, NAN, NAN, NAN], "minimize", 2, 0.0, PRUNE),  # NaN is the worst value
        ([1.0, NAN, NAN, NAN], "maximize", 2, 0.0, PRUNE),
        ([NAN, 5.0, 6.0, 7.0], "minimize", 2, 0.0, CONTINUE),  # anything beats a NaN past
        ([1.0, 5.0, NAN, 0.5], "minimize", 2, 0.0, CONTINUE),
    ],
)
def test_patient_without_wrapped_pruner(
    values: list[float], direction: str, patience: int, min_delta: float, expected: Decision
) -> None:
    pruner = PatientPruner(None, patience, min_delta=min_delta)
    assert pruner.decide(running(values), [], direction) is expected


def test_patient_orders_steps_and_handles_gaps() -> None:
    pruner = PatientPruner(None, 1)
    assert pruner.decide(running({10: 3.0, 0: 1.0, 5: 2.0}), [], "minimize") is PRUNE
    assert pruner.decide(running({10: 0.5, 0: 1.0, 5: 2.0}), [], "minimize") is CONTINUE


def test_patient_asks_the_wrapped_pruner_only_when_stalled() -> None:
    stalled, improving = running([1.0, 2.0, 3.0]), running([3.0, 2.0, 1.0])
    assert PatientPruner(Always(PRUNE), 1).decide(stalled, [], "minimize") is PRUNE
    assert PatientPruner(Always(CONTINUE), 1).decide(stalled, [], "minimize") is CONTINUE
    assert PatientPruner(Always(PRUNE), 1).decide(improving, [], "minimize") is CONTINUE
    assert PatientPruner(Always(PAUSE), 1).decide(stalled, [], "minimize") is PAUSE
    assert PatientPruner(NopPruner(), 1).decide(stalled, [], "minimize") is CONTINUE


def test_patient_with_a_real_wrapped_pruner() -> None:
    pruner = PatientPruner(MedianPruner(), 1)
    assert pruner.decide(running([4.0, 9.0, 9.0]), HISTORY_1_TO_5, "minimize") is PRUNE  # stalled, above median
    assert pruner.decide(running([2.0, 9.0, 9.0]), HISTORY_1_TO_5, "minimize") is CONTINUE  # best so far: 2
    assert pruner.decide(running([9.0, 8.0, 7.0]), HISTORY_1_TO_5, "minimize") is CONTINUE  # still improving
    assert pruner.decide(running([0.0, 0.5, 0.6]), HISTORY_1_TO_5, "minimize") is CONTINUE  # stalled, good
    history = flat_history([1.0, 2.0, 3.0])  # the median pruner is still in its startup
    assert pruner.decide(running([4.0, 9.0, 9.0]), history, "minimize") is CONTINUE


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((None, -1), {}, r"patience must be an int >= 0, got patience=-1"),
        ((None, 1.5), {}, r"patience must be an int >= 0, got patience=1.5"),
        ((None, 1), {"min_delta": -0.1}, r"min_delta must be a finite number >= 0, got min_delta=-0.1"),
        ((None, 1), {"min_delta": NAN}, r"min_delta must be a finite number >= 0, got min_delta=nan"),
        ((None, 1), {"min_delta": math.inf}, r"min_delta must be a finite number >= 0, got min_delta=inf"),
        (("median", 1), {}, r"wrapped_pruner must be a BasePruner or None, got wrapped_pruner='median'"),
    ],
)
def test_patient_bad_arguments(args: tuple[object, ...], kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(sg.InvalidValueError, match="^PatientPruner: " + match):
        PatientPruner(*args, **kwargs)  # type: ignore[arg-type]


# -- WilcoxonPruner ---------------------------------------------------------------------------
def scores(n: int, shift: float = 0.0) -> dict[int, float]:
    """Per-instance scores with "easy" and "hard" instances, optionally shifted."""
    return {i: float(i % 4) * 10.0 + shift for i in range(n)}


def best_history(n: int = 10) -> list[FrozenTrial]:
    return [
        ft(0, scores(n, 5.0)),  # a worse complete trial
        ft(1, scores(n)),  # the best (value 30 at the last step for n = 10: (9 % 4) * 10)
        ft(2, scores(n, -50.0), TrialState.PRUNED, value=-50.0),  # pruned trials are never the best
        ft(3, scores(n, -50.0), TrialState.RUNNING),
    ]


def test_wilcoxon_prunes_a_clearly_worse_trial() -> None:
    pruner = WilcoxonPruner()
    assert pruner.decide(running(scores(10, 1.0)), best_history(), "minimize") is PRUNE
    assert pruner.decide(running(scores(10, -1.0)), best_history(), "maximize") is PRUNE


def test_wilcoxon_continues_on_equal_or_better_trials() -> None:
    pruner = WilcoxonPruner(p_threshold=0.5)
    only = [ft(1, scores(10))]
    for direction in ("minimize", "maximize"):
        assert pruner.decide(running(scores(10)), only, direction) is CONTINUE  # every pair ties
        assert pruner.decide(running(scores(5)), only, direction) is CONTINUE
    assert pruner.decide(running(scores(10, -1.0)), only, "minimize") is CONTINUE
    assert pruner.decide(running(scores(10, 1.0)), only, "maximize") is CONTINUE


def test_wilcoxon_continues_on_mixed_evidence() -> None:
    mixed = {i: v + (1.0 if i % 2 else -1.0) for i, v in scores(10).items()}
    assert WilcoxonPruner().decide(running(mixed), best_history(), "minimize") is CONTINUE


def test_wilcoxon_pairs_instances_whatever_the_order() -> None:
    best = scores(10)
    mine = {i: best[i] + 1.0 for i in (7, 2, 9, 3, 6)}  # mean 23, worse than the best's 13
    assert WilcoxonPruner().decide(running(mine), best_history(), "minimize") is PRUNE  # p = 1/32
    assert WilcoxonPruner(p_threshold=0.03).decide(running(mine), best_history(), "minimize") is CONTINUE


def test_wilcoxon_p_threshold() -> None:
    trial = running(scores(4, 1.0))  # 4 pairs all worse: one-sided exact p = 1/16
    assert WilcoxonPruner(p_threshold=0.07).decide(trial, best_history(), "minimize") is PRUNE
    assert WilcoxonPruner(p_threshold=0.0625).decide(trial, best_history(), "minimize") is CONTINUE  # strict
    assert WilcoxonPruner(p_threshold=0.0).decide(trial, best_history(), "minimize") is CONTINUE


def test_wilcoxon_startup_steps() -> None:
    trial = running(scores(5, 100.0))
    assert WilcoxonPruner(n_startup_steps=5, p_threshold=0.5).decide(trial, best_history(), "minimize") is PRUNE
    assert WilcoxonPruner(n_startup_steps=6, p_threshold=0.5).decide(trial, best_history(), "minimize") is CONTINUE
    # never fewer than two pairs, whatever n_startup_steps says
    one = running({3: 1e6})
    assert WilcoxonPruner(n_startup_steps=0, p_threshold=1.0).decide(one, best_history(), "minimize") is CONTINUE
    # steps the best trial never reported do not pair
    far = running({100 + i: 1e6 for i in range(10)})
    assert WilcoxonPruner(p_threshold=1.0).decide(far, best_history(), "minimize") is CONTINUE


def test_wilcoxon_needs_a_complete_best_trial_with_reports() -> None:
    trial = running(scores(10, 1.0))
    pruned_only = [ft(0, scores(10), TrialState.PRUNED, value=0.0)]
    assert WilcoxonPruner().decide(trial, pruned_only, "minimize") is CONTINUE
    no_reports = [ft(0, {}, value=-1.0), ft(1, scores(10))]  # the best by value reported nothing
    assert WilcoxonPruner().decide(trial, no_reports, "minimize") is CONTINUE
    assert WilcoxonPruner().decide(trial, [ft(1, scores(10)), ft(0, {}, value=99.0)], "minimize") is PRUNE


def test_wilcoxon_compares_with_the_best_complete_trial() -> None:
    # worse than trial 1 (the best) on every instance, better than trial 0
    trial = running(scores(10, 2.0))
    assert WilcoxonPruner().decide(trial, best_history(), "minimize") is PRUNE
    assert WilcoxonPruner().decide(trial, best_history()[:1], "minimize") is CONTINUE
    # when maximizing, trial 0 (shift 5) is the best, and this trial is worse than it
    assert WilcoxonPruner().decide(trial, best_history(), "maximize") is PRUNE
    assert WilcoxonPruner().decide(running(scores(10, 6.0)), best_history(), "maximize") is CONTINUE


def test_wilcoxon_spares_a_trial_better_on_average() -> None:
    best = scores(10)
    mine: dict[int, float] = {i: best[i] + 1.0 for i in range(1, 7)}  # worse on each; mean 16 > 13
    assert WilcoxonPruner().decide(running(mine), best_history(), "minimize") is PRUNE
    mine[100] = -1000.0  # an instance the best never saw makes this trial's mean far better
    assert WilcoxonPruner().decide(running(mine), best_history(), "minimize") is CONTINUE


def test_wilcoxon_counts_nan_as_worst() -> None:
    best = scores(10)
    all_nan = running(dict.fromkeys(range(6), NAN))
    assert WilcoxonPruner().decide(all_nan, best_history(), "minimize") is PRUNE
    assert WilcoxonPruner().decide(all_nan, best_history(), "maximize") is PRUNE
    some_nan = running({**{i: best[i] + 0.5 for i in range(8)}, 8: NAN})
    assert WilcoxonPruner().decide(some_nan, best_history(), "minimize") is PRUNE
    # NaN in the best trial: it loses those pairs, and two NaNs tie
    nan_best = [ft(0, {**best, 0: NAN, 1: NAN, 2: NAN}, value=-1.0)]
    assert WilcoxonPruner().decide(running({i: best[i] + 0.5 for i in range(3)}), nan_best, "minimize") is CONTINUE
    assert WilcoxonPruner().decide(running(dict.fromkeys(range(3), NAN)), nan_best, "minimize") is CONTINUE


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"p_threshold": 1.5}, r"p_threshold must be a number in \[0, 1\], got p_threshold=1.5"),
        ({"p_threshold": -0.1}, r"p_threshold must be a number in \[0, 1\], got p_threshold=-0.1"),
        ({"p_threshold": NAN}, r"p_threshold must be a number in \[0, 1\], got p_threshold=nan"),
        ({"n_startup_steps": -1}, r"n_startup_steps must be an int >= 0, got n_startup_steps=-1"),
        ({"n_startup_steps": "2"}, r"n_startup_steps must be an int >= 0, got n_startup_steps='2'"),
    ],
)
def test_wilcoxon_bad_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(sg.InvalidValueError, match="^WilcoxonPruner: " + match):
        WilcoxonPruner(**kwargs)  # type: ignore[arg-type]


# -- through a real study ---------------------------------------------------------------------
def _curve_objective(trial: sg.Trial) -> float:
    """A learning curve whose level depends on x: bad x stays high from the first step."""
    x = trial.suggest_float("x", 0.0, 1.0)
    value = math.inf
    for step in range(8):
        value = x + 1.0 / (step + 1)
        trial.report(value, step)
        if trial.should_prune():
            raise sg.TrialPruned()
    return value


def _run(pruner: BasePruner, objective: object = _curve_objective, n_trials: int = 30) -> sg.Study:
    study = sg.create_study(direction="minimize", pruner=pruner, sampler="random", seed=0)
    study.optimize(objective, n_trials=n_trials)  # type: ignore[arg-type]
    return study


def _assert_pruned_and_complete(study: sg.Study) -> None:
    states = [t.state for t in study.trials]
    assert TrialState.PRUNED in states, states
    assert TrialState.COMPLETE in states, states


@pytest.mark.parametrize(
    "pruner",
    [
        PercentilePruner(25.0, n_startup_trials=3, n_warmup_steps=1),
        MedianPruner(n_startup_trials=3, interval_steps=2),
        ThresholdPruner(upper=1.0, n_warmup_steps=2),
    ],
    ids=repr,
)
def test_rule_in_a_real_study(pruner: BasePruner) -> None:
    _assert_pruned_and_complete(_run(pruner))


@pytest.mark.parametrize("wrapped", [None, MedianPruner(n_startup_trials=3)], ids=repr)
def test_patient_in_a_real_study(wrapped: BasePruner | None) -> None:
    def objective(trial: sg.Trial) -> float:
        turn = trial.suggest_int("turn", 1, 10)  # the curve gets worse after step ``turn``
        level = trial.suggest_float("level", 0.0, 2.0)
        value = math.inf
        for step in range(10):
            value = abs(step - turn) + level
            trial.report(value, step)
            if trial.should_prune():
                raise sg.TrialPruned()
        return value

    study = _run(PatientPruner(wrapped, 2), objective, n_trials=20)
    _assert_pruned_and_complete(study)
    for t in study.get_trials(states=(TrialState.PRUNED,)):  # stalled from three steps after the turn
        assert t.last_step is not None and t.last_step >= t.params["turn"] + 3
        assert wrapped is not None or t.last_step == t.params["turn"] + 3


def test_wilcoxon_in_a_real_study() -> None:
    instances = np.linspace(-1.0, 1.0, 20)

    def objective(trial: sg.Trial) -> float:
        x = trial.suggest_float("x", -1.0, 1.0)
        losses = []
        for i, c in enumerate(instances):
            losses.append(float((x - c) ** 2 + c**2))
            trial.report(losses[-1], i)
            if trial.should_prune():
                raise sg.TrialPruned()
        return float(np.mean(losses))

    study = _run(WilcoxonPruner(p_threshold=0.1), objective)
    _assert_pruned_and_complete(study)
    best = study.best_trial
    assert len(best.intermediate_values) == len(instances)
