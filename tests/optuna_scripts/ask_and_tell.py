"""Ask-and-tell with fixed distributions, enqueued trials and explicit states."""

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.trial import TrialState

study = optuna.create_study(directions=["minimize"], sampler=optuna.samplers.RandomSampler(seed=3))
study.enqueue_trial({"x": 0.5, "n": 3, "kind": "b"})
space = {
    "x": FloatDistribution(-1.0, 1.0),
    "n": IntDistribution(1, 8),
    "kind": CategoricalDistribution(["a", "b"]),
}
for i in range(12):
    trial = study.ask(fixed_distributions=space)
    x, n = trial.params["x"], trial.params["n"]
    if i == 5:
        study.tell(trial, state=TrialState.PRUNED)
    elif i == 6:
        study.tell(trial.number, state=TrialState.FAIL)
    else:
        study.tell(trial, x**2 + n)

first = study.trials[0]
assert first.params == {"x": 0.5, "n": 3, "kind": "b"}, first.params
assert first.value == 0.25 + 3
assert study.trials[5].state == TrialState.PRUNED
assert study.trials[6].state == TrialState.FAIL
assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 10
again = study.tell(0, 99.0, skip_if_finished=True)
assert again.value == 3.25

trial = study.ask()
y = trial.suggest_float("y", 0, 1)
study.tell(trial, values=[y])
assert study.trials[-1].values == [y]
assert isinstance(study.best_trials, list) and study.best_trials[0].value == study.best_value
print("ask/tell ok", study.best_value)
