"""Finite-difference check of ``backward`` (public: students use it to test their own ops)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from retroprop.tensor.grad_mode import enable_grad, no_grad
from retroprop.tensor.tensor import Tensor


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when backward and finite differences disagree."""


def gradcheck(
    fn: Callable[..., Tensor],
    inputs: Sequence[Tensor],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
) -> bool:
    """Compare ``backward`` with central finite differences, in float64.

    The output of ``fn`` is reduced to the scalar ``L = sum(v * fn(*inputs))``
    with a fixed random ``v``, and for every element ``x_i`` of every input
    that requires a gradient,

        (L(x + eps e_i) - L(x - eps e_i)) / (2 eps)  ≈  dL/dx_i,

    must hold within ``atol + rtol * |dL/dx_i|``.

    Parameters
    ----------
    fn : callable
        Takes the tensors of ``inputs`` and returns a tensor.
    inputs : sequence of Tensor
        float64 tensors; those with ``requires_grad=True`` are checked.
    eps, atol, rtol : float
        Step and tolerances.
    seed : int
        Seed of the projection ``v``.

    Returns
    -------
    True when every gradient agrees; raises :class:`GradcheckError` otherwise.

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> x = rp.Tensor(np.array([0.5, -1.0]), requires_grad=True, dtype=np.float64)
    >>> rp.gradcheck(lambda t: (t * t).exp(), [x])
    True
    """
    for k, tensor in enumerate(inputs):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"gradcheck: inputs[{k}] must be a Tensor, got {type(tensor).__name__}")
        if tensor.requires_grad and tensor.dtype != np.float64:
            raise TypeError(
                f"gradcheck: inputs[{k}] has dtype {tensor.dtype}; finite differences need float64"
            )
    checked = [t for t in inputs if t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True")

    with enable_grad():
        out = fn(*inputs)
    projection = np.random.default_rng(seed).standard_normal(out.shape)
    for tensor in checked:
        tensor.grad = None
    out.backward(projection)
    analytic = [np.zeros(t.shape) if t.grad is None else t.grad.copy() for t in checked]

    def projected() -> float:
        with no_grad():
            return float(np.sum(projection * fn(*inputs).data))

    for k, (tensor, grad) in enumerate(zip(checked, analytic, strict=True)):
        if not tensor.data.flags.c_contiguous:  # (np.ascontiguousarray would make 0-d 1-d)
            tensor.data = tensor.data.copy()
        flat = tensor.data.reshape(-1)
        numeric = np.empty(flat.size)
        for i in range(flat.size):
            original = flat[i]
            flat[i] = original + eps
            upper = projected()
            flat[i] = original - eps
            lower = projected()
            flat[i] = original
            numeric[i] = (upper - lower) / (2 * eps)
        numeric = numeric.reshape(tensor.shape)
        bad = np.abs(numeric - grad) > atol + rtol * np.abs(grad)
        if bad.any():
            worst = tuple(int(n) for n in np.unravel_index(
                np.argmax(np.abs(numeric - grad) * bad), grad.shape))
            raise GradcheckError(
                f"gradcheck: gradient of input {k} (shape {tensor.shape}) disagrees at "
                f"{bad.sum()} of {bad.size} elements; worst at index {worst}: "
                f"backward {grad[worst]:.10g}, finite differences {numeric[worst]:.10g}"
            )
    return True
