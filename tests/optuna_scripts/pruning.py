"""Intermediate values, pruning, and reading trials by state."""

import optuna
from optuna.trial import TrialState


def objective(trial):
    slope = trial.suggest_float("slope", 0.0, 1.0)
    for step in range(10):
        value = slope * (1 + 10 / (step + 1))
        trial.report(value, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return value


pruner = optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2)
study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0), pruner=pruner)
study.optimize(objective, n_trials=25)

pruned = study.get_trials(deepcopy=False, states=(TrialState.PRUNED,))
complete = study.get_trials(deepcopy=False, states=[TrialState.COMPLETE])
assert len(pruned) + len(complete) == 25
assert pruned, "the median rule stopped nothing"
assert all(t.intermediate_values for t in pruned)
assert study.best_value < 1

for other in (
    optuna.pruners.PercentilePruner(25.0, n_startup_trials=2),
    optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
    optuna.pruners.HyperbandPruner(min_resource=1, max_resource=10, reduction_factor=3),
    optuna.pruners.ThresholdPruner(upper=5.0),
    optuna.pruners.PatientPruner(optuna.pruners.MedianPruner(), patience=2),
    optuna.pruners.WilcoxonPruner(p_threshold=0.1),
    optuna.pruners.NopPruner(),
):
    s = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1), pruner=other)
    s.optimize(objective, n_trials=6)
    assert len(s.trials) == 6
print(f"{len(pruned)} pruned, {len(complete)} complete")
