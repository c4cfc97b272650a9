"""The QGIS plugin (issue 24), headless in Debian's ``python3-qgis``: each algorithm on the demo store, its
outputs equal to the command line's.

QGIS's Python is Debian's ``/usr/bin/python3`` (3.11, like the virtualenv). The test runs
``tests/qgis_driver.py`` there with ``PYTHONPATH`` = the worktree and the virtualenv's
site-packages, which is how a user's ``pip install --user gisplan`` sits in front of Debian's
packages: gisplan's numpy, shapely, pyproj (PROJ 9.5) and pyogrio (GDAL 3.12) wheels load
beside QGIS's own GDAL 3.6 / PROJ 9.1 libraries in one process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner

from conftest import REPO, UNITS, write_sources

from gisplan.cli import main

QGIS_PYTHON = "/usr/bin/python3"


def _have_qgis() -> bool:
    if not Path(QGIS_PYTHON).exists():
        return False
    probe = subprocess.run([QGIS_PYTHON, "-c", "import qgis.core"], capture_output=True, timeout=120)
    return probe.returncode == 0


@pytest.fixture(scope="module")
def qgis_run(demo_store, tmp_path_factory):
    """Inputs, the command line's outputs, and the plugin's run in QGIS (its summary)."""
    if not _have_qgis():
        if os.environ.get("CI"):
            pytest.fail("Debian's python3-qgis is missing: bash tools/bootstrap.sh --test installs it")
        pytest.skip("needs Debian's python3-qgis (bash tools/bootstrap.sh --test)")
    work = tmp_path_factory.mktemp("qgis")
    # sites: three of the bundled batch sites and the road; a fifth one is not selected
    batch = gpd.read_file(REPO / "data" / "sites" / "batch_sites.geojson")
    road = gpd.read_file(REPO / "data" / "sites" / "road_corridor_helong.geojson")
    sites = gpd.GeoDataFrame({"site_id": [*batch["site_id"][:4], "R1"], "radius_m": [*batch["radius_m"][:4], np.nan]},
                             geometry=[*batch.geometry[:4], road.geometry[0]], crs="EPSG:4490")
    selected = ["S001", "S002", "S004", "R1"]
    sites.to_file(work / "sites.gpkg", layer="sites")
    sites[sites["site_id"].isin(selected)].to_file(work / "selected.gpkg", layer="sites")
    # delivered layers: one with an overlap (for check) and a new version (for diff)
    sources = write_sources(work / "v1")
    units = gpd.read_file(sources["control_units"])
    overlapping = units.copy()
    overlapping.loc[1, "geometry"] = shapely.box(129.49, 42.80, 129.60, 42.875)  # 0.01° into unit A
    overlapping.to_file(work / "units_overlap.geojson", driver="GeoJSON")
    new = units.copy()
    new.loc[2, "GKDYLB"] = "一般管控单元"  # unit C recategorised
    new.loc[0, "geometry"] = shapely.box(129.40, 42.80, 129.50, 42.96)  # unit A grows north
    new.to_file(work / "units_new.geojson", driver="GeoJSON")
    plugin_zip = work / "gisplan_qgis.zip"
    subprocess.run([sys.executable, str(REPO / "tools" / "build_qgis_plugin.py"), str(plugin_zip)], check=True)
    out = work / "plugin"
    out.mkdir()
    spec = {"out": str(out), "plugin_zip": str(plugin_zip), "store": str(demo_store), "sites": str(work / "sites.gpkg"),
            "selected_ids": selected, "check_src": str(work / "units_overlap.geojson"),
            "redline_src": str(sources["eco_redline"]), "old": str(sources["control_units"]),
            "new": str(work / "units_new.geojson"), "import_src": str(sources["control_units"]),
            "park": str(REPO / "data" / "sites" / "industrial_park_yanji.geojson")}
    (work / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
    site_packages = next(p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir())
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), site_packages]), QT_QPA_PLATFORM="offscreen",
               XDG_RUNTIME_DIR=str(work))
    done = subprocess.run([QGIS_PYTHON, str(REPO / "tests" / "qgis_driver.py"), str(work / "spec.json")], env=env,
                          capture_output=True, text=True, timeout=900)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("GISPLAN-SUMMARY ")]
    assert done.returncode == 0 and lines, done.stdout[-3000:] + done.stderr[-5000:]
    summary = json.loads(lines[-1].split(" ", 1)[1])
    # the command line on the same inputs
    cli = work / "cli"

    def run(*args):
        r = CliRunner().invoke(main, [str(a) for a in args])
        assert r.exit_code in (0, 1), r.output
        return r

    run("batch", work / "selected.gpkg", "--store", demo_store, "--id-field", "site_id", "--industry", "公路",
        "--width", 60, "--out", cli / "batch.gpkg", "--layers-out", cli / "layers.gpkg")
    run("layers", "check", work / "units_overlap.geojson", "--kind", "control_units", "--redline", sources["eco_redline"],
        "--json", cli / "check.json")
    run("layers", "diff", sources["control_units"], work / "units_new.geojson", "--json", cli / "diff.json")
    run("layers", "import", cli / "store.gpkg", "control_units", sources["control_units"])
    return {"summary": summary, "out": out, "cli": cli, "selected": selected, "store": demo_store}


def test_the_provider_and_its_algorithms(qgis_run):
    s = qgis_run["summary"]
    assert s["algorithms"] == ["gisplan:check", "gisplan:diff", "gisplan:import", "gisplan:screen"]
    assert Path(s["gisplan_file"]).resolve() == (REPO / "gisplan" / "__init__.py").resolve()


def test_rasters_read_alike_in_qgis(qgis_run):
    import gisplan

    want = gisplan.screen(REPO / "data" / "sites" / "industrial_park_yanji.geojson", qgis_run["store"]).rasters
    assert want and qgis_run["summary"]["rasters"] == json.loads(json.dumps(want))


def test_screen_table_equals_the_cli_batch(qgis_run):
    table = pyogrio.read_dataframe(qgis_run["out"] / "screen.gpkg")
    cli = pyogrio.read_dataframe(qgis_run["cli"] / "batch.gpkg")
    assert list(table["site_id"]) == list(cli["site_id"]) == qgis_run["selected"]  # the selected features only
    pd.testing.assert_frame_equal(table.drop(columns="geometry"), cli.drop(columns="geometry"))
    assert all(shapely.equals_exact(table.geometry.values, cli.geometry.values, tolerance=1e-12))
    assert set(table["verdict"]) <= {"prohibited", "restricted", "review", "allowed"}
    progress = qgis_run["summary"]["screen_progress"]
    progress = progress[:progress.index(100.0) + 1]  # the algorithm's own (Processing then reports loading the layers)
    assert progress == sorted(progress) and len(set(progress)) > 3


def test_screen_layers_equal_the_cli_layers_and_load_styled(qgis_run):
    for name in ("site", "pieces", "crossings", "crossing_points", "nearby", "store_context"):
        got = pyogrio.read_dataframe(qgis_run["out"] / "layers.gpkg", layer=name)
        want = pyogrio.read_dataframe(qgis_run["cli"] / "layers.gpkg", layer=name)
        pd.testing.assert_frame_equal(got.drop(columns="geometry"), want.drop(columns="geometry"))
        assert all(shapely.equals_exact(got.geometry.values, want.geometry.values, tolerance=1e-12)), name
    loaded = qgis_run["summary"]["loaded"]
    assert loaded["占用情况"][1] == "categorizedSymbol" and loaded["占用情况"][2] is True  # its layer_styles style
    assert {"项目用地范围", "占用情况", "周边管控单元及分区", "线路穿越"} <= set(loaded)
    assert "筛查结果表" in loaded
    docx = sorted(p.name for p in (qgis_run["out"] / "docx").iterdir())
    assert docx == sorted(f"{i}{ext}" for i in qgis_run["selected"] for ext in (".docx", ".png"))
    assert (qgis_run["out"] / "qgis_render.png").stat().st_size > 20_000


def test_cancel_and_bad_input(qgis_run):
    s = qgis_run["summary"]
    assert s["cancel"].startswith("已取消") and s["cancel_wrote"] == []
    assert "\n" not in s["bad_store"] and "missing.gpkg" in s["bad_store"] and "Traceback" not in s["bad_store"]


def test_check_equals_the_cli(qgis_run):
    got = json.loads((qgis_run["out"] / "check.json").read_text(encoding="utf-8"))
    want = json.loads((qgis_run["cli"] / "check.json").read_text(encoding="utf-8"))
    assert got == want
    assert any(p["check"] == "overlap" for p in got["problems"])
    problems = pyogrio.read_dataframe(qgis_run["out"] / "check.gpkg")
    assert list(problems["check"]) == [p["check"] for p in got["problems"]]
    assert "单元相互重叠" in set(problems["check_zh"])
    xy = shapely.get_coordinates(problems.geometry.values)
    assert np.allclose(xy, [p["location"] for p in got["problems"]])


def test_diff_equals_the_cli(qgis_run):
    got = json.loads((qgis_run["out"] / "diff.json").read_text(encoding="utf-8"))
    want = json.loads((qgis_run["cli"] / "diff.json").read_text(encoding="utf-8"))
    assert got == want
    assert got["units"]["recategorised"]
    changes = pyogrio.read_dataframe(qgis_run["out"] / "diff.gpkg")
    assert len(changes) > 0 and {"change", "change_zh", "area_km2"} <= set(changes.columns)


def test_import_equals_the_cli(qgis_run):
    from gisplan.store.spec import open_store_at

    want = open_store_at(qgis_run["cli"] / "store.gpkg").read("control_units")
    for name in ("store.gpkg", "store_memory.gpkg"):  # the delivered file itself, and a memory layer of it
        got = open_store_at(qgis_run["out"] / name).read("control_units")
        assert sorted(got["code"]) == sorted(want["code"]) == sorted(UNITS)
        merged = got.merge(want, on="code", suffixes=("", "_cli"))
        assert (merged["category"] == merged["category_cli"]).all()
        assert np.allclose(merged["area_m2"], merged["area_m2_cli"], rtol=1e-12)
    assert qgis_run["summary"]["import"]["STORE_OUT"].endswith("store.gpkg")
