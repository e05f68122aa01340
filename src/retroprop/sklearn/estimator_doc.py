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
    learning_rate_init : float, default 1e-3
        Learning rate of the solvers that have one (not of the full-batch ones, nor vSGD).
    max_iter : int, default 200
        Maximum number of epochs.
    shuffle : bool, default True
        Shuffle the examples every epoch.
    random_state : int, RandomState or None
        Seeds the initialization, the shuffles, dropout and the validation split.
    tol : float, default 1e-4
    n_iter_no_change : int, default 10
        Stop when the training loss (or, with ``early_stopping``, the validation score)
        has not improved by ``tol`` for more than ``n_iter_no_change`` epochs.
    verbose : bool, default False
        Print the loss after every epoch.
    warm_start : bool, default False
        Continue from the fitted network, optimizer state and random stream: k fits with
        ``max_iter=1`` equal one fit with ``max_iter=k``, bit for bit. The parameters that
        shape the network (``hidden_layer_sizes``, ``activation``, ``dropout``,
        ``batch_norm``, ``loss``) cannot change between such fits (nor before
        ``partial_fit``): a ValueError says which changed. A changed ``solver`` gets a new
        optimizer; a changed ``learning_rate_init``, ``momentum`` or
        ``nesterovs_momentum`` is set in the kept one (its state stays).
    momentum : float, default 0.9
        Momentum of "sgd".
    nesterovs_momentum : bool, default True
        Nesterov's momentum for "sgd".
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the training data (stratified for classes), stop
        when its score stalls and keep the best weights. ``partial_fit`` refuses it, as
        scikit-learn's MLP does.
    validation_fraction : float, default 0.1
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
        "cross_entropy", "squared_error", "binary_cross_entropy", or for a regressor
        "absolute_error" (``"l1"``) and "huber" (δ = 1); a loss module such as
        ``rp.nn.MSELoss()`` (used per example; a ``CrossEntropyLoss`` with class weights
        keeps its weighted mean, Σ c_{t_i} ℓ_i / Σ c_{t_i}; an element-wise loss such as
        ``HuberLoss(delta=0.5)`` compares a classifier's outputs with one-hot labels;
        ``NLLLoss`` and ``BCELoss`` are refused: the network outputs logits); or
        ``f(outputs, target) -> Tensor`` of one loss per example, shape (n,), where
        ``target`` is an array (n, 1) of class indices for a classifier, (n, n_labels) for
        multilabel targets, (n, n_targets) for a regressor."""
