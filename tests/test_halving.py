"""Successive halving (ASHA), Hyperband and the "auto" pruner on hand-built histories: where the
rungs sit, who goes on, who is stopped and who is paused, and who is promoted first."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pytest

import sturgeon as sg
from sturgeon import FrozenTrial, TrialState
from sturgeon.pruners import (
    AutoPruner,
    BasePruner,
    Decision,
    HyperbandPruner,
    MedianPruner,
    NopPruner,
    SuccessiveHalvingPruner,
    make_pruner,
)

NAN = math.nan
CONTINUE, PRUNE, PAUSE = Decision.CONTINUE, Decision.PRUNE, Decision.PAUSE
COMPLETE, RUNNING, PRUNED, PAUSED = TrialState.COMPLETE, TrialState.RUNNING, TrialState.PRUNED, TrialState.PAUSED
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def ft(
    number: int,
    values: Sequence[float] | Mapping[int, float] = (),
    state: TrialState = COMPLETE,
    *,
    checkpoints: Iterable[int] = (),
    completed_at: float | None = None,
) -> FrozenTrial:
    """A trial record. ``values`` as a list reports steps 0, 1, ...; a mapping gives the steps.
    ``checkpoints``: steps with a committed checkpoint (makes it pause-capable there). A COMPLETE
    trial completes ``completed_at`` seconds after T0 (default: its number)."""
    iv = dict(values) if isinstance(values, Mapping) else dict(enumerate(values))
    finished = state in (COMPLETE, PRUNED)
    done = T0 + dt.timedelta(seconds=number if completed_at is None else completed_at) if finished else None
    return FrozenTrial(
        number=number,
        state=state,
        value=iv[max(iv)] if iv and finished else None,
        params={},
        distributions={},
        intermediate_values=iv,
        user_attrs={},
        system_attrs={},
        datetime_start=T0,
        datetime_complete=done,
        checkpoints={s: f"study-1/trial-{number}/step-{s}-0000abcd" for s in checkpoints},
    )


def me(values: Sequence[float] | Mapping[int, float], *, number: int = 100, checkpoint: bool = False) -> FrozenTrial:
    """The running trial being decided; ``checkpoint``: it committed one at its last step."""
    iv = dict(values) if isinstance(values, Mapping) else dict(enumerate(values))
    return ft(number, iv, RUNNING, checkpoints=[max(iv)] if checkpoint else [])


def decide(pruner: BasePruner, trial: FrozenTrial, peers: Sequence[FrozenTrial], direction: str = "minimize"):
    """The pruner's decision, with the trial itself in the history (as the study passes it)."""
    return pruner.decide(trial, [*peers, trial], direction)


def sha(**kwargs: Any) -> SuccessiveHalvingPruner:
    return SuccessiveHalvingPruner(**{"min_resource": 1, "reduction_factor": 3, **kwargs})


def good_peers(n: int, steps: int = 40) -> list[FrozenTrial]:
    """``n`` finished trials better than anything the tests report (values below 0)."""
    return [ft(i, [-1.0 - i] * steps) for i in range(n)]


def decision_steps(pruner: BasePruner, history: Sequence[FrozenTrial], upto: int = 30) -> list[int]:
    """The steps at which a trial that is worst at every step (reporting 0, 1, ..., ``upto``)
    is stopped: exactly the first step of each rung, with the trial always at the bottom."""
    return [s for s in range(upto + 1) if decide(pruner, me([9.0] * (s + 1)), history) is not CONTINUE]


# -- rung placement -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "rung_steps"),
    [
        ({}, [0, 2, 8, 26]),  # resource 1, 3, 9, 27 -> the last step of each is resource - 1
        ({"max_resource": 9}, [0, 2]),  # a rung at max_resource would stop finished trials: none
        ({"max_resource": 10}, [0, 2, 8]),
        ({"min_resource": 2, "reduction_factor": 2}, [1, 3, 7, 15]),
        ({"min_early_stopping_rate": 1}, [2, 8, 26]),
        ({"min_resource": 2, "min_early_stopping_rate": 2}, [17]),  # 2 * 3**2 = 18, then 54
        ({"min_resource": 4, "reduction_factor": 4, "max_resource": 64}, [3, 15]),
        ({"min_resource": 1, "reduction_factor": 2, "min_early_stopping_rate": 2, "max_resource": 16}, [3, 7]),
    ],
)
def test_rungs_sit_at_min_resource_times_powers_of_the_reduction_factor(kwargs, rung_steps):
    assert decision_steps(sha(**kwargs), good_peers(5)) == rung_steps


def test_a_trial_is_decided_at_its_first_report_at_a_rung_only():
    pruner = sha()
    peers = good_peers(5)
    assert decide(pruner, me([9.0]), peers) is PRUNE
    assert decide(pruner, me([9.0, 9.0]), peers) is CONTINUE  # step 1: rung 0 was decided at step 0
    assert decide(pruner, me({0: 9.0, 1: 9.0, 2: 9.0}), peers) is PRUNE  # rung at step 2
    assert decide(pruner, me({0: 9.0, 1: 9.0, 2: 9.0, 3: 9.0}), peers) is CONTINUE


def test_missing_steps_a_rung_is_reached_by_the_first_report_at_or_after_it():
    pruner = sha(reduction_factor=2)  # rungs at steps 0, 1, 3, 7, 15
    every_other = {s: 9.0 for s in range(0, 9, 2)}  # reports at 0, 2, 4, 6, 8 only
    peers = good_peers(5)
    got = [decide(pruner, me({s: v for s, v in every_other.items() if s <= last}), peers) for last in every_other]
    # step 2 reaches rung 1, step 4 rung 3, step 6 no new rung, step 8 rung 7
    assert got == [PRUNE, PRUNE, PRUNE, CONTINUE, PRUNE]


def test_peers_are_compared_at_their_own_first_report_at_the_rung():
    pruner = sha(reduction_factor=2)  # a rung at step 1
    # peers: 5.0 at step 1 (their rung value), much better later; one reports only every 2 steps
    peers = [ft(i, [5.0, 5.0, -10.0]) for i in range(3)] + [ft(3, {0: 5.0, 2: 5.0, 4: -10.0})]
    mine = me({0: 1.0, 2: 1.0})  # reaches rung 1 at step 2 with 1.0: better than the peers' 5.0
    assert decide(pruner, mine, peers) is CONTINUE
    assert decide(pruner, me({0: 1.0, 2: 6.0}), peers) is PRUNE


# -- stopping vs promotion ----------------------------------------------------------------------
def _rung_of(n: int, better: int) -> list[FrozenTrial]:
    """``n - 1`` peers at the rung of step 0: ``better`` of them better than 5.0, the rest worse."""
    return [ft(i, [1.0 + i * 0.01] if i < better else [10.0 + i]) for i in range(n - 1)]


@pytest.mark.parametrize("n", range(1, 11))
def test_stopping_keeps_the_best_max_1_n_over_rf(n):
    pruner = sha()
    for better in range(n):
        expected = CONTINUE if better < max(1, n // 3) else PRUNE
        assert decide(pruner, me([5.0]), _rung_of(n, better)) is expected, (n, better)


@pytest.mark.parametrize("n", range(1, 11))
def test_promotion_keeps_the_best_n_over_rf_and_pauses_the_rest(n):
    pruner = sha()
    for better in range(n):
        expected = CONTINUE if better < n // 3 else PAUSE
        assert decide(pruner, me([5.0], checkpoint=True), _rung_of(n, better)) is expected, (n, better)


def test_a_checkpoint_at_another_step_does_not_make_the_trial_pause():
    pruner = sha()
    peers = good_peers(5)
    old_checkpoint = ft(100, [9.0, 9.0, 9.0], RUNNING, checkpoints=[1])  # none at step 2, its rung
    assert decide(pruner, old_checkpoint, peers) is PRUNE
    at_the_rung = ft(100, [9.0, 9.0, 9.0], RUNNING, checkpoints=[1, 2])
    assert decide(pruner, at_the_rung, peers) is PAUSE


def test_peers_in_any_state_count_at_the_rung():
    pruner = sha()
    peers = [
        ft(0, [1.0], PRUNED),
        ft(1, [1.0, 1.0, 1.0], PAUSED, checkpoints=[2]),
        ft(2, [1.0], RUNNING),
        ft(3, [1.0], TrialState.FAIL),
        ft(4, [1.0, 1.0], COMPLETE),
    ]
    assert decide(pruner, me([5.0]), peers) is PRUNE  # 6 at the rung, 5 better: not in the best 2
    assert decide(pruner, me([5.0]), peers[:2]) is PRUNE  # 3 at the rung, 2 better: not the best 1
    assert decide(pruner, me([0.5]), peers) is CONTINUE


def test_ties_go_to_the_earlier_trial():
    pruner = sha()
    peers = [ft(1, [2.0]), ft(2, [2.0])]
    assert decide(pruner, me([2.0], number=0), peers) is CONTINUE  # the earliest of three equals
    assert decide(pruner, me([2.0], number=3), peers) is PRUNE
    assert decide(pruner, me([2.0], number=0, checkpoint=True), peers) is CONTINUE
    assert decide(pruner, me([2.0], number=3, checkpoint=True), peers) is PAUSE


@pytest.mark.parametrize(("direction", "best", "worst"), [("minimize", 0.0, 9.0), ("maximize", 9.0, 0.0)])
def test_direction_decides_which_end_is_best(direction, best, worst):
    pruner = sha()
    peers = [ft(i, [4.0 + i * 0.1]) for i in range(5)]
    assert decide(pruner, me([best]), peers, direction) is CONTINUE
    assert decide(pruner, me([worst]), peers, direction) is PRUNE
    assert decide(pruner, me([worst], checkpoint=True), peers, direction) is PAUSE


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_nan_reports_are_the_worst(direction):
    pruner = sha()
    terrible = 1e9 if direction == "minimize" else -1e9
    assert decide(pruner, me([NAN]), [ft(i, [terrible]) for i in range(2)], direction) is PRUNE
    assert decide(pruner, me([terrible]), [ft(i, [NAN]) for i in range(2)], direction) is CONTINUE  # beats NaN
    assert decide(pruner, me([NAN], number=0), [ft(1, [NAN]), ft(2, [NAN])], direction) is CONTINUE  # tie: earliest


def test_a_trial_past_the_last_rung_below_max_resource_is_never_stopped():
    pruner = sha(max_resource=9)
    peers = good_peers(5)
    for last in range(3, 9):  # rungs at 0 and 2; steps 3..8 are past them, up to a full training
        assert decide(pruner, me([9.0] * (last + 1)), peers) is CONTINUE
        assert decide(pruner, me([9.0] * (last + 1), checkpoint=True), peers) is CONTINUE


@pytest.mark.parametrize("reports", [{8: 9.0}, {0: -50.0, 8: 9.0}], ids=["only-at-the-end", "first-and-last"])
@pytest.mark.parametrize(
    "pruner", [sha(max_resource=9), HyperbandPruner(min_resource=1, max_resource=9)], ids=["asha", "hyperband"]
)
def test_a_trial_that_reached_max_resource_is_never_stopped(reports, pruner):
    pruner.seed = 0
    numbers = _bracket_0(pruner, 9)  # Hyperband: peers in the trial's bracket (0: rungs at 0 and 2)
    peers = [ft(n, [-1.0 - i] * 9) for i, n in enumerate(numbers[:5])]
    assert decide(pruner, me(reports, number=numbers[5]), peers) is CONTINUE
    assert decide(pruner, me(reports, number=numbers[5], checkpoint=True), peers) is CONTINUE


def _bracket_0(pruner: BasePruner, max_resource: int) -> list[int]:
    """Trial numbers in Hyperband's most aggressive bracket (every number for other pruners)."""
    if not isinstance(pruner, HyperbandPruner):
        return list(range(100))
    return [n for n in range(1000) if pruner.bracket_of(n, max_resource) == 0][:100]


def test_bootstrap_count_stops_nobody_on_a_small_rung():
    pruner = sha(bootstrap_count=3)
    assert decide(pruner, me([9.0]), good_peers(2)) is CONTINUE  # 3 at the rung
    assert decide(pruner, me([9.0], checkpoint=True), good_peers(2)) is CONTINUE
    assert decide(pruner, me([9.0]), good_peers(3)) is PRUNE  # 4 at the rung
    assert decide(pruner, me([9.0], checkpoint=True), good_peers(3)) is PAUSE


def test_no_reports_continue():
    assert decide(sha(), ft(100, {}, RUNNING), good_peers(5)) is CONTINUE


# -- "auto" resources, learned from the first completed trial ---------------------------------
def test_auto_min_resource_waits_for_a_completed_trial():
    pruner = SuccessiveHalvingPruner(min_resource="auto", reduction_factor=3)
    peers = [ft(i, [-1.0] * 5, state) for i, state in enumerate([RUNNING, PRUNED, PAUSED, TrialState.FAIL] * 2)]
    assert decision_steps(pruner, peers, upto=12) == []
    never_reported = ft(8, {}, COMPLETE)  # a COMPLETE trial that never reported teaches nothing
    assert decision_steps(pruner, [*peers, never_reported], upto=12) == []


def test_auto_min_resource_is_a_hundredth_of_the_first_completed_trial():
    pruner = SuccessiveHalvingPruner(min_resource="auto", reduction_factor=3)
    # trial 1 completed first (300 steps: min_resource 3), trial 0 later (100 steps: it would be 1)
    peers = [ft(0, [-1.0] * 100, completed_at=50.0), ft(1, [-1.0] * 300, completed_at=10.0)]
    peers += [ft(2 + i, [-1.0] * 40, RUNNING) for i in range(3)]
    assert decision_steps(pruner, peers) == [2, 8, 26]
    short = [ft(0, [-1.0] * 50), *peers[2:]]  # 50 steps: min_resource max(1, 0) = 1
    assert decision_steps(pruner, short) == [0, 2, 8, 26]


def test_hyperband_auto_max_resource_is_the_first_completed_trials_steps():
    pruner = HyperbandPruner(min_resource=1, max_resource="auto", reduction_factor=3)
    pruner.seed = 0
    numbers = _bracket_0(pruner, 9)
    running = [ft(n, [-1.0] * 9, RUNNING) for n in numbers[:5]]
    number = numbers[6]
    assert all(decide(pruner, me([9.0] * (s + 1), number=number), running) is CONTINUE for s in range(9))
    history = [*running, ft(numbers[5], [-1.0] * 9)]  # max_resource 9: bracket 0 has rungs at 0 and 2
    got = [s for s in range(9) if decide(pruner, me([9.0] * (s + 1), number=number), history) is not CONTINUE]
    assert got == [0, 2]


@pytest.mark.parametrize(
    ("steps", "warmup", "fraction"), [(27, 0, None), (27, 2, 12), (100, 8, 12), (12, 1, 12), (5, 0, 12)]
)
def test_auto_pruner_is_median_stopping_after_a_learned_warmup(steps, warmup, fraction):
    pruner = AutoPruner(warmup_fraction=fraction)
    bad = [9.0] * 40
    assert decision_steps(pruner, [ft(i, [-1.0] * 40, RUNNING) for i in range(6)]) == []  # none completed
    done = [ft(0, [-1.0] * steps), *(ft(i, [-1.0] * 40, PRUNED) for i in range(1, 5))]
    # before 5 trials have finished nothing is stopped, then a bad trial is stopped from the warmup on
    assert decide(pruner, me(bad[: warmup + 1]), done[:4]) is CONTINUE
    got = [s for s in range(steps) if decide(pruner, me(bad[: s + 1]), done) is PRUNE]
    assert got == list(range(warmup, steps))
    assert decide(pruner, me([-5.0] * (warmup + 1)), done) is CONTINUE  # better than the median
    assert repr(pruner) == f"AutoPruner(n_startup_trials=5, warmup_fraction={fraction})"


def test_auto_pruner_never_pauses_and_promotes_nothing():
    pruner = AutoPruner()
    done = [ft(0, [-1.0] * 27), *(ft(i, [-1.0] * 27, PRUNED) for i in range(1, 5))]
    assert decide(pruner, me([9.0] * 5, checkpoint=True), done) is PRUNE
    paused = ft(9, [-9.0], PAUSED, checkpoints=[0])
    assert pruner.promotable([paused], [*done, paused], "minimize") == []


# -- promotion order ----------------------------------------------------------------------------
@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_promotable_puts_higher_rungs_first_then_better_values(direction):
    sign = 1.0 if direction == "minimize" else -1.0
    pruner = sha()  # rungs at steps 0, 2, 8, ...
    peers = [ft(i, [sign * (10.0 + i)] * 9) for i in range(12)]  # worse than every paused trial
    low = ft(20, [sign * 1.0], PAUSED, checkpoints=[0])  # paused at the rung of step 0
    mid_worse = ft(21, [sign * 0.5, sign * 0.5, sign * 2.0], PAUSED, checkpoints=[1, 2])  # at step 2
    mid_better = ft(22, [sign * 0.5, sign * 0.5, sign * 1.5], PAUSED, checkpoints=[1, 2])
    hopeless = ft(23, [sign * 99.0], PAUSED, checkpoints=[0])  # at the bottom of its rung
    paused = [low, mid_worse, mid_better, hopeless]
    history = [*peers, *paused]
    assert pruner.promotable(paused, history, direction) == [22, 21, 20]
    assert pruner.promotable([hopeless], history, direction) == []


def test_a_paused_trial_becomes_promotable_as_later_arrivals_fill_its_rung():
    pruner = sha()
    paused = ft(0, [5.0], PAUSED, checkpoints=[0])  # alone at the rung: 1 // 3 = 0 may go on
    history = [paused]
    assert pruner.promotable([paused], history, "minimize") == []
    history += [ft(1, [7.0], PAUSED, checkpoints=[0])]
    assert pruner.promotable([paused], history, "minimize") == []
    history += [ft(2, [6.0], RUNNING)]  # three at the rung: the best one may go on
    assert pruner.promotable([paused, history[1]], history, "minimize") == [0]
    history += [ft(3, [1.0], RUNNING)]  # a better arrival takes the one place
    assert pruner.promotable([paused], history, "minimize") == []
    history += [ft(4, [8.0]), ft(5, [9.0])]  # six at the rung: two places
    assert pruner.promotable([paused], history, "minimize") == [0]


def test_promotable_needs_a_checkpoint_and_a_completed_trial_for_auto():
    no_checkpoint = ft(0, [1.0], PAUSED)
    history = [no_checkpoint, *(ft(i, [9.0]) for i in range(1, 9))]
    assert sha().promotable([no_checkpoint], history, "minimize") == []
    auto = SuccessiveHalvingPruner(min_resource="auto")
    waiting = ft(0, [1.0], PAUSED, checkpoints=[0])
    running = [waiting, *(ft(i, [9.0] * 3, RUNNING) for i in range(1, 9))]
    assert auto.promotable([waiting], running, "minimize") == []
    assert AutoPruner().promotable([waiting], running, "minimize") == []
    assert NopPruner().promotable([waiting], running, "minimize") == []


# -- Hyperband brackets -------------------------------------------------------------------------
def _hyperband(seed: int | None, **kwargs: Any) -> HyperbandPruner:
    pruner = HyperbandPruner(**{"min_resource": 1, "max_resource": 27, "reduction_factor": 3, **kwargs})
    pruner.seed = seed
    return pruner


def test_hyperband_brackets_reproduce_for_a_seed_and_follow_the_hyperband_weights():
    a = [_hyperband(5).bracket_of(n, 27) for n in range(200)]
    assert a == [_hyperband(5).bracket_of(n, 27) for n in range(200)]
    assert a != [_hyperband(6).bracket_of(n, 27) for n in range(200)]
    counts = Counter(a)
    assert set(counts) == {0, 1, 2, 3}  # 27 = 3**3: brackets with early-stopping rates 0..3
    # Hyperband's weights 27/4 : 9/3 : 3/2 : 1 -- most trials in the most aggressive bracket
    assert counts[0] > counts[1] > counts[3] and counts[0] > 200 * 0.4
    assert _hyperband(None).bracket_of(7, 27) == _hyperband(0).bracket_of(7, 27)


@pytest.mark.parametrize(
    ("kwargs", "max_resource", "n"),
    [({}, 27, 4), ({}, 26, 3), ({}, 9, 3), ({}, 1, 1), ({"min_resource": 3}, 81, 4), ({"reduction_factor": 2}, 16, 5)],
)
def test_hyperband_number_of_brackets(kwargs, max_resource, n):
    pruner = _hyperband(0, **kwargs)
    assert pruner.n_brackets(max_resource) == n
    assert {pruner.bracket_of(i, max_resource) for i in range(300)} == set(range(n))


def test_hyperband_compares_a_trial_with_its_own_bracket_only():
    pruner = _hyperband(3)
    by_bracket: dict[int, list[int]] = {}
    for n in range(400):
        by_bracket.setdefault(pruner.bracket_of(n, 27), []).append(n)
    b0, b1, b3 = by_bracket[0], by_bracket[1], by_bracket[3]
    mine = b0[1]
    same = [ft(b0[0], [1.0] * 27)]  # one better peer in its bracket: 2 at the rung, keep 1
    others = [ft(n, [50.0 + i] * 27) for i, n in enumerate(b1[:6])]  # worse peers elsewhere
    assert decide(pruner, me([5.0], number=mine), [*same, *others]) is PRUNE
    assert decide(pruner, me([5.0], number=mine), others) is CONTINUE  # alone in its bracket
    # bracket 1 (rate 1) has its first rung at 3 steps; bracket 3 (27 = max) has none at all
    assert decide(pruner, me([99.0], number=b1[7]), [*others, *same]) is CONTINUE
    assert decide(pruner, me([99.0] * 3, number=b1[7]), [*others, *same]) is PRUNE
    assert all(decide(pruner, me([99.0] * s, number=b3[0]), others) is CONTINUE for s in range(1, 28))


def test_hyperband_promotable_within_brackets():
    pruner = _hyperband(3)
    b0 = [n for n in range(400) if pruner.bracket_of(n, 27) == 0]
    paused = ft(b0[0], [5.0], PAUSED, checkpoints=[0])
    peers = [ft(n, [9.0] * 27) for n in b0[1:3]]  # three in its bracket's rung: it is the best
    assert pruner.promotable([paused], [paused, *peers], "minimize") == [b0[0]]
    assert pruner.promotable([paused], [paused, *peers], "maximize") == []


# -- arguments ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"min_resource": 0}, "min_resource"),
        ({"min_resource": "3"}, "min_resource"),
        ({"min_resource": 1.5}, "min_resource"),
        ({"reduction_factor": 1}, "reduction_factor"),
        ({"reduction_factor": 2.5}, "reduction_factor"),
        ({"reduction_factor": True}, "reduction_factor"),
        ({"min_early_stopping_rate": -1}, "min_early_stopping_rate"),
        ({"bootstrap_count": -1}, "bootstrap_count"),
        ({"max_resource": 0}, "max_resource"),
        ({"max_resource": "auto"}, "max_resource"),
    ],
)
def test_successive_halving_bad_arguments(kwargs, param):
    with pytest.raises(sg.InvalidValueError, match=f"SuccessiveHalvingPruner: {param} must be"):
        SuccessiveHalvingPruner(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"min_resource": 0}, "min_resource"),
        ({"min_resource": "auto"}, "min_resource"),
        ({"max_resource": 0}, "max_resource"),
        ({"max_resource": 2.0}, "max_resource"),
        ({"min_resource": 10, "max_resource": 9}, "max_resource"),
        ({"reduction_factor": 1}, "reduction_factor"),
        ({"bootstrap_count": -2}, "bootstrap_count"),
    ],
)
def test_hyperband_bad_arguments(kwargs, param):
    with pytest.raises(sg.InvalidValueError, match=f"HyperbandPruner: {param} must be"):
        HyperbandPruner(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"n_startup_trials": -1}, "n_startup_trials"),
        ({"warmup_fraction": 0}, "warmup_fraction"),
        ({"warmup_fraction": 1.5}, "warmup_fraction"),
    ],
)
def test_auto_pruner_bad_arguments(kwargs, param):
    with pytest.raises(sg.InvalidValueError, match=param):
        AutoPruner(**kwargs)


# -- short names and the study's seed -----------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("auto", AutoPruner),
        ("asha", SuccessiveHalvingPruner),
        ("successive_halving", SuccessiveHalvingPruner),
        ("hyperband", HyperbandPruner),
        ("median", MedianPruner),
        ("none", NopPruner),
        (None, NopPruner),
    ],
)
def test_make_pruner_short_names(name, cls):
    assert type(make_pruner(name)) is cls
    assert type(sg.create_study(pruner=name).pruner) is cls


def test_make_pruner_refuses_unknown_names():
    with pytest.raises(sg.InvalidValueError, match="pruner must be one of"):
        make_pruner("hyperbandit")
    with pytest.raises(sg.InvalidValueError, match="pruner"):
        make_pruner(3)  # type: ignore[arg-type]


def test_the_study_seed_reaches_the_pruner():
    assert sg.create_study(pruner="hyperband", seed=7).pruner.seed == 7
    mine = HyperbandPruner()
    assert sg.create_study(pruner=mine, seed=11).pruner is mine and mine.seed == 11
    own = HyperbandPruner()
    own.seed = 3
    assert sg.create_study(pruner=own, seed=11).pruner.seed == 3  # a pruner's own seed is kept
    unseeded = sg.create_study(pruner="hyperband").pruner
    assert unseeded.seed is not None  # the study draws one, so brackets stay fixed for the study
    one, two = (sg.create_study(pruner="hyperband", seed=7).pruner for _ in range(2))
    assert [one.bracket_of(n, 81) for n in range(100)] == [two.bracket_of(n, 81) for n in range(100)]


def test_halving_in_a_real_study_pauses_only_trials_with_checkpoints():
    study = sg.create_study(sampler="random", pruner=sha(max_resource=9), seed=0)

    def objective(trial: sg.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        start = 0 if trial.resumed_step is None else trial.resumed_step + 1
        for step in range(start, 9):
            if trial.number % 2 == 0:
                with trial.checkpoint(step):
                    pass
            trial.report(x, step)
            if trial.should_prune():
                raise sg.TrialPruned()
        return x

    study.optimize(objective, n_trials=20)
    states = {t.number: t.state for t in study.trials}
    assert {s for n, s in states.items() if n % 2} <= {COMPLETE, PRUNED}
    assert {s for n, s in states.items() if n % 2 == 0} <= {COMPLETE, PAUSED}
    assert PRUNED in states.values() and PAUSED in states.values()
