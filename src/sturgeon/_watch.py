"""``sturgeon watch``: live learning curves in the terminal, drawn with plotext.

The study is loaded once; each refresh reads only the events appended since the last one
(``StudyView.sync``). Live changes are marked with a vertical line at the step they came in
force, and reports a rewind superseded are drawn as their own series.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sturgeon._frozen import FrozenTrial, TrialState

__all__ = ["render", "watch"]

MAX_CURVES = 8


def _plotext() -> Any:
    try:
        import plotext
    except ImportError:  # pragma: no cover - the extra is installed in the test run
        raise ImportError("sturgeon watch needs plotext: pip install 'sturgeon[watch]'") from None
    return plotext


def _series(t: FrozenTrial) -> tuple[list[int], list[float]]:
    steps = sorted(s for s, v in t.intermediate_values.items() if v == v)  # NaN (diverged) left out
    return steps, [t.intermediate_values[s] for s in steps]


def _picked(trials: list[FrozenTrial], direction: str, number: int | None) -> list[FrozenTrial]:
    if number is not None:
        return [trials[number]]
    live = [t for t in trials if t.state in (TrialState.RUNNING, TrialState.PAUSED) and t.intermediate_values]
    done = [t for t in trials if t.state is TrialState.COMPLETE and t.value is not None]
    sign = -1.0 if direction == "maximize" else 1.0
    best = sorted(done, key=lambda t: sign * (t.value or 0.0))[:1]
    return (best + live[-(MAX_CURVES - len(best)) :]) if live or best else []


def render(
    trials: list[FrozenTrial], direction: str, name: str, number: int | None, *, width: int = 100, height: int = 25
) -> str:
    """The plot (as text) of one trial's curve, or of the running / paused trials and the best."""
    plt = _plotext()
    plt.clear_figure()
    plt.plotsize(width, height)
    plt.theme("clear")
    shown = _picked(trials, direction, number)
    for t in shown:
        steps, values = _series(t)
        if steps:
            plt.plot(steps, values, label=f"#{t.number} {t.state.value.lower()}")
        if number is not None and t.superseded_values:
            old = sorted((s, v) for s, v in t.superseded_values if v == v)
            if old:
                plt.scatter([s for s, _ in old], [v for _, v in old], label="superseded (before a rewind)")
        for change in t.live_changes:
            if not change.superseded:
                plt.vline(change.step)
    if number is not None and shown:
        t = shown[0]
        live = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in t.live_params.items())
        plt.title(f"{name} #{t.number} {t.state.value} | {live} | {len(t.live_changes)} change(s)")
    else:
        plt.title(f"{name}: {len(shown)} curve(s) ({direction}); vertical lines: live changes")
    plt.xlabel("step")
    if not shown:
        return f"{name}: no trial has reported yet"
    return str(plt.build())


def watch(
    study: Any,
    number: int | None,
    *,
    interval: float,
    once: bool,
    echo: Callable[[str], None],
    size: tuple[int, int] = (100, 25),
) -> None:
    """Redraw every ``interval`` seconds until Ctrl-C (or once)."""
    plt = _plotext()
    try:
        while True:
            trials = study._synced_trials()
            if number is not None and number >= len(trials):
                raise ValueError(f"study {study.name!r} has no trial {number} (it has {len(trials)})")
            text = render(trials, study.direction, study.name, number, width=size[0], height=size[1])
            if not once:
                plt.clear_terminal()
            echo(text)
            if once:
                return
            time.sleep(interval)
    except KeyboardInterrupt:
        echo("\nStopped watching.")
