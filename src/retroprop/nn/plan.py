"""The inference plan of a ``Sequential``: its layers' array path (``Module._infer``) for
one input shape and dtype, worked out at the first call and replayed at the next ones.

At batch 1 a network's time goes to Python, not arithmetic: the 784-256-128-10 MLP's
three matrix–vector products, bias additions and ReLUs take 11–12 µs as bare NumPy
calls, and PyTorch's whole call 27–29 µs. Walking the layers, ``Sequential`` asks each
one at every call whether its array path applies (evaluation mode, an ``_infer`` written
for the ``forward`` it runs, no ``forward`` replaced on the instance), and each layer
checks its input and its weights (dtype, number of features) before computing: about
0.5 µs a layer. A plan asks once, and keeps for each layer a step that computes and
checks nothing more: a ``Linear`` the product with its W and b as they were then, a
``ReLU`` after it the maximum computed in place on the product's new array, in the same
step (``Module._infer_in_place``), any other layer its own ``_infer``.

A plan is replayed only while what it was worked out from holds, which each call checks:

* no module and no module class has changed since
  (:data:`retroprop.nn.module.version`: an attribute assigned or deleted, a module or
  parameter registered, or its registry changed directly, ``train``/``eval``, ``to``,
  any attribute of a module class assigned or deleted, as ``unittest.mock.patch`` does;
  the array path then applies only where the methods it stands for are the ones its
  class was written with);
* each array a step holds is still its parameter's ``data``, which the step checks
  (:class:`retroprop.nn.module.Stale`): W replaced by ``weight.data = ...`` is seen, and
  W changed in place is W.

Otherwise the call works it out again, and drops the network's other plans, which most
likely hold old arrays as well. Where the layers have no array path for the
input (a layer in training mode or without one), the plan says so, and the call goes
layer by layer as before; so does a call whose step meets an input it does not take.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from retroprop.nn import module as modules
from retroprop.nn.module import Module, Stale

Run = Callable[[np.ndarray], np.ndarray | None]

#: distinct input shapes and dtypes whose plans a ``Sequential`` keeps (the batch size
#: and the last, smaller batch of a loop, in one or two dtypes)
KEPT = 8


class Plan:
    """The steps of a ``Sequential``'s layers for one input shape and dtype, and what they
    depend on; no steps (``runs`` None) where the layers have no array path for such
    inputs (one in training mode, one without the path, one refusing the input), which
    holds as well, until something changes."""

    __slots__ = ("runs", "version")

    def __init__(self, runs: Sequence[Run] | None) -> None:
        self.version = modules.version
        self.runs = None if runs is None else tuple(runs)

    @classmethod
    def work_out(cls, layers: Sequence[Module], x: np.ndarray
                 ) -> tuple[Plan, np.ndarray | None]:
        """The plan of ``layers`` for inputs like ``x``, and their output for ``x`` (None
        where a layer has no array path for it)."""
        runs: list[Run] = []
        new = False  # whether x is a new array of the last step's, which nothing else holds
        for layer in layers:
            if not modules.applies(layer):
                return cls(None), None
            # a subclass with its own _infer takes none of its parent's plan steps
            path = modules.path_of(type(layer))
            in_place = layer._infer_in_place(x) if new and path.in_place else None
            if in_place is not None:
                runs[-1], x = _then(runs[-1], in_place), in_place(x)
                continue
            run = layer._infer_step(x) if path.step else layer._infer
            out = None if run is None else run(x)
            if run is None or type(out) is not np.ndarray:  # a NumPy scalar from a 0-d input
                return cls(None), None
            runs.append(run)
            new, x = type(layer).infers_new and path.new, out
        return cls(runs), x

    def __call__(self, x: np.ndarray) -> np.ndarray | None:
        """The output for ``x`` (of the shape and dtype the plan is for), or None where the
        layers have no array path for it.

        Raises
        ------
        Stale
            When the plan no longer holds.
        """
        if self.version != modules.version:
            raise Stale
        if self.runs is None:
            return None
        for run in self.runs:
            out = run(x)
            if out is None:
                return None
            x = out
        return x


def _then(run: Run, in_place: Callable[[np.ndarray], np.ndarray]) -> Run:
    """``run``, then ``in_place`` on its output: a layer and the element-wise layer after
    it as one step (a linear layer and its ReLU, without the ReLU's new array)."""
    def fused(x: np.ndarray) -> np.ndarray | None:
        out = run(x)
        return None if out is None else in_place(out)
    return fused


class Plans(dict[tuple[tuple[int, ...], np.dtype], Plan]):
    """A ``Sequential``'s plans by input shape and dtype. A copy of the network
    (``copy.deepcopy``) starts with none: the plans hold the original's arrays."""

    def __reduce__(self) -> tuple[Any, ...]:
        return Plans, ()
