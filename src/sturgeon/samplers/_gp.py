"""Gaussian-process Bayesian optimization: the adapter between trials and ``sturgeon._gp``.

Per trial, over the joint space (the declarative one, else the parameters every completed
trial shares):

1. the first ``n_startup_trials`` complete trials come from the study's scrambled Sobol
   sequence (point ``trial_number``, as ``QMCSampler`` draws it);
2. then the completed values are power-transformed (Yeo-Johnson) and standardized, and an
   ARD Matern-5/2 GP (Hamming distance on categorical dims) is fitted by MAP, warm-started
   from this sampler's last fit (past 100 rows, refitted every ``_REFIT_EVERY`` trials);
3. RUNNING / WAITING trials join the posterior at their points with the worst value seen
   (the constant liar of ``HistoryEncoder``), so parallel workers spread out;
4. the next point maximizes log expected improvement: over every unvisited point when the
   space is finite and small, else by Sobol + local candidates, batched L-BFGS-B and a
   discrete local search; one trial in ``_TR_EVERY`` searches only a TuRBO-style trust
   region around the incumbent, its size replayed from the history. A proposal that would
   repeat an observation (the model expects nothing more there) gives way to the best
   candidate some distance from every observation;
5. a configuration that another trial holds, in any state, is never proposed while an
   unvisited one is left (configurations compared by their values' cells, ``_cells``, so
   also for Ints too wide to be listed as levels): visited candidates are skipped, a trust
   region with nothing unvisited gives way to the whole space, and if the search still
   finds only visited points the best-scoring unvisited one (listed or drawn) is taken.

In a conditional space (completed trials hold different sets of parameters: branches) each
branch gets its own GP on its own trials, all with the study's output transform and
incumbent; the branch whose best point has the highest log EI is proposed, joint and branch
parameters together. A branch is judged by what its model promises, not by its average, so a
branch that is mostly poor but best somewhere is still found. Parameters outside every
model (a define-by-run first trial, a branch never seen) get point ``trial_number`` of their
own one-dimensional Sobol sequence, as in ``QMCSampler``.

Randomness comes only from ``ctx.rng``. The last hyperparameters per space are cached as a
starting point for the next fit; that cache only saves time and is rebuilt on demand.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from sturgeon._exceptions import InvalidValueError
from sturgeon._frozen import FrozenTrial, TrialState
from sturgeon._gp import acquisition, gp, optim, transforms, trust_region
from sturgeon._optuna import optuna_kwargs
from sturgeon.samplers._base import BaseSampler, SampleContext
from sturgeon.samplers._cells import Cells, is_seen
from sturgeon.samplers._fidelity import FidelityView
from sturgeon.samplers._observations import (
    HistoryEncoder,
    Observations,
    encode_row,
    infer_intersection_space,
    known_rows,
)
from sturgeon.samplers._qmc import QMCSampler, sobol_point
from sturgeon.space import Categorical, Distribution, Float, Int

__all__ = ["GPSampler"]

_MAX_LEVELS = 512  # ordinal dims with more levels are optimized as continuous, then decoded
_MAX_ENUMERATE = 4096  # finite spaces up to this size are scored point by point
_MAX_FIT = 200  # rows used to fit hyperparameters
_MAX_POSTERIOR = 500  # rows the posterior is conditioned on (the best half + a random half)
_REFIT_EVERY = 8  # beyond small n, also fit from the default start every few trials
_FIT_EVERY_TRIAL = 100  # beyond this many rows, refit only every _REFIT_EVERY trials
_N_ANCHORS = 5
_MAX_MEMO_TRIALS = 64  # trials whose conditional-group proposals are remembered
_WARP = False  # Kumaraswamy input warping (gp.Layout.warped): lost on our benchmarks, kept off
_TRUST_REGION = True
_TR_EVERY = 4  # trials with trial_number % _TR_EVERY == 1 search the trust region
_POWER = True  # Yeo-Johnson before standardizing
_MIN_BRANCH_TRIALS = 5  # trials a branch gets before its model is trusted (its own startup)
_OTHER_VISITS = (TrialState.FAIL, TrialState.PRUNED, TrialState.PAUSED)  # visited, not observed


@dataclass(frozen=True)
class _Model:
    """The acquisition: log EI under the posterior, below the incumbent ``best``."""

    posterior: gp.Posterior
    best: float

    def value(self, U: np.ndarray) -> np.ndarray:
        mean, var = self.posterior.predict(U)
        return acquisition.log_ei(mean, var, self.best)

    def value_and_grad(self, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean, var, dmean, dvar = self.posterior.predict_with_grad(U)
        return acquisition.log_ei_with_grad(mean, var, dmean, dvar, self.best)


def _levels(dist: Distribution) -> np.ndarray | None:
    """The encodings a discrete dimension can take, or None for continuous / huge ranges."""
    if isinstance(dist, Categorical):
        return (np.arange(len(dist.choices)) + 0.5) / len(dist.choices)
    if isinstance(dist, Float) and dist.step is None:
        return None
    if isinstance(dist, (Float, Int)):
        n = round((dist.high - dist.low) / dist.step) + 1 if dist.step else 0
        if n > _MAX_LEVELS:
            return None
        if isinstance(dist, Int) and dist.log:
            return np.array([dist.encode(v) for v in range(dist.low, dist.high + 1)])
        return (np.arange(n) + 0.5) / n
    return None


def _dims(dists: Sequence[Distribution]) -> optim.Dims:
    return optim.Dims(tuple(_levels(d) for d in dists), np.array([isinstance(d, Categorical) for d in dists]))


_blas_lock = threading.Lock()
_blas_users = 0
_blas_limiter: Any = None
_blas_controller: Any = None


@contextmanager
def _single_threaded_blas() -> Iterator[None]:
    """One BLAS thread while the GP runs: its matrices are small, and on a busy machine
    OpenBLAS threads spinning against each other cost 10-100x. Needs ``threadpoolctl``;
    without it this does nothing. Reference-counted, so concurrent samplers are safe."""
    global _blas_users, _blas_limiter, _blas_controller
    with _blas_lock:
        if _blas_users == 0:
            if _blas_controller is None:
                try:
                    from threadpoolctl import ThreadpoolController
                except ImportError:
                    _blas_controller = False
                else:
                    _blas_controller = ThreadpoolController()
            if _blas_controller:
                _blas_limiter = _blas_controller.limit(limits=1, user_api="blas")
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0 and _blas_limiter is not None:
                _blas_limiter.restore_original_limits()
                _blas_limiter = None


class GPSampler(BaseSampler):
    """Bayesian optimization with a Gaussian process and log expected improvement.

    Args:
        n_startup_trials: complete trials drawn from the Sobol sequence before the GP
            takes over; None means ``max(5, d + 1)`` for a ``d``-dimensional space.
        seed: the study's seed when None.
    """

    def __init__(self, *, n_startup_trials: int | None = None, seed: int | None = None, **optuna_args: Any) -> None:
        super().__init__(seed=seed)
        self.constraints_func = optuna_kwargs("GPSampler", optuna_args).get("constraints_func")
        if n_startup_trials is not None and (
            isinstance(n_startup_trials, bool) or not isinstance(n_startup_trials, int) or n_startup_trials < 1
        ):
            raise InvalidValueError(f"GPSampler: n_startup_trials must be an int >= 1, got {n_startup_trials!r}")
        self.n_startup_trials = n_startup_trials
        self._encoder = HistoryEncoder()
        self._group_encoder = HistoryEncoder()
        self._fidelity = FidelityView()
        self._group_memo: dict[int, dict[tuple[str, Distribution], Any]] = {}
        self._qmc = QMCSampler()
        self._lock = threading.Lock()
        self._theta_cache: dict[tuple[Any, ...], np.ndarray] = {}

    def __repr__(self) -> str:
        return f"GPSampler(n_startup_trials={self.n_startup_trials!r}, seed={self.seed!r})"

    def infer_space(self, history: Sequence[FrozenTrial]) -> dict[str, Distribution]:
        return infer_intersection_space(self._fidelity(history))

    def sample_one(
        self, name: str, distribution: Distribution, history: Sequence[FrozenTrial], ctx: SampleContext
    ) -> Any:
        """A parameter outside the joint space (a conditional branch): a GP over the trials
        that have it, on the parameters they all share, with those this trial has already
        chosen held fixed; Sobol while fewer than ``n_startup_trials`` such trials completed.
        One such proposal covers the whole group, and is remembered for the rest of the trial."""
        key = (name, distribution)
        with self._lock:
            memo = self._group_memo.get(ctx.trial_number, {})
            if key in memo:
                return memo[key]
        history = self._fidelity(history)
        group = self._sample_group(name, distribution, history, ctx)
        if key not in group:
            return self._qmc.sample_one(name, distribution, history, ctx)
        with self._lock:
            self._group_memo.setdefault(ctx.trial_number, {}).update(group)
            while len(self._group_memo) > _MAX_MEMO_TRIALS:
                del self._group_memo[min(self._group_memo)]
        return group[key]

    def _sample_group(
        self, name: str, distribution: Distribution, history: Sequence[FrozenTrial], ctx: SampleContext
    ) -> dict[tuple[str, Distribution], Any]:
        having = [t for t in history if t.state is TrialState.COMPLETE and t.distributions.get(name) == distribution]
        space = infer_intersection_space(having)
        chosen = {**ctx.fixed_params, **ctx.params}
        fixed = {k: v for k, v in chosen.items() if k in space and space[k].contains(v)}
        names = sorted(k for k, dist in space.items() if not dist.is_single)
        if name not in names:
            return {}
        dists = [space[k] for k in names]
        n_startup = self._n_startup(len(names) - len(fixed))
        obs = self._group_encoder.observations(
            history, dict(zip(names, dists, strict=True)), ctx.direction, exclude=ctx.trial_number, stopped=True
        )
        known = ~np.isnan(obs.X).any(axis=1)
        done = known & ~obs.pending
        if done.sum() < n_startup:
            return {}
        held = {i: dists[i].encode(fixed[k]) for i, k in enumerate(names) if k in fixed}
        tried = _tried_rows(history, names, dists, ctx.trial_number)
        u = self._propose_from(names, dists, obs, known, n_startup, ctx, held, tried)
        return {(k, d): d.decode(float(v)) for k, d, v in zip(names, dists, u, strict=True) if k not in fixed}

    def _n_startup(self, d: int) -> int:
        return self.n_startup_trials if self.n_startup_trials is not None else max(5, d + 1)

    def sample_joint(
        self, space: Mapping[str, Distribution], history: Sequence[FrozenTrial], ctx: SampleContext
    ) -> dict[str, Any]:
        names = sorted(n for n, dist in space.items() if not dist.is_single)
        if not names:
            return {}
        history = self._fidelity(history)
        dists = [space[n] for n in names]
        d = len(names)
        obs = self._encoder.observations(
            history, dict(zip(names, dists, strict=True)), ctx.direction, exclude=ctx.trial_number, stopped=True
        )
        known = ~np.isnan(obs.X).any(axis=1)
        done = known & ~obs.pending
        n_startup = self._n_startup(d)
        tried = _tried_rows(history, names, dists, ctx.trial_number)
        if done.sum() < n_startup:
            u = self._initial_point(dists, np.vstack([obs.X[known], tried]), ctx)
        else:
            by_branch = self._branch_proposal(names, dists, history, ctx)
            if by_branch is not None:
                return by_branch
            u = self._propose_from(names, dists, obs, known, n_startup, ctx, tried=tried)
        return {n: dist.decode(float(v)) for n, dist, v in zip(names, dists, u, strict=True)}

    def _branch_proposal(
        self, names: list[str], dists: list[Distribution], history: Sequence[FrozenTrial], ctx: SampleContext
    ) -> dict[str, Any] | None:
        """In a conditional space (completed trials hold different sets of parameters): one
        GP per branch (per set of parameters), each on its own trials but with the study's
        output transform and incumbent, so that their log EI compare; the branch whose best
        point promises the most wins. Its parameters outside the joint space ``names`` are
        remembered for ``sample_one``; the joint ones are returned. Before that, a choice
        of a joint categorical that no trial took yet, then a branch with fewer than
        ``_MIN_BRANCH_TRIALS`` trials, is visited: a model of one point cannot judge its
        branch. None when the space is not conditional (or the trial has decided parameters
        of its own)."""
        if ctx.params or ctx.fixed_params:
            return None
        sign = 1.0 if ctx.direction == "minimize" else -1.0
        branches: dict[tuple[tuple[str, Distribution], ...], list[FrozenTrial]] = {}
        running: list[FrozenTrial] = []
        others: list[FrozenTrial] = []  # failed and pruned trials: they count as visits
        for t in history:
            if t.number == ctx.trial_number:
                continue
            if t.state is TrialState.COMPLETE and t.value is not None:
                key = tuple(sorted((k, d) for k, d in t.distributions.items() if not d.is_single))
                branches.setdefault(key, []).append(t)
            elif t.state in (TrialState.RUNNING, TrialState.WAITING):
                running.append(t)
            else:
                others.append(t)
        joint = set(names)
        if len(branches) < 2 or all({k for k, _ in key} <= joint for key in branches):
            return None
        visit = _unexplored(names, dists, branches, running + others, ctx)
        if visit is not None:
            return visit
        y_all = np.array([sign * float(t.value or 0.0) for ts in branches.values() for t in ts], dtype=float)
        transform = transforms.fit_output_transform(y_all, power=_POWER)
        best = float(transform(y_all).min())
        choice: tuple[float, np.ndarray, list[str], list[Distribution]] | None = None
        with _single_threaded_blas():
            for key, trials in branches.items():
                b_names = [k for k, _ in key]
                b_dists = [d for _, d in key]
                trials = sorted(trials, key=lambda t: t.number)
                X = np.vstack([encode_row(t, b_names, b_dists) for t in trials])
                y = np.array([sign * float(t.value or 0.0) for t in trials], dtype=float)
                if np.isnan(X).any():
                    continue
                held = {
                    j: float(X[0, j])
                    for j, (k, dist) in enumerate(key)
                    if k in joint and isinstance(dist, Categorical) and np.all(X[:, j] == X[0, j])
                }
                X_pending = known_rows(running, b_names, b_dists)
                y_pending = np.full(len(X_pending), float(y_all.max()))  # the constant liar
                n_startup = self._n_startup(len(key) - len(held))
                u, score = self._propose(
                    b_names,
                    b_dists,
                    X,
                    y,
                    X_pending,
                    y_pending,
                    n_startup,
                    ctx,
                    held,
                    transform=transform,
                    best=best,
                    tried=known_rows(others, b_names, b_dists),
                )
                if choice is None or score > choice[0]:
                    choice = (score, u, b_names, b_dists)
        if choice is None:
            return None
        _, u, b_names, b_dists = choice
        values = {(k, d): d.decode(float(v)) for k, d, v in zip(b_names, b_dists, u, strict=True)}
        with self._lock:
            self._group_memo[ctx.trial_number] = {key: v for key, v in values.items() if key[0] not in joint}
            while len(self._group_memo) > _MAX_MEMO_TRIALS:
                del self._group_memo[min(self._group_memo)]
        return {k: v for (k, _), v in values.items() if k in joint}

    def _initial_point(self, dists: list[Distribution], visited: np.ndarray, ctx: SampleContext) -> np.ndarray:
        """Sobol point ``trial_number``; a random unvisited point instead when that
        configuration was visited already and the space has another."""
        u = sobol_point(ctx.trial_number, len(dists), ctx.seed)
        cells = Cells.of(dists)
        seen = cells.seen(visited)
        if not is_seen(cells.keys(u), seen)[0]:
            return u
        fresh = cells.untried(seen, ctx.rng, n=256, list_up_to=_MAX_ENUMERATE)
        return fresh[ctx.rng.integers(len(fresh))] if len(fresh) else u

    # -- the model ----------------------------------------------------------------------------
    def _fit(
        self, key: tuple[Any, ...], X: np.ndarray, z: np.ndarray, layout: gp.Layout, rng: np.random.Generator
    ) -> gp.GPParams:
        n_total = X.shape[0]
        if n_total > _MAX_FIT:  # the best half of the rows, and a random draw of the rest
            by_value = np.argsort(z, kind="stable")
            keep = np.concatenate(
                [by_value[: _MAX_FIT // 2], rng.choice(by_value[_MAX_FIT // 2 :], _MAX_FIT // 2, replace=False)]
            )
            X, z = X[keep], z[keep]
        with self._lock:
            cached = self._theta_cache.get(key)
        n = len(z)
        if cached is not None and cached.size == layout.n_params:
            if n_total > _FIT_EVERY_TRIAL and n_total % _REFIT_EVERY:
                return gp.GPParams.unpack(cached, layout)  # large n: hyperparameters move slowly
            starts = [cached]
            if n <= 30 or n_total % _REFIT_EVERY == 0:
                starts.append(gp.default_theta(layout))
        else:
            starts = [gp.default_theta(layout)]
        theta, _ = gp.fit_hyperparameters(X, z, layout, starts)
        with self._lock:
            self._theta_cache[key] = theta
        return gp.GPParams.unpack(theta, layout)

    def _propose_from(
        self,
        names: list[str],
        dists: list[Distribution],
        obs: Observations,
        known: np.ndarray,
        n_startup: int,
        ctx: SampleContext,
        held: Mapping[int, float] | None = None,
        tried: np.ndarray | None = None,
    ) -> np.ndarray:
        """``_propose`` on the fully known rows of ``obs``: finished ones in trial order (for the
        trust region), pending ones as constant-liar rows; ``tried``: points of failed or
        pruned trials, not to be proposed again in a discrete space."""
        done = known & ~obs.pending
        order = np.argsort(obs.numbers[done], kind="stable")
        with _single_threaded_blas():
            u, _ = self._propose(
                names,
                dists,
                obs.X[done][order],
                obs.y[done][order],
                obs.X[known & obs.pending],
                obs.y[known & obs.pending],
                n_startup,
                ctx,
                held,
                tried=tried,
            )
        return u

    def _propose(
        self,
        names: list[str],
        dists: list[Distribution],
        X: np.ndarray,
        y: np.ndarray,
        X_pending: np.ndarray,
        y_pending: np.ndarray,
        n_startup: int,
        ctx: SampleContext,
        held: Mapping[int, float] | None = None,
        transform: transforms.OutputTransform | None = None,
        best: float | None = None,
        tried: np.ndarray | None = None,
    ) -> tuple[np.ndarray, float]:
        """The next point in the unit cube and its log EI; dims in ``held`` (index -> encoding)
        stay put. ``transform`` and ``best`` (in transformed units) default to the ones of
        ``y``; a branch of a conditional space gets the whole study's, so that branches compare."""
        rng = ctx.rng
        dims = _dims(dists)
        warped = np.array(
            [_WARP and not c and (lv is None or lv.size > 2) for c, lv in zip(dims.is_cat, dims.levels, strict=True)]
        )
        layout = gp.Layout(dims.is_cat, warped)
        if transform is None:
            transform = transforms.fit_output_transform(y, power=_POWER)
        z = transform(y)
        key = (tuple(names), tuple(dists))
        params = self._fit(key, X, z, layout, rng)

        X_post, z_post = X, z
        if X.shape[0] > _MAX_POSTERIOR:
            by_value = np.argsort(z, kind="stable")
            half = _MAX_POSTERIOR // 2
            keep = np.concatenate([by_value[:half], rng.choice(by_value[half:], half, replace=False)])
            X_post, z_post = X[keep], z[keep]
        if len(X_pending):
            X_post = np.vstack([X_post, X_pending])
            z_post = np.concatenate([z_post, transform(y_pending)])
        model = _Model(gp.Posterior(X_post, z_post, params, layout), float(z.min()) if best is None else best)
        cells = Cells.of(dists)
        visited = np.vstack([X, X_pending] + ([tried] if tried is not None and len(tried) else []))
        seen = cells.seen(visited)

        def is_visited(U: np.ndarray) -> np.ndarray:
            return is_seen(cells.keys(U), seen)

        held = held or {}
        idx = np.array(sorted(held), dtype=int)
        at = np.array([held[i] for i in idx])
        if dims.size() <= _MAX_ENUMERATE:
            points = optim.enumerate_points(dims)
            points = points[(np.abs(points[:, idx] - at) < 1e-9).all(axis=1)]
            fresh = ~is_visited(points)
            if fresh.any():
                points = points[fresh]
            scores = model.value(points)
            i = int(np.argmax(scores))
            return points[i], float(scores[i])

        anchors = X[np.argsort(z, kind="stable")[:_N_ANCHORS]]
        boxes = [(np.zeros(len(names)), np.ones(len(names)))]
        if _TRUST_REGION and ctx.trial_number % _TR_EVERY == 1:
            length = trust_region.trust_region_length(z, len(names), n_startup)
            boxes.insert(0, trust_region.trust_region_box(anchors[0], length, params.lengthscales, ~dims.is_cat))
        for lower, upper in boxes:  # a trust region whose every point was visited gives way to the space
            lower[idx] = upper[idx] = at
            u, score = optim.optimize_acquisition(
                model.value,
                model.value_and_grad,
                dims,
                rng,
                anchors=anchors,
                lower=lower,
                upper=upper,
                exclude=is_visited,
                distance=model.posterior.distance_to_data,
            )
            if not is_visited(u[None, :])[0]:
                return u, score
        return _best_unvisited(model, cells, seen, idx, at, rng, u, score)


def _best_unvisited(
    model: _Model,
    cells: Cells,
    seen: np.ndarray,
    idx: np.ndarray,
    at: np.ndarray,
    rng: np.random.Generator,
    u: np.ndarray,
    score: float,
) -> tuple[np.ndarray, float]:
    """When the acquisition search found only visited configurations: the best-scoring of
    the unvisited ones (every one in a space of up to ``_MAX_ENUMERATE`` points, else among
    uniform draws) with the dims ``idx`` held at ``at``; ``(u, score)`` if there is none."""
    points = cells.untried(seen, rng, n=2048, list_up_to=_MAX_ENUMERATE)
    if len(idx):
        points = points[(np.abs(points[:, idx] - at) < 1e-9).all(axis=1)]
    if not len(points):
        return u, score
    scores = model.value(points)
    i = int(np.argmax(scores))
    return points[i], float(scores[i])


def _tried_rows(
    history: Sequence[FrozenTrial], names: Sequence[str], dists: Sequence[Distribution], exclude: int
) -> np.ndarray:
    """Rows of the failed, pruned and paused trials (and completed ones without a value) that
    hold every one of ``names``: visited points that are not observations (not to be offered
    again while an unvisited configuration is left)."""
    return known_rows(
        [
            t
            for t in history
            if t.number != exclude
            and (t.state in _OTHER_VISITS or (t.state is TrialState.COMPLETE and t.value is None))
        ],
        names,
        dists,
    )


def _unexplored(
    names: list[str],
    dists: list[Distribution],
    branches: Mapping[tuple[tuple[str, Distribution], ...], list[FrozenTrial]],
    unfinished: Sequence[FrozenTrial],
    ctx: SampleContext,
) -> dict[str, Any] | None:
    """Joint values that steer the trial to a choice no trial took yet (the first such
    choice of the first such categorical), else to the branch with the fewest trials, if it
    has fewer than ``_MIN_BRANCH_TRIALS``; trials still running, failed or pruned count as
    visits (a choice that always fails is not retried for ever). Other joint values come
    from the Sobol point of the trial. None when every branch has been seen enough."""
    u = sobol_point(ctx.trial_number, len(names), ctx.seed)
    point = {n: d.decode(float(v)) for n, d, v in zip(names, dists, u, strict=True)}
    trials = [t for ts in branches.values() for t in ts] + list(unfinished)
    cats = [(n, d) for n, d in zip(names, dists, strict=True) if isinstance(d, Categorical)]
    for n, d in cats:
        seen = {d.encode(t.params[n]) for t in trials if n in t.params and t.distributions.get(n) == d}
        for choice in d.choices:
            if d.encode(choice) not in seen:
                return {**point, n: choice}
    # branches by the joint categorical values they hold constant
    counts: dict[tuple[tuple[str, Any], ...], int] = {}
    for ts in branches.values():
        held = tuple(
            (n, ts[0].params[n])
            for n, d in cats
            if n in ts[0].params and all(t.params.get(n) == ts[0].params[n] for t in ts)
        )
        if held:
            counts[held] = counts.get(held, 0) + len(ts)
    for held in counts:
        counts[held] += sum(all(t.params.get(n) == v for n, v in held) for t in unfinished)
    if not counts:
        return None
    held, n_trials = min(counts.items(), key=lambda kv: kv[1])
    if n_trials >= _MIN_BRANCH_TRIALS:
        return None
    return {**point, **dict(held)}
