"""Reading a study: narrowed ranges and warnings (importance and plots to come)."""

from __future__ import annotations

from sturgeon.analysis._ranges import edge_warnings, narrowed_space, top_trials

__all__ = ["edge_warnings", "narrowed_space", "top_trials"]
