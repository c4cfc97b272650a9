"""Screen one project site against a layer store (the public entry point).

Data flow: site (CGCS2000) -> footprint -> equal-area plane -> the overlay
kernel (:mod:`gisplan.engine.overlay`, shared with batches) over the store's
pieces -> exact ellipsoidal areas, GK-zone areas beside them, geodesic
distances (:mod:`gisplan.engine.nearby`) -> the verdict. The work happens in
:func:`gisplan.engine.single.screen_site`; no formatting happens here
(:mod:`gisplan.report` and :mod:`gisplan.render` render the result).
"""

from __future__ import annotations

import os

import numpy as np

from .geo.crs import CGCS2000
from .engine.single import ZONE_KINDS, screen_site
from .errors import InputError, StoreError
from .project_info import project_form
from .result import CATEGORIES, ScreeningResult
from .sites import MAX_BUFFER_M, Site, read_site, site_from_geometry
from .store.gpkg import Store
from .store.spec import as_store

__all__ = ["screen", "read_result", "attach_map_context", "ScreeningResult", "ZONE_KINDS", "CATEGORIES"]


def _as_site(site, source_crs: str | None) -> Site:
    if isinstance(site, Site):
        return site
    if isinstance(site, (str, os.PathLike)):
        return read_site(site, source_crs=source_crs)
    return site_from_geometry(site, crs=source_crs or CGCS2000)


def screen(
    site,
    store: Store | str | os.PathLike,
    *,
    radius: float | None = None,
    width: float | None = None,
    buffer: float = 5000.0,
    source_crs: str | None = None,
    industry=None,
    national_major: bool | None = None,
    project_name: str | None = None,
    builder: str | None = None,
    project_code: str | None = None,
    construction_nature: str | None = None,
    context: bool = True,
) -> ScreeningResult:
    """Screen one project site against a layer store.

    Parameters
    ----------
    site : str, Path, Site, shapely geometry or GeoDataFrame
        A site file (GeoJSON, GeoPackage, shapefile or .zip, KML), an already
        read :class:`~gisplan.sites.Site`, or geometry (CGCS2000 lon/lat unless
        ``source_crs`` says otherwise). Several features are one site (union).
    store : Store or path
        The layer store.
    radius : float, optional
        Disc radius (m) for a point site.
    width : float, optional
        Total corridor width (m) for a line site (road, pipeline).
    buffer : float
        Search distance (m, geodesic) for nearby redline/protected/water features.
    source_crs : str, optional
        CRS of the site when the file has none (e.g. ``EPSG:4531``).
    industry : str or IndustryMatch, optional
        Project type (GB/T 4754-2017 code or name, EIA catalogue category) for
        the verdict; without it, findings are area-based (``review``).
    national_major : bool or None
        Whether the project is a national major project (国家重大项目, part 二 of
        自然资发〔2022〕142号): decides mining, hydropower, nuclear and other
        eligible types in the redline. None (default): unknown, such findings
        are ``review``.
    project_name : str, optional
        项目名称 (default: the site file's name or its ``name`` attribute).
    builder : str, optional
        建设单位.
    project_code : str, optional
        项目代码 (投资项目统一代码, ``2020-222403-44-01-012345``); another shape is
        kept with a warning.
    construction_nature : str, optional
        建设性质: ``new`` 新建, ``reconstruction`` 改建, ``expansion`` 扩建,
        ``renovation`` 技术改造 or ``relocation`` 迁建 (code or Chinese word).
    context : bool
        Read what a map of the result needs (the whole features within
        ``buffer`` of the site, the outline of its counties) into the result
        now (default). ``False`` for a screening whose result is never mapped:
        ``result.context`` is then empty. Either way the result holds data,
        no link to the store (it can be pickled or sent to another process).

    Returns
    -------
    ScreeningResult

    Examples
    --------
    >>> import gisplan                                                    # doctest: +SKIP
    >>> r = gisplan.screen("data/sites/industrial_park_yanji.geojson",
    ...                    "layers/demo_yanbian.gpkg")                    # doctest: +SKIP
    >>> r.by_category                                                     # doctest: +SKIP
    """
    if buffer is None or isinstance(buffer, bool) or not np.isfinite(buffer) or buffer < 0:
        raise InputError(f"`buffer` must be a non-negative number of metres, got {buffer!r}")
    if national_major not in (None, True, False):
        raise InputError(f"national_major must be True, False or None, got {national_major!r}")
    if buffer > MAX_BUFFER_M:
        raise InputError(f"`buffer` {buffer:g} m is above the {MAX_BUFFER_M / 1000:g} km limit")
    form = project_form(name=project_name, builder=builder, project_code=project_code,
                        construction_nature_value=construction_nature)  # a bad form fails before any reading
    from .engine.single import match_cached

    match = match_cached(industry) if isinstance(industry, str) else industry  # unknown types fail first
    store = as_store(store)
    site = _as_site(site, source_crs)
    return screen_site(store, site, radius=radius, width=width, buffer=float(buffer), source_crs=source_crs,
                       industry=match if match is not None else None,
                       parameters={"industry": industry if isinstance(industry, str) or industry is None else match.query,
                                   "national_major": national_major},
                       verdict_options={"national_major": national_major}, project_fields=form, context=context)


def attach_map_context(result: ScreeningResult, store: Store) -> ScreeningResult:
    """Give a read-back result its map context and county outline, read now from ``store``.

    ``store`` must be the store (the very version) the screening read; the
    caller checks that (:func:`read_result` compares the layer versions,
    ``gisplan serve`` the kept version's checksum).
    """
    from .engine.single import county_outline, map_context
    from .geo.geometry import to_equal_area

    counties = sorted({r["county"] for r in result.unit_rows if r.get("county")}, key=str)
    result.county_outline = county_outline(store, counties)
    if result.footprint is not None:  # a JSON report without its record has no site geometry: no map context
        buffer = result.parameters.get("buffer_m")
        result.map_context = map_context(store, to_equal_area(result.footprint), 5000.0 if buffer is None else buffer)
    return result


def read_result(data, store: Store | str | os.PathLike | None = None) -> ScreeningResult:
    """A screening result read back from its JSON, with its maps' context from the store it read.

    Parameters
    ----------
    data : dict, str or path
        ``ScreeningResult.to_dict(full=True)`` (or its JSON text, or a file of it:
        ``gisplan screen --json`` writes the report without the ``record``
        section, enough for the JSON, the text summary and the XLSX).
    store : Store or path, optional
        The store the screening read. Its layer versions must be those the
        result names (``store.layers``), else :class:`~gisplan.errors.StoreError`:
        a map drawn over other data would show zones the screening did not
        weigh. Default: the store at the path the result names, when it is
        there and holds those versions; otherwise maps refuse with that error.

    Returns
    -------
    ScreeningResult
        Its reports equal the original's (:meth:`~gisplan.result.ScreeningResult.from_dict`).

    Examples
    --------
    >>> import gisplan                                                       # doctest: +SKIP
    >>> data = gisplan.screen("data/sites/industrial_park_yanji.geojson",
    ...                       "layers/demo_yanbian.gpkg").to_dict(full=True)    # doctest: +SKIP
    >>> read_result(data).to_docx("again.docx")                              # doctest: +SKIP
    """
    if isinstance(data, ScreeningResult):
        result = data
    elif isinstance(data, dict):
        result = ScreeningResult.from_dict(data)
    else:
        result = ScreeningResult.from_json(data)
    wanted = result.store.get("layers")
    if store is None:
        from pathlib import Path

        path = result.store.get("path")
        if not path or not Path(path).is_file():
            return result
        try:
            named = as_store(path)
            same = named.versions() == wanted
        except (StoreError, InputError):
            return result
        return attach_map_context(result, named) if same else result
    store = as_store(store)
    if store.versions() != wanted:
        raise StoreError(f"the store {getattr(store, 'path', store)} does not hold the layer versions this screening "
                         "read; its maps cannot be drawn from it (give the store it was screened on)")
    return attach_map_context(result, store)
