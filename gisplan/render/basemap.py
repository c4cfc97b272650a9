"""Basemaps for the HTML map: blank by default, presets, or a user tile URL.

gisplan's layers are in CGCS2000. A basemap is either in CGCS2000 too
(Tianditu 天地图, most government services: overlays drawn as they are) or in
GCJ-02 (AMap 高德, Tencent: offset by a few hundred metres, non-linearly). With
a GCJ-02 basemap every overlay is shifted into GCJ-02 for display only, so the
two line up; measurements and reports always use the unshifted CGCS2000 data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import shapely

from ..errors import InputError

__all__ = ["BASEMAP_PRESETS", "TILE_CRSS", "Basemap", "BasemapSpec", "basemap_spec", "display_geoms", "resolve_basemap"]

#: Coordinate systems a basemap can be in.
TILE_CRSS = ("cgcs2000", "gcj02")


@dataclass(frozen=True)
class Basemap:
    """A tile layer and the coordinate system its imagery is drawn in.

    Attributes
    ----------
    url : str
        Leaflet tile URL template with ``{x}``, ``{y}``, ``{z}`` (``{s}`` optional).
    attribution : str
    crs : str
        ``"cgcs2000"`` (overlays drawn as they are) or ``"gcj02"`` (overlays shifted).
    subdomains : str
        Values for ``{s}``.
    name : str
        Label in the layer control.
    """

    url: str
    attribution: str
    crs: str = "cgcs2000"
    subdomains: str = "abc"
    name: str = "底图"


#: Named basemaps that need no key. ``blank`` means no tiles at all (fully offline).
BASEMAP_PRESETS: dict[str, Basemap | None] = {
    "blank": None,
    "amap": Basemap(
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
        "&copy; 高德地图 AutoNavi (GCJ-02; 叠加层已偏移以对齐)", "gcj02", "1234", "高德地图",
    ),
    "amap-satellite": Basemap(
        "https://webst0{s}.is.autonavi.com/appmaptile?style=6&x={x}&y={y}&z={z}",
        "&copy; 高德地图 AutoNavi 影像 (GCJ-02; 叠加层已偏移以对齐)", "gcj02", "1234", "高德影像",
    ),
}

_PLACEHOLDER = re.compile(r"\{(-?y|x|z)\}")


def resolve_basemap(
    basemap: str | None = None,
    tiles: str | None = None,
    attribution: str | None = None,
    tiles_crs: str | None = None,
) -> Basemap | None:
    """Check basemap options and return the basemap to draw (``None``: blank).

    Parameters
    ----------
    basemap : str, optional
        A preset name from :data:`BASEMAP_PRESETS` (default ``"blank"``).
    tiles : str, optional
        A tile URL template with ``{x}``, ``{y}`` (or ``{-y}``) and ``{z}``, key
        included, e.g. Tianditu's
        ``https://t0.tianditu.gov.cn/vec_w/wmts?...&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=KEY``.
    attribution : str, optional
        Attribution text shown for ``tiles``.
    tiles_crs : {"cgcs2000", "gcj02"}, optional
        What the imagery of ``tiles`` is drawn in (default ``cgcs2000``, as Tianditu).

    Raises
    ------
    InputError
        Unknown preset or CRS, a URL without the placeholders, or both a preset and a URL.
    """
    name = (basemap or "blank").strip().lower()
    if name not in BASEMAP_PRESETS:
        raise InputError(f"unknown basemap {basemap!r}: choose one of {', '.join(BASEMAP_PRESETS)}")
    crs = None if tiles_crs is None else tiles_crs.strip().lower().replace("-", "")
    if crs is not None and crs not in TILE_CRSS:
        raise InputError(f"unknown tile CRS {tiles_crs!r}: choose cgcs2000 or gcj02")
    if tiles is None:
        if crs is not None:
            raise InputError("`tiles_crs` needs `tiles` (a tile URL)")
        if attribution is not None and BASEMAP_PRESETS[name] is None:
            raise InputError("`tiles_attr` needs `tiles` (a tile URL)")
        preset = BASEMAP_PRESETS[name]
        if preset is not None and attribution:
            return Basemap(preset.url, attribution, preset.crs, preset.subdomains, preset.name)
        return preset
    if name != "blank":
        raise InputError(f"give either `basemap` {name} or `tiles` URL, not both")
    url = tiles.strip()
    if not re.match(r"https?://", url, re.IGNORECASE):
        raise InputError(f"`tiles` must be an http(s) URL template, got {tiles!r}")
    found = set(_PLACEHOLDER.findall(url))
    if not {"x", "z"} <= found or not found & {"y", "-y"}:
        raise InputError(f"`tiles` URL needs the placeholders {{x}}, {{y}} and {{z}}, got {tiles!r}")
    if re.search(r"[\s<>\"']", url):
        raise InputError(f"`tiles` URL contains spaces, quotes or angle brackets: {tiles!r}")
    subdomains = "01234567" if "tianditu" in url.lower() else "abc"  # Tianditu: t0..t7
    return Basemap(url, attribution or "basemap", crs or "cgcs2000", subdomains)


@dataclass(frozen=True)
class BasemapSpec:
    """The basemap of ``gisplan serve`` and of the maps it draws (page, HTML map, PNG, DOCX figure).

    Attributes
    ----------
    kind : {"offline", "url", "file", "none"}
        ``offline``: the bundled county boundaries and seats
        (:mod:`gisplan.render.offline_basemap`); ``url``: an XYZ/WMTS tile URL
        template; ``file``: a local MBTiles/PMTiles file the server serves;
        ``none``: no basemap.
    source : str
        The URL template or the file's path.
    crs : {"cgcs2000", "gcj02"}
        What the tiles' imagery is drawn in.
    attribution : str
    subdomains : str
        Values of ``{s}`` in a URL template.
    """

    kind: str = "offline"
    source: str = ""
    crs: str = "cgcs2000"
    attribution: str = ""
    subdomains: str = "abc"

    @property
    def key(self) -> str:
        """A short name of this choice (outputs drawn with it are kept apart from others)."""
        import hashlib

        if self.kind in ("offline", "none"):
            return self.kind
        return self.kind + "-" + hashlib.sha256(f"{self.source}|{self.crs}".encode()).hexdigest()[:10]


def basemap_spec(value: str | None = None, crs: str | None = None, attribution: str | None = None) -> BasemapSpec:
    """Check a basemap given as ``gisplan serve --basemap`` takes it.

    Parameters
    ----------
    value : str, optional
        ``offline`` (default: bundled county boundaries and seats, no network),
        ``none``, an http(s) tile URL template with ``{x}``, ``{y}`` (or ``{-y}``)
        and ``{z}`` (天地图 ``vec_w`` WMTS with your key, an intranet tile server),
        or the path of a local ``.mbtiles``/``.pmtiles`` file of raster tiles.
    crs : {"cgcs2000", "gcj02"}, optional
        What the tiles are drawn in (default ``cgcs2000``, as 天地图 and WGS84 tiles).
    attribution : str, optional
        Credit shown on the maps.

    Raises
    ------
    InputError
        A URL without the placeholders, a missing or unreadable tile file,
        vector tiles, or an unknown CRS.
    """
    text = (value or "offline").strip()
    shown = None if crs is None else crs.strip().lower().replace("-", "").replace("_", "")
    if shown is not None and shown not in TILE_CRSS:
        raise InputError(f"unknown basemap CRS {crs!r}: choose cgcs2000 (also WGS84) or gcj02")
    if text.lower() in ("offline", "none", "blank"):
        if shown is not None:
            raise InputError("a basemap CRS applies to tiles (a URL or an MBTiles/PMTiles file)")
        return BasemapSpec("none" if text.lower() in ("none", "blank") else "offline")
    if re.match(r"https?://", text, re.IGNORECASE):
        checked = resolve_basemap(tiles=text, attribution=attribution, tiles_crs=shown)
        return BasemapSpec("url", checked.url, checked.crs, attribution or "", checked.subdomains)
    from pathlib import Path

    from .tiles import open_tile_file

    path = Path(text).expanduser()
    open_tile_file(path).close()  # refused here, in one line, if it cannot be served
    return BasemapSpec("file", str(path.resolve()), shown or "cgcs2000", attribution or "")


def display_geoms(geoms, crs: str = "cgcs2000"):
    """Geometries (CGCS2000 lon/lat) as drawn over a basemap in ``crs``.

    For ``gcj02`` the coordinates go through
    :func:`gisplan.geo.chinacoords.gcj02_from_cgcs2000`; otherwise they are returned as they are.
    Works on one geometry or an array of them.
    """
    if crs != "gcj02":
        return geoms
    from ..geo.chinacoords import gcj02_from_cgcs2000

    def shift(xy: np.ndarray) -> np.ndarray:
        if len(xy) == 0:
            return xy
        lon, lat = gcj02_from_cgcs2000(xy[:, 0], xy[:, 1])
        return np.column_stack([np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)])

    return shapely.transform(geoms, shift)
