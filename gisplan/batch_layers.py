"""The overlay layers of a whole batch in one file (``gisplan batch --layers-out``).

Each site is screened in full with :func:`gisplan.screening.screen` (the batch
table holds area totals only; layers need every piece, crossing and nearby
feature), from the site's own geometry with its row's radius, width and project
type, so a line site gets its crossings. Every feature carries the site's id
(``site_id``); the context layer holds each unit or zone once. When the batch
table is given, each site's verdict and area are checked against its row: the
layers always say what the table says (a mismatch is an error, not a file).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from .geo.crs import CGCS2000
from .errors import InputError, SiteError
from .tables import SiteTable, is_missing

__all__ = ["write_batch_layers", "batch_layers"]


def _site_table(sites, *, source_crs, layer, encoding, cm, towgs84, dxf_layer) -> tuple[SiteTable, str | None]:
    from .sites import read_site_table

    if isinstance(sites, SiteTable):
        return sites, sites.crs or source_crs
    if SiteTable.is_frame(sites):
        table = SiteTable.from_frame(sites)
        return table, table.crs or source_crs
    table, _note, _ = read_site_table(sites, source_crs=source_crs, cm=cm, towgs84=towgs84, dxf_layer=dxf_layer,
                                      layer=layer, encoding=encoding)
    return table, CGCS2000


def batch_layers(
    sites,
    store,
    *,
    id_field: str,
    table=None,
    radius: float | None = None,
    width: float | None = None,
    buffer: float = 5000.0,
    industry: str | None = None,
    industry_field: str | None = None,
    national_major: bool | None = None,
    source_crs: str | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    cm: int | None = None,
    towgs84: str | None = None,
    dxf_layer: str | None = None,
    progress: bool | None = None,
    on_site: Callable[[int, int], None] | None = None,
):
    """The overlay layers (:class:`~gisplan.render.layers_out.OverlayLayers`) of every site of a batch.

    Parameters
    ----------
    sites : path, SiteTable or GeoDataFrame
        The sites, as :func:`gisplan.batch.screen_batch` takes them.
    store : Store or path
    id_field : str
        The field identifying each site (its ``site_id`` in every layer).
    table : GeoDataFrame or BatchTable, optional
        The batch table of the same sites (same order): each site's verdict and
        project type are taken from / checked against its row.
    radius, width, buffer, industry, industry_field, national_major, source_crs, layer, encoding, cm, towgs84, \
dxf_layer :
        As :func:`gisplan.batch.screen_batch` (``buffer``: the search distance for nearby features).
    progress : bool, optional
        A progress bar on standard error (default: when it is a terminal).
    on_site : callable, optional
        Called as ``on_site(done, total)`` after each site (a QGIS task reports progress and
        raises there to cancel).

    Returns
    -------
    OverlayLayers

    Raises
    ------
    InputError
        A missing id or industry field; RuntimeError when a site's screening differs from its row.
    """
    from tqdm.auto import tqdm

    from .batch_reports import row_industry
    from .render.layers_out import OverlayLayers, add_result, combine_layers
    from .screening import screen
    from .sites import site_from_geometry
    from .store.spec import as_store

    store = as_store(store)
    sites_table, crs = _site_table(sites, source_crs=source_crs, layer=layer, encoding=encoding, cm=cm,
                                   towgs84=towgs84, dxf_layer=dxf_layer)
    if id_field not in sites_table.columns:
        raise InputError(f"`id_field` {id_field!r} is not a field of the sites (fields: {', '.join(sites_table.columns)})")
    if industry_field and industry_field not in sites_table.columns:
        raise InputError(f"`industry_field` {industry_field!r} is not a field of the sites")
    n = len(sites_table)
    if table is not None and len(table) != n:
        raise InputError(f"the batch table has {len(table)} row(s) but the sites {n}")
    rows = _table_rows(table)
    radii = sites_table["radius_m"] if "radius_m" in sites_table.columns else None
    widths = sites_table["width_m"] if "width_m" in sites_table.columns else None
    show = sys.stderr.isatty() if progress is None else progress
    parts, seen = [], set()
    for i in tqdm(range(n), disable=not show, unit="site", desc="layers"):
        site_id = sites_table[id_field][i]
        row = rows[i] if rows is not None else None
        if row is not None and row["verdict"] == "error":
            _report(on_site, i + 1, n)
            continue
        r = radii[i] if radii is not None and not is_missing(radii[i]) else radius
        w = widths[i] if widths is not None and not is_missing(widths[i]) else width
        if row is not None:
            kind_of = row_industry(row["industry"])
        else:
            given = sites_table[industry_field][i] if industry_field else None
            kind_of = industry if is_missing(given) or not str(given).strip() else str(given)
        try:
            site = site_from_geometry(sites_table.geometry[i], crs=crs or CGCS2000, name=str(site_id))
            result = screen(site, store, radius=r, width=w, buffer=buffer, industry=kind_of,
                            national_major=national_major)
        except SiteError:
            if row is not None:  # pragma: no cover - the batch screened it
                raise
            _report(on_site, i + 1, n)
            continue
        if row is not None:
            _check_row(site_id, result, row)
        part = OverlayLayers(gk_crs=result.project["gk_crs"])
        add_result(part, result, site_id=str(site_id), seen_context=seen)
        parts.append(part)
        _report(on_site, i + 1, n)
    return combine_layers(parts, title=f"{n} 个项目选址的三线一单筛查")


def _report(on_site, done: int, total: int) -> None:
    if on_site is not None:
        on_site(done, total)


def _table_rows(table) -> list[dict] | None:
    """The batch table's ``verdict``, ``industry`` and ``area_m2`` per row (None without a table)."""
    if table is None:
        return None
    cols = {c: list(table[c]) for c in ("verdict", "industry", "area_m2")}
    return [{c: cols[c][i] for c in cols} for i in range(len(cols["verdict"]))]


def _check_row(site_id, result, row: dict) -> None:
    verdict = result.verdict.get("overall")
    if verdict != row["verdict"]:
        raise RuntimeError(f"site {site_id}: the layers' verdict {verdict!r} differs from the batch row's {row['verdict']!r}")
    area, expected = float(result.project["area_m2"]), float(row["area_m2"])
    if abs(area - expected) > 1e-6 * max(expected, 1.0):
        raise RuntimeError(f"site {site_id}: the layers' site area {area:.3f} m² differs from the batch row's {expected:.3f} m²")


def write_batch_layers(sites, store, path: str | os.PathLike, *, id_field: str, protect=(), **options) -> Path:
    """Write the overlay layers of every site of a batch to ``path`` (``.gpkg``, ``.shp.zip``, ``.gdb``, ``.kmz``,
    ``.dxf``), atomically.

    Parameters
    ----------
    sites, store, id_field, **options
        As :func:`batch_layers` (``table``, ``radius``, ``width``, ``buffer``, ``industry`` ...).
    path : path
        The output; its suffix names the format (:func:`gisplan.render.layers_out.write_layers`).
    protect : iterable of paths
        Files never to write over (the store, the sites file).

    Returns
    -------
    Path
    """
    from .render.layers_out import check_layers_path, write_layers
    from .store.spec import as_store

    store = as_store(store)
    protect = [*protect, str(getattr(store, "path", "") or "") or None]
    check_layers_path(path, protect=protect)  # before the screening
    layers = batch_layers(sites, store, id_field=id_field, **options)
    return write_layers(layers, path, protect=protect)
