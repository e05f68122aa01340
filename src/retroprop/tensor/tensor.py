"""``Tensor``: an ndarray that remembers how it was computed, and the backward pass.

The engine is reverse-mode automatic differentiation (Tobón & Aguirre, "la
propagación hacia atrás"): each operation on tensors that require a
gradient records a :class:`~retroprop.tensor.function.Function` node; ``backward``
visits the nodes in reverse topological order and applies the chain rule,
dL/dx = sum over the uses y of x of (dy/dx)^T dL/dy.
"""

from __future__ import annotations

import builtins
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from retroprop.tensor import hooks as _hooks
from retroprop.tensor.size import Size

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from typing import TypeAlias

    from retroprop.tensor.function import Function

    Operand: TypeAlias = "Tensor | float | np.ndarray"
    Axis: TypeAlias = "int | Sequence[int] | None"

_default_dtype = np.dtype(np.float32)


def get_default_dtype() -> np.dtype:
    """The floating dtype of new tensors and parameters (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(dtype: Any) -> None:
    """Set the dtype of new tensors and parameters: ``np.float32`` or ``np.float64``."""
    global _default_dtype
    _default_dtype = _check_float_dtype(dtype, "dtype")


def _check_float_dtype(dtype: Any, name: str) -> np.dtype:
    resolved = np.dtype(dtype)
    if resolved not in (np.float32, np.float64):
        raise TypeError(f"{name} must be float32 or float64, got {resolved}")
    return resolved


class Tensor:
    """A NumPy array with an optional gradient and a link to the operation that made it.

    Parameters
    ----------
    data : array_like
        The values. Converted to ``dtype``.
    requires_grad : bool, default False
        Record operations on this tensor so that ``backward`` fills ``.grad``.
    dtype : float32 or float64, optional
        Defaults to :func:`get_default_dtype` (float32).

    Attributes
    ----------
    data : ndarray
        The values, the array itself (no copy is made when dtypes match). Writes into it
        are not counted by the version counter, as PyTorch's ``x.data``; write through
        the tensor (``x.add_``, ``x[i] = v``, ``x.detach()``'s) to have them counted.
    grad : ndarray or None
        dL/d(this tensor) after ``backward``, for tensors that require it.

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> x = rp.Tensor(np.ones((2, 3)), requires_grad=True)
    >>> y = (x * 2).sum()
    >>> y.backward()
    >>> x.grad
    array([[2., 2., 2.],
           [2., 2., 2.]], dtype=float32)
    """

    #: ``_base``, set only on a tensor that shares another's memory and whose writes count
    #: as that one's (:func:`written`): on a view
    #: (:class:`~retroprop.tensor.function.ViewFunction`), the tensor it views; on a
    #: tensor made by :meth:`detach`, weak references to the tensor it came from and that
    #: one's own bases (weak: the detached tensor does not keep a graph alive)
    __slots__ = ("__weakref__", "_base", "_ctx", "_version", "data", "grad", "requires_grad")
    _base: Tensor | tuple[weakref.ref[Tensor], ...]
    __array_ufunc__ = None  # ndarray (op) Tensor defers to Tensor's reflected operator
    # Comparisons give element-wise tensors, so hashing stays by identity (as in PyTorch):
    # optimizers key their state by the parameter object.
    __hash__ = object.__hash__

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        if isinstance(data, Tensor):
            data = data.data
        resolved = _default_dtype if dtype is None else _check_float_dtype(dtype, "dtype")
        self.data: np.ndarray = np.asarray(data, dtype=resolved)
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self._ctx: Function | None = None
        #: How many times ``data`` was written in place by the library (an optimizer's
        #: step, ``load_state_dict``, ``t += u``): a node records it, and ``backward``
        #: refuses to use an input written since, as PyTorch's version counter does.
        self._version = 0

    @classmethod
    def _wrap(cls, data: np.ndarray, requires_grad: bool = False) -> Tensor:
        """Make a tensor around an array the library computed (no conversion)."""
        tensor = object.__new__(cls)
        tensor.data = data
        tensor.grad = None
        tensor.requires_grad = requires_grad
        tensor._ctx = None
        tensor._version = 0
        return tensor

    # ------------------------------------------------------------------ properties
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> Size:
        """The number of elements, as NumPy's ``size``; also callable as PyTorch's
        ``size()`` (the shape) and ``size(dim)`` (:class:`~retroprop.tensor.size.Size`)."""
        return Size(self.data.shape)

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def grad_fn(self) -> Function | None:
        """The node of the operation that made this tensor (None for a leaf, or a result
        made outside recording), as PyTorch's ``grad_fn``; its ``next_functions`` lead to
        the nodes of its inputs."""
        return self._ctx

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user (parameters, inputs), not by an operation."""
        return self._ctx is None

    def __len__(self) -> int:
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        """The sub-tensors along the first axis (each indexing is recorded, as in PyTorch)."""
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    def __getstate__(self) -> Any:
        """What pickling and ``copy.deepcopy`` keep: all but a view's ``_base``, whose
        memory the copied array no longer shares (and which would be copied whole)."""
        state: Any = super().__getstate__()
        slots = state[1] if isinstance(state, tuple) else None
        if slots is None or "_base" not in slots:
            return state
        return state[0], {name: value for name, value in slots.items() if name != "_base"}

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extra = ", requires_grad=True" if self.requires_grad else ""
        if self.data.dtype != np.float32:
            extra += f", dtype={self.data.dtype}"
        return f"Tensor({body}{extra})"

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """``np.asarray(tensor)``: the values (shared unless a copy or another dtype is asked)."""
        if copy:
            return np.array(self.data, dtype=dtype, copy=True)
        return np.asarray(self.data, dtype=dtype)

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number (float, int or bool)."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def tolist(self) -> Any:
        """The values as (nested) Python lists; a 0-d tensor gives a number."""
        return self.data.tolist()

    def numel(self) -> int:
        """The number of elements."""
        return self.data.size

    def dim(self) -> int:
        """The number of dimensions (``ndim``), as ``torch.Tensor.dim``."""
        return self.data.ndim

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        """An integer (or boolean) tensor of one element as an index
        (``classes[predicted[j]]``, ``range(n)``), as PyTorch's; other tensors are
        refused."""
        if self.data.dtype.kind not in "biu" or self.data.size != 1:
            raise TypeError(f"only integer tensors of a single element can be converted to "
                            f"an index, got dtype {self.data.dtype} and shape {self.shape}")
        return int(self.data.item())

    def __format__(self, spec: str) -> str:
        """A 0-d tensor formatted as its number (``f"{loss:.3f}"``), as PyTorch's; other
        tensors take only the empty format (their ``str``)."""
        if self.data.ndim == 0:
            return format(self.data.item(), spec)
        return super().__format__(spec)

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self.data.size} elements (shape {self.shape}) "
                "is ambiguous: use .any() or .all() on its values, e.g. bool((t > 0).numpy().all())"
            )
        return bool(self.data.item())

    # ------------------------------------------------------------------ comparisons
    # Element-wise, giving boolean tensors outside the graph (no gradient), as in PyTorch.
    def __eq__(self, other: object) -> Tensor:  # type: ignore[override]
        return Tensor._wrap(np.asarray(self.data == _values(other)))

    def __ne__(self, other: object) -> Tensor:  # type: ignore[override]
        return Tensor._wrap(np.asarray(self.data != _values(other)))

    def __lt__(self, other: Any) -> Tensor:
        return Tensor._wrap(np.asarray(self.data < _values(other)))

    def __le__(self, other: Any) -> Tensor:
        return Tensor._wrap(np.asarray(self.data <= _values(other)))

    def __gt__(self, other: Any) -> Tensor:
        return Tensor._wrap(np.asarray(self.data > _values(other)))

    def __ge__(self, other: Any) -> Tensor:
        return Tensor._wrap(np.asarray(self.data >= _values(other)))

    def detach(self) -> Tensor:
        """A tensor sharing the same data, cut from the graph, as PyTorch's ``detach``.

        As in PyTorch it shares this tensor's version counter one way: a write into it in
        place (``y.add_(1)``, ``y += 1``, ``y.zero_()``) changes this tensor's values, and
        counts as a write of this tensor (and of the tensors it views), so that
        ``backward`` through a graph that saved this tensor raises instead of using the new
        values. A write into this tensor is not seen by a node that saved the detached one
        (PyTorch's counter, shared both ways, sees it); write into a ``clone()`` there.
        ``x.data`` is the NumPy array itself: writes into it are counted nowhere, as
        PyTorch's ``x.data``, which shares no version counter.

        Examples
        --------
        >>> import retroprop as rp
        >>> x = rp.tensor([1.0, 2.0], requires_grad=True)
        >>> loss = (x * x).sum()
        >>> y = x.detach()
        >>> _ = y.zero_()                 # x's values too
        >>> x.tolist()
        [0.0, 0.0]
        >>> loss.backward()               # doctest: +ELLIPSIS
        Traceback (most recent call last):
        RuntimeError: backward: input 0 of Mul (shape (2,)) was modified in place after ...
        """
        out = Tensor._wrap(self.data, False)
        out._base = tuple([weakref.ref(t) for t in (self, *_bases(self))])
        return out

    @property
    def T(self) -> Tensor:
        """The tensor with its axes reversed (differentiable)."""
        return self.transpose()

    if TYPE_CHECKING:
        # The operations live in retroprop.ops, which builds on this module; importing
        # retroprop.ops attaches them to Tensor from its table ``TENSOR_METHODS`` (no wrapper,
        # no cost per call). Declared here for type checkers and editors; a test keeps both
        # lists and their parameters equal.
        def __add__(self, other: Operand) -> Tensor: ...
        def __radd__(self, other: Operand) -> Tensor: ...
        def __sub__(self, other: Operand) -> Tensor: ...
        def __rsub__(self, other: Operand) -> Tensor: ...
        def __mul__(self, other: Operand) -> Tensor: ...
        def __rmul__(self, other: Operand) -> Tensor: ...
        def __truediv__(self, other: Operand) -> Tensor: ...
        def __rtruediv__(self, other: Operand) -> Tensor: ...
        def __matmul__(self, other: Tensor | np.ndarray) -> Tensor: ...
        def __rmatmul__(self, other: Tensor | np.ndarray) -> Tensor: ...
        def __pow__(self, exponent: Operand) -> Tensor: ...
        def __rpow__(self, other: Operand) -> Tensor: ...
        def __neg__(self) -> Tensor: ...
        def __pos__(self) -> Tensor: ...
        def __abs__(self) -> Tensor: ...
        def __iadd__(self, other: Operand) -> Tensor: ...
        def __isub__(self, other: Operand) -> Tensor: ...
        def __imul__(self, other: Operand) -> Tensor: ...
        def __itruediv__(self, other: Operand) -> Tensor: ...
        def __getitem__(self, index: Any) -> Tensor: ...
        def __setitem__(self, index: Any, value: Any) -> None: ...
        def sum(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
                keepdim: bool | None = None, dtype: Any = None) -> Tensor: ...
        def mean(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
                 keepdim: bool | None = None, dtype: Any = None) -> Tensor: ...
        def max(self, dim: int | None = None, keepdim: bool | None = None, *,
                axis: Axis = None, keepdims: bool = False) -> Any: ...
        def min(self, dim: int | None = None, keepdim: bool | None = None, *,
                axis: Axis = None, keepdims: bool = False) -> Any: ...
        def amax(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
                 keepdim: bool | None = None) -> Tensor: ...
        def amin(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
                 keepdim: bool | None = None) -> Tensor: ...
        def gather(self, dim: int, index: Any) -> Tensor: ...
        def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True
                 ) -> Any: ...
        def argmax(self, axis: int | None = None, keepdims: bool = False, *,
                   dim: int | None = None, keepdim: bool | None = None) -> Tensor: ...
        def argmin(self, axis: int | None = None, keepdims: bool = False, *,
                   dim: int | None = None, keepdim: bool | None = None) -> Tensor: ...
        def var(self, dim: Axis = None, unbiased: bool | None = None, keepdim: bool = False, *,
                correction: float | None = None) -> Tensor: ...
        def std(self, dim: Axis = None, unbiased: bool | None = None, keepdim: bool = False, *,
                correction: float | None = None) -> Tensor: ...
        def norm(self, p: float | str = 2, dim: Axis = None, keepdim: bool = False) -> Tensor: ...
        def reshape(self, *shape: int | Sequence[int]) -> Tensor: ...
        def view(self, *shape: int | Sequence[int]) -> Tensor: ...
        def transpose(self, *axes: int | Sequence[int]) -> Tensor: ...
        def permute(self, *dims: int | Sequence[int]) -> Tensor: ...
        def t(self) -> Tensor: ...
        def squeeze(self, dim: Axis = None) -> Tensor: ...
        def unsqueeze(self, dim: int) -> Tensor: ...
        def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor: ...
        def clone(self) -> Tensor: ...
        def contiguous(self) -> Tensor: ...
        def to(self, *args: Any, dtype: Any = None, device: Any = None,
               non_blocking: bool = False, copy: bool = False) -> Tensor: ...
        def cpu(self) -> Tensor: ...
        def exp(self) -> Tensor: ...
        def log(self) -> Tensor: ...
        def log1p(self) -> Tensor: ...
        def abs(self) -> Tensor: ...
        def sqrt(self) -> Tensor: ...
        def sin(self) -> Tensor: ...
        def cos(self) -> Tensor: ...
        def clip(self, low: float | None = None, high: float | None = None) -> Tensor: ...
        def clamp(self, min: float | None = None, max: float | None = None) -> Tensor: ...
        def pow(self, exponent: Operand) -> Tensor: ...
        def matmul(self, b: Tensor | np.ndarray) -> Tensor: ...
        def sigmoid(self, slope: float = 1.0) -> Tensor: ...
        def tanh(self) -> Tensor: ...
        def relu(self) -> Tensor: ...
        def softmax(self, dim: int | None = None, *, axis: int | None = None) -> Tensor: ...
        def log_softmax(self, dim: int | None = None, *, axis: int | None = None) -> Tensor: ...
        # Last, and the annotations below them spelled builtins.bool: inside the class body
        # these names would otherwise mean the methods for type checkers.
        def double(self) -> Tensor: ...
        def long(self) -> Tensor: ...
        def float(self) -> Tensor: ...
        def int(self) -> Tensor: ...
        def bool(self) -> Tensor: ...
        # PyTorch's idioms of manual training loops and lecture exercises: in place (under
        # no_grad), comparisons and logic, and more operations (builtins.* as above).
        def add_(self, other: Operand, alpha: Any = 1) -> Tensor: ...
        def sub_(self, other: Operand, alpha: Any = 1) -> Tensor: ...
        def mul_(self, other: Operand) -> Tensor: ...
        def div_(self, other: Operand) -> Tensor: ...
        def zero_(self) -> Tensor: ...
        def fill_(self, value: Any) -> Tensor: ...
        def copy_(self, src: Any, non_blocking: builtins.bool = False) -> Tensor: ...
        def clamp_(self, min: Any = None, max: Any = None) -> Tensor: ...
        def eq(self, other: Any) -> Tensor: ...
        def ne(self, other: Any) -> Tensor: ...
        def lt(self, other: Any) -> Tensor: ...
        def le(self, other: Any) -> Tensor: ...
        def gt(self, other: Any) -> Tensor: ...
        def ge(self, other: Any) -> Tensor: ...
        def any(self, dim: Axis = None, keepdim: builtins.bool = False) -> Tensor: ...
        def all(self, dim: Axis = None, keepdim: builtins.bool = False) -> Tensor: ...
        def isnan(self) -> Tensor: ...
        def isfinite(self) -> Tensor: ...
        def logical_not(self) -> Tensor: ...
        def logical_and(self, other: Any) -> Tensor: ...
        def logical_or(self, other: Any) -> Tensor: ...
        def nonzero(self, *, as_tuple: builtins.bool = False) -> Any: ...
        def expand(self, *sizes: builtins.int | Sequence[builtins.int]) -> Tensor: ...
        def expand_as(self, other: Tensor) -> Tensor: ...
        def repeat(self, *repeats: builtins.int | Sequence[builtins.int]) -> Tensor: ...
        def flip(self, *dims: builtins.int | Sequence[builtins.int]) -> Tensor: ...
        def chunk(self, chunks: builtins.int, dim: builtins.int = 0) -> tuple[Tensor, ...]: ...
        def split(self, split_size_or_sections: builtins.int | Sequence[builtins.int],
                  dim: builtins.int = 0) -> tuple[Tensor, ...]: ...
        def cumsum(self, dim: builtins.int) -> Tensor: ...
        def prod(self, dim: builtins.int | None = None, keepdim: builtins.bool = False
                 ) -> Tensor: ...
        def logsumexp(self, dim: Axis, keepdim: builtins.bool = False) -> Tensor: ...
        def square(self) -> Tensor: ...
        def sign(self) -> Tensor: ...
        def floor(self) -> Tensor: ...
        def ceil(self) -> Tensor: ...
        def trunc(self) -> Tensor: ...
        def round(self, *, decimals: builtins.int = 0) -> Tensor: ...
        def masked_fill(self, mask: Any, value: Any) -> Tensor: ...
        def mm(self, mat2: Tensor) -> Tensor: ...
        def dot(self, other: Tensor) -> Tensor: ...
        def outer(self, vec2: Tensor) -> Tensor: ...
        def view_as(self, other: Tensor) -> Tensor: ...
        def reshape_as(self, other: Tensor) -> Tensor: ...
        def type_as(self, other: Tensor) -> Tensor: ...
        def new_zeros(self, *size: Any, dtype: Any = None,
                      requires_grad: builtins.bool = False) -> Tensor: ...
        def new_ones(self, *size: Any, dtype: Any = None,
                     requires_grad: builtins.bool = False) -> Tensor: ...
        def new_full(self, size: Any, fill_value: Any, *, dtype: Any = None,
                     requires_grad: builtins.bool = False) -> Tensor: ...
        def new_tensor(self, data: Any, *, dtype: Any = None,
                       requires_grad: builtins.bool = False) -> Tensor: ...
        def sort(self, dim: builtins.int = -1, descending: builtins.bool = False, *,
                 stable: builtins.bool = False) -> Any: ...
        def argsort(self, dim: builtins.int = -1, descending: builtins.bool = False, *,
                    stable: builtins.bool = False) -> Tensor: ...

    def requires_grad_(self, requires_grad: builtins.bool = True) -> Tensor:
        if self._ctx is not None and not requires_grad:
            raise RuntimeError("requires_grad_(False) works on leaf tensors only; use detach()")
        if requires_grad and self.data.dtype.kind != "f":
            raise RuntimeError(f"requires_grad_: only tensors of a floating-point dtype can "
                               f"require gradients, got {self.data.dtype}")
        self.requires_grad = requires_grad
        return self

    # ------------------------------------------------------------------ hooks
    def register_hook(self, hook: Callable[[np.ndarray], Any]) -> _hooks.RemovableHandle:
        """Call ``hook(grad)`` with dL/d(this tensor) when ``backward`` has computed it, as
        PyTorch's ``Tensor.register_hook``.

        Parameters
        ----------
        hook : callable
            ``hook(grad) -> None or new grad``: ``grad`` is the complete gradient (an
            ndarray of this tensor's shape and dtype, summed over every use of the
            tensor); return None to keep it, or an array or Tensor of the same shape and
            dtype to replace it: the operations before this tensor (and, for a leaf,
            ``.grad``) then get the new one. Keep the array, or return a new one; do not
            write into it.

        Returns
        -------
        RemovableHandle
            ``handle.remove()`` takes the hook off.

        Notes
        -----
        Hooks run in the order they were registered, each on the previous one's result.
        On a leaf (a parameter) they run before the gradient is added to ``.grad``; on a
        computed tensor, before ``retain_grad`` keeps it. They run at every ``backward``
        that reaches the tensor (twice through a graph kept with ``retain_graph=True``),
        not for ``rp.viz.draw_graph``'s gradients. ``copy.deepcopy`` and pickling leave
        them behind, as PyTorch's. Backpropagation computes dL/dy for every intermediate
        y on its way to the weights (Berzal, "Backpropagation" (Granada)); a hook is how
        to see it, e.g. how it shrinks layer after layer in a deep sigmoid network
        (FAMAF (Córdoba), "Redes neuronales", clase 21, vanishing gradients).

        Examples
        --------
        >>> import numpy as np, retroprop as rp
        >>> x = rp.Tensor(np.ones(3), requires_grad=True)
        >>> y = x * 2
        >>> handle = y.register_hook(lambda grad: grad * 10)
        >>> y.sum().backward()
        >>> x.grad
        array([20., 20., 20.], dtype=float32)
        >>> handle.remove()
        """
        if not callable(hook):
            raise TypeError(f"register_hook: hook must be callable, got {hook!r:.80} "
                            f"({type(hook).__name__})")
        self._refuse_without_grad("register a hook on")
        handle = _hooks.RemovableHandle(self)
        _hooks.hooks_of(self, create=True).hooks[handle.id] = hook  # type: ignore[union-attr]
        return handle

    def _remove_hook(self, hook_id: builtins.int) -> None:
        """Take off the hook of id ``hook_id`` (:meth:`RemovableHandle.remove`)."""
        entry = _hooks.hooks_of(self)
        if entry is not None:
            entry.hooks.pop(hook_id, None)
            _hooks.drop_if_empty(self)

    def retain_grad(self) -> None:
        """Keep dL/d(this tensor) in ``.grad`` after ``backward``, also for a computed
        tensor (which otherwise forgets it), as PyTorch's ``Tensor.retain_grad``.

        The gradient kept is the one after this tensor's hooks (:meth:`register_hook`),
        whatever the order of the calls; later ``backward`` calls add to it, as they add
        to a leaf's. On a leaf (which keeps its gradient anyway) it does nothing. Shows
        dL/dy of the hidden layers, which backpropagation computes and forgets (Berzal,
        "Backpropagation" (Granada)).

        Examples
        --------
        >>> import numpy as np, retroprop as rp
        >>> x = rp.Tensor(np.ones(2), requires_grad=True)
        >>> h = x * 3
        >>> h.retain_grad()
        >>> (h * h).sum().backward()
        >>> h.grad
        array([6., 6.], dtype=float32)
        """
        self._refuse_without_grad("retain the gradient of")
        if self._ctx is not None:
            _hooks.hooks_of(self, create=True).retains = True  # type: ignore[union-attr]

    @property
    def retains_grad(self) -> builtins.bool:
        """Whether this computed tensor keeps its gradient (:meth:`retain_grad`); False
        for a leaf, as in PyTorch."""
        entry = _hooks.hooks_of(self)
        return entry is not None and entry.retains

    def _refuse_without_grad(self, what: str) -> None:
        if not self.requires_grad:
            raise RuntimeError(
                f"cannot {what} a tensor that does not require grad (shape {self.shape}, "
                f"dtype {self.dtype}): no gradient is computed for it; make it with "
                "requires_grad=True (or compute it from one, outside no_grad())")

    # ------------------------------------------------------------------ backward
    def backward(self, gradient: Any = None, retain_graph: builtins.bool = False) -> None:
        """Fill ``.grad`` of every leaf that this tensor depends on.

        Parameters
        ----------
        gradient : array_like, optional
            dL/d(self). May be omitted only for a tensor with one element
            (a scalar loss), where it is 1.
        retain_graph : bool, default False
            Keep the graph so that ``backward`` can run through it again.
            Without it the saved arrays are freed and a second call raises.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() called on a tensor that does not require grad: no input of the "
                "computation had requires_grad=True, or it ran inside no_grad()"
            )
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient needs a scalar, but this tensor has shape "
                    f"{self.shape}; pass gradient= of that shape, or reduce it (e.g. .sum())"
                )
            seed = np.ones_like(self.data)
        else:
            seed = np.array(gradient.data if isinstance(gradient, Tensor) else gradient,
                            dtype=self.data.dtype)
            if seed.shape != self.shape:
                raise ValueError(
                    f"backward(gradient=...): gradient has shape {seed.shape}, "
                    f"expected the tensor's shape {self.shape}"
                )
        _run_backward(self, seed, retain_graph)


def _bases(tensor: Tensor) -> list[Tensor]:
    """The tensors whose memory ``tensor`` shares and whose versions a write into it raises
    (see ``Tensor._base``): a view's base and its bases, a detached tensor's source and its
    bases (those still alive)."""
    found: list[Tensor] = []
    base = getattr(tensor, "_base", None)
    while base is not None:
        if type(base) is tuple:  # a detached tensor's weak references, resolved already
            found += [t for t in (ref() for ref in base) if t is not None]
            break
        found.append(base)
        base = getattr(base, "_base", None)
    return found


def written(tensor: Tensor) -> None:
    """Count a write into ``tensor``'s data in place: its version goes up, and the versions
    of the tensors whose memory it shares (a view's base, a detached tensor's source), as
    PyTorch's shared version counter does."""
    tensor._version += 1
    if hasattr(tensor, "_base"):
        for base in _bases(tensor):
            base._version += 1


def _values(other: Any) -> Any:
    """The array behind a tensor; anything else as given (for comparisons)."""
    return other.data if isinstance(other, Tensor) else other


def _graph(root: Tensor) -> tuple[list[Tensor], list[Tensor]]:
    """The computed tensors that ``root`` depends on, each before the tensors it was computed
    from (decreasing creation order of their nodes), and the leaves that need a gradient."""
    computed: list[Tensor] = []
    leaves: list[Tensor] = []
    seen = {id(root)}
    stack = [root]
    while stack:
        node = stack.pop()
        ctx = node._ctx
        if ctx is None:
            leaves.append(node)
            continue
        if ctx.released:
            raise RuntimeError(
                "Trying to backward through the graph a second time: its saved arrays were "
                "freed by the first backward(); call backward(retain_graph=True) the first time"
            )
        computed.append(node)
        for parent in ctx.parents:
            if parent.requires_grad and id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    computed.sort(key=_sequence_number, reverse=True)
    return computed, leaves


def _sequence_number(tensor: Tensor) -> int:
    return tensor._ctx.sequence_number  # type: ignore[union-attr]


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting added or stretched, giving ``shape``
    (a gradient with fewer axes than ``shape``, such as a bias's Σ over the rows for a
    bias of shape (1, out), gains leading axes of size 1 first)."""
    if grad.shape == shape:
        return grad
    if grad.ndim < len(shape):
        grad = grad.reshape((1,) * (len(shape) - grad.ndim) + grad.shape)
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1
    )
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


def _run_backward(root: Tensor, seed: np.ndarray, retain_graph: bool,
                  record: dict[int, np.ndarray] | None = None, into_leaves: bool = True) -> None:
    """The chain rule from ``root`` down; ``record`` (if given) receives dL/d(node) of every
    node, interior ones included (for pictures of the graph); ``into_leaves=False`` leaves
    every ``.grad`` as it was."""
    computed, leaves = _graph(root)
    grads: dict[int, np.ndarray] = {id(root): seed}
    adopted: set[int] = set()
    # with no hook anywhere (the registry empty) the loops make no check for them
    pop = _hooks.popper(adopted) if _hooks.HOOKED and into_leaves else _pop_gradient
    for node in computed:
        grad = pop(grads, node, record)
        if grad is None:
            continue
        ctx = node._ctx
        for parent, version in zip(ctx.parents, ctx.versions, strict=True):  # type: ignore[union-attr]
            if parent._version != version:
                _refuse_written(ctx, parent, version)  # type: ignore[arg-type]
        input_grads = ctx.backward(grad)  # type: ignore[union-attr]
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        for parent, parent_grad in zip(ctx.parents, input_grads, strict=True):  # type: ignore[union-attr]
            if parent_grad is None or not parent.requires_grad:
                continue
            shape = parent.data.shape
            if parent_grad.shape != shape:
                parent_grad = unbroadcast(parent_grad, shape)
            if parent_grad.dtype != parent.data.dtype:
                raise RuntimeError(
                    f"internal error: {type(ctx).__name__}.backward returned {parent_grad.dtype} "
                    f"for an input of dtype {parent.data.dtype}"
                )
            previous = grads.get(id(parent))
            grads[id(parent)] = parent_grad if previous is None else previous + parent_grad
        if not retain_graph:
            ctx.release()  # type: ignore[union-attr]
    for leaf in leaves:
        grad = pop(grads, leaf, record)
        if grad is None or not into_leaves:
            continue
        if leaf.grad is not None:
            leaf.grad += grad
        elif grad.base is None and grad.flags.writeable and id(grad) not in adopted:
            leaf.grad = grad  # no one else holds this array: adopt it instead of copying
            adopted.add(id(grad))
        else:  # a view, or a NumPy scalar (what ufuncs give for 0-d arrays)
            leaf.grad = np.array(grad, order="K")


def _refuse_written(ctx: Function, parent: Tensor, version: int) -> None:
    """A node one of whose inputs was written in place since the forward pass (by an
    optimizer's step, say) is refused: its backward would use the new values. Every input
    is checked, also of operations that keep none of their inputs' values (an addition),
    where PyTorch checks only the inputs it saved."""
    index = next(i for i, p in enumerate(ctx.parents) if p is parent)
    raise RuntimeError(
        f"backward: input {index} of {type(ctx).__name__} (shape {parent.shape}) was "
        f"modified in place after the forward pass (version {version} then, "
        f"{parent._version} now: an optimizer step, load_state_dict, t += u, a write "
        "through a view of it or its detach()); its "
        "gradient would use the new values. Call backward() before optimizer.step(), or "
        "compute the loss again")


def _pop_gradient(grads: dict[int, np.ndarray], tensor: Tensor,
                  record: dict[int, np.ndarray] | None) -> np.ndarray | None:
    """dL/d(tensor), now complete, taken out of ``grads`` (and copied into ``record``)."""
    grad = grads.pop(id(tensor), None)
    if grad is not None and record is not None:
        record[id(tensor)] = np.array(grad)
    return grad


def zero_grads(tensors: Iterable[Tensor], set_to_none: bool = True) -> None:
    """Forget the tensors' gradients: ``grad = None`` (PyTorch's default), or with
    ``set_to_none=False`` fill each existing gradient with zeros in place (a tensor without
    one keeps None), as ``torch.optim.Optimizer.zero_grad`` and ``Module.zero_grad``."""
    for tensor in tensors:
        if set_to_none or tensor.grad is None:
            tensor.grad = None
        else:
            tensor.grad.fill(0)


def as_tensor(value: Any, like: Tensor) -> Tensor:
    """``value`` as a tensor; a constant takes the floating dtype of ``like`` (no upcast).
    Beside an integer or boolean tensor it keeps its own dtype, so that ``labels * 0.5``
    raises instead of truncating 0.5 to 0."""
    if isinstance(value, Tensor):
        return value
    dtype = like.data.dtype
    return Tensor._wrap(np.asarray(value, dtype=dtype if dtype.kind == "f" else None))
