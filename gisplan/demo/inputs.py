"""Where the demo's inputs are: the real boundaries (``admin/``) and the sample sites (``sites/``).

In a clone of the repository they are its ``data/`` folder; an installed wheel
carries the same files as the package data ``gisplan/_demo_inputs/``
(``pyproject.toml`` maps one onto the other). A leaf module: no imports of
gisplan, so the demo builder and the layer checks can both ask.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["demo_inputs_dir"]

_PACKAGE = Path(__file__).resolve().parents[1]  # the gisplan package (this module is in gisplan/demo/)


def demo_inputs_dir() -> Path:
    """The folder holding ``admin/`` and ``sites/``: the wheel's package data, else the repository's ``data/``.

    Returns
    -------
    Path
        May not exist (a copy of the package without its data): callers say so.
    """
    packaged = _PACKAGE / "_demo_inputs"
    if (packaged / "admin").is_dir():
        return packaged
    return _PACKAGE.parent / "data"
