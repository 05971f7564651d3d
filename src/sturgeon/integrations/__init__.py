"""Framework helpers, each an optional extra imported lazily: ``sturgeon.integrations.torch``."""
