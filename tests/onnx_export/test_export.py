"""ONNX export: onnxruntime computes what retroprop computes (float32, within 1e-5)."""

import re
import warnings

import numpy as np
import onnx
import onnxruntime
import pytest

import retroprop as rp
from retroprop import nn
from retroprop.cli import main
from tests.test_model_files_shared import (
    batch_norm,
    conv,
    nested,
    nested_container_twice,
    repeated,
    twice,
)

ACTIVATIONS = [nn.Step(), nn.Sign(), nn.Sigmoid(), nn.Sigmoid(slope=2.5), nn.Tanh(), nn.LeCunTanh(),
               nn.TanhLinear(0.1), nn.ReLU(), nn.LeakyReLU(0.2), nn.ELU(0.7), nn.Identity()]


def run_both(model, path, input_shape, batch=7, seed=1):
    """(onnxruntime's output, retroprop's eval output) on the same random batch."""
    rp.onnx.export(model, path, input_shape)
    x = np.random.default_rng(seed).standard_normal((batch, *input_shape)).astype(np.float32)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (theirs,) = session.run(None, {"input": x})
    return theirs, model.eval()(x).data


def warm_up(model, input_shape):
    """One training pass, so that batch-norm running statistics are not 0 and 1."""
    model.train()(np.random.default_rng(2).standard_normal((32, *input_shape)) * 3 + 1)
    return model


def test_mlp(tmp_path):
    rp.manual_seed(0)
    model = rp.models.mlp([20, 32, 16, 4], activation="tanh", dropout=0.5, input_dropout=0.2)
    theirs, ours = run_both(model, tmp_path / "mlp.onnx", (20,))
    assert theirs.shape == (7, 4)
    np.testing.assert_allclose(theirs, ours, rtol=0, atol=1e-5)
    checked = onnx.load(tmp_path / "mlp.onnx")
    onnx.checker.check_model(checked, full_check=True)
    assert checked.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "N"


@pytest.mark.parametrize("pooling, activation", [("avg", "tanh"), ("max", "relu")])
def test_lenet5(tmp_path, pooling, activation):
    rp.manual_seed(0)
    model = rp.models.lenet5(pooling=pooling, activation=activation)
    theirs, ours = run_both(model, tmp_path / "lenet.onnx", (1, 28, 28))
    np.testing.assert_allclose(theirs, ours, rtol=0, atol=1e-5)


def test_batch_norm_residuals_and_every_activation(tmp_path):
    rp.manual_seed(0)
    layers = [nn.Linear(6, 16), nn.BatchNorm1d(16)]
    for activation in ACTIVATIONS:
        layers.append(nn.Residual(nn.Sequential(nn.Linear(16, 16), nn.BatchNorm1d(16),
                                                activation)))
    layers += [nn.Dropout(0.3), nn.Dropout(0.2, scale="inference"), nn.GaussianNoise(0.1),
               nn.StochasticBinary(), nn.LayerNorm(16), nn.Linear(16, 5, activation="elu"),
               nn.Softmax(), nn.LogSoftmax(dim=1)]
    model = warm_up(nn.Sequential(*layers), (6,))
    theirs, ours = run_both(model, tmp_path / "all.onnx", (6,), batch=64)
    np.testing.assert_allclose(theirs, ours, rtol=0, atol=1e-5)
    ops = {node.op_type for node in onnx.load(tmp_path / "all.onnx").graph.node}
    assert {"Sign", "Sigmoid", "Elu", "PRelu", "BatchNormalization", "LayerNormalization",
            "Softmax", "LogSoftmax", "GreaterOrEqual", "Cast"} <= ops


def test_convnet_with_stride_padding_dilation_groups_and_every_pooling(tmp_path):
    rp.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(2, 4, 3, stride=(2, 1), padding=(1, 2), dilation=(1, 2)), nn.BatchNorm2d(4),
        nn.ELU(), nn.Conv2d(4, 8, 3, padding=1, groups=2, bias=False),
        nn.MaxPool2d(3, stride=2, padding=1), nn.AvgPool2d(2, stride=1, padding=1),
        nn.Residual(nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.ReLU())),
        nn.AdaptiveAvgPool2d((3, 2)), nn.Flatten(), nn.Linear(48, 3), nn.Softmax())
    warm_up(model, (2, 13, 11))
    theirs, ours = run_both(model, tmp_path / "cnn.onnx", (2, 13, 11))
    np.testing.assert_allclose(theirs, ours, rtol=0, atol=1e-5)


def test_flatten_of_later_axes_and_batch_norm_of_sequences(tmp_path):
    model = warm_up(nn.Sequential(nn.Flatten(start_dim=-2), nn.BatchNorm1d(3)), (3, 4, 5))
    theirs, ours = run_both(model, tmp_path / "seq.onnx", (3, 4, 5))
    assert theirs.shape == (7, 3, 20)
    np.testing.assert_allclose(theirs, ours, rtol=0, atol=1e-5)


def test_export_leaves_training_mode_as_it_was(tmp_path):
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5)).train()
    rp.onnx.export(model, tmp_path / "m.onnx", 3)
    assert all(module.training for module in model.modules())


def test_a_model_that_is_the_identity(tmp_path):
    theirs, ours = run_both(nn.Dropout(0.5), tmp_path / "id.onnx", (3,))
    np.testing.assert_array_equal(theirs, ours)


@pytest.mark.parametrize("layer", [nn.ReLU(), nn.Softmax(1), nn.BatchNorm1d(4), nn.Tanh()],
                         ids=lambda layer: type(layer).__name__)
def test_a_model_that_is_a_single_layer(tmp_path, layer):
    theirs, ours = run_both(warm_up(layer, (4,)), tmp_path / "layer.onnx", (4,))
    np.testing.assert_allclose(theirs, ours, rtol=0, atol=1e-5)
    onnx.checker.check_model(onnx.load(tmp_path / "layer.onnx"), full_check=True)


def test_layers_without_an_onnx_form_are_named(tmp_path):
    class Twice(nn.Module):
        def forward(self, x):
            return x * 2

    model = nn.Sequential(nn.Linear(3, 3), nn.Residual(Twice()),
                          nn.MultiTask(nn.Linear(3, 3), nn.Linear(3, 2), nn.Linear(3, 1)))
    with pytest.raises(ValueError, match=r"cannot export layer '1.module' \(Twice\), layer "
                                         r"'2' \(MultiTask\): no ONNX form"):
        rp.onnx.export(model, tmp_path / "m.onnx", 3)
    assert not (tmp_path / "m.onnx").exists()


@pytest.mark.parametrize("layers, shape, refused", [
    ([nn.ModuleList([nn.Linear(3, 3)])], (3,), "the model (ModuleList)"),
    ([nn.Linear(3, 3), nn.ModuleDict({"a": nn.Linear(3, 3)})], (3,), "layer '1' (ModuleDict)"),
    ([nn.RNN(3, 4), nn.Linear(4, 2)], (5, 3), "layer '0' (RNN)"),
], ids=["ModuleList", "ModuleDict", "RNN-then-Linear"])
def test_layers_without_an_onnx_form_that_cannot_run_alone_are_named(tmp_path, layers, shape,
                                                                      refused):
    """A layer with no ONNX form is refused by name even when it has no forward of its own
    or gives what the next layer cannot take (it raised NotImplementedError, or the
    next layer's AttributeError on a tuple)."""
    model = layers[0] if len(layers) == 1 else nn.Sequential(*layers)
    with pytest.raises(ValueError, match=re.escape(f"cannot export {refused}: no ONNX form")):
        rp.onnx.export(model, tmp_path / "m.onnx", shape)


def test_bad_input_shapes_are_reported(tmp_path):
    with pytest.raises(ValueError, match=r"input_shape must be positive integers .* got \(0, 3\)"):
        rp.onnx.export(nn.Linear(3, 2), tmp_path / "m.onnx", (0, 3))
    with pytest.raises(ValueError, match=r"input_shape must be positive integers .* got True"):
        rp.onnx.export(nn.Linear(1, 2), tmp_path / "m.onnx", True)  # was taken as 1
    with pytest.raises(ValueError, match=r"does not accept inputs of shape \(N, 4\): layer '0' "
                                         r"\(Linear\)"):
        rp.onnx.export(nn.Sequential(nn.Linear(3, 2)), tmp_path / "m.onnx", 4)
    with pytest.raises(TypeError, match="model must be a Module"):
        rp.onnx.export("model.rpz", tmp_path / "m.onnx", 4)


def test_float64_models_export_as_double(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4, activation="tanh"), nn.Linear(4, 2)).to(np.float64)
    proto = rp.onnx.export(model, tmp_path / "m.onnx", 3)
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    x = np.random.default_rng(0).standard_normal((5, 3))
    session = onnxruntime.InferenceSession(str(tmp_path / "m.onnx"),
                                           providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"input": x})[0], model(x).data, atol=1e-12)


@pytest.mark.parametrize("layers", [
    [nn.BatchNorm1d(4, eps=0.1)], [nn.BatchNorm1d(4, eps=0.3, affine=False)],
    [nn.LeakyReLU(0.2)], [nn.BatchNorm1d(4, eps=0.1), nn.LeakyReLU(0.3)],
], ids=["BatchNorm1d", "BatchNorm1d-affine-False", "LeakyReLU", "both"])
def test_float64_constants_keep_their_precision(tmp_path, layers):
    """ε and the leaky slope reach a float64 graph unrounded (ONNX attributes are float32:
    ε = 0.1 was off by 1.5e-9 and the slope 0.2 by 3e-9 before)."""
    rp.manual_seed(0)
    model = warm_up(nn.Sequential(nn.Linear(3, 4), *layers).to(np.float64), (3,))
    rp.onnx.export(model, tmp_path / "m.onnx", 3)
    x = np.random.default_rng(0).standard_normal((9, 3)) * 4
    session = onnxruntime.InferenceSession(str(tmp_path / "m.onnx"),
                                           providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"input": x})[0], model.eval()(x).data,
                               rtol=0, atol=1e-13)


def test_command_line_export(tmp_path, capsys):
    rp.manual_seed(0)
    model = rp.models.lenet5()
    rp.save(model, tmp_path / "lenet.rpz", metadata={"input_shape": [1, 28, 28]})
    assert main(["export", str(tmp_path / "lenet.rpz"), "--onnx", str(tmp_path / "l.onnx")]) == 0
    assert "input 'input' of shape (N, 1, 28, 28)" in capsys.readouterr().out
    x = np.random.default_rng(0).random((2, 1, 28, 28), dtype=np.float32)
    session = onnxruntime.InferenceSession(str(tmp_path / "l.onnx"),
                                           providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"input": x})[0], model.eval()(x).data,
                               atol=1e-5)
    rp.save(rp.models.mlp([5, 3]), tmp_path / "mlp.rpz")
    assert main(["export", str(tmp_path / "mlp.rpz"), "--onnx", str(tmp_path / "m.onnx")]) == 0
    assert "(N, 5)" in capsys.readouterr().out
    rp.save(model, tmp_path / "bare.rpz")
    assert main(["export", str(tmp_path / "bare.rpz"), "--onnx", str(tmp_path / "b.onnx")]) == 2
    assert "pass --input-shape" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "bare.rpz"), "--onnx", str(tmp_path / "b.onnx"),
                 "--input-shape", "1,x"]) == 2
    assert "--input-shape must be integers" in capsys.readouterr().err


def test_every_activation_by_name_is_exportable_and_in_the_test_network():
    named = set(nn.activation.ACTIVATIONS.values())
    assert named <= set(rp.onnx.CONVERTERS)
    assert named - {nn.Softmax, nn.LogSoftmax} <= {type(a) for a in ACTIVATIONS}


def test_forward_hooks_are_left_out_with_a_warning(tmp_path):
    """A hook is Python code: the file computes the layers without it, which is said (a
    hook that changed the outputs silently gave a file that computes something else)."""
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    handle = model[1].register_forward_hook(lambda module, args, output: output * 0)
    with pytest.warns(UserWarning, match=r"the forward hooks of \['1'\] are not in the file"):
        rp.onnx.export(model, tmp_path / "hooked.onnx", 3)
    handle.remove()
    session = onnxruntime.InferenceSession(str(tmp_path / "hooked.onnx"))
    x = np.ones((1, 3), np.float32)
    np.testing.assert_allclose(session.run(None, {"input": x})[0], model(x).data, rtol=1e-6)


def test_backward_hooks_export_without_a_warning(tmp_path):
    """A backward hook changes no output, so the file computes what the model does."""
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    model[1].register_full_backward_hook(lambda module, grad_input, grad_output: None)
    model[2].register_full_backward_pre_hook(lambda module, grad_output: None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rp.onnx.export(model, tmp_path / "hooked.onnx", 3)
    session = onnxruntime.InferenceSession(str(tmp_path / "hooked.onnx"))
    x = np.ones((1, 3), np.float32)
    np.testing.assert_allclose(session.run(None, {"input": x})[0], model(x).data, rtol=1e-6)


@pytest.mark.parametrize("pattern", [repeated, twice, nested, nested_container_twice,
                                     batch_norm, conv], ids=lambda p: p.__name__)
def test_a_layer_used_at_several_places_is_exported_with_its_weights_once(tmp_path, pattern):
    """Each use of a shared layer is its nodes, which read the same initializers."""
    rp.manual_seed(0)
    model, x = pattern()
    warm_up(model, x.shape[1:])
    theirs, ours = run_both(model, tmp_path / "shared.onnx", x.shape[1:])
    np.testing.assert_allclose(theirs, ours, rtol=0, atol=1e-5)
    stored = sum(int(np.prod(tensor.dims)) for tensor in
                 onnx.load(tmp_path / "shared.onnx").graph.initializer)
    weights = sum(p.size for p in model.parameters()) + sum(
        b.size for _, b in model.named_buffers() if b.dtype.kind == "f")
    assert weights / 2 < stored <= weights + 4  # + 4: the target shape of a Flatten


@pytest.mark.parametrize("model", [
    lambda: nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 3)),
    lambda: nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3), nn.Linear(3, 3),
                          nn.BatchNorm1d(3)),
], ids=["linear", "batch_norm"])
def test_distinct_layers_with_equal_weights_keep_initializers_of_their_own(tmp_path, model):
    """Only a layer used again reads the same initializers: two layers whose weights are
    equal (biases both 0, fresh batch norms) are two layers, each with its own
    initializers named by its path, as a tool that reads the file back (onnx2torch) makes
    them two sets of parameters, not tied ones."""
    model = model()
    with rp.no_grad():
        for parameter in model.parameters():
            parameter.fill_(0.5)
    path = tmp_path / "equal.onnx"
    theirs, ours = run_both(model, path, (3,))
    np.testing.assert_allclose(theirs, ours, rtol=0, atol=1e-6)
    graph = onnx.load(path).graph
    read = {name for node in graph.node for name in node.input}
    for layer in ("0", "2"):
        assert f"{layer}.bias" in {tensor.name for tensor in graph.initializer}
        assert f"{layer}.bias" in read
