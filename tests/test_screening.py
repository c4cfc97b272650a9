"""Screening areas and distances against independent ellipsoidal computations (pyproj.Geod)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from _site_fixtures import write_site
from conftest import GEOD, PROTECTED, REDLINE, UNITS, WATER, geod_area, rel

import gisplan
from gisplan.errors import StoreError
from gisplan.screening import screen

TOL = 2e-6  # relative; the engine's equal-area plane versus geodesic edges over ~100 m


def test_site_straddling_three_units(store_path, site_file):
    site = shapely.Polygon([(129.48, 42.86), (129.53, 42.86), (129.53, 42.89), (129.48, 42.89)])
    r = screen(site_file(site), store_path)
    assert rel(r.project["area_m2"], geod_area(site)) < TOL
    got = dict(zip(r.control_units["code"], r.control_units["overlap_m2"]))
    assert set(got) == set(UNITS)
    for code, (_, _, unit) in UNITS.items():
        assert rel(got[code], geod_area(site.intersection(unit))) < TOL, code
    shares = r.control_units.set_index("code")["share_of_project"]
    assert shares.sum() == pytest.approx(1.0, abs=1e-9)
    assert r.by_category["priority"] == pytest.approx(got["ZH22240110001"])
    assert r.project["outside_coverage_m2"] == 0.0
    assert r.verdict["overall"] == "review"  # no industry, no access list in the fixture store


def test_site_with_hole_overlapping_redline(store_path, site_file):
    outer = [(129.44, 42.84), (129.48, 42.84), (129.48, 42.87), (129.44, 42.87)]
    hole = [(129.45, 42.845), (129.455, 42.845), (129.455, 42.85), (129.45, 42.85)]
    site = shapely.Polygon(outer, [hole])
    r = screen(site_file(site), store_path)
    assert rel(r.project["area_m2"], geod_area(site)) < TOL
    assert r.project["area_m2"] < geod_area(shapely.Polygon(outer))  # the hole is not counted
    hit = r.hits[r.hits["kind"] == "eco_redline"]
    assert len(hit) == 1
    assert rel(float(hit["overlap_m2"].iloc[0]), geod_area(site.intersection(REDLINE))) < TOL
    assert r.verdict["overall"] == "review"  # no industry given: area-based findings
    assert any(f["kind"] == "eco_redline" and f["decision"] == "review" for f in r.verdict["findings"])


def test_site_partly_outside_coverage(store_path, site_file):
    site = shapely.box(129.58, 42.90, 129.61, 42.92)  # crosses the east edge at 129.60
    r = screen(site_file(site), store_path)
    outside = geod_area(site.difference(shapely.box(129.40, 42.80, 129.60, 42.95)))
    assert rel(r.project["outside_coverage_m2"], outside) < 1e-5
    assert any("outside the store's control units" in w for w in r.warnings)


def test_site_wholly_outside_coverage(store_path, site_file):
    site = shapely.box(129.70, 42.90, 129.72, 42.92)
    r = screen(site_file(site), store_path)
    assert len(r.control_units) == 0
    assert rel(r.project["outside_coverage_m2"], geod_area(site)) < TOL
    assert any("wholly outside" in w for w in r.warnings)


def test_site_given_in_gk_zone(store_path, tmp_path):
    """A 1 km x 1.5 km rectangle drawn in CGCS2000 GK zone CM 129E (EPSG:4552)."""
    to_gk = pyproj.Transformer.from_crs("EPSG:4490", "EPSG:4552", always_xy=True)
    x0, y0 = to_gk.transform(129.52, 42.88)
    rect = shapely.box(x0, y0, x0 + 1000.0, y0 + 1500.0)
    path = tmp_path / "gk_site.shp"
    write_site(path, rect, "高斯投影地块", crs="EPSG:4552")
    r = screen(path, store_path)
    # planimetric area in the same GK zone is exactly the drawn rectangle
    assert r.project["gk_crs"] == "EPSG:4552"
    assert r.project["area_gk_m2"] == pytest.approx(1.5e6, rel=1e-6)
    # ellipsoidal: densify in the plane, take vertices to lon/lat, Geod area
    back = pyproj.Transformer.from_crs("EPSG:4552", "EPSG:4490", always_xy=True)
    ring = np.asarray(shapely.segmentize(rect, 10.0).exterior.coords)
    lon, lat = back.transform(ring[:, 0], ring[:, 1])
    expected = geod_area(shapely.Polygon(np.column_stack([lon, lat])))
    assert rel(r.project["area_m2"], expected) < 1e-5
    # GK planimetric and ellipsoidal differ by the zone's scale (> 0, small near the CM)
    assert 0 < abs(r.project["area_gk_m2"] - r.project["area_m2"]) / r.project["area_m2"] < 2e-3
    assert "EPSG:4552" in r.project["crs_note"]


def test_nearby_water_source_distance_and_direction(store_path, site_file):
    site = shapely.box(129.59, 42.86, 129.60, 42.87)  # 0.02 deg west of the level-2 zone at 129.62
    r = screen(site_file(site), store_path, buffer=5000)
    near = r.nearby[r.nearby["kind"] == "water_sources"]
    assert list(near["zone"]) == ["level2", "level1"]  # sorted by distance
    _, _, expected = GEOD.inv(129.60, 42.865, 129.62, 42.865)
    assert float(near["distance_m"].iloc[0]) == pytest.approx(expected, rel=1e-3)
    _, _, to_level1 = GEOD.inv(129.60, 42.865, 129.625, 42.865)
    assert float(near["distance_m"].iloc[1]) == pytest.approx(to_level1, rel=1e-3)
    assert near["direction"].iloc[0] == "东"
    assert near["position"].iloc[0].startswith("东侧 1.6 km")
    assert not any(f["kind"] == "water_sources" for f in r.verdict["findings"])  # nearby is not a hit
    # a buffer shorter than the distance finds nothing
    r2 = screen(site_file(site), store_path, buffer=1000)
    assert len(r2.nearby[r2.nearby["kind"] == "water_sources"]) == 0


def test_hits_in_water_levels_and_protected_zone(store_path, site_file):
    site = shapely.box(129.63, 42.865, 129.645, 42.868)  # level 1, level 2 and outside
    r = screen(site_file(site), store_path)
    water = r.hits[r.hits["kind"] == "water_sources"].set_index("zone")
    assert set(water.index) == {"level1", "level2"}
    for label, geom in WATER.items():
        level = {"一级保护区": "level1", "二级保护区": "level2"}[label]
        assert rel(float(water.loc[level, "overlap_m2"]), geod_area(site.intersection(geom))) < 1e-5
    assert water.loc["level1", "zone_label"] == "一级保护区"
    core = PROTECTED["核心区"]
    r2 = screen(site_file(shapely.box(129.43, 42.91, 129.45, 42.93)), store_path)
    pa = r2.hits[r2.hits["kind"] == "protected_areas"]
    assert list(pa["zone"]) == ["core"]
    assert rel(float(pa["overlap_m2"].iloc[0]), geod_area(shapely.box(129.43, 42.91, 129.45, 42.93).intersection(core))) < 1e-5


def test_point_site_needs_radius_and_makes_a_disc(store_path, site_file):
    path = site_file(shapely.Point(129.45, 42.93))
    with pytest.raises(gisplan.errors.SiteError, match="radius"):
        screen(path, store_path)
    r = screen(path, store_path, radius=300)
    assert r.project["area_m2"] == pytest.approx(np.pi * 300**2, rel=2e-3)
    assert r.project["site_kind"] == "point"


def test_line_site_is_a_corridor(store_path, site_file):
    line = shapely.LineString([(129.42, 42.835), (129.47, 42.835)])  # crosses the redline's east edge
    r = screen(site_file(line), store_path, width=40)
    _, _, length = GEOD.inv(129.42, 42.835, 129.47, 42.835)
    assert r.project["area_m2"] == pytest.approx(length * 40 + np.pi * 20**2, rel=1e-2)
    red = r.hits[r.hits["kind"] == "eco_redline"]
    _, _, inside_len = GEOD.inv(129.42, 42.835, 129.46, 42.835)
    assert float(red["overlap_m2"].iloc[0]) == pytest.approx(inside_len * 40, rel=1e-2)


def test_json_report_shape(store_path, site_file, tmp_path):
    site = shapely.Polygon([(129.48, 42.86), (129.53, 42.86), (129.53, 42.89), (129.48, 42.89)])
    r = screen(site_file(site), store_path)
    out = tmp_path / "r.json"
    r.to_json(out)
    d = json.loads(out.read_text(encoding="utf-8"))
    assert set(d["project"]) >= {"area_m2", "area_gk_m2", "outside_coverage_m2"}
    assert set(d["by_category"]) == {"priority", "key", "general"}
    assert set(d["control_units"][0]) >= {"code", "name", "category", "overlap_m2", "overlap_gk_m2", "share_of_project"}
    assert set(d["verdict"]) >= {"overall", "findings", "industry"}
    assert set(d["verdict"]["findings"][0]) >= {"kind", "name", "zone", "decision", "rule", "citation"}
    assert isinstance(d["warnings"], list) and isinstance(d["hits"], list) and isinstance(d["nearby"], list)
    assert "优先保护" in out.read_text(encoding="utf-8")  # Chinese kept readable, not \u-escaped
    assert d == r.to_dict() | {"generated_at": d["generated_at"]}


def test_api_accepts_geometry_and_returns_frames(store_path):
    site = shapely.box(129.48, 42.86, 129.53, 42.89)
    r = gisplan.screen(site, store_path)
    assert isinstance(r.pieces, gpd.GeoDataFrame) and r.pieces.crs.to_epsg() == 4490
    assert len(r.pieces[r.pieces["kind"] == "control_units"]) == 3
    assert r.pieces["overlap_m2"].sum() == pytest.approx(r.project["area_m2"], rel=1e-9)
    assert isinstance(r.footprint_frame, gpd.GeoDataFrame)


def test_result_holds_its_map_context_as_data(store_path, tmp_path):
    """The map context is read at screening time: the result pickles without the store and still draws its map."""
    import pickle
    import shutil

    copy = tmp_path / "copy.gpkg"
    shutil.copy(store_path, copy)
    box = shapely.box(129.48, 42.86, 129.53, 42.89)
    r = screen(box, copy, industry="公路")
    hit_units = {int(u["feature_id"]) for u in r.unit_rows}
    assert hit_units and hit_units <= set(r.context["control_units"]["feature_id"].astype(int))
    assert len(r.county) >= 1
    copy.unlink()  # the store is gone: the result needs nothing from it
    again = pickle.loads(pickle.dumps(r))
    assert set(again.context) == set(r.context) and again.to_dict() == r.to_dict()
    again.to_png(tmp_path / "map.png")
    assert (tmp_path / "map.png").stat().st_size > 10_000
    bare = screen(box, store_path, industry="公路", context=False)
    assert bare.county is None and bare.to_dict()["by_category"] == r.to_dict()["by_category"]
    with pytest.raises(StoreError, match="no map context"):  # a map without the zones around the site: refused
        bare.to_png(tmp_path / "bare.png")
    assert not (tmp_path / "bare.png").exists()
    pickle.loads(pickle.dumps(bare))
