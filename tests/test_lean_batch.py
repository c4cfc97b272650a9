"""The batch without frames: the same bytes as the frame path, and no pandas/geopandas loaded for a CSV.

The lean path reads a GeoPackage with sqlite3 and shapely, screens arrays and
writes the CSV with the csv module; the frame path reads with pyogrio into a
GeoDataFrame and writes with pandas. One engine serves both: only the edges
differ, so their outputs must be byte-identical on every kind of cell.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gisplan.batch import BATCH_COLUMNS, screen_batch, screen_sites, write_batch
from gisplan.io.vector import read_gpkg_arrays, read_vector
from gisplan.sites import read_site_frame, read_site_table
from gisplan.store.gpkg import Store
from gisplan.tables import BatchTable, SiteTable

from conftest import REPO, geod_area

HEAVY = ("pandas", "geopandas", "matplotlib", "folium", "pyogrio", "pyarrow")


def _varied_sites() -> gpd.GeoDataFrame:
    """Sites around the fixture store (Yanji) with every kind of cell and geometry the batch meets."""
    ids = ["S1", "=cmd|' /C calc'!A0", "-3.5", "+1", "@SUM(A1)", "逗号,和\"引号\"", "换行\n第二行", None,
           "\ttab", "厂区 A", "S11", "S12", "S13", "S14", "S15", "S16"]
    n = len(ids)
    geoms = [
        shapely.box(129.42, 42.82, 129.43, 42.83),                      # in the redline, unit A
        shapely.box(129.49, 42.86, 129.51, 42.89),                      # across units A/B/C
        shapely.Point(129.55, 42.85),                                   # point: a disc
        shapely.Point(129.63, 42.865),                                  # point in the water source (radius from column)
        shapely.LineString([(129.45, 42.90), (129.55, 42.90)]),         # line: a corridor
        shapely.MultiPolygon([shapely.box(129.41, 42.91, 129.415, 42.915), shapely.box(129.55, 42.82, 129.56, 42.83)]),
        shapely.box(129.43, 42.905, 129.45, 42.925),                    # touches the protected core zone
        shapely.Polygon([(129.52, 42.80), (129.53, 42.81), (129.52, 42.81), (129.53, 42.80)]),  # bow-tie: repaired or refused
        shapely.box(129.59, 42.94, 129.62, 42.96),                      # partly outside the store's units
        shapely.box(116.3, 39.9, 116.31, 39.91),                        # Beijing: outside every unit
        shapely.box(129.5, 42.85, 129.5000001, 42.8500001),             # too small: error
        shapely.box(2.0, 48.0, 2.1, 48.1),                              # Paris: outside China, error
        shapely.Polygon([(129.44, 42.84, 5.0), (129.45, 42.84, 5.0), (129.45, 42.85, 5.0), (129.44, 42.85, 5.0)]),
        None,                                                           # no geometry: error
        shapely.box(129.62, 42.855, 129.64, 42.875),                    # the water source, exactly
        shapely.box(129.505, 42.805, 129.515, 42.815),
    ]
    nullable_int = pd.array([i if i % 3 else None for i in range(n)], dtype="Int64")
    industry = ["C26", None, "", "G5412", "C26", "不存在的行业", "D4411", None, "C26", "E48", None, "C26", "C26", None,
                "D4610", "K70"]
    return gpd.GeoDataFrame({
        "site_id": ids,
        "num": nullable_int,                                  # whole numbers with nulls: float column
        "seq": np.arange(n, dtype=np.int64) * 1000,           # whole numbers
        "ratio": [1 / 3 if i % 2 else (None if i % 5 == 0 else 1e16 * i) for i in range(n)],
        "empty": [None] * n,                                  # a text column without values
        "industry": industry,
        "radius_m": [None, None, 250.0, None, None, None, None, None, None, None, None, None, None, None, None, None],
        "width_m": [None, None, None, None, 80.0] + [None] * (n - 5),
    }, geometry=geoms, crs="EPSG:4490")


@pytest.fixture(scope="module")
def varied_gpkg(tmp_path_factory):
    path = tmp_path_factory.mktemp("lean") / "varied_sites.gpkg"
    _varied_sites().to_file(path, driver="GPKG", layer="sites")
    return path


def test_gpkg_arrays_hold_what_the_frame_holds(varied_gpkg):
    arrays = read_gpkg_arrays(varied_gpkg)
    assert arrays is not None, "a plain GeoPackage must be read without GDAL"
    frame = read_vector(varied_gpkg).frame
    assert arrays.crs == "EPSG:4490" and arrays.layer == "sites" and arrays.format == "GPKG"
    geoms = np.asarray(frame.geometry.values, dtype=object)
    assert len(arrays.geometry) == len(geoms)
    for a, b in zip(arrays.geometry, geoms):
        assert (a is None and b is None) or (shapely.to_wkb(a) == shapely.to_wkb(b))
    frame_table = SiteTable.from_frame(gpd.GeoDataFrame(
        [{k: v for k, v in r.items() if k != "geometry"} for r in frame.to_dict("records")],
        geometry=list(geoms), crs=frame.crs))
    assert list(arrays.columns) == list(frame_table.columns)
    for name, values in arrays.columns.items():
        other = frame_table[name]
        assert values.dtype == other.dtype, name
        assert [str(v) for v in values] == [str(v) for v in other], name


def test_gpkg_window_reads_the_same_features(varied_gpkg):
    window = read_gpkg_arrays(varied_gpkg, window=(3, 5))
    whole = read_gpkg_arrays(varied_gpkg)
    assert list(window.columns["seq"]) == list(whole.columns["seq"][3:8])
    frame = read_vector(varied_gpkg, window=(3, 5)).frame
    assert list(frame["seq"]) == list(window.columns["seq"])


def test_unusual_gpkg_falls_back_to_gdal(tmp_path):
    two = tmp_path / "two_layers.gpkg"
    sites = _varied_sites().iloc[:3]
    sites.to_file(two, driver="GPKG", layer="a")
    sites.to_file(two, driver="GPKG", layer="b")
    assert read_gpkg_arrays(two) is None                       # which layer: read_vector words the refusal
    assert read_gpkg_arrays(two, layer="b") is not None
    dated = tmp_path / "dated.gpkg"
    sites.assign(day=pd.to_datetime(["2024-01-02"] * 3)).to_file(dated, driver="GPKG")
    assert read_gpkg_arrays(dated) is None                     # dates: GDAL's conversion decides
    table, _, _ = read_site_table(dated)                       # ... and the table still reads them
    assert table["day"].dtype.kind == "M"


@pytest.mark.parametrize("id_field", ["site_id", "num", "seq", "ratio", "empty"])
def test_lean_csv_is_byte_identical_to_the_frame_csv(varied_gpkg, store_path, tmp_path, id_field):
    options = dict(id_field=id_field, radius=300.0, width=40.0)
    lean = screen_sites(varied_gpkg, store_path, **options)
    assert isinstance(lean, BatchTable)
    write_batch(lean, tmp_path / "lean.csv")
    frame_sites = read_site_frame(varied_gpkg)[0]             # pyogrio -> GeoDataFrame
    write_batch(screen_batch(frame_sites, store_path, **options), tmp_path / "frame.csv")
    lean_bytes = (tmp_path / "lean.csv").read_bytes()
    assert lean_bytes.startswith(b"\xef\xbb\xbf" + id_field.encode())
    assert lean_bytes == (tmp_path / "frame.csv").read_bytes()
    # the frame screen_batch builds from a path says the same too
    write_batch(screen_batch(varied_gpkg, store_path, **options), tmp_path / "path.csv")
    assert (tmp_path / "path.csv").read_bytes() == lean_bytes


def test_lean_csv_with_access_list_and_industries(varied_gpkg, demo_store, tmp_path):
    options = dict(id_field="site_id", radius=300.0, width=40.0, industry_field="industry", industry="C26")
    write_batch(screen_sites(varied_gpkg, demo_store, **options), tmp_path / "lean.csv")
    write_batch(screen_batch(read_site_frame(varied_gpkg)[0], demo_store, **options), tmp_path / "frame.csv")
    assert (tmp_path / "lean.csv").read_bytes() == (tmp_path / "frame.csv").read_bytes()
    table = pd.read_csv(tmp_path / "lean.csv", encoding="utf-8-sig", keep_default_na=False)
    assert list(table.columns) == ["site_id"] + BATCH_COLUMNS
    assert "error" in set(table["verdict"]) and len(set(table["verdict"])) > 1


def test_lean_areas_against_geod(varied_gpkg, store_path):
    """The lean path's numbers, checked independently: site areas with pyproj.Geod."""
    table = screen_sites(varied_gpkg, store_path, id_field="seq", radius=300.0, width=40.0)
    sites = _varied_sites()
    area = table["area_m2"]
    for i in (0, 1, 5, 9, 15):  # plain polygons: their footprint is themselves
        assert math.isclose(area[i], geod_area(sites.geometry.iloc[i]), rel_tol=1e-6)
    covered = table["priority_m2"] + table["key_m2"] + table["general_m2"]
    assert math.isclose(covered[1], area[1], rel_tol=1e-6)     # across three units, fully covered
    assert table["redline_m2"][0] == pytest.approx(area[0], rel=1e-6)
    assert list(table["verdict"][[10, 11, 13]]) == ["error"] * 3
    assert table["outside_m2"][9] == pytest.approx(area[9], rel=1e-9)


def _loaded_modules(args: list[str], cwd) -> set[str]:
    """Top-level names of the modules a CLI run imported (``-X importtime``)."""
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "gisplan.cli", *map(str, args)],
                       capture_output=True, text=True, timeout=300, cwd=cwd,
                       env={**os.environ, "MPLBACKEND": "Agg"})
    assert r.returncode == 0, r.stderr[-2000:]
    names = set()
    for line in r.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            name = line.split("|")[2].strip()
            names.add(name.split(".")[0])
    assert "gisplan" in names  # the parse found the imports
    return names


def test_csv_batch_of_a_geopackage_loads_no_frames(varied_gpkg, store_path, tmp_path):
    assert not Store(store_path).has_table("gisplan_access_list")
    out = tmp_path / "out.csv"
    loaded = _loaded_modules(["batch", varied_gpkg, "--store", store_path, "--id-field", "site_id",
                              "--radius", 300, "--out", out], tmp_path)
    assert out.is_file() and out.read_bytes().startswith(b"\xef\xbb\xbfsite_id,")
    assert {"numpy", "shapely", "pyproj"} <= loaded
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_streamed_curve_csv_loads_no_frames_and_is_the_one_pass_csv(varied_gpkg, store_path, tmp_path):
    """Chunks cut along a Hilbert curve (spilled, merged back by input position): still no frames, same bytes."""
    out = tmp_path / "curve.csv"
    loaded = _loaded_modules(["batch", varied_gpkg, "--store", store_path, "--id-field", "site_id",
                              "--radius", 300, "--width", 40, "--out", out, "--chunk-size", 3], tmp_path)
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    whole = tmp_path / "whole.csv"
    write_batch(screen_batch(varied_gpkg, store_path, id_field="site_id", radius=300.0, width=40.0), whole)
    assert out.read_bytes() == whole.read_bytes()  # ids with quotes, commas and a newline merged as written


def test_gpkg_output_still_loads_geopandas(varied_gpkg, store_path, tmp_path):
    """The check above can fail: the GeoPackage writer does load the frame stack."""
    loaded = _loaded_modules(["batch", varied_gpkg, "--store", store_path, "--id-field", "site_id",
                              "--radius", 300, "--out", tmp_path / "out.gpkg"], tmp_path)
    assert {"geopandas", "pandas"} <= loaded


@pytest.mark.parametrize("args", [["--help"], ["batch", "--help"]])
def test_help_loads_nothing_heavy(args, tmp_path):
    loaded = _loaded_modules(args, tmp_path)
    assert not loaded & set(HEAVY + ("numpy", "shapely", "pyproj", "yaml")), sorted(loaded & set(HEAVY))


def test_batch_table_frame_is_the_screen_batch_frame(varied_gpkg, store_path):
    lean = screen_sites(varied_gpkg, store_path, id_field="site_id", radius=300.0, width=40.0)
    frame = screen_batch(varied_gpkg, store_path, id_field="site_id", radius=300.0, width=40.0)
    assert isinstance(frame, gpd.GeoDataFrame) and frame.crs.to_epsg() == 4490
    assert list(frame.columns) == lean.columns + ["geometry"]
    assert json.dumps(frame["verdict"].tolist()) == json.dumps(lean["verdict"].tolist())
    assert len(frame) == len(lean) == len(_varied_sites())


def test_cli_starts_openblas_with_one_thread_unless_told_otherwise():
    """The CLI sets OPENBLAS_NUM_THREADS=1 before numpy loads (start-up time); a user's own value is kept."""
    code = ("import os, sys; import gisplan.cli; assert 'numpy' not in sys.modules; "
            "import numpy; print(os.environ['OPENBLAS_NUM_THREADS'])")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    env["PYTHONPATH"] = str(REPO)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**env, "OPENBLAS_NUM_THREADS": "3"}, timeout=60)
    assert out.stdout.strip() == "3"
