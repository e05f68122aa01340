"""The ``Module`` methods a PyTorch user reaches for first, each against PyTorch's behaviour
on the same structure: traversal (``buffers``, ``named_parameters(prefix, recurse,
remove_duplicate)``), ``requires_grad_``, ``float``/``double``, ``add_module``,
``get_submodule``, and the forward hooks."""

import copy

import numpy as np
import pytest
import torch
from sklearn.base import clone

import retroprop as rp
from retroprop import nn
from retroprop.nn.module import applies


def pair():
    """The same nested structure in retroprop and in PyTorch, with PyTorch's weights."""
    ours = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.BatchNorm1d(3)),
                         nn.Linear(3, 1))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sequential(
        torch.nn.ReLU(), torch.nn.BatchNorm1d(3)), torch.nn.Linear(3, 1))
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def names(pairs):
    return [name for name, _ in pairs]


# ---------------------------------------------------------------------- traversal
@pytest.mark.parametrize("method", ["named_modules", "named_children", "named_parameters",
                                    "named_buffers"])
def test_names_equal_torchs(method):
    ours, theirs = pair()
    assert names(getattr(ours, method)()) == names(getattr(theirs, method)())


@pytest.mark.parametrize("prefix", ["", "net"])
@pytest.mark.parametrize("recurse", [True, False])
@pytest.mark.parametrize("method", ["named_parameters", "named_buffers"])
def test_prefix_and_recurse_as_torch(method, prefix, recurse):
    ours, theirs = pair()
    for a, b in ((ours, theirs), (ours[1][1], theirs[1][1])):
        assert names(getattr(a, method)(prefix, recurse)) == \
            names(getattr(b, method)(prefix=prefix, recurse=recurse))


def test_remove_duplicate_as_torch():
    ours_shared, theirs_shared = nn.Linear(3, 3), torch.nn.Linear(3, 3)
    ours = nn.Sequential(ours_shared, nn.BatchNorm1d(3), nn.ReLU(), ours_shared)
    theirs = torch.nn.Sequential(theirs_shared, torch.nn.BatchNorm1d(3), torch.nn.ReLU(),
                                 theirs_shared)
    for flag in (True, False):
        assert names(ours.named_parameters(remove_duplicate=flag)) == \
            names(theirs.named_parameters(remove_duplicate=flag))
        assert names(ours.named_modules(remove_duplicate=flag)) == \
            names(theirs.named_modules(remove_duplicate=flag))
    assert len(list(ours.parameters())) == len(list(theirs.parameters())) == 4
    # state_dict keeps its keys (a shared module once), which load_state_dict takes back
    ours.load_state_dict(ours.state_dict())


def test_buffers_and_parameters_recurse():
    ours, theirs = pair()
    assert [b.shape for b in ours.buffers()] == [tuple(b.shape) for b in theirs.buffers()]
    assert all(a is b for a, (_, b) in zip(ours.buffers(), ours.named_buffers(), strict=True))
    assert list(ours.buffers(recurse=False)) == list(ours.parameters(recurse=False)) == []
    assert [p is q for p, q in zip(ours[0].parameters(recurse=False),
                                   (ours[0].weight, ours[0].bias), strict=True)] == [True] * 2
    np.testing.assert_array_equal(next(iter(ours[1][1].buffers())),
                                  theirs[1][1].running_mean.numpy())


# ---------------------------------------------------------------------- dtype, freezing
@pytest.mark.parametrize(("method", "dtype"), [("double", np.float64), ("float", np.float32)])
def test_float_and_double(method, dtype):
    model, _ = pair()
    model.to(np.float32 if dtype == np.float64 else np.float64)
    assert getattr(model, method)() is model
    assert {p.dtype for p in model.parameters()} == {np.dtype(dtype)}
    assert model[1][1].running_mean.dtype == dtype
    assert model[1][1].num_batches_tracked.dtype == np.int64  # not a float: kept, as torch
    assert model(np.ones((2, 2))).dtype == dtype
    assert model.cpu() is model and model[0].weight.dtype == dtype  # as to("cpu")


def test_requires_grad_sets_every_flag_and_returns_self():
    model, theirs = pair()
    assert model[1].requires_grad_(False) is model[1]
    assert theirs[1].requires_grad_(False) is theirs[1]
    assert [(n, p.requires_grad) for n, p in model.named_parameters()] == \
        [(n, p.requires_grad) for n, p in theirs.named_parameters()]
    model.requires_grad_()
    assert all(p.requires_grad for p in model.parameters())
    with pytest.raises(TypeError, match="requires_grad must be True or False, got 'no'"):
        model.requires_grad_("no")


OPTIMIZERS = [(rp.optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=1e-3)),
              (rp.optim.Adam, dict(lr=0.01, weight_decay=1e-3)),
              (rp.optim.RMSprop, dict(lr=0.01)),
              (rp.optim.Rprop, {}),
              (rp.optim.LBFGS, dict(max_iter=3))]


@pytest.mark.parametrize(("optimizer", "options"), OPTIMIZERS,
                         ids=[o.__name__ for o, _ in OPTIMIZERS])
@pytest.mark.parametrize("frozen", ["after_the_optimizer", "before_all_given",
                                    "before_trainable_given"])
def test_frozen_layers_do_not_move_under_fit(digits_flat, optimizer, options, frozen):
    X, y = digits_flat
    X, y = X[:200], y[:200]
    model = nn.Sequential(nn.Linear(64, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 10))
    if frozen == "after_the_optimizer":  # the optimizer holds them; frozen, no gradient
        opt = optimizer(model.parameters(), **options)
        model[:2].requires_grad_(False)  # a slice shares the layers
    else:  # the transfer-learning way: the optimizer gets every parameter, as in
        # PyTorch (it skips the frozen ones), or only the trainable ones
        model[:2].requires_grad_(False)
        opt = optimizer(model.parameters() if frozen == "before_all_given" else
                        [p for p in model.parameters() if p.requires_grad], **options)
    before = model.state_dict()
    rp.Trainer(model, nn.CrossEntropyLoss(), opt).fit(
        X, y, epochs=2, batch_size=None if opt.full_batch else 50, verbose=0)
    after = model.state_dict()
    for name in before:
        moved = not np.array_equal(before[name], after[name])
        assert moved == name.startswith("3."), name


# ---------------------------------------------------------------------- add_module, get_*
def test_add_module_as_torch():
    ours, theirs = nn.Sequential(nn.Linear(2, 2)), torch.nn.Sequential(torch.nn.Linear(2, 2))
    for model, relu in ((ours, nn.ReLU()), (theirs, torch.nn.ReLU())):
        assert model.add_module("act", relu) is None
        model[0].register_module("empty", None)  # an empty slot
        assert model.act is relu and model[0].empty is None
    assert names(ours.named_children()) == names(theirs.named_children()) == ["0", "act"]
    assert names(ours.named_modules()) == names(theirs.named_modules())
    assert ours(np.array([[-5.0, -5.0]])).data.min() >= 0  # Sequential runs the new layer


@pytest.mark.parametrize(("name", "module", "error", "message"), [
    ("a.b", nn.ReLU(), KeyError, "'a.b' must be a non-empty string without dots"),
    ("", nn.ReLU(), KeyError, "'' must be a non-empty string without dots"),
    ("x", 3, TypeError, r"a Module \(or None\) expected, got 3 \(int\)"),
    (3, nn.ReLU(), TypeError, r"the name must be a string, got 3 \(int\)"),
    ("training", nn.ReLU(), KeyError, "attribute 'training' already exists"),
    ("weight", nn.ReLU(), KeyError, "attribute 'weight' already exists"),
])
def test_add_module_refuses(name, module, error, message):
    layer = nn.Linear(2, 2)
    with pytest.raises(error, match=message):
        layer.add_module(name, module)
    # torch refuses the same with the same exception type
    with pytest.raises(error):
        torch.nn.Linear(2, 2).add_module(name, module if isinstance(module, int)
                                         else torch.nn.ReLU())


def with_buffer(library):
    layer = library.Linear(2, 2)
    layer.register_buffer("stat", np.zeros(2, np.float32) if library is nn else torch.zeros(2))
    return layer


@pytest.mark.parametrize(("method", "name", "error", "message"), [
    ("register_buffer", "weight", KeyError, "attribute 'weight' already exists .*not a buffer"),
    ("register_buffer", "bias", KeyError, "attribute 'bias' already exists"),
    ("register_buffer", "a.b", KeyError, "'a.b' must be a non-empty string without dots"),
    ("register_buffer", 3, TypeError, r"the name must be a string, got 3 \(int\)"),
    ("register_parameter", "stat", KeyError, "attribute 'stat' already exists .*not a param"),
    ("register_parameter", "training", KeyError, "attribute 'training' already exists"),
    ("register_parameter", "", KeyError, "'' must be a non-empty string without dots"),
])
def test_register_refuses_a_name_taken_by_another_kind(method, name, error, message):
    """A buffer registered over a parameter's name (or the reverse) was in both registries:
    state_dict kept one value under the name, and rp.save lost the other."""
    ours, theirs = with_buffer(nn), with_buffer(torch.nn)
    value = {"register_buffer": (np.ones(2, np.float32), torch.ones(2)),
             "register_parameter": (nn.Parameter(np.ones(2, np.float32)),
                                    torch.nn.Parameter(torch.ones(2)))}[method]
    with pytest.raises(error, match=message):
        getattr(ours, method)(name, value[0])
    with pytest.raises(error):  # as torch
        getattr(theirs, method)(name, value[1])
    assert sorted(ours.state_dict()) == ["bias", "stat", "weight"]


def test_register_refuses_values_of_the_wrong_kind():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"register_parameter\('w'\): a Parameter \(or None\) "
                                        r"expected, got a ndarray of shape \(3,\)"):
        layer.register_parameter("w", np.ones(3))
    with pytest.raises(TypeError):  # as torch
        torch.nn.Linear(2, 2).register_parameter("w", torch.ones(3))
    with pytest.raises(TypeError, match=r"register_buffer\('b'\): a NumPy array \(or None\) "
                                        r"expected, got a Tensor of shape \(3,\): pass its "
                                        r"array, tensor.numpy\(\)"):
        layer.register_buffer("b", rp.zeros(3))  # it broke .to(np.float64) later
    with pytest.raises(TypeError, match=r"cannot assign a Parameter of shape .* to buffer 'stat' "
                                        r".*PyTorch would replace the buffer; here del it first"):
        with_buffer(nn).stat = nn.Parameter(np.ones(2))
    assert list(layer.state_dict()) == ["weight", "bias"]


@pytest.mark.parametrize("call", ["get_submodule", "get_parameter", "get_buffer"])
def test_get_refuses_a_target_not_a_string(call):
    with pytest.raises(TypeError, match=rf"{call}: target must be a dotted name such as "
                                        r"'.*', got 0 \(int\)"):
        getattr(nn.Linear(2, 2), call)(0)


def test_get_submodule_parameter_buffer_as_torch():
    ours, theirs = pair()
    ours_modules, their_modules = dict(ours.named_modules()), dict(theirs.named_modules())
    for name in their_modules:
        assert ours.get_submodule(name) is ours_modules[name]
        assert type(ours.get_submodule(name)).__name__ == type(their_modules[name]).__name__
    for name, param in ours.named_parameters():
        assert ours.get_parameter(name) is param
        assert theirs.get_parameter(name).shape == param.shape
    for name, array in ours.named_buffers():
        assert ours.get_buffer(name) is array


@pytest.mark.parametrize(("call", "target", "message"), [
    ("get_submodule", "1.5", r"Sequential has no attribute `5` \(get_submodule\('1.5'\)\)"),
    ("get_submodule", "1.1.x", "BatchNorm1d has no attribute `x`"),
    ("get_submodule", "0.weight", "`weight` is not a Module, but a Parameter"),
    ("get_submodule", "1.0.training", "`training` is not a Module, but a bool"),
    ("get_parameter", "1.1.running_mean", "`running_mean` is not a parameter of BatchNorm1d"),
    ("get_parameter", "7.weight", "Sequential has no attribute `7`"),
    ("get_buffer", "0.weight", "`weight` is not a buffer of Linear"),
])
def test_get_missing_names_the_part(call, target, message):
    ours, theirs = pair()
    with pytest.raises(AttributeError, match=message):
        getattr(ours, call)(target)
    with pytest.raises(AttributeError):  # as torch
        getattr(theirs, call)(target)


# ---------------------------------------------------------------------- hooks
def record(model, log):
    """A pre-hook and a forward hook on every module, appending (kind, name)."""
    handles = []
    for name, module in model.named_modules():
        handles.append(module.register_forward_pre_hook(
            lambda m, args, name=name: log.append(("pre", name))))
        handles.append(module.register_forward_hook(
            lambda m, args, out, name=name: log.append(("post", name))))
    return handles


@pytest.mark.parametrize("evaluation", [False, True])
def test_hooks_fire_in_torchs_order(evaluation):
    ours, theirs = pair()
    ours_log, their_log = [], []
    record(ours, ours_log)
    record(theirs, their_log)
    ours.train(not evaluation)
    theirs.train(not evaluation)
    x = np.random.default_rng(0).normal(size=(4, 2)).astype(np.float32)
    with rp.no_grad(), torch.no_grad():  # in evaluation: the array path would pass over them
        out, expected = ours(x), theirs(torch.from_numpy(x))
    assert ours_log == their_log
    assert len(ours_log) == 2 * len(list(ours.modules()))
    np.testing.assert_allclose(out.data, expected.numpy(), rtol=1e-5, atol=1e-6)


def test_hooks_see_what_torchs_see_under_no_grad_in_evaluation():
    ours, theirs = pair()
    ours.eval()
    theirs.eval()
    seen = {}
    ours[1][0].register_forward_hook(lambda m, args, out: seen.setdefault("ours", out.data))
    theirs[1][0].register_forward_hook(lambda m, args, out: seen.setdefault("theirs", out))
    x = np.random.default_rng(1).normal(size=(5, 2)).astype(np.float32)
    with rp.no_grad(), torch.no_grad():
        ours(x), theirs(torch.from_numpy(x))
    np.testing.assert_allclose(seen["ours"], seen["theirs"].numpy(), rtol=1e-5, atol=1e-6)


def test_pre_hook_and_forward_hook_results_replace_args_and_output():
    x = np.array([[1.0, -2.0, 3.0]], np.float32)
    results = []
    for lib, t in ((nn, rp.Tensor), (torch.nn, torch.tensor)):
        relu = lib.ReLU()
        relu.register_forward_pre_hook(lambda m, args: -args[0])  # not a tuple: the only arg
        results.append(relu(t(x)))
        relu.register_forward_pre_hook(lambda m, args: (args[0] * 10,))  # a tuple: the args
        results.append(relu(t(x)))
        relu.register_forward_hook(lambda m, args, out: out + 1)
        relu.register_forward_hook(lambda m, args, out: out * 2)  # sees the first's output
        relu.register_forward_hook(lambda m, args, out: None)  # None: output kept
        results.append(relu(t(x)))
    ours, theirs = results[:3], results[3:]
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a.data, b.numpy())
    np.testing.assert_array_equal(ours[2].data, [[2, 42, 2]])


def test_forward_hook_gets_the_args_forward_got():
    layer = nn.Linear(2, 1)
    seen = []
    layer.register_forward_pre_hook(lambda m, args: seen.append(type(args[0])))
    layer.register_forward_hook(lambda m, args, out: seen.append((type(args[0]), out)))
    out = layer(np.ones((1, 2)))
    assert seen == [np.ndarray, (rp.Tensor, out)]  # the array input as forward gets it


def prepend_and_kwargs_log(lib):
    log = []
    layer = lib.Identity()
    layer.register_forward_hook(lambda m, a, o: log.append("a"))
    layer.register_forward_hook(lambda m, a, o: log.append("b"))
    layer.register_forward_hook(lambda m, a, o: log.append("c"), prepend=True)
    layer.register_forward_pre_hook(lambda m, a, kw: log.append(sorted(kw)), with_kwargs=True)
    layer.register_forward_hook(lambda m, a, kw, o: log.append(("kw", sorted(kw))),
                                with_kwargs=True)
    layer(1.0)
    return log


def test_hooks_with_kwargs_and_prepend_as_torch():
    assert prepend_and_kwargs_log(nn) == prepend_and_kwargs_log(torch.nn) == \
        [[], "c", "a", "b", ("kw", [])]


def test_pre_hook_with_kwargs_replaces_both_and_refuses_other_results():
    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    layer = Scale()
    handle = layer.register_forward_pre_hook(lambda m, a, kw: ((a[0] + 1,), {"factor": 3.0}),
                                             with_kwargs=True)
    assert layer(rp.Tensor(np.array([1.0]))).data.tolist() == [6.0]
    handle.remove()
    layer.register_forward_pre_hook(lambda m, a, kw: "x", with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"must return None or a tuple of \(new_args, "
                                           r"new_kwargs\), got 'x'"):
        layer(rp.Tensor(np.array([1.0])))


def test_remove_and_context_manager():
    model, _ = pair()
    model.eval()
    calls = []
    handle = model[1][0].register_forward_hook(lambda m, a, o: calls.append(1))
    assert not applies(model[1][0])  # a hooked module is called, not passed over
    with model[0].register_forward_pre_hook(lambda m, a: calls.append(0)) as inner:
        assert isinstance(inner.id, int) and inner.id != handle.id
        model(np.ones((1, 2)))
    assert calls == [0, 1]
    handle.remove()
    handle.remove()  # twice: nothing, as torch
    with rp.no_grad():
        model(np.ones((1, 2)))
    model(np.ones((1, 2)))
    assert calls == [0, 1]
    assert applies(model[1][0])  # the array path is back


def test_a_hook_that_removes_itself_runs_once():
    layer, calls = nn.ReLU(), []
    handles = []

    def once(module, args, out):
        calls.append("once")
        handles[0].remove()

    handles.append(layer.register_forward_hook(once))
    layer.register_forward_hook(lambda m, a, o: calls.append("other"))
    layer(np.ones(2))
    layer(np.ones(2))
    assert calls == ["once", "other", "other"]


def test_hooks_survive_train_and_eval():
    model, _ = pair()
    calls = []
    model[2].register_forward_hook(lambda m, a, o: calls.append(m.training))
    for mode in (True, False, True):
        model.train(mode)
        with rp.no_grad():
            model(np.ones((3, 2)))
    assert calls == [True, False, True]


def test_a_hooked_relu_before_max_pooling_sees_its_own_input_and_output():
    """Sequential runs ReLU after MaxPool2d where it may; a hooked ReLU keeps its place."""
    x = np.random.default_rng(2).normal(size=(1, 1, 4, 4)).astype(np.float32)
    shapes = {}
    for lib, t in ((nn, rp.Tensor), (torch.nn, torch.from_numpy)):
        model = lib.Sequential(lib.ReLU(), lib.MaxPool2d(2))
        model[0].register_forward_hook(
            lambda m, a, o, lib=lib: shapes.update({lib: (tuple(a[0].shape), tuple(o.shape))}))
        out = model(t(x))
        np.testing.assert_array_equal(out.data if lib is nn else out.numpy(),
                                      np.maximum(x, 0).reshape(1, 1, 2, 2, 2, 2).max((3, 5)))
    assert shapes[nn] == shapes[torch.nn] == ((1, 1, 4, 4), (1, 1, 4, 4))


def test_a_hooked_model_saves_and_loads_without_its_hooks(tmp_path):
    model, _ = pair()
    calls = []
    for module in model.modules():
        module.register_forward_hook(lambda m, a, o: calls.append(1))
    x = np.ones((2, 2), np.float32)
    model.eval()
    expected = model(x).data
    rp.save(model, tmp_path / "hooked.rp")
    loaded = rp.load(tmp_path / "hooked.rp")
    calls.clear()
    np.testing.assert_array_equal(loaded(x).data, expected)
    assert calls == []  # hooks are runtime state, not saved
    other, _ = pair()
    other.load_state_dict(model.state_dict())
    assert list(model.state_dict()) == list(other.state_dict())


def test_deepcopy_keeps_hooks_as_torch():
    counts = []
    for lib in (nn, torch.nn):
        calls = []
        layer = lib.Linear(2, 2)
        handle = layer.register_forward_hook(lambda m, a, o, calls=calls: calls.append(m))
        clone = copy.deepcopy(layer)
        handle.remove()  # removes the original's hook only
        x = np.ones((1, 2), np.float32)
        layer(rp.Tensor(x) if lib is nn else torch.from_numpy(x))
        clone(rp.Tensor(x) if lib is nn else torch.from_numpy(x))
        assert calls == [clone]
        counts.append(len(calls))
    assert counts == [1, 1]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fitted_estimator_with_hooks_predicts_and_copies(digits_flat):
    X, y = digits_flat
    est = rp.sklearn.MLPClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    est.fit(X[:100], y[:100])
    calls = []
    est.model_[0].register_forward_hook(lambda m, a, o: calls.append(o.shape))
    expected = est.predict_proba(X[:5])
    assert calls and calls[-1] == (5, 8)
    copied = copy.deepcopy(est)
    np.testing.assert_array_equal(copied.predict_proba(X[:5]), expected)
    # an estimator copies (and pickles) its network as architecture and weights, as
    # rp.save does: the copy has no hooks
    assert len(calls) == 1
    assert not hasattr(clone(est), "model_")


@pytest.mark.parametrize("register", ["register_forward_hook", "register_forward_pre_hook"])
def test_hooks_refuse_non_callables(register):
    with pytest.raises(TypeError, match=r"must be callable, got 3 \(int\)"):
        getattr(nn.ReLU(), register)(3)
    with pytest.raises(TypeError, match="prepend must be True or False, got 'yes'"):
        getattr(nn.ReLU(), register)(print, prepend="yes")


@pytest.mark.parametrize(("name", "value", "kind"), [
    ("weight", np.ones((2, 2)), "parameter"), ("weight", rp.Tensor(np.ones((2, 2))), "parameter"),
    ("act", 3, "sub-module"), ("act", np.ones(2), "sub-module")])
def test_assigning_what_would_unregister_a_parameter_or_module_is_refused(name, value, kind):
    """As PyTorch: a non-Parameter to a parameter, a non-Module to a sub-module."""
    ours, theirs = nn.Linear(2, 2), torch.nn.Linear(2, 2)
    ours.act, theirs.act = nn.ReLU(), torch.nn.ReLU()
    with pytest.raises(TypeError, match=f"cannot assign .* to {kind} '{name}'"):
        setattr(ours, name, value)
    with pytest.raises(TypeError):
        setattr(theirs, name, torch.ones(2, 2) if isinstance(value, rp.Tensor) else value)
    assert [n for n, _ in ours.named_parameters()] == ["weight", "bias"]
    assert [n for n, _ in ours.named_children()] == ["act"]
    ours.weight, ours.act = None, None  # None empties the slot, as torch
    theirs.weight, theirs.act = None, None
    assert names(ours.named_parameters()) == names(theirs.named_parameters()) == ["bias"]
    assert names(ours.named_children()) == names(theirs.named_children()) == []
    for model in (ours, theirs):  # the empty slots stay: the same values are refused
        with pytest.raises(TypeError):
            model.act = 5
    ours.act = nn.Tanh()  # and a module fills it again
    assert names(ours.named_children()) == ["act"]


def test_hooks_inside_layers_with_their_own_array_path_fire_under_no_grad():
    """A linear layer's activation and a residual block's layers are reached through their
    owner's array path in evaluation: a hooked one is called instead, with the same output."""
    model = nn.Sequential(nn.Linear(2, 3, activation="relu"),
                          nn.Residual(nn.Sequential(nn.Linear(3, 3), nn.Tanh()))).eval()
    x = np.random.default_rng(3).normal(size=(4, 2)).astype(np.float32)
    with rp.no_grad():
        expected = model(x).data
    seen = []
    model[0].activation.register_forward_hook(lambda m, a, o: seen.append("relu"))
    model[1].module[1].register_forward_hook(lambda m, a, o: seen.append("tanh"))
    for _ in range(2):  # the second call replays the inference plan
        with rp.no_grad():
            np.testing.assert_array_equal(model(x).data, expected)
    assert seen == ["relu", "tanh"] * 2


def test_hooks_see_the_trainers_batches_only():
    """fit and evaluate looked at one example's outputs first (to check the labels against
    them), which the hooks saw as a call of one row; after fit they still fire, also in
    evaluation where the array path passes over unhooked modules."""
    X = np.random.default_rng(0).random((40, 3)).astype(np.float32)
    y = np.arange(40) % 2
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    seen = []
    model[1].register_forward_hook(lambda module, args, out: seen.append(
        (len(out.data), module.training)))
    trainer = rp.Trainer(model, nn.CrossEntropyLoss(), rp.optim.SGD(model.parameters(), lr=0.1))
    trainer.fit(X, y, epochs=1, batch_size=20, verbose=0, validation_data=(X[:8], y[:8]),
                class_weight={0: 2.0})
    assert seen == [(20, True), (20, True), (8, False)]
    seen.clear()
    trainer.evaluate(X, y)
    with rp.no_grad():
        model.eval()
        model(X[:5])
    assert seen == [(40, False), (5, False)]
