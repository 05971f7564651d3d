"""Learning-curve tasks for ``benchmarks/multifidelity.py``: models trained epoch by epoch.

A task is a search space (``_tasks.Param``s), a direction, ``max_resource`` epochs, and five
functions over a training ``State``:

    state = task.init(params, seed)          # a fresh model, epoch 0
    value = task.train_step(state)           # one more epoch; the VALIDATION score after it
    task.test_score(state)                   # {"test": score on the test split, "test_error": ...}
    task.save(state, folder); state = task.load(params, folder)   # pause and resume

Each task fixes its train / validation / test split (stratified, ``random_state=0``); an
optimizer only ever sees validation scores. A configuration's learning curve is a pure function
of its parameters and the training seed (the harness uses one fixed training seed, so the
curves are the same for every optimizer and every run seed, and the best value seen in a run is
comparable across seeds). ``load`` after ``save`` continues the curve exactly as if training
had not stopped (tests/test_mf_tasks.py checks it).

* ``curves``: synthetic learning curves with a known optimum (maximize an accuracy-like score);
  fast-learning configurations (a learning rate above the optimizer's best one) plateau lower,
  wide and weakly regularized ones peak and then decline, so early scores mislead.
* ``mlp_digits``: scikit-learn MLPClassifier (SGD with Nesterov momentum), ``partial_fit``
  one epoch per step, on the 8x8 digits as flat vectors; validation log loss.
* ``cnn_digits``: a small PyTorch CNN (AdamW, dropout) on the digits as 1x8x8 images, one
  epoch per step, one CPU thread; validation log loss. State: ``torch.save`` of the state
  dicts, loaded with ``weights_only=True``; the shuffle order and dropout masks of an epoch are
  drawn from (seed, epoch), so no random-generator state needs saving.
* ``gb_cancer``: scikit-learn GradientBoostingClassifier with ``warm_start``, 4 trees per step,
  on breast cancer; validation log loss.

Only numpy at import time; scikit-learn and torch are imported by the tasks that need them.
Real tasks' states are pickled (scikit-learn) in the benchmark's own folders.
"""

from __future__ import annotations

import math
import pickle
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from _tasks import Param

__all__ = ["MAX_RESOURCE", "MF_TASKS", "MFTask", "State", "get_mf_task", "make_mf_tasks"]

MAX_RESOURCE = 27  # epochs of a full training: 3^3, so eta=3 brackets have rungs 1, 3, 9, 27
LOG_LOSS_CAP = -math.log(1e-7)  # log loss of a probability clipped at 1e-7; a diverged model scores this


@dataclass
class State:
    """A training in progress: ``epoch`` epochs done, ``last`` the validation score after them."""

    params: dict[str, Any]
    seed: int
    epoch: int = 0
    last: float | None = None
    model: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


class MFTask:
    """A model trained one epoch per step (subclasses fill in the model)."""

    name = ""
    kind = "real"  # or "synthetic"
    description = ""
    direction = "minimize"
    metric = "validation log loss"
    max_resource = MAX_RESOURCE
    optimum: float | None = None  # known best full-fidelity validation value (synthetic only)
    optimal_params: dict[str, Any] | None = None
    space: dict[str, Param]  # set per subclass

    # -- the interface the harness and the optimizers use ------------------------------------
    def init(self, params: Mapping[str, Any], seed: int) -> State:
        state = State(self.clean(params), int(seed))
        state.model = self._new_model(state)
        return state

    def train_step(self, state: State) -> float:
        if state.epoch >= self.max_resource:
            raise ValueError(f"task {self.name}: already trained {state.epoch} of {self.max_resource} epochs")
        self._train_epoch(state)
        state.epoch += 1
        state.last = float(self._validate(state))
        return state.last

    def test_score(self, state: State) -> dict[str, float | None]:
        raise NotImplementedError

    def save(self, state: State, folder: Path) -> None:
        with open(Path(folder) / "state.pkl", "wb") as f:
            pickle.dump({"seed": state.seed, "epoch": state.epoch, "last": state.last, "model": state.model}, f)

    def load(self, params: Mapping[str, Any], folder: Path) -> State:
        with open(Path(folder) / "state.pkl", "rb") as f:
            d = pickle.load(f)
        return State(self.clean(params), d["seed"], d["epoch"], d["last"], d["model"])

    def warm(self) -> None:
        """Load the data and import the libraries (one step of a middle configuration, discarded),
        so that a run's first step does not pay for them."""
        mid: dict[str, Any] = {}
        for name, p in self.space.items():
            if p.kind == "cat":
                mid[name] = p.choices[0]
            else:
                mid[name] = math.sqrt(p.low * p.high) if p.log else (p.low + p.high) / 2
        self.train_step(self.init(mid, 0))

    # -- helpers -----------------------------------------------------------------------------
    def clean(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The task's parameters as plain Python values, ints rounded, floats clipped into range."""
        out: dict[str, Any] = {}
        for name, p in self.space.items():
            if name not in params:
                raise ValueError(f"task {self.name}: parameter {name!r} is missing from {dict(params)!r}")
            v = params[name]
            if p.kind == "cat":
                matches = [c for c in p.choices if c == v]
                if not matches:
                    raise ValueError(f"task {self.name}: {name}={v!r} is not one of {p.choices}")
                out[name] = matches[0]
            else:
                v = min(max(float(v), p.low), p.high)
                out[name] = round(v) if p.kind == "int" else v
        return out

    def _new_model(self, state: State) -> Any:
        raise NotImplementedError

    def _train_epoch(self, state: State) -> None:
        raise NotImplementedError

    def _validate(self, state: State) -> float:
        raise NotImplementedError


# -- data ----------------------------------------------------------------------------------------
_DATA: dict[str, Any] = {}


def _split(x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """Train 50% / validation 25% / test 25%, stratified, fixed."""
    from sklearn.model_selection import train_test_split

    x_tr, x_rest, y_tr, y_rest = train_test_split(x, y, test_size=0.5, stratify=y, random_state=0)
    x_va, x_te, y_va, y_te = train_test_split(x_rest, y_rest, test_size=0.5, stratify=y_rest, random_state=0)
    return {"x_train": x_tr, "y_train": y_tr, "x_val": x_va, "y_val": y_va, "x_test": x_te, "y_test": y_te}


def _data(name: str) -> dict[str, np.ndarray]:
    if name not in _DATA:
        if name == "digits":
            from sklearn.datasets import load_digits

            x, y = load_digits(return_X_y=True)
            _DATA[name] = _split((x / 16.0).astype(np.float32), y)
        elif name == "cancer":
            from sklearn.datasets import load_breast_cancer

            x, y = load_breast_cancer(return_X_y=True)
            d = _split(x, y)
            mean, std = d["x_train"].mean(axis=0), d["x_train"].std(axis=0)  # the train split's scaling
            for k in ("x_train", "x_val", "x_test"):
                d[k] = (d[k] - mean) / std
            _DATA[name] = d
        else:
            raise KeyError(name)
    return _DATA[name]


def log_loss(proba: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy of integer labels ``y`` (0..k-1) under ``proba``; a non-finite result
    (a diverged model) is ``LOG_LOSS_CAP``."""
    p = proba[np.arange(len(y)), y]
    v = float(-np.mean(np.log(np.clip(p, 1e-7, 1.0))))
    return v if math.isfinite(v) else LOG_LOSS_CAP


def _scores(proba: np.ndarray, y: np.ndarray) -> dict[str, float | None]:
    ok = np.all(np.isfinite(proba))
    err = float(np.mean(np.argmax(proba, axis=1) != y)) if ok else 1.0
    return {"test": log_loss(proba, y), "test_error": err}


# -- synthetic learning curves ------------------------------------------------------------------
_BEST_LOG_LR = {"sgd": -1.0, "momentum": -1.5, "adam": -2.5}  # the best log10(lr) per optimizer
_OPT_OFFSET = {"sgd": 0.04, "momentum": 0.015, "adam": 0.0}  # penalty of the optimizer itself
_BASE_TAU = {"sgd": 12.0, "momentum": 8.0, "adam": 5.0}  # epochs to learn, at the best lr


class SyntheticCurves(MFTask):
    name = "curves"
    kind = "synthetic"
    description = (
        "synthetic accuracy curves (maximize), 5 params; high lr learns fast but plateaus lower, "
        "wide + weakly regularized peaks then declines; known optimum 0.95"
    )
    direction = "maximize"
    metric = "validation accuracy (synthetic)"
    optimum = 0.95
    optimal_params = {"lr": 10**-2.5, "width": 128, "reg": 0.3, "batch": 64, "opt": "adam"}  # noqa: RUF012
    space = {  # noqa: RUF012
        "lr": Param.float(1e-4, 1.0, log=True),
        "width": Param.int(8, 512, log=True),
        "reg": Param.float(0.0, 1.0),
        "batch": Param.int(16, 512, log=True),
        "opt": Param.cat("sgd", "momentum", "adam"),
    }
    CHANCE = 0.1
    NOISE = 0.01  # sd of the evaluation noise at epoch 0; it shrinks linearly to 0 at max_resource

    def final(self, p: Mapping[str, Any]) -> float:
        """The score at max_resource: 0.1 + 0.85 exp(-penalty), 0.95 at ``optimal_params``."""
        d_lr = math.log10(p["lr"]) - _BEST_LOG_LR[p["opt"]]
        penalty = (
            0.25 * d_lr**2
            + 0.08 * ((math.log2(p["width"]) - 7) / 2) ** 2
            + 0.6 * (p["reg"] - 0.3) ** 2
            + 0.03 * ((math.log2(p["batch"]) - 6) / 2) ** 2
            + _OPT_OFFSET[p["opt"]]
        )
        return self.CHANCE + (self.optimum - self.CHANCE) * math.exp(-penalty)

    def curve(self, p: Mapping[str, Any], t: int) -> float:
        """The score after ``t`` epochs (t = max_resource gives ``final`` exactly)."""
        big_t = self.max_resource
        d_lr = math.log10(p["lr"]) - _BEST_LOG_LR[p["opt"]]
        tau = (
            _BASE_TAU[p["opt"]]
            * 10 ** (-0.7 * d_lr)
            * (p["width"] / 128) ** 0.2
            * (p["batch"] / 64) ** 0.3
            * (1 + p["reg"])
        )
        tau = min(max(tau, 0.3), 1e4)
        rise = (1 - math.exp(-t / tau)) / (1 - math.exp(-big_t / tau))
        over = 0.06 * max(0.0, math.log2(p["width"] / 64)) * (1 - p["reg"]) ** 2  # overfitting bump
        g = self.final(p)
        v = self.CHANCE + (g + over - self.CHANCE) * rise - over * (t / big_t) ** 2
        if t < big_t:
            key = zlib.crc32(
                repr(sorted((k, round(x, 8) if isinstance(x, float) else x) for k, x in p.items())).encode()
            )
            v += self.NOISE * (1 - t / big_t) * float(np.random.default_rng([key, t]).standard_normal())
        return v

    def _new_model(self, state: State) -> Any:
        return None

    def _train_epoch(self, state: State) -> None:
        pass

    def _validate(self, state: State) -> float:
        return self.curve(state.params, state.epoch)

    def test_score(self, state: State) -> dict[str, float | None]:
        # no separate test data: the test score is the noise-free curve at the state's epoch
        return {
            "test": self.final(state.params) if state.epoch == self.max_resource else state.last,
            "test_error": None,
        }

    def save(self, state: State, folder: Path) -> None:
        import json

        (Path(folder) / "state.json").write_text(
            json.dumps({"seed": state.seed, "epoch": state.epoch, "last": state.last})
        )

    def load(self, params: Mapping[str, Any], folder: Path) -> State:
        import json

        d = json.loads((Path(folder) / "state.json").read_text())
        return State(self.clean(params), d["seed"], d["epoch"], d["last"])


# -- scikit-learn MLP on digits -----------------------------------------------------------------
class MLPDigits(MFTask):
    name = "mlp_digits"
    description = "sklearn MLPClassifier (SGD + Nesterov momentum), partial_fit per epoch, digits (898/449/450)"
    space = {  # noqa: RUF012
        "lr": Param.float(1e-3, 1.0, log=True),
        "momentum": Param.float(0.0, 0.99),
        "alpha": Param.float(1e-6, 1e-1, log=True),
        "units": Param.int(8, 256, log=True),
        "batch": Param.int(16, 256, log=True),
    }

    def _new_model(self, state: State) -> Any:
        from sklearn.neural_network import MLPClassifier

        p = state.params
        return MLPClassifier(
            hidden_layer_sizes=(p["units"],),
            solver="sgd",
            learning_rate_init=p["lr"],
            momentum=p["momentum"],
            nesterovs_momentum=True,
            alpha=p["alpha"],
            batch_size=p["batch"],
            random_state=state.seed,
        )

    def _train_epoch(self, state: State) -> None:
        import warnings

        d = _data("digits")
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            state.model.partial_fit(d["x_train"], d["y_train"], classes=np.arange(10))

    def _proba(self, state: State, x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return state.model.predict_proba(x)

    def _validate(self, state: State) -> float:
        d = _data("digits")
        return log_loss(self._proba(state, d["x_val"]), d["y_val"])

    def test_score(self, state: State) -> dict[str, float | None]:
        d = _data("digits")
        return _scores(self._proba(state, d["x_test"]), d["y_test"])


# -- gradient boosting on breast cancer ---------------------------------------------------------
class GBCancer(MFTask):
    name = "gb_cancer"
    description = (
        "sklearn GradientBoostingClassifier, warm_start +4 trees per step (108 at most), breast cancer (284/142/143)"
    )
    TREES_PER_STEP = 4
    space = {  # noqa: RUF012
        "lr": Param.float(0.01, 1.0, log=True),
        "max_depth": Param.int(1, 6),
        "subsample": Param.float(0.2, 1.0),
        "min_samples_leaf": Param.int(1, 64, log=True),
        "max_features": Param.float(0.1, 1.0),
    }

    def _new_model(self, state: State) -> Any:
        from sklearn.ensemble import GradientBoostingClassifier

        p = state.params
        return GradientBoostingClassifier(
            n_estimators=0,
            learning_rate=p["lr"],
            max_depth=p["max_depth"],
            subsample=p["subsample"],
            min_samples_leaf=p["min_samples_leaf"],
            max_features=p["max_features"],
            warm_start=True,
            random_state=state.seed,
        )

    def _train_epoch(self, state: State) -> None:
        d = _data("cancer")
        state.model.n_estimators += self.TREES_PER_STEP
        with np.errstate(all="ignore"):
            state.model.fit(d["x_train"], d["y_train"])

    def _validate(self, state: State) -> float:
        d = _data("cancer")
        return log_loss(state.model.predict_proba(d["x_val"]), d["y_val"])

    def test_score(self, state: State) -> dict[str, float | None]:
        d = _data("cancer")
        return _scores(state.model.predict_proba(d["x_test"]), d["y_test"])


# -- PyTorch CNN on digits images ---------------------------------------------------------------
def digits_cnn(channels: int, dropout: float) -> Any:
    """Two 3x3 conv + max-pool blocks (``channels``, then twice as many), dropout, a linear layer:
    8x8 digit images to 10 logits."""
    from torch import nn

    c = channels
    return nn.Sequential(
        nn.Conv2d(1, c, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(c, 2 * c, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(dropout),
        nn.Linear(8 * c, 10),
    )


class CNNDigits(MFTask):
    name = "cnn_digits"
    description = "PyTorch CNN (2 conv + dropout + linear, AdamW), digits as 1x8x8 images (898/449/450)"
    space = {  # noqa: RUF012
        "lr": Param.float(1e-4, 3e-2, log=True),
        "weight_decay": Param.float(1e-6, 1e-1, log=True),
        "channels": Param.int(4, 16, log=True),
        "dropout": Param.float(0.0, 0.6),
        "batch": Param.int(32, 256, log=True),
    }

    @staticmethod
    def _tensors() -> dict[str, Any]:
        if "digits_torch" not in _DATA:
            import torch

            d = _data("digits")
            t = {k: torch.from_numpy(v.reshape(-1, 1, 8, 8).copy()) for k, v in d.items() if k.startswith("x_")}
            t.update({k: torch.from_numpy(v.astype(np.int64)) for k, v in d.items() if k.startswith("y_")})
            _DATA["digits_torch"] = t
        return _DATA["digits_torch"]

    def _net(self, state: State) -> tuple[Any, Any]:
        import torch

        torch.set_num_threads(1)
        p = state.params
        c = p["channels"]
        torch.manual_seed(state.seed)
        net = digits_cnn(c, p["dropout"])
        opt = torch.optim.AdamW(net.parameters(), lr=p["lr"], weight_decay=p["weight_decay"])
        return net, opt

    def _new_model(self, state: State) -> Any:
        return self._net(state)

    def _train_epoch(self, state: State) -> None:
        import torch
        from torch.nn.functional import cross_entropy

        net, opt = state.model
        t = self._tensors()
        x, y = t["x_train"], t["y_train"]
        gen = torch.Generator().manual_seed(state.seed * 1_000_003 + state.epoch)
        torch.manual_seed(state.seed * 1_000_003 + state.epoch)  # dropout masks
        perm = torch.randperm(len(y), generator=gen)
        bs = state.params["batch"]
        net.train()
        for i in range(0, len(perm), bs):
            idx = perm[i : i + bs]
            opt.zero_grad()
            cross_entropy(net(x[idx]), y[idx]).backward()
            opt.step()

    def _proba(self, state: State, split: str) -> np.ndarray:
        import torch

        net, _ = state.model
        net.eval()
        with torch.no_grad():
            return torch.softmax(net(self._tensors()[f"x_{split}"]), dim=1).numpy().astype(np.float64)

    def _validate(self, state: State) -> float:
        return log_loss(self._proba(state, "val"), _data("digits")["y_val"])

    def test_score(self, state: State) -> dict[str, float | None]:
        return _scores(self._proba(state, "test"), _data("digits")["y_test"])

    def save(self, state: State, folder: Path) -> None:
        import torch

        net, opt = state.model
        blob = {"seed": state.seed, "epoch": state.epoch, "last": state.last}
        torch.save({"net": net.state_dict(), "opt": opt.state_dict(), "meta": blob}, Path(folder) / "state.pt")

    def load(self, params: Mapping[str, Any], folder: Path) -> State:
        import torch

        d = torch.load(Path(folder) / "state.pt", weights_only=True)
        meta = d["meta"]
        state = State(self.clean(params), int(meta["seed"]), int(meta["epoch"]), meta["last"])
        net, opt = self._net(state)
        net.load_state_dict(d["net"])
        opt.load_state_dict(d["opt"])
        state.model = (net, opt)
        return state


# -- the registry ---------------------------------------------------------------------------------
_FACTORIES: dict[str, Callable[[], MFTask]] = {t.name: t for t in (SyntheticCurves, MLPDigits, CNNDigits, GBCancer)}


def make_mf_tasks() -> dict[str, MFTask]:
    """Fresh task objects by name, in benchmark order."""
    return {name: f() for name, f in _FACTORIES.items()}


MF_TASKS: tuple[str, ...] = tuple(_FACTORIES)


def get_mf_task(name: str) -> MFTask:
    return _FACTORIES[name]()
