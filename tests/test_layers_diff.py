"""`gisplan layers diff`: the demo store against a copy with known changes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import shapely
from conftest import REPO, geod_area

from gisplan.rules.access_list import ACCESS_TABLE
from gisplan.store.gpkg import Store
from gisplan.vocab import SCHEMA

CLASSES = ("priority", "key", "general", "none")
RECODED = "ZH22240129999"
ADDED = "ZH22240139999"


def _schema(frame: gpd.GeoDataFrame, kind: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(frame[list(SCHEMA[kind])].reset_index(drop=True), geometry=list(frame.geometry.values),
                            crs="EPSG:4490")


def _changed_copy(demo_store: Path, path: Path) -> dict:
    """Write a copy of the demo store with one change of each sort; return what was changed."""
    old = Store(demo_store)
    units = _schema(old.read("control_units"), "control_units")
    yanji = units[units["county"] == "延吉市"]
    a = yanji[yanji["category"] == "priority"].index[0]            # recategorised priority -> key
    b = yanji[yanji["category"] == "key"].index[0]                 # recoded, same outline
    c = units[(units["county"] == "敦化市") & (units["category"] == "general")].index[0]  # removed
    d = yanji[yanji["category"] == "priority"].index[1]            # reshaped: a hole cut out
    changed = {"recategorised": units.at[a, "code"], "recoded": units.at[b, "code"],
               "removed": units.at[c, "code"], "reshaped": units.at[d, "code"]}
    units.at[a, "category"] = "key"
    units.at[b, "code"] = RECODED
    hole = shapely.buffer(shapely.point_on_surface(units.at[d, "geometry"]), 0.01).envelope
    units.loc[d, "geometry"] = units.at[d, "geometry"].difference(hole)
    c_geom = units.at[c, "geometry"]
    p = shapely.point_on_surface(c_geom)
    added = c_geom.intersection(shapely.box(p.x - 0.03, p.y - 0.03, p.x + 0.03, p.y + 0.03))
    units = units.drop(index=c)
    units = pd.concat([units, gpd.GeoDataFrame({"code": [ADDED], "name": ["新增单元"], "category": ["key"],
                                                "county": ["敦化市"]}, geometry=[added], crs="EPSG:4490")],
                      ignore_index=True)
    red = _schema(old.read("eco_redline"), "eco_redline")
    red = pd.concat([red.iloc[1:], gpd.GeoDataFrame({"name": ["新增红线"]}, geometry=[shapely.box(129.45, 42.85, 129.5, 42.9)],
                                                    crs="EPSG:4490")], ignore_index=True)
    new = Store.create(path, overwrite=True)
    new.write_layer("control_units", gpd.GeoDataFrame(units, crs="EPSG:4490"))
    new.write_layer("eco_redline", gpd.GeoDataFrame(red, crs="EPSG:4490"))
    new.write_layer("protected_areas", _schema(old.read("protected_areas"), "protected_areas"))
    new.write_table(ACCESS_TABLE, old.read_table(ACCESS_TABLE))  # same access list: only the zoning changed
    untouched = units[(units["county"] == "汪清县") & (units["category"] == "key")].geometry.iloc[0]
    changed["points"] = {"in_recategorised": shapely.point_on_surface(old.read("control_units").iloc[a].geometry),
                         "untouched": shapely.point_on_surface(untouched)}
    return changed


def _dense(geom) -> float:
    return geod_area(shapely.segmentize(geom, 0.001))


def _independent_matrix(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame) -> dict:
    """geopandas overlay in lon/lat + pyproj.Geod areas (km²)."""
    pieces = gpd.overlay(old[["category", "geometry"]], new[["category", "geometry"]], how="union", keep_geom_type=True)
    pieces["from"] = pieces["category_1"].fillna("none")
    pieces["to"] = pieces["category_2"].fillna("none")
    pieces["km2"] = [_dense(g) / 1e6 for g in pieces.geometry]
    matrix = {a: dict.fromkeys(CLASSES, 0.0) for a in CLASSES}
    for (a, b), v in pieces.groupby(["from", "to"])["km2"].sum().items():
        matrix[a][b] = float(v)
    return matrix


@pytest.fixture(scope="module")
def diff_run(demo_store, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("diff")
    new = tmp / "new.gpkg"
    changed = _changed_copy(demo_store, new)
    sites = tmp / "sites.geojson"
    pts = changed["points"]
    gpd.GeoDataFrame({"site_id": list(pts), "industry": ["公路", "公路"]},
                     geometry=[shapely.buffer(p, 0.002) for p in pts.values()], crs="EPSG:4490").to_file(sites)
    out = tmp / "out"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run(
        [sys.executable, "-m", "gisplan.cli", "layers", "diff", str(demo_store), str(new), "--sites", str(sites),
         "--id-field", "site_id", "--industry-field", "industry", "--json", str(out / "diff.json"),
         "--xlsx", str(out / "diff.xlsx"), "--png", str(out / "diff.png"), "--html-map", str(out / "diff.html")],
        capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    return {"changed": changed, "new": new, "out": out, "stdout": proc.stdout,
            "doc": json.loads((out / "diff.json").read_text(encoding="utf-8"))}


def test_units_added_removed_recoded_recategorised_reshaped(diff_run):
    units, changed = diff_run["doc"]["units"], diff_run["changed"]
    assert units["added"] == [ADDED]
    assert units["removed"] == [changed["removed"]]
    assert units["recoded"] == [{"old": changed["recoded"], "new": RECODED}]
    assert units["recategorised"] == [changed["recategorised"]]
    assert units["reshaped"] == [changed["reshaped"]]


def test_transition_matrix_equals_independent_overlay(diff_run, demo_store):
    got = diff_run["doc"]["transition_km2"]
    old = gpd.read_file(demo_store, layer="control_units")
    new = gpd.read_file(diff_run["new"], layer="control_units")
    want = _independent_matrix(old, new)
    assert set(got) == set(CLASSES) and all(set(row) == set(CLASSES) for row in got.values())
    for a in CLASSES:
        for b in CLASSES:
            assert abs(got[a][b] - want[a][b]) <= 1e-5 * max(want[a][b], 1.0), (a, b, got[a][b], want[a][b])
    assert want["priority"]["key"] > 1 and want["general"]["none"] > 1 and want["none"]["key"] < 1e-6  # the changes show
    assert want["general"]["key"] > 0 and want["priority"]["none"] > 0


def test_redline_gain_and_loss(diff_run, demo_store):
    red_old = gpd.read_file(demo_store, layer="eco_redline").geometry
    red_new = gpd.read_file(diff_run["new"], layer="eco_redline").geometry
    zone = diff_run["doc"]["zones"]["redline"]
    gained = red_new.union_all().difference(red_old.union_all())
    lost = red_old.union_all().difference(red_new.union_all())
    assert abs(zone["gained_km2"] - _dense(gained) / 1e6) <= 1e-5 * max(_dense(gained) / 1e6, 1)
    assert abs(zone["lost_km2"] - _dense(lost) / 1e6) <= 1e-5 * max(_dense(lost) / 1e6, 1)
    assert zone["gained_km2"] > 0 and zone["lost_km2"] > 0
    assert diff_run["doc"]["zones"]["protected"]["gained_km2"] == pytest.approx(0, abs=1e-6)


def test_sites_whose_areas_changed(diff_run):
    sites = diff_run["doc"]["sites"]
    assert [s["id"] for s in sites] == ["in_recategorised"]
    s = sites[0]
    assert s["priority_m2_old"] > 0 and s["priority_m2_new"] < s["priority_m2_old"]
    assert s["key_m2_new"] > s["key_m2_old"]


def test_outputs_written(diff_run):
    out = diff_run["out"]
    assert "area transition" in diff_run["stdout"]
    wb = openpyxl.load_workbook(out / "diff.xlsx")
    assert len(wb.worksheets) == 5
    png = (out / "diff.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 20_000
    page = (out / "diff.html").read_text(encoding="utf-8")
    assert json.dumps("调出优先保护")[1:-1] in page and json.dumps("移出管控单元")[1:-1] in page
    assert json.dumps("调入优先保护")[1:-1] not in page  # nothing became priority
    assert not re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?:[^"]+)"', page)  # offline
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_diff_bad_input_one_line(tmp_path, demo_store):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for args in ([str(demo_store), str(tmp_path / "none.gpkg")], [str(demo_store), str(demo_store), "--png", "x.jpg"],
                 [str(demo_store), str(demo_store), "--sites", "s.geojson"]):
        proc = subprocess.run([sys.executable, "-m", "gisplan.cli", "layers", "diff", *args], capture_output=True,
                              text=True, env=env)
        assert proc.returncode == 2, args
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_diff_of_two_layer_files_with_sites(tmp_path):
    """Layer files (not stores): recategorised unit, transition in km², sites screened on temporary stores."""
    from conftest import UNITS

    from gisplan.layers.diff import diff_layers, site_changes
    from gisplan.layers.source import load_layers

    def write(path, cats):
        gpd.GeoDataFrame({"HJGKDYBM": list(UNITS), "GKDYLB": cats}, geometry=[v[2] for v in UNITS.values()],
                         crs="EPSG:4490").to_file(path)

    old, new = tmp_path / "old.geojson", tmp_path / "new.geojson"
    cats = [v[1] for v in UNITS.values()]
    write(old, cats)
    write(new, [cats[0], "重点管控单元", cats[2]])  # the general unit becomes key
    before, after = load_layers(old), load_layers(new)
    diff = diff_layers(before, after)
    general = list(UNITS.values())[1][2]
    assert diff.units["recategorised"] == [list(UNITS)[1]] and diff.units["added"] == diff.units["removed"] == []
    assert abs(diff.transition_km2["general"]["key"] - _dense(general) / 1e6) < 1e-5 * _dense(general) / 1e6
    assert diff.transition_km2["key"]["general"] == 0
    sites = tmp_path / "sites.geojson"
    gpd.GeoDataFrame({"sid": ["in_general", "in_priority"]},
                     geometry=[shapely.box(129.52, 42.82, 129.53, 42.83), shapely.box(129.42, 42.90, 129.43, 42.91)],
                     crs="EPSG:4490").to_file(sites)
    changed = site_changes(before, after, sites, id_field="sid")
    assert [s["id"] for s in changed] == ["in_general"]
    area = _dense(shapely.box(129.52, 42.82, 129.53, 42.83))
    assert abs(changed[0]["general_m2_old"] - area) < 1e-5 * area and changed[0]["key_m2_new"] == pytest.approx(area, rel=1e-5)
