"""Optional dependencies, imported when first needed.

NumPy is retroprop's only requirement. The features below need a package that an *extra*
installs; :func:`require` imports it or raises an :class:`ImportError` that names the
``pip install`` to run.

>>> from retroprop._optional import require
>>> require("math", extra="plot").sqrt(4.0)
2.0
"""

from __future__ import annotations

import importlib
from types import ModuleType

# import name -> (distribution on PyPI, what needs it)
PACKAGES = {
    "matplotlib": ("matplotlib", "figures"),
    "scipy": ("scipy", "image distortions"),
    "sklearn": ("scikit-learn", "the bundled 8×8 digits and rp.sklearn"),
    "joblib": ("joblib", "local worker processes (n_jobs)"),
    "tqdm": ("tqdm", "progress bars"),
    "torch": ("torch", "benchmarks against PyTorch"),
}


def require(module: str, extra: str) -> ModuleType:
    """Import ``module`` (e.g. ``"matplotlib.pyplot"``), or explain how to install it.

    Parameters
    ----------
    module : str
        The dotted module name.
    extra : str
        retroprop's extra that installs it (``plot``, ``augment``, ``digits``,
        ``progress``, ``bench``).

    Raises
    ------
    ImportError
        Naming the missing package and ``pip install "retroprop[extra]"``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        top = module.split(".")[0]
        distribution, purpose = PACKAGES.get(top, (top, module))
        raise ImportError(
            f"{purpose} need {distribution!r}, which is not installed: "
            f'pip install "retroprop[{extra}]" (or pip install {distribution})') from error


def pyplot() -> ModuleType:
    """``matplotlib.pyplot`` on the non-interactive Agg backend (figures go to files)."""
    require("matplotlib", extra="plot").use("Agg")
    return require("matplotlib.pyplot", extra="plot")
