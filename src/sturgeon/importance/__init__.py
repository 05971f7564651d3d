"""Parameter importance: which parameters explain a study's objective values.

    from sturgeon.importance import get_param_importances, PedAnovaImportanceEvaluator
    get_param_importances(study)                                   # fANOVA, normalized
    get_param_importances(study, evaluator=PedAnovaImportanceEvaluator(target_quantile=0.1))

Both evaluators read the study's COMPLETE trials over the parameters they all hold. fANOVA
needs scikit-learn (``pip install 'sturgeon[importance]'``), imported when it runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sturgeon._exceptions import InvalidValueError
from sturgeon.importance._base import BaseImportanceEvaluator, ImportanceData, Target, importance_data, normalized
from sturgeon.importance._fanova import FanovaImportanceEvaluator
from sturgeon.importance._ped_anova import PedAnovaImportanceEvaluator

if TYPE_CHECKING:
    from sturgeon.study import Study

__all__ = [
    "BaseImportanceEvaluator",
    "FanovaImportanceEvaluator",
    "ImportanceData",
    "PedAnovaImportanceEvaluator",
    "get_param_importances",
    "importance_data",
]


def get_param_importances(
    study: Study,
    *,
    evaluator: BaseImportanceEvaluator | None = None,
    params: Sequence[str] | None = None,
    target: Target | None = None,
    normalize: bool = True,
) -> dict[str, float]:
    """Each parameter's importance, most important first.

    ``evaluator``: ``FanovaImportanceEvaluator()`` (the default) or
    ``PedAnovaImportanceEvaluator()``; ``params``: the parameters to score (default: every
    parameter all COMPLETE trials hold, with one distribution); ``target``: a function of a
    ``FrozenTrial`` scored instead of its value (ranked in the study's direction); ``normalize``:
    scale the scores to sum to 1.

    Raises ``NoCompletedTrialsError`` for a study without COMPLETE trials and
    ``InvalidValueError`` for too few of them or a parameter name they do not hold.
    """
    if evaluator is None:
        evaluator = FanovaImportanceEvaluator()
    if not isinstance(evaluator, BaseImportanceEvaluator):
        raise InvalidValueError(
            f"evaluator must be an importance evaluator (FanovaImportanceEvaluator, PedAnovaImportanceEvaluator), "
            f"got {evaluator!r}"
        )
    scores = evaluator.evaluate(study, params, target=target)
    return normalized(scores) if normalize else scores
