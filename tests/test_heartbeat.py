"""No trial without an owner, and heartbeats that keep live trials alive and dead ones recovered.

Real storages (an SQLite file, a PostgreSQL server), real worker processes SIGKILLed at the
worst moments (inside ``ask``, after the trial was created or claimed; inside the objective),
and a second worker recovering stale trials while a live one takes a slow step.
"""

from __future__ import annotations

import json
import logging
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import sturgeon as sg
from sturgeon import TrialState
from sturgeon.samplers import RandomSampler, SampleContext
from sturgeon.storage import InMemoryStorage

WORKERS = str(Path(__file__).with_name("_heartbeat_workers.py"))
RUNNING, COMPLETE, FAIL, WAITING = TrialState.RUNNING, TrialState.COMPLETE, TrialState.FAIL, TrialState.WAITING


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, WORKERS, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _kill(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'study.db'}"
    return request.getfixturevalue("postgres").new_database()


def _heartbeats(url: str) -> dict[int, tuple[float, str]]:
    """The heartbeat table as it is in the database: trial -> (expiry, owner)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT trial, expires, owner FROM sturgeon_heartbeats")).all()
    finally:
        engine.dispose()
    return {int(r[0]): (float(r[1]), r[2]) for r in rows}


def _recover_until(study: sg.Study, number: int, timeout: float = 30.0) -> list[int]:
    failed: list[int] = []
    deadline = time.monotonic() + timeout  # a safety net: the expiry is a couple of seconds
    while number not in failed and time.monotonic() < deadline:
        failed += study.fail_stale_trials()
        time.sleep(0.05)
    return failed


# -- 0. no trial without an owner -----------------------------------------------------------------
@pytest.mark.parametrize("enqueued", [False, True], ids=["new", "enqueued"])
def test_a_worker_killed_inside_ask_leaves_no_trial_running_for_ever(db_url: str, enqueued: bool) -> None:
    study = sg.create_study(name="ask", storage=db_url, sampler="random")
    if enqueued:
        study.enqueue({"x": 0.25})
    proc = _spawn("die-in-ask", db_url, "ask", "0.2")
    assert proc.stdout is not None and proc.stdout.readline().strip() == "in ask 0"
    # created (or claimed) and not yet run: its heartbeat came with the claim, naming its worker
    assert study.trials[0].state is RUNNING
    beats = _heartbeats(db_url)
    assert list(beats) == [0] and beats[0][1].endswith(f":{proc.pid}")
    _kill(proc)

    assert _recover_until(study, 0) == [0]
    t0, t1 = study.trials
    assert t0.state is FAIL and "heartbeat" in t0.fail_reason
    assert t1.state is WAITING and t1.fixed_params == ({"x": 0.25} if enqueued else {})
    assert t1.system_attrs["retry_of"] == 0 and _heartbeats(db_url) == {}


def test_a_trial_from_ask_belongs_to_the_caller_and_one_from_optimize_to_its_worker(sqlite_url: str) -> None:
    study = sg.create_study(storage=sqlite_url, sampler="random")
    mine = study.ask({"x": sg.Float(0, 1)})
    assert _heartbeats(sqlite_url) == {}  # no heartbeat: nobody may take it for dead
    seen: dict[int, tuple[float, str]] = {}

    def objective(trial: sg.Trial) -> float:
        seen.update(_heartbeats(sqlite_url))
        return trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=1, heartbeat_interval=0.05)
    assert list(seen) == [1] and seen[1][1] == f"{socket.gethostname()}:{os.getpid()}"
    assert study.fail_stale_trials() == [] and study.trials[0].state is RUNNING
    study.tell(mine, 0.5)
    assert [t.state for t in study.trials] == [COMPLETE, COMPLETE] and _heartbeats(sqlite_url) == {}


class _BrokenSampler(RandomSampler):
    def before_trial(self, history: Any, ctx: SampleContext) -> None:
        raise RuntimeError("the sampler broke")


def test_an_error_inside_ask_fails_the_trial_at_once_and_queues_an_enqueued_one_again(storage: Any) -> None:
    study = sg.create_study(storage=storage, sampler=_BrokenSampler(seed=0))
    study.enqueue({"x": 0.5})
    with pytest.raises(RuntimeError, match="the sampler broke"):
        study.ask()
    t0, t1 = study.trials
    assert t0.state is FAIL and t0.fail_reason == "not run: RuntimeError: the sampler broke"
    assert t0.system_attrs["retried_as"] == 1
    assert t1.state is WAITING and t1.fixed_params == {"x": 0.5} and t1.system_attrs["retry_of"] == 0

    study.sampler = RandomSampler(seed=0)
    t = study.ask({"x": sg.Float(0, 1)})
    assert t.number == 1 and t.params == {"x": 0.5}
    study.sampler = _BrokenSampler(seed=0)
    with pytest.raises(RuntimeError):  # a new trial: failed, nothing to queue again
        study.optimize(lambda trial: 0.0, n_trials=1)
    study.tell(t, 1.0)
    assert [s.state for s in study.trials] == [FAIL, COMPLETE, FAIL]


class _SlowSampler(RandomSampler):
    def before_trial(self, history: Any, ctx: SampleContext) -> None:
        time.sleep(2.0)  # longer than the expiry below: the worker beats for the trial meanwhile


def test_a_slow_sampler_inside_ask_does_not_fail_the_trial_it_prepares(sqlite_url: str) -> None:
    study = sg.create_study(storage=sqlite_url, sampler=_SlowSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2, heartbeat_interval=0.1)  # expiry 1.3 s
    assert [t.state for t in study.trials] == [COMPLETE, COMPLETE]


def test_an_enqueued_value_outside_the_asked_space_stays_queued(storage: Any) -> None:
    study = sg.create_study(storage=storage, sampler="random")
    study.enqueue({"y": 3.5})
    with pytest.raises(sg.InvalidSpaceError, match=r"enqueued trial 0 has y=3.5, which is not in Int\(0, 10\)"):
        study.ask({"y": sg.Int(0, 10)})
    assert [t.state for t in study.trials] == [WAITING]
    trial = study.ask({"y": sg.Float(0, 10)})
    assert trial.number == 0 and trial.params == {"y": 3.5}
    study.tell(trial, 1.0)
    assert [t.state for t in study.trials] == [COMPLETE]


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, -1.0, 0, 0.0, True, "10", 10**400, 1e9])
def test_heartbeat_interval_must_be_a_positive_finite_number_of_seconds(value: Any) -> None:
    study = sg.create_study(sampler="random")
    with pytest.raises(sg.InvalidValueError, match=r"optimize: heartbeat_interval must be a number of seconds > 0"):
        study.optimize(lambda t: 0.0, n_trials=1, heartbeat_interval=value)
    assert study.trials == []


@pytest.mark.parametrize("value", [math.nan, math.inf, -1, 0])
def test_timeout_must_be_a_positive_finite_number_of_seconds(value: float) -> None:
    study = sg.create_study(sampler="random")
    with pytest.raises(sg.InvalidValueError, match=r"optimize: timeout must be a finite number of seconds > 0"):
        study.optimize(lambda t: 0.0, timeout=value)
    assert study.trials == []


def test_an_int_range_beyond_float_precision_is_refused_at_construction() -> None:
    with pytest.raises(sg.InvalidSpaceError, match=r"Int: high must be within -2\*\*53 \.\. 2\*\*53"):
        sg.Int(0, 2**1100)
    with pytest.raises(sg.InvalidSpaceError, match=r"Int: low must be within"):
        sg.Int(-(2**60), 0)
    with pytest.raises(sg.InvalidSpaceError, match=r"Float: step is too small for the range"):
        sg.Float(0, 1e300, step=1e-300)
    assert sg.Int(0, 2**53).high == 2**53


# -- 7. heartbeats ----------------------------------------------------------------------------------
def test_a_slow_step_does_not_fail_a_live_trial_while_another_worker_recovers(db_url: str, tmp_path: Path) -> None:
    sg.create_study(name="slow", storage=db_url)
    stop = tmp_path / "stop"
    other = _spawn("recover", db_url, "slow", str(stop))  # another worker, failing stale trials all along
    assert other.stdout is not None and other.stdout.readline().strip() == "recovering"
    study = sg.load_study(name="slow", storage=db_url, sampler="random")
    expiries: list[float] = []

    def objective(trial: sg.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        expiries.append(_heartbeats(db_url)[trial.number][0])
        time.sleep(6.0)  # one slow step: 6 heartbeat intervals, longer than the expiry; the GIL is free
        expiries.append(_heartbeats(db_url)[trial.number][0])
        trial.report(x, step=0)
        return x

    try:
        study.optimize(objective, n_trials=1, heartbeat_interval=1.0)  # expiry 4 s
    finally:
        stop.touch()
    out, err = other.communicate(timeout=60)
    assert other.returncode == 0, err
    assert json.loads(out.splitlines()[-1]) == []  # it found nothing to recover
    (t,) = study.trials
    assert t.state is COMPLETE and t.fail_reason is None
    assert expiries[1] >= expiries[0] + 4.0  # renewed during the sleep, by the heartbeat thread


def test_a_dead_workers_trial_is_recovered_within_its_expiry_and_one_check_interval(db_url: str) -> None:
    interval = 1.0  # expiry: 3 intervals + 1 s
    sg.create_study(name="dead", storage=db_url)
    proc = _spawn("hang", db_url, "dead", str(interval))
    assert proc.stdout is not None and proc.stdout.readline().strip() == "hanging 0"
    _kill(proc)
    ((expires, _),) = _heartbeats(db_url).values()  # the dead worker's last word
    study = sg.load_study(name="dead", storage=db_url, sampler="random")
    seen: dict[str, Any] = {}

    def objective(trial: sg.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        if not seen:  # this worker's first trial runs until the dead one is recovered
            seen["running at start"] = study.trials[0].state is RUNNING
            deadline = time.monotonic() + 60  # a safety net
            while study.trials[0].state is RUNNING and time.monotonic() < deadline:
                time.sleep(0.05)
            seen["state"] = study.trials[0].state
        return x

    study.optimize(objective, n_trials=2, heartbeat_interval=interval)
    # recovered while this worker was inside a trial: by its heartbeat thread, not between trials
    assert seen == {"running at start": True, "state": FAIL}
    dead, mine, retry = study.trials
    assert dead.state is FAIL and "heartbeat" in dead.fail_reason
    assert dead.datetime_complete is not None
    late = dead.datetime_complete.timestamp() - expires
    assert 0 <= late <= interval + 3.0  # one check interval, plus scheduling on a busy machine
    assert mine.state is COMPLETE
    assert retry.state is COMPLETE and retry.params == dead.params and retry.system_attrs["retry_of"] == 0


class _FlakyStorage(InMemoryStorage):
    """A storage whose first heartbeats fail, and whose stale check once ends the heartbeat thread."""

    def __init__(self) -> None:
        super().__init__()
        self.beats: dict[int, int] = {}
        self.failures = 3
        self.ended_thread = False

    def record_heartbeat(self, study_id: int, trial: int, ttl_seconds: float, *, renew_only: bool = False) -> bool:
        if self.failures > 0:
            self.failures -= 1
            raise OSError("the network is down")
        self.beats[trial] = self.beats.get(trial, 0) + 1
        return super().record_heartbeat(study_id, trial, ttl_seconds, renew_only=renew_only)

    def stale_trials(self, study_id: int) -> list[int]:
        on_beat_thread = threading.current_thread().name == "sturgeon-heartbeat"
        if on_beat_thread and self.beats.get(0, 0) >= 2 and not self.ended_thread:
            self.ended_thread = True
            raise SystemExit  # what no `except Exception` catches
        return super().stale_trials(study_id)


def test_the_heartbeat_thread_survives_storage_errors_and_is_started_again(caplog: pytest.LogCaptureFixture) -> None:
    storage = _FlakyStorage()
    study = sg.create_study(storage=storage, sampler="random")

    def objective(trial: sg.Trial) -> float:
        def done() -> bool:  # the first trial runs until the thread ended, the second until beaten for
            return storage.ended_thread if trial.number == 0 else storage.beats.get(1, 0) >= 3

        deadline = time.monotonic() + 30  # a safety net
        while not done() and time.monotonic() < deadline:
            time.sleep(0.01)
        return 0.0

    with caplog.at_level(logging.WARNING, logger="sturgeon"):
        study.optimize(objective, n_trials=2, heartbeat_interval=0.02)
    messages = [r.getMessage() for r in caplog.records]
    assert sum("heartbeat for trial 0 failed" in m for m in messages) == 3  # logged, and the beat went on
    assert storage.ended_thread and "the heartbeat thread stopped" in messages
    assert "the heartbeat thread had stopped; starting it again" in messages
    assert storage.beats[1] >= 3  # the second trial was beaten for by the new thread
    assert [t.state for t in study.trials] == [COMPLETE, COMPLETE]


def test_a_worker_whose_trial_was_recovered_elsewhere_logs_it_and_goes_on(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    study = sg.create_study(name="late", storage=sqlite_url, sampler="random")
    other = sg.load_study(name="late", storage=sqlite_url, sampler="random")  # another worker

    def objective(trial: sg.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 0:  # its beats came too late (a frozen machine, say): another worker recovers it
            other.storage.record_heartbeat(other._study_id, 0, -1.0)
            assert other.fail_stale_trials() == [0]
        return x

    with caplog.at_level(logging.WARNING, logger="sturgeon"):
        study.optimize(objective, n_trials=2, heartbeat_interval=60.0)  # the thread never renews meanwhile
    assert any("trial 0 was recovered by another worker (now FAIL)" in r.getMessage() for r in caplog.records)
    t0, t1 = study.trials
    assert t0.state is FAIL and "heartbeat" in t0.fail_reason  # the recovery stands
    assert t1.state is COMPLETE and t1.params == t0.params and t1.system_attrs["retry_of"] == 0  # its retry ran
    assert _heartbeats(sqlite_url) == {}


def test_storage_heartbeat_contract(storage: Any) -> None:
    """Claims carry their first heartbeat; a recovery lands only while the heartbeat is expired."""
    backend = sg.storage.get_storage(storage)
    sid = backend.create_study("beats", "minimize")
    created = sg.storage.Event(sg.storage.EventKind.TRIAL_CREATED, value={"state": "RUNNING"})
    n = backend.create_trial(sid, [created], heartbeat_ttl=-1.0)  # born expired: stale at once
    assert backend.stale_trials(sid) == [n]
    assert backend.create_trial(sid, [created]) == n + 1  # no heartbeat asked for: none
    assert backend.record_heartbeat(sid, n + 1, 60.0, renew_only=True) is False
    assert backend.stale_trials(sid) == [n]

    finish = sg.storage.Event(
        sg.storage.EventKind.TRIAL_FINISHED, n, value={"state": "FAIL", "value": None}, unique_key=f"finish:{n}"
    )
    assert backend.record_heartbeat(sid, n, 60.0, renew_only=True) is True  # a late beat: alive again
    assert backend.recover(sid, n, [finish]) is False and backend.stale_trials(sid) == []
    backend.record_heartbeat(sid, n, -1.0)
    assert backend.recover(sid, n, [finish]) is True
    assert backend.recover(sid, n, [finish]) is False  # once: the heartbeat is gone
    assert backend.record_heartbeat(sid, n, 60.0, renew_only=True) is False and backend.stale_trials(sid) == []
    assert [e.kind for e in backend.read(sid)].count(sg.storage.EventKind.TRIAL_FINISHED) == 1

    waiting = sg.storage.Event(sg.storage.EventKind.TRIAL_CREATED, value={"state": "WAITING", "fixed_params": {}})
    m = backend.create_trial(sid, [waiting])
    claim = sg.storage.Event(sg.storage.EventKind.TRIAL_STARTED, m, unique_key=f"start:{m}")
    assert backend.append(sid, [claim], heartbeat=(m, -1.0)) is True
    assert backend.append(sid, [claim], heartbeat=(m + 1, -1.0)) is False  # lost claim: no heartbeat either
    assert backend.stale_trials(sid) == [m]
