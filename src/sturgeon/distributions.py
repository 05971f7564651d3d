"""Optuna's distribution names for sturgeon's spaces: ``FloatDistribution`` is ``Float``,
``IntDistribution`` is ``Int``, ``CategoricalDistribution`` is ``Categorical`` (the same
classes, so ``isinstance`` and ``==`` work across both spellings). ``log`` and ``step`` are
keyword arguments, as in sturgeon. The older names (``UniformDistribution`` ...) make the
matching ``Float`` / ``Int``."""

from __future__ import annotations

import json
from typing import Any

from sturgeon.space import Categorical, Distribution, Float, Int, distribution_from_json

__all__ = [
    "BaseDistribution",
    "CategoricalDistribution",
    "DiscreteUniformDistribution",
    "FloatDistribution",
    "IntDistribution",
    "IntLogUniformDistribution",
    "IntUniformDistribution",
    "LogUniformDistribution",
    "UniformDistribution",
    "distribution_to_json",
    "json_to_distribution",
]

BaseDistribution = Distribution
FloatDistribution = Float
IntDistribution = Int
CategoricalDistribution = Categorical


def UniformDistribution(low: float, high: float) -> Float:  # noqa: N802 - Optuna's class name
    """``Float(low, high)``."""
    return Float(low, high)


def LogUniformDistribution(low: float, high: float) -> Float:  # noqa: N802
    """``Float(low, high, log=True)``."""
    return Float(low, high, log=True)


def DiscreteUniformDistribution(low: float, high: float, q: float) -> Float:  # noqa: N802
    """``Float(low, high, step=q)``."""
    return Float(low, high, step=q)


def IntUniformDistribution(low: int, high: int, step: int = 1) -> Int:  # noqa: N802
    """``Int(low, high, step=step)``."""
    return Int(low, high, step=step)


def IntLogUniformDistribution(low: int, high: int, step: int = 1) -> Int:  # noqa: N802
    """``Int(low, high, log=True)`` (``step`` must be 1)."""
    return Int(low, high, log=True, step=step)


def distribution_to_json(dist: Distribution) -> str:
    """The distribution as JSON text (sturgeon's form, which is not Optuna's)."""
    return json.dumps(dist.to_json())


def json_to_distribution(text: str) -> Distribution:
    """The distribution written by ``distribution_to_json``."""
    data: Any = json.loads(text)
    return distribution_from_json(data)
