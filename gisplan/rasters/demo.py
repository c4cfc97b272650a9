"""A synthetic land-cover raster for the Yanbian demo (示例, not real land cover)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

__all__ = ["DEMO_LANDCOVER_CLASSES", "DEMO_RASTER_NAME", "write_demo_landcover"]

DEMO_RASTER_NAME = "landcover_demo"
#: Classes as in common 30 m land-cover products (value, label, label_en); every label marked 示例.
DEMO_LANDCOVER_CLASSES = [
    (1, "耕地(示例)", "cropland (example)"),
    (2, "林地(示例)", "forest (example)"),
    (3, "草地(示例)", "grassland (example)"),
    (4, "水体(示例)", "water (example)"),
    (5, "湿地(示例)", "wetland (example)"),
    (6, "建设用地(示例)", "built-up (example)"),
    (7, "未利用地(示例)", "barren (example)"),
]
CELL_DEG = 0.005


def _smooth_field(rng: np.random.Generator, lon: np.ndarray, lat: np.ndarray, waves: int) -> np.ndarray:
    """A smooth random field: a sum of seeded plane waves of 5-60 km wavelength."""
    z = np.zeros((lat.size, lon.size))
    for _ in range(waves):
        k = 2 * np.pi / rng.uniform(0.05, 0.6)
        theta, phase = rng.uniform(0, np.pi), rng.uniform(0, 2 * np.pi)
        z += np.cos(k * (np.cos(theta) * lon[None, :] + np.sin(theta) * lat[:, None]) + phase) / np.sqrt(k)
    return z


def _classify(terrain: np.ndarray, mix: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """Land cover from a terrain field (valleys: water, wetland, cropland) and a mixing field."""
    t = terrain[inside]
    q = np.quantile(t, [0.02, 0.04, 0.20])
    m = np.quantile(mix[inside], [0.93, 0.97])
    out = np.full(terrain.shape, 2, dtype=np.uint8)  # forest, as most of Yanbian
    out[terrain < q[2]] = 1
    out[(terrain < q[2]) & (mix > m[1])] = 6
    out[(terrain >= q[2]) & (mix > m[0])] = 3
    out[(terrain >= q[2]) & (mix > m[1])] = 7
    out[terrain < q[1]] = 5
    out[terrain < q[0]] = 4
    out[~inside] = 0
    return out


def write_demo_landcover(admin_dir: Path, folder: Path, seed: int) -> tuple[Path, Path]:
    """Write the synthetic land-cover GeoTIFF and its class table CSV into ``folder``.

    Parameters
    ----------
    admin_dir : Path
        The demo's boundary folder (``data/admin``).
    folder : Path
        Where to write ``landcover_demo.tif`` and ``landcover_demo_classes.csv``.
    seed : int
        Seed of the random fields (same seed, same raster).

    Returns
    -------
    tuple of Path
        The GeoTIFF and the class table.
    """
    import rasterio
    from rasterio.features import geometry_mask
    from rasterio.transform import from_origin

    from ..demo.zoning import load_admin

    prefecture, _ = load_admin(admin_dir)
    x0, y0, x1, y1 = prefecture.bounds
    x0, y1 = np.floor(x0 / CELL_DEG) * CELL_DEG, np.ceil(y1 / CELL_DEG) * CELL_DEG
    width, height = int(np.ceil((x1 - x0) / CELL_DEG)), int(np.ceil((y1 - y0) / CELL_DEG))
    transform = from_origin(x0, y1, CELL_DEG, CELL_DEG)
    lon = x0 + (np.arange(width) + 0.5) * CELL_DEG
    lat = y1 - (np.arange(height) + 0.5) * CELL_DEG
    rng = np.random.default_rng(seed)
    inside = geometry_mask([prefecture], out_shape=(height, width), transform=transform, invert=True)
    data = _classify(_smooth_field(rng, lon, lat, 24), _smooth_field(rng, lon, lat, 24), inside)
    tif, table = folder / f"{DEMO_RASTER_NAME}.tif", folder / f"{DEMO_RASTER_NAME}_classes.csv"
    with rasterio.open(tif, "w", driver="GTiff", width=width, height=height, count=1, dtype="uint8",
                       crs="EPSG:4490", transform=transform, nodata=0, compress="deflate") as dst:
        dst.write(data, 1)
    with open(table, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["value", "label", "label_en"])
        w.writerows(DEMO_LANDCOVER_CLASSES)
    return tif, table
