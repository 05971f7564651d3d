"""Studies in a SQLite file: load, summaries, copy and delete."""

import optuna

url = "sqlite:///optuna_compat.db"


def objective(trial):
    return (trial.suggest_float("x", -3, 3) - 1) ** 2


study = optuna.create_study(study_name="first", storage=url, sampler=optuna.samplers.RandomSampler(seed=0))
study.optimize(objective, n_trials=5)
study.set_user_attr("owner", "me")

again = optuna.create_study(study_name="first", storage=url, load_if_exists=True)
again.optimize(objective, n_trials=3)
loaded = optuna.load_study(study_name="first", storage=url)
assert len(loaded.trials) == 8
assert loaded.user_attrs["owner"] == "me"

optuna.copy_study(from_study_name="first", from_storage=url, to_storage=url, to_study_name="copy")
copied = optuna.load_study(study_name="copy", storage=url)
assert [t.params for t in copied.trials] == [t.params for t in loaded.trials]
assert copied.best_value == loaded.best_value

summaries = {s.study_name: s for s in optuna.get_all_study_summaries(storage=url)}
assert set(summaries) == {"first", "copy"}
assert summaries["first"].n_trials == 8
assert summaries["first"].best_trial.value == loaded.best_value
assert sorted(optuna.get_all_study_names(storage=url)) == ["copy", "first"]

optuna.delete_study(study_name="copy", storage=url)
assert optuna.get_all_study_names(storage=url) == ["first"]
try:
    optuna.create_study(study_name="first", storage=url)
except optuna.exceptions.DuplicatedStudyError:
    pass
else:
    raise AssertionError("a second study of the same name was created")
print("storage ok")
