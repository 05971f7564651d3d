"""Benchmark tasks for ``benchmarks/samplers.py``: functions of a dict of parameters, to MINIMIZE.

A task is a search space (``Param``s, optionally one categorical "branch" parameter whose
value decides which further parameters exist) and ``evaluate(params) -> float``.

Synthetic tasks have a known optimum (``Task.optimum``) at a known minimizer
(``Task.minimizer``; checked by ``tests/test_benchmark_tasks.py``). Real tasks are
scikit-learn models scored by 3-fold cross-validation on small data sets that ship with
scikit-learn; their optimum is unknown (None): the benchmark uses the best value any
optimizer saw in the run. Real tasks round their float parameters to 4 significant digits,
evaluate the model at the rounded point and memoize the result in the process, so a value
is a pure function of the rounded parameters, whatever was evaluated before.

Only numpy at import time; scikit-learn is imported when a real task is first evaluated.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["TASKS", "Param", "Task", "ackley", "branin", "get_task", "hartmann6", "levy", "make_tasks", "rosenbrock"]


@dataclass(frozen=True)
class Param:
    """One dimension: kind "float" / "int" (``low``, ``high``, ``log``) or "cat" (``choices``)."""

    kind: str
    low: float = 0.0
    high: float = 1.0
    log: bool = False
    choices: tuple[Any, ...] = ()

    @staticmethod
    def float(low: float, high: float, log: bool = False) -> Param:
        return Param("float", low, high, log)

    @staticmethod
    def int(low: int, high: int, log: bool = False) -> Param:
        return Param("int", low, high, log)

    @staticmethod
    def cat(*choices: Any) -> Param:
        return Param("cat", choices=tuple(choices))


@dataclass
class Task:
    """A function to minimize over ``space`` (+ the active branch's parameters, if conditional)."""

    name: str
    kind: str  # "synthetic" or "real"
    description: str
    space: dict[str, Param]
    func: Callable[[Mapping[str, Any]], float]
    optimum: float | None = None
    minimizer: dict[str, Any] | None = None
    branch_param: str | None = None  # a categorical in ``space`` whose value picks ...
    branches: dict[Any, dict[str, Param]] = field(default_factory=dict)  # ... these extra parameters
    memoize: bool = False
    _cache: dict[tuple[Any, ...], float] = field(default_factory=dict, repr=False)
    n_calls: int = 0  # calls of ``evaluate`` since ``reset_counters``
    calls_s: float = 0.0  # seconds spent in them (the objective's time, cache lookups included)
    n_computed: int = 0  # calls that ran the function (memo cache misses)
    computed_s: float = 0.0  # seconds spent in them

    def reset_counters(self) -> None:
        self.n_calls, self.calls_s, self.n_computed, self.computed_s = 0, 0.0, 0, 0.0

    @property
    def conditional(self) -> bool:
        return self.branch_param is not None

    @property
    def has_categorical(self) -> bool:
        return self.conditional or any(p.kind == "cat" for p in self.all_params().values())

    @property
    def continuous_only(self) -> bool:
        return all(p.kind == "float" for p in self.all_params().values()) and not self.conditional

    def all_params(self) -> dict[str, Param]:
        """Every parameter of every branch (names are unique across branches)."""
        out = dict(self.space)
        for sub in self.branches.values():
            out.update(sub)
        return out

    def active_space(self, params: Mapping[str, Any]) -> dict[str, Param]:
        """The parameters that exist for these top-level values."""
        if self.branch_param is None:
            return dict(self.space)
        return {**self.space, **self.branches[params[self.branch_param]]}

    def dims(self) -> str:
        n = len(self.space)
        if self.conditional:
            sizes = sorted({len(b) for b in self.branches.values()})
            return f"{n}+{'/'.join(map(str, sizes))}"
        return str(n)

    def suggest_all(self, suggest: Callable[[str, Param], Any]) -> dict[str, Any]:
        """Define-by-run: ask ``suggest(name, param)`` for each top-level parameter, then for the
        active branch's parameters. Returns the parameters."""
        params = {name: suggest(name, p) for name, p in self.space.items()}
        if self.branch_param is not None:
            for name, p in self.branches[params[self.branch_param]].items():
                params[name] = suggest(name, p)
        return params

    def evaluate(self, params: Mapping[str, Any]) -> float:
        """The value at ``params`` (only the active parameters are read; extra keys are ignored).
        Raises ValueError for a value outside its range (a bug in the optimizer's wrapper)."""
        t0 = time.perf_counter()
        try:
            clean = self.check(params)
            key = tuple(clean[k] for k in sorted(clean)) if self.memoize else None
            if key is not None and key in self._cache:
                return self._cache[key]
            t1 = time.perf_counter()
            value = float(self.func(clean))
            self.computed_s += time.perf_counter() - t1
            self.n_computed += 1
            if key is not None:
                self._cache[key] = value
            return value
        finally:
            self.n_calls += 1
            self.calls_s += time.perf_counter() - t0

    def check(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The active parameters as plain Python values (floats of memoized tasks rounded to 4
        significant digits); a float a hair outside its range (log round-off) is clipped."""
        clean: dict[str, Any] = {}
        for name, p in self.active_space(params).items():
            if name not in params:
                raise ValueError(f"task {self.name}: parameter {name!r} is missing from {dict(params)!r}")
            v = params[name]
            if p.kind == "cat":
                matches = [c for c in p.choices if c == v]
                if not matches:
                    raise ValueError(f"task {self.name}: {name}={v!r} is not one of {p.choices}")
                clean[name] = matches[0]
                continue
            v = float(v)
            slack = 1e-9 * max(1.0, abs(p.low), abs(p.high))
            if not p.low - slack <= v <= p.high + slack:
                raise ValueError(f"task {self.name}: {name}={v!r} is outside [{p.low}, {p.high}]")
            v = min(max(v, p.low), p.high)
            if p.kind == "int":
                if abs(v - round(v)) > 1e-6:
                    raise ValueError(f"task {self.name}: {name}={v!r} is not an integer")
                clean[name] = round(v)
            else:
                clean[name] = float(f"{v:.4g}") if self.memoize else v
        return clean


# -- synthetic functions -----------------------------------------------------------------------
BRANIN_MIN = 5.0 / (4.0 * math.pi)  # 0.397887...


def branin(x1: float, x2: float) -> float:
    b, c = 5.1 / (4 * math.pi**2), 5 / math.pi
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10


_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H6_A = np.array(
    [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
HARTMANN6_MIN = -3.322368011415515
HARTMANN6_ARGMIN = (0.20168952, 0.15001069, 0.47687398, 0.27533243, 0.31165162, 0.65730054)


def hartmann6(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=float)
    return float(-np.sum(_H6_ALPHA * np.exp(-np.sum(_H6_A * (x - _H6_P) ** 2, axis=1))))


def ackley(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=float)
    d = len(x)
    s1 = np.sqrt(np.sum(x**2) / d)
    s2 = np.sum(np.cos(2 * np.pi * x)) / d
    return float(-20 * np.exp(-0.2 * s1) - np.exp(s2) + 20 + np.e)


def rosenbrock(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=float)
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def levy(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=float)
    w = 1 + (x - 1) / 4
    head = np.sin(np.pi * w[0]) ** 2
    mid = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(np.pi * w[:-1] + 1) ** 2))
    tail = (w[-1] - 1) ** 2 * (1 + np.sin(2 * np.pi * w[-1]) ** 2)
    return float(head + mid + tail)


def _vector(prefix: str, n: int) -> Callable[[Mapping[str, Any]], np.ndarray]:
    return lambda p: np.array([p[f"{prefix}{i}"] for i in range(n)])


def _box(prefix: str, n: int, low: float, high: float) -> dict[str, Param]:
    return {f"{prefix}{i}": Param.float(low, high) for i in range(n)}


# mixed: the best x depends on the category; every other parameter has its own optimum
MIXED_SHIFT = {"a": -2.0, "b": 1.5, "c": 0.0, "d": 3.0}
MIXED_OFFSET = {"a": 0.5, "b": 0.0, "c": 0.3, "d": 1.0}


def mixed(p: Mapping[str, Any]) -> float:
    c = p["cat"]
    return (
        MIXED_OFFSET[c]
        + (p["x"] - MIXED_SHIFT[c]) ** 2 / 4
        + (math.log10(p["lr"]) + 2.5) ** 2
        + ((p["n"] - 7) / 4) ** 2
        + (math.log10(p["k"]) - 2) ** 2 / 2
    )


# conditional: a branch picks one of three functions, each with its own parameters and floor
def conditional(p: Mapping[str, Any]) -> float:
    branch = p["branch"]
    if branch == "branin":  # global optimum 0.0 at x1 = pi, x2 = 2.275 (and two other points)
        return max(0.0, branin(p["b_x1"], p["b_x2"]) - BRANIN_MIN)
    if branch == "sphere":  # floor 0.5 at s_x* = 1
        return 0.5 + sum((p[f"s_x{i}"] - 1.0) ** 2 for i in range(3)) / 3
    # "steps": floor 0.25 at n = 17, m = "mid", rate = 1e-3
    return (
        0.25
        + abs(p["i_n"] - 17) / 10
        + {"low": 0.4, "mid": 0.0, "high": 0.2}[p["i_m"]]
        + (math.log10(p["i_rate"]) + 3) ** 2 / 4
    )


def _synthetic() -> list[Task]:
    return [
        Task(
            "branin",
            "synthetic",
            "Branin, x1 in [-5, 10], x2 in [0, 15]",
            {"x1": Param.float(-5, 10), "x2": Param.float(0, 15)},
            lambda p: branin(p["x1"], p["x2"]),
            optimum=BRANIN_MIN,
            minimizer={"x1": math.pi, "x2": 2.275},
        ),
        Task(
            "hartmann6",
            "synthetic",
            "Hartmann-6 on [0, 1]^6",
            _box("x", 6, 0.0, 1.0),
            lambda p: hartmann6(_vector("x", 6)(p)),
            optimum=HARTMANN6_MIN,
            minimizer={f"x{i}": v for i, v in enumerate(HARTMANN6_ARGMIN)},
        ),
        Task(
            "ackley5",
            "synthetic",
            "Ackley-5 on the shifted box [-15, 30]^5 (optimum at 0, off-centre)",
            _box("x", 5, -15.0, 30.0),
            lambda p: ackley(_vector("x", 5)(p)),
            optimum=0.0,
            minimizer={f"x{i}": 0.0 for i in range(5)},
        ),
        Task(
            "rosenbrock4",
            "synthetic",
            "Rosenbrock-4 on [-5, 10]^4",
            _box("x", 4, -5.0, 10.0),
            lambda p: rosenbrock(_vector("x", 4)(p)),
            optimum=0.0,
            minimizer={f"x{i}": 1.0 for i in range(4)},
        ),
        Task(
            "levy6",
            "synthetic",
            "Levy-6 on [-10, 10]^6",
            _box("x", 6, -10.0, 10.0),
            lambda p: levy(_vector("x", 6)(p)),
            optimum=0.0,
            minimizer={f"x{i}": 1.0 for i in range(6)},
        ),
        Task(
            "mixed",
            "synthetic",
            "float x, log-float lr, int n, log-int k, categorical cat (best x depends on cat)",
            {
                "x": Param.float(-5, 5),
                "lr": Param.float(1e-4, 1.0, log=True),
                "n": Param.int(1, 20),
                "k": Param.int(1, 1000, log=True),
                "cat": Param.cat("a", "b", "c", "d"),
            },
            mixed,
            optimum=0.0,
            minimizer={"x": 1.5, "lr": 10**-2.5, "n": 7, "k": 100, "cat": "b"},
        ),
        Task(
            "conditional",
            "synthetic",
            "branch in {branin: 2 floats, sphere: 3 floats, steps: int + cat + log-float}",
            {"branch": Param.cat("sphere", "steps", "branin")},
            conditional,
            optimum=0.0,
            minimizer={"branch": "branin", "b_x1": math.pi, "b_x2": 2.275},
            branch_param="branch",
            branches={
                "sphere": _box("s_x", 3, -5.0, 5.0),
                "steps": {
                    "i_n": Param.int(0, 50),
                    "i_m": Param.cat("low", "mid", "high"),
                    "i_rate": Param.float(1e-5, 1e-1, log=True),
                },
                "branin": {"b_x1": Param.float(-5, 10), "b_x2": Param.float(0, 15)},
            },
        ),
    ]


# -- real tasks: scikit-learn models, 3-fold cross-validation ---------------------------------
class _Data:
    """Lazily loaded data sets and fixed fold indices (shared by the tasks of one process)."""

    _cache: dict[str, Any] = {}  # noqa: RUF012

    @classmethod
    def get(cls, name: str) -> Any:
        if name not in cls._cache:
            cls._cache[name] = getattr(cls, "_" + name)()
        return cls._cache[name]

    @staticmethod
    def _folds(y: np.ndarray, stratified: bool) -> list[tuple[np.ndarray, np.ndarray]]:
        from sklearn.model_selection import KFold, StratifiedKFold

        cv = StratifiedKFold(3, shuffle=True, random_state=0) if stratified else KFold(3, shuffle=True, random_state=0)
        return list(cv.split(np.zeros(len(y)), y))

    @classmethod
    def _subset(cls, x: np.ndarray, y: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        idx = np.random.default_rng(0).permutation(len(y))[:n]
        return x[idx], y[idx]

    @classmethod
    def _digits(cls) -> tuple[np.ndarray, np.ndarray, list[Any]]:
        from sklearn.datasets import load_digits

        x, y = load_digits(return_X_y=True)
        x, y = cls._subset(x / 16.0, y, 300)
        return x, y, cls._folds(y, True)

    @classmethod
    def _digits_full(cls) -> tuple[np.ndarray, np.ndarray, list[Any]]:
        # a tree on 569 breast-cancer rows scored most good settings within one or two rows of
        # each other, so its "best" was a lottery; 1,797 rows and 10 classes grade them finely
        from sklearn.datasets import load_digits

        x, y = load_digits(return_X_y=True)
        return x / 16.0, y, cls._folds(y, True)

    @classmethod
    def _digits_small(cls) -> tuple[np.ndarray, np.ndarray, list[Any]]:
        from sklearn.datasets import load_digits

        x, y = load_digits(return_X_y=True)
        x, y = cls._subset(x / 16.0, y, 240)
        return x, y, cls._folds(y, True)

    @classmethod
    def _diabetes_plain(cls) -> tuple[np.ndarray, np.ndarray, list[Any]]:
        from sklearn.datasets import load_diabetes

        x, y = load_diabetes(return_X_y=True)
        x = (x - x.mean(axis=0)) / x.std(axis=0)
        return x, y, cls._folds(y, False)

    @classmethod
    def _breast_cancer(cls) -> tuple[np.ndarray, np.ndarray, list[Any]]:
        from sklearn.datasets import load_breast_cancer

        x, y = load_breast_cancer(return_X_y=True)
        x = (x - x.mean(axis=0)) / x.std(axis=0)
        return x, y, cls._folds(y, True)

    @classmethod
    def _diabetes(cls) -> tuple[np.ndarray, np.ndarray, list[Any]]:
        from sklearn.datasets import load_diabetes

        x, y = load_diabetes(return_X_y=True)
        # degree-2 interactions: 65 features for 442 samples, so regularization matters
        from sklearn.preprocessing import PolynomialFeatures

        x = PolynomialFeatures(2, include_bias=False).fit_transform(x)
        x = (x - x.mean(axis=0)) / x.std(axis=0)
        return x, y, cls._folds(y, False)


def _cv_error(make_model: Callable[[], Any], x: np.ndarray, y: np.ndarray, folds: list[Any]) -> float:
    """Mean over folds of 1 - accuracy."""
    errors = []
    for train, test in folds:
        model = make_model()
        model.fit(x[train], y[train])
        errors.append(1.0 - float(np.mean(model.predict(x[test]) == y[test])))
    return float(np.mean(errors))


def _svm_digits(p: Mapping[str, Any]) -> float:
    from sklearn.svm import SVC

    x, y, folds = _Data.get("digits")
    return _cv_error(lambda: SVC(C=p["C"], gamma=p["gamma"]), x, y, folds)


def _knn_diabetes(p: Mapping[str, Any]) -> float:
    """k-NN regression; ``w_bmi_s5`` scales the two most predictive features (bmi, s5) in the
    distance. Mean over folds of the test MSE, in units of 1,000."""
    from sklearn.neighbors import KNeighborsRegressor

    x, y, folds = _Data.get("diabetes_plain")
    x = x.copy()
    x[:, [2, 8]] *= p["w_bmi_s5"]
    errors = []
    for train, test in folds:
        model = KNeighborsRegressor(n_neighbors=p["n_neighbors"], weights=p["weights"], p=p["p"])
        model.fit(x[train], y[train])
        errors.append(float(np.mean((model.predict(x[test]) - y[test]) ** 2)) / 1000.0)
    return float(np.mean(errors))


def _tree_digits(p: Mapping[str, Any]) -> float:
    from sklearn.tree import DecisionTreeClassifier

    x, y, folds = _Data.get("digits_full")
    return _cv_error(
        lambda: DecisionTreeClassifier(
            max_depth=p["max_depth"],
            min_samples_split=p["min_samples_split"],
            min_samples_leaf=p["min_samples_leaf"],
            criterion=p["criterion"],
            max_features=p["max_features"],
            random_state=0,
        ),
        x,
        y,
        folds,
    )


def _enet_diabetes(p: Mapping[str, Any]) -> float:
    """Mean over folds of the test MSE, in units of 1,000 (the target's variance is about 5.9)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import ElasticNet

    x, y, folds = _Data.get("diabetes")
    errors = []
    for train, test in folds:
        model = ElasticNet(alpha=p["alpha"], l1_ratio=p["l1_ratio"], max_iter=2000, tol=1e-3, precompute=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(x[train], y[train])
        errors.append(float(np.mean((model.predict(x[test]) - y[test]) ** 2)) / 1000.0)
    return float(np.mean(errors))


def _mlp_digits(p: Mapping[str, Any]) -> float:
    """Mean over folds of the test log loss (cross-entropy), continuous unlike 1 - accuracy."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    x, y, folds = _Data.get("digits_small")
    losses = []
    for train, test in folds:
        model = MLPClassifier(
            hidden_layer_sizes=(p["units"],),
            activation=p["activation"],
            alpha=p["alpha"],
            learning_rate_init=p["lr"],
            max_iter=10,
            random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(x[train], y[train])
        proba = model.predict_proba(x[test])
        cols = np.searchsorted(model.classes_, y[test])
        losses.append(float(-np.mean(np.log(np.clip(proba[np.arange(len(test)), cols], 1e-15, None)))))
    return float(np.mean(losses))


def _model_select_breast_cancer(p: Mapping[str, Any]) -> float:
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.svm import SVC
    from sklearn.tree import DecisionTreeClassifier

    x, y, folds = _Data.get("breast_cancer")
    model = p["model"]
    if model == "svc":
        make = lambda: SVC(C=p["svc_C"], gamma=p["svc_gamma"])  # noqa: E731
    elif model == "knn":
        make = lambda: KNeighborsClassifier(n_neighbors=p["knn_k"], weights=p["knn_weights"])  # noqa: E731
    else:
        make = lambda: DecisionTreeClassifier(  # noqa: E731
            max_depth=p["tree_depth"], min_samples_leaf=p["tree_leaf"], random_state=0
        )
    return _cv_error(make, x, y, folds)


def _real() -> list[Task]:
    return [
        Task(
            "svm_digits",
            "real",
            "SVC(C, gamma) on 300 digits, 1 - accuracy",
            {"C": Param.float(1e-2, 1e3, log=True), "gamma": Param.float(1e-5, 1e0, log=True)},
            _svm_digits,
            memoize=True,
        ),
        Task(
            "knn_diabetes",
            "real",
            "k-NN regression(n_neighbors, weights, p, weight of bmi & s5 in the distance) on diabetes, CV MSE / 1000",
            {
                "n_neighbors": Param.int(1, 100, log=True),
                "weights": Param.cat("uniform", "distance"),
                "p": Param.int(1, 3),
                "w_bmi_s5": Param.float(0.1, 10.0, log=True),
            },
            _knn_diabetes,
            memoize=True,
        ),
        Task(
            "tree_digits",
            "real",
            "DecisionTree(5 params) on all 1,797 digits, 1 - accuracy",
            {
                "max_depth": Param.int(1, 20),
                "min_samples_split": Param.int(2, 40),
                "min_samples_leaf": Param.int(1, 20),
                "criterion": Param.cat("gini", "entropy", "log_loss"),
                "max_features": Param.float(0.1, 1.0),
            },
            _tree_digits,
            memoize=True,
        ),
        Task(
            "enet_diabetes",
            "real",
            "ElasticNet(alpha, l1_ratio) on diabetes + degree-2 features, CV MSE / 1000",
            {"alpha": Param.float(1e-4, 1e1, log=True), "l1_ratio": Param.float(0.0, 1.0)},
            _enet_diabetes,
            memoize=True,
        ),
        Task(
            "mlp_digits",
            "real",
            "MLP(units, activation, alpha, lr; 10 epochs) on 240 digits, CV log loss",
            {
                "units": Param.int(4, 64, log=True),
                "activation": Param.cat("relu", "tanh"),
                "alpha": Param.float(1e-6, 1e-1, log=True),
                "lr": Param.float(1e-4, 1e-1, log=True),
            },
            _mlp_digits,
            memoize=True,
        ),
        Task(
            "model_select_cancer",
            "real",
            "model in {SVC(C, gamma), k-NN(k, weights), tree(depth, leaf)} on breast cancer, 1 - accuracy",
            {"model": Param.cat("svc", "knn", "tree")},
            _model_select_breast_cancer,
            memoize=True,
            branch_param="model",
            branches={
                "svc": {"svc_C": Param.float(1e-2, 1e3, log=True), "svc_gamma": Param.float(1e-5, 1e0, log=True)},
                "knn": {"knn_k": Param.int(1, 50), "knn_weights": Param.cat("uniform", "distance")},
                "tree": {"tree_depth": Param.int(1, 20), "tree_leaf": Param.int(1, 30)},
            },
        ),
    ]


def make_tasks() -> dict[str, Task]:
    """Fresh task objects (each with its own memo cache), by name, in benchmark order."""
    return {t.name: t for t in _synthetic() + _real()}


TASKS: tuple[str, ...] = tuple(make_tasks())
_PROCESS_TASKS: dict[str, Task] = {}


def get_task(name: str) -> Task:
    """This process's task object of that name (its memo cache lives as long as the process)."""
    if not _PROCESS_TASKS:
        _PROCESS_TASKS.update(make_tasks())
    return _PROCESS_TASKS[name]
