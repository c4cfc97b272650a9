"""gisplan: screen project sites against China's "three lines, one list" (三线一单) zoning.

>>> import gisplan                                              # doctest: +SKIP
>>> result = gisplan.screen("site.geojson", "layers/demo_yanbian.gpkg")   # doctest: +SKIP
>>> result.to_dict()["by_category"]                            # doctest: +SKIP
>>> with gisplan.open_store("layers/demo_yanbian.gpkg") as store:        # doctest: +SKIP
...     store.screen("site.geojson", industry="公路", width=60)
"""

from ._version import __version__  # noqa: E402

from . import errors  # noqa: E402
from ._lazy import lazy_names  # noqa: E402
from .errors import GisplanError, GisplanWarning, InputError, SiteError, StoreError  # noqa: E402

#: Public names loaded on first use (importing gisplan stays cheap for the CLI): name -> module.
_LAZY = {
    "open_store": "resident",
    "ResidentStore": "resident",
    "screen": "screening",
    "read_result": "screening",
    "ScreeningResult": "screening",
    "screen_batch": "batch",
    "run_batch": "engine.run",
    "guide": "engine.guide",
    "Store": "store",
    "import_layer": "importer",
    "read_site": "sites",
    "read_sites": "sites",
    "site_from_geometry": "sites",
    "Site": "sites",
}


__getattr__, __dir__ = lazy_names(__name__, _LAZY)


__all__ = sorted(_LAZY) + ["errors", "GisplanError", "GisplanWarning", "InputError", "SiteError", "StoreError", "__version__"]
