"""``sturgeon report``: one self-contained HTML file about a study (plots, tables, the best trial,
warnings) that opens offline in any browser and can be mailed. The plotly script is inside the
file once; every name and value a user chose is escaped."""

from __future__ import annotations

import datetime as _dt
import html
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sturgeon._frozen import TrialState

if TYPE_CHECKING:
    from sturgeon.study import Study

SECTIONS = ("summary", "best", "history", "curves", "importance", "parallel", "slices", "timeline", "ranges", "trials")
_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;color:#1d2329;max-width:1200px;margin:0 auto;padding:16px}
h1{font-size:22px;word-break:break-all}h2{font-size:16px;margin-top:28px;border-bottom:1px solid #dde2e6}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #dde2e6;padding:3px 8px;text-align:left;
vertical-align:top;white-space:pre-wrap;word-break:break-word}th{background:#eef1f3}
.warn{background:#fff7e0;border:1px solid #f0d58a;padding:6px 10px;margin:4px 0}.muted{color:#6b7680}
"""


def _e(v: Any) -> str:
    if isinstance(v, float):
        return html.escape(f"{v:.6g}" if math.isfinite(v) else str(v))
    if isinstance(v, (dict, list, tuple)):
        return html.escape(json.dumps(v, default=str))
    return html.escape("" if v is None else str(v))


def _table(headers: list[str], rows: list[list[Any]], table_id: str) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def build_report(study: Study, *, top: int = 50) -> str:
    """The report's HTML text."""
    import plotly.io as pio

    from sturgeon import visualization as vis
    from sturgeon.analysis import edge_warnings, narrowed_space

    trials = study.trials
    done = [t for t in trials if t.state is TrialState.COMPLETE and t.value is not None and not t.excluded]
    states: dict[str, int] = {}
    for t in trials:
        states[t.state.value] = states.get(t.state.value, 0) + 1
    parts: list[str] = []
    first_plot = [True]

    def section(key: str, title: str, body: str) -> None:
        parts.append(f'<section id="{key}"><h2>{_e(title)}</h2>{body}</section>')

    def figure(make: Any, div_id: str) -> str:
        try:
            fig = make()
        except Exception as e:  # a plot that cannot be drawn says why, the rest goes on
            return f'<p class="muted">not drawn: {_e(e)}</p>'
        out = pio.to_html(fig, include_plotlyjs=first_plot[0], full_html=False, div_id=div_id)
        first_plot[0] = False
        return out

    when = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    counts = ", ".join(f"{k.lower()} {v}" for k, v in sorted(states.items()))
    section(
        "summary",
        "Summary",
        _table(
            ["study", "direction", "trials", "by state", "written"],
            [[study.name, study.direction, len(trials), counts, when]],
            "summary-table",
        ),
    )
    if done:
        best = study.best_trial
        rows: list[list[Any]] = [["value", best.value], ["trial", best.number]]
        rows += [[f"param {k}", v] for k, v in best.params.items()]
        rows += [[f"user attr {k}", v] for k, v in best.user_attrs.items()]
        section("best", "Best trial", _table(["", ""], rows, "best-table"))
    else:
        section("best", "Best trial", '<p class="muted">no completed trial yet</p>')
    section("history", "Optimization history", figure(lambda: vis.plot_optimization_history(study), "plot-history"))
    if any(t.intermediate_values for t in trials):
        section("curves", "Learning curves", figure(lambda: vis.plot_intermediate_values(study), "plot-curves"))
    else:
        section("curves", "Learning curves", '<p class="muted">no trial reported intermediate values</p>')
    section("importance", "Parameter importance", figure(lambda: vis.plot_param_importances(study), "plot-importance"))
    section("parallel", "Parallel coordinates", figure(lambda: vis.plot_parallel_coordinate(study), "plot-parallel"))
    section("slices", "Slices", figure(lambda: vis.plot_slice(study), "plot-slices"))
    section("timeline", "Timeline", figure(lambda: vis.plot_timeline(study), "plot-timeline"))
    ranked = [t for t in trials if t.state is not TrialState.WAITING]
    warnings: list[str] = []
    ranges: dict[str, Any] = {}
    if len(done) >= 3:
        try:
            warnings = edge_warnings(ranked, study.direction)
            ranges = narrowed_space(ranked, study.direction)
        except Exception as e:  # e.g. no common space: said, not fatal
            warnings = [str(e)]
    body = "".join(f'<div class="warn">{_e(w)}</div>' for w in warnings) or '<p class="muted">no range warnings</p>'
    if ranges:
        body += _table(
            ["parameter", "narrowed range (best 20 %)"], [[k, repr(d)] for k, d in ranges.items()], "ranges-table"
        )
    section("ranges", "Ranges", body)
    names = sorted({k for t in trials for k in t.params})
    sign = 1.0 if study.direction == "minimize" else -1.0
    shown = sorted(done, key=lambda t: sign * float(t.value or 0.0))[:top]
    section(
        "trials",
        f"Best {len(shown)} completed trials",
        _table(
            ["trial", "value", *names],
            [[t.number, t.value, *[t.params.get(n, "") for n in names]] for t in shown],
            "trials-table",
        ),
    )
    title = _e(f"sturgeon report: {study.name}")
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{title}</h1>{''.join(parts)}</body></html>"
    )


def write_report(study: Study, path: str | Path, *, top: int = 50) -> Path:
    """Write the report of ``study`` to ``path`` (an .html file) and return the path."""
    from sturgeon.visualization._data import need

    need("plotly", "plots")
    out = Path(path)
    out.write_text(build_report(study, top=top), encoding="utf-8")
    return out
