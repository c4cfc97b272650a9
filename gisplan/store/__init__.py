"""Layer stores: where the zoning lives.

``gpkg`` (:class:`Store`: the embedded GeoPackage store, its layers, pieces and
boundary lines), ``postgis`` (:class:`PgStore`: the same in a PostGIS schema),
``spec`` (:func:`as_store` / :func:`open_store_at`: a store by what it is named,
a file path or a ``postgresql://`` URL), ``url`` (whether a name is a database
URL) and ``files`` (the write lock, temp copies replaced atomically, the
verification cache). The names below are imported on first use.
"""

from __future__ import annotations

from .._lazy import lazy_names

_LAZY = {
    "Store": "gpkg", "StoreWriter": "gpkg", "LOCK_TIMEOUT": "gpkg", "MAX_PIECE_VERTICES": "gpkg",
    "attribute_columns": "gpkg", "PgStore": "postgis", "as_store": "spec", "open_store_at": "spec",
    "open_or_create": "spec", "is_pg_store_url": "url",
}
__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy_names(__name__, _LAZY)
