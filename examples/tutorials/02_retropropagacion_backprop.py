"""Tutorial 2 — Retropropagación / Backpropagation (seeds 001, 004).

ES: Cada operación guarda cómo se calculó; backward() aplica la regla de la cadena desde
la pérdida hacia atrás. gradcheck compara con diferencias finitas, y draw_graph dibuja el
grafo con los gradientes.
EN: Every operation remembers how it was computed; backward() applies the chain rule from
the loss backwards. gradcheck compares with finite differences, and draw_graph draws the
graph with its gradients.

    python examples/tutorials/02_retropropagacion_backprop.py
"""

import tempfile
from pathlib import Path

import numpy as np

import retroprop as rp

w = rp.Tensor([[0.5, -0.3]], requires_grad=True, dtype=np.float64)
b = rp.Tensor([0.1], requires_grad=True, dtype=np.float64)
x = rp.Tensor([1.0, 2.0], dtype=np.float64)

# ES: una neurona logística y el error cuadrático.  EN: a logistic neuron, squared error.
loss = (((w @ x + b).sigmoid() - 1.0) ** 2).sum()
picture = Path(tempfile.mkdtemp()) / "graph.png"
rp.viz.draw_graph(loss, picture, names={"w": w, "b": b, "x": x})
print(f"dL/dw = {w.grad}, dL/db = {b.grad}; graph drawn in {picture}")

# ES: la comprobación numérica del gradiente.  EN: the numerical gradient check.
print("gradcheck:", rp.gradcheck(lambda w, b: (((w @ x + b).sigmoid() - 1.0) ** 2).sum(),
                                 [w, b]))
