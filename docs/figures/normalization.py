import matplotlib.pyplot as plt

import retroprop as rp

# Nielsen's experiment, short: deeper sigmoid networks learn slower in their first layers.
# Then a deep sigmoid network with and without batch normalization.
results = [rp.experiments.vanishing_gradients(epochs=10, n=300),
           rp.experiments.batch_norm(epochs=2)]
print(results[0].table())
panels = [panel for result in results for panel in result.panels]
rows = -(-len(panels) // 3)
figure, axes = plt.subplots(rows, 3, figsize=(13, 3.6 * rows), squeeze=False)
for axis in axes.flat[len(panels):]:
    axis.axis("off")
for axis, panel in zip(axes.flat, panels, strict=False):
    for label, (x, y) in panel.curves.items():
        axis.plot(x, y, label=label)
    axis.set(title=panel.title, xlabel=panel.xlabel, yscale="log" if panel.log_y else "linear")
    axis.legend(fontsize=7)
figure.tight_layout()
