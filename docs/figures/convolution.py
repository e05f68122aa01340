import matplotlib.pyplot as plt
import numpy as np

import retroprop as rp
from retroprop import nn

# Two hand-set 3×3 kernels (vertical and horizontal edges) shared over the whole image,
# then 2×2 max pooling: the feature maps move with the object.
(X, _), _ = rp.datasets.load_fashion_mnist()
image = rp.Tensor(rp.datasets.scale(X[:1])[:, None])            # (1, 1, 28, 28)
conv = nn.Conv2d(1, 2, kernel_size=3, padding=1, bias=False)
sobel = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=np.float32)
conv.weight.data[:] = np.stack([sobel, sobel.T])[:, None]
maps = nn.MaxPool2d(2)(conv(image)).data[0]                     # (2, 14, 14)

figure, axes = plt.subplots(1, 3, figsize=(9, 3))
titles = ["input", "vertical edges, pooled", "horizontal edges, pooled"]
for axis, picture, title in zip(axes, [image.data[0, 0], *maps], titles, strict=True):
    axis.imshow(picture, cmap="gray"), axis.set_title(title), axis.axis("off")
