"""``Optimizer``: the shape every optimizer shares, as in ``torch.optim``.

``param_groups`` hold parameters with their hyperparameters (so each layer
may have its own learning rate); ``state[param]`` holds per-parameter
buffers (velocities, gains, moving averages), keyed by the parameter object,
and ``global_state`` what belongs to the whole optimizer (Rprop's last error).
Subclasses declare their defaults, check them in ``_check_group`` and write
the update rule in ``step``.

Every optimizer also declares its **contract**, which the Trainer, the
schedules and the L1 step read instead of guessing:

* ``step_kind``: ``"gradient"`` (call ``step()`` after ``backward()``; a
  closure is optional), ``"closure"`` (``step(closure)``: the method evaluates
  loss and gradients itself, several times per step) or ``"residuals"``
  (``step(closure)`` with a closure returning the residuals r of E = ½ Σ r²);
* ``full_batch``: it needs the gradient of the whole training set (Berzal,
  "Backpropagation": rprop, conjugate gradient, quasi-Newton and Newton
  methods); on mini-batches the Trainer warns once per ``fit``;
* ``has_lr``: its groups have a learning rate ``"lr"`` that schedules may
  change (vSGD and Levenberg–Marquardt have none); ``lr_is_initial``: it reads
  that rate only for its first step (Rprop's initial step sizes, conjugate
  gradient's first trial step), so that schedules warn;
* ``prox_rate(param)``: the step size η of the last step, per weight, for the
  L1 soft-threshold w ← sign(w) max(|w| − η λ, 0);
* ``allows_projection``: whether the Trainer may move the weights between two
  steps (that soft-threshold, a max-norm projection). Conjugate gradient,
  L-BFGS, BFGS and Levenberg–Marquardt carry a search direction, curvature
  pairs or a trust region from one step to the next, which a moved point
  contradicts: the Trainer refuses L1 and constraints with them.
"""

from __future__ import annotations

import copy
import functools
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any, ClassVar

import numpy as np

from retroprop.stacklevel import user_stacklevel
from retroprop.tensor.tensor import Tensor, zero_grads

Closure = Callable[[], Any]

#: The ways an optimizer's ``step`` can be called (see ``Optimizer.step_kind``).
STEP_KINDS = ("gradient", "closure", "residuals")
#: keys of a parameter group besides an optimizer's settings: its parameters, and the
#: rate a schedule starts from (written by the schedules, as in PyTorch)
GROUP_BOOKKEEPING = frozenset({"params", "initial_lr"})

#: Hyperparameters that are True or False, where an optimizer has them (``torch.optim``
#: takes any value and tests its truth, so ``maximize="no"`` would climb: refused here).
FLAGS = ("amsgrad", "maximize")


class Optimizer:
    """Base class of the optimizers.

    Parameters
    ----------
    params : iterable of Parameter, or of dicts
        The parameters to update, or parameter groups: dicts with a
        ``"params"`` list and hyperparameters that override ``defaults``.
    defaults : dict
        Hyperparameters of groups that do not set them.
    """

    #: How ``step`` is called: "gradient", "closure" or "residuals" (module docstring).
    step_kind: ClassVar[str] = "gradient"
    #: Whether it needs full-batch gradients (the Trainer warns on mini-batches).
    full_batch: ClassVar[bool] = False
    #: Whether its groups have a learning rate ``"lr"`` (schedules refuse optimizers without).
    has_lr: ClassVar[bool] = True
    #: Whether ``"lr"`` only sizes the first step, after which the method adapts its steps
    #: on its own: a schedule of the rate then changes nothing later (schedules warn).
    lr_is_initial: ClassVar[bool] = False
    #: Whether the weights may be moved between two steps (L1's soft-threshold, a
    #: constraint's projection) without contradicting what the method carries over.
    allows_projection: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _counting_writes(cls.step)  # type: ignore[method-assign]

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        if self.step_kind not in STEP_KINDS:
            raise TypeError(f"{type(self).__name__}: step_kind must be one of {STEP_KINDS}, got "
                            f"{self.step_kind!r}")
        if self.has_lr != ("lr" in defaults):
            raise TypeError(f"{type(self).__name__}: has_lr={self.has_lr} but its defaults "
                            f"{'lack' if self.has_lr else 'have'} an 'lr'")
        self.defaults = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.global_state: dict[str, Any] = {}
        self.param_groups: list[dict[str, Any]] = []
        groups: list[Any] = list(params) if not isinstance(params, Tensor) else [params]
        if not groups:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters."""
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(
                f"{type(self).__name__}: a parameter group must be a dict with 'params'"
            )
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: a parameter group has no parameters")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for index, param in enumerate(params):
            if not isinstance(param, Tensor):
                raise TypeError(
                    f"{type(self).__name__}: params[{index}] must be a tensor (a model's "
                    f"parameter), got {type(param).__name__}"
                )
            if param.dtype.kind != "f":
                raise TypeError(
                    f"{type(self).__name__}: params[{index}] (shape {param.shape}) has dtype "
                    f"{param.dtype}; expected a floating dtype (steps are fractional, and "
                    "PyTorch lets only floating tensors require a gradient): convert it "
                    "with .float()")
            if id(param) in seen:
                raise ValueError(
                    f"{type(self).__name__}: params[{index}] (shape {param.shape}) appears twice: "
                    "a parameter may belong to one group only"
                )
            seen.add(id(param))
        unknown = set(group) - set(self.defaults) - {"params"}
        if unknown:
            raise ValueError(f"{type(self).__name__}: unknown hyperparameters {sorted(unknown)}")
        full = {**self.defaults, **group, "params": params}
        for flag in FLAGS:
            if flag in full and not isinstance(full[flag], bool | np.bool_):
                raise ValueError(f"{type(self).__name__}: {flag} must be True or False, got "
                                 f"{full[flag]!r}")
        self._check_group(full)
        self.param_groups.append(full)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Raise ValueError for hyperparameters out of range (each subclass)."""

    @property
    def requires_closure(self) -> bool:
        """Whether ``step`` needs a closure (``step_kind`` is not "gradient")."""
        return self.step_kind != "gradient"

    def group_of(self, param: Tensor) -> dict[str, Any]:
        """The parameter group that holds ``param``."""
        for group in self.param_groups:
            if any(p is param for p in group["params"]):
                return group
        raise KeyError(f"{type(self).__name__}: a parameter of shape {param.shape} is not "
                       "optimized by it")

    def prox_rate(self, param: Tensor) -> float | np.ndarray:
        """The step size η of the last step for ``param`` (a number or one per weight), so
        that a proximal step (the L1 soft-threshold, threshold η λ) matches the step taken.

        Plain gradient methods took w ← w − η g: η is the group's ``lr``. Methods that scale
        each weight's gradient (Adam, RMSprop, Adagrad, adaptive gains, vSGD) override this
        with their per-weight rate. Methods without such a rate (rprop, the full-batch
        methods) record, after each step, the step length along steepest descent,
        η = max(0, −⟨Δw, g⟩ / ⟨g, g⟩) over all weights, which is ``lr`` for plain gradient
        descent (see :meth:`_record_descent_rate`).
        """
        if "descent_rate" in self.global_state or not self.has_lr:
            return float(self.global_state.get("descent_rate", 0.0))
        try:
            return float(self.group_of(param)["lr"])
        except KeyError:  # not optimized here: it did not move
            return 0.0

    def _record_descent_rate(self, change: float, gradient_square: float) -> None:
        """Store η = max(0, −⟨Δw, g⟩ / ⟨g, g⟩) from −⟨Δw, g⟩ (``change``) and ⟨g, g⟩."""
        self.global_state["descent_rate"] = (max(change, 0.0) / gradient_square
                                             if gradient_square > 0 else 0.0)

    def clear_state(self) -> None:
        """Forget what the steps have accumulated (momentum, averages, step sizes,
        curvature pairs): the next step is taken as the first. The Trainer calls it when
        training diverged, since that state was built by the steps that diverged."""
        self.state.clear()
        self.global_state.clear()

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of every parameter: ``grad = None`` (PyTorch's default), or
        with ``set_to_none=False`` fill each existing gradient with zeros in place, as
        ``torch.optim.Optimizer.zero_grad`` (a parameter without one keeps None). A zero
        gradient is still a gradient: the next ``step`` updates that parameter's state
        (Adam counts the step, momentum decays) where a None gradient skips it."""
        if not set_to_none:
            zero_grads((p for group in self.param_groups for p in group["params"]), False)
            return
        for group in self.param_groups:  # every step: the plain loop, without a generator
            for param in group["params"]:
                param.grad = None

    def step(self, closure: Closure | None = None) -> Any:
        raise NotImplementedError

    def gradients(self, l2: bool = True) -> Iterator[tuple[dict[str, Any], Tensor, np.ndarray]]:
        """(group, parameter, gradient) for every parameter that has a gradient; with a
        group ``weight_decay`` λ (and ``l2``) the gradient is ∂E/∂w + λ w, a new array.

        A group with ``maximize=True`` ascends E, as ``torch.optim``: its gradient is
        -∂E/∂w (+ λ w, so that the penalty still shrinks the weights), a new array.

        A parameter without a gradient is skipped, as in ``torch.optim``: one frozen with
        ``requires_grad = False`` (it neither moves nor gets state; unfrozen, it trains
        again) or not reached by the loss. What decides is the gradient, not
        ``requires_grad``: a frozen parameter that still holds a gradient takes a step on it,
        as in PyTorch (``zero_grad`` clears it).

        A step in which none of the parameters has a gradient warns: the usual cause is a
        model built again after its optimizer, whose parameters are not the model's, or
        every parameter frozen."""
        found = False
        for group in self.param_groups:
            decay = group.get("weight_decay", 0.0) if l2 else 0.0
            maximize = group.get("maximize", False)
            for param in group["params"]:
                if param.grad is None:
                    continue
                found = True
                grad = -param.grad if maximize else param.grad
                yield group, param, grad + decay * param.data if decay else grad
        if not found:
            frozen = not any(p.requires_grad for g in self.param_groups for p in g["params"])
            warnings.warn(f"{type(self).__name__}.step: none of its parameters has a gradient, "
                          "so nothing moved; " + (
                              "all of them are frozen (requires_grad=False): unfreeze the "
                              "ones to train" if frozen else
                              "was the model built again after the optimizer? Build the "
                              "optimizer from the parameters of the model you train"),
                          RuntimeWarning, stacklevel=user_stacklevel())

    def _required_closure(self, closure: Closure | None) -> Closure:
        """``closure``, which a full-batch method cannot step without."""
        if closure is None:
            raise RuntimeError(
                f"{type(self).__name__} is a full-batch method: call step(closure) with a "
                "closure that zeroes the gradients, computes the loss, calls backward() and "
                "returns the loss"
            )
        return closure

    def _evaluate(self, closure: Closure | None) -> Any:
        """Run the closure, if any, with recording on; full-batch methods demand one."""
        if closure is None and not self.requires_closure:
            return None
        closure = self._required_closure(closure)
        from retroprop.tensor.grad_mode import enable_grad

        with enable_grad():
            return closure()

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        """The complete state: hyperparameters (``param_groups``), per-parameter state
        (parameters numbered in group order), ``global_state`` and the parameters' shapes.
        A copy: loading it into a fresh optimizer of the same model continues exactly."""
        index = {id(p): i for i, p in enumerate(p for g in self.param_groups for p in g["params"])}
        groups = [{**{k: v for k, v in g.items() if k != "params"},
                   "params": [index[id(p)] for p in g["params"]]} for g in self.param_groups]
        state = {index[id(p)]: copy.deepcopy(s) for p, s in self.state.items() if id(p) in index}
        shapes = [list(p.shape) for g in self.param_groups for p in g["params"]]
        return {"state": state, "param_groups": groups, "shapes": shapes,
                "global_state": copy.deepcopy(self.global_state)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict`` saved; the parameters must have the same shapes.
        The saved hyperparameters replace this optimizer's, as in PyTorch; one that the
        saved groups lack (a state written before the flag existed, such as ``amsgrad``
        or ``maximize``) keeps this optimizer's value."""
        name = type(self).__name__
        if not isinstance(state_dict, dict) or not {"param_groups", "state"} <= set(state_dict):
            held = sorted(map(str, state_dict)) if isinstance(state_dict, dict) else \
                type(state_dict).__name__
            raise ValueError(f"{name}.load_state_dict: expected an optimizer's state_dict() "
                             f"(with 'param_groups' and 'state'), got {held} (a schedule's "
                             "state goes to the schedule's load_state_dict)")
        groups = state_dict["param_groups"]
        # A state file (rp.save) does not name the class, as a model file does: settings
        # this optimizer does not have mean another optimizer saved the state. Settings
        # the saved groups lack keep this optimizer's values (a state saved before a
        # setting was added, as amsgrad=False or maximize=False).
        foreign = sorted({key for saved in groups for key in saved}
                         - set(self.defaults) - GROUP_BOOKKEEPING)
        if foreign:
            missing = sorted({key for key in self.defaults for saved in groups
                              if key not in saved})
            raise ValueError(
                f"{name}.load_state_dict: the saved parameter groups hold settings {foreign} "
                f"that {name} does not have"
                + (f" and lack its settings {missing}" if missing else "")
                + ": the state was saved by another optimizer; create the optimizer of the "
                "class that was saved")
        if len(groups) != len(self.param_groups) or any(
            len(saved["params"]) != len(own["params"])
            for saved, own in zip(groups, self.param_groups, strict=True)
        ):
            raise ValueError(
                f"{name}.load_state_dict: the saved state has groups of sizes "
                f"{[len(g['params']) for g in groups]}, this optimizer "
                f"{[len(g['params']) for g in self.param_groups]}: it comes from a different model"
            )
        params = [p for g in self.param_groups for p in g["params"]]
        shapes = state_dict.get("shapes")
        if shapes is not None and [tuple(s) for s in shapes] != [p.shape for p in params]:
            raise ValueError(
                f"{name}.load_state_dict: the saved state is for parameters of shapes "
                f"{[tuple(s) for s in shapes]}, this optimizer has {[p.shape for p in params]}: "
                "it comes from a different model")
        new_state: dict[Tensor, dict[str, Any]] = {}
        for key, saved in state_dict["state"].items():
            if not 0 <= int(key) < len(params):
                raise ValueError(f"{name}.load_state_dict: state for parameter {key}, but this "
                                 f"optimizer has {len(params)} parameters")
            param = params[int(key)]
            for buffer_name, value in saved.items() if shapes is None else ():
                if isinstance(value, np.ndarray) and value.shape not in ((), param.shape):
                    raise ValueError(
                        f"{name}.load_state_dict: state '{buffer_name}' of parameter {key} has "
                        f"shape {value.shape}, the parameter {param.shape}: it comes from a "
                        "different model"
                    )
            new_state[param] = self._loaded_state(param, saved)
        self.state = new_state
        self.global_state = copy.deepcopy(dict(state_dict.get("global_state", {})))
        for own, saved in zip(self.param_groups, groups, strict=True):
            own.update({k: v for k, v in saved.items() if k != "params"})

    def _loaded_state(self, param: Tensor, saved: dict[str, Any]) -> dict[str, Any]:
        """A copy of a parameter's saved state, its floating-point buffers of the
        parameter's shape in the parameter's dtype, as PyTorch casts them: a state saved by
        a float32 run continues a float64 model in float64 (and keeps float32 in float32)."""
        return {key: value.astype(param.dtype)
                if isinstance(value, np.ndarray) and value.dtype.kind == "f"
                and value.shape == param.shape else copy.deepcopy(value)
                for key, value in saved.items()}

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            settings = ", ".join(f"{k}={v}" for k, v in group.items() if k != "params")
            lines.append(f"  group {i}: {len(group['params'])} parameters, {settings}")
        return "\n".join([*lines, ")"])


def _counting_writes(step: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an optimizer's ``step`` so that it counts its writes to the parameters that
    have a gradient (their ``_version``; the others did not move): a graph built before
    the step then refuses to backpropagate through the old values (see
    ``retroprop.tensor.tensor``)."""

    @functools.wraps(step)
    def wrapper(self: Optimizer, *args: Any, **kwargs: Any) -> Any:
        try:
            return step(self, *args, **kwargs)
        finally:
            for group in self.param_groups:
                for param in group["params"]:
                    if param.grad is not None:
                        param._version += 1

    return wrapper
