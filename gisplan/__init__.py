"""gisplan: screen project sites against China's "three lines, one list" (三线一单) zoning.

>>> import gisplan                                              # doctest: +SKIP
>>> result = gisplan.screen("site.geojson", "layers/demo_yanbian.gpkg")   # doctest: +SKIP
>>> result.to_dict()["by_category"]                            # doctest: +SKIP
"""

from ._version import __version__  # noqa: E402

from . import errors  # noqa: E402
from .errors import GisplanError, InputError, SiteError, StoreError  # noqa: E402


def __getattr__(name):  # lazy: importing gisplan stays cheap for the CLI
    if name == "screen":
        from .screening import screen

        return screen
    if name == "screen_batch":
        from .batch import screen_batch

        return screen_batch
    if name == "Store":
        from .store import Store

        return Store
    if name == "import_layer":
        from .importer import import_layer

        return import_layer
    if name == "read_site":
        from .sites import read_site

        return read_site
    raise AttributeError(f"module 'gisplan' has no attribute {name!r}")


__all__ = ["screen", "screen_batch", "Store", "import_layer", "read_site", "errors",
           "GisplanError", "InputError", "SiteError", "StoreError", "__version__"]
