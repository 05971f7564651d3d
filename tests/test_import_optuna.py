"""import_optuna_study / sturgeon import-optuna: Optuna studies arrive whole, go on with our
samplers, and a second import adds nothing. Real SQLite files and a real journal file."""

from __future__ import annotations

import datetime as _dt
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import sturgeon as sg
from sturgeon.storage import get_storage
from sturgeon.storage._view import StudyView

optuna = pytest.importorskip("optuna")
optuna.logging.set_verbosity(optuna.logging.WARNING)

OUR_KEYS = {"optuna_trial", "import_flags", "values"}
CHOICES = [None, True, 3, 2.5, "a"]


def suggest(t: Any) -> dict[str, Any]:
    """Every distribution kind, through Optuna's or our trial (the same calls)."""
    return {
        "x": t.suggest_float("x", -1.0, 1.0),
        "lr": t.suggest_float("lr", 1e-4, 1e-1, log=True),
        "q": t.suggest_float("q", 0.0, 1.0, step=0.25),
        "n": t.suggest_int("n", 1, 10),
        "units": t.suggest_int("units", 1, 256, log=True),
        "k": t.suggest_int("k", 0, 20, step=5),
        "c": t.suggest_categorical("c", CHOICES),
    }


def score(p: dict[str, Any]) -> float:
    return -((p["x"] - 0.3) ** 2) - p["q"] + p["n"] / 10


def build(storage: Any, name: str = "mixed") -> None:
    """An Optuna study with every state, distribution kind, attributes, reports (NaN and inf
    among them), an inf value and a colliding system attribute."""
    study = optuna.create_study(
        study_name=name, storage=storage, direction="maximize", sampler=optuna.samplers.RandomSampler(seed=1)
    )
    study.set_user_attr("owner", {"team": "lab", "ids": [1, 2]})
    storage.set_study_system_attr(storage.get_study_id_from_name(name), "origin", "notebook")
    for i in range(5):  # COMPLETE with reports
        t = study.ask()
        p = suggest(t)
        for step in range(3):
            t.report(score(p) - 0.1 * (2 - step), step)
        if i == 0:
            t.set_user_attr("note", {"a": [1, 2], "b": None})
            t.set_user_attr("diverged", float("nan"))
        study.tell(t, score(p))
    t = study.ask()  # COMPLETE: a NaN report and an infinite value
    suggest(t)
    t.report(0.5, 0)
    t.report(float("nan"), 1)
    study.tell(t, float("inf"))
    t = study.ask()  # PRUNED
    suggest(t)
    t.report(-3.0, 0)
    study.tell(t, state=optuna.trial.TrialState.PRUNED)

    def broken(trial: Any) -> float:
        suggest(trial)
        raise ZeroDivisionError("boom")

    study.optimize(broken, n_trials=1, catch=(ZeroDivisionError,))  # FAIL, with Optuna's fail_reason
    dists = {
        "x": optuna.distributions.FloatDistribution(-1.0, 1.0),
        "c": optuna.distributions.CategoricalDistribution(CHOICES),
    }
    study.add_trial(
        optuna.trial.create_trial(
            params={"x": 0.25, "c": None},
            distributions=dists,
            value=0.125,
            intermediate_values={0: float("inf"), 1: -1.0},
            user_attrs={"by": "hand"},
            system_attrs={"source": "spreadsheet", "excluded": "theirs"},
        )
    )
    t = study.ask()  # RUNNING: never told
    suggest(t)
    t.report(0.1, 0)
    study.enqueue_trial({"x": 0.5, "c": None}, user_attrs={"from": "hand"})  # WAITING


def optuna_trials(storage: Any, name: str = "mixed") -> list[Any]:
    return sorted(storage.get_all_trials(storage.get_study_id_from_name(name)), key=lambda t: t.number)


def ours(d: Any) -> sg.Distribution:
    """The sturgeon counterpart of an Optuna distribution, written out independently."""
    if isinstance(d, optuna.distributions.CategoricalDistribution):
        return sg.Categorical(list(d.choices))
    cls = sg.Float if isinstance(d, optuna.distributions.FloatDistribution) else sg.Int
    return cls(d.low, d.high, log=d.log, step=d.step)


def same_number(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def nan_as_text(attrs: dict[str, Any]) -> dict[str, Any]:
    return {k: "nan" if isinstance(v, float) and math.isnan(v) else v for k, v in attrs.items()}


def assert_same(mine: sg.FrozenTrial, theirs: Any) -> None:
    """Field by field: nothing lost or altered (beyond what the import documents)."""
    S = optuna.trial.TrialState
    assert mine.number == theirs.number
    running = theirs.state == S.RUNNING
    assert mine.state.value == ("FAIL" if running else theirs.state.name)
    expected_value = None if theirs.values is None else theirs.values[0]
    assert (mine.value is None) == (expected_value is None)
    if expected_value is not None:
        assert mine.value is not None and same_number(mine.value, expected_value)
    if theirs.state == S.WAITING:
        assert dict(mine.fixed_params) == theirs.system_attrs["fixed_params"]
        assert mine.params == {}
    else:
        assert [(k, type(v), v) for k, v in sorted(mine.params.items())] == [
            (k, type(v), v) for k, v in sorted(theirs.params.items())
        ]
        assert dict(mine.distributions) == {k: ours(d) for k, d in theirs.distributions.items()}
    assert sorted(mine.intermediate_values) == sorted(theirs.intermediate_values)
    for step, v in theirs.intermediate_values.items():
        assert same_number(mine.intermediate_values[step], v), step
    assert dict(mine.user_attrs) == nan_as_text(theirs.user_attrs)
    system = {k: v for k, v in mine.system_attrs.items() if k not in OUR_KEYS}
    if running:
        assert system.pop("fail_reason") == "running when imported"
    expected_system = {("optuna:" + k if k == "excluded" else k): v for k, v in theirs.system_attrs.items()}
    assert system == expected_system
    assert mine.system_attrs["optuna_trial"] == {"study": "mixed", "number": theirs.number, "state": theirs.state.name}

    def utc(dt: _dt.datetime | None) -> _dt.datetime | None:
        return None if dt is None else dt.astimezone(_dt.UTC)  # Optuna's are naive local times

    assert mine.datetime_start == utc(theirs.datetime_start)
    if running:
        assert mine.datetime_complete is not None and mine.datetime_complete > mine.datetime_start
    else:
        assert mine.datetime_complete == utc(theirs.datetime_complete)


def events_of(url: str, name: str) -> int:
    storage = get_storage(url)
    try:
        return len(storage.read(storage.get_study(name).study_id))
    finally:
        storage.close()


def study_system_attrs(url: str, name: str) -> dict[str, Any]:
    storage = get_storage(url)
    try:
        view = StudyView(storage, storage.get_study(name).study_id)
        view.sync()
        return dict(view.system_attrs)
    finally:
        storage.close()


def flags(trial: sg.FrozenTrial) -> list[str]:
    return list(trial.system_attrs.get("import_flags", []))


@pytest.fixture
def rdb(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    storage = optuna.storages.RDBStorage(url)
    build(storage)
    storage.engine.dispose()
    return url


def check_import(source: str, target: str, theirs: list[Any]) -> None:
    (result,) = sg.import_optuna_study(source, "mixed", to_storage=target)
    assert (result.name, result.directions, result.imported, result.skipped) == ("mixed", ("maximize",), 11, 0)
    study = sg.load_study("mixed", storage=target)
    assert study.direction == "maximize"
    assert len(study.trials) == len(theirs) == 11
    for mine, t in zip(study.trials, theirs, strict=True):
        assert_same(mine, t)
    assert study.user_attrs == {"owner": {"team": "lab", "ids": [1, 2]}}
    assert study_system_attrs(target, "mixed") == {
        "origin": "notebook",
        "optuna_study": {"name": "mixed", "directions": ["maximize"]},
    }
    by_number = study.trials
    assert flags(by_number[0]) == ["user attribute 'diverged': non-finite numbers stored as strings"]
    assert flags(by_number[5]) == ["intermediate value at step 1 is nan", "value is inf, kept as recorded"]
    assert flags(by_number[8]) == [
        "intermediate value at step 0 is inf",
        "system attribute 'excluded' is named 'optuna:excluded' (sturgeon uses 'excluded')",
    ]
    assert flags(by_number[9]) == ["running when imported"]
    assert by_number[9].fail_reason == "running when imported"
    assert not by_number[8].excluded
    assert by_number[10].state is sg.TrialState.WAITING
    assert result.flagged == 4

    # a second import adds nothing: no trial, no event
    before = events_of(target, "mixed")
    (again,) = sg.import_optuna_study(source, "mixed", to_storage=target)
    assert (again.imported, again.skipped, again.flagged) == (0, 11, 0)
    assert events_of(target, "mixed") == before


def test_rdb_study_arrives_whole_and_twice_adds_nothing(rdb: str, tmp_path: Path) -> None:
    storage = optuna.storages.RDBStorage(rdb)
    theirs = optuna_trials(storage)
    storage.engine.dispose()
    assert {t.state.name for t in theirs} == {"COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING"}
    check_import(rdb, f"sqlite:///{tmp_path / 'sturgeon.db'}", theirs)


@pytest.mark.parametrize("form", ["journal:{}", "file:{}", "{}"])
def test_journal_file_arrives_whole(tmp_path: Path, form: str) -> None:
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    path = tmp_path / "optuna.log"
    storage = JournalStorage(JournalFileBackend(str(path)))
    build(storage)
    check_import(form.format(path), f"sqlite:///{tmp_path / 'sturgeon.db'}", optuna_trials(storage))


@pytest.mark.parametrize("sampler", ["tpe", "gp"])
def test_imported_study_continues_with_our_samplers(rdb: str, tmp_path: Path, sampler: str) -> None:
    target = f"sqlite:///{tmp_path / 'sturgeon.db'}"
    sg.import_optuna_study(rdb, to_storage=target)
    base = sg.samplers.make_sampler(sampler, 0)
    seen: list[int] = []

    class Spy(type(base)):  # type: ignore[misc]
        def before_trial(self, history: Any, ctx: Any) -> None:
            seen.append(sum(t.state is sg.TrialState.COMPLETE for t in history))
            super().before_trial(history, ctx)

    spy = Spy(seed=0)
    study = sg.load_study("mixed", storage=target, sampler=spy)
    study.optimize(lambda t: score(suggest(t)), n_trials=4)
    trials = study.trials
    # the enqueued trial ran first, with its fixed values; then new trials from our sampler
    assert trials[10].state is sg.TrialState.COMPLETE
    assert (trials[10].params["x"], trials[10].params["c"]) == (0.5, None)
    assert all(t.state is sg.TrialState.COMPLETE for t in trials[11:]) and len(trials) >= 14
    # the sampler learned from the imported trials: six finite COMPLETE ones (the inf one is
    # FAIL to samplers and pruners, still COMPLETE in the record)
    assert seen[0] == 6
    assert trials[5].state is sg.TrialState.COMPLETE and trials[5].value == math.inf
    assert study.best_trial.value == math.inf  # kept as recorded: Optuna's best is the same


def test_multi_objective_study_keeps_every_value(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'optuna.db'}"
    study = optuna.create_study(study_name="mo", storage=source, directions=["minimize", "maximize"])
    for i in range(3):
        t = study.ask()
        x = t.suggest_float("x", 0, 1)
        study.tell(t, [x + i, float("-inf") if i == 2 else 2 * i - x])  # 0 and 1: neither dominates
    t = study.ask()
    t.suggest_float("x", 0, 1)
    study.tell(t, state=optuna.trial.TrialState.FAIL)
    target = f"sqlite:///{tmp_path / 'sturgeon.db'}"
    (result,) = sg.import_optuna_study(source, "mo", to_storage=target)
    assert result.directions == ("minimize", "maximize")
    mine = sg.load_study("mo", storage=target)
    assert mine.directions == ["minimize", "maximize"] and mine.is_multi_objective
    for m, t in zip(mine.trials, study.trials, strict=True):
        assert m.value is None and "values" not in m.system_attrs
        assert m.values == t.values
    assert flags(mine.trials[2]) == ["value 1 is -inf, kept as recorded"]
    assert [t.number for t in mine.best_trials] == [0, 1]  # the -inf one is kept but fits no model or front
    # it continues with our samplers, on both objectives
    mine.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=2)
    assert mine.trials[-1].values == [mine.trials[-1].params["x"], 1.0]
    (again,) = sg.import_optuna_study(source, "mo", to_storage=target)
    assert again.imported == 0
    # a study of that name with another direction is not mixed with it
    sg.create_study("mo", direction="minimize", storage=f"sqlite:///{tmp_path / 'other.db'}")
    with pytest.raises(sg.InvalidValueError, match=r"exists already with direction"):
        sg.import_optuna_study(source, "mo", to_storage=f"sqlite:///{tmp_path / 'other.db'}")


def test_several_studies_and_clear_errors(tmp_path: Path) -> None:
    path = tmp_path / "optuna.db"
    source = f"sqlite:///{path}"
    for name in ("a", "b"):
        study = optuna.create_study(study_name=name, storage=source)
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    target = f"sqlite:///{tmp_path / 'sturgeon.db'}"
    results = sg.import_optuna_study(str(path), to_storage=target)  # a plain path: read as SQLite
    assert [(r.name, r.imported) for r in results] == [("a", 2), ("b", 2)]
    with pytest.raises(sg.StudyNotFoundError, match=r"no Optuna study named 'c' .* it has: 'a', 'b'"):
        sg.import_optuna_study(source, "c", to_storage=target)
    missing = tmp_path / "missing.db"
    with pytest.raises(sg.StorageError, match="does not exist"):
        sg.import_optuna_study(f"sqlite:///{missing}", to_storage=target)
    with pytest.raises(sg.StorageError, match="no Optuna journal file"):
        sg.import_optuna_study(str(tmp_path / "missing.log"), to_storage=target)
    assert not missing.exists() and not (tmp_path / "missing.log").exists()


def test_a_distribution_we_cannot_hold_stops_before_anything_is_written(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'optuna.db'}"
    study = optuna.create_study(study_name="dup", storage=source)
    study.optimize(lambda t: float(t.suggest_categorical("c", [True, 1]) is True), n_trials=2)
    target = f"sqlite:///{tmp_path / 'sturgeon.db'}"
    with pytest.raises(sg.InvalidValueError, match=r"trial 0: parameter 'c'.*duplicates"):
        sg.import_optuna_study(source, "dup", to_storage=target)
    assert sg.list_studies(storage=target) == []


def test_without_optuna_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "optuna", None)
    with pytest.raises(ImportError, match=r"pip install 'sturgeon\[optuna\]'"):
        sg.import_optuna_study(f"sqlite:///{tmp_path / 'x.db'}")


def test_import_sturgeon_does_not_load_optuna() -> None:
    code = "import sys, sturgeon, sturgeon.cli; print('optuna' in sys.modules, callable(sturgeon.import_optuna_study))"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.split() == ["False", "True"]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sturgeon", "import-optuna", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_imports_once(rdb: str, tmp_path: Path) -> None:
    target = f"sqlite:///{tmp_path / 'sturgeon.db'}"
    first = run_cli("--from", rdb, "--study", "mixed", "--to", target)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == (
        f"'mixed' (maximize): 11 trials imported, 0 already there, 4 flagged (see their import_flags) -> {target}"
    )
    again = run_cli("--from", rdb, "--all", "--to", target)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"'mixed' (maximize): 0 trials imported, 11 already there -> {target}"
    assert len(sg.load_study("mixed", storage=target).trials) == 11

    bad = run_cli("--from", rdb, "--study", "nope", "--to", target)
    assert bad.returncode == 1
    assert bad.stderr.strip() == f"Error: no Optuna study named 'nope' in {rdb!r}; it has: 'mixed'"
    neither = run_cli("--from", rdb, "--to", target)
    assert neither.returncode == 2 and "give --study NAME (one or more) or --all" in neither.stderr


def test_cli_journal_and_multi_objective(tmp_path: Path) -> None:
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    path = tmp_path / "runs.log"
    study = optuna.create_study(
        study_name="mo", storage=JournalStorage(JournalFileBackend(str(path))), directions=["minimize", "minimize"]
    )
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_int("y", 0, 3)), n_trials=3)
    target = f"sqlite:///{tmp_path / 'sturgeon.db'}"
    res = run_cli("--from", str(path), "--all", "--to", target)
    assert res.returncode == 0, res.stderr
    assert sg.load_study("mo", storage=target).directions == ["minimize", "minimize"]
    assert res.stdout.startswith("'mo' (minimize, minimize): 3 trials imported")


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_imported_trials_are_finished_once(rdb: str, tmp_path: Path, backend: str) -> None:
    """A trial imported finished holds its finish key: telling it again is refused, in both
    backends (create_trial reads ``{n}`` in a unique key as the new trial's number)."""
    target: Any = sg.storage.InMemoryStorage() if backend == "memory" else f"sqlite:///{tmp_path / 's.db'}"
    sg.import_optuna_study(rdb, "mixed", to_storage=target)
    study = sg.load_study("mixed", storage=target)
    for number in (0, 6, 7, 9):  # COMPLETE, PRUNED, FAIL, RUNNING (now FAIL)
        with pytest.raises(sg.TrialStateError, match="already finished"):
            study.tell(number, 1.0)
    assert [t.state.value for t in study.trials][:10] == ["COMPLETE"] * 6 + ["PRUNED", "FAIL", "COMPLETE", "FAIL"]
