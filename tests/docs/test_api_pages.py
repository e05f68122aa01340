"""Every public name has a page in the API reference: each name in ``retroprop.__all__``
and in the ``__all__`` of each public subpackage."""

import importlib
import pkgutil
from types import ModuleType

import retroprop


def public_modules():
    modules = {"retroprop": retroprop}
    for info in pkgutil.iter_modules(retroprop.__path__):
        if info.ispkg and not info.name.startswith("_"):
            module = importlib.import_module(f"retroprop.{info.name}")
            if getattr(module, "__all__", None):
                modules[module.__name__] = module
    return modules


def test_public_subpackages_are_found():
    assert {"retroprop.nn", "retroprop.optim", "retroprop.callbacks"} <= set(public_modules())


def test_every_public_name_has_an_api_page(site):
    reference = (site / "api" / "index.html").read_text(encoding="utf-8")
    modules = public_modules()
    missing = []
    for module_name, module in modules.items():
        for name in module.__all__:
            value = getattr(module, name)
            if isinstance(value, ModuleType):
                anchor = "api-" + value.__name__.replace(".", "-").replace("_", "-")
                if f'id="{anchor}"' not in reference:
                    missing.append(f"{module_name}.{name} (module section {anchor})")
                continue
            # the page of this object: under this module, or where it is documented once
            # (a class exported by two modules has one page)
            homes = [f"{m}.{name}" for m, mod in modules.items()
                     if name in mod.__all__ and getattr(mod, name) is value]
            pages = [site / "api" / "generated" / f"{home}.html" for home in homes]
            found = [p for p in pages if p.is_file()
                     and f'id="{p.stem}"' in p.read_text(encoding="utf-8")]
            if not found or f'href="generated/{found[0].name}' not in reference:
                missing.append(f"{module_name}.{name}")
    assert not missing, missing
