"""Studies and trials: define-by-run, ask/tell, enqueue, results, failures. Every backend."""

from __future__ import annotations

import math
import warnings

import pytest

import sturgeon as sg
from sturgeon import TrialState


def quadratic(trial: sg.Trial) -> float:
    x = trial.suggest_float("x", -5, 5)
    n = trial.suggest_int("n", 1, 64, log=True)
    kind = trial.suggest_categorical("kind", ["a", "b", "c"])
    return (x - 1) ** 2 + math.log2(n) + {"a": 0, "b": 1, "c": 2}[kind]


def test_define_by_run_records_every_trial(storage):
    study = sg.create_study(sampler="random", name="s", storage=storage, seed=0)
    study.optimize(quadratic, n_trials=30)
    trials = study.trials
    assert [t.number for t in trials] == list(range(30))
    assert all(t.state is TrialState.COMPLETE for t in trials)
    for t in trials:
        assert set(t.params) == {"x", "n", "kind"}
        assert -5 <= t.params["x"] <= 5 and 1 <= t.params["n"] <= 64 and t.params["kind"] in "abc"
        assert t.value == pytest.approx(quadratic_value(t.params))
        assert t.datetime_start is not None and t.datetime_complete >= t.datetime_start
    best = min(trials, key=lambda t: t.value)
    assert study.best_trial.number == best.number
    assert study.best_value == best.value and study.best_params == best.params


def quadratic_value(p: dict) -> float:
    return (p["x"] - 1) ** 2 + math.log2(p["n"]) + {"a": 0, "b": 1, "c": 2}[p["kind"]]


def test_maximize_picks_largest(storage):
    study = sg.create_study(sampler="random", storage=storage, direction="maximize", seed=1)
    study.optimize(quadratic, n_trials=20)
    assert study.best_value == max(t.value for t in study.trials)


def test_conditional_space(storage):
    def objective(trial: sg.Trial) -> float:
        model = trial.suggest_categorical("model", ["svm", "tree"])
        if model == "svm":
            return trial.suggest_float("C", 1e-3, 1e3, log=True)
        return trial.suggest_int("depth", 1, 10)

    study = sg.create_study(sampler="random", storage=storage, seed=3)
    study.optimize(objective, n_trials=40)
    for t in study.trials:
        expected = {"model", "C"} if t.params["model"] == "svm" else {"model", "depth"}
        assert set(t.params) == expected
    assert {t.params["model"] for t in study.trials} == {"svm", "tree"}


def test_same_name_same_range_returns_same_value_and_other_range_errors(storage):
    study = sg.create_study(sampler="random", storage=storage, seed=0)
    trial = study.ask()
    a = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    assert trial.suggest_float("lr", 1e-4, 1e-1, log=True) == a
    with pytest.raises(sg.InvalidSpaceError, match="'lr'.*already suggested"):
        trial.suggest_float("lr", 1e-4, 1.0, log=True)
    study.tell(trial, 1.0)
    assert study.trials[0].params == {"lr": a}


def test_ask_tell_with_declarative_space(storage):
    space = {"C": sg.Float(1e-3, 1e3, log=True), "kernel": sg.Categorical(["rbf", "linear"]), "k": sg.Int(1, 9, step=2)}
    study = sg.create_study(sampler="random", name="at", storage=storage, direction="maximize", seed=5)
    for i in range(10):
        trial = study.ask(space)
        assert set(trial.params) == {"C", "kernel", "k"}
        assert trial.params["k"] in (1, 3, 5, 7, 9)
        frozen = study.tell(trial, float(i))
        assert frozen.state is TrialState.COMPLETE and frozen.value == float(i)
    assert study.best_trial.number == 9
    loaded = sg.load_study(name="at", storage=storage)
    assert [t.params for t in loaded.trials] == [t.params for t in study.trials]
    assert loaded.trials[3].distributions == space


def test_tell_by_number_and_twice_is_an_error(storage):
    study = sg.create_study(sampler="random", storage=storage)
    trial = study.ask({"x": sg.Float(0, 1)})
    study.tell(trial.number, 0.5)
    with pytest.raises(sg.TrialStateError, match="already finished"):
        study.tell(trial, 0.7)
    with pytest.raises(sg.TrialStateError):
        trial.suggest_float("y", 0, 1)
    with pytest.raises(sg.InvalidValueError, match="no trial 5"):
        study.tell(5, 1.0)
    assert study.trials[0].value == 0.5


def test_enqueue_runs_given_params_first_and_samples_the_rest(storage):
    study = sg.create_study(sampler="random", storage=storage, seed=0)
    n0 = study.enqueue({"x": 1.0, "n": 8, "kind": "b"})
    n1 = study.enqueue({"x": -2.0})
    assert (n0, n1) == (0, 1)
    assert [t.state for t in study.trials] == [TrialState.WAITING, TrialState.WAITING]
    study.optimize(quadratic, n_trials=3)
    trials = study.trials
    assert trials[0].params == {"x": 1.0, "n": 8, "kind": "b"}
    assert trials[0].value == pytest.approx(4.0)
    assert trials[1].params["x"] == -2.0 and set(trials[1].params) == {"x", "n", "kind"}
    assert len(trials) == 3 and all(t.state is TrialState.COMPLETE for t in trials)
    assert study.enqueue({"x": 1.0, "n": 8, "kind": "b"}, skip_if_exists=True) is None


def test_enqueue_of_a_name_outside_the_known_space_warns_or_with_strict_raises(storage):
    study = sg.create_study(sampler="random", storage=storage, seed=0)
    study.optimize(quadratic, n_trials=2)
    with pytest.warns(UserWarning, match=r"no trial of the study has suggested 'unknown'.*'kind', 'n', 'x'"):
        study.enqueue({"unknown": 1})
    with pytest.warns(UserWarning, match=r"'kinds' -> 'kind'\?"):
        study.enqueue({"x": 0.5, "kinds": "a"})
    with pytest.raises(sg.InvalidValueError, match="suggested 'unknown'.*nothing was enqueued"):
        study.enqueue({"x": 0.5, "unknown": 1}, strict=True)
    assert len(study.trials) == 4  # the refused one was not enqueued
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        study.enqueue({"x": 0.5, "kind": "c"}, strict=True)  # known names: silent
        study.optimize(quadratic, n_trials=3)  # checked at enqueue already: no second warning
    assert study.trials[3].params["x"] == 0.5 and "kinds" not in study.trials[3].params


def test_enqueue_before_any_trial_checks_the_names_when_the_trial_completes(storage):
    study = sg.create_study(sampler="random", storage=storage, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        study.enqueue({"x": 1.0, "n": 8, "kind": "b"}, strict=True)  # the space is not known yet
        study.enqueue({"x": 1.0, "nn": 8})
        study.optimize(quadratic, n_trials=1)  # used every name: silent
    with pytest.warns(UserWarning, match=r"trial 1 completed without suggesting the enqueued 'nn'"):
        study.optimize(quadratic, n_trials=1)
    assert study.trials[1].params["x"] == 1.0 and "nn" not in study.trials[1].params


def test_enqueued_value_outside_the_range_fails_the_trial_clearly(storage):
    study = sg.create_study(sampler="random", storage=storage)
    study.enqueue({"x": 99.0})
    study.optimize(quadratic, n_trials=1, catch=(sg.InvalidSpaceError,))
    t = study.trials[0]
    assert t.state is TrialState.FAIL and "'x'" in t.fail_reason and "99.0" in t.fail_reason


@pytest.mark.parametrize(
    ("returned", "why"),
    [(float("nan"), "not finite"), (float("inf"), "not finite"), ("0.5", "not a number"), (None, "not a number")],
)
def test_bad_objective_values_mark_the_trial_failed_and_go_on(storage, returned, why, caplog):
    study = sg.create_study(sampler="random", storage=storage)
    calls = []

    def objective(trial: sg.Trial) -> object:
        calls.append(trial.number)
        trial.suggest_float("x", 0, 1)
        return returned if trial.number == 0 else 1.0

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # logged once, not warned as well
        study.optimize(objective, n_trials=3)
    assert [r.getMessage() for r in caplog.records] == [f"trial 0 failed: {study.trials[0].fail_reason}"]
    trials = study.trials
    assert trials[0].state is TrialState.FAIL and why in trials[0].fail_reason and trials[0].value is None
    assert [t.state for t in trials[1:]] == [TrialState.COMPLETE] * 2
    assert study.best_trial.number == 1


def test_tell_with_a_bad_value_warns_and_fails_the_trial(storage):
    study = sg.create_study(sampler="random", storage=storage)
    trial = study.ask({"x": sg.Float(0, 1)})
    with pytest.warns(UserWarning, match=r"trial 0 failed: .*not finite"):
        frozen = study.tell(trial, float("nan"))
    assert frozen.state is TrialState.FAIL and "not finite" in frozen.fail_reason


def test_caught_exception_fails_trial_and_continues(storage):
    study = sg.create_study(sampler="random", storage=storage)

    def objective(trial: sg.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        if trial.number % 2 == 0:
            raise ArithmeticError("diverged")
        return x

    study.optimize(objective, n_trials=6, catch=(ArithmeticError,))
    states = [t.state for t in study.trials]
    assert states == [TrialState.FAIL, TrialState.COMPLETE] * 3
    assert study.trials[0].fail_reason == "ArithmeticError: diverged"


def test_uncaught_exception_fails_trial_stops_and_reraises(storage):
    study = sg.create_study(sampler="random", storage=storage)

    def objective(trial: sg.Trial) -> float:
        trial.suggest_float("x", 0, 1)
        if trial.number == 2:
            raise KeyError("boom")
        return 0.0

    with pytest.raises(KeyError, match="boom"):
        study.optimize(objective, n_trials=10)
    trials = study.trials
    assert len(trials) == 3
    assert trials[2].state is TrialState.FAIL and "boom" in trials[2].fail_reason


def test_pruned_trials_keep_last_reported_value(storage):
    study = sg.create_study(sampler="random", storage=storage, pruner="median", seed=0)

    def objective(trial: sg.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        for step in range(5):
            trial.report(x * (step + 1), step)
            if trial.should_prune():
                raise sg.TrialPruned()
        return x * 5

    study.optimize(objective, n_trials=30)
    pruned = study.get_trials(states=(TrialState.PRUNED,))
    assert pruned, "the median pruner should stop some of 30 trials"
    for t in pruned:
        assert t.value == t.intermediate_values[t.last_step]
    complete = study.get_trials(states=[TrialState.COMPLETE])
    assert all(len(t.intermediate_values) == 5 for t in complete)


def test_report_validation(storage):
    study = sg.create_study(sampler="random", storage=storage)
    trial = study.ask()
    with pytest.raises(sg.InvalidValueError, match="step must be an int >= 0"):
        trial.report(1.0, -1)
    with pytest.raises(sg.InvalidValueError, match="finite or NaN"):
        trial.report(float("inf"), 0)
    with pytest.raises(sg.InvalidValueError, match="must be a number"):
        trial.report("high", 0)
    trial.report(0.5, 0)
    with pytest.warns(UserWarning, match="reported already"):
        trial.report(0.7, 0)
    trial.report(float("nan"), 1)  # a diverged run: recorded, and the worst value to every rule
    study.tell(trial, 0.5)
    values = study.trials[0].intermediate_values
    assert values[0] == 0.5 and math.isnan(values[1]) and study.trials[0].resource == 2


def test_user_attrs_and_study_attrs(storage):
    study = sg.create_study(sampler="random", name="attrs", storage=storage)
    trial = study.ask()
    trial.set_user_attr("fit_time", 1.5)
    with pytest.raises(sg.InvalidValueError, match="cannot be stored"):
        trial.set_user_attr("obj", object())
    study.tell(trial, 1.0)
    study.set_user_attr("dataset", "digits")
    loaded = sg.load_study(name="attrs", storage=storage)
    assert loaded.trials[0].user_attrs == {"fit_time": 1.5}
    assert loaded.user_attrs == {"dataset": "digits"}


def test_best_trial_before_any_complete(storage):
    study = sg.create_study(sampler="random", storage=storage)
    with pytest.raises(sg.NoCompletedTrialsError, match="no COMPLETE trial"):
        _ = study.best_trial


def test_seeded_studies_reproduce_and_differ_by_seed(storage):
    def params(seed: int, name: str) -> list[dict]:
        study = sg.create_study(sampler="random", name=name, storage=storage, seed=seed)
        study.optimize(quadratic, n_trials=15)
        return [t.params for t in study.trials]

    assert params(7, "a") == params(7, "b")
    assert params(7, "c") != params(8, "d")


def test_parallel_threads_seeded_per_trial_number(storage):
    serial = sg.create_study(sampler="random", name="serial", storage=storage, seed=11)
    serial.optimize(quadratic, n_trials=24)
    parallel = sg.create_study(sampler="random", name="parallel", storage=storage, seed=11)
    parallel.optimize(quadratic, n_trials=24, n_jobs=4)
    assert [t.number for t in parallel.trials] == list(range(24))
    assert {t.number: t.params for t in parallel.trials} == {t.number: t.params for t in serial.trials}


def test_study_management(storage):
    sg.create_study(sampler="random", name="one", storage=storage).optimize(quadratic, n_trials=3)
    sg.create_study(sampler="random", name="two", storage=storage, direction="maximize")
    with pytest.raises(sg.DuplicatedStudyError, match="load_if_exists"):
        sg.create_study(sampler="random", name="one", storage=storage)
    again = sg.create_study(sampler="random", name="one", storage=storage, load_if_exists=True)
    assert len(again.trials) == 3
    with pytest.raises(sg.InvalidValueError, match="direction"):
        sg.create_study(sampler="random", name="one", storage=storage, direction="maximize", load_if_exists=True)
    summaries = {s.name: s for s in sg.list_studies(storage)}
    assert summaries["one"].n_trials == 3 and summaries["one"].best_value == again.best_value
    assert summaries["two"].n_trials == 0 and summaries["two"].best_value is None
    sg.delete_study("one", storage=storage)
    assert [s.name for s in sg.list_studies(storage)] == ["two"]
    with pytest.raises(sg.StudyNotFoundError, match="'one'"):
        sg.load_study(name="one", storage=storage)


def test_optimize_stops_on_timeout_and_on_stop(storage):
    study = sg.create_study(sampler="random", storage=storage)

    def objective(trial: sg.Trial) -> float:
        if trial.number == 4:
            trial.study.stop()
        return trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=100)
    assert len(study.trials) == 5
    study.optimize(lambda t: t.suggest_float("x", 0, 1), timeout=0.3)
    assert len(study.trials) > 5


def test_callbacks_see_each_finished_trial(storage):
    seen = []
    study = sg.create_study(sampler="random", storage=storage)
    study.optimize(quadratic, n_trials=5, callbacks=[lambda s, t: seen.append((t.number, t.state))])
    assert seen == [(i, TrialState.COMPLETE) for i in range(5)]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_trials": -1}, "n_trials"),
        ({"timeout": 0}, "timeout"),
        ({"n_jobs": 0}, "n_jobs"),
        ({"catch": [42]}, "catch"),
    ],
)
def test_optimize_argument_errors(kwargs, match):
    study = sg.create_study(sampler="random")
    with pytest.raises(sg.InvalidValueError, match=match):
        study.optimize(quadratic, **kwargs)


def test_create_study_argument_errors():
    with pytest.raises(sg.InvalidValueError, match="direction"):
        sg.create_study(direction="up")
    with pytest.raises(sg.InvalidValueError, match="sampler must be one of"):
        sg.create_study(sampler="bayes-magic")
    with pytest.raises(sg.InvalidValueError, match="pruner"):
        sg.create_study(pruner="sometimes")
    with pytest.raises(sg.InvalidValueError, match="seed"):
        sg.create_study(seed=-3)
    with pytest.raises(sg.InvalidValueError, match="storage"):
        sg.create_study(storage="study.db")


def test_to_dataframe(storage):
    study = sg.create_study(sampler="random", storage=storage, seed=0)
    study.optimize(quadratic, n_trials=4)
    df = study.to_dataframe()
    assert list(df["number"]) == [0, 1, 2, 3]
    assert {"params_x", "params_n", "params_kind", "value", "state"} <= set(df.columns)
    assert df["value"].tolist() == [t.value for t in study.trials]
