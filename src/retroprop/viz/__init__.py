"""Pictures: learning curves."""

from retroprop.viz.curves import plot_history

__all__ = ["plot_history"]
