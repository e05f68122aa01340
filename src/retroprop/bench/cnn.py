"""One Fashion-MNIST epoch of the convolutional networks, retroprop against the same
network (weights copied in) in PyTorch CPU, batch 128, float32:

* LeNet-5 (tanh, average pooling), SGD lr 0.05 with momentum 0.9;
* the convnet of ``examples/fashion_convnet.py`` (two 3×3 convolutions with batch norm,
  ReLU and max pooling, dropout, a batch-normalized hidden layer of 256), SGD lr 0.05
  with Nesterov momentum 0.9 and weight decay 1e-4, without the recipe's random shifts
  (the augmentation is not what is compared)."""

from __future__ import annotations

import retroprop as rp
from retroprop import nn
from retroprop.bench import data
from retroprop.bench.epochs import Network, retroprop_epoch, torch_epoch
from retroprop.bench.results import Row, row
from retroprop.bench.settings import Settings
from retroprop.bench.timing import trained_rounds

BATCH = 128
TARGET = 1.3  # issue 16: at most 1.3x PyTorch's epoch time


def recipe_convnet() -> nn.Sequential:
    """The network of ``examples/fashion_convnet.py``."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, init="he_normal"), nn.BatchNorm2d(32), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, init="he_normal"), nn.BatchNorm2d(64), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.25),
        nn.Linear(64 * 7 * 7, 256, init="he_normal"), nn.BatchNorm1d(256), nn.ReLU(),
        nn.Dropout(0.25), nn.Linear(256, 10, init="lecun_uniform"))


#: name: (network, SGD options)
NETWORKS: dict[str, tuple[Network, dict[str, float | bool]]] = {
    "LeNet-5": (rp.models.lenet5, dict(lr=0.05, momentum=0.9)),
    "recipe convnet": (recipe_convnet, dict(lr=0.05, momentum=0.9, nesterov=True,
                                            weight_decay=1e-4)),
}


def rows(settings: Settings) -> list[Row]:
    arrays = data.fashion(settings, flat=False)
    table = []
    for name, (network, options) in NETWORKS.items():
        results = trained_rounds({"retroprop": retroprop_epoch(network, BATCH, **options),
                                  "pytorch": torch_epoch(network, BATCH, **options)},
                                 arrays, settings.rounds_or(2), rp.manual_seed,
                                 pause=settings.pause)
        ours, theirs = results["retroprop"], results["pytorch"]
        table.append(row("cnn", f"{name} epoch, batch {BATCH}", "s", ours["rounds"], "pytorch",
                         theirs["rounds"], TARGET, accuracy=ours["accuracy"],
                         reference_accuracy=theirs["accuracy"]))
    return table
