"""Raster map tiles: local MBTiles/PMTiles files, tile URL templates, and tiles warped under a static map.

A basemap's tiles are Web Mercator XYZ tiles (the grid of 天地图 ``*_w``, of
intranet tile servers and of MBTiles/PMTiles files). Their imagery is drawn
either in CGCS2000/WGS84 (天地图, most government services) or in GCJ-02
(AMap 高德, Tencent): :func:`warp_tiles` puts either under a map drawn in any
CRS (the static map's Gauss-Kruger zone), shifting GCJ-02 imagery so that it
lines up with CGCS2000 data (the inverse of what the HTML map does: there the
overlays move, here the picture does).

- MBTiles: SQLite, ``tiles(zoom_level, tile_column, tile_row, tile_data)``
  with TMS rows (``tile_row = 2**z - 1 - y``), ``metadata(name, value)``.
- PMTiles v3: read with the ``pmtiles`` package (protomaps, BSD-3).

Only raster tiles (PNG, JPEG, WebP) are drawn; a vector-tile file is refused
with a clear message.
"""

from __future__ import annotations

import io
import math
import sqlite3
import threading
from pathlib import Path

import numpy as np

from ..errors import InputError

__all__ = ["TileFile", "open_tile_file", "tile_url", "fetch_tile", "lonlat_to_pixel",
           "warp_tiles", "TILE_SIZE", "WEB_MERCATOR_HALF"]

TILE_SIZE = 256
#: Half the Web Mercator world width (m).
WEB_MERCATOR_HALF = 20037508.342789244
_CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}
_MAGIC = ((b"\x89PNG", "png"), (b"\xff\xd8", "jpg"), (b"RIFF", "webp"))


def _sniff(data: bytes) -> str | None:
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    return None


class TileFile:
    """A local tile archive (MBTiles or PMTiles) of raster tiles.

    Attributes
    ----------
    path : Path
    format : str
        ``png``, ``jpg`` or ``webp``.
    minzoom, maxzoom : int
    bounds : tuple of float or None
        lon/lat bounds the file declares.
    name : str
    """

    def __init__(self, path: Path, fmt: str, minzoom: int, maxzoom: int, bounds, name: str):
        self.path, self.format, self.minzoom, self.maxzoom = path, fmt, minzoom, maxzoom
        self.bounds, self.name = bounds, name

    @property
    def content_type(self) -> str:
        """The HTTP content type of the tiles."""
        return _CONTENT_TYPES.get(self.format, "application/octet-stream")

    def get(self, z: int, x: int, y: int) -> bytes | None:  # pragma: no cover - overridden
        """The tile's bytes (XYZ numbering, y from the top), or None when the file has none."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the file."""


class _MBTiles(TileFile):
    def __init__(self, path: Path):
        try:
            self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            meta = dict(self._db.execute("SELECT name, value FROM metadata").fetchall())
            zooms = self._db.execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
            sample = self._db.execute("SELECT tile_data FROM tiles LIMIT 1").fetchone()
        except sqlite3.Error as exc:
            raise InputError(f"{path.name} is not an MBTiles file ({exc})") from None
        self._lock = threading.Lock()
        fmt = str(meta.get("format", "")).lower() or (_sniff(bytes(sample[0])) if sample else None) or ""
        if fmt in ("pbf", "mvt") or (sample and bytes(sample[0])[:2] == b"\x1f\x8b"):
            raise InputError(f"{path.name} holds vector tiles; a basemap needs raster tiles (PNG, JPEG or WebP)")
        if fmt not in _CONTENT_TYPES:
            raise InputError(f"{path.name}: tile format {fmt or 'unknown'!r} is not PNG, JPEG or WebP")
        bounds = None
        if meta.get("bounds"):
            try:
                bounds = tuple(float(v) for v in str(meta["bounds"]).split(","))
            except ValueError:
                bounds = None
        lo = int(meta.get("minzoom", zooms[0] if zooms[0] is not None else 0))
        hi = int(meta.get("maxzoom", zooms[1] if zooms[1] is not None else 18))
        super().__init__(path, "jpg" if fmt == "jpeg" else fmt, lo, hi, bounds, str(meta.get("name") or path.stem))

    def get(self, z: int, x: int, y: int) -> bytes | None:
        with self._lock:
            row = self._db.execute("SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                                   (z, x, (1 << z) - 1 - y)).fetchone()
        return bytes(row[0]) if row else None

    def close(self) -> None:
        self._db.close()


class _PMTiles(TileFile):
    def __init__(self, path: Path):
        try:
            from pmtiles.reader import MmapSource, Reader
            from pmtiles.tile import TileType
        except ImportError:  # pragma: no cover - a dependency
            raise InputError("reading PMTiles needs the pmtiles package (pip install pmtiles)") from None
        self._fh = open(path, "rb")
        try:
            self._reader = Reader(MmapSource(self._fh))
            header = self._reader.header()
        except Exception as exc:
            self._fh.close()
            raise InputError(f"{path.name} is not a PMTiles v3 archive ({type(exc).__name__})") from None
        if header.get("version") != 3:
            self._fh.close()
            raise InputError(f"{path.name} is not a PMTiles v3 archive")
        kind = header["tile_type"]
        fmt = {TileType.PNG: "png", TileType.JPEG: "jpg", TileType.WEBP: "webp"}.get(kind)
        if fmt is None:
            self._fh.close()
            what = "vector tiles" if kind == TileType.MVT else f"{kind.name} tiles"
            raise InputError(f"{path.name} holds {what}; a basemap needs raster tiles (PNG, JPEG or WebP)")
        bounds = (header["min_lon_e7"] / 1e7, header["min_lat_e7"] / 1e7, header["max_lon_e7"] / 1e7,
                  header["max_lat_e7"] / 1e7)
        self._lock = threading.Lock()
        super().__init__(path, fmt, int(header["min_zoom"]), int(header["max_zoom"]), bounds, path.stem)

    def get(self, z: int, x: int, y: int) -> bytes | None:
        with self._lock:
            data = self._reader.get(z, x, y)
        return bytes(data) if data else None

    def close(self) -> None:
        self._fh.close()


def open_tile_file(path) -> TileFile:
    """Open a local MBTiles (``.mbtiles``) or PMTiles (``.pmtiles``) file of raster tiles.

    Raises
    ------
    InputError
        Missing file, another suffix, not an archive, or vector tiles.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"basemap file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".mbtiles":
        return _MBTiles(path)
    if suffix == ".pmtiles":
        return _PMTiles(path)
    raise InputError(f"a basemap file must be .mbtiles or .pmtiles, got {path.name!r}")


def tile_url(template: str, z: int, x: int, y: int, subdomains: str = "abc") -> str:
    """A tile URL template filled in (``{z}``, ``{x}``, ``{y}``, ``{-y}``, ``{s}``), as Leaflet fills it."""
    s = subdomains[(x + y) % len(subdomains)] if subdomains else ""
    return (template.replace("{z}", str(z)).replace("{x}", str(x)).replace("{-y}", str((1 << z) - 1 - y))
            .replace("{y}", str(y)).replace("{s}", s))


def fetch_tile(template: str, z: int, x: int, y: int, subdomains: str = "abc", timeout_s: float = 5.0) -> bytes | None:
    """One tile from a tile server (None when it has none or cannot be reached)."""
    import urllib.request

    url = tile_url(template, z, x, y, subdomains)
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": "gisplan"}),
                                    timeout=timeout_s) as response:
            return response.read(8 << 20)
    except (OSError, ValueError):
        return None


def lonlat_to_pixel(lon, lat, z: int):
    """Global Web Mercator pixel coordinates (x right, y down) of lon/lat at zoom ``z``."""
    lon, lat = np.asarray(lon, dtype=float), np.clip(np.asarray(lat, dtype=float), -85.05112878, 85.05112878)
    n = TILE_SIZE * (1 << z)
    px = (lon + 180.0) / 360.0 * n
    py = (1.0 - np.log(np.tan(np.radians(lat)) + 1.0 / np.cos(np.radians(lat))) / math.pi) / 2.0 * n
    return px, py


def _decode(data: bytes) -> np.ndarray | None:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            return np.asarray(img.convert("RGBA"))
    except Exception:  # a broken tile: left blank
        return None


def warp_tiles(get_tile, *, minzoom: int, maxzoom: int, dst_crs: str, box, width: int, height: int,
               tiles_crs: str = "cgcs2000", max_tiles: int = 64) -> np.ndarray | None:
    """Tiles resampled onto a map grid in ``dst_crs`` (RGBA, ``height`` x ``width``), or None without any tile.

    Parameters
    ----------
    get_tile : callable
        ``get_tile(z, x, y) -> bytes or None``.
    minzoom, maxzoom : int
        Zoom levels the source has.
    dst_crs : str
        The map's CRS (e.g. the site's Gauss-Kruger zone).
    box : tuple of float
        ``minx, miny, maxx, maxy`` of the map in ``dst_crs``.
    width, height : int
        The grid's size in pixels.
    tiles_crs : {"cgcs2000", "gcj02"}
        What the imagery is drawn in; GCJ-02 imagery is shifted to CGCS2000.
    max_tiles : int
        Most tiles read (the zoom goes down until the map needs no more).

    Returns
    -------
    numpy.ndarray or None
        ``uint8`` RGBA; transparent where no tile was found.
    """
    from ..geo.crs import CGCS2000, transformer

    minx, miny, maxx, maxy = box
    # pixel centres of the map grid, as lon/lat of the data (CGCS2000)
    xs = minx + (np.arange(width) + 0.5) * (maxx - minx) / width
    ys = maxy - (np.arange(height) + 0.5) * (maxy - miny) / height
    gx, gy = np.meshgrid(xs, ys)
    lon, lat = transformer(dst_crs, CGCS2000).transform(gx.ravel(), gy.ravel())
    lon, lat = np.asarray(lon), np.asarray(lat)
    if tiles_crs == "gcj02":  # where GCJ-02 imagery shows the point
        from ..geo.chinacoords import gcj02_from_cgcs2000

        lon, lat = gcj02_from_cgcs2000(lon, lat)
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    pixel_m = (maxx - minx) / width
    mid_lat = float(np.nanmean(lat))
    z = int(math.floor(math.log2(max(156543.03392804097 * math.cos(math.radians(mid_lat)) / max(pixel_m, 1e-3), 1.0))))
    z = max(minzoom, min(maxzoom, z))
    while True:
        px, py = lonlat_to_pixel(lon, lat, z)
        tx0, tx1 = int(np.floor(px.min() / TILE_SIZE)), int(np.floor(px.max() / TILE_SIZE))
        ty0, ty1 = int(np.floor(py.min() / TILE_SIZE)), int(np.floor(py.max() / TILE_SIZE))
        if (tx1 - tx0 + 1) * (ty1 - ty0 + 1) <= max_tiles or z <= minzoom:
            break
        z -= 1
    mosaic = np.zeros(((ty1 - ty0 + 1) * TILE_SIZE, (tx1 - tx0 + 1) * TILE_SIZE, 4), dtype=np.uint8)
    found = False
    last = (1 << z) - 1
    for ty in range(ty0, ty1 + 1):
        for tx in range(tx0, tx1 + 1):
            if not (0 <= ty <= last):
                continue
            data = get_tile(z, tx % (1 << z), ty)
            img = _decode(data) if data else None
            if img is None or img.shape[:2] != (TILE_SIZE, TILE_SIZE):
                continue
            found = True
            r, c = (ty - ty0) * TILE_SIZE, (tx - tx0) * TILE_SIZE
            mosaic[r:r + TILE_SIZE, c:c + TILE_SIZE] = img
    if not found:
        return None
    # bilinear sampling at the pixel centres (pixel (i, j) of the mosaic covers [j, j+1) x [i, i+1))
    fx = np.clip(px - tx0 * TILE_SIZE - 0.5, 0, mosaic.shape[1] - 1)
    fy = np.clip(py - ty0 * TILE_SIZE - 0.5, 0, mosaic.shape[0] - 1)
    x0, y0 = np.floor(fx).astype(int), np.floor(fy).astype(int)
    x1, y1 = np.minimum(x0 + 1, mosaic.shape[1] - 1), np.minimum(y0 + 1, mosaic.shape[0] - 1)
    wx, wy = (fx - x0)[:, None], (fy - y0)[:, None]
    m = mosaic.astype(np.float32)
    out = (m[y0, x0] * (1 - wx) * (1 - wy) + m[y0, x1] * wx * (1 - wy) + m[y1, x0] * (1 - wx) * wy
           + m[y1, x1] * wx * wy)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8).reshape(height, width, 4)
