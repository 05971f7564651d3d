"""The matplotlib figures: the plotly plots' numbers (``_data``) on matplotlib ``Axes``, for
PNG files (``ax.figure.savefig("plot.png")``). Figures are made without pyplot, so nothing
global (backend, current figure) changes."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from sturgeon._exceptions import InvalidValueError
from sturgeon._frozen import FrozenTrial, TrialState
from sturgeon.visualization import _data as data
from sturgeon.visualization._plotly import STATE_COLORS, _studies, importances

if TYPE_CHECKING:
    from sturgeon.importance import BaseImportanceEvaluator
    from sturgeon.study import Study


def _figure(rows: int = 1, cols: int = 1, **kw: Any) -> tuple[Any, Any]:
    figure = data.need("matplotlib.figure").Figure
    fig = figure(figsize=kw.pop("figsize", (max(6.4, 3.2 * cols), max(4.8, 3.0 * rows))), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False, **kw)
    return fig, axes


def _style(ax: Any, a: data.Axis, which: str) -> None:
    set_label = ax.set_xlabel if which == "x" else ax.set_ylabel
    set_label(a.name)
    if a.categorical:
        (ax.set_xticks if which == "x" else ax.set_yticks)([v for v, _ in a.ticks], [t for _, t in a.ticks])
    elif a.log:
        (ax.set_xscale if which == "x" else ax.set_yscale)("log")


def plot_optimization_history(
    study: Study | Sequence[Study], *, target: data.Target | None = None, target_name: str = "Objective Value"
) -> Any:
    _, axes = _figure()
    ax = axes[0, 0]
    many = len(_studies(study)) > 1
    for s in _studies(study):
        trials, values = data.require_complete(s, target)
        numbers = [t.number for t in trials]
        prefix = f"{s.name}: " if many else ""
        ax.scatter(numbers, values, s=12, label=f"{prefix}{target_name}")
        if target is None:
            ax.step(numbers, data.best_so_far(values, s.direction), where="post", label=f"{prefix}Best Value")
    ax.set(title="Optimization History", xlabel="Trial", ylabel=target_name)
    ax.legend()
    return ax


def plot_intermediate_values(study: Study) -> Any:
    _, axes = _figure()
    ax = axes[0, 0]
    c = data.curves(study)
    for t, steps, values in c.lines:
        color = None if t.state is TrialState.COMPLETE else STATE_COLORS[t.state]
        ax.plot(steps, values, marker=".", color=color, alpha=0.8, label=f"Trial {t.number} ({t.state.value.lower()})")
    for name, rows, marker, color in (
        ("pruned", c.pruned, "x", STATE_COLORS[TrialState.PRUNED]),
        ("paused", c.paused, "|", STATE_COLORS[TrialState.PAUSED]),
        ("live change", c.changes, "D", "#e377c2"),
        ("superseded (before a rewind)", c.superseded, "o", "#bbbbbb"),
    ):
        if rows:
            hollow = name.startswith("superseded")
            colors = {"facecolors": "none", "edgecolors": color} if hollow else {"color": color}
            ax.scatter([r[1] for r in rows], [r[2] for r in rows], marker=marker, s=60, label=name, zorder=3, **colors)
    ax.set(title="Intermediate Values", xlabel="Step", ylabel="Intermediate Value")
    if len(c.lines) <= 12:
        ax.legend(fontsize="small")
    return ax


def plot_parallel_coordinate(
    study: Study,
    params: Sequence[str] | None = None,
    *,
    target: data.Target | None = None,
    target_name: str = "Objective Value",
) -> Any:
    """Each axis scaled to [0, 1] (log ranges in log space), labelled with its end values."""
    _, axes = _figure(figsize=(8, 5))
    ax = axes[0, 0]
    trials, values = data.require_complete(study, target)
    space = data.param_space(trials, params)
    trials, values = data.holding(trials, values, list(space))
    cols: list[tuple[str, np.ndarray, tuple[str, str]]] = [(target_name, values, ("", ""))]
    for name, dist in space.items():
        a = data.axis(name, dist, trials)
        u = np.log10(a.values) if a.log else a.values
        ends = (a.ticks[0][1], a.ticks[-1][1]) if a.categorical else (f"{a.values.min():.3g}", f"{a.values.max():.3g}")
        cols.append((name, u, ends))
    scaled = []
    for _, u, _ in cols:
        lo, hi = float(np.min(u)), float(np.max(u))
        scaled.append((u - lo) / (hi - lo) if hi > lo else np.full(len(u), 0.5))
    matrix = np.array(scaled)  # (axes, trials)
    cmap = data.need("matplotlib").colormaps["Blues_r" if study.direction == "minimize" else "Blues"]
    order = np.argsort(-values if study.direction == "minimize" else values)  # best drawn last
    for i in order:
        ax.plot(range(len(cols)), matrix[:, i], color=cmap(matrix[0, i] * 0.8 + 0.1), alpha=0.8)
    ax.set_xticks(range(len(cols)), [c[0] for c in cols])
    ax.set_yticks([])
    for k, (_, _, (low, high)) in enumerate(cols[1:], start=1):
        ax.annotate(low, (k, 0), ha="center", va="top", fontsize="small")
        ax.annotate(high, (k, 1), ha="center", va="bottom", fontsize="small")
    ax.set_title("Parallel Coordinate")
    return ax


def plot_slice(
    study: Study,
    params: Sequence[str] | None = None,
    *,
    target: data.Target | None = None,
    target_name: str = "Objective Value",
) -> Any:
    trials, values = data.require_complete(study, target)
    space = data.param_space(trials, params)
    _, axes = _figure(1, len(space), sharey=True)
    for ax, (name, dist) in zip(axes[0], space.items(), strict=True):
        ts, vs = data.holding(trials, values, [name])
        a = data.axis(name, dist, ts)
        ax.scatter(a.values, vs, c=[t.number for t in ts], cmap="Blues", s=14, edgecolors="grey")
        _style(ax, a, "x")
    axes[0, 0].set_ylabel(target_name)
    axes[0, 0].figure.suptitle("Slice Plot")
    return axes[0] if len(space) > 1 else axes[0, 0]


def _pair_cells(n: int) -> list[tuple[int, int]]:
    return [(0, 1)] if n == 2 else [(i, j) for i, j in itertools.product(range(n), range(n)) if i != j]


def plot_contour(
    study: Study,
    params: Sequence[str] | None = None,
    *,
    target: data.Target | None = None,
    target_name: str = "Objective Value",
) -> Any:
    trials, values = data.require_complete(study, target)
    space = data.param_space(trials, params)
    if len(space) < 2:
        raise InvalidValueError(f"plot_contour needs two or more parameters, got {list(space)}")
    trials, values = data.holding(trials, values, list(space))
    axs = [data.axis(name, dist, trials) for name, dist in space.items()]
    n = 1 if len(axs) == 2 else len(axs)
    fig, axes = _figure(n, n)
    cmap = "Blues_r" if study.direction == "minimize" else "Blues"
    for i, j in _pair_cells(len(axs)):
        x, y = (axs[0], axs[1]) if n == 1 else (axs[j], axs[i])
        ax = axes[0, 0] if n == 1 else axes[i, j]
        gx, gy, zz = data.contour_grid(x, y, values)
        cs = ax.contourf(gx, gy, zz, levels=15, cmap=cmap)
        ax.scatter(x.values, y.values, c="black", s=6)
        _style(ax, x, "x")
        _style(ax, y, "y")
    if n > 1:
        for k in range(n):
            axes[k, k].set_axis_off()
    fig.colorbar(cs, ax=axes, label=target_name)
    fig.suptitle("Contour Plot")
    return axes[0, 0] if n == 1 else axes


def plot_param_importances(
    study: Study,
    *,
    evaluator: BaseImportanceEvaluator | None = None,
    params: Sequence[str] | None = None,
    target: data.Target | None = None,
    target_name: str = "Objective Value",
) -> Any:
    imp, method = importances(study, evaluator, params, target)
    _, axes = _figure()
    ax = axes[0, 0]
    names = list(reversed(imp))
    bars = ax.barh(names, [imp[k] for k in names], label=method)
    ax.bar_label(bars, fmt="%.2f")
    ax.set(
        title=f"Hyperparameter Importances ({method})",
        xlabel=f"Importance for {target_name} ({method})",
        ylabel="Hyperparameter",
    )
    return ax


def plot_pareto_front(
    study: Study | Sequence[Sequence[float]],
    *,
    targets: Callable[[FrozenTrial], Sequence[float]] | None = None,
    directions: Sequence[str] | None = None,
    target_names: Sequence[str] | None = None,
    include_dominated_trials: bool = True,
) -> Any:
    points, _, dirs = data.pareto_points(study, targets, directions)
    k = points.shape[1]
    names = list(target_names) if target_names is not None else [f"Objective {i}" for i in range(k)]
    if len(names) != k:
        raise InvalidValueError(f"target_names must name {k} objectives, got {target_names!r}")
    best = data.non_dominated(points, dirs)
    fig = data.need("matplotlib.figure").Figure(layout="constrained")
    ax = fig.add_subplot(projection="3d" if k == 3 else None)
    for label, mask, color in (("Trial", ~best, "#9ecae1"), ("Best Trial", best, "#d62728")):
        if label == "Trial" and not include_dominated_trials:
            continue
        ax.scatter(*(points[mask, i] for i in range(k)), c=color, label=label)
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    if k == 3:
        ax.set_zlabel(names[2])
    ax.set_title("Pareto-front Plot")
    ax.legend()
    return ax


def plot_timeline(study: Study) -> Any:
    rows = data.timeline(study)
    if not rows:
        raise InvalidValueError(f"nothing to plot: study {study.name!r} has no started trial")
    dates = data.need("matplotlib.dates")
    _, axes = _figure()
    ax = axes[0, 0]
    for state in TrialState:
        mine = [r for r in rows if r[0].state is state]
        if mine:
            starts = dates.date2num([s for _, s, _ in mine])
            widths = dates.date2num([e for _, _, e in mine]) - starts
            ax.barh([t.number for t, _, _ in mine], widths, left=starts, color=STATE_COLORS[state], label=state.value)
    ax.xaxis_date()
    ax.set(title="Timeline Plot", xlabel="Datetime", ylabel="Trial")
    ax.legend()
    return ax


def plot_edf(
    study: Study | Sequence[Study], *, target: data.Target | None = None, target_name: str = "Objective Value"
) -> Any:
    _, axes = _figure()
    ax = axes[0, 0]
    for s in _studies(study):
        _, values = data.require_complete(s, target)
        x, y = data.edf(values)
        ax.step(x, y, where="post", label=s.name)
    ax.set(title="Empirical Distribution Function Plot", xlabel=target_name, ylabel="Cumulative Probability")
    ax.legend()
    return ax


def plot_rank(
    study: Study,
    params: Sequence[str] | None = None,
    *,
    target: data.Target | None = None,
    target_name: str = "Objective Value",
) -> Any:
    trials, values = data.require_complete(study, target)
    space = data.param_space(trials, params)
    trials, values = data.holding(trials, values, list(space))
    rank = data.ranks(values, study.direction)
    axs = [data.axis(name, dist, trials) for name, dist in space.items()]
    kw = {"c": rank, "cmap": "RdYlBu", "vmin": 0.0, "vmax": 1.0, "s": 16, "edgecolors": "grey"}
    if len(axs) == 1:
        fig, axes = _figure()
        sc = axes[0, 0].scatter(axs[0].values, values, **kw)
        _style(axes[0, 0], axs[0], "x")
        axes[0, 0].set_ylabel(target_name)
        out: Any = axes[0, 0]
    else:
        n = 1 if len(axs) == 2 else len(axs)
        fig, axes = _figure(n, n)
        for i, j in _pair_cells(len(axs)):
            x, y = (axs[0], axs[1]) if n == 1 else (axs[j], axs[i])
            ax = axes[0, 0] if n == 1 else axes[i, j]
            sc = ax.scatter(x.values, y.values, **kw)
            _style(ax, x, "x")
            _style(ax, y, "y")
        if n > 1:
            for k in range(n):
                axes[k, k].set_axis_off()
        out = axes[0, 0] if n == 1 else axes
    fig.colorbar(sc, ax=axes, label="rank (1: best)")
    fig.suptitle("Rank Plot")
    return out
