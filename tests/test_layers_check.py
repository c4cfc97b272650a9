"""`gisplan layers check`: planted problems in a delivery, statistics of the demo store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest
import shapely
from conftest import REPO, geod_area, rel
from shapely import affinity

from gisplan.layers.check import CHECKS, check_layers
from gisplan.layers.source import load_layers

#: The delivery lies wholly inside Yanji (222401), so the division codes are right.
DX, DY = -0.11, 0.10


def _box(x0, y0, x1, y1):
    return affinity.translate(shapely.box(x0, y0, x1, y1), DX, DY)


def _dense_area(geom) -> float:
    """pyproj.Geod area of a lon/lat geometry densified like a delivered boundary (0.001°)."""
    return geod_area(shapely.segmentize(geom, 0.001))


U1, U2, U3, U4, U5, U6 = ("ZH22240110001", "ZH22240110002", "ZH22240120001", "ZH22240130001",
                          "ZH22240120002", "ZH22240120003")
BAD_CODE, WRONG_DIGIT, BOWTIE = "ZH2224012003", "ZH22240130002", "ZH22240110003"
GAP = _box(129.47, 42.90, 129.48, 42.91)
OVERLAP = _box(129.49, 42.875, 129.50, 42.95)
REDLINE = _box(129.43, 42.82, 129.52, 42.85)
REDLINE_OUTSIDE = _box(129.50, 42.82, 129.52, 42.85)


def _planted_units() -> gpd.GeoDataFrame:
    bowtie = affinity.translate(shapely.Polygon([(129.46, 42.96), (129.49, 42.99), (129.49, 42.96), (129.46, 42.99)]), DX, DY)
    rows = [
        (U1, "优先保护单元", _box(129.40, 42.80, 129.45, 42.875)),
        (U2, "优先保护单元", _box(129.45, 42.80, 129.50, 42.875)),
        (U3, "重点管控单元", _box(129.50, 42.80, 129.55, 42.875)),
        (U4, "一般管控单元", _box(129.40, 42.875, 129.45, 42.95)),
        (U5, "重点管控单元", _box(129.45, 42.875, 129.50, 42.95).difference(GAP)),   # a gap inside
        (U6, "重点管控单元", _box(129.49, 42.875, 129.55, 42.95)),                    # overlaps U5
        (BAD_CODE, "重点管控单元", _box(129.55, 42.80, 129.60, 42.875)),              # 12 characters
        (WRONG_DIGIT, "优先保护单元", _box(129.55, 42.875, 129.60, 42.95)),           # digit 3, priority
        (U1, "优先保护单元", _box(129.40, 42.95, 129.45, 43.00)),                     # duplicate code
        (BOWTIE, "优先保护单元", bowtie),                                              # self-intersecting
    ]
    return gpd.GeoDataFrame({"HJGKDYBM": [r[0] for r in rows], "GKDYLB": [r[1] for r in rows], "HJGKDYMC": "测试单元"},
                            geometry=[r[2] for r in rows], crs="EPSG:4490")


@pytest.fixture()
def delivery(tmp_path) -> tuple[Path, Path]:
    units = tmp_path / "units.geojson"
    _planted_units().to_file(units, driver="GeoJSON")
    redline = tmp_path / "redline.geojson"
    gpd.GeoDataFrame({"HXMC": ["测试红线"]}, geometry=[REDLINE], crs="EPSG:4490").to_file(redline, driver="GeoJSON")
    return units, redline


def test_every_planted_problem_and_nothing_else(delivery):
    units, redline = delivery
    result = check_layers(load_layers(units, redline=redline))
    found = sorted((p["check"], tuple(sorted(p["codes"]))) for p in result.problems)
    assert found == sorted([
        ("invalid_geometry", (BOWTIE,)),
        ("overlap", (U5, U6)),
        ("gap", (U5,)),
        ("duplicate_code", (U1,)),
        ("code_format", (BAD_CODE,)),
        ("code_category", (WRONG_DIGIT,)),
        ("redline_outside_priority", (U3,)),
    ])
    by_check = {p["check"]: p for p in result.problems}
    for check, geom in (("overlap", OVERLAP), ("gap", GAP), ("redline_outside_priority", REDLINE_OUTSIDE)):
        p = by_check[check]
        assert rel(p["area_m2"], _dense_area(geom)) < 1e-5, check
        assert geom.buffer(1e-9).contains(shapely.Point(p["location"])), check
        assert set(p) == {"check", "codes", "kind", "area_m2", "location", "detail"}
    assert by_check["redline_outside_priority"]["kind"] == "eco_redline"
    assert all(p["check"] in CHECKS for p in result.problems)


def test_code_division_against_bundled_counties(tmp_path):
    """A unit coded for Yanji (222401) lying in Dunhua (222403) is reported; Yanji's own units are not."""
    frame = _planted_units().iloc[[0, 1]].copy()
    frame.loc[frame.index[1], "geometry"] = shapely.box(128.20, 43.30, 128.25, 43.35)  # Dunhua
    path = tmp_path / "units.geojson"
    frame.to_file(path, driver="GeoJSON")
    result = check_layers(load_layers(path))
    problems = result.problems
    assert [(p["check"], p["codes"]) for p in problems] == [("code_division", [U2])]
    # planimetric area in the 3-degree GK zone of 129°E (EPSG:4552), independently with pyproj
    gk = gpd.GeoSeries(frame.geometry.values, crs="EPSG:4490").segmentize(0.001).to_crs("EPSG:4552").area.sum()
    assert rel(result.stats["total"]["area_gk_km2"] * 1e6, gk) < 1e-6
    assert "222403" in problems[0]["detail"]


def test_demo_store_statistics_reproduce_published_figures(demo_store):
    result = check_layers(load_layers(demo_store))
    # the one planted conflict of the demo: a farmland patch across the redline (gisplan.demo.lines)
    assert [p["check"] for p in result.problems] == ["redline_farmland_overlap"]
    assert result.problems[0]["layers"] == ["eco_redline", "basic_farmland"]
    total = result.stats["total"]
    cats = total["by_category"]
    assert total["units"] == 188
    assert [cats[c]["count"] for c in ("priority", "key", "general")] == [128, 52, 8]
    assert [round(cats[c]["share"], 2) for c in ("priority", "key", "general")] == [78.15, 9.76, 12.09]
    # independent: pyproj.Geod areas of the stored unit geometries
    units = gpd.read_file(demo_store, layer="control_units")
    geod = {c: sum(_dense_area(g) for g in units.loc[units["category"] == c, "geometry"]) for c in cats}
    whole = sum(geod.values())
    assert rel(total["area_km2"] * 1e6, whole) < 1e-5
    for c in cats:
        assert rel(cats[c]["area_km2"] * 1e6, geod[c]) < 1e-5
        assert abs(cats[c]["share"] - 100 * geod[c] / whole) < 1e-3
    counties = result.stats["counties"]
    assert len(counties) == 8 and sum(c["units"] for c in counties) == 188
    assert {"county", "units", "area_km2", "by_category", "redline_km2", "redline_share", "protected_km2",
            "protected_share"} <= set(counties[0])
    yanji = next(c for c in counties if c["county"] == "延吉市")
    sel = units["county"] == "延吉市"
    assert yanji["units"] == int(sel.sum())
    assert rel(yanji["area_km2"] * 1e6, sum(_dense_area(g) for g in units.loc[sel, "geometry"])) < 1e-5
    # redline share of the whole layer: dissolved redline inside the units, Geod area
    red = gpd.read_file(demo_store, layer="eco_redline").geometry.union_all()
    inside = red.intersection(units.geometry.union_all())
    assert rel(total["redline_km2"] * 1e6, _dense_area(inside)) < 1e-4


def _cli(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "gisplan.cli", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd)


def test_cli_check_outputs_and_strict(delivery, tmp_path):
    units, redline = delivery
    out_json, out_xlsx = tmp_path / "out" / "check.json", tmp_path / "out" / "check.xlsx"
    proc = _cli("layers", "check", units, "--redline", redline, "--json", out_json, "--xlsx", out_xlsx, "--strict")
    assert proc.returncode == 1, proc.stderr
    assert "7 problem(s)" in proc.stdout
    doc = json.loads(out_json.read_text(encoding="utf-8"))
    assert set(doc) == {"problems", "stats"} and len(doc["problems"]) == 7
    assert set(doc["stats"]["total"]["by_category"]) == {"priority", "key", "general"}
    wb = openpyxl.load_workbook(out_xlsx)
    assert len(wb.worksheets) == 2 and wb.worksheets[0].max_row == 8
    assert not [p for p in out_json.parent.iterdir() if p.name.startswith(".")]  # no temp files left
    ok = _cli("layers", "check", units, "--redline", redline)  # without --strict: findings are not a failure
    assert ok.returncode == 0 and "not checked: redline" not in ok.stdout
    no_red = _cli("layers", "check", units)
    assert "not checked: redline_outside_priority" in no_red.stdout and "6 problem(s)" in no_red.stdout


def test_cli_check_bad_input_one_line(tmp_path):
    proc = _cli("layers", "check", tmp_path / "missing.geojson")
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "missing.geojson" in proc.stderr
    proc = _cli("layers", "check", tmp_path / "x.geojson", "--xlsx", tmp_path / "x.csv")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1


def test_zone_nesting_water_and_reserve(tmp_path):
    ring = shapely.box(129.60, 42.85, 129.64, 42.89).difference(shapely.box(129.615, 42.865, 129.625, 42.875))
    stray = shapely.box(129.70, 42.85, 129.71, 42.86)  # a level-1 zone far from its level-2 zone
    water = tmp_path / "water.geojson"
    gpd.GeoDataFrame({"SYDMC": ["甲水源", "甲水源", "乙水源", "乙水源"], "BHQJB": ["一级保护区", "二级保护区", "一級保護區", "二级保护区"]},
                     geometry=[shapely.box(129.615, 42.865, 129.625, 42.875), ring, stray,
                               shapely.box(129.80, 42.85, 129.84, 42.89)], crs="EPSG:4490").to_file(water)
    problems = check_layers(load_layers(water, kind="water_sources")).problems
    assert [(p["check"], p["codes"]) for p in problems] == [("zone_nesting", ["乙水源"])]
    assert rel(problems[0]["area_m2"], _dense_area(stray)) < 1e-5
    reserve = tmp_path / "reserve.geojson"
    outline = shapely.box(129.40, 42.90, 129.45, 42.95)
    gpd.GeoDataFrame({"BHDMC": ["测试保护区"] * 3, "GNFQ": ["", "核心区", "缓冲区"]},
                     geometry=[outline, shapely.box(129.41, 42.91, 129.42, 42.92), shapely.box(129.44, 42.91, 129.46, 42.92)],
                     crs="EPSG:4490").to_file(reserve)
    problems = check_layers(load_layers(reserve, kind="protected_areas")).problems
    assert [(p["check"], p["codes"]) for p in problems] == [("zone_nesting", ["测试保护区"])]
    assert rel(problems[0]["area_m2"], _dense_area(shapely.box(129.45, 42.91, 129.46, 42.92))) < 1e-5
