"""Results from elsewhere: create_trial, add_trial(s), and samplers that learn from them."""

import optuna
from optuna.distributions import FloatDistribution, IntDistribution
from optuna.trial import TrialState, create_trial

dists = {"x": FloatDistribution(0.0, 10.0), "k": IntDistribution(1, 4)}
study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0, n_startup_trials=4))
study.add_trial(create_trial(params={"x": 2.0, "k": 1}, distributions=dists, value=4.0))
study.add_trials(
    [
        create_trial(params={"x": x, "k": 2}, distributions=dists, value=(x - 3) ** 2, intermediate_values={0: 9.0})
        for x in (1.0, 3.5, 5.0)
    ]
)
study.add_trial(create_trial(state=TrialState.FAIL, params={"x": 9.0, "k": 3}, distributions=dists))
assert len(study.trials) == 5
assert study.best_params == {"x": 3.5, "k": 2}
assert study.trials[1].intermediate_values == {0: 9.0}
assert study.trials[4].state == TrialState.FAIL


def objective(trial):
    return (trial.suggest_float("x", 0.0, 10.0) - 3) ** 2 + trial.suggest_int("k", 1, 4)


study.optimize(objective, n_trials=10)
assert len(study.trials) == 15
assert study.best_value <= 2.25
print("added ok", study.best_value)
