"""Shared fixtures: a small store of known geometry near Yanji (lon/lat, CGCS2000).

Layout (degrees)::

    42.95 +-----------+-----------+
          |           |  unit C   |
          |  unit A   |  (key)    |
    42.875|(priority) +-----------+      water source at lon 129.62-129.64
          | redline   |  unit B   |
          | inside    | (general) |
    42.80 +-----------+-----------+
        129.40      129.50      129.60
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry.polygon import orient

os.environ.setdefault("MPLBACKEND", "Agg")
# the user cache (verified stores, parsed rules and outlines): one per test process, removed at its end, so tests
# neither read nor fill the user's ~/.cache/gisplan (subprocesses inherit it)
_CACHE = tempfile.mkdtemp(prefix="gisplan-test-cache-")
os.environ["GISPLAN_CACHE_DIR"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)

GEOD = Geod(ellps="GRS80")
REPO = Path(__file__).resolve().parents[1]

UNITS = {
    "ZH22240110001": ("延吉市生态优先保护单元（测试）", "优先保护单元", shapely.box(129.40, 42.80, 129.50, 42.95)),
    "ZH22240130001": ("延吉市一般管控单元（测试）", "一般管控单元", shapely.box(129.50, 42.80, 129.60, 42.875)),
    "ZH22240120001": ("延吉市城镇重点管控单元（测试）", "重点管控单元", shapely.box(129.50, 42.875, 129.60, 42.95)),
}
REDLINE = shapely.box(129.41, 42.81, 129.46, 42.86)
WATER = {
    "一级保护区": shapely.box(129.625, 42.86, 129.635, 42.87),
    "二级保护区": shapely.box(129.62, 42.855, 129.64, 42.875).difference(shapely.box(129.625, 42.86, 129.635, 42.87)),
}
PROTECTED = {"核心区": shapely.box(129.42, 42.90, 129.44, 42.92)}


def geod_area(geom) -> float:
    """Independent ellipsoidal area (m²) of a lon/lat (multi)polygon with pyproj.Geod."""
    total = 0.0
    for part in shapely.get_parts(geom):
        if part.geom_type != "Polygon" or part.is_empty:
            continue
        area, _ = GEOD.geometry_area_perimeter(orient(part, sign=1.0))
        total += area
    return total


def write_sources(folder: Path) -> dict[str, Path]:
    """Write the fixture layers as an official delivery would come (pinyin fields, Chinese values)."""
    folder.mkdir(parents=True, exist_ok=True)
    units = gpd.GeoDataFrame(
        {"HJGKDYBM": list(UNITS), "HJGKDYMC": [v[0] for v in UNITS.values()], "GKDYLB": [v[1] for v in UNITS.values()],
         "SJ": ["延边州"] * 3},
        geometry=[v[2] for v in UNITS.values()], crs="EPSG:4490",
    )
    red = gpd.GeoDataFrame({"HXMC": ["测试水源涵养生态保护红线"]}, geometry=[REDLINE], crs="EPSG:4490")
    water = gpd.GeoDataFrame({"SYDMC": ["测试水库水源地"] * 2, "BHQJB": list(WATER)}, geometry=list(WATER.values()), crs="EPSG:4490")
    prot = gpd.GeoDataFrame({"BHDMC": ["测试自然保护区"], "GNFQ": list(PROTECTED)}, geometry=list(PROTECTED.values()), crs="EPSG:4490")
    paths = {}
    for kind, frame in (("control_units", units), ("eco_redline", red), ("water_sources", water), ("protected_areas", prot)):
        paths[kind] = folder / f"{kind}.geojson"
        frame.to_file(paths[kind], driver="GeoJSON")
    return paths


@pytest.fixture(scope="session")
def store_path(tmp_path_factory) -> Path:
    """A store built through the public import path from the fixture layers."""
    from gisplan.importer import import_layer

    folder = tmp_path_factory.mktemp("fixture_store")
    sources = write_sources(folder / "src")
    path = folder / "store.gpkg"
    for kind, src in sources.items():
        import_layer(path, kind, src)
    return path


@pytest.fixture()
def site_file(tmp_path):
    """Write a lon/lat geometry as a GeoJSON site and return its path."""

    from _site_fixtures import write_site

    def make(geom, name="测试项目", crs="EPSG:4490", suffix=".geojson"):
        return write_site(tmp_path / f"site{suffix}", geom, name, crs=crs)

    return make


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory) -> Path:
    """The bundled demo store, built once per test session."""
    from gisplan.demo.run import build_demo_store

    path = tmp_path_factory.mktemp("demo") / "demo_yanbian.gpkg"
    build_demo_store(path)
    return path


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL + PostGIS server on a free loopback port (its port), one per test session; stopped at the end.

    Without the server binaries the tests skip on a workstation and FAIL in CI (``CI`` set).
    """
    import sys

    sys.path.insert(0, str(REPO / "tools"))
    import pg_cluster

    if not pg_cluster.available():
        if os.environ.get("CI"):
            pytest.fail(pg_cluster.missing_message())
        pytest.skip(pg_cluster.missing_message())
    with pg_cluster.pg_cluster() as url:
        yield int(url.rsplit(":", 1)[1].split("/", 1)[0])


def rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-12)


__all__ = ["GEOD", "geod_area", "rel", "np"]
