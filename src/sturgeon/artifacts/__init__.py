"""Checkpoint storage: the study's one artifact store, a thin layer over fsspec."""

from __future__ import annotations

from sturgeon.artifacts._store import ArtifactStore, default_artifacts_url, human_bytes

__all__ = ["ArtifactStore", "default_artifacts_url", "human_bytes"]
