"""PyTorch helpers (needs the ``torch`` extra): ``TrialLoop``, a training loop's link to its
trial (reports, pruning and pausing, checkpoints saved and restored, live changes of the
optimizer's hyperparameters), and the learning-rate range test on a model, with its weights
and optimizer state restored afterwards."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from sturgeon._lr_range import LRRangeResult
from sturgeon._lr_range import lr_range_test as _range_test
from sturgeon.integrations import optimizer_values

try:
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    raise ImportError("sturgeon.integrations.torch needs PyTorch: pip install 'sturgeon[torch]'") from None

__all__ = ["TrialLoop", "lr_range_test", "set_param_groups"]

# trial parameter name -> optimizer param_group key, applied at the start of every epoch
OPTIMIZER_KEYS = {"lr": "lr", "momentum": "momentum", "weight_decay": "weight_decay"}


def set_param_groups(optimizer: torch.optim.Optimizer, values: Mapping[str, Any]) -> None:
    """Set ``values`` (key -> value) in every param group of ``optimizer`` that has the key."""
    for group in optimizer.param_groups:
        for key, value in values.items():
            if key in group:
                group[key] = value


class TrialLoop:
    """Connect a plain PyTorch training loop to its trial:

        loop = TrialLoop(trial, model, optimizer)
        for epoch in loop.epochs(100):      # resumes from the checkpoint when the trial does
            train_one_epoch(model, optimizer)
            loop.report(validation_loss())  # checkpoint, report, then prune / pause / rewind

    At the start of every epoch the optimizer's ``lr``, ``momentum`` and ``weight_decay``
    follow ``trial.live_params`` (for the names the trial has; ``keys`` maps other names, e.g.
    ``{"learning_rate": "lr"}``), so changes made from outside (``sturgeon set``, PBT) apply
    at the next epoch. Checkpoints hold the model's and the optimizer's state dicts (and
    ``extra``'s, if given), loaded with ``weights_only=True``.
    """

    def __init__(
        self,
        trial: Any,
        model: torch.nn.Module,
        optimizer: torch.optim.Optimizer,
        *,
        keys: Mapping[str, str] | None = None,
        extra: Any = None,
    ) -> None:
        self.trial = trial
        self.model = model
        self.optimizer = optimizer
        self.keys = dict(OPTIMIZER_KEYS if keys is None else keys)
        self.extra = extra  # e.g. a learning-rate scheduler: anything with state_dict / load_state_dict
        self.epoch: int | None = None

    def _restore(self) -> int:
        if self.trial.resumed_step is None:
            return 0
        folder = self.trial.latest_checkpoint()
        self.model.load_state_dict(torch.load(folder / "model.pt", weights_only=True))
        self.optimizer.load_state_dict(torch.load(folder / "optimizer.pt", weights_only=True))
        if self.extra is not None:
            self.extra.load_state_dict(torch.load(folder / "extra.pt", weights_only=True))
        return int(self.trial.resumed_step) + 1

    def apply_live_params(self) -> None:
        """Set the optimizer's hyperparameters to the values in force now."""
        set_param_groups(self.optimizer, optimizer_values(self.trial, self.keys))

    def epochs(self, n: int) -> Iterator[int]:
        """The epochs still to train of ``n`` (from the resumed checkpoint's next one)."""
        self.trial._final_step = n - 1  # no pause for the resource budget after the last epoch
        for epoch in range(self._restore(), n):
            self.epoch = epoch
            self.apply_live_params()
            yield epoch

    def report(self, value: float) -> None:
        """Save the checkpoint of this epoch, report ``value`` and raise ``TrialPruned`` when
        the trial is to stop (pruned, paused, rewound or exploited)."""
        import sturgeon as sg

        if self.epoch is None:
            raise sg.TrialStateError("TrialLoop.report: call it inside 'for epoch in loop.epochs(n)'")
        with self.trial.checkpoint(self.epoch) as folder:
            torch.save(self.model.state_dict(), folder / "model.pt")
            torch.save(self.optimizer.state_dict(), folder / "optimizer.pt")
            if self.extra is not None:
                torch.save(self.extra.state_dict(), folder / "extra.pt")
        self.trial.report(value, self.epoch)
        if self.trial.should_prune():
            raise sg.TrialPruned()


def lr_range_test(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[Any, Any], torch.Tensor],
    loader: Iterable[Any],
    **options: Any,
) -> LRRangeResult:
    """The range test (``sturgeon.lr_range_test``) on ``model``: one mini-batch of ``loader``
    (``(inputs, targets)``, cycled) per step, trained by ``optimizer`` at the step's rate.
    The model's weights, its train / eval mode and the optimizer's state (rates included) are
    the same afterwards as before. ``options``: min_lr, max_lr, num_steps, smoothing, divergence."""
    model_state = copy.deepcopy(model.state_dict())
    opt_state = copy.deepcopy(optimizer.state_dict())
    was_training = model.training
    batches = itertools.cycle(loader)

    def step(lr: float) -> float:
        for group in optimizer.param_groups:
            group["lr"] = lr
        inputs, targets = next(batches)
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        return float(loss.detach())

    try:
        model.train()
        return _range_test(step, **options)
    finally:
        model.load_state_dict(model_state)
        optimizer.load_state_dict(opt_state)
        model.train(was_training)
