"""``draw_graph``: the computation graph behind a value, with every node's value and
gradient, to watch backpropagation happen (Tobón & Aguirre, "visualización de la propagación
hacia atrás")."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from retroprop._optional import pyplot
from retroprop.tensor.tensor import Tensor, _run_backward


def _summary(array: np.ndarray | None) -> str:
    if array is None:
        return "—"
    if array.size == 1:
        return f"{float(array.reshape(())):.4g}"
    return f"{array.shape} mean {array.mean():.3g}"


def _graph(root: Tensor) -> tuple[list[Tensor], list[tuple[int, int, str]], dict[int, int]]:
    """Nodes in breadth-first order from the root, edges (child, parent, op), depth."""
    nodes, edges, depth = [root], [], {id(root): 0}
    queue = [root]
    while queue:
        node = queue.pop(0)
        ctx = node._ctx
        if ctx is None:
            continue
        if ctx.released:
            raise RuntimeError("draw_graph: the graph was freed by backward(); draw it before "
                               "calling backward(), or call backward(retain_graph=True)")
        for parent in ctx.parents:
            if id(parent) not in depth:
                depth[id(parent)] = depth[id(node)] + 1
                nodes.append(parent)
                queue.append(parent)
            edges.append((id(node), id(parent), type(ctx).__name__))
    return nodes, edges, depth


def draw_graph(root: Tensor, path: str | os.PathLike[str],
               names: dict[str, Tensor] | None = None) -> dict[int, np.ndarray]:
    """Draw the graph that computed ``root`` into ``path`` (.svg or .png).

    Each box is a tensor, with its value and dL/d(tensor); each arrow is labelled with the
    operation that used the tensor. The gradients come from a backward pass run here that
    keeps the graph and leaves every ``.grad`` untouched, so ``root.backward()`` may follow
    (or precede, with ``retain_graph=True``) as if no drawing happened. ``names`` labels
    chosen tensors (``{"w": w, "x": x}``). Returns the gradients by ``id(tensor)``.

    Examples
    --------
    >>> import retroprop as rp, tempfile, os
    >>> w = rp.Tensor([2.0], requires_grad=True, dtype="float64")
    >>> loss = ((w * 3 - 1) ** 2).sum()
    >>> grads = rp.viz.draw_graph(loss, os.path.join(tempfile.mkdtemp(), "graph.svg"))
    >>> float(grads[id(w)][0])  # dL/dw = 2 (3w - 1) · 3
    30.0
    """
    if not isinstance(root, Tensor) or root.size != 1:
        raise ValueError("draw_graph: root must be a tensor with one element (a loss)")
    suffix = Path(path).suffix.lower()
    if suffix not in (".svg", ".png"):
        raise ValueError(f"draw_graph: path must end in .svg or .png, got {suffix!r}")
    nodes, edges, depth = _graph(root)
    gradients: dict[int, np.ndarray] = {}
    if root.requires_grad:
        _run_backward(root, np.ones_like(root.data), retain_graph=True, record=gradients,
                      into_leaves=False)
    labels = {id(t): name for name, t in (names or {}).items()}

    plt = pyplot()

    levels: dict[int, list[Tensor]] = {}
    for node in nodes:
        levels.setdefault(depth[id(node)], []).append(node)
    position = {}
    for level, members in levels.items():
        for k, node in enumerate(members):
            position[id(node)] = (k - (len(members) - 1) / 2, -level)
    width = max(len(m) for m in levels.values())
    figure, axis = plt.subplots(figsize=(3.2 * width + 1, 1.6 * len(levels) + 1))
    for child, parent, op in edges:
        (x0, y0), (x1, y1) = position[child], position[parent]
        axis.annotate("", xy=(x0, y0 - 0.22), xytext=(x1, y1 + 0.22),
                      arrowprops={"arrowstyle": "->", "color": "grey"})
        axis.text((x0 + x1) / 2, (y0 + y1) / 2, op, fontsize=8, color="tab:blue",
                  ha="center", va="center", backgroundcolor="white")
    for node in nodes:
        x, y = position[id(node)]
        kind = "leaf" if node._ctx is None else "value"
        title = labels.get(id(node), kind)
        text = (f"{title}\nvalue {_summary(node.data)}\n"
                f"grad {_summary(gradients.get(id(node)))}")
        axis.text(x, y, text, ha="center", va="center", fontsize=8, family="monospace",
                  bbox={"boxstyle": "round", "facecolor": "#fff7d6" if kind == "leaf"
                        else "#e8f0ff", "edgecolor": "grey"})
    axis.set_xlim(-width / 2 - 0.5, width / 2 + 0.5)
    axis.set_ylim(-len(levels) + 0.4, 0.6)
    axis.axis("off")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return gradients
