"""The code base stays lint-clean, typed, and exports exactly its public API."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sturgeon as sg

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> list[str]:
    exe = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if exe is None:
        pytest.fail(f"{name} is not installed; install the test extra: pip install -e '.[test]'")
    return [exe]


def test_ruff_lint_and_format():
    for args in (["check", "src", "tests", "benchmarks"], ["format", "--check", "src", "tests", "benchmarks"]):
        res = subprocess.run([*_tool("ruff"), *args], cwd=ROOT, capture_output=True, text=True)
        assert res.returncode == 0, res.stdout + res.stderr


def test_mypy_on_the_package():
    res = subprocess.run([*_tool("mypy")], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_public_api_is_exported():
    for name in sg.__all__:
        assert hasattr(sg, name), name
    public = {n for n in dir(sg) if not n.startswith("_")}
    modules = {
        "space",
        "study",
        "trial",
        "pruners",
        "samplers",
        "storage",
        "cli",
        "artifacts",
        "integrations",
        "importance",
        "visualization",
    }
    assert public - modules - {"annotations"} <= set(sg.__all__)
