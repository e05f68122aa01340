"""Devices: retroprop computes with NumPy on the CPU only. PyTorch's device names are
recognized so that code written for PyTorch (``x.to(device)``, ``torch.zeros(3,
device=device)``, ``torch.load(path, map_location=device)``) gets ``"cpu"`` accepted and
any other device refused with a clear message."""

from __future__ import annotations

from typing import Any

#: The device types PyTorch names (``"cuda"``, ``"cuda:0"``, ``"mps"``...), recognized so
#: that ``to(device)`` in code written for PyTorch gets a clear answer.
DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip",
                "ve", "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                "privateuseone")


def is_device(value: Any) -> bool:
    """Whether ``value`` names a PyTorch device (``"cpu"``, ``"cuda:0"``)."""
    return isinstance(value, str) and value.split(":")[0] in DEVICE_TYPES


def check_device(device: Any, where: str, name: str = "device") -> None:
    """Refuse a device other than the CPU (``"cpu"``, ``"cpu:0"``) or None."""
    if device is not None and (not is_device(device) or device.split(":")[0] != "cpu"):
        raise ValueError(f"{where}: retroprop computes with NumPy on the CPU only, got "
                         f"{name} {device!r}; leave the {name} out or give 'cpu'")
