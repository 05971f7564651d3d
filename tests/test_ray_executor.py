"""optimize(executor=RayExecutor(...)) on a real local Ray cluster (GPUs declared to Ray, as this
machine has none): trials run in Ray actors with their resources reserved and their GPUs assigned
by Ray; a Ray worker killed mid-trial has its trial recovered and the study goes on."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

ray = pytest.importorskip("ray")

import sturgeon as sg  # noqa: E402
from sturgeon import TrialState  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, num_gpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _objective(trial: sg.Trial) -> float:
    import ray as _ray

    x = trial.suggest_float("x", -2, 2)
    trial.set_user_attr("gpus", [str(g) for g in _ray.get_gpu_ids()])
    trial.set_user_attr("cuda", os.environ.get("CUDA_VISIBLE_DEVICES"))
    if trial.study.user_attrs.get("slow") and trial.number == 1:
        time.sleep(60)
    return x * x


def test_trials_run_in_ray_actors_with_gpus_assigned(cluster, tmp_path):
    study = sg.create_study(storage=f"sqlite:///{tmp_path / 'r.db'}", sampler="tpe", seed=0)
    seen = []
    executor = sg.RayExecutor(resources_per_trial={"cpu": 1, "gpu": 1})
    study.optimize(_objective, n_trials=6, n_jobs=2, executor=executor, callbacks=[lambda s, t: seen.append(t.number)])
    trials = study.trials
    assert len(trials) == 6 and all(t.state is TrialState.COMPLETE for t in trials)
    assert sorted(seen) == list(range(6))  # callbacks in the driver
    assert all("/ray:" in t.worker and f":{os.getpid()}/" not in t.worker for t in trials)
    assert len({t.worker.split("/")[0] for t in trials}) == 2  # two actors
    gpus = {tuple(t.user_attrs["gpus"]) for t in trials}
    assert all(len(g) == 1 and g[0] in ("0", "1") for g in gpus) and len(gpus) == 2  # one GPU each, by Ray
    assert all(t.user_attrs["cuda"] in ("0", "1") for t in trials)


def test_a_killed_ray_worker_s_trial_is_recovered_and_the_study_goes_on(cluster, tmp_path):
    study = sg.create_study(storage=f"sqlite:///{tmp_path / 'k.db'}", sampler="random", seed=0)
    study.set_user_attr("slow", True)

    def killer():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            running = [t for t in study.trials if t.number == 1 and t.state is TrialState.RUNNING and t.worker]
            if running:
                os.kill(int(running[0].worker.split("/")[0].rsplit(":", 1)[1]), signal.SIGKILL)
                return
            time.sleep(0.1)

    threading.Thread(target=killer, daemon=True).start()
    study.optimize(_objective, n_trials=4, n_jobs=1, executor=sg.RayExecutor(resources_per_trial={"cpu": 1}))
    trials = study.trials
    t1 = trials[1]
    assert t1.state is TrialState.FAIL and t1.fail_reason.startswith("WORKER_LOST")
    assert not [t for t in trials if t.state is TrialState.RUNNING]
    assert sum(t.state is TrialState.COMPLETE for t in trials) >= 3  # a new actor took the rest


def test_ray_executor_arguments_and_storage_are_checked(cluster):
    with pytest.raises(sg.InvalidValueError, match="resources_per_trial keys are 'cpu' and 'gpu'"):
        sg.RayExecutor(resources_per_trial={"tpu": 1})
    with pytest.raises(sg.InvalidValueError, match=r"resources_per_trial\['gpu'\] must be a number >= 0"):
        sg.RayExecutor(resources_per_trial={"gpu": -1})
    study = sg.create_study(sampler="random")
    with pytest.raises(sg.InvalidValueError, match="a RayExecutor needs a study in a database"):
        study.optimize(_objective, n_trials=1, executor=sg.RayExecutor())
