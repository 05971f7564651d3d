"""fANOVA (Hutter, Hoos and Leyton-Brown, ICML 2014): how much of the objective's variance
each parameter explains on its own, read from a random forest fitted to the trials.

A regression tree splits the unit cube (the parameters' encoding, where the uniform measure is
the natural one: log ranges in log space, each category an equal cell) into boxes with a
constant prediction. Over the uniform distribution on the cube, a tree's prediction ``f`` has
mean ``f0 = sum_l vol_l v_l`` and variance ``V = sum_l vol_l (v_l - f0)^2``. The marginal of
parameter ``i`` (``f`` averaged over every other parameter) is constant between consecutive
split points of ``i``: on such a cell ``c`` it is ``a_c = sum_l [box l spans c] v_l vol_l / w_li``
(``w_li``: the box's width along ``i``). The main effect's variance is
``V_i = sum_c width_c (a_c - f0)^2``, and ``V_i / V`` is the share of the tree's variance that
``i`` explains alone. The importance is that share averaged over the forest's trees.

The forest is scikit-learn's ``RandomForestRegressor``; the decomposition is computed here from
the fitted trees' split arrays, with no Python loop over boxes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sturgeon._exceptions import InvalidValueError
from sturgeon.importance._base import BaseImportanceEvaluator, ImportanceData

__all__ = ["FanovaImportanceEvaluator", "tree_boxes", "main_effect_shares"]


def _forest_class() -> Any:
    try:
        from sklearn.ensemble import RandomForestRegressor
    except ImportError:  # pragma: no cover - the extra is installed in the test run
        raise ImportError(
            "the fANOVA importance evaluator needs scikit-learn: pip install 'sturgeon[importance]'"
        ) from None
    return RandomForestRegressor


def tree_boxes(
    left: np.ndarray, right: np.ndarray, feature: np.ndarray, threshold: np.ndarray, value: np.ndarray, n_dims: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The leaves of a binary tree over the unit cube as boxes: (lo, hi) of shape (L, n_dims)
    and their predictions (L,). A node sends ``x`` left when ``x[feature] <= threshold``; a
    leaf has ``left == -1``."""
    n_nodes = len(left)
    lo = np.zeros((n_nodes, n_dims))
    hi = np.ones((n_nodes, n_dims))
    order = [0]
    leaves = []
    while order:  # parents before children, so each child starts from its parent's box
        node = order.pop()
        if left[node] < 0:
            leaves.append(node)
            continue
        f, t = feature[node], min(max(float(threshold[node]), 0.0), 1.0)
        for child in (left[node], right[node]):
            lo[child], hi[child] = lo[node], hi[node]
        hi[left[node], f] = min(hi[node, f], t)
        lo[right[node], f] = max(lo[node, f], t)
        order.extend((right[node], left[node]))  # left first: leaves come out left to right
    idx = np.array(leaves, dtype=int)
    return lo[idx], hi[idx], np.asarray(value, dtype=float)[idx]


def main_effect_shares(lo: np.ndarray, hi: np.ndarray, v: np.ndarray) -> np.ndarray | None:
    """``V_i / V`` for every dimension ``i`` of one tree's boxes, or None when the tree is
    constant (no variance to share)."""
    width = hi - lo
    vol = np.prod(width, axis=1)
    f0 = float(vol @ v)
    total = float(vol @ (v - f0) ** 2)
    if not total > 1e-14 * max(1.0, f0 * f0):
        return None
    shares = np.zeros(lo.shape[1])
    for i in range(lo.shape[1]):
        edges = np.unique(np.concatenate([lo[:, i], hi[:, i], [0.0, 1.0]]))
        if len(edges) <= 2:
            continue  # the tree never splits on i: a flat marginal
        mid = 0.5 * (edges[:-1] + edges[1:])
        spans = (lo[:, i][None, :] < mid[:, None]) & (mid[:, None] < hi[:, i][None, :])  # (cells, leaves)
        marginal = spans @ (v * vol / width[:, i])
        shares[i] = float(np.diff(edges) @ (marginal - f0) ** 2) / total
    return shares


class FanovaImportanceEvaluator(BaseImportanceEvaluator):
    """fANOVA importance: the share of the objective's variance that each parameter explains
    on its own, averaged over the trees of a random forest (see the module docstring).

    ``n_trees`` / ``max_depth``: the forest's size; ``seed``: its randomness (the same seed and
    trials give the same importances).
    """

    name = "fANOVA"

    def __init__(self, *, n_trees: int = 64, max_depth: int = 64, seed: int | None = None) -> None:
        for key, val in (("n_trees", n_trees), ("max_depth", max_depth)):
            if isinstance(val, bool) or not isinstance(val, int) or val < 1:
                raise InvalidValueError(f"{key} must be a positive integer, got {val!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise InvalidValueError(f"seed must be a non-negative integer or None, got {seed!r}")
        self.n_trees = n_trees
        self.max_depth = max_depth
        self.seed = seed

    def __repr__(self) -> str:
        return f"FanovaImportanceEvaluator(n_trees={self.n_trees}, max_depth={self.max_depth}, seed={self.seed})"

    def evaluate_data(self, data: ImportanceData) -> dict[str, float]:
        forest = _forest_class()(
            n_estimators=self.n_trees,
            max_depth=self.max_depth,
            min_samples_split=2,
            min_samples_leaf=1,
            random_state=self.seed,
        )
        forest.fit(data.X, data.y)
        shares = []
        for est in forest.estimators_:
            t = est.tree_
            boxes = tree_boxes(
                t.children_left, t.children_right, t.feature, t.threshold, t.value[:, 0, 0], len(data.names)
            )
            s = main_effect_shares(*boxes)
            if s is not None:
                shares.append(s)
        mean = np.mean(shares, axis=0) if shares else np.zeros(len(data.names))
        return {name: float(x) for name, x in zip(data.names, mean, strict=True)}
