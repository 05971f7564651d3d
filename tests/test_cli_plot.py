"""``sturgeon plot``, run as a real subprocess on a real SQLite study."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests._plot_study import make_plot_study

pytest.importorskip("plotly")
pytest.importorskip("matplotlib")


def _sturgeon(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "sturgeon", *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=240)


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("cli-plot") / "plots.db"
    make_plot_study(f"sqlite:///{path}").storage.close()
    return f"sqlite:///{path}"


def test_plot_writes_a_self_contained_html_file(url: str, tmp_path: Path):
    out = tmp_path / "importance.html"
    res = _sturgeon("plot", "plots", "importance", "-o", str(out), "--storage", url, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert f"Wrote the importance plot of 'plots' to {out}" in res.stdout
    html = out.read_text(encoding="utf-8")
    assert "Hyperparameter Importances (fANOVA)" in html
    assert '<script src="http' not in html and len(html) > 1_000_000  # plotly.js is inside: opens offline


def test_plot_writes_png_files_by_extension(url: str, tmp_path: Path):
    for kind in ("history", "intermediate", "contour"):
        out = tmp_path / f"{kind}.png"
        res = _sturgeon("plot", "plots", kind, "-o", str(out), "--storage", url, cwd=tmp_path)
        assert res.returncode == 0, res.stderr
        assert out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_plot_errors_are_one_line(url: str, tmp_path: Path):
    res = _sturgeon("plot", "plots", "history", "-o", str(tmp_path / "h.pdf"), "--storage", url, cwd=tmp_path)
    assert res.returncode == 1 and "must end in .html (plotly) or .png (matplotlib), got 'h.pdf'" in res.stderr
    assert "Traceback" not in res.stderr and not (tmp_path / "h.pdf").exists()
    res = _sturgeon("plot", "nope", "history", "-o", str(tmp_path / "h.png"), "--storage", url, cwd=tmp_path)
    assert res.returncode == 1 and "nope" in res.stderr and "Traceback" not in res.stderr
    res = _sturgeon("plot", "plots", "pie", "-o", str(tmp_path / "h.png"), "--storage", url, cwd=tmp_path)
    assert res.returncode == 2 and "'pie' is not one of" in res.stderr


def test_the_command_offers_every_kind_write_plot_draws():
    from sturgeon.cli import main
    from sturgeon.visualization._write import KINDS

    (kind,) = [p for p in main.commands["plot"].params if p.name == "kind"]
    assert list(kind.type.choices) == list(KINDS)
