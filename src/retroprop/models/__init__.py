"""Ready-made models of the lectures."""

from retroprop.models.lenet import lenet5
from retroprop.models.mlp import mlp

__all__ = ["lenet5", "mlp"]
