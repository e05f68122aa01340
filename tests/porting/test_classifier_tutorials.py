"""PyTorch's tutorials "Neural Networks", "Training a classifier" and "Saving and loading
models" ported line by line, changing only what the porting guide
(docs/en/guide/porting.rst) says: ``torch`` is ``rp``; ``f.data.sub_(f.grad.data * lr)``
is ``f.sub_(f.grad * lr)`` under ``rp.no_grad()``; ``_, predicted = torch.max(outputs, 1)``
is ``predicted = outputs.argmax(1)`` (``x.max(dim)`` gives the values only); a batch and
a ``state_dict`` hold NumPy arrays, so ``labels.size(0)`` is ``len(labels)`` and
``tensor.size()`` of a state dict is ``.shape``; no devices (``net.to(device)`` with
``"cpu"`` only). CIFAR-10's 32×32 colour pictures are 2000 Fashion-MNIST images padded to
32×32, one channel (``nn.Conv2d(1, 6, 5)`` for ``(3, 6, 5)``), normalized as
``transforms.Normalize((0.5,), (0.5,))``."""

from __future__ import annotations

import numpy as np
import pytest

import retroprop as rp
from retroprop import nn, optim
from retroprop.nn import functional as F

classes = ("T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot")


class Net(nn.Module):
    """The "Neural Networks" tutorial's LeNet."""

    def __init__(self):
        super().__init__()
        # 1 input image channel, 6 output channels, 5x5 square convolution kernel
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        # an affine operation: y = Wx + b
        self.fc1 = nn.Linear(16 * 5 * 5, 120)  # 5*5 from image dimension
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, input):
        c1 = F.relu(self.conv1(input))
        s2 = F.max_pool2d(c1, (2, 2))
        c3 = F.relu(self.conv2(s2))
        s4 = F.max_pool2d(c3, 2)
        s4 = rp.flatten(s4, 1)
        f5 = F.relu(self.fc1(s4))
        f6 = F.relu(self.fc2(f5))
        output = self.fc3(f6)
        return output


def test_neural_networks():
    rp.manual_seed(0)
    net = Net()
    assert repr(net).startswith("Net(\n  (conv1): Conv2d(1, 6, kernel_size=(5, 5)")

    params = list(net.parameters())
    assert len(params) == 10 and params[0].size() == (6, 1, 5, 5)  # conv1's .weight

    input = rp.randn(1, 1, 32, 32)
    out = net(input)
    assert out.shape == (1, 10)

    net.zero_grad()
    out.backward(rp.randn(1, 10))

    output = net(input)
    target = rp.randn(10)  # a dummy target, for example
    target = target.view(1, -1)  # make it the same shape as output
    criterion = nn.MSELoss()

    loss = criterion(output, target)
    assert loss.grad_fn is not None
    assert loss.grad_fn.next_functions[0][0].next_functions[0][0] is not None

    net.zero_grad()  # zeroes the gradient buffers of all parameters
    assert net.conv1.bias.grad is None
    loss.backward()
    assert net.conv1.bias.grad.shape == (6,) and np.abs(net.conv1.bias.grad).max() > 0

    learning_rate = 0.01
    before = criterion(net(input), target).item()
    with rp.no_grad():  # the tutorial's f.data.sub_(f.grad.data * learning_rate)
        for f in net.parameters():
            f.sub_(f.grad * learning_rate)

    # create your optimizer
    optimizer = optim.SGD(net.parameters(), lr=0.01)

    # in your training loop:
    optimizer.zero_grad()  # zero the gradient buffers
    output = net(input)
    loss = criterion(output, target)
    loss.backward()
    optimizer.step()  # Does the update
    assert criterion(net(input), target).item() < loss.item() < before


class ClassifierNet(nn.Module):
    """The "Training a classifier" tutorial's network (one input channel)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = rp.flatten(x, 1)  # flatten all dimensions except batch
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


@pytest.fixture(scope="module")
def loaders():
    (x_train, y_train), (x_test, y_test) = rp.datasets.load_fashion_mnist(download=False)

    def transform(images):  # ToTensor() and Normalize((0.5,), (0.5,)), padded to 32×32
        images = np.pad(images, ((0, 0), (2, 2), (2, 2)))[:, None] / 255
        return ((images - 0.5) / 0.5).astype(np.float32)

    trainset = rp.data.TensorDataset(transform(x_train[:2000]), y_train[:2000].astype(np.int64))
    testset = rp.data.TensorDataset(transform(x_test[:500]), y_test[:500].astype(np.int64))
    rp.manual_seed(0)
    trainloader = rp.data.DataLoader(trainset, batch_size=batch_size, shuffle=True,
                                     num_workers=2)
    testloader = rp.data.DataLoader(testset, batch_size=batch_size, shuffle=False,
                                    num_workers=2)
    return trainloader, testloader


batch_size = 16  # the tutorial's 4, with 2000 images instead of 50000


@pytest.fixture(scope="module")
def trained(loaders, tmp_path_factory):
    """The tutorial's training, 2 epochs, and its saved file."""
    trainloader, _ = loaders
    rp.manual_seed(0)
    net = ClassifierNet()
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)  # the tutorial's 0.001
    printed = []
    for epoch in range(2):  # loop over the dataset multiple times
        running_loss = 0.0
        for i, data in enumerate(trainloader, 0):
            # get the inputs; data is a list of [inputs, labels]
            inputs, labels = data

            # zero the parameter gradients
            optimizer.zero_grad()

            # forward + backward + optimize
            outputs = net(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()

            # print statistics
            running_loss += loss.item()
            if i % 25 == 24:  # print every 25 mini-batches
                printed.append(f'[{epoch + 1}, {i + 1:5d}] loss: {running_loss / 25:.3f}')
                running_loss = 0.0
    PATH = tmp_path_factory.mktemp("classifier") / "cifar_net.pth"
    rp.save(net.state_dict(), PATH)
    return net, printed, PATH


def test_training_a_classifier(loaders, trained):
    _, testloader = loaders
    net, printed, PATH = trained
    assert printed[0].startswith("[1,    25] loss: ")
    losses = [float(line.split("loss: ")[1]) for line in printed]
    assert losses[-1] < losses[0] / 2

    dataiter = iter(testloader)
    images, labels = next(dataiter)
    assert ' '.join(f'{classes[labels[j]]:5s}' for j in range(4)).startswith("Ankle boot")

    net = ClassifierNet()
    net.load_state_dict(rp.load(PATH, weights_only=True))
    outputs = net(images)
    predicted = outputs.argmax(1)  # the tutorial's _, predicted = torch.max(outputs, 1)
    assert ' '.join(f'{classes[predicted[j]]:5s}' for j in range(4))

    correct = 0
    total = 0
    # since we're not training, we don't need to calculate the gradients for our outputs
    with rp.no_grad():
        for data in testloader:
            images, labels = data
            # calculate outputs by running images through the network
            outputs = net(images)
            # the class with the highest energy is what we choose as prediction
            predicted = outputs.data.argmax(1)
            total += len(labels)  # the tutorial's labels.size(0)
            correct += (predicted == labels).sum().item()
    assert total == 500
    assert 100 * correct // total > 50  # random guessing would give 10 %

    # prepare to count predictions for each class
    correct_pred = {classname: 0 for classname in classes}
    total_pred = {classname: 0 for classname in classes}

    # again no gradients needed
    with rp.no_grad():
        for data in testloader:
            images, labels = data
            outputs = net(images)
            predictions = outputs.argmax(1)
            # collect the correct predictions for each class
            for label, prediction in zip(labels, predictions, strict=True):
                if label == prediction:
                    correct_pred[classes[label]] += 1
                total_pred[classes[label]] += 1

    assert sum(correct_pred.values()) == correct and sum(total_pred.values()) == total
    for classname, correct_count in correct_pred.items():
        accuracy = 100 * float(correct_count) / total_pred[classname]
        assert 0 <= accuracy <= 100

    device = "cpu"  # torch.device('cuda:0' if torch.cuda.is_available() else 'cpu')
    assert net.to(device) is net


def test_saving_and_loading_models(trained, loaders, tmp_path):
    trained_net, _, _ = trained
    _, testloader = loaders
    images, _ = next(iter(testloader))
    model = ClassifierNet()
    model.load_state_dict(trained_net.state_dict())
    optimizer = optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
    criterion = nn.CrossEntropyLoss()
    for xb, yb in [next(iter(testloader))]:  # one step, so that the momentum has a state
        loss = criterion(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    # Print model's state_dict
    shapes = {param_tensor: model.state_dict()[param_tensor].shape  # .size() in PyTorch
              for param_tensor in model.state_dict()}
    assert shapes["conv1.weight"] == (6, 1, 5, 5) and len(shapes) == 10
    # Print optimizer's state_dict
    assert {"state", "param_groups"} <= set(optimizer.state_dict())

    model.eval()
    with rp.no_grad():
        expected = model(images).numpy()

    # Save/Load state_dict (Recommended)
    PATH = tmp_path / "model.pth"
    rp.save(model.state_dict(), PATH)
    model2 = ClassifierNet()
    model2.load_state_dict(rp.load(PATH, weights_only=True))
    model2.eval()
    np.testing.assert_array_equal(model2(images).numpy(), expected)

    # Save/Load Entire Model
    rp.save(model, tmp_path / "entire.pth")
    model3 = rp.load(tmp_path / "entire.pth", weights_only=False)  # runs no stored code
    model3.eval()
    np.testing.assert_array_equal(model3(images).numpy(), expected)

    # Saving & Loading a General Checkpoint for Inference and/or Resuming Training
    epoch = 5
    PATH = tmp_path / "model.tar"
    rp.save({
        'epoch': epoch,
        'model_state_dict': model.state_dict(),
        'optimizer_state_dict': optimizer.state_dict(),
        'loss': loss,
    }, PATH)

    model4 = ClassifierNet()
    optimizer4 = optim.SGD(model4.parameters(), lr=0.001, momentum=0.9)
    checkpoint = rp.load(PATH, weights_only=True)
    model4.load_state_dict(checkpoint['model_state_dict'])
    optimizer4.load_state_dict(checkpoint['optimizer_state_dict'])
    assert checkpoint['epoch'] == 5 and float(checkpoint['loss']) == loss.item()
    model4.eval()
    np.testing.assert_array_equal(model4(images).numpy(), expected)
    # - or - model4.train(): resuming takes the same step as the model saved
    for net, opt in [(model, optimizer), (model4, optimizer4)]:
        net.train()
        step = criterion(net(images), np.arange(len(images)) % 10)
        opt.zero_grad()
        step.backward()
        opt.step()
    np.testing.assert_array_equal(model4.fc3.weight.numpy(), model.fc3.weight.numpy())

    # Saving Multiple Models in One File
    modelA, modelB = ClassifierNet(), ClassifierNet()
    optimizerA = optim.SGD(modelA.parameters(), lr=0.001, momentum=0.9)
    optimizerB = optim.SGD(modelB.parameters(), lr=0.001, momentum=0.9)
    rp.save({
        'modelA_state_dict': modelA.state_dict(),
        'modelB_state_dict': modelB.state_dict(),
        'optimizerA_state_dict': optimizerA.state_dict(),
        'optimizerB_state_dict': optimizerB.state_dict(),
    }, PATH)
    checkpoint = rp.load(PATH, weights_only=True)
    modelA2, modelB2 = ClassifierNet(), ClassifierNet()
    modelA2.load_state_dict(checkpoint['modelA_state_dict'])
    modelB2.load_state_dict(checkpoint['modelB_state_dict'])
    np.testing.assert_array_equal(modelB2.conv2.weight.numpy(), modelB.conv2.weight.numpy())

    # Warmstarting Model Using Parameters from a Different Model
    PATH = tmp_path / "modelA.pth"
    rp.save(modelA.state_dict(), PATH)
    modelB = Net()  # another network: conv1 and conv2 fit, the rest is named the same
    modelB.load_state_dict(rp.load(PATH, weights_only=True), strict=False)
    np.testing.assert_array_equal(modelB.conv1.weight.numpy(), modelA.conv1.weight.numpy())

    # Saving & Loading Model Across Devices: the CPU only
    model5 = ClassifierNet()
    model5.load_state_dict(rp.load(tmp_path / "model.pth", map_location="cpu"))
    with pytest.raises(ValueError, match="CPU only"):
        rp.load(tmp_path / "model.pth", map_location="cuda:0")
