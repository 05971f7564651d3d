"""The ``sturgeon`` command: run the demo, list, show, export and delete studies."""

from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa

import sturgeon as sg
from sturgeon._demo import DEFAULT_STORAGE, run_demo
from sturgeon._export import trial_rows
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
def _existing(storage: str) -> Iterator[BaseStorage]:
    """Open a storage that must exist already: an SQLite file is never created here."""
    try:
        url = sa.make_url(storage)
    except sa.exc.ArgumentError:
        url = None  # get_storage reports it
    if url is not None and url.get_backend_name() == "sqlite":
        path = url.database
        if path and path != ":memory:" and not path.startswith("file:") and not os.path.exists(path):
            raise click.ClickException(
                f"no sturgeon database at {path!r} (--storage {storage}); create one with 'sturgeon demo' "
                "or point --storage at an existing database"
            )
    backend = get_storage(storage)
    try:
        yield backend
    finally:
        backend.close()


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain text table; numeric columns are right-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    numeric = [
        all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in (r[i] for r in rows))
        for i in range(len(headers))
    ]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        parts = (v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True))
        return "  ".join(parts).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(c) for c in cells)])


@click.group(cls=_Group)
@click.version_option(sg.__version__, prog_name="sturgeon")
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
    with _existing(storage) as backend:
        summaries = sg.list_studies(backend)
    if not summaries:
        click.echo(f"No studies in {storage}.")
        return
    rows = [[s.name, s.direction, s.n_trials, s.n_complete, s.best_value] for s in summaries]
    click.echo(_table(["name", "direction", "trials", "complete", "best value"], rows))


@main.command()
@click.argument("name")
@_storage_option
@click.option("--top", default=10, show_default=True, type=click.IntRange(min=1), help="Complete trials to list.")
def show(name: str, storage: str, top: int) -> None:
    """Show a study's best trial and its top complete trials."""
    with _existing(storage) as backend:
        study = sg.load_study(name, storage=backend)
        trials = study.trials
    counts = Counter(t.state for t in trials)
    summary = ", ".join(f"{counts[s]} {s.value.lower()}" for s in sg.TrialState if counts[s])
    click.echo(f"Study {name!r} ({study.direction}) in {storage}: {len(trials)} trials ({summary or 'none'})")
    total = sum(t.resource for t in trials)
    if total:
        click.echo(f"Resource: {total} steps trained in all, {total / len(trials):.1f} per trial")
    complete = [t for t in trials if t.state is sg.TrialState.COMPLETE and t.value is not None]
    if not complete:
        click.echo("No complete trial yet.")
        return
    sign = -1.0 if study.direction == "maximize" else 1.0
    complete.sort(key=lambda t: (sign * (t.value or 0.0), t.number))
    best = complete[0]
    click.echo(f"\nBest trial: #{best.number}, value {_cell(best.value)}")
    for k, v in best.params.items():
        click.echo(f"  {k} = {_cell(v)}")
    shown = complete[:top]
    params = list(dict.fromkeys(p for t in shown for p in t.params))
    rows = [
        [
            t.number,
            t.value,
            t.duration.total_seconds() if t.duration else None,
            t.resource,
            *(t.params.get(p) for p in params),
        ]
        for t in shown
    ]
    click.echo(f"\nTop {len(shown)} complete trials ({study.direction}, best first):")
    click.echo(_table(["#", "value", "seconds", "steps", *params], rows))


@main.command()
@click.argument("name")
@_storage_option
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout)."
)
def export(name: str, storage: str, fmt: str, output: Path | None) -> None:
    """Export every trial of a study as CSV or JSON."""
    with _existing(storage) as backend:
        rows = trial_rows(sg.load_study(name, storage=backend).trials)
    if fmt == "json":
        text = json.dumps(rows, indent=2) + "\n"
    else:
        buf = io.StringIO()
        if rows:
            writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        text = buf.getvalue()
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {len(rows)} trials to {output}", err=True)


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
