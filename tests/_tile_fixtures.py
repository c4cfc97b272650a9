"""Raster tile fixtures (MBTiles, PMTiles) with marks at known points, for the basemap alignment tests.

Each tile is a pale paper colour with a faint grid; a known point is marked by a
magenta disc (radius 3 px) centred where the point lies on the tile. Positions
are computed here independently of gisplan: pyproj's EPSG:3857 for Web Mercator
and the XYZ tile numbering of the OSM slippy-map convention; a GCJ-02 source
marks ``gisplan.geo.chinacoords.gcj02_from_cgcs2000`` of the point (what AMap
imagery shows there).
"""

from __future__ import annotations

import io
import math
import sqlite3
from pathlib import Path

import numpy as np
from PIL import Image
from pyproj import Transformer

MAGENTA = (255, 0, 255)
HALF = 20037508.342789244
_TO_3857 = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)


def global_pixel(lon: float, lat: float, z: int) -> tuple[float, float]:
    """Pixel position (x right, y down) of lon/lat in the 256-px tile grid of zoom ``z`` (via pyproj)."""
    x, y = _TO_3857.transform(lon, lat)
    n = 256 * (2 ** z)
    return (x + HALF) / (2 * HALF) * n, (HALF - y) / (2 * HALF) * n


def _tile_png(z: int, tx: int, ty: int, marks: list[tuple[float, float]]) -> bytes:
    img = np.full((256, 256, 3), (246, 241, 228), dtype=np.uint8)
    img[::64, :, :] = (215, 210, 200)
    img[:, ::64, :] = (215, 210, 200)
    yy, xx = np.mgrid[0:256, 0:256]
    for lon, lat in marks:
        px, py = global_pixel(lon, lat, z)
        cx, cy = px - tx * 256, py - ty * 256  # pixel centres are at i + 0.5
        if -4 <= cx <= 260 and -4 <= cy <= 260:
            img[(xx + 0.5 - cx) ** 2 + (yy + 0.5 - cy) ** 2 <= 9.0] = MAGENTA
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


def tiles_for(bounds, zooms, marks) -> dict[tuple[int, int, int], bytes]:
    """PNG tiles ``{(z, x, y): bytes}`` covering ``bounds`` (lon/lat) at each zoom, with ``marks`` (lon/lat)."""
    x0, y0, x1, y1 = bounds
    out = {}
    for z in zooms:
        (ax, ay), (bx, by) = global_pixel(x0, y1, z), global_pixel(x1, y0, z)
        for ty in range(int(ay // 256), int(by // 256) + 1):
            for tx in range(int(ax // 256), int(bx // 256) + 1):
                out[(z, tx, ty)] = _tile_png(z, tx, ty, marks)
    return out


def write_mbtiles(path: Path, tiles: dict, bounds, name: str = "fixture") -> Path:
    """An MBTiles 1.3 file (TMS rows) of PNG tiles."""
    path = Path(path)
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
        zooms = sorted({z for z, _, _ in tiles})
        meta = {"name": name, "format": "png", "type": "baselayer", "minzoom": str(zooms[0]),
                "maxzoom": str(zooms[-1]), "bounds": ",".join(f"{v:.6f}" for v in bounds)}
        db.executemany("INSERT INTO metadata VALUES (?, ?)", list(meta.items()))
        db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                       [(z, x, (2 ** z) - 1 - y, sqlite3.Binary(data)) for (z, x, y), data in tiles.items()])
    return path


def write_pmtiles(path: Path, tiles: dict, bounds) -> Path:
    """A PMTiles v3 archive of PNG tiles (written with the pmtiles package)."""
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import Writer

    path = Path(path)
    entries = sorted((zxy_to_tileid(z, x, y), data) for (z, x, y), data in tiles.items())
    with open(path, "wb") as fh:
        w = Writer(fh)
        for tile_id, data in entries:
            w.write_tile(tile_id, data)
        x0, y0, x1, y1 = bounds
        w.finalize({"tile_type": TileType.PNG, "tile_compression": Compression.NONE,
                    "min_lon_e7": int(x0 * 1e7), "min_lat_e7": int(y0 * 1e7), "max_lon_e7": int(x1 * 1e7),
                    "max_lat_e7": int(y1 * 1e7), "center_zoom": min(z for z, _, _ in tiles),
                    "center_lon_e7": int((x0 + x1) / 2 * 1e7), "center_lat_e7": int((y0 + y1) / 2 * 1e7)},
                   {"name": "fixture"})
    return path


def magenta_blobs(rgb: np.ndarray, min_pixels: int = 6) -> list[tuple[float, float]]:
    """Centroids (x, y in pixels) of the magenta marks in an RGB(A) image (4-connected blobs).

    Magenta seen through a light fill of the zoning still counts (red and blue high, green low).
    """
    r, g, b = (rgb[..., i].astype(int) for i in range(3))
    mask = (r > 180) & (b > 150) & (g < 100) & (r - g > 120) & (b - g > 90)
    seen = np.zeros_like(mask)
    out = []
    for y, x in zip(*np.nonzero(mask)):
        if seen[y, x]:
            continue
        stack, pts = [(y, x)], []
        seen[y, x] = True
        while stack:
            cy, cx = stack.pop()
            pts.append((cy, cx))
            for ny, nx in ((cy + 1, cx), (cy - 1, cx), (cy, cx + 1), (cy, cx - 1)):
                if 0 <= ny < mask.shape[0] and 0 <= nx < mask.shape[1] and mask[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    stack.append((ny, nx))
        if len(pts) >= min_pixels:
            ys, xs = zip(*pts)
            out.append((float(np.mean(xs)) + 0.5, float(np.mean(ys)) + 0.5))
    return out


def nearest(points, target) -> float:
    """Distance (px) from ``target`` to the nearest of ``points`` (inf when there is none)."""
    return min((math.dist(p, target) for p in points), default=math.inf)
