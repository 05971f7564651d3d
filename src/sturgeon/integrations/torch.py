"""PyTorch helpers (needs the ``torch`` extra): the learning-rate range test on a model, with
its weights and optimizer state restored afterwards."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterable
from typing import Any

from sturgeon._lr_range import LRRangeResult
from sturgeon._lr_range import lr_range_test as _range_test

try:
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    raise ImportError("sturgeon.integrations.torch needs PyTorch: pip install 'sturgeon[torch]'") from None

__all__ = ["lr_range_test"]


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
