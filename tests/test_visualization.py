"""sturgeon.visualization (plotly): the figures' data, drawn from a real SQLite study."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

import sturgeon as sg
from sturgeon import visualization as vis
from sturgeon.importance import PedAnovaImportanceEvaluator
from tests._plot_study import CHANGED, FAILED, N_TRIALS, PAUSED, PRUNED, STEPS, make_plot_study

pytest.importorskip("plotly")
N_COMPLETE = N_TRIALS - len(PRUNED) - 2  # one FAIL, one PAUSED


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> sg.Study:
    return make_plot_study(f"sqlite:///{tmp_path_factory.mktemp('plots') / 'plots.db'}")


def _complete(study: sg.Study) -> list[sg.FrozenTrial]:
    return study.get_trials(states=(sg.TrialState.COMPLETE,))


def test_optimization_history_has_every_complete_value_and_the_best_so_far(study: sg.Study):
    fig = vis.plot_optimization_history(study)
    values, best = fig.data
    done = _complete(study)
    assert list(values.x) == [t.number for t in done] and list(values.y) == [t.value for t in done]
    assert list(best.y) == list(np.minimum.accumulate([t.value for t in done]))
    assert best.y[-1] == study.best_value
    only = vis.plot_optimization_history(study, target=lambda t: t.params["units"], target_name="units")
    assert len(only.data) == 1 and list(only.data[0].y) == [t.params["units"] for t in done]


def test_intermediate_values_mark_pruned_paused_and_live_changes(study: sg.Study):
    fig = vis.plot_intermediate_values(study)
    by_name = {tr.name: tr for tr in fig.data}
    curves = [tr for tr in fig.data if tr.name.startswith("Trial ")]
    assert len(curves) == N_TRIALS - 1  # the FAIL trial never reported
    assert f"Trial {FAILED} (fail)" not in by_name
    assert len(by_name[f"Trial {PRUNED[0]} (pruned)"].x) == 3
    assert len(by_name[f"Trial {PAUSED} (paused)"].x) == 4  # it acts on the pause at its next report
    assert len(by_name["Trial 0 (complete)"].x) == STEPS
    pruned = by_name["pruned"]
    assert list(pruned.x) == [2, 2] and "trial 3" in pruned.text[0] and "trial 7" in pruned.text[1]
    assert list(by_name["paused"].x) == [study.trials[PAUSED].pause_info["step"]]
    change = by_name["live change"]
    assert list(change.x) == [3] and change.y[0] == study.trials[CHANGED].intermediate_values[3]
    assert "(set)" in change.text[0] and "lr: " in change.text[0] and change.text[0].endswith("-> 0.5")
    assert "superseded (before a rewind)" not in by_name


def test_intermediate_values_show_reports_a_rewind_superseded(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'rw.db'}"
    study = sg.create_study(name="rw", storage=url, sampler="random", seed=0)

    def objective(trial: sg.Trial) -> float:
        trial.suggest_float("lr", 0.01, 1.0)
        start = 0 if trial.resumed_step is None else trial.resumed_step + 1
        for step in range(start, 6):
            with trial.checkpoint(step):
                pass
            trial.report(float(step) * trial.live_params["lr"], step)
            if step == 4 and trial.resumed_step is None:
                study.rewind_trial(trial.number, 2, {"lr": 0.02}, reason="back")
            if trial.should_prune():
                raise sg.TrialPruned()
        return 1.0

    trial_keep = 6
    study.enqueue({"lr": 0.5})
    study.optimize(lambda t: (t.set_checkpoint_keep(trial_keep), objective(t))[1], n_trials=1)
    study.optimize(objective, n_trials=0)  # resumes the rewound trial
    t = study.trials[0]
    assert t.state is sg.TrialState.COMPLETE and t.superseded_values
    by_name = {tr.name: tr for tr in vis.plot_intermediate_values(study).data}
    old = by_name["superseded (before a rewind)"]
    assert sorted(old.x) == sorted(s for s, _ in t.superseded_values)
    assert list(by_name["live change"].x) == [3] and "(rewind)" in by_name["live change"].text[0]


def test_parallel_coordinate_axes(study: sg.Study):
    (pc,) = vis.plot_parallel_coordinate(study).data
    dims = {d.label: d for d in pc.dimensions}
    assert list(dims) == ["Objective Value", "act", "dropout", "lr", "units"]
    done = _complete(study)
    assert len(dims["lr"]["values"]) == N_COMPLETE
    np.testing.assert_allclose(dims["lr"]["values"], [math.log10(t.params["lr"]) for t in done])  # log axis
    assert all(t.startswith("1e") for t in dims["lr"]["ticktext"])
    assert list(dims["act"]["ticktext"]) == ["relu", "tanh", "gelu"]
    assert list(dims["act"]["values"]) == [["relu", "tanh", "gelu"].index(t.params["act"]) for t in done]
    two = vis.plot_parallel_coordinate(study, params=["units", "lr"]).data[0]
    assert [d.label for d in two.dimensions] == ["Objective Value", "units", "lr"]


def test_slice_one_panel_per_parameter_with_log_axes(study: sg.Study):
    fig = vis.plot_slice(study)
    assert [tr.name for tr in fig.data] == ["act", "dropout", "lr", "units"]
    assert all(len(tr.x) == N_COMPLETE for tr in fig.data)
    assert fig.layout.xaxis3.type == "log" and fig.layout.xaxis4.type == "linear"
    assert list(fig.layout.xaxis.ticktext) == ["relu", "tanh", "gelu"]
    with pytest.raises(sg.InvalidValueError, match="unknown parameter 'nope'"):
        vis.plot_slice(study, params=["nope"])


def test_contour_of_two_parameters_and_a_grid_of_more(study: sg.Study):
    fig = vis.plot_contour(study, params=["lr", "units"])
    contour, points = fig.data
    assert contour.type == "contour" and len(points.x) == N_COMPLETE
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "linear"
    z = np.array(contour.z)
    assert z.shape == (60, 60) and not np.isnan(z).any()
    done = _complete(study)
    assert z.min() >= min(t.value for t in done) - 1e-9 and z.max() <= max(t.value for t in done) + 1e-9
    assert min(contour.x) == pytest.approx(min(t.params["lr"] for t in done))
    grid = vis.plot_contour(study)
    assert len(grid.data) == 2 * 4 * 3  # every ordered pair of 4 parameters: a contour and its points
    with pytest.raises(sg.InvalidValueError, match="two or more parameters"):
        vis.plot_contour(study, params=["lr"])


def test_param_importances_name_the_method(study: sg.Study):
    fig = vis.plot_param_importances(study)
    (bar,) = fig.data
    assert "fANOVA" in fig.layout.title.text and bar.name == "fANOVA"
    assert sorted(bar.y) == ["act", "dropout", "lr", "units"] and math.isclose(sum(bar.x), 1.0)
    assert list(bar.x) == sorted(bar.x)  # the most important drawn on top (last)
    ped = vis.plot_param_importances(study, evaluator=PedAnovaImportanceEvaluator(target_quantile=0.25))
    assert "PED-ANOVA" in ped.layout.title.text


def test_pareto_front_over_values_and_a_study_with_targets(study: sg.Study):
    pts = [[1.0, 5.0], [2.0, 2.0], [5.0, 1.0], [3.0, 3.0], [6.0, 6.0]]
    dominated, front = vis.plot_pareto_front(pts, target_names=["loss", "latency"]).data
    assert sorted(zip(front.x, front.y, strict=True)) == [(1.0, 5.0), (2.0, 2.0), (5.0, 1.0)]
    assert sorted(dominated.x) == [3.0, 6.0]
    (only,) = vis.plot_pareto_front(pts, directions=["maximize", "maximize"], include_dominated_trials=False).data
    assert list(only.x) == [6.0]
    three = vis.plot_pareto_front([[1, 2, 3], [3, 2, 1], [3, 3, 3]]).data
    assert three[1].type == "scatter3d" and len(three[1].x) == 2
    with pytest.raises(sg.InvalidValueError, match="has one objective .* pass targets="):
        vis.plot_pareto_front(study)
    fig = vis.plot_pareto_front(study, targets=lambda t: (t.value, t.params["units"]), directions=["minimize"] * 2)
    assert sum(len(tr.x) for tr in fig.data) == N_COMPLETE
    with pytest.raises(sg.InvalidValueError, match="directions must hold one of"):
        vis.plot_pareto_front(pts, directions=["minimize"])


def test_timeline_one_bar_per_started_trial_by_state(study: sg.Study):
    fig = vis.plot_timeline(study)
    bars = {tr.name: tr for tr in fig.data}
    assert {k: len(v.y) for k, v in bars.items()} == {"COMPLETE": N_COMPLETE, "PRUNED": 2, "FAIL": 1, "PAUSED": 1}
    assert fig.layout.xaxis.type == "date" and all(d >= 0 for tr in fig.data for d in tr.x)


def test_edf_and_rank(study: sg.Study):
    (line,) = vis.plot_edf(study).data
    done = sorted(t.value for t in _complete(study))
    assert list(line.x) == done and line.y[-1] == 1.0 and line.y[0] == pytest.approx(1 / N_COMPLETE)
    assert len(vis.plot_edf([study, study]).data) == 2
    fig = vis.plot_rank(study, params=["lr", "units"])
    (pts,) = fig.data
    best = _complete(study).index(study.best_trial)
    assert pts.marker.color[best] == 1.0 and min(pts.marker.color) == 0.0 and fig.layout.xaxis.type == "log"
    assert len(vis.plot_rank(study).data) == 4 * 3
    assert len(vis.plot_rank(study, params=["act"]).data[0].x) == N_COMPLETE


def test_a_study_without_complete_trials_says_so(tmp_path: Path):
    empty = sg.create_study(name="empty", storage=f"sqlite:///{tmp_path / 'e.db'}")
    for plot in (vis.plot_optimization_history, vis.plot_slice, vis.plot_edf, vis.plot_contour):
        with pytest.raises(sg.NoCompletedTrialsError, match="'empty' has no COMPLETE trial"):
            plot(empty)


def test_a_missing_plotting_library_names_the_extra(study: sg.Study, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "plotly", None)
    monkeypatch.setitem(sys.modules, "plotly.graph_objects", None)
    with pytest.raises(ImportError, match=r"needs plotly: pip install 'sturgeon\[plots\]'"):
        vis.plot_optimization_history(study)
