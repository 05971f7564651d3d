"""The plots of ``sturgeon.visualization`` drawn with matplotlib, for PNG files
(``pip install 'sturgeon[plots]'``). Each returns the matplotlib ``Axes`` (an array of
them for a grid of panels); save with ``ax.figure.savefig("plot.png")``.
"""

from __future__ import annotations

from sturgeon.visualization.matplotlib._plots import (
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
