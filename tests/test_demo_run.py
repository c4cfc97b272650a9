"""The demo job of README's first command, and the benchmark at smoke scale (not timed)."""

from __future__ import annotations

import json
import re
import sys

import pandas as pd
import pytest

from conftest import REPO, geod_area, rel

from gisplan.demo.run import SAMPLE_SITE_PARAMS, run_demo
from gisplan.sites import read_site


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo_out")
    lines = run_demo(out / "demo.gpkg", out / "maps")
    return out, lines


def test_demo_writes_reports_maps_and_batch(demo_out):
    out, lines = demo_out
    maps = out / "maps"
    index = json.loads((maps / "index.json").read_text(encoding="utf-8"))
    assert set(index) == set(SAMPLE_SITE_PARAMS)
    for stem in SAMPLE_SITE_PARAMS:
        report = json.loads((maps / f"{stem}.json").read_text(encoding="utf-8"))
        html = (maps / f"{stem}.html").read_text(encoding="utf-8")
        assert report["project"]["area_m2"] > 0
        # self-contained: Leaflet inlined, nothing fetched from a CDN
        assert "L.map(" in html and "Leaflet" in html
        assert not re.search(r'<(script|link)[^>]+(src|href)="https?:', html)
    batch = pd.read_csv(maps / "batch_sites.csv", encoding="utf-8-sig")
    assert len(batch) == 25 and set(batch["verdict"]) <= {"prohibited", "restricted", "review", "allowed", "error"}
    assert "synthetic" in " ".join(lines)


def test_demo_verdicts_match_the_sample_sites(demo_out):
    maps = demo_out[0] / "maps"
    verdict = {s: json.loads((maps / f"{s}.json").read_text(encoding="utf-8"))["verdict"]["overall"] for s in SAMPLE_SITE_PARAMS}
    assert verdict["road_corridor_helong"] == "restricted"  # a road crossing the redline
    assert verdict["industrial_park_yanji"] == "prohibited"  # a chemical plant in a park that bars chemicals
    road = json.loads((maps / "road_corridor_helong.json").read_text(encoding="utf-8"))
    assert road["crossings"] and road["crossings"][0]["kind"] == "eco_redline"
    near = json.loads((maps / "near_water_source_hunchun.json").read_text(encoding="utf-8"))
    assert any(n["kind"] == "water_sources" and n["distance_m"] <= 5000 for n in near["nearby"])
    border = json.loads((maps / "border_site_dunhua.json").read_text(encoding="utf-8"))
    assert border["project"]["outside_coverage_m2"] > 0 and border["warnings"]


def test_demo_polygon_site_area_matches_geod(demo_out):
    maps = demo_out[0] / "maps"
    site = read_site(REPO / "data" / "sites" / "solar_farm_dunhua.geojson")
    report = json.loads((maps / "solar_farm_dunhua.json").read_text(encoding="utf-8"))
    assert rel(report["project"]["area_m2"], geod_area(site.geometry)) < 1e-5
    assert sum(report["by_category"].values()) + report["project"]["outside_coverage_m2"] == pytest.approx(report["project"]["area_m2"], rel=1e-9)


def test_bench_smoke_agrees_with_geopandas(tmp_path):
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import bench_batch
    finally:
        sys.path.pop(0)
    result = bench_batch.main(["--units", "40", "--sites", "60", "--spacing", "300", "--repeat", "1", "--workdir", str(tmp_path)])
    assert result["same_zone_hits"]
    assert result["worst_rel_diff"] < 1e-4


def test_batch_fast_paths_agree_with_single_screenings(demo_store):
    """The batch settles most sites without overlay (exclusive pieces, boundary lines):
    every row must still equal a single screening of the same footprint."""
    from gisplan.batch import screen_batch
    from gisplan.screening import screen

    table = screen_batch(REPO / "data" / "sites" / "batch_sites.geojson", demo_store, id_field="site_id", radius=300.0)
    assert (table["verdict"] != "error").all()
    for _, row in table.iterrows():
        single = screen(row.geometry, demo_store)
        assert row["area_m2"] == pytest.approx(single.project["area_m2"], rel=1e-9)
        for cat in ("priority", "key", "general"):
            assert row[f"{cat}_m2"] == pytest.approx(single.by_category[cat], rel=1e-7, abs=1e-3), (row["site_id"], cat)
        hits = single.hits.groupby("kind")["overlap_m2"].sum()
        for kind, col in (("eco_redline", "redline_m2"), ("protected_areas", "protected_m2"), ("water_sources", "water_m2")):
            assert row[col] == pytest.approx(float(hits.get(kind, 0.0)), rel=1e-7, abs=1e-3), (row["site_id"], kind)
