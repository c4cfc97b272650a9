"""Open a layer store by what it is named: a GeoPackage file or a ``postgresql://`` URL.

Every command's ``--store`` (and every API function taking a store) goes through
:func:`open_store_at` / :func:`as_store`, so a PostGIS store
(:class:`gisplan.store.postgis.PgStore`) works wherever a GeoPackage store does.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .._lazy import lazy_module
from ..errors import StoreError
from .gpkg import LOCK_TIMEOUT, Store
from .url import is_pg_store_url

if TYPE_CHECKING:  # the type checker sees the modules; at run time they load on first use
    import pandas as pd
else:
    pd = lazy_module("pandas")  # a GeoPackage store never needs the PostGIS modules nor pandas here

__all__ = ["open_store_at", "as_store", "open_or_create", "is_pg_store_url", "shown_store", "copy_store"]

#: Tables a copy does not take: derived ones (written with their layer) and the raster
#: register (its rasters are files beside a GeoPackage store).
_NOT_COPIED = ("gisplan_meta", "gisplan_piece_bounds", "gisplan_checksums", "gisplan_rasters")


def open_store_at(spec: str | os.PathLike, *, verify: bool = True) -> Store:
    """Open the store ``spec``: a GeoPackage path or a ``postgresql://...?schema=NAME`` URL.

    Parameters
    ----------
    spec : str or Path
        The store.
    verify : bool
        Check the tables against what gisplan wrote (see :class:`gisplan.store.gpkg.Store`).

    Returns
    -------
    Store
        A :class:`~gisplan.store.gpkg.Store` or a :class:`~gisplan.store.postgis.PgStore`.

    Raises
    ------
    StoreError
        Missing or unreadable store, no connection to the database.
    """
    if is_pg_store_url(spec):
        _require_postgis()
        from .postgis import PgStore

        return PgStore(str(spec), verify=verify)
    return Store(spec, verify=verify)


def as_store(store: Store | str | os.PathLike, *, verify: bool = True) -> Store:
    """``store`` itself when it is an open store, else :func:`open_store_at` of it."""
    return store if isinstance(store, Store) else open_store_at(store, verify=verify)


def open_or_create(spec: str | os.PathLike, *, lock_timeout: float = LOCK_TIMEOUT, verify: bool = True) -> Store:
    """Open the store ``spec``, creating an empty one when there is none (see :meth:`Store.open_or_create`)."""
    if is_pg_store_url(spec):
        _require_postgis()
        from .postgis import PgStore

        return PgStore.open_or_create(str(spec), lock_timeout=lock_timeout, verify=verify)
    return Store.open_or_create(spec, lock_timeout=lock_timeout, verify=verify)


def _require_postgis() -> None:
    from ..extras import require_extra

    require_extra("postgis", "a PostGIS store (postgresql://...)")


def shown_store(spec: str | os.PathLike) -> str:
    """How messages show the store ``spec``: a database URL without its password, else the path."""
    if not is_pg_store_url(spec):
        return str(spec)
    from ..io.postgis import redact_source

    return redact_source(str(spec))


def copy_store(source: str | os.PathLike, target: str | os.PathLike, *, lock_timeout: float = LOCK_TIMEOUT) -> list[str]:
    """Copy every layer (with its pieces, boundary lines and meta row) and attribute table of one store into another.

    Nothing is cut again: the target holds the source's very pieces and areas, so
    both give the same figures (e.g. a GeoPackage store moved into a shared
    PostGIS store). The source is verified first; the target's layers of the same
    kinds are replaced in one atomic write. Rasters are not copied.

    Parameters
    ----------
    source, target : str or Path
        Stores (GeoPackage paths or ``postgresql://...?schema=NAME`` URLs); the target is created when missing.
    lock_timeout : float
        Seconds to wait for another process writing the target.

    Returns
    -------
    list of str
        One line per layer or table copied.
    """
    from .gpkg import _edges_layer, _pieces_layer

    src = open_store_at(source)
    if shown_store(source) == shown_store(target):
        raise StoreError(f"copy_store: source and target are the same store ({shown_store(source)})")
    src.verify()
    meta = src.meta()
    lines = []
    dst = open_or_create(target, lock_timeout=lock_timeout, verify=False)
    with dst.transaction(lock_timeout=lock_timeout) as tx:
        old = tx.meta()
        new_meta = pd.concat([old[~old["kind"].isin(src.kinds())], meta], ignore_index=True)
        new_meta["features"] = new_meta["features"].astype("int64")
        for kind in src.kinds():
            layer = src.read(kind).reset_index(drop=True)
            tx._write_layer_tables(kind, layer, src._read_frame(_pieces_layer(kind)), src._read_frame(_edges_layer(kind)),
                                   new_meta)
            lines.append(f"{kind}: {len(layer)} feature(s) copied")
        for name in sorted(src._layers):
            if name.startswith("gisplan_") and name not in _NOT_COPIED \
                    and not name.startswith(("gisplan_pieces_", "gisplan_edges_")):
                table = src.read_table(name)
                tx.write_table(name, table)
                lines.append(f"{name}: {len(table)} row(s) copied")
        if src.has_table("gisplan_rasters"):
            lines.append("rasters not copied (they are files beside a GeoPackage store)")
    src.close()
    dst.close()
    return lines
