"""Parameter importance (sturgeon.importance) on real SQLite studies with known importances,
beside Optuna's fANOVA on copies of the same trials."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

import sturgeon as sg
from sturgeon.importance import (
    FanovaImportanceEvaluator,
    PedAnovaImportanceEvaluator,
    get_param_importances,
)
from sturgeon.importance._fanova import main_effect_shares, tree_boxes
from sturgeon.importance._ped_anova import grid_of, parzen_mass, pearson_divergence

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "_importance_tasks.py"
_spec = importlib.util.spec_from_file_location("_importance_tasks", _PATH)
assert _spec is not None and _spec.loader is not None
T = importlib.util.module_from_spec(_spec)
sys.modules["_importance_tasks"] = T
_spec.loader.exec_module(T)

SEEDS = range(10)
N_TRIALS = 150


@pytest.fixture(scope="module")
def studies(tmp_path_factory: pytest.TempPathFactory) -> list[sg.Study]:
    """Ten random-search studies (seeds 0-9) of the ten-parameter task, in one SQLite file."""
    url = f"sqlite:///{tmp_path_factory.mktemp('importance') / 'studies.db'}"
    return [T.make_study(url, seed, N_TRIALS) for seed in SEEDS]


def _evaluators(seed: int) -> dict[str, sg.importance.BaseImportanceEvaluator]:
    return {"fANOVA": FanovaImportanceEvaluator(seed=seed), "PED-ANOVA": PedAnovaImportanceEvaluator()}


def _top2(importances: dict[str, float]) -> set[str]:
    return set(list(importances)[:2])


@pytest.mark.parametrize("method", ["fANOVA", "PED-ANOVA"])
def test_both_methods_rank_the_two_that_matter_first_in_nine_of_ten_seeds(studies: list[sg.Study], method: str):
    hits = 0
    for seed, study in zip(SEEDS, studies, strict=True):
        imp = get_param_importances(study, evaluator=_evaluators(seed)[method])
        assert set(imp) == set(T.known_space())
        assert math.isclose(sum(imp.values()), 1.0)
        assert list(imp.values()) == sorted(imp.values(), reverse=True)
        hits += _top2(imp) == set(T.IMPORTANT)
    assert hits >= 9


def test_the_same_top_two_as_optunas_fanova_on_the_same_trials(studies: list[sg.Study]):
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    for seed, study in zip(SEEDS, studies, strict=True):
        copy = T.to_optuna(study)
        assert len(copy.trials) == N_TRIALS
        theirs = optuna.importance.get_param_importances(
            copy, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=seed)
        )
        for evaluator in _evaluators(seed).values():
            assert _top2(get_param_importances(study, evaluator=evaluator)) == _top2(theirs), (seed, evaluator)


def test_our_fanova_shares_are_close_to_optunas(studies: list[sg.Study]):
    """The same decomposition of a forest of the same kind: the scores agree, not just the order."""
    optuna = pytest.importorskip("optuna")
    study = studies[0]
    theirs = optuna.importance.get_param_importances(
        T.to_optuna(study), evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0)
    )
    ours = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0))
    for name in T.IMPORTANT:
        assert abs(ours[name] - theirs[name]) < 0.05, (name, ours[name], theirs[name])


@pytest.mark.parametrize("method", ["fANOVA", "PED-ANOVA"])
def test_a_categorical_and_a_log_int_that_matter_come_first(tmp_path: Path, method: str):
    url = f"sqlite:///{tmp_path / 'cat.db'}"
    for seed in range(3):
        study = T.make_study(url, seed, N_TRIALS, categorical=True)
        imp = get_param_importances(study, evaluator=_evaluators(seed)[method])
        assert _top2(imp) == set(T.IMPORTANT_CATEGORICAL), (seed, imp)


def test_deterministic_with_a_seed_and_the_seed_matters(studies: list[sg.Study]):
    study = studies[1]
    a = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=3))
    assert a == get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=3))
    assert a != get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=4))
    ped = get_param_importances(study, evaluator=PedAnovaImportanceEvaluator())
    assert ped == get_param_importances(study, evaluator=PedAnovaImportanceEvaluator())


def test_default_evaluator_is_fanova_and_options_are_applied(studies: list[sg.Study]):
    study = studies[2]
    imp = get_param_importances(study)
    assert _top2(imp) == set(T.IMPORTANT)
    some = get_param_importances(study, params=["warmup", "lr"], evaluator=FanovaImportanceEvaluator(seed=0))
    assert list(some) == ["lr", "warmup"] and math.isclose(sum(some.values()), 1.0)
    raw = get_param_importances(study, evaluator=PedAnovaImportanceEvaluator(), normalize=False)
    assert not math.isclose(sum(raw.values()), 1.0) and all(v >= 0 for v in raw.values())
    # a target that depends on one parameter only makes it the most important
    by_warmup = get_param_importances(
        study, evaluator=FanovaImportanceEvaluator(seed=0), target=lambda t: (t.params["warmup"] - 0.5) ** 2
    )
    assert next(iter(by_warmup)) == "warmup" and by_warmup["warmup"] > 0.9
    local = PedAnovaImportanceEvaluator(target_quantile=0.2, region_quantile=0.5)
    glob = PedAnovaImportanceEvaluator(evaluate_on_local=False)
    for ev in (local, glob):
        assert _top2(get_param_importances(study, evaluator=ev)) == set(T.IMPORTANT)


def test_only_complete_trials_count_and_clear_errors(tmp_path: Path):
    study = sg.create_study(name="few", storage=f"sqlite:///{tmp_path / 'few.db'}", sampler="random", seed=0)
    space = {"x": sg.Float(0.0, 1.0), "y": sg.Int(0, 3)}
    for method in ("fANOVA", "PED-ANOVA"):
        with pytest.raises(sg.NoCompletedTrialsError, match="COMPLETE trials; 'few' has none"):
            get_param_importances(study, evaluator=_evaluators(0)[method])
    trial = study.ask(space)
    study.tell(trial, state=sg.TrialState.PRUNED)
    study.ask(space)  # left RUNNING
    trial = study.ask(space)
    study.tell(trial, 1.0)
    with pytest.raises(sg.InvalidValueError, match="at least 2 COMPLETE trials with a finite value; 'few' has 1"):
        get_param_importances(study)
    trial = study.ask(space)
    study.tell(trial, 2.0)
    assert set(get_param_importances(study)) == {"x", "y"}  # fANOVA fits two trials
    with pytest.raises(sg.InvalidValueError, match="PED-ANOVA with target_quantile=0.1 needs at least 3 COMPLETE"):
        get_param_importances(study, evaluator=PedAnovaImportanceEvaluator())
    for _ in range(5):
        trial = study.ask(space)
        study.tell(trial, trial.params["x"])
    assert set(get_param_importances(study)) == {"x", "y"}
    with pytest.raises(sg.InvalidValueError, match=r"unknown parameter 'z'; the COMPLETE trials hold \['x', 'y'\]"):
        get_param_importances(study, params=["x", "z"])
    with pytest.raises(sg.InvalidValueError, match="target_quantile must be below region_quantile"):
        PedAnovaImportanceEvaluator(target_quantile=0.5, region_quantile=0.5)
    with pytest.raises(sg.InvalidValueError, match="target_quantile must be a number in"):
        PedAnovaImportanceEvaluator(target_quantile=0.0)
    with pytest.raises(sg.InvalidValueError, match="n_trees must be a positive integer, got 0"):
        FanovaImportanceEvaluator(n_trees=0)
    with pytest.raises(sg.InvalidValueError, match="evaluator must be an importance evaluator"):
        get_param_importances(study, evaluator="fanova")  # type: ignore[arg-type]


def test_main_effect_shares_of_hand_built_trees():
    # f = 1 if x0 > 0.5 else 0: x0 explains everything, x1 nothing
    left, right = np.array([1, -1, -1]), np.array([2, -1, -1])
    feature, threshold = np.array([0, -2, -2]), np.array([0.5, -2.0, -2.0])
    lo, hi, v = tree_boxes(left, right, feature, threshold, np.array([0.0, 0.0, 1.0]), 2)
    assert v.tolist() == [0.0, 1.0] and hi[0].tolist() == [0.5, 1.0] and lo[1].tolist() == [0.5, 0.0]
    assert main_effect_shares(lo, hi, v).tolist() == [1.0, 0.0]
    # f = 2 [x0 > 0.5] + [x1 > 0.25], additive: variances 1 (x0) and 3/16 (x1), no interaction
    left = np.array([1, 3, 5, -1, -1, -1, -1])
    right = np.array([2, 4, 6, -1, -1, -1, -1])
    feature = np.array([0, 1, 1, -2, -2, -2, -2])
    threshold = np.array([0.5, 0.25, 0.25, -2, -2, -2, -2], dtype=float)
    value = np.array([0, 0, 0, 0.0, 1.0, 2.0, 3.0])
    shares = main_effect_shares(*tree_boxes(left, right, feature, threshold, value, 2))
    assert shares is not None
    np.testing.assert_allclose(shares, [1 / (1 + 3 / 16), (3 / 16) / (1 + 3 / 16)])
    assert main_effect_shares(lo, hi, np.array([2.0, 2.0])) is None  # a constant tree


def test_pearson_divergence_on_grids():
    centres, widths = grid_of(sg.Int(16, 512, log=True))
    assert math.isclose(widths.sum(), 1.0) and len(centres) == 100  # 497 values: read as a continuous range
    centres, widths = grid_of(sg.Int(1, 8, log=True))
    assert len(centres) == 8 and math.isclose(widths.sum(), 1.0) and widths[0] > widths[-1]
    centres, widths = grid_of(sg.Categorical(["a", "b", "c"]))
    assert widths.tolist() == [1 / 3] * 3
    spread = parzen_mass(np.array([1 / 6, 0.5, 5 / 6] * 4), centres, widths, True)
    np.testing.assert_allclose(spread, [1 / 3] * 3)
    assert pearson_divergence(spread, widths) == pytest.approx(0.0)
    one = parzen_mass(np.array([1 / 6] * 12), centres, widths, True)
    assert one[0] > 0.9 and pearson_divergence(one, widths) > 1.0


def test_excluded_trials_are_left_out(tmp_path):
    study = sg.create_study(storage=f"sqlite:///{tmp_path / 'x.db'}", sampler="random", seed=0)
    study.optimize(lambda t: t.suggest_float("a", 0, 1) + 0.01 * t.suggest_float("b", 0, 1), n_trials=30)
    before = get_param_importances(study)
    for t in study.trials[:20]:
        study.exclude_trial(t.number, reason="test")
    after = get_param_importances(study)
    assert set(after) == set(before) and after != before  # computed on the 10 left
    for t in study.trials[20:29]:
        study.exclude_trial(t.number)
    with pytest.raises(sg.SturgeonError, match="at least"):  # one trial left
        get_param_importances(study)
