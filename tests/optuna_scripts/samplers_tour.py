"""Every single-objective sampler with its usual arguments."""

import optuna


def objective(trial):
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_int("y", -3, 3)
    return x**2 + y**2


samplers = [
    optuna.samplers.RandomSampler(seed=0),
    optuna.samplers.TPESampler(seed=0, n_startup_trials=5, n_ei_candidates=24),
    optuna.samplers.QMCSampler(qmc_type="sobol", scramble=True, seed=0),
    optuna.samplers.CmaEsSampler(seed=0, x0={"x": 1.0, "y": 1}, popsize=6),
    optuna.samplers.GPSampler(seed=0, n_startup_trials=5),
]
for sampler in samplers:
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=12)
    assert len(study.trials) == 12
    assert study.best_value < 10, (sampler, study.best_value)

grid = optuna.samplers.GridSampler({"x": [-1.0, 0.0, 1.0], "y": [0, 2]}, seed=0)
study = optuna.create_study(sampler=grid)
study.optimize(objective, n_trials=20)  # stops when the grid is exhausted
assert sorted((t.params["x"], t.params["y"]) for t in study.trials) == [
    (-1.0, 0), (-1.0, 2), (0.0, 0), (0.0, 2), (1.0, 0), (1.0, 2)
]  # fmt: skip
assert study.best_value == 0.0
print("samplers ok")
