"""What the plots show, read from a study once, with no plotting library: both the plotly
figures and the matplotlib ones draw these numbers, so they always agree."""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from sturgeon._exceptions import InvalidValueError, NoCompletedTrialsError
from sturgeon._frozen import FrozenTrial, TrialState
from sturgeon.space import Categorical, Distribution, Float, Int

if TYPE_CHECKING:
    from sturgeon.study import Study

Target = Callable[[FrozenTrial], float]


def need(module: str, extra: str = "plots") -> Any:
    """Import a plotting library, or say which extra installs it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.split(".")[0]
        raise ImportError(f"sturgeon.visualization needs {top}: pip install 'sturgeon[{extra}]'") from None


def complete(study: Study, target: Target | None = None) -> tuple[list[FrozenTrial], np.ndarray]:
    """The COMPLETE trials and their values (or the target's), non-finite ones left out."""
    if target is None and study.is_multi_objective:
        raise InvalidValueError(
            f"study {study.name!r} has {len(study.directions)} objectives: pass target= (e.g. target=lambda t: "
            "t.values[0]) and target_name=, or plot the front with plot_pareto_front"
        )
    trials = [t for t in study.trials if t.state is TrialState.COMPLETE and t.values is not None and not t.excluded]
    values = np.array([float(target(t)) if target else float(t.value or 0.0) for t in trials])
    keep = np.isfinite(values)
    return [t for t, k in zip(trials, keep, strict=True) if k], values[keep]


def require_complete(study: Study, target: Target | None = None) -> tuple[list[FrozenTrial], np.ndarray]:
    trials, values = complete(study, target)
    if not trials:
        raise NoCompletedTrialsError(f"nothing to plot: study {study.name!r} has no COMPLETE trial")
    return trials, values


def best_so_far(values: np.ndarray, direction: str) -> np.ndarray:
    return np.minimum.accumulate(values) if direction == "minimize" else np.maximum.accumulate(values)


def param_space(trials: Sequence[FrozenTrial], params: Sequence[str] | None) -> dict[str, Distribution]:
    """Every parameter the trials hold (its last distribution), or ``params`` in that order;
    parameters with a single value are left out unless named."""
    space: dict[str, Distribution] = {}
    for t in trials:
        space.update(t.distributions)
    if params is None:
        return {k: space[k] for k in sorted(space) if not space[k].is_single}
    for name in params:
        if name not in space:
            raise InvalidValueError(f"params: unknown parameter {name!r}; the COMPLETE trials hold {sorted(space)}")
    return {name: space[name] for name in params}


def is_log(dist: Distribution) -> bool:
    return isinstance(dist, (Float, Int)) and dist.log


@dataclass(frozen=True)
class Axis:
    """A parameter on a plot axis: numbers to draw (category index for a categorical), the
    axis scale, and tick labels for categories."""

    name: str
    values: np.ndarray
    log: bool = False
    ticks: tuple[tuple[float, str], ...] = ()

    @property
    def categorical(self) -> bool:
        return bool(self.ticks)


def axis(name: str, dist: Distribution, trials: Sequence[FrozenTrial]) -> Axis:
    if isinstance(dist, Categorical):
        idx = np.array([float(dist.index(t.params[name])) for t in trials])
        return Axis(name, idx, ticks=tuple((float(i), str(c)) for i, c in enumerate(dist.choices)))
    return Axis(name, np.array([float(t.params[name]) for t in trials]), log=is_log(dist))


def holding(trials: Sequence[FrozenTrial], values: np.ndarray, names: Sequence[str]) -> tuple[list[FrozenTrial], Any]:
    keep = [all(n in t.params for n in names) for t in trials]
    return [t for t, k in zip(trials, keep, strict=True) if k], values[np.array(keep, dtype=bool)]


def contour_grid(x: Axis, y: Axis, z: np.ndarray, n: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``z`` interpolated on an ``n`` x ``n`` grid spanning the points (log axes in log space;
    linear inside the points' hull, the nearest point outside it)."""
    from scipy.interpolate import griddata

    def coords(a: Axis) -> tuple[np.ndarray, np.ndarray]:
        u = np.log10(a.values) if a.log else a.values
        lo, hi = float(u.min()), float(u.max())
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        g = np.linspace(lo, hi, n)
        return u, g

    ux, gx = coords(x)
    uy, gy = coords(y)
    mx, my = np.meshgrid(gx, gy)
    pts = np.column_stack([ux, uy])
    try:
        zz = griddata(pts, z, (mx, my), method="linear")
    except Exception:  # fewer than 3 points, or all on a line: no triangulation
        zz = np.full(mx.shape, np.nan)
    near = griddata(pts, z, (mx, my), method="nearest")
    zz = np.where(np.isnan(zz), near, zz)
    return (10**gx if x.log else gx), (10**gy if y.log else gy), zz


def ranks(values: np.ndarray, direction: str) -> np.ndarray:
    """Each value's rank scaled to [0, 1]: 1 for the best, 0 for the worst."""
    n = len(values)
    if n == 1:
        return np.ones(1)
    order = np.argsort(values if direction == "maximize" else -values, kind="stable")
    r = np.empty(n)
    r[order] = np.arange(n) / (n - 1)
    return r


def edf(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The empirical distribution function: sorted values and the fraction at or below each."""
    x = np.sort(values)
    return x, np.arange(1, len(x) + 1) / len(x)


@dataclass
class Curves:
    """Intermediate values of every trial that reported, and the marks on them."""

    lines: list[tuple[FrozenTrial, list[int], list[float]]] = field(default_factory=list)
    pruned: list[tuple[int, int, float]] = field(default_factory=list)  # (trial, step, value)
    paused: list[tuple[int, int, float]] = field(default_factory=list)
    changes: list[tuple[int, int, float, str]] = field(default_factory=list)  # (trial, step, value, text)
    superseded: list[tuple[int, int, float]] = field(default_factory=list)


def _value_near(steps: list[int], values: list[float], step: int) -> float | None:
    before = [(s, v) for s, v in zip(steps, values, strict=True) if s <= step]
    if before:
        return before[-1][1]
    return values[0] if values else None


def _fmt(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def curves(study: Study) -> Curves:
    out = Curves()
    for t in study.trials:
        steps = sorted(s for s, v in t.intermediate_values.items() if not math.isnan(v))
        values = [t.intermediate_values[s] for s in steps]
        if not steps and not t.superseded_values:
            continue
        out.lines.append((t, steps, values))
        if t.state is TrialState.PRUNED and steps:
            out.pruned.append((t.number, steps[-1], values[-1]))
        if t.state is TrialState.PAUSED and steps:
            step = int(t.pause_info.get("step", steps[-1]))
            v = _value_near(steps, values, step)
            if v is not None:
                out.paused.append((t.number, step, v))
        for change in t.live_changes:
            if change.superseded:
                continue
            v = _value_near(steps, values, change.step)
            if v is None:
                continue
            what = ", ".join(f"{k}: {_fmt(change.old.get(k))} -> {_fmt(x)}" for k, x in change.params.items())
            text = f"trial {t.number}, from step {change.step} ({change.action}): {what}"
            if change.source is not None:
                text += f"; from trial {change.source[0]}'s checkpoint at step {change.source[1]}"
            out.changes.append((t.number, change.step, v, text))
        for s, v in sorted(t.superseded_values):
            if not math.isnan(v):
                out.superseded.append((t.number, s, v))
    return out


def timeline(study: Study) -> list[tuple[FrozenTrial, _dt.datetime, _dt.datetime]]:
    """(trial, start, end) of every started trial; an unfinished one ends now."""
    now = _dt.datetime.now(_dt.UTC)
    out = []
    for t in study.trials:
        if t.datetime_start is None:
            continue
        start = t.datetime_start
        end = t.datetime_complete or (now if start.tzinfo else now.replace(tzinfo=None))
        out.append((t, start, end))
    return out


_DIRECTIONS = ("minimize", "maximize")


def pareto_points(
    study_or_values: Study | Sequence[Sequence[float]],
    targets: Callable[[FrozenTrial], Sequence[float]] | None,
    directions: Sequence[str] | None,
) -> tuple[np.ndarray, list[int], list[str]]:
    """(points (n, k), their labels (trial numbers or row indices), directions)."""
    from sturgeon.study import Study

    if isinstance(study_or_values, Study) and study_or_values.is_multi_objective and targets is None:
        study = study_or_values
        trials = study._front_candidates()  # feasible COMPLETE trials with finite values
        if not trials:
            raise NoCompletedTrialsError(f"nothing to plot: study {study.name!r} has no feasible COMPLETE trial")
        points = np.array([t.values for t in trials], dtype=float)
        labels = [t.number for t in trials]
        default_dirs: list[str] | None = [str(d) for d in study.directions]
        default = "minimize"
    elif isinstance(study_or_values, Study):
        study = study_or_values
        default_dirs = None
        if targets is None:
            raise InvalidValueError(
                f"plot_pareto_front: study {study.name!r} has one objective ({study.direction}); a Pareto front "
                "needs two or more: pass targets=lambda t: (t.value, t.user_attrs[...]) (and directions=) or a "
                "list of value vectors"
            )
        trials, _ = require_complete(study)
        points = np.array([[float(v) for v in targets(t)] for t in trials], dtype=float)
        labels = [t.number for t in trials]
        default = study.direction
    else:
        if targets is not None:
            raise InvalidValueError("plot_pareto_front: targets= applies to a study, not to a list of values")
        points = np.array([[float(v) for v in row] for row in study_or_values], dtype=float)
        labels = list(range(len(points)))
        default, default_dirs = "minimize", None
    if points.ndim != 2 or len(points) == 0 or points.shape[1] not in (2, 3):
        raise InvalidValueError(
            f"plot_pareto_front needs a non-empty list of 2 or 3 objective values per point, got shape {points.shape}"
        )
    dirs = list(directions) if directions is not None else (default_dirs or [default] * points.shape[1])
    if len(dirs) != points.shape[1] or any(d not in _DIRECTIONS for d in dirs):
        raise InvalidValueError(
            f"directions must hold one of {_DIRECTIONS} per objective ({points.shape[1]}), got {directions!r}"
        )
    return points, labels, dirs


def non_dominated(points: np.ndarray, directions: Sequence[str]) -> np.ndarray:
    """True for each point that no other point is at least as good as in every objective and
    better in one."""
    from sturgeon._pareto import as_losses, pareto_mask

    return pareto_mask(as_losses(points, directions))
