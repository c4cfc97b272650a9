"""A raster of the store drawn under the zoning of a map: found by name, read, warped and coloured.

Shared by the static map (drawn in the site's Gauss-Kruger zone) and the HTML
map (drawn in Web Mercator, EPSG:3857, as Leaflet does). Only the window of the
raster that covers the map is read, decimated to about the map's pixel size,
then warped onto the map's pixel grid: nearest neighbour for a classified
raster (class values stay class values), bilinear for a continuous one.

Classes are coloured from the class table's ``colour`` when it has one, else
by their label in the palette of common 30 m land-cover products (cropland,
forest, shrub, grassland, wetland, water, built-up, bare ...; ESA WorldCover
colours), else from a qualitative palette.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError

__all__ = [
    "LANDCOVER_COLOURS", "MAX_HTML_PIXELS", "UNDERLAY_ALPHA", "CONTINUOUS_CMAP", "Underlay", "check_raster_name",
    "class_colour", "raster_record", "underlay_for", "warp_underlay",
]

#: Opacity of the underlay under the zoning layers.
UNDERLAY_ALPHA = 0.75
#: Colour map of a continuous raster (stretched between the 2nd and 98th percentile in view).
CONTINUOUS_CMAP = "viridis"
#: Longest side (pixels) of the HTML map's overlay image.
MAX_HTML_PIXELS = 1400
#: Colour of a value missing from the class table.
OTHER_COLOUR = "#9e9e9e"

#: Land-cover colours by label keywords (ESA WorldCover 10 m/30 m convention), first match wins:
#: paddy fields are cropland, shrub forest is shrub, before the broader words.
LANDCOVER_COLOURS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("耕地", "农田", "水田", "旱地", "cropland", "cultivated", "crop", "paddy"), "#f096ff"),
    (("红树", "mangrove"), "#00cf75"),
    (("灌木", "灌丛", "shrub"), "#ffbb22"),
    (("林", "forest", "tree"), "#006400"),
    (("草", "grass", "herbaceous"), "#ffff4c"),
    (("湿地", "沼泽", "滩", "wetland", "marsh", "swamp"), "#0096a0"),
    (("冰", "雪", "snow", "ice", "glacier"), "#f0f0f0"),
    (("水", "河", "湖", "water", "river", "lake", "reservoir"), "#0064c8"),
    (("建设", "建筑", "不透水", "人造", "城", "居民", "工矿", "built", "impervious", "artificial", "urban",
      "settlement"), "#fa0000"),
    (("苔原", "苔藓", "地衣", "tundra", "moss", "lichen"), "#fae6a0"),
    (("未利用", "裸", "荒", "沙", "bare", "barren", "desert", "sparse"), "#b4b4b4"),
)
_FALLBACK = ("#8dd3c7", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5", "#bc80bd", "#ccebc5",
             "#ffed6f")


@dataclass
class Underlay:
    """A raster warped onto a map's pixel grid, ready to draw.

    Attributes
    ----------
    name, kind : str
        Raster name and ``classified`` or ``continuous``.
    values : ndarray
        Raster values on the map grid (float32, NaN where no data), cropped to the cells with data.
    rgba : ndarray
        ``values`` coloured, ``(rows, cols, 4)`` uint8, transparent where no data.
    bounds : tuple of float
        ``(minx, miny, maxx, maxy)`` of ``values`` in ``crs``.
    crs : str
        The map's CRS.
    classes : list of tuple
        Classified: ``(value, label, colour)`` of the values present, by value.
    vmin, vmax : float
        Continuous: the colour stretch.
    synthetic : bool
        The raster is example data (示例): its labels or the store say so.
    """

    name: str
    kind: str
    values: np.ndarray
    rgba: np.ndarray
    bounds: tuple[float, float, float, float]
    crs: str
    classes: list = field(default_factory=list)
    vmin: float | None = None
    vmax: float | None = None
    synthetic: bool = False


def class_colour(cls: dict, index: int = 0) -> str:
    """Colour (``#rrggbb``) of a class: its own ``colour``, else by label keywords, else a qualitative palette.

    Examples
    --------
    >>> class_colour({"value": 2, "label": "林地(示例)"})
    '#006400'
    >>> class_colour({"value": 1, "label": "水田"})
    '#f096ff'
    """
    own = str(cls.get("colour") or cls.get("color") or "").strip()
    if len(own) in (4, 7) and own.startswith("#"):
        return own.lower()
    text = f"{cls.get('label', '')} {cls.get('label_en', '')}".lower()
    for words, colour in LANDCOVER_COLOURS:
        if any(w in text for w in words):
            return colour
    return _FALLBACK[index % len(_FALLBACK)]


def _store_path(result) -> str:
    path = (getattr(result, "store_info", None) or {}).get("path")
    if not path:
        raise InputError("`raster`: this result has no store to read the raster from")
    return str(path)


def _records(store_path: str | os.PathLike) -> dict[str, dict]:
    from ..rasters.store import raster_records
    from ..store.gpkg import Store

    return {r["name"]: r for r in raster_records(Store(store_path))}


def _checked_record(records: dict[str, dict], name: str, option: str) -> dict:
    from ..rasters.stats import _checked

    if name not in records:
        raise InputError(f"{option} {name!r}: the store has no such raster (it has: {', '.join(records) or 'none'})")
    problem = _checked(records[name])
    if problem:
        raise InputError(problem.replace("its statistics are left out", "it is not drawn"))
    return records[name]


def check_raster_name(store_path: str | os.PathLike, name: str, *, option: str = "--map-raster") -> None:
    """Refuse, before any screening, a raster the store does not have or whose file differs from the imported one.

    Raises
    ------
    InputError
        One line naming the rasters the store has, or the checksum problem.
    """
    _checked_record(_records(store_path) if Path(store_path).is_file() else {}, name, option)


def raster_record(result, name: str) -> dict:
    """The register record of raster ``name`` of the result's store, its file checked against its checksum.

    Raises
    ------
    InputError
        Unknown name (the message lists the known ones) or a raster file that differs from the imported one.
    """
    return _checked_record(_records(_store_path(result)), name, "`raster`")


def _synthetic(result, record: dict) -> bool:
    if any("示例" in str(c.get("label", "")) for c in record["classes"]):
        return True
    layers = (getattr(result, "store_info", None) or {}).get("layers") or {}
    return any("synthetic" in str(v) for v in layers.values())


def _read_window(src, bounds, crs, width: int, height: int, resampling):
    """Read the window of ``src`` covering ``bounds`` (in ``crs``), decimated to about ``width`` x ``height``.

    Returns ``(array float32 with NaN for no data, transform)`` or None when the raster misses the map.
    """
    from affine import Affine
    from rasterio.warp import transform_bounds
    from rasterio.windows import Window, from_bounds

    sb = transform_bounds(crs, src.crs, *bounds, densify_pts=21)
    if not np.all(np.isfinite(sb)):  # the map lies outside the raster CRS's domain
        return None
    win = from_bounds(*sb, transform=src.transform)
    c0 = max(int(math.floor(win.col_off)) - 1, 0)
    r0 = max(int(math.floor(win.row_off)) - 1, 0)
    c1 = min(int(math.ceil(win.col_off + win.width)) + 1, src.width)
    r1 = min(int(math.ceil(win.row_off + win.height)) + 1, src.height)
    if c1 <= c0 or r1 <= r0:
        return None
    win = Window(c0, r0, c1 - c0, r1 - r0)
    # raster cells per map pixel; decimate only when cells are finer than pixels (the COG's overviews serve it)
    cells_x = (sb[2] - sb[0]) / abs(src.transform.a) / width
    cells_y = (sb[3] - sb[1]) / abs(src.transform.e) / height
    step = max(1.0, min(cells_x, cells_y))
    out_w, out_h = max(1, int(math.ceil(win.width / step))), max(1, int(math.ceil(win.height / step)))
    data = src.read(1, window=win, out_shape=(out_h, out_w), masked=True, resampling=resampling)
    arr = np.ma.filled(data.astype("float32"), np.nan)
    transform = src.window_transform(win) @ Affine.scale(win.width / out_w, win.height / out_h)
    return arr, transform


def warp_underlay(record: dict, crs: str, bounds: tuple[float, float, float, float], width: int, height: int, *,
                  lang: str = "zh", synthetic: bool = False) -> Underlay | None:
    """Warp raster ``record`` onto a ``width`` x ``height`` pixel grid over ``bounds`` (in ``crs``).

    Parameters
    ----------
    record : dict
        A raster register record (:func:`gisplan.rasters.store.raster_records`).
    crs : str
        The map's CRS (e.g. ``EPSG:4552``, ``EPSG:3857``).
    bounds : tuple of float
        The map's ``(minx, miny, maxx, maxy)`` in ``crs``.
    width, height : int
        The map's size in pixels.
    lang : {"zh", "en"}
        Language of the class labels.
    synthetic : bool
        Mark the underlay as example data.

    Returns
    -------
    Underlay or None
        None when the raster has no data on the map.
    """
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.transform import from_bounds
    from rasterio.warp import reproject

    classified = record["kind"] == "classified"
    resampling = Resampling.nearest if classified else Resampling.bilinear
    with rasterio.open(record["path"]) as src:
        got = _read_window(src, bounds, crs, width, height, resampling)
        src_crs = src.crs
    if got is None:
        return None
    arr, src_transform = got
    dst = np.full((height, width), np.nan, dtype="float32")
    reproject(source=arr, destination=dst, src_transform=src_transform, src_crs=src_crs, src_nodata=np.nan,
              dst_transform=from_bounds(*bounds, width, height), dst_crs=crs, dst_nodata=np.nan,
              resampling=resampling)
    rows, cols = np.nonzero(np.isfinite(dst))
    if not rows.size:
        return None
    r0, r1, c0, c1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    dst = dst[r0:r1, c0:c1]
    px, py = (bounds[2] - bounds[0]) / width, (bounds[3] - bounds[1]) / height
    box = (bounds[0] + c0 * px, bounds[3] - r1 * py, bounds[0] + c1 * px, bounds[3] - r0 * py)
    under = Underlay(record["name"], record["kind"], dst, np.zeros(dst.shape + (4,), np.uint8), box, crs,
                     synthetic=synthetic)
    if classified:
        _colour_classes(under, record["classes"], lang)
    else:
        _colour_continuous(under)
    return under


def _hex_rgb(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    if len(c) == 3:
        c = "".join(ch * 2 for ch in c)
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def _colour_classes(under: Underlay, classes: list[dict], lang: str) -> None:
    table = {int(c["value"]): (c, class_colour(c, i)) for i, c in enumerate(classes)}
    finite = np.isfinite(under.values)
    present = np.unique(under.values[finite]).astype(np.int64)
    ints = np.where(finite, under.values, -1).astype(np.int64)
    for value in present:
        cls, colour = table.get(int(value), ({}, OTHER_COLOUR))
        label = (cls.get("label_en") if lang == "en" else "") or cls.get("label") or (
            f"value {value} (not in the class table)" if lang == "en" else f"值 {value}（分类表未列）")
        under.rgba[ints == value] = (*_hex_rgb(colour), 255)
        under.classes.append((int(value), str(label), colour))


def _colour_continuous(under: Underlay) -> None:
    from matplotlib import colormaps

    finite = np.isfinite(under.values)
    vals = under.values[finite]
    lo, hi = (float(np.percentile(vals, 2)), float(np.percentile(vals, 98))) if vals.size else (0.0, 1.0)
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    under.vmin, under.vmax = lo, hi
    scaled = np.clip((np.where(finite, under.values, lo) - lo) / (hi - lo), 0, 1)
    under.rgba[...] = colormaps[CONTINUOUS_CMAP](scaled, bytes=True)
    under.rgba[~finite] = 0


def underlay_for(result, name: str, crs: str, bounds: tuple[float, float, float, float], width: int, height: int,
                 *, lang: str = "zh") -> Underlay | None:
    """The store's raster ``name`` warped onto a map grid of ``result`` (see :func:`warp_underlay`).

    Raises
    ------
    InputError
        Unknown raster name or a raster file that differs from the imported one.
    """
    record = raster_record(result, name)
    return warp_underlay(record, crs, bounds, width, height, lang=lang, synthetic=_synthetic(result, record))


def png_data_uri(rgba: np.ndarray) -> str:
    """An RGBA array as a ``data:image/png;base64,...`` URI."""
    import base64
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba), mode="RGBA").save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
