"""Heavy libraries imported on first use, so that a command loads only what its job needs.

``gpd = lazy_module("geopandas")`` at the top of a module reads like the plain
import, but geopandas (and pandas under it, about 0.4 s) is imported only when
an attribute of ``gpd`` is first used. A CSV batch never touches them.

Type checks against a class of such a module go through :func:`instance_of`,
which answers False without importing it: nothing can be an instance of a
class whose module was never imported.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType

__all__ = ["lazy_module", "instance_of", "lazy_names"]


class _LazyModule:
    """Stands for a module; the first attribute read imports it (once) and returns the real attribute."""

    __slots__ = ("_name", "_module")

    def __init__(self, name: str):
        self._name = name
        self._module: ModuleType | None = None

    def _load(self) -> ModuleType:
        module = self._module
        if module is None:
            module = import_module(self._name)
            object.__setattr__(self, "_module", module)
        return module

    def __getattr__(self, attr: str):
        return getattr(self._load(), attr)

    def __setattr__(self, attr: str, value) -> None:
        if attr in _LazyModule.__slots__:
            object.__setattr__(self, attr, value)
        else:  # e.g. a test's monkeypatch: it patches the module itself, as with a plain import
            setattr(self._load(), attr, value)

    def __delattr__(self, attr: str) -> None:
        delattr(self._load(), attr)

    def __repr__(self) -> str:
        state = "loaded" if self._module is not None else "not loaded"
        return f"<lazy module {self._name!r} ({state})>"


def lazy_module(name: str) -> _LazyModule:
    """A stand-in for module ``name`` that imports it on first attribute access.

    Parameters
    ----------
    name : str
        Absolute module name, e.g. ``"geopandas"``.

    Returns
    -------
    object
        Attribute access (``gpd.GeoDataFrame``) imports the module and forwards.
    """
    return _LazyModule(name)


def instance_of(obj, module: str, cls: str) -> bool:
    """``isinstance(obj, module.cls)`` without importing ``module`` when it is not loaded yet.

    Examples
    --------
    >>> instance_of(3, "fractions", "Fraction")
    False
    """
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(obj, getattr(loaded, cls))


def lazy_names(package: str, names: dict[str, str]):
    """``__getattr__`` and ``__dir__`` for a package whose public names live in its modules, imported on first use.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    names : dict
        Public name -> the module of the package that defines it (relative, e.g. ``"gpkg"``).

    Returns
    -------
    tuple of callables
        ``(__getattr__, __dir__)`` to assign at the package's top level (PEP 562).
    """

    def __getattr__(name: str):
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f".{module}", package), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__():  # so Jupyter completes the lazy names too
        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__
