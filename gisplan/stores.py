"""Open a layer store by what it is named: a GeoPackage file or a ``postgresql://`` URL.

Every command's ``--store`` (and every API function taking a store) goes through
:func:`open_store_at` / :func:`as_store`, so a PostGIS store
(:class:`gisplan.store_pg.PgStore`) works wherever a GeoPackage store does.
"""

from __future__ import annotations

import os

from .io.postgis import redact_source
from .store import LOCK_TIMEOUT, Store
from .store_pg import PgStore, is_pg_store_url

__all__ = ["open_store_at", "as_store", "open_or_create", "is_pg_store_url", "shown_store"]


def open_store_at(spec: str | os.PathLike, *, verify: bool = True) -> Store:
    """Open the store ``spec``: a GeoPackage path or a ``postgresql://...?schema=NAME`` URL.

    Parameters
    ----------
    spec : str or Path
        The store.
    verify : bool
        Check the tables against what gisplan wrote (see :class:`gisplan.store.Store`).

    Returns
    -------
    Store
        A :class:`~gisplan.store.Store` or a :class:`~gisplan.store_pg.PgStore`.

    Raises
    ------
    StoreError
        Missing or unreadable store, no connection to the database.
    """
    if is_pg_store_url(spec):
        return PgStore(str(spec), verify=verify)
    return Store(spec, verify=verify)


def as_store(store: Store | str | os.PathLike, *, verify: bool = True) -> Store:
    """``store`` itself when it is an open store, else :func:`open_store_at` of it."""
    return store if isinstance(store, Store) else open_store_at(store, verify=verify)


def open_or_create(spec: str | os.PathLike, *, lock_timeout: float = LOCK_TIMEOUT, verify: bool = True) -> Store:
    """Open the store ``spec``, creating an empty one when there is none (see :meth:`Store.open_or_create`)."""
    if is_pg_store_url(spec):
        return PgStore.open_or_create(str(spec), lock_timeout=lock_timeout, verify=verify)
    return Store.open_or_create(spec, lock_timeout=lock_timeout, verify=verify)


def shown_store(spec: str | os.PathLike) -> str:
    """How messages show the store ``spec``: a database URL without its password, else the path."""
    return redact_source(str(spec)) if is_pg_store_url(spec) else str(spec)
