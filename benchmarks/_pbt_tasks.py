"""PyTorch tasks for ``benchmarks/pbt.py``: small networks trained epoch by epoch, whose
optimizer hyperparameters may change between epochs (what population-based training changes).

A task fixes the architecture and the batch size; the tuned names are optimizer values only
(learning rate, weight decay, momentum), so a checkpoint taken under one set of values goes on
under another. The data splits are those of ``_mf_tasks`` (stratified 50 / 25 / 25, fixed).

    run = task.new(seed)                     # fixed initial weights for (task, seed)
    task.set_values(run, {"lr": ..., ...})   # before an epoch: the values in force
    task.train_epoch(run, epoch)             # shuffle order and dropout masks from (seed, epoch)
    task.val_loss(run); task.test_scores(run)
    task.save(run, folder, epoch); epoch = task.load(run, folder)

One CPU thread per training. Only numpy at import time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from _mf_tasks import _data, _scores, digits_cnn, log_loss

__all__ = ["PBT_TASKS", "PBTTask", "Run"]


@dataclass
class Run:
    seed: int
    net: Any
    opt: Any


@dataclass(frozen=True)
class Bound:
    low: float
    high: float
    log: bool


class PBTTask:
    name = ""
    description = ""
    data = "digits"
    batch = 64
    space: Mapping[str, Bound] = {}

    def _tensors(self) -> dict[str, Any]:
        import torch

        d = _data(self.data)
        t = {k: torch.from_numpy(self._shape(v)) for k, v in d.items() if k.startswith("x_")}
        t.update({k: torch.from_numpy(v.astype(np.int64)) for k, v in d.items() if k.startswith("y_")})
        return t

    def _shape(self, x: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(x, dtype=np.float32)

    def _net(self) -> Any:
        raise NotImplementedError

    def _opt(self, params: Any) -> Any:
        raise NotImplementedError

    def new(self, seed: int) -> Run:
        import torch

        torch.set_num_threads(1)
        torch.manual_seed(seed)
        net = self._net()
        return Run(seed, net, self._opt(net.parameters()))

    def set_values(self, run: Run, values: Mapping[str, Any]) -> None:
        for group in run.opt.param_groups:
            for key in self.space:
                if key in values and key in group:
                    group[key] = float(values[key])

    def train_epoch(self, run: Run, epoch: int) -> None:
        import torch
        from torch.nn.functional import cross_entropy

        t = _cached(self)
        x, y = t["x_train"], t["y_train"]
        gen = torch.Generator().manual_seed(run.seed * 1_000_003 + epoch)
        torch.manual_seed(run.seed * 1_000_003 + epoch)  # dropout masks
        perm = torch.randperm(len(y), generator=gen)
        run.net.train()
        for i in range(0, len(perm), self.batch):
            idx = perm[i : i + self.batch]
            run.opt.zero_grad()
            cross_entropy(run.net(x[idx]), y[idx]).backward()
            run.opt.step()

    def _proba(self, run: Run, split: str) -> np.ndarray:
        import torch

        run.net.eval()
        with torch.no_grad():
            out = torch.softmax(run.net(_cached(self)[f"x_{split}"]), dim=1)
        return out.numpy().astype(np.float64)

    def val_loss(self, run: Run) -> float:
        return log_loss(self._proba(run, "val"), _data(self.data)["y_val"])

    def test_scores(self, run: Run) -> dict[str, float | None]:
        """Test log loss ("test") and error rate ("test_error")."""
        return _scores(self._proba(run, "test"), _data(self.data)["y_test"])

    def save(self, run: Run, folder: str | Path, epoch: int) -> None:
        import torch

        blob = {"net": run.net.state_dict(), "opt": run.opt.state_dict(), "epoch": epoch}
        torch.save(blob, Path(folder) / "state.pt")

    def load(self, run: Run, folder: str | Path) -> int:
        """Restore ``run`` from ``folder``; the epoch the checkpoint was taken after."""
        import torch

        blob = torch.load(Path(folder) / "state.pt", weights_only=True)
        run.net.load_state_dict(blob["net"])
        run.opt.load_state_dict(blob["opt"])
        return int(blob["epoch"])


_TENSORS: dict[str, dict[str, Any]] = {}


def _cached(task: PBTTask) -> dict[str, Any]:
    if task.name not in _TENSORS:
        _TENSORS[task.name] = task._tensors()
    return _TENSORS[task.name]


class CNNDigits(PBTTask):
    name = "cnn_digits"
    description = "CNN (2 conv, dropout 0.25, 8 channels), AdamW, batch 64; digits as 1x8x8 images"
    space = {"lr": Bound(1e-4, 3e-2, True), "weight_decay": Bound(1e-6, 1e-1, True)}  # noqa: RUF012

    def _shape(self, x: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(x.reshape(-1, 1, 8, 8), dtype=np.float32)

    def _net(self) -> Any:
        return digits_cnn(8, 0.25)

    def _opt(self, params: Any) -> Any:
        import torch

        return torch.optim.AdamW(params, lr=1e-3, weight_decay=1e-2)


class MLPDigits(PBTTask):
    name = "mlp_digits"
    description = "MLP 64-64-10 (ReLU), SGD with momentum, batch 32; digits as flat vectors"
    batch = 32
    space = {  # noqa: RUF012
        "lr": Bound(1e-3, 1.0, True),
        "momentum": Bound(0.0, 0.99, False),
        "weight_decay": Bound(1e-6, 1e-2, True),
    }

    def _net(self) -> Any:
        from torch import nn

        return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))

    def _opt(self, params: Any) -> Any:
        import torch

        return torch.optim.SGD(params, lr=0.01, momentum=0.5, weight_decay=1e-4)


class MLPCancer(PBTTask):
    name = "mlp_cancer"
    description = "MLP 30-32-2 (ReLU, dropout 0.2), Adam, batch 16; breast cancer, standardized"
    data = "cancer"
    batch = 16
    space = {"lr": Bound(1e-5, 1e-1, True), "weight_decay": Bound(1e-6, 1e-1, True)}  # noqa: RUF012

    def _net(self) -> Any:
        from torch import nn

        return nn.Sequential(nn.Linear(30, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 2))

    def _opt(self, params: Any) -> Any:
        import torch

        return torch.optim.AdamW(params, lr=1e-3, weight_decay=1e-2)


PBT_TASKS: dict[str, PBTTask] = {t.name: t for t in (CNNDigits(), MLPDigits(), MLPCancer())}
