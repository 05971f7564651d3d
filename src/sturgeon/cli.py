"""The ``sturgeon`` command: run the demo; list, show, export and delete studies; change,
pause, resume, stop and rewind a running trial from any terminal that reaches the storage."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

import sturgeon as sg
from sturgeon._demo import DEFAULT_STORAGE, run_demo
from sturgeon._export import trials_csv, trials_json
from sturgeon.storage import BaseStorage, get_storage

__all__ = ["main"]


class _Group(click.Group):
    """Turns sturgeon errors into ``Error: ...`` and exit code 1, without a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except sg.SturgeonError as e:
            raise click.ClickException(str(e)) from None


def _storage_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--storage", default=DEFAULT_STORAGE, show_default=True, help="Database URL of the studies.")(f)


@contextmanager
def _existing(storage: str, *, read_only: bool = False) -> Iterator[BaseStorage]:
    """Open a storage that must exist already: no file, no database and no schema is ever
    created here; the commands that only read (studies, show, export, watch) open it
    ``read_only``, so they never write to it at all."""
    try:
        backend = get_storage(storage, create=False, read_only=read_only)
    except sg.StorageError as e:
        if not str(e).startswith("no sturgeon database"):
            raise
        raise click.ClickException(
            f"{e}; create one with 'sturgeon demo' or point --storage at an existing database"
        ) from None
    try:
        yield backend
    finally:
        backend.close()


def _cell(value: Any) -> str:
    """One table cell on one line: a newline, tab or other control character in a value is
    shown escaped (``\\n``), lists and dicts as JSON."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, dict)):
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = str(value)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _param(params: Mapping[str, Any], name: str) -> Any:
    """A parameter for a table cell: a None choice shows as ``None``, a missing one as ``-``."""
    return "None" if name in params and params[name] is None else params.get(name)


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain text table; numeric columns are right-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    numeric = [
        all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in (r[i] for r in rows))
        for i in range(len(headers))
    ]
    headers = [_cell(h) for h in headers]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        parts = (v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True))
        return "  ".join(parts).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(c) for c in cells)])


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"sturgeon, version {sg.__version__}")
        ctx.exit()


@click.group(cls=_Group)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and exit.",
)
def main() -> None:
    """sturgeon: hyperparameter optimization with persistent, shareable studies."""


@main.command()
@_storage_option
@click.option("--study", "study_name", default="demo", show_default=True, help="Study name (continued if it exists).")
@click.option("--n-trials", default=40, show_default=True, type=click.IntRange(min=1), help="Trials to run.")
@click.option(
    "--timeout",
    default=90.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Start no trial after this many seconds.",
)
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0), help="Seed of the split and sampler.")
@click.option("--n-jobs", default=1, show_default=True, type=int, help="Trials run at once (-1: one per CPU).")
def demo(storage: str, study_name: str, n_trials: int, timeout: float, seed: int, n_jobs: int) -> None:
    """Tune an MLP classifier on the digits data (scikit-learn)."""
    try:
        run_demo(
            storage=storage,
            study_name=study_name,
            n_trials=n_trials,
            timeout=timeout,
            seed=seed,
            n_jobs=n_jobs,
            echo=click.echo,
        )
    except ImportError as e:
        raise click.ClickException(str(e)) from None


@main.command()
@_storage_option
def studies(storage: str) -> None:
    """List the studies in the storage."""
    with _existing(storage, read_only=True) as backend:
        summaries = sg.list_studies(backend)
    if not summaries:
        click.echo(f"No studies in {storage}.")
        return
    rows = [[s.name, s.direction, s.n_trials, s.n_complete, s.best_value] for s in summaries]
    click.echo(_table(["name", "direction", "trials", "complete", "best value"], rows))


@main.command()
@click.argument("name")
@click.argument("trial", required=False, type=click.IntRange(min=0))
@_storage_option
@click.option("--top", default=10, show_default=True, type=click.IntRange(min=1), help="Complete trials to list.")
def show(name: str, trial: int | None, storage: str, top: int) -> None:
    """Show a study's best trial and its top complete trials, or one TRIAL in full (its
    reports, checkpoints and every live change)."""
    with _existing(storage, read_only=True) as backend:
        study = sg.load_study(name, storage=backend)
        trials = study.trials
    if trial is not None:
        if trial >= len(trials):
            raise click.ClickException(f"study {name!r} has no trial {trial} (it has {len(trials)})")
        _show_trial(trials[trial], ", ".join(study.directions))
        return
    counts = Counter(t.state for t in trials)
    summary = ", ".join(f"{counts[s]} {s.value.lower()}" for s in sg.TrialState if counts[s])
    directions = ", ".join(study.directions)
    click.echo(f"Study {name!r} ({directions}) in {storage}: {len(trials)} trials ({summary or 'none'})")
    total = sum(t.resource for t in trials)
    if total:
        click.echo(f"Resource: {total} steps trained in all, {total / len(trials):.1f} per trial")
    if study.is_multi_objective:
        _show_front(study, top)
        return
    complete = [t for t in trials if t.state is sg.TrialState.COMPLETE and t.value is not None]
    if not complete:
        click.echo("No complete trial yet.")
        return
    sign = -1.0 if study.direction == "maximize" else 1.0
    complete.sort(key=lambda t: (sign * (t.value or 0.0), t.number))
    best = complete[0]
    click.echo(f"\nBest trial: #{best.number}, value {_cell(best.value)}")
    for k in best.params:
        click.echo(f"  {_cell(k)} = {_cell(_param(best.params, k))}")
    shown = complete[:top]
    params = list(dict.fromkeys(p for t in shown for p in t.params))
    rows = [
        [
            t.number,
            t.value,
            t.duration.total_seconds() if t.duration else None,
            t.resource,
            *([t.best_step] if any(s.best_step is not None for s in shown) else []),
            *(_param(t.params, p) for p in params),
        ]
        for t in shown
    ]
    best_col = ["best step"] if any(s.best_step is not None for s in shown) else []
    click.echo(f"\nTop {len(shown)} complete trials ({study.direction}, best first):")
    click.echo(_table(["#", "value", "seconds", "steps", *best_col, *params], rows))


@main.command()
@click.argument("name")
@_storage_option
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout)."
)
def export(name: str, storage: str, fmt: str, output: Path | None) -> None:
    """Export every trial of a study as CSV or JSON. CSV: a header always; an empty cell is a
    missing value; other cells are JSON where they read as JSON (numbers, true / false, null for
    None, lists, dicts), else plain text."""
    with _existing(storage, read_only=True) as backend:
        trials = sg.load_study(name, storage=backend).trials
    text = trials_json(trials) if fmt == "json" else trials_csv(trials)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {len(trials)} trials to {output}", err=True)


@main.command()
@click.argument("name")
@_storage_option
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def delete(name: str, storage: str, yes: bool) -> None:
    """Delete a study and all its trials."""
    with _existing(storage) as backend:
        n_trials = len(sg.load_study(name, storage=backend).trials)
        if not yes:
            click.confirm(f"Delete study {name!r} and its {n_trials} trials from {storage}?", abort=True)
        sg.delete_study(name, storage=backend)
    click.echo(f"Deleted study {name!r} ({n_trials} trials).")


def _show_front(study: sg.Study, top: int) -> None:
    """A multi-objective study's Pareto front (its first ``top`` trials) and hypervolume."""
    front = study.best_trials
    if not front:
        click.echo("No feasible complete trial yet.")
        return
    hv, ref = study.hypervolume()
    click.echo(f"\nPareto front: {len(front)} trials; hypervolume {_cell(hv)} (reference point {_cell(ref)})")
    shown = sorted(front, key=lambda t: tuple(t.values or ()))[:top]
    params = list(dict.fromkeys(p for t in shown for p in t.params))
    rows = [[t.number, *(t.values or []), *(_param(t.params, p) for p in params)] for t in shown]
    heads = [f"{d} {i}" for i, d in enumerate(study.directions)]
    click.echo(f"Front trials, by the first objective{f' (first {top})' if len(front) > top else ''}:")
    click.echo(_table(["#", *heads, *params], rows))


def _show_trial(t: sg.FrozenTrial, direction: str) -> None:
    line = f"Trial #{t.number}: {t.state.value}"
    if t.objective_values is not None:
        line += f", values {_cell(list(t.objective_values))} ({direction})"
    elif t.value is not None:
        line += f", value {_cell(t.value)} ({direction})"
    if t.constraints is not None:
        line += f", constraints {_cell(list(t.constraints))} ({'feasible' if t.feasible else 'infeasible'})"
    if t.state is sg.TrialState.PAUSED:
        line += f", paused ({t.pause_reason}) at step {t.pause_info.get('step')}"
    click.echo(line)
    click.echo(f"Steps trained: {t.resource}; reports: {len(t.intermediate_values)}; last step: {_cell(t.last_step)}")
    if t.best_step is not None:
        click.echo(f"Best step: {t.best_step} (value {_cell(t.system_attrs.get('best_step_value'))})")
    if t.fail_reason:
        click.echo(f"Fail reason: {t.fail_reason}")
    live = t.live_params
    click.echo("\nParameters (start -> now):")
    for k in dict.fromkeys([*t.params, *live]):
        start, now = t.params.get(k), live.get(k)
        click.echo(f"  {k} = {_cell(start)}" + ("" if start == now else f" -> {_cell(now)}"))
    if t.live_changes:
        click.echo("\nLive changes (in force from step; superseded ones come from before a rewind):")
        rows = [
            [
                c.time.strftime("%Y-%m-%d %H:%M:%S") if c.time else None,
                c.step,
                c.action + (" (superseded)" if c.superseded else ""),
                ", ".join(f"{k}: {_cell(c.old.get(k))} -> {_cell(v)}" for k, v in c.params.items()) or "-",
                None if c.source is None else f"#{c.source[0]} step {c.source[1]}",
                c.reason,
            ]
            for c in t.live_changes
        ]
        click.echo(_table(["time (UTC)", "step", "action", "values", "from checkpoint", "reason"], rows))
    if t.pending_requests:
        click.echo("\nWaiting for its next report:")
        for r in t.pending_requests:
            what = r.get("action", "?")
            if r.get("params"):
                what += " " + ", ".join(f"{k}={_cell(v)}" for k, v in r["params"].items())
            if r.get("to_step") is not None:
                what += f" to step {r['to_step']}"
            click.echo(f"  {what}" + (f" ({r['reason']})" if r.get("reason") else ""))
    if t.checkpoints:
        click.echo(f"\nCheckpoints at steps: {', '.join(str(s) for s in sorted(t.checkpoints))}")
    if t.intermediate_values:
        steps = sorted(t.intermediate_values)
        shown = steps if len(steps) <= 12 else steps[:4] + steps[-8:]
        click.echo("\nReports (step: value):")
        click.echo("  " + "  ".join(f"{s}: {_cell(t.intermediate_values[s])}" for s in shown))
    if t.superseded_values:
        click.echo(f"Superseded reports (from before a rewind): {len(t.superseded_values)}")


_reason = click.option("--reason", help="Why: recorded with the change and shown by 'sturgeon show'.")


def _value_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--storage, --reason, --allow-outside and --new: the options of the commands that set values."""
    f = click.option("--new", "allow_new", is_flag=True, help="Accept a name the trial did not suggest.")(f)
    f = click.option("--allow-outside", is_flag=True, help="Accept values outside the parameter's distribution.")(f)
    return _storage_option(_reason(f))


@main.command("set")
@click.argument("name")
@click.argument("trial", type=click.IntRange(min=0))
@click.argument("assignments", nargs=-1, required=True, metavar="NAME=VALUE...")
@_value_options
def set_(name: str, trial: int, assignments: tuple[str, ...], **options: Any) -> None:
    """Change hyperparameters of a running trial: it applies them at its next report."""
    from sturgeon._live import parse_assignments

    with _existing(options.pop("storage")) as backend:
        study = sg.load_study(name, storage=backend)
        values = parse_assignments(study._live_target(trial, "set"), assignments)
        study.set_live_params(trial, values, **options)
    shown = ", ".join(f"{k}={_cell(v)}" for k, v in values.items())
    click.echo(f"Trial #{trial} of {name!r}: {shown} asked for; it applies them at its next report.")


def _request_command(action: str, doc: str, done: str) -> None:
    """``sturgeon pause`` / ``sturgeon resume``: one request, no values."""

    def command(name: str, trial: int, storage: str, reason: str | None) -> None:
        with _existing(storage) as backend:
            getattr(sg.load_study(name, storage=backend), f"{action}_trial")(trial, reason=reason)
        click.echo(f"Trial #{trial} of {name!r}: {action} asked for; {done}.")

    command.__doc__ = doc
    main.command(action)(
        click.argument("name")(click.argument("trial", type=click.IntRange(min=0))(_storage_option(_reason(command))))
    )


_request_command(
    "pause", "Pause a running trial at its next report (at its latest checkpoint).", "it pauses at its next report"
)
_request_command(
    "resume",
    "Resume a paused trial: the next worker of the study that asks for a trial takes it.",
    "a worker of the study picks it up",
)


@main.command()
@click.argument("name")
@click.argument("trial", type=click.IntRange(min=0), required=False)
@_storage_option
@_reason
@click.option("--prune", is_flag=True, help="Finish it as PRUNED instead of COMPLETE with its best value.")
def stop(name: str, trial: int | None, storage: str, reason: str | None, prune: bool) -> None:
    """Finish a trial: COMPLETE with its best reported value (PRUNED with --prune). Without
    TRIAL, stop the study: every worker starts no new trial and finishes its running ones."""
    if trial is None:
        if prune:
            raise click.UsageError("--prune is for one trial: sturgeon stop STUDY TRIAL --prune")
        with _existing(storage) as backend:
            sg.load_study(name, storage=backend).stop(reason=reason)
        click.echo(f"Study {name!r}: stop asked for; its workers finish their running trials and start no new one.")
        return
    with _existing(storage) as backend:
        t = sg.load_study(name, storage=backend).stop_trial(trial, prune=prune, reason=reason)
    if t.state.is_finished:
        click.echo(f"Trial #{trial} of {name!r}: {t.state.value}" + (f", value {_cell(t.value)}." if t.value else "."))
    else:
        click.echo(f"Trial #{trial} of {name!r}: stop asked for; it finishes at its next report.")


@main.command()
@click.argument("name")
@click.argument("trial", type=click.IntRange(min=0))
@click.argument("assignments", nargs=-1, metavar="[NAME=VALUE...]")
@click.option("--to-step", required=True, type=click.IntRange(min=0), help="The checkpoint's step to go back to.")
@_value_options
def rewind(name: str, trial: int, assignments: tuple[str, ...], to_step: int, **options: Any) -> None:
    """Go back to the trial's checkpoint at --to-step (with new values, if given) and go on."""
    from sturgeon._live import parse_assignments

    with _existing(options.pop("storage")) as backend:
        study = sg.load_study(name, storage=backend)
        values = parse_assignments(study._live_target(trial, "rewind"), assignments) if assignments else None
        study.rewind_trial(trial, to_step, values, **options)
    extra = "" if not values else " with " + ", ".join(f"{k}={_cell(v)}" for k, v in values.items())
    click.echo(f"Trial #{trial} of {name!r}: rewind to step {to_step}{extra} asked for.")


@main.command()
@click.argument("name")
@click.argument("trial", type=click.IntRange(min=0))
@_storage_option
def replay(name: str, trial: int, storage: str) -> None:
    """Enqueue one run from scratch with TRIAL's whole schedule (e.g. a PBT winner's lineage):
    the study's next worker trains it, applying each value at the step it came in force."""
    with _existing(storage) as backend:
        study = sg.load_study(name, storage=backend)
        schedule = study.schedule(trial)
        number = study.replay(trial)
    click.echo(f"Enqueued trial #{number} of {name!r}: a replay of #{trial}'s schedule ({len(schedule)} stages):")
    for step, values in schedule:
        click.echo(f"  from step {step}: " + ", ".join(f"{k}={_cell(v)}" for k, v in values.items()))


@main.command()
@click.argument("name")
@click.argument("trial", required=False, type=click.IntRange(min=0))
@_storage_option
@click.option(
    "--interval", default=2.0, show_default=True, type=click.FloatRange(min=0.1), help="Seconds between redraws."
)
@click.option("--once", is_flag=True, help="Draw once and exit.")
@click.option("--width", default=100, show_default=True, type=click.IntRange(min=20))
@click.option("--height", default=25, show_default=True, type=click.IntRange(min=8))
def watch(name: str, trial: int | None, storage: str, interval: float, once: bool, width: int, height: int) -> None:
    """Draw live learning curves in the terminal (TRIAL's, or the running ones and the best),
    with live changes marked; Ctrl-C stops."""
    from sturgeon._watch import watch as run_watch

    try:
        with _existing(storage, read_only=True) as backend:
            study = sg.load_study(name, storage=backend)
            run_watch(study, trial, interval=interval, once=once, echo=click.echo, size=(width, height))
    except (ImportError, ValueError) as e:
        raise click.ClickException(str(e)) from None


@main.command()
@_storage_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (0.0.0.0: every interface).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option("--read-only", is_flag=True, help="Refuse every write from the page (and never write to the storage).")
@click.option("--token", default=None, help="The token writes must send (default: a new random one, printed).")
def dashboard(storage: str, host: str, port: int, read_only: bool, token: str | None) -> None:
    """A live web dashboard of the storage's studies (needs the 'dashboard' extra)."""
    try:
        from sturgeon.dashboard import serve
    except ImportError as e:
        raise click.ClickException(str(e)) from None
    with _existing(storage, read_only=read_only) as backend:
        serve(backend, host=host, port=port, token=token, read_only=read_only)


@main.command()
@click.argument("name")
@click.argument(
    "kind",
    type=click.Choice(
        ["history", "intermediate", "parallel", "slice", "contour", "importance", "timeline", "edf", "rank"]
    ),
)
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write: .html (plotly, opens offline) or .png (matplotlib).",
)
@_storage_option
def plot(name: str, kind: str, output: Path, storage: str) -> None:
    """Draw one plot of a study (needs the plots extra) into an HTML or PNG file."""
    from sturgeon.visualization._write import write_plot

    try:
        with _existing(storage) as backend:
            write_plot(sg.load_study(name, storage=backend), kind, output)
    except ImportError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"Wrote the {kind} plot of {name!r} to {output}")


@main.command()
@click.argument("name")
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The HTML file to write (self-contained: it opens offline and can be mailed).",
)
@click.option("--top", default=50, show_default=True, type=click.IntRange(min=1), help="Trials in the table.")
@_storage_option
def report(name: str, output: Path, top: int, storage: str) -> None:
    """Write one self-contained HTML report of a study: plots, tables, the best trial, warnings."""
    from sturgeon.visualization._report import write_report

    try:
        with _existing(storage, read_only=True) as backend:
            write_report(sg.load_study(name, storage=backend), output, top=top)
    except ImportError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"Wrote the report of {name!r} to {output}")


def _load_objective(spec: str) -> Callable[..., Any]:
    """``module:function`` (or ``path/to/file.py:function``), imported from the working folder."""
    import importlib
    import importlib.util
    import sys as _sys

    module_name, sep, func_name = spec.rpartition(":")
    if not sep or not module_name or not func_name:
        raise click.BadParameter(
            f"expected MODULE:FUNCTION (e.g. train:objective), got {spec!r}", param_hint="--objective"
        )
    if module_name.endswith(".py"):
        path = Path(module_name).resolve()
        if not path.is_file():
            raise click.BadParameter(f"no file {module_name!r}", param_hint="--objective")
        loaded = importlib.util.spec_from_file_location(path.stem, path)
        if loaded is None or loaded.loader is None:  # pragma: no cover - a .py file always has a loader
            raise click.BadParameter(f"cannot import {module_name!r}", param_hint="--objective")
        module = importlib.util.module_from_spec(loaded)
        _sys.modules[path.stem] = module
        loaded.loader.exec_module(module)
    else:
        if "" not in _sys.path and str(Path.cwd()) not in _sys.path:
            _sys.path.insert(0, str(Path.cwd()))
        try:
            module = importlib.import_module(module_name)
        except ImportError as e:
            raise click.BadParameter(f"cannot import {module_name!r}: {e}", param_hint="--objective") from None
    func = getattr(module, func_name, None)
    if not callable(func):
        raise click.BadParameter(f"{module_name!r} has no function {func_name!r}", param_hint="--objective")
    return func


@main.command()
@_storage_option
@click.option("--study", "study_name", required=True, help="The study to join (it must exist).")
@click.option("--objective", required=True, help="MODULE:FUNCTION or FILE.py:FUNCTION, the objective to run.")
@click.option(
    "--n-trials", type=click.IntRange(min=1), default=None, help="New trials to run (default: until stopped)."
)
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None, help="Seconds to run.")
@click.option("--n-jobs", type=click.IntRange(min=1), default=1, show_default=True, help="Trials at once (threads).")
@click.option(
    "--catch/--no-catch", default=True, show_default=True, help="An objective's exception fails that trial only."
)
def worker(
    storage: str, study_name: str, objective: str, n_trials: int | None, timeout: float | None, n_jobs: int, catch: bool
) -> None:
    """Join a study from any machine that reaches its storage and run trials until N trials,
    the timeout, a study-wide stop (sturgeon stop STUDY) or SIGTERM / Ctrl-C: the first asks
    the running trials to finish and starts no new one, a second stops at once."""
    import signal

    func = _load_objective(objective)
    with _existing(storage) as backend:
        study = sg.load_study(study_name, storage=backend)
        signals = {"n": 0}

        def on_signal(signum: int, _frame: Any) -> None:
            signals["n"] += 1
            if signals["n"] > 1:
                raise KeyboardInterrupt
            click.echo(f"{signal.Signals(signum).name}: finishing the running trials (again to stop at once)", err=True)
            study._stop_flag.set()

        old = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            before = len(study.trials)
            study.optimize(
                func,
                n_trials=n_trials,
                timeout=timeout,
                n_jobs=n_jobs,
                catch=(Exception,) if catch else (),
                show_progress_bar=False,
            )
        finally:
            for s, h in old.items():
                signal.signal(s, h)
        ran = [t for t in study.trials[before:] if t.worker and t.worker.split("/")[0].endswith(f":{os.getpid()}")]
        click.echo(f"worker {os.getpid()}: ran {len(ran)} trials of {study_name!r}")


@main.command("import-optuna")
@click.option(
    "--from",
    "source",
    required=True,
    help="Optuna storage: an RDB URL (sqlite:///optuna.db, postgresql://...) or a journal file "
    "(journal:PATH, file:PATH, or PATH.log).",
)
@click.option("--study", "study_names", multiple=True, help="An Optuna study to import (repeatable).")
@click.option("--all", "all_studies", is_flag=True, help="Import every study of the Optuna storage.")
@click.option(
    "--to",
    "target",
    default=DEFAULT_STORAGE,
    show_default=True,
    help="The sturgeon storage to import into (created if absent).",
)
def import_optuna(source: str, study_names: tuple[str, ...], all_studies: bool, target: str) -> None:
    """Import Optuna studies, so they go on with sturgeon's samplers. Each study keeps its
    name; running it again adds only the trials that are new. RUNNING trials arrive FAIL
    ("running when imported"); values sturgeon would refuse are kept and flagged in the trial's
    system attribute import_flags. Needs Optuna (pip install 'sturgeon[optuna]')."""
    import warnings

    if bool(study_names) == all_studies:
        raise click.UsageError("give --study NAME (one or more) or --all")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results = sg.import_optuna_study(source, None if all_studies else list(study_names), to_storage=target)
    except ImportError as e:
        raise click.ClickException(str(e)) from None
    for w in caught:
        click.echo(f"Warning: {w.message}", err=True)
    for r in results:
        flagged = f", {r.flagged} flagged (see their import_flags)" if r.flagged else ""
        click.echo(
            f"{r.name!r} ({', '.join(r.directions)}): {r.imported} trials imported, "
            f"{r.skipped} already there{flagged} -> {target}"
        )
    if not results:
        click.echo(f"No studies in {source}.")
