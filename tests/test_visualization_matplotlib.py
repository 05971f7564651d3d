"""sturgeon.visualization.matplotlib: the same plots' data on matplotlib Axes, saved as PNG."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

import sturgeon as sg
from tests._plot_study import N_TRIALS, PRUNED, make_plot_study

pytest.importorskip("matplotlib")
from sturgeon.visualization import matplotlib as mvis

N_COMPLETE = N_TRIALS - len(PRUNED) - 2
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> sg.Study:
    return make_plot_study(f"sqlite:///{tmp_path_factory.mktemp('mpl') / 'plots.db'}")


def _saved(ax, path: Path) -> bytes:
    fig = (ax.flat[0] if isinstance(ax, np.ndarray) else ax).figure
    fig.savefig(path)
    return path.read_bytes()


def test_every_plot_saves_a_png(study: sg.Study, tmp_path: Path):
    plots = {
        "history": mvis.plot_optimization_history(study),
        "intermediate": mvis.plot_intermediate_values(study),
        "parallel": mvis.plot_parallel_coordinate(study),
        "slice": mvis.plot_slice(study),
        "contour": mvis.plot_contour(study),
        "importances": mvis.plot_param_importances(study),
        "pareto": mvis.plot_pareto_front([[1, 2], [2, 1], [3, 3]]),
        "timeline": mvis.plot_timeline(study),
        "edf": mvis.plot_edf(study),
        "rank": mvis.plot_rank(study),
    }
    for name, ax in plots.items():
        content = _saved(ax, tmp_path / f"{name}.png")
        assert content.startswith(PNG) and len(content) > 5000, name
        fig = (ax.flat[0] if isinstance(ax, np.ndarray) else ax).figure
        assert fig.canvas.manager is None, name  # made without pyplot: no global figure state


def test_history_and_edf_data(study: sg.Study):
    ax = mvis.plot_optimization_history(study)
    done = study.get_trials(states=(sg.TrialState.COMPLETE,))
    points = ax.collections[0].get_offsets()
    assert len(points) == N_COMPLETE and list(points[:, 1]) == [t.value for t in done]
    (best,) = ax.get_lines()
    assert best.get_ydata()[-1] == study.best_value
    (line,) = mvis.plot_edf(study).get_lines()
    assert list(line.get_xdata()) == sorted(t.value for t in done) and line.get_ydata()[-1] == 1.0


def test_intermediate_values_marks_and_axis_scales(study: sg.Study):
    ax = mvis.plot_intermediate_values(study)
    assert len(ax.get_lines()) == N_TRIALS - 1
    labels = [c.get_label() for c in ax.collections]
    assert labels == ["pruned", "paused", "live change"]
    assert len(ax.collections[0].get_offsets()) == len(PRUNED)
    slices = mvis.plot_slice(study)
    assert [a.get_xscale() for a in slices] == ["linear", "linear", "log", "linear"]
    assert [t.get_text() for t in slices[0].get_xticklabels()] == ["relu", "tanh", "gelu"]
    contour = mvis.plot_contour(study, params=["lr", "units"])
    assert contour.get_xscale() == "log" and len(contour.collections[-1].get_offsets()) == N_COMPLETE


def test_importances_name_the_method_and_pareto_front(study: sg.Study):
    ax = mvis.plot_param_importances(study)
    assert "fANOVA" in ax.get_title()
    widths = [p.get_width() for p in ax.patches]
    assert len(widths) == 4 and math.isclose(sum(widths), 1.0)
    ax = mvis.plot_pareto_front([[1.0, 5.0], [2.0, 2.0], [3.0, 3.0]])
    dominated, front = ax.collections
    assert len(front.get_offsets()) == 2 and len(dominated.get_offsets()) == 1
    with pytest.raises(sg.InvalidValueError, match="has one objective"):
        mvis.plot_pareto_front(study)
    ax = mvis.plot_timeline(study)
    assert len(ax.patches) == N_TRIALS


def test_a_missing_matplotlib_names_the_extra(study: sg.Study, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"needs matplotlib: pip install 'sturgeon\[plots\]'"):
        mvis.plot_edf(study)
