"""Coarse-to-fine helpers: where the best trials lie, and best values at the edge of a range."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from sturgeon._exceptions import InvalidValueError
from sturgeon._frozen import FrozenTrial, TrialState
from sturgeon.samplers._observations import infer_intersection_space
from sturgeon.space import Categorical, Distribution, Float, Int

__all__ = ["edge_warnings", "narrowed_space", "top_trials"]

_EDGE = 0.05  # a best value in the outer 5% of a continuous range (encoded) is "at the edge"


def top_trials(history: Sequence[FrozenTrial], direction: str, fraction: float, minimum: int = 3) -> list[FrozenTrial]:
    """The best ``fraction`` of the COMPLETE trials (at least ``minimum``), best first."""
    if not 0 < fraction <= 1:
        raise InvalidValueError(f"top fraction must be in (0, 1], got {fraction!r}")
    done = [t for t in history if t.state is TrialState.COMPLETE and t.value is not None]
    sign = 1.0 if direction == "minimize" else -1.0
    done.sort(key=lambda t: (sign * (t.value or 0.0), t.number))
    k = max(minimum, math.ceil(fraction * len(done)))
    return done[:k]


def _narrow(dist: Distribution, values: list[object], margin: float) -> Distribution:
    if isinstance(dist, Categorical):
        used = {dist.index(v) for v in values}
        return Categorical([c for i, c in enumerate(dist.choices) if i in used])
    u = np.array([dist.encode(v) for v in values])
    lo_u, hi_u = float(u.min()), float(u.max())
    pad = margin * max(hi_u - lo_u, 0.05)
    lo_u, hi_u = max(0.0, lo_u - pad), min(1.0, hi_u + pad)
    lo, hi = dist.decode(lo_u), dist.decode(hi_u)
    if isinstance(dist, Int):
        return Int(lo, hi, log=dist.log, step=dist.step)  # decode keeps both on the step grid
    assert isinstance(dist, Float)
    if dist.step is not None:
        return Float(lo, hi, step=dist.step)
    return Float(min(lo, hi), max(lo, hi), log=dist.log)


def narrowed_space(
    history: Sequence[FrozenTrial],
    direction: str,
    space: Mapping[str, Distribution] | None = None,
    *,
    top_fraction: float = 0.2,
    margin: float = 0.25,
) -> dict[str, Distribution]:
    """Each parameter's range shrunk to where the best trials lie (plus a ``margin`` of that
    width, in the encoded space: log ranges narrow in log space); categorical choices shrink
    to those the best trials used. Returns a space usable as is (``study.ask(space)``)."""
    space = dict(space) if space is not None else infer_intersection_space(history)
    best = [t for t in top_trials(history, direction, top_fraction) if all(n in t.params for n in space)]
    if not best:
        return space
    return {name: _narrow(dist, [t.params[name] for t in best], margin) for name, dist in space.items()}


def edge_warnings(
    history: Sequence[FrozenTrial], direction: str, space: Mapping[str, Distribution] | None = None
) -> list[str]:
    """A message for each numeric parameter whose best value sits at a bound of its range."""
    space = dict(space) if space is not None else infer_intersection_space(history)
    best = top_trials(history, direction, 1e-9, minimum=1)
    if not best:
        return []
    params = best[0].params
    out = []
    for name, dist in space.items():
        if not isinstance(dist, (Float, Int)) or dist.is_single or name not in params:
            continue
        value = params[name]
        discrete = isinstance(dist, Int) or (isinstance(dist, Float) and dist.step is not None)
        u = dist.encode(value)
        if (discrete and value == dist.low) or (not discrete and u <= _EDGE):
            out.append(f"{name} best at the lower bound {dist.low!r}: widen the range")
        elif (discrete and value == dist.high) or (not discrete and u >= 1 - _EDGE):
            out.append(f"{name} best at the upper bound {dist.high!r}: widen the range")
    return out
