"""The parameters the two estimators share, documented once (numpydoc)."""

PARAMETERS = """    hidden_layer_sizes : tuple of int, default (100,)
        Units of each hidden layer.
    activation : {"identity", "logistic", "tanh", "relu"} or a retroprop name, default "relu"
        Hidden activation ("sigmoid", "leaky_relu", "elu", "lecun_tanh", ... also work).
    solver : str, default "adam"
        Any optimizer of ``rp.optim`` by name: "sgd" (with ``momentum`` and
        ``nesterovs_momentum``), "adam", "rmsprop", "adagrad", "adaptive_gains", "rprop",
        "vsgd", or the full-batch "lbfgs", "cg", "newton", "levenberg_marquardt" (these
        use their own step sizes and the whole training set in every step).
    alpha : float, default 1e-4
        L2 penalty: adds (alpha / 2n) Σ w² to the mean loss (n: the sum of the
        sample weights), as scikit-learn does on a
        full batch (Berzal, "Backpropagation": weight decay).
    batch_size : int or "auto", default "auto"
        Mini-batch size; "auto" is min(200, n_samples). Ignored by full-batch solvers.
        With ``batch_norm``, a size that would end each epoch with a batch of one example
        (which batch statistics cannot normalize) grows to the next size that does not,
        so that this example joins the other batches (201 examples at 200: one batch of
        201; 33 at 16: batches of 17 and 16).
    learning_rate : {"constant", "invscaling", "adaptive"}, default "constant"
        The learning-rate schedule of "sgd" (the other solvers ignore it, as in
        scikit-learn), with scikit-learn's rules: "constant" keeps ``learning_rate_init``;
        "invscaling" sets η = learning_rate_init / (t_ + 1)^power_t after each epoch
        (t_: the training examples seen, so the first epoch runs at learning_rate_init);
        "adaptive" divides η by 5 each time the stopping rule of ``tol`` and
        ``n_iter_no_change`` would stop (training loss or, with ``early_stopping``,
        validation score), and stops only when η is already at most 1e-6 (or at
        ``max_iter``). ``partial_fit`` follows the schedule too, counting t_ over all
        calls. The current rate is ``optimizer_.param_groups[0]["lr"]``.
    learning_rate_init : float, default 1e-3
        Learning rate of the solvers that have one (not of the full-batch ones, nor vSGD).
    power_t : float, default 0.5
        Exponent of ``learning_rate="invscaling"``.
    max_iter : int, default 200
        Maximum number of epochs.
    shuffle : bool, default True
        Shuffle the examples every epoch.
    random_state : int, RandomState or None
        Seeds the initialization, the shuffles, dropout and the validation split.
    tol : float, default 1e-4
    n_iter_no_change : int, default 10
        Stop when the training loss (or, with ``early_stopping``, the validation score)
        has not improved by ``tol`` for more than ``n_iter_no_change`` epochs (with
        ``learning_rate="adaptive"``, divide the rate by 5 instead).
    verbose : bool, default False
        Print the loss after every epoch, with ``early_stopping`` the validation score,
        and why the rate is divided or the fit stops, in scikit-learn's words.
    warm_start : bool, default False
        Continue from the fitted network, optimizer state and random stream: k fits with
        ``max_iter=1`` equal one fit with ``max_iter=k``, bit for bit. The parameters that
        shape the network (``hidden_layer_sizes``, ``activation``, ``dropout``,
        ``batch_norm``, ``loss``) cannot change between such fits (nor before
        ``partial_fit``): a ValueError says which changed. A changed ``solver`` gets a new
        optimizer; a changed ``learning_rate_init``, ``learning_rate`` (which restarts the
        schedule at ``learning_rate_init``), ``momentum``, ``nesterovs_momentum``,
        ``beta_1``, ``beta_2`` or ``epsilon`` is set in the kept one (its state stays).
        The schedules continue too: an "adaptive" rate stays divided and "invscaling"
        counts t_ on, where each ``fit`` of scikit-learn's MLP starts a new optimizer at
        ``learning_rate_init`` (its ``partial_fit`` continues, as here).
    momentum : float, default 0.9
        Momentum of "sgd".
    nesterovs_momentum : bool, default True
        Nesterov's momentum for "sgd".
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the training data (stratified for classes), stop
        when its score stalls and keep the best weights. ``partial_fit`` refuses it, and
        ``solver="lbfgs"`` ignores it (training on all the data), as scikit-learn's MLP
        does; the other full-batch solvers use it.
    validation_fraction : float, default 0.1
    beta_1, beta_2 : float in [0, 1), default 0.9 and 0.999
        Decay rates of Adam's moving averages of the gradient and of its square, for the
        Adam solvers ("adam", "adamw"; ``betas`` of ``rp.optim.Adam``); the others ignore
        them.
    epsilon : float, default 1e-8
        Adam's ε (``eps`` of ``rp.optim.Adam``). retroprop adds it, as PyTorch and Kingma
        and Ba's algorithm do, to the bias-corrected √v̂; scikit-learn adds it to √v
        before the correction, which acts as ε / √(1 − β2ᵗ) here: the same steps once
        β2ᵗ is small, slightly smaller ones in the first steps where √v̂ is near ε.
    max_fun : int, default 15000
        Most loss evaluations (each with its gradient) of one fit with "lbfgs" (the other
        solvers ignore it): each epoch's L-BFGS step gets at most the evaluations left,
        and the fit stops with a ConvergenceWarning when fewer than two are left (so
        ``max_fun=1`` evaluates twice, as scikit-learn's; its SciPy L-BFGS-B may also
        make one evaluation more than ``max_fun``). ``partial_fit`` and each fit of a
        warm start get ``max_fun`` evaluations of their own.
    dropout : float, default 0
        Drop probability after each hidden activation (PyTorch's p; the lecture's P is the
        probability of keeping).
    batch_norm : bool, default False
        Batch normalization before each hidden activation.
    init : str or callable, optional
        Initializer of the weights (``rp.init`` names); He normal for ReLU-like
        activations, Glorot uniform otherwise.
    max_norm : float, optional
        Max-norm constraint on each unit's incoming weights.
    l1 : float, default 0
        L1 penalty, by proximal steps.
    loss : str, loss module or callable, optional
        By default scikit-learn's: "squared_error" for a regressor, ℓ_i = ½ Σ_j (y_ij −
        t_ij)² (the lectures' E per example, half of PyTorch's ``MSELoss`` for one output),
        and "log_loss" for a classifier, the cross-entropy of the label or, for multilabel
        targets, the sum over the labels of their binary cross-entropies. Other names:
        "cross_entropy", "mse" (PyTorch's mean over the outputs of (y − t)²),
        "binary_cross_entropy" (the mean over the outputs), or for a regressor
        "absolute_error" (``"l1"``), "huber" (δ = 1) and scikit-learn's "poisson" (half
        the Poisson deviance of counts y >= 0 with the log link: the outputs are
        z = log μ, ``predict`` gives μ = e^z); a loss module such as
        ``rp.nn.MSELoss()`` (used per example; a ``CrossEntropyLoss`` with class weights
        keeps its weighted mean, Σ c_{t_i} ℓ_i / Σ c_{t_i}; an element-wise loss such as
        ``HuberLoss(delta=0.5)`` compares a classifier's outputs with one-hot labels;
        ``NLLLoss`` and ``BCELoss`` are refused: the network outputs logits); or
        ``f(outputs, target) -> Tensor`` of one loss per example, shape (n,), where
        ``target`` is an array (n, 1) of class indices for a classifier, (n, n_labels) for
        multilabel targets, (n, n_targets) for a regressor."""
