"""The command line: commands work, bad input ends in one line on stderr and exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from conftest import write_sources

from gisplan.cli import main

import _site_fixtures as bad


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result


def assert_one_line_error(result):
    assert result.exit_code == 2, (result.exit_code, result.output, result.stderr)
    err = result.stderr.strip()
    assert err and "\n" not in err, err
    assert "Traceback" not in result.output + result.stderr


def test_layers_import_and_list(tmp_path):
    sources = write_sources(tmp_path / "src")
    store = tmp_path / "cli.gpkg"
    r = run("layers", "import", store, "control_units", sources["control_units"])
    assert r.exit_code == 0, r.output
    assert "code<-HJGKDYBM (alias)" in r.output
    r = run("layers", "import", store, "water_sources", sources["water_sources"], "--map", "name=SYDMC", "--map", "level=BHQJB")
    assert r.exit_code == 0 and "(--map)" in r.output
    r = run("layers", "list", store)
    assert r.exit_code == 0
    assert "control_units" in r.output and "priority" in r.output and "km²" in r.output
    assert "water_sources" in r.output and "level1" in r.output


def test_screen_writes_json_and_map(store_path, tmp_path, site_file):
    site = site_file(shapely.box(129.48, 42.86, 129.53, 42.89))
    out, html = tmp_path / "r.json", tmp_path / "m.html"
    r = run("screen", site, "--store", store_path, "--json", out, "--html-map", html)
    assert r.exit_code == 0, r.output + r.stderr
    d = json.loads(out.read_text(encoding="utf-8"))
    assert len(d["control_units"]) == 3 and d["verdict"]["overall"] == "review"
    assert "ZH22240120001" in html.read_text(encoding="utf-8")
    assert "优先保护" in r.output


def test_batch_csv_has_bom_and_columns(store_path, tmp_path):
    sites = gpd.GeoDataFrame(
        {"site_id": ["A", "B", "C"], "radius_m": [None, None, 200.0]},
        geometry=[shapely.box(129.48, 42.86, 129.53, 42.89), shapely.box(129.44, 42.84, 129.45, 42.85), shapely.Point(129.63, 42.865)],
        crs="EPSG:4490",
    )
    src = tmp_path / "sites.geojson"
    sites.to_file(src)
    out = tmp_path / "out.csv"
    r = run("batch", src, "--store", store_path, "--id-field", "site_id", "--out", out)
    assert r.exit_code == 0, r.output + r.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(out, encoding="utf-8-sig").set_index("site_id")
    assert list(table.columns[:8]) == ["area_m2", "priority_m2", "key_m2", "general_m2", "outside_m2", "redline_m2", "protected_m2", "water_m2"]
    assert set(table["verdict"]) == {"review"}  # no --industry: area-based findings
    assert table.loc["A", "redline_m2"] == 0 and table.loc["B", "redline_m2"] > 0
    assert table.loc["C", "water_m2"] > 0
    gpkg = tmp_path / "out.gpkg"
    assert run("batch", src, "--store", store_path, "--id-field", "site_id", "--out", gpkg).exit_code == 0
    assert len(gpd.read_file(gpkg)) == 3


def test_batch_agrees_with_single_screening(store_path, tmp_path):
    from gisplan.batch import screen_batch
    from gisplan.screening import screen

    geoms = [shapely.box(129.48, 42.86, 129.53, 42.89), shapely.box(129.58, 42.90, 129.61, 42.92),
             shapely.Polygon([(129.44, 42.84), (129.48, 42.84), (129.48, 42.87)])]
    frame = gpd.GeoDataFrame({"id": [1, 2, 3]}, geometry=geoms, crs="EPSG:4490")
    table = screen_batch(frame, store_path, id_field="id")
    for geom, (_, row) in zip(geoms, table.iterrows()):
        single = screen(geom, store_path)
        assert row["area_m2"] == pytest.approx(single.project["area_m2"], rel=1e-9)
        for cat in ("priority", "key", "general"):
            assert row[f"{cat}_m2"] == pytest.approx(single.by_category[cat], rel=1e-9, abs=1e-6)
        assert row["outside_m2"] == pytest.approx(single.project["outside_coverage_m2"], rel=1e-6, abs=1e-6)
        assert row["verdict"] == single.verdict["overall"]


@pytest.mark.parametrize("case", sorted(bad.BAD_SITE_CASES))
def test_bad_site_exits_2(case, store_path, tmp_path):
    """Every bad site (incl. a point without --radius) is one line and exit 2."""
    path = bad.BAD_SITE_CASES[case](tmp_path)
    r = run("screen", path, "--store", store_path)
    assert_one_line_error(r)


@pytest.mark.parametrize("path", ["/vsicurl/http://example.com/site.geojson", "/vsizip/../../etc/site.zip", "https://example.com/a.geojson"])
def test_virtual_paths_refused(path, store_path):
    assert_one_line_error(run("screen", path, "--store", store_path))


def test_bad_options_and_stores(store_path, tmp_path, site_file):
    site = site_file(shapely.box(129.48, 42.86, 129.53, 42.89))
    assert_one_line_error(run("screen", site, "--store", tmp_path / "missing.gpkg"))
    assert_one_line_error(run("screen", site, "--store", store_path, "--buffer", "-5"))
    assert_one_line_error(run("batch", site, "--store", store_path, "--id-field", "nope", "--out", tmp_path / "o.csv"))
    assert_one_line_error(run("batch", site, "--store", store_path, "--id-field", "name", "--out", tmp_path / "o.txt"))
    assert_one_line_error(run("layers", "list", tmp_path / "missing.gpkg"))
    csv = tmp_path / "table.csv"
    csv.write_text("a,b\n1,2\n", encoding="utf-8")
    assert_one_line_error(run("layers", "import", tmp_path / "n.gpkg", "control_units", csv))
    assert not (tmp_path / "n.gpkg").exists()


def test_real_entry_point_exit_code(store_path, tmp_path):
    empty = tmp_path / "empty.geojson"
    empty.write_text("", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "gisplan.cli", "screen", str(empty), "--store", str(store_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_self_intersecting_site_is_repaired_with_warning(store_path, tmp_path, site_file):
    bowtie = shapely.Polygon([(129.48, 42.86), (129.53, 42.89), (129.53, 42.86), (129.48, 42.89)])
    out = tmp_path / "r.json"
    r = run("screen", site_file(bowtie), "--store", store_path, "--json", out)
    assert r.exit_code == 0, r.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert any("repaired" in w for w in report["warnings"])
    assert report["project"]["area_m2"] > 0
