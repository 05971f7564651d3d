"""SQLite storage under real conditions: several processes, SIGKILL, foreign and newer files."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import sturgeon as sg
from sturgeon import TrialState
from sturgeon.storage import SCHEMA_VERSION

WORKERS = str(Path(__file__).with_name("_workers.py"))


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    """A study database that several processes open: an SQLite file or a PostgreSQL database."""
    if request.param == "sqlite":
        return sqlite_url
    return request.getfixturevalue("postgres").new_database()


def _spawn(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, WORKERS, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_four_processes_share_one_study(shared_url):
    sg.create_study(name="shared", storage=shared_url)
    procs = [_spawn("run", shared_url, "shared", "30", str(seed)) for seed in range(4)]
    for p in procs:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
    trials = sg.load_study(name="shared", storage=shared_url).trials
    assert sorted(t.number for t in trials) == list(range(120))
    assert all(t.state is TrialState.COMPLETE for t in trials)
    assert all(set(t.params) == {"x", "y"} for t in trials)


def test_four_processes_claim_each_enqueued_trial_once(shared_url):
    study = sg.create_study(name="queue", storage=shared_url)
    for i in range(40):
        study.enqueue({"x": i / 40, "y": i % 11})
    procs = [_spawn("run", shared_url, "queue", "12", str(seed)) for seed in range(4)]
    for p in procs:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
    trials = study.trials
    assert len(trials) == 48 and all(t.state is TrialState.COMPLETE for t in trials)
    assert [t.params["x"] for t in trials[:40]] == [i / 40 for i in range(40)]


def test_four_processes_run_each_grid_point_once(shared_url):
    sg.create_study(name="grid", storage=shared_url)
    procs = [_spawn("grid", shared_url, "grid") for _ in range(4)]
    for p in procs:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
    trials = sg.load_study(name="grid", storage=shared_url).trials
    done = [t for t in trials if t.state is TrialState.COMPLETE]
    points = {(t.params["x"], t.params["y"]) for t in done}
    assert len(points) == len(done) == 5 * 11  # x: 5 grid points of a continuous Float; y: 0..10
    assert all(t.state is TrialState.COMPLETE or "exhausted" in (t.fail_reason or "") for t in trials)


def test_sigkill_mid_trial_keeps_finished_trials_and_requeues_the_stale_one(shared_url):
    sg.create_study(name="crash", storage=shared_url)
    proc = _spawn("hang", shared_url, "crash")
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "hanging"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)

    study = sg.load_study(name="crash", storage=shared_url)
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.COMPLETE, TrialState.RUNNING]
    stale_params = dict(trials[2].params)
    assert set(stale_params) == {"x", "y"}

    deadline = time.time() + 10
    failed: list[int] = []
    while not failed and time.time() < deadline:  # the heartbeat expires ~1.6 s after the kill
        failed = study.fail_stale_trials()
        time.sleep(0.1)
    assert failed == [2]
    trials = study.trials
    assert trials[2].state is TrialState.FAIL and "heartbeat" in trials[2].fail_reason
    assert trials[3].state is TrialState.WAITING and trials[3].fixed_params == stale_params
    assert study.fail_stale_trials() == []  # once only

    study.optimize(_workers_objective(), n_trials=2)
    trials = study.trials
    assert trials[3].state is TrialState.COMPLETE and trials[3].params == stale_params
    assert trials[3].system_attrs["retry_of"] == 2


def _workers_objective():
    sys.path.insert(0, str(Path(WORKERS).parent))
    import _workers

    return _workers.objective


def test_optimize_fails_stale_trials_automatically(sqlite_url):
    sg.create_study(name="auto", storage=sqlite_url)
    proc = _spawn("hang", sqlite_url, "auto")
    assert proc.stdout is not None and proc.stdout.readline().strip() == "hanging"
    proc.kill()
    proc.wait(timeout=30)
    time.sleep(2.0)  # let the dead worker's heartbeat expire
    study = sg.load_study(name="auto", storage=sqlite_url)
    study.optimize(_workers_objective(), n_trials=1)
    states = [t.state for t in study.trials]
    assert states == [TrialState.COMPLETE, TrialState.COMPLETE, TrialState.FAIL, TrialState.COMPLETE]


def test_study_survives_reopening(sqlite_url):
    study = sg.create_study(name="persist", storage=sqlite_url, direction="maximize", seed=0)
    study.optimize(_workers_objective(), n_trials=10)
    again = sg.load_study(name="persist", storage=sqlite_url)
    assert again.direction == "maximize"
    assert [(t.number, t.value, t.params) for t in again.trials] == [
        (t.number, t.value, t.params) for t in study.trials
    ]
    assert again.best_trial.number == study.best_trial.number


def test_newer_schema_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    sg.create_study(name="s", storage=url)
    with sqlite3.connect(tmp_path / "new.db") as con:
        con.execute("UPDATE sturgeon_meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
        con.execute("UPDATE sturgeon_meta SET value = ? WHERE key = 'min_reader_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(sg.SchemaVersionError, match=f"needs sturgeon's schema {SCHEMA_VERSION + 1} or newer.*upgrade"):
        sg.load_study(name="s", storage=url)


def test_newer_schema_that_old_readers_may_read_opens(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    sg.create_study(name="s", storage=url).optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    with sqlite3.connect(tmp_path / "new.db") as con:
        con.execute("UPDATE sturgeon_meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    assert len(sg.load_study(name="s", storage=url).trials) == 2


def test_text_file_is_refused(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 20)
    with pytest.raises(sg.NotASturgeonDatabaseError, match="not a sturgeon database"):
        sg.create_study(storage=f"sqlite:///{path}")
    assert path.read_text().startswith("these are my notes")


def test_other_sqlite_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    with pytest.raises(sg.NotASturgeonDatabaseError, match="not a sturgeon one.*customers"):
        sg.create_study(storage=f"sqlite:///{path}")
    with sqlite3.connect(path) as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"customers"}


def test_directory_is_refused(tmp_path):
    with pytest.raises(sg.NotASturgeonDatabaseError, match="directory"):
        sg.create_study(storage=f"sqlite:///{tmp_path}")


def test_sqlite_file_is_in_wal_mode(sqlite_url, tmp_path):
    sg.create_study(name="wal", storage=sqlite_url)
    with sqlite3.connect(tmp_path / "study.db") as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# -- storage URLs: one line naming the URL and the accepted forms ----------------------------
@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("sqllite:///x.db", "did you mean 'sqlite'"),
        ("foo://", "'foo'"),
        ("mysql://me@db.example/studies", "'mysql'"),
        ("postgresql+asyncpg://me@db.example/studies", "driver 'asyncpg'"),
        ("sturgeon.db", "no 'kind://' prefix"),
        ("postgresql://me@db.example:port/studies", "cannot be read as a database URL"),
    ],
)
def test_an_unusable_storage_url_is_one_line_naming_it_and_the_accepted_forms(tmp_path, monkeypatch, url, why):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(sg.InvalidValueError) as info:
        sg.create_study(storage=url)
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert "\n" not in message
    assert f"storage {url!r}" in message and why in message
    assert "sqlite:///path/to/file.db" in message and "postgresql+psycopg://" in message
    with pytest.raises(sg.InvalidValueError, match="postgresql\\+psycopg://"):
        sg.storage.SQLStorage(url)
    assert list(tmp_path.iterdir()) == []


def test_a_password_in_the_url_is_not_shown_in_errors():
    with pytest.raises(sg.StorageError) as info:  # nothing listens on port 1
        sg.create_study(storage="postgres://me:s3cret@127.0.0.1:1/studies")
    assert "s3cret" not in str(info.value) and "postgres://me:***@127.0.0.1:1/studies" in str(info.value)
    assert "\n" not in str(info.value)
    with pytest.raises(sg.InvalidValueError) as bad:
        sg.create_study(storage="mysql://me:s3cret@host/studies")
    assert "s3cret" not in str(bad.value)


def test_postgres_alias_opens_the_same_database(postgres):
    url = postgres.new_database()
    assert url.startswith("postgresql+psycopg://")
    sg.create_study(name="s", storage=url).optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    for alias in ("postgres://", "postgresql://"):
        study = sg.load_study("s", storage=url.replace("postgresql+psycopg://", alias))
        assert len(study.trials) == 2
        study.storage.close()


# -- opening only what exists, and only to read ----------------------------------------------
def test_create_false_never_makes_a_database(tmp_path):
    missing, empty = tmp_path / "missing.db", tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(sg.StorageError, match="no sturgeon database at .*missing.db.*does not exist"):
        sg.storage.get_storage(f"sqlite:///{missing}", create=False)
    with pytest.raises(sg.NotASturgeonDatabaseError, match="no sturgeon database at .*empty.db.*is empty"):
        sg.storage.get_storage(f"sqlite:///{empty}", read_only=True)
    bare = tmp_path / "bare.db"  # an SQLite file without tables
    with sqlite3.connect(bare) as con:
        con.execute("PRAGMA user_version = 7")
    with pytest.raises(sg.NotASturgeonDatabaseError, match="no sturgeon database at .*bare.db.*no sturgeon tables"):
        sg.storage.get_storage(f"sqlite:///{bare}", create=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bare.db", "empty.db"]
    assert empty.stat().st_size == 0
    with sqlite3.connect(bare) as con:
        assert con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0


def test_create_false_on_postgres_without_the_schema_writes_nothing(postgres):
    url = postgres.new_database()
    with pytest.raises(sg.NotASturgeonDatabaseError, match="no sturgeon tables"):
        sg.storage.get_storage(url, read_only=True)
    backend = sg.storage.get_storage(url)  # the default creates the schema
    assert backend.list_studies() == []
    backend.close()


def test_read_only_storage_reads_and_refuses_every_write(tmp_path):
    path = tmp_path / "s.db"
    study = sg.create_study(name="s", storage=f"sqlite:///{path}", sampler="random", seed=0)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    study.storage.close()
    before = path.read_bytes()
    backend = sg.storage.get_storage(f"sqlite:///{path}", read_only=True)
    record = backend.get_study("s")
    assert backend.count_trials(record.study_id) == 3 and len(backend.read(record.study_id)) > 0
    assert [s.name for s in sg.list_studies(backend)] == ["s"]
    assert len(sg.load_study("s", storage=backend).trials) == 3
    writes = [
        lambda: backend.create_study("t", "minimize"),
        lambda: backend.append(record.study_id, [sg.storage.Event(sg.storage.EventKind.USER_ATTR, None, "k", 1)]),
        lambda: backend.create_trial(record.study_id, [sg.storage.Event(sg.storage.EventKind.TRIAL_CREATED)]),
        lambda: backend.record_heartbeat(record.study_id, 0, 10.0),
        lambda: backend.delete_study(record.study_id),
    ]
    for write in writes:
        with pytest.raises(sg.StorageError, match="opened read-only"):
            write()
    backend.close()
    assert path.read_bytes() == before


def test_read_only_storage_does_not_migrate_an_older_schema(tmp_path):
    path = tmp_path / "old.db"
    sg.create_study(name="s", storage=f"sqlite:///{path}").optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    with sqlite3.connect(path) as con:
        con.execute("UPDATE sturgeon_meta SET value = '2' WHERE key = 'schema_version'")
    backend = sg.storage.get_storage(f"sqlite:///{path}", read_only=True)
    assert len(sg.load_study("s", storage=backend).trials) == 2
    backend.close()
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT value FROM sturgeon_meta WHERE key = 'schema_version'").fetchone()[0] == "2"
