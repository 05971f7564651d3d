"""The ``sturgeon`` command, run in-process on real SQLite files."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import sturgeon as sg
from sturgeon.cli import main


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A database holding study 'demo' after a 3-trial demo run: (storage URL, demo output)."""
    pytest.importorskip("sklearn")
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'studies.db'}"
    result = run("demo", "--storage", url, "--n-trials", "3", "--timeout", "60", "--seed", "1")
    assert result.exit_code == 0, result.output
    return url, result.output


def make_study(url: str, name: str = "quad", n_trials: int = 4) -> None:
    study = sg.create_study(name=name, storage=url, sampler="random", seed=0)
    study.optimize(lambda t: (t.suggest_float("x", -1.0, 1.0) - 0.3) ** 2, n_trials=n_trials)
    study.storage.close()


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert sg.__version__ in result.output


def test_demo_prints_a_summary_with_a_test_score(demo_db: tuple[str, str]) -> None:
    url, output = demo_db
    assert "Created study 'demo'" in output
    assert "Best trial: #" in output
    assert "validation accuracy 0." in output
    assert "test accuracy       0." in output
    assert "Trials: 3 this run" in output and "3 in the study" in output
    assert f"Stored in {url}" in output and "sturgeon show demo --storage" in output
    # three trials: fewer than the default pruner's five finished ones, so nothing was stopped
    assert "Epochs trained: 75 of the 75 that running every trial to the end would take (0% saved" in output


def test_demo_stops_bad_trials_early_and_says_how_many_epochs_it_saved(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'pruned.db'}"
    result = run("demo", "--storage", url, "--n-trials", "14", "--timeout", "120", "--seed", "0")
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("Epochs trained: "))
    trained = int(line.split()[2])
    assert "of the 350 that running every trial to the end would take" in line
    study = sg.load_study("demo", storage=url)
    assert trained == study.total_resource == sum(t.resource for t in study.trials) < 350
    assert any(t.state is sg.TrialState.PRUNED for t in study.trials)
    shown = run("show", "demo", "--storage", url)
    assert f"Resource: {trained} steps trained in all" in shown.output


def test_demo_in_the_current_folder_continues_the_study(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("sklearn")
    monkeypatch.chdir(tmp_path)
    first = run("demo", "--n-trials", "2", "--timeout", "30")
    assert first.exit_code == 0, first.output
    assert (tmp_path / "sturgeon.db").is_file()
    assert "see it with: sturgeon show demo\n" in first.output

    second = run("demo", "--n-trials", "2", "--timeout", "30")
    assert second.exit_code == 0, second.output
    assert "Continuing the existing study 'demo': it has 2 trials" in second.output
    assert "Trials: 2 this run" in second.output and "4 in the study" in second.output

    listed = run("studies")
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines()[2].split()[:3] == ["demo", "maximize", "4"]


def test_demo_without_scikit_learn_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sklearn", None)  # makes `import sklearn` fail
    result = run("demo", "--storage", f"sqlite:///{tmp_path / 'x.db'}")
    assert result.exit_code == 1
    assert "pip install 'sturgeon[demo]'" in result.output
    assert "Traceback" not in result.output


def test_studies_lists_names_and_counts(demo_db: tuple[str, str]) -> None:
    url, _ = demo_db
    result = run("studies", "--storage", url)
    assert result.exit_code == 0, result.output
    header, _rule, row = result.output.splitlines()
    assert header.split() == ["name", "direction", "trials", "complete", "best", "value"]
    name, direction, trials, complete, best = row.split()
    assert (name, direction, trials) == ("demo", "maximize", "3")
    assert 1 <= int(complete) <= 3 and 0.0 < float(best) <= 1.0


def test_show_prints_the_best_trial_and_a_table(demo_db: tuple[str, str]) -> None:
    url, _ = demo_db
    study = sg.load_study("demo", storage=url)
    best = study.best_trial
    study.storage.close()
    result = run("show", "demo", "--storage", url, "--top", "2")
    assert result.exit_code == 0, result.output
    assert f"Best trial: #{best.number}, value {best.value:.6g}" in result.output
    assert "  learning_rate_init = " in result.output and "  activation = " in result.output
    table = result.output.split("best first):\n")[1].splitlines()
    assert table[0].split()[:3] == ["#", "value", "seconds"] and "n_units" in table[0]
    assert table[2].split()[0] == str(best.number)
    assert 2 <= len(table) - 2 <= 3  # at most --top rows


def test_export_csv_has_one_row_per_trial(demo_db: tuple[str, str]) -> None:
    url, _ = demo_db
    result = run("export", "demo", "--storage", url, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["number"] for r in rows] == ["0", "1", "2"]
    assert {"state", "value", "params_alpha", "params_activation", "user_attrs_fit_time_s"} <= set(rows[0])


def test_export_json_to_a_file(demo_db: tuple[str, str], tmp_path: Path) -> None:
    url, _ = demo_db
    result = run("export", "demo", "--storage", url, "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["number"] for r in rows] == [0, 1, 2]
    assert all(r["state"] in ("COMPLETE", "PRUNED") for r in rows)

    out = tmp_path / "trials.json"
    result = run("export", "demo", "--storage", url, "--format", "json", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text()) == rows


def test_delete_asks_unless_yes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    make_study(url)
    kept = run("delete", "quad", "--storage", url, input="n\n")
    assert kept.exit_code == 1 and "Delete study 'quad' and its 4 trials" in kept.output
    assert "quad" in run("studies", "--storage", url).output

    deleted = run("delete", "quad", "--storage", url, "--yes")
    assert deleted.exit_code == 0, deleted.output
    assert "Deleted study 'quad'" in deleted.output
    assert run("studies", "--storage", url).output == f"No studies in {url}.\n"


@pytest.mark.parametrize("command", ["show", "export", "delete"])
def test_unknown_study_is_a_clean_error(tmp_path: Path, command: str) -> None:
    url = f"sqlite:///{tmp_path / 'u.db'}"
    make_study(url)
    result = run(command, "nope", "--storage", url, *(["--yes"] if command == "delete" else []))
    assert result.exit_code == 1
    assert result.output.startswith("Error: no study named 'nope'")
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", [["studies"], ["show", "demo"], ["demo", "--n-trials", "1"]])
def test_a_file_that_is_not_a_database_is_a_clean_error(tmp_path: Path, command: list[str]) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n")
    result = run(*command, "--storage", f"sqlite:///{notes}")
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "is not a sturgeon database" in result.output
    assert notes.read_text() == "not a database\n"


def test_a_missing_default_database_is_not_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for command in (["studies"], ["show", "demo"], ["export", "demo"], ["delete", "demo", "--yes"]):
        result = run(*command)
        assert result.exit_code == 1
        assert result.output.startswith("Error: no sturgeon database at 'sturgeon.db'")
    assert list(tmp_path.iterdir()) == []


# -- first contact: the command as a separate process, as a new user runs it -----------------
def sturgeon(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sturgeon", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("url", ["sqllite:///x.db", "postgres+asyncpg://me@host/db", "foo://", "x.db"])
@pytest.mark.parametrize("command", [["studies"], ["show", "s"], ["export", "s"], ["delete", "s", "--yes"]])
def test_a_bad_storage_url_is_one_line_on_stderr(tmp_path: Path, url: str, command: list[str]) -> None:
    res = sturgeon(*command, "--storage", url, cwd=tmp_path)
    assert res.returncode == 1 and res.stdout == ""
    assert res.stderr.startswith(f"Error: storage {url!r} ") and res.stderr.count("\n") == 1
    assert "sqlite:///path/to/file.db" in res.stderr and "postgresql+psycopg://" in res.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "command", [["studies"], ["show", "s"], ["show", "s", "0"], ["export", "s"], ["watch", "s", "--once"]]
)
def test_read_only_commands_never_write(tmp_path: Path, command: list[str]) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    for name, what in (("missing.db", "does not exist"), ("empty.db", "is empty")):
        res = sturgeon(*command, "--storage", f"sqlite:///{name}", cwd=tmp_path)
        assert res.returncode == 1 and res.stderr.count("\n") == 1, res.stderr
        assert res.stderr.startswith(f"Error: no sturgeon database at {name!r}") and what in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"] and empty.stat().st_size == 0

    db = tmp_path / "s.db"
    make_study(f"sqlite:///{db}", name="s")
    before = db.read_bytes()
    res = sturgeon(*command, "--storage", f"sqlite:///{db}", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db", "s.db"]


def _read_cell(cell: str) -> object:
    """How the CSV export says a cell reads back (sturgeon._export): empty is missing, JSON
    where it is JSON, else the text itself."""
    if cell == "":
        return "<missing>"
    try:
        return json.loads(cell)
    except ValueError:
        return cell


def _odd_values_study(url: str) -> None:
    """Trials with structured user attributes, each odd choice (None, text with a newline,
    JSON look-alikes, an empty string) and a parameter only some trials have."""
    study = sg.create_study(name="odd", storage=url, sampler="random", seed=0)
    choices = [None, "relu", "two\nlines", "null", "12", ""]
    for i, choice in enumerate(choices):
        study.enqueue({"act": choice})
        trial = study.ask()
        assert trial.suggest_categorical("act", choices) == choice
        trial.set_user_attr("layers", [64, 32])
        trial.set_user_attr("note", {"by": "me", "text": "a\nb"})
        if i % 2:
            trial.suggest_float("lr", 0.1, 0.2)
        study.tell(trial, float(i))
    study.storage.close()


def test_export_csv_writes_json_cells_and_tells_missing_from_none(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'odd.db'}"
    _odd_values_study(url)
    study = sg.load_study("odd", storage=url)
    trials = study.trials
    study.storage.close()
    res = sturgeon("export", "odd", "--storage", url, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert len(rows) == len(trials) == 6
    assert [r["params_act"] for r in rows] == ["null", "relu", "two\nlines", '"null"', '"12"', '""']
    for row, t in zip(rows, trials, strict=True):
        assert _read_cell(row["params_act"]) == t.params["act"]
        assert _read_cell(row["params_lr"]) == t.params.get("lr", "<missing>")
        assert _read_cell(row["user_attrs_layers"]) == [64, 32]
        assert _read_cell(row["user_attrs_note"]) == {"by": "me", "text": "a\nb"}
        assert _read_cell(row["value"]) == t.value and _read_cell(row["fail_reason"]) == "<missing>"
        assert _read_cell(row["state"]) == "COMPLETE"

    as_json = json.loads(sturgeon("export", "odd", "--storage", url, "--format", "json", cwd=tmp_path).stdout)
    for row, t in zip(as_json, trials, strict=True):
        assert row["params_act"] == t.params["act"]
        assert ("params_lr" in row) == ("lr" in t.params)


def test_export_csv_of_an_empty_study_has_a_header(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'e.db'}"
    sg.create_study(name="empty", storage=url).storage.close()
    res = sturgeon("export", "empty", "--storage", url, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [
        "number,state,value,datetime_start,datetime_complete,duration_s,resource,best_step,fail_reason"
    ]


def test_show_keeps_one_line_per_trial_when_values_have_newlines(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nl.db'}"
    study = sg.create_study(name="nl", storage=url, direction="maximize")
    space = {"act\tname": sg.Categorical(["one\ntwo", None])}
    for act, value in (("one\ntwo", 2.0), (None, 1.0)):
        study.enqueue({"act\tname": act})
        trial = study.ask(space)
        study.tell(trial, value)
    study.storage.close()
    res = sturgeon("show", "nl", "--storage", url, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "  act\\tname = one\\ntwo\n" in res.stdout  # the best trial's parameters
    table = res.stdout.split("best first):\n")[1].splitlines()
    assert len(table) == 2 + 2  # header, rule, one line per trial
    assert table[0].split()[-1] == "act\\tname"
    assert table[2].split()[-1] == "one\\ntwo" and table[3].split()[-1] == "None"
