"""Pictures: learning curves and computation graphs."""

from retroprop.viz.curves import plot_history
from retroprop.viz.graph import draw_graph

__all__ = ["draw_graph", "plot_history"]
