"""A store opened once: screenings in a notebook loop, a service or a batch share it.

>>> import gisplan                                                      # doctest: +SKIP
>>> with gisplan.open_store("layers/demo_yanbian.gpkg") as store:       # doctest: +SKIP
...     r = store.screen("data/sites/road_corridor_helong.geojson", width=60, industry="公路")
...     rows = store.screen_many("data/sites/batch_sites.geojson", id_field="site_id")

The object keeps one :class:`~gisplan.store.gpkg.Store` (the layer index, the pieces
read so far and the rules) and hands every screening that one snapshot, so a
screening never mixes two versions of the store. Before each call it checks
whether the file on disk was replaced (a new import) -- for a PostGIS store
(``postgresql://...?schema=NAME``), whether its import counter moved; if so it
opens the new version for the calls that follow, while calls already running
finish on the old one.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from .errors import StoreError

__all__ = ["ResidentStore", "open_store"]

#: Options that say how a site file is read (as ``gisplan read`` takes them).
READ_OPTIONS = ("layer", "encoding", "cm", "towgs84", "dxf_layer")


def _file_key(path: Path) -> tuple:
    try:
        st = os.stat(path)
    except OSError as exc:
        raise StoreError(f"store not found: {path} ({exc.strerror})") from None
    # ctime too: an edit in place that puts the old size and mtime back still changes it (no tool sets it back)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class ResidentStore:
    """A layer store held open for many screenings (see :func:`open_store`).

    Parameters
    ----------
    path : str or Path
        The store: a GeoPackage or a ``postgresql://...?schema=NAME`` URL.

    Notes
    -----
    Safe to share across threads for screenings. :meth:`close` (or leaving a
    ``with`` block) drops the snapshot; later calls raise :class:`StoreError`.
    """

    def __init__(self, path: str | os.PathLike, *, preload: bool = False):
        from .store.spec import is_pg_store_url

        self._pg = is_pg_store_url(path)
        self.path = str(path).strip() if self._pg else Path(path)
        self.preload = preload
        self._lock = threading.Lock()
        self._closed = False
        self._key = None
        self._store = None
        self.snapshot()

    # -- the snapshot ------------------------------------------------------------
    def snapshot(self):
        """The current version of the store (reopened when the file was replaced).

        Returns
        -------
        gisplan.store.gpkg.Store
        """
        from .store.spec import open_store_at, shown_store

        if self._closed:
            raise StoreError(f"the store {shown_store(self.path)} was closed")
        with self._lock:
            key = self._current_key()
            if key != self._key or self._store is None:
                store = open_store_at(self.path)
                if self.preload:
                    _preload(store)
                self._store = store  # calls running on the old snapshot finish on it (its connection closes with it)
                self._key = ("pg", store.generation) if self._pg else key
            return self._store

    def _current_key(self) -> tuple | None:
        """The version on disk (file identity) or in the database (import counter) now."""
        if not self._pg:
            return _file_key(self.path)
        if self._store is None or not self._store.alive():
            return None  # reopen: first call, or the server ended the snapshot's connection
        return ("pg", self._store.latest_generation())

    def release(self) -> None:
        """End the snapshot's database transaction between uses (a PostGIS store; nothing for a file).

        The snapshot stays the same: its next read begins a new transaction on
        the same table versions. A service calls this after every request, so no
        connection sits idle in a transaction (holding back VACUUM, blocking
        ``ALTER TABLE``) between requests.
        """
        store = self._store
        release = getattr(store, "release", None) if self._pg else None
        if callable(release):
            release()

    @property
    def reloads_seen(self) -> tuple:
        """Identity of the file version held (device, inode, size, mtime, ctime)."""
        return self._key

    # -- screening ---------------------------------------------------------------
    def screen(self, site, **options):
        """Screen one site against the store.

        Parameters
        ----------
        site : str, Path, Site, shapely geometry, GeoSeries or GeoDataFrame
            As :func:`gisplan.screen` takes it; a path is read with the
            reading options ``layer``, ``encoding``, ``cm``, ``towgs84``,
            ``dxf_layer`` and ``source_crs`` when given.
        **options
            ``radius``, ``width``, ``buffer``, ``industry`` and the other
            options of :func:`gisplan.screen`.

        Returns
        -------
        ScreeningResult
        """
        from .screening import screen
        from .sites import read_site

        read = {k: options.pop(k) for k in READ_OPTIONS if options.get(k) is not None}
        for k in READ_OPTIONS:
            options.pop(k, None)
        if isinstance(site, (str, os.PathLike)):
            site = read_site(site, source_crs=options.get("source_crs"), **read)
        try:
            return screen(site, self.snapshot(), **options)
        finally:
            self.release()

    def screen_many(self, sites, *, id_field: str | None = None, **options):
        """Screen every feature of ``sites`` as its own site: one row per site.

        Parameters
        ----------
        sites : path or GeoDataFrame
            The sites (a file :func:`gisplan.batch.screen_batch` reads, or a frame).
        id_field : str, optional
            Column identifying the sites; default: a ``site_index`` column
            numbering them from 0.
        **options
            As :func:`gisplan.batch.screen_batch` (``radius``, ``width``,
            ``industry``, ``industry_field``, reading options ...).

        Returns
        -------
        GeoDataFrame
            The batch table.
        """
        from .batch import screen_batch

        if id_field is None:
            import geopandas as gpd

            if not isinstance(sites, gpd.GeoDataFrame):
                from .io.vector import read_vector

                sites = read_vector(sites).frame
            sites = sites.copy()
            sites.insert(0, "site_index", range(len(sites)))
            id_field = "site_index"
        options.setdefault("progress", False)
        try:
            return screen_batch(sites, self.snapshot(), id_field=id_field, **options)
        finally:
            self.release()

    # -- life cycle ----------------------------------------------------------------
    def guide(self, industry: str, *, national_major: bool | None = None, county: str | None = None):
        """Siting guidance for one project type on the current snapshot (see :func:`gisplan.engine.guide.guide`)."""
        from .engine.guide import guide

        try:
            return guide(self.snapshot(), industry, national_major=national_major, county=county)
        finally:
            self.release()

    def close(self) -> None:
        """Drop the snapshot; the object cannot screen afterwards."""
        with self._lock:
            store, self._store, self._closed = self._store, None, True
        closer = getattr(store, "close", None)
        if callable(closer):
            closer()

    def __enter__(self) -> ResidentStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        from .store.spec import shown_store

        state = "closed" if self._closed else f"kinds={self._store.kinds() if self._store else []}"
        return f"ResidentStore({shown_store(self.path)!r}, {state})"


def _preload(store) -> None:
    """Read every piece and boundary line of every layer now (a service's start-up, not its requests)."""
    import numpy as np

    for kind in store.kinds():
        for index in (store.index(kind), store.edge_index(kind)):
            if len(index):
                index.geoms(np.arange(len(index)))
            _ = index.box_tree


def open_store(path: str | os.PathLike, *, preload: bool = False) -> ResidentStore:
    """Open a layer store once for many screenings.

    Parameters
    ----------
    path : str or Path
        The store: a GeoPackage or a ``postgresql://...?schema=NAME`` URL (PostGIS).
    preload : bool
        Read all pieces at once when the store is opened (and reopened): a
        service pays the read at start-up and every request stays in memory.
        Default: pieces are read when a screening first touches them.

    Returns
    -------
    ResidentStore
        With :meth:`~ResidentStore.screen` and :meth:`~ResidentStore.screen_many`;
        usable as a context manager.

    Raises
    ------
    StoreError
        When the file is missing or not a gisplan store.
    """
    return ResidentStore(path, preload=preload)
