"""Optuna's names over sturgeon's API (sturgeon/_optuna.py, docs/optuna.md).

The scripts in ``optuna_scripts/`` are plain Optuna code: each runs under Optuna itself, and
under sturgeon with only its import lines changed (``import optuna`` ->
``import sturgeon as optuna``, ``from optuna.x`` -> ``from sturgeon.x``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import sturgeon as sg
from sturgeon.distributions import FloatDistribution, IntDistribution
from sturgeon.trial import TrialState, create_trial

SCRIPTS = sorted((Path(__file__).parent / "optuna_scripts").glob("*.py"))


def _as_sturgeon(code: str) -> str:
    code, n = re.subn(r"^import optuna$", "import sturgeon as optuna", code, flags=re.M)
    assert n == 1
    return re.sub(r"^from optuna([. ])", r"from sturgeon\1", code, flags=re.M)


def _run(code: str, path: Path) -> None:
    exec(compile(code, str(path), "exec"), {"__name__": "__main__"})


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_optuna_script_runs_with_only_the_import_changed(script, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    _run(_as_sturgeon(script.read_text()), script)
    assert capsys.readouterr().out.strip()  # each script prints its result last


@pytest.mark.filterwarnings("ignore")  # Optuna's own experimental / deprecation warnings
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_the_scripts_are_optuna_code(script, tmp_path, monkeypatch):
    """The same scripts pass under Optuna itself, so they test Optuna's API, not ours."""
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    monkeypatch.chdir(tmp_path)
    _run(script.read_text(), script)


# -- what we do not have: NotSupportedError naming the argument -----------------------------
def test_directions_one_or_several():
    two = sg.create_study(directions=["minimize", sg.study.StudyDirection.MAXIMIZE])
    assert two.directions == ["minimize", "maximize"] and two.is_multi_objective
    assert sg.create_study(directions=["maximize"]).direction == "maximize"
    assert sg.create_study(direction=sg.study.StudyDirection.MAXIMIZE).directions == ["maximize"]
    with pytest.raises(sg.InvalidValueError, match="direction or directions"):
        sg.create_study(direction="minimize", directions=["minimize"])
    with pytest.raises(sg.InvalidValueError, match="name or study_name"):
        sg.create_study("a", study_name="b")


@pytest.mark.parametrize("cls", ["TPESampler", "GPSampler"])
def test_a_samplers_constraints_func_is_the_studys(cls):
    sampler = getattr(sg.samplers, cls)(seed=0, constraints_func=lambda t: [t.params["x"] - 0.5])
    study = sg.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=12)
    assert all(t.constraints == (t.params["x"] - 0.5,) for t in study.trials)
    assert study.best_trial.feasible and study.best_value <= 0.5


def test_values_must_match_the_number_of_objectives():
    one = sg.create_study()
    one.ask()
    with pytest.raises(sg.InvalidValueError, match=r"values=.*2 entries.*one objective"):
        one.tell(0, values=[1.0, 2.0])
    with pytest.raises(sg.InvalidValueError, match="2 values.*1 objectives"):
        one.add_trial(create_trial(values=[1.0, 2.0]))
    two = sg.create_study(directions=["minimize", "maximize"])
    number = two.add_trial(create_trial(values=[1.0, 2.0], constraints=[-1.0]))
    assert two.trials[number].values == [1.0, 2.0]
    with pytest.raises(sg.InvalidValueError, match="1 values.*2 objectives"):
        two.add_trial(create_trial(value=1.0))
    assert two.trials[0].feasible and two.trials[0].constraints == (-1.0,)


@pytest.mark.parametrize(
    ("make", "argument"),
    [
        (lambda: sg.samplers.TPESampler(gamma=lambda n: 1), "gamma"),
        (lambda: sg.samplers.CmaEsSampler(source_trials=[]), "source_trials"),
        (lambda: sg.samplers.CmaEsSampler(restart_strategy="ipop"), "restart_strategy"),
        (lambda: sg.samplers.CmaEsSampler(use_separable_cma=True), "use_separable_cma"),
        (lambda: sg.samplers.QMCSampler(qmc_type="halton"), "qmc_type"),
        (
            lambda: sg.samplers.NSGAIISampler(population_size=10, elite_population_selection_strategy=max),
            "NSGAIISampler: elite_population_selection_strategy",
        ),
        (lambda: sg.samplers.BruteForceSampler(), "BruteForceSampler.*GridSampler"),
    ],
)
def test_missing_features_raise_naming_the_argument(make, argument):
    with pytest.raises(sg.NotSupportedError, match=argument) as info:
        make()
    assert isinstance(info.value, NotImplementedError) and isinstance(info.value, sg.exceptions.OptunaError)


@pytest.mark.parametrize(
    ("make", "argument"),
    [
        (lambda: sg.samplers.TPESampler(consider_prior=False), "consider_prior=False"),
        (lambda: sg.samplers.TPESampler(multivariate=False), "multivariate=False"),
        (lambda: sg.samplers.TPESampler(constant_liar=False), "constant_liar=False"),
        (lambda: sg.samplers.GPSampler(deterministic_objective=True), "deterministic_objective=True"),
        (lambda: sg.samplers.CmaEsSampler(with_margin=True), "with_margin=True"),
        (lambda: sg.samplers.CmaEsSampler(n_startup_trials=5), "n_startup_trials=5"),
        (lambda: sg.samplers.QMCSampler(scramble=False), "scramble=False"),
    ],
)
def test_ignored_arguments_warn_naming_the_argument(make, argument):
    with pytest.warns(UserWarning, match=f"{re.escape(argument)} is accepted and ignored"):
        make()


def test_arguments_we_do_anyway_and_unknown_ones(recwarn):
    sg.samplers.TPESampler(multivariate=True, constant_liar=True, group=True, warn_independent_sampling=False)
    sg.samplers.QMCSampler(qmc_type="sobol", scramble=True)
    assert not recwarn.list
    assert sg.samplers.TPESampler(n_ei_candidates=12).n_candidates == 12
    assert sg.samplers.CmaEsSampler(popsize=7).population_size == 7
    with pytest.raises(TypeError, match="'n_ei_candidate'"):
        sg.samplers.TPESampler(n_ei_candidate=12)


# -- the aliases themselves -----------------------------------------------------------------
def test_distributions_are_our_spaces():
    assert FloatDistribution is sg.Float and IntDistribution is sg.Int
    assert sg.distributions.CategoricalDistribution is sg.Categorical
    d = sg.distributions
    assert d.LogUniformDistribution(1e-3, 1.0) == sg.Float(1e-3, 1.0, log=True)
    assert d.DiscreteUniformDistribution(0.0, 1.0, 0.25) == sg.Float(0.0, 1.0, step=0.25)
    assert d.IntLogUniformDistribution(1, 64) == sg.Int(1, 64, log=True)
    back = d.json_to_distribution(d.distribution_to_json(sg.Int(0, 10, step=2)))
    assert back == sg.Int(0, 10, step=2)


def test_legacy_suggest_methods_record_our_distributions():
    study = sg.create_study(sampler="random", seed=0)
    trial = study.ask()
    trial.suggest_uniform("u", 0.0, 2.0)
    trial.suggest_loguniform("l", 1e-4, 1.0)
    trial.suggest_discrete_uniform("q", 0.0, 1.0, 0.5)
    study.tell(trial, 1.0)
    dists = study.trials[0].distributions
    assert dists == {"u": sg.Float(0.0, 2.0), "l": sg.Float(1e-4, 1.0, log=True), "q": sg.Float(0.0, 1.0, step=0.5)}
    assert study.trials[0].params["q"] in (0.0, 0.5, 1.0)


def test_added_trials_are_checked_and_final():
    dists = {"x": FloatDistribution(0.0, 1.0)}
    with pytest.raises(sg.InvalidValueError, match=r"params\['x'\]=2.0 is not in"):
        create_trial(params={"x": 2.0}, distributions=dists, value=1.0)
    with pytest.raises(sg.InvalidValueError, match="COMPLETE trial needs a finite value"):
        create_trial(params={"x": 0.5}, distributions=dists)
    with pytest.raises(sg.InvalidValueError, match="same parameters"):
        create_trial(params={"x": 0.5}, distributions={}, value=1.0)
    study = sg.create_study()
    number = study.add_trial(create_trial(params={"x": 0.5}, distributions=dists, value=1.0))
    with pytest.raises(sg.TrialStateError, match="already finished"):
        study.tell(number, 2.0)
    assert study.tell(number, 2.0, skip_if_finished=True).value == 1.0
    waiting = study.add_trial(create_trial(state=TrialState.WAITING, params={"x": 0.25}, distributions=dists))
    trial = study.ask()
    assert trial.number == waiting and trial.suggest_float("x", 0.0, 1.0) == 0.25


def test_summaries_names_and_dataframe_options():
    study = sg.create_study(study_name="sum", sampler="random", seed=1)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    storage = study.storage
    (summary,) = sg.get_all_study_summaries(storage)
    assert summary.study_name == "sum" and summary.best_trial is not None
    assert summary.best_trial.value == study.best_value
    assert sg.get_all_study_summaries(storage, include_best_trial=False)[0].best_trial is None
    df = study.trials_dataframe(attrs=("number", "value", "params"), multi_index=True)
    assert list(df.columns) == [("number", ""), ("value", ""), ("params", "x")]
    with pytest.raises(sg.InvalidValueError, match="attrs must be among"):
        study.trials_dataframe(attrs=("number", "colour"))


def test_grid_value_lists_must_fit_the_suggest_call():
    study = sg.create_study(sampler=sg.samplers.GridSampler({"x": [0.5, 5.0]}))
    with pytest.raises(sg.InvalidSpaceError, match="grid value 0.5 of parameter 'x' is not in"):
        study.optimize(lambda t: t.suggest_int("x", 0, 3), n_trials=1)


def test_logging_levels_and_exception_names():
    import logging

    before = logging.getLogger("sturgeon").level
    try:
        sg.logging.set_verbosity(sg.logging.DEBUG)
        assert sg.logging.get_verbosity() == logging.DEBUG
        with pytest.raises(sg.InvalidValueError, match="verbosity"):
            sg.logging.set_verbosity("loud")  # type: ignore[arg-type]
    finally:
        logging.getLogger("sturgeon").setLevel(before)
    assert sg.exceptions.OptunaError is sg.SturgeonError
    assert sg.exceptions.StorageInternalError is sg.StorageError
    assert sg.exceptions.TrialPruned is sg.TrialPruned
