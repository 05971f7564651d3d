"""Plots of a study, as plotly figures (``pip install 'sturgeon[plots]'``); the same plots as
matplotlib figures, for PNG files, in ``sturgeon.visualization.matplotlib``.

    from sturgeon.visualization import plot_optimization_history, plot_param_importances
    plot_optimization_history(study).write_html("history.html")

Names and arguments follow Optuna's. plotly is imported when a plot is drawn, not here.
"""

from __future__ import annotations

from sturgeon.visualization._plotly import (
    plot_contour,
    plot_edf,
    plot_intermediate_values,
    plot_optimization_history,
    plot_parallel_coordinate,
    plot_param_importances,
    plot_pareto_front,
    plot_rank,
    plot_slice,
    plot_timeline,
)

__all__ = [
    "plot_contour",
    "plot_edf",
    "plot_intermediate_values",
    "plot_optimization_history",
    "plot_parallel_coordinate",
    "plot_param_importances",
    "plot_pareto_front",
    "plot_rank",
    "plot_slice",
    "plot_timeline",
]
