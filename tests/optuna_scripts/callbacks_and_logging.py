"""Verbosity, callbacks, MaxTrialsCallback and study.stop()."""

import optuna
from optuna.study import MaxTrialsCallback
from optuna.trial import TrialState

optuna.logging.set_verbosity(optuna.logging.WARNING)
assert optuna.logging.get_verbosity() == optuna.logging.WARNING


def objective(trial):
    return trial.suggest_float("x", 0, 1)


seen = []


def remember(study, frozen):
    seen.append(frozen.number)


study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
study.optimize(objective, n_trials=50, callbacks=[remember, MaxTrialsCallback(7, states=(TrialState.COMPLETE,))])
assert len(study.trials) == 7, len(study.trials)
assert seen == list(range(7))


def stop_at_three(study, frozen):
    if frozen.number == 2:
        study.stop()


other = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
other.optimize(objective, n_trials=20, callbacks=[stop_at_three])
assert len(other.trials) == 3
optuna.logging.set_verbosity(optuna.logging.INFO)
print("callbacks ok")
