"""Crossings of a line site through zones, checked against independent computations."""

from __future__ import annotations

import json

import pyproj
import pytest
import shapely
from conftest import GEOD, REDLINE

from gisplan.crossings import line_crossings
from gisplan.report import summary_text
from gisplan.screening import screen

BOX = shapely.box(129.41, 42.81, 129.46, 42.86)
ZONE = {"kind": "eco_redline", "name": "红线", "zone": "redline", "zone_label": "生态保护红线", "geometry": BOX}
TO_GK = pyproj.Transformer.from_crs("EPSG:4490", "EPSG:4552", always_xy=True)


def test_east_west_line_across_a_box():
    line = shapely.LineString([(129.40, 42.835), (129.47, 42.835)])
    (c,) = line_crossings(line, [ZONE], gk_crs="EPSG:4552")
    assert c["entry"]["lon"] == pytest.approx(129.41, abs=1e-12) and c["exit"]["lon"] == pytest.approx(129.46, abs=1e-12)
    assert c["entry"]["lat"] == pytest.approx(42.835, abs=1e-12) and c["exit"]["lat"] == pytest.approx(42.835, abs=1e-12)
    _, _, inside = GEOD.inv(129.41, 42.835, 129.46, 42.835)
    assert c["length_m"] == pytest.approx(inside, rel=1e-6)
    _, _, before = GEOD.inv(129.40, 42.835, 129.41, 42.835)
    assert c["entry_chainage_m"] == pytest.approx(before, rel=1e-6)
    e, n = TO_GK.transform(129.41, 42.835)
    assert (c["entry"]["y_easting"], c["entry"]["x_northing"]) == (pytest.approx(e, abs=1e-6), pytest.approx(n, abs=1e-6))
    assert 4_700_000 < c["entry"]["x_northing"] < 4_800_000 and c["entry"]["y_easting"] > 500_000  # east of CM 129E
    assert c["gk_crs"] == "EPSG:4552" and c["zone_label"] == "生态保护红线" and c["area_m2"] is None
    assert not c["starts_inside"] and not c["ends_inside"]


def test_direction_follows_the_line_and_several_crossings_are_ordered():
    # west-going line through the box, then a second box: entry is the east edge
    second = dict(ZONE, name="第二块", geometry=shapely.box(129.30, 42.80, 129.35, 42.87))
    line = shapely.LineString([(129.47, 42.84), (129.28, 42.84)])
    cs = line_crossings(line, [second, ZONE], gk_crs="EPSG:4552")
    assert [c["name"] for c in cs] == ["红线", "第二块"]
    assert cs[0]["entry"]["lon"] == pytest.approx(129.46) and cs[0]["exit"]["lon"] == pytest.approx(129.41)
    assert cs[1]["entry"]["lon"] == pytest.approx(129.35) and cs[1]["exit"]["lon"] == pytest.approx(129.30)
    assert cs[0]["entry_chainage_m"] < cs[1]["entry_chainage_m"]
    # a U-shaped zone crossed twice by one line: two crossings of the same zone
    u = shapely.box(129.41, 42.81, 129.46, 42.86).difference(shapely.box(129.42, 42.82, 129.45, 42.87))
    twice = line_crossings(shapely.LineString([(129.40, 42.835), (129.47, 42.835)]), [dict(ZONE, geometry=u)], gk_crs="EPSG:4552")
    assert [round(c["entry"]["lon"], 9) for c in twice] == [129.41, 129.45]
    assert [round(c["exit"]["lon"], 9) for c in twice] == [129.42, 129.46]


def test_line_starting_inside_and_points_have_none():
    line = shapely.LineString([(129.43, 42.835), (129.50, 42.835)])
    (c,) = line_crossings(line, [ZONE], gk_crs="EPSG:4552")
    assert c["starts_inside"] and not c["ends_inside"] and c["entry_chainage_m"] == 0.0
    assert line_crossings(shapely.Point(129.43, 42.835), [ZONE], gk_crs="EPSG:4552") == []
    assert line_crossings(shapely.LineString([(129.0, 42.0), (129.1, 42.0)]), [ZONE], gk_crs="EPSG:4552") == []


def test_screening_a_road_reports_its_crossings(store_path, site_file):
    line = shapely.LineString([(129.405, 42.835), (129.47, 42.835)])  # crosses the fixture redline
    r = screen(site_file(line), store_path, width=40, industry="公路")
    (c,) = [c for c in r.crossings if c["kind"] == "eco_redline"]
    x0, _, x1, _ = REDLINE.bounds
    assert c["entry"]["lon"] == pytest.approx(x0) and c["exit"]["lon"] == pytest.approx(x1)
    _, _, inside = GEOD.inv(x0, 42.835, x1, 42.835)
    assert c["length_m"] == pytest.approx(inside, rel=1e-6)
    assert c["area_m2"] == pytest.approx(inside * 40, rel=2e-3)  # the corridor inside the zone
    hit = r.hits[r.hits["kind"] == "eco_redline"]["overlap_m2"].iloc[0]
    assert c["area_m2"] == pytest.approx(hit, rel=1e-6)
    d = json.loads(r.to_json())
    assert d["crossings"][0]["entry"]["x_northing"] == pytest.approx(c["entry"]["x_northing"])
    assert d["verdict"]["overall"] == "restricted"
    assert "穿越" in summary_text(r) and "crosses" in summary_text(r, lang="en")
