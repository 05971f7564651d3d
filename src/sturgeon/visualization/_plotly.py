"""The plotly figures (``sturgeon.visualization``); the numbers come from ``_data``."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from sturgeon._exceptions import InvalidValueError
from sturgeon._frozen import FrozenTrial, TrialState
from sturgeon.visualization import _data as data

if TYPE_CHECKING:
    from sturgeon.importance import BaseImportanceEvaluator
    from sturgeon.study import Study

STATE_COLORS = {
    TrialState.COMPLETE: "#1f77b4",
    TrialState.PRUNED: "#ff7f0e",
    TrialState.FAIL: "#d62728",
    TrialState.RUNNING: "#2ca02c",
    TrialState.PAUSED: "#9467bd",
    TrialState.WAITING: "#7f7f7f",
}


def _go() -> Any:
    return data.need("plotly.graph_objects")


def _subplots(rows: int, cols: int, **kw: Any) -> Any:
    return data.need("plotly.subplots").make_subplots(rows=rows, cols=cols, **kw)


def _studies(study: Study | Sequence[Study]) -> list[Study]:
    from sturgeon.study import Study

    return [study] if isinstance(study, Study) else list(study)


def _axis_style(a: data.Axis) -> dict[str, Any]:
    if a.categorical:
        return {"tickvals": [v for v, _ in a.ticks], "ticktext": [t for _, t in a.ticks], "title": a.name}
    return {"type": "log" if a.log else "linear", "title": a.name}


def plot_optimization_history(
    study: Study | Sequence[Study], *, target: data.Target | None = None, target_name: str = "Objective Value"
) -> Any:
    """Each COMPLETE trial's value by trial number, and the best value so far (without a
    ``target``), one pair of traces per study."""
    go = _go()
    fig = go.Figure()
    for s in _studies(study):
        trials, values = data.require_complete(s, target)
        numbers = [t.number for t in trials]
        prefix = "" if len(_studies(study)) == 1 else f"{s.name}: "
        fig.add_trace(go.Scatter(x=numbers, y=values, mode="markers", name=f"{prefix}{target_name}"))
        if target is None:
            best = data.best_so_far(values, s.direction)
            fig.add_trace(go.Scatter(x=numbers, y=best, mode="lines", line_shape="hv", name=f"{prefix}Best Value"))
    fig.update_layout(title="Optimization History", xaxis_title="Trial", yaxis_title=target_name)
    return fig


def plot_intermediate_values(study: Study) -> Any:
    """Every trial's intermediate values by step, with PRUNED trials (x at their last report)
    and PAUSED ones (at the pause step) marked, live changes (diamonds at the first step
    trained with the new values; hover for old -> new) and reports a rewind superseded."""
    go = _go()
    c = data.curves(study)
    fig = go.Figure()
    for t, steps, values in c.lines:
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=values,
                mode="lines+markers",
                marker={"size": 4},
                name=f"Trial {t.number} ({t.state.value.lower()})",
                line={"color": STATE_COLORS[t.state]} if t.state is not TrialState.COMPLETE else {},
            )
        )

    def marks(name: str, rows: list[tuple[Any, ...]], symbol: str, color: str, text: list[str] | None = None) -> None:
        if rows:
            fig.add_trace(
                go.Scatter(
                    x=[r[1] for r in rows],
                    y=[r[2] for r in rows],
                    mode="markers",
                    name=name,
                    marker={"symbol": symbol, "size": 11, "color": color},
                    text=text or [f"trial {r[0]}, step {r[1]}" for r in rows],
                    hoverinfo="text+y",
                )
            )

    marks("pruned", c.pruned, "x", STATE_COLORS[TrialState.PRUNED])
    marks("paused", c.paused, "line-ns-open", STATE_COLORS[TrialState.PAUSED])
    marks("live change", c.changes, "diamond", "#e377c2", [r[3] for r in c.changes])
    marks("superseded (before a rewind)", c.superseded, "circle-open", "#bbbbbb")
    fig.update_layout(title="Intermediate Values", xaxis_title="Step", yaxis_title="Intermediate Value")
    return fig


def plot_parallel_coordinate(
    study: Study,
    params: Sequence[str] | None = None,
    *,
    target: data.Target | None = None,
    target_name: str = "Objective Value",
) -> Any:
    """One line per COMPLETE trial through the objective and each parameter (log ranges on a
    log10 axis labelled with the values, categories by name)."""
    go = _go()
    trials, values = data.require_complete(study, target)
    space = data.param_space(trials, params)
    trials, values = data.holding(trials, values, list(space))
    dims: list[dict[str, Any]] = [{"label": target_name, "values": values}]
    for name, dist in space.items():
        a = data.axis(name, dist, trials)
        if a.categorical:
            dims.append({"label": name, "values": a.values, **_axis_style(a)})
            dims[-1].pop("title")
        elif a.log:
            lo, hi = np.floor(np.log10(a.values.min())), np.ceil(np.log10(a.values.max()))
            ticks = np.arange(lo, hi + 1)
            dims.append(
                {
                    "label": name,
                    "values": np.log10(a.values),
                    "tickvals": ticks,
                    "ticktext": [f"1e{int(k)}" for k in ticks],
                }
            )
        else:
            dims.append({"label": name, "values": a.values})
    line = {
        "color": values,
        "colorscale": "Blues",
        "reversescale": study.direction == "minimize",
        "showscale": True,
        "colorbar": {"title": target_name},
    }
    fig = go.Figure(go.Parcoords(dimensions=dims, line=line))
    fig.update_layout(title="Parallel Coordinate")
    return fig


def plot_slice(
    study: Study,
    params: Sequence[str] | None = None,
    *,
    target: data.Target | None = None,
    target_name: str = "Objective Value",
) -> Any:
    """One panel per parameter: the objective against its values (log axis for log ranges),
    coloured by trial number."""
    go = _go()
    trials, values = data.require_complete(study, target)
    space = data.param_space(trials, params)
    fig = _subplots(1, len(space), shared_yaxes=True, subplot_titles=list(space))
    for i, (name, dist) in enumerate(space.items(), start=1):
        ts, vs = data.holding(trials, values, [name])
        a = data.axis(name, dist, ts)
        fig.add_trace(
            go.Scatter(
                x=a.values,
                y=vs,
                mode="markers",
                name=name,
                marker={"color": [t.number for t in ts], "colorscale": "Blues", "showscale": i == 1},
                text=[f"trial {t.number}" for t in ts],
                showlegend=False,
            ),
            row=1,
            col=i,
        )
        fig.update_xaxes(row=1, col=i, **_axis_style(a))
    fig.update_yaxes(title=target_name, row=1, col=1)
    fig.update_layout(title="Slice Plot")
    return fig


def _pairs(
    study: Study, params: Sequence[str] | None, target: data.Target | None, what: str
) -> tuple[list[FrozenTrial], np.ndarray, dict[str, Any], list[tuple[int, int]]]:
    trials, values = data.require_complete(study, target)
    space = data.param_space(trials, params)
    if len(space) < 2:
        raise InvalidValueError(f"{what} needs two or more parameters, got {list(space)}")
    trials, values = data.holding(trials, values, list(space))
    n = len(space)
    cells = [(0, 1)] if n == 2 else [(i, j) for i, j in itertools.product(range(n), range(n)) if i != j]
    return trials, values, space, cells


def plot_contour(
    study: Study,
    params: Sequence[str] | None = None,
    *,
    target: data.Target | None = None,
    target_name: str = "Objective Value",
) -> Any:
    """The objective interpolated over each pair of parameters (one panel for two; a grid,
    parameter j along x and i along y in cell (i, j), for more), with the trials on top."""
    go = _go()
    trials, values, space, cells = _pairs(study, params, target, "plot_contour")
    axes = [data.axis(name, dist, trials) for name, dist in space.items()]
    n = 1 if len(axes) == 2 else len(axes)
    fig = _subplots(n, n)
    for k, (i, j) in enumerate(cells):
        x, y = (axes[0], axes[1]) if n == 1 else (axes[j], axes[i])
        row, col = (1, 1) if n == 1 else (i + 1, j + 1)
        gx, gy, zz = data.contour_grid(x, y, values)
        fig.add_trace(
            go.Contour(
                x=gx,
                y=gy,
                z=zz,
                colorscale="Blues",
                reversescale=study.direction == "minimize",
                showscale=k == 0,
                colorbar={"title": target_name},
                name=f"{x.name} x {y.name}",
            ),
            row=row,
            col=col,
        )
        fig.add_trace(
            go.Scatter(
                x=x.values,
                y=y.values,
                mode="markers",
                marker={"color": "black", "size": 4},
                showlegend=False,
                text=[f"trial {t.number}: {v:.4g}" for t, v in zip(trials, values, strict=True)],
            ),
            row=row,
            col=col,
        )
        fig.update_xaxes(row=row, col=col, **_axis_style(x))
        fig.update_yaxes(row=row, col=col, **_axis_style(y))
    fig.update_layout(title="Contour Plot")
    return fig


def importances(
    study: Study,
    evaluator: BaseImportanceEvaluator | None,
    params: Sequence[str] | None,
    target: data.Target | None,
) -> tuple[dict[str, float], str]:
    from sturgeon.importance import FanovaImportanceEvaluator, get_param_importances

    evaluator = evaluator or FanovaImportanceEvaluator()
    return get_param_importances(study, evaluator=evaluator, params=params, target=target), evaluator.name


def plot_param_importances(
    study: Study,
    *,
    evaluator: BaseImportanceEvaluator | None = None,
    params: Sequence[str] | None = None,
    target: data.Target | None = None,
    target_name: str = "Objective Value",
) -> Any:
    """Each parameter's importance (``sturgeon.importance.get_param_importances``, fANOVA by
    default) as horizontal bars, the most important on top; the method is named in the title."""
    go = _go()
    imp, method = importances(study, evaluator, params, target)
    names = list(reversed(imp))
    fig = go.Figure(
        go.Bar(
            x=[imp[n] for n in names],
            y=names,
            orientation="h",
            name=method,
            text=[f"{imp[n]:.2f}" for n in names],
            textposition="outside",
        )
    )
    fig.update_layout(
        title=f"Hyperparameter Importances ({method})",
        xaxis_title=f"Importance for {target_name} ({method})",
        yaxis_title="Hyperparameter",
    )
    return fig


def plot_pareto_front(
    study: Study | Sequence[Sequence[float]],
    *,
    targets: Callable[[FrozenTrial], Sequence[float]] | None = None,
    directions: Sequence[str] | None = None,
    target_names: Sequence[str] | None = None,
    include_dominated_trials: bool = True,
) -> Any:
    """The Pareto front of two or three objectives: of a multi-objective study (its feasible
    COMPLETE trials, in its directions), of a study of one objective with ``targets`` (e.g.
    ``lambda t: (t.value, t.user_attrs["latency"])``, directions default to the study's), or
    of a list of value vectors (directions default to minimize)."""
    go = _go()
    points, labels, dirs = data.pareto_points(study, targets, directions)
    k = points.shape[1]
    names = list(target_names) if target_names is not None else [f"Objective {i}" for i in range(k)]
    if len(names) != k:
        raise InvalidValueError(f"target_names must name {k} objectives, got {target_names!r}")
    best = data.non_dominated(points, dirs)
    fig = go.Figure()
    for label, mask, color in (("Trial", ~best, "#9ecae1"), ("Best Trial", best, "#d62728")):
        if label == "Trial" and not include_dominated_trials:
            continue
        cols = [points[mask, i] for i in range(k)]
        text = [f"#{n}" for n, m in zip(labels, mask, strict=True) if m]
        kw = {"mode": "markers", "name": label, "marker": {"color": color}, "text": text}
        fig.add_trace(
            go.Scatter(x=cols[0], y=cols[1], **kw) if k == 2 else go.Scatter3d(x=cols[0], y=cols[1], z=cols[2], **kw)
        )
    if k == 2:
        fig.update_layout(xaxis_title=names[0], yaxis_title=names[1])
    else:
        fig.update_layout(scene={"xaxis_title": names[0], "yaxis_title": names[1], "zaxis_title": names[2]})
    fig.update_layout(title="Pareto-front Plot")
    return fig


def plot_timeline(study: Study) -> Any:
    """One bar per started trial, from its start to its end (now for an unfinished one),
    coloured by state."""
    go = _go()
    rows = data.timeline(study)
    if not rows:
        raise InvalidValueError(f"nothing to plot: study {study.name!r} has no started trial")
    fig = go.Figure()
    for state in TrialState:
        mine = [r for r in rows if r[0].state is state]
        if not mine:
            continue
        fig.add_trace(
            go.Bar(
                base=[s.isoformat() for _, s, _ in mine],
                x=[(e - s).total_seconds() * 1000.0 for _, s, e in mine],
                y=[t.number for t, _, _ in mine],
                orientation="h",
                name=state.value,
                marker={"color": STATE_COLORS[state]},
                text=[f"trial {t.number}: {(e - s).total_seconds():.3g} s" for t, s, e in mine],
            )
        )
    fig.update_layout(title="Timeline Plot", xaxis={"type": "date", "title": "Datetime"}, yaxis_title="Trial")
    return fig


def plot_edf(
    study: Study | Sequence[Study], *, target: data.Target | None = None, target_name: str = "Objective Value"
) -> Any:
    """The empirical distribution function of the COMPLETE trials' values, one line per study."""
    go = _go()
    fig = go.Figure()
    for s in _studies(study):
        _, values = data.require_complete(s, target)
        x, y = data.edf(values)
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", line_shape="hv", name=s.name))
    fig.update_layout(
        title="Empirical Distribution Function Plot", xaxis_title=target_name, yaxis_title="Cumulative Probability"
    )
    return fig


def plot_rank(
    study: Study,
    params: Sequence[str] | None = None,
    *,
    target: data.Target | None = None,
    target_name: str = "Objective Value",
) -> Any:
    """The trials over each pair of parameters (layout of ``plot_contour``; one parameter: the
    objective against it), coloured by their rank: 1 the best, 0 the worst."""
    go = _go()
    trials, values = data.require_complete(study, target)
    space = data.param_space(trials, params)
    trials, values = data.holding(trials, values, list(space))
    rank = data.ranks(values, study.direction)
    axes = [data.axis(name, dist, trials) for name, dist in space.items()]
    marker = {"color": rank, "colorscale": "RdYlBu", "cmin": 0, "cmax": 1, "colorbar": {"title": "rank (1: best)"}}
    text = [f"trial {t.number}: {v:.4g}" for t, v in zip(trials, values, strict=True)]
    if len(axes) == 1:
        fig = _subplots(1, 1)
        fig.add_trace(go.Scatter(x=axes[0].values, y=values, mode="markers", marker=marker, text=text))
        fig.update_xaxes(**_axis_style(axes[0]))
        fig.update_yaxes(title=target_name)
    else:
        n = 1 if len(axes) == 2 else len(axes)
        cells = [(0, 1)] if n == 1 else [(i, j) for i, j in itertools.product(range(n), range(n)) if i != j]
        fig = _subplots(n, n)
        for k, (i, j) in enumerate(cells):
            x, y = (axes[0], axes[1]) if n == 1 else (axes[j], axes[i])
            row, col = (1, 1) if n == 1 else (i + 1, j + 1)
            m = {**marker, "showscale": k == 0}
            fig.add_trace(
                go.Scatter(x=x.values, y=y.values, mode="markers", marker=m, text=text, showlegend=False),
                row=row,
                col=col,
            )
            fig.update_xaxes(row=row, col=col, **_axis_style(x))
            fig.update_yaxes(row=row, col=col, **_axis_style(y))
    fig.update_layout(title="Rank Plot")
    return fig
