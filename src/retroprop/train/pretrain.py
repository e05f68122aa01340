"""Greedy layer-wise unsupervised pre-training with (denoising) autoencoders, before the
supervised fine-tuning of the whole network (Berzal, "Backpropagation" (Granada), "En la
práctica: Generalización": "Generative pre-training → Deep Learning", among the ways to
prevent over-fitting; Bengio, Lamblin, Popovici and Larochelle 2007, "Greedy Layer-Wise
Training of Deep Networks"; Vincent, Larochelle, Bengio and Manzagol 2008 and Vincent et
al. 2010, stacked denoising autoencoders).

Hidden layer l, with input codes h_{l-1} (h_0 = x), is trained as the encoder of a
one-hidden-layer autoencoder

    h̃ = h_{l-1} ⊙ m,   m_j ~ Bernoulli(1 - noise)           (masking noise)
    h_l = φ(W_l h̃ + b_l)                                      (the model's own layer)
    r = V_l h_l + c_l                                          (a decoder of its own)

that rebuilds the clean h_{l-1}: with the cross-entropy of σ(r) where h_{l-1} lies in
[0, 1] (pixels in [0, 1], sigmoid units), with the squared error of r elsewhere (tanh,
ReLU units, standardized inputs), as Vincent et al. 2010 do. The decoder (V_l, c_l) is
untied (V_l is not W_lᵀ) and thrown away afterwards; W_l and b_l stay in the model. The
codes h_l of the next layer are computed once, from the trained layer, without noise and
without gradient.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from retroprop.callbacks.base import Callback, check_callbacks
from retroprop.checks import check_count, check_range
from retroprop.nn.container import Sequential
from retroprop.nn.conv import Conv2d
from retroprop.nn.functional import check_finite
from retroprop.nn.linear import Linear
from retroprop.nn.loss import BCEWithLogitsLoss, MSELoss
from retroprop.nn.module import Module, evaluating
from retroprop.nn.parameter import Parameter
from retroprop.optim.adam import Adam
from retroprop.optim.optimizer import Optimizer
from retroprop.random import generator, using_generator
from retroprop.tensor.grad_mode import no_grad
from retroprop.tensor.tensor import Tensor
from retroprop.train.trainer import Trainer

RECONSTRUCTIONS = ("auto", "cross-entropy", "squared")


def _default_optimizer(params: Iterable[Parameter]) -> Optimizer:
    return Adam(params)


def hidden_blocks(model: Module) -> list[slice]:
    """The hidden blocks of a ``Sequential`` MLP, each as a slice of ``model``: a ``Linear``
    and the modules without parameters that follow it (its activation, dropout) up to the
    next ``Linear``. The last ``Linear`` (the output layer) and what follows it are not a
    hidden block; modules before the first ``Linear`` (``Flatten``, input dropout) are the
    prefix that every block's input goes through. An error names the module that a
    fully connected autoencoder cannot pretrain."""
    if not isinstance(model, Sequential):
        raise TypeError(f"pretrain_layerwise: model must be a Sequential MLP (Linear layers "
                        f"and activations), got {type(model).__name__}")
    linears = []
    for index, module in enumerate(model):
        name = f"layer {index} ({type(module).__name__})"
        if isinstance(module, Linear):
            linears.append(index)
        elif isinstance(module, Conv2d):
            raise ValueError(f"pretrain_layerwise: {name} is convolutional; only fully "
                             "connected (Linear) layers are pretrained as autoencoders")
        elif any(True for _ in module.parameters()) or any(True for _ in
                                                           module.named_buffers()):
            raise ValueError(f"pretrain_layerwise: {name} has learned parameters or "
                             "statistics of its own; only Linear layers, with activations "
                             "and dropout between them, can be pretrained")
    if len(linears) < 2:
        raise ValueError(f"pretrain_layerwise: the model has {len(linears)} Linear "
                         f"layer{'s' if len(linears) != 1 else ''}; it needs a hidden layer "
                         "below the output layer to pretrain")
    return [slice(start, end) for start, end in itertools.pairwise(linears)]


def reconstruction_loss(codes: np.ndarray, reconstruction: str, where: str) -> Module:
    """``BCEWithLogitsLoss`` (cross-entropy of σ(r)) or ``MSELoss`` for an autoencoder that
    rebuilds ``codes``; ``"auto"`` chooses the cross-entropy when every code lies in
    [0, 1]."""
    inside = bool(codes.min() >= 0 and codes.max() <= 1)
    if reconstruction == "cross-entropy" and not inside:
        raise ValueError(f"{where}: reconstruction='cross-entropy' needs codes in [0, 1], got "
                         f"values in [{codes.min():.3g}, {codes.max():.3g}]: use "
                         "'squared' (or 'auto')")
    if reconstruction == "squared" or (reconstruction == "auto" and not inside):
        return MSELoss()
    return BCEWithLogitsLoss()


def masking_noise(noise: float) -> Callable[[np.ndarray], np.ndarray] | None:
    """x ⊙ m with m_j ~ Bernoulli(1 - ``noise``) drawn afresh for every batch from the
    library's generator: a fraction ``noise`` of the inputs set to 0, without rescaling
    (Vincent et al. 2008); None for ``noise=0``."""
    if not noise:
        return None
    return lambda batch: batch * (generator().random(batch.shape) >= noise)


def _codes(layers: Sequential, X: np.ndarray) -> np.ndarray:
    """What ``layers`` give for ``X``, in their current mode and without gradient; an
    error unless they are rows of codes (n, features)."""
    with no_grad():
        out = layers(Tensor(X, dtype=X.dtype))
    if not isinstance(out, Tensor) or out.ndim != 2:
        shape = out.shape if isinstance(out, Tensor) else type(out).__name__
        raise ValueError(f"the hidden layers give {shape}, not rows of codes (n, features): "
                         "flatten the inputs (nn.Flatten() first)")
    return out.data


def pretrain_layerwise(model: Sequential, X: Any, epochs: int = 10, noise: float = 0.0,
                       optimizer: Callable[[Iterable[Parameter]], Optimizer] | None = None,
                       batch_size: int | None = 32, reconstruction: str = "auto",
                       callbacks: Sequence[Callback] | None = None, verbose: int = 0,
                       seed: int = 0) -> Sequential:
    """Pretrain the hidden layers of an MLP one after another, each as the encoder of a
    (denoising) autoencoder on the codes of the layers below; the output layer is left as
    it was. Fine-tune the returned model on the labels with :class:`Trainer`.

    Parameters
    ----------
    model : Sequential
        ``Linear`` layers with modules without parameters between them (activations,
        dropout, ``Flatten`` first), as :func:`retroprop.models.mlp` builds.
    X : array, shape (n, ...)
        Unlabelled training inputs (all of them, also those without labels).
    epochs : int, default 10
        Epochs of each layer's autoencoder.
    noise : float in [0, 1), default 0
        Fraction of each autoencoder's inputs set to 0 (masking noise): 0 trains plain
        autoencoders (Bengio et al. 2007), > 0 denoising ones (Vincent et al. 2008).
    optimizer : callable, default ``Adam(params)`` (lr = 0.001)
        ``optimizer(params)`` builds each autoencoder's optimizer, e.g.
        ``lambda p: rp.optim.SGD(p, lr=0.1, momentum=0.9)``.
    batch_size : int or None, default 32
        As in :meth:`Trainer.fit`; None for full-batch optimizers (L-BFGS, rprop).
    reconstruction : {"auto", "cross-entropy", "squared"}
        The reconstruction cost: cross-entropy of σ(r) (``BCEWithLogitsLoss``) or squared
        error of r (``MSELoss``); "auto" takes the cross-entropy for codes in [0, 1].
    callbacks : list of Callback, optional
        Given to every layer's :meth:`Trainer.fit` (whose ``on_train_begin`` marks where a
        layer starts); its logs' ``loss`` is the reconstruction cost.
    verbose : int, default 0
    seed : int, default 0
        The decoders' initialization, the orders and the masks are drawn from
        ``np.random.default_rng(seed)``; the library's generator is left as it was.

    Returns
    -------
    Sequential
        ``model`` itself, with its hidden layers pretrained and every module in the mode
        (training or evaluation) it had.

    Notes
    -----
    Berzal, "Backpropagation" (Granada), "En la práctica: Generalización" ("Generative
    pre-training → Deep Learning"). The decoders are untied: V_l is a weight of its own,
    initialized Glorot uniform, rather than W_lᵀ. A block's dropout and noise layers are
    active while it trains, as in its fine-tuning.

    Examples
    --------
    >>> import numpy as np, retroprop as rp
    >>> X = np.random.default_rng(0).random((60, 8)).astype(np.float32)
    >>> model = rp.models.mlp([8, 6, 4, 3], activation="sigmoid")
    >>> output = model[4].weight.data.copy()
    >>> model = rp.train.pretrain_layerwise(model, X, epochs=2, noise=0.2)
    >>> bool(np.array_equal(model[4].weight.data, output))
    True
    """
    where = "pretrain_layerwise"
    blocks = hidden_blocks(model)
    epochs = check_count(epochs, f"{where}: epochs")
    check_range(noise, f"{where}: noise", 0, 1)
    seed = check_count(seed, f"{where}: seed", 0)
    if batch_size is not None:
        batch_size = check_count(batch_size, f"{where}: batch_size", 1, "or None")
    given = check_callbacks(callbacks, where)  # read once: every layer's fit gets them
    if reconstruction not in RECONSTRUCTIONS:
        raise ValueError(f"{where}: reconstruction must be one of {RECONSTRUCTIONS}, got "
                         f"{reconstruction!r}")
    if optimizer is None:
        optimizer = _default_optimizer
    elif isinstance(optimizer, Optimizer) or not callable(optimizer):
        raise TypeError(f"{where}: optimizer must be a function that builds an optimizer "
                        f"for the parameters it is given (lambda p: rp.optim.SGD(p, "
                        f"lr=0.1)), got {type(optimizer).__name__}: every layer's "
                        "autoencoder needs its own")
    X = np.asarray(X.data if isinstance(X, Tensor) else X)
    if X.dtype.kind not in "biuf" or X.ndim < 2 or len(X) == 0:
        raise ValueError(f"{where}: X must be a non-empty numeric array of examples (n, ...), "
                         f"got shape {X.shape} and dtype {X.dtype}")
    X = np.ascontiguousarray(X, dtype=model.dtype)
    check_finite(X, "X", where)
    with evaluating(model), using_generator(np.random.default_rng(seed)):
        try:  # every block's shapes, before any training
            _codes(model[:blocks[-1].stop], X[:1])
        except ValueError as error:
            raise ValueError(f"{where}: X of shape {X.shape} does not go through the hidden "
                             f"layers: {error}") from None
        codes = _codes(model[:blocks[0].start], X)
        for block in blocks:
            encoder = model[block]
            decoder = Linear(encoder[0].out_features, codes.shape[1], init="glorot_uniform",
                             dtype=model.dtype)
            loss = reconstruction_loss(codes, reconstruction,
                                       f"{where} (layer {block.start})")
            autoencoder = Sequential(*encoder, decoder)
            built = optimizer(autoencoder.parameters())
            if not isinstance(built, Optimizer):
                raise TypeError(f"{where}: optimizer(params) must return an Optimizer, got "
                                f"{type(built).__name__}")
            Trainer(autoencoder, loss, built, metrics=[]).fit(
                codes, codes, epochs=epochs, batch_size=batch_size, callbacks=given,
                verbose=verbose, augment=masking_noise(noise))
            codes = _codes(encoder, codes)
    return model
