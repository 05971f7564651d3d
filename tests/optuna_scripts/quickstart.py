"""Define-by-run search with TPE, a direction, the best trial and the table of trials."""

import optuna


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    units = trial.suggest_int("units", 16, 256, log=True)
    layers = trial.suggest_int("layers", 1, 5, step=2)
    act = trial.suggest_categorical("activation", ["relu", "tanh"])
    penalty = 0.0 if act == "relu" else 0.5
    return -((x - 2) ** 2) - abs(lr - 1e-3) - layers * 0.01 - penalty + units * 0.0001


sampler = optuna.samplers.TPESampler(seed=10, n_startup_trials=8, multivariate=True)
study = optuna.create_study(study_name="quickstart", direction="maximize", sampler=sampler)
study.optimize(objective, n_trials=30)

assert study.study_name == "quickstart"
assert study.direction == optuna.study.StudyDirection.MAXIMIZE
assert len(study.trials) == 30
assert study.best_value > -10, study.best_value
assert set(study.best_params) == {"x", "lr", "units", "layers", "activation"}
assert study.best_trial.value == study.best_value
assert study.best_params["layers"] in (1, 3, 5)
df = study.trials_dataframe()
assert len(df) == 30 and "params_x" in df.columns and "state" in df.columns
print(f"best {study.best_value:.3f} at {study.best_params}")
