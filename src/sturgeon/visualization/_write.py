"""``sturgeon plot``: one plot of a study written to a file, HTML (plotly, self-contained:
the plotly script is inside the file, so it opens offline) or PNG (matplotlib)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sturgeon._exceptions import InvalidValueError

if TYPE_CHECKING:
    from sturgeon.study import Study

KINDS = {
    "history": "plot_optimization_history",
    "intermediate": "plot_intermediate_values",
    "parallel": "plot_parallel_coordinate",
    "slice": "plot_slice",
    "contour": "plot_contour",
    "importance": "plot_param_importances",
    "timeline": "plot_timeline",
    "edf": "plot_edf",
    "rank": "plot_rank",
}
"""The kinds ``sturgeon plot`` draws (a Pareto front needs targets, so it is code-only)."""


def write_plot(study: Study, kind: str, path: Path) -> None:
    """Draw ``kind`` of ``study`` into ``path``: ``.html`` with plotly, ``.png`` with matplotlib."""
    if kind not in KINDS:
        raise InvalidValueError(f"kind must be one of {sorted(KINDS)}, got {kind!r}")
    suffix = path.suffix.lower()
    if suffix not in (".html", ".png"):
        raise InvalidValueError(f"the output file must end in .html (plotly) or .png (matplotlib), got {path.name!r}")
    if suffix == ".html":
        from sturgeon import visualization

        fig = getattr(visualization, KINDS[kind])(study)
        fig.write_html(str(path), include_plotlyjs=True, full_html=True)
    else:
        from sturgeon.visualization import matplotlib as mpl_plots

        ax = getattr(mpl_plots, KINDS[kind])(study)
        first = ax.flat[0] if hasattr(ax, "flat") else ax
        first.figure.savefig(str(path), dpi=100)
