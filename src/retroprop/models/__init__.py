"""Ready-made models of the lectures."""

from retroprop.models.mlp import mlp

__all__ = ["mlp"]
