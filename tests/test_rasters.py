"""Raster layers: import (COG beside the store), exact class areas, continuous statistics, bad rasters.

Every area is checked against an independent computation: each cell of the
raster is cut out of the site with shapely and its area measured with
pyproj.Geod (edges densified so that geodesic edges follow the cell edges).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
import shapely
from pyproj import Transformer
from rasterio.transform import from_origin

from conftest import REPO, geod_area, rel

from gisplan.errors import InputError, StoreError
from gisplan.rasters.stats import site_raster_stats
from gisplan.rasters.store import raster_dir, raster_records
from gisplan.store.gpkg import Store, store_lock

DENSE_DEG = 1e-4
#: Method tolerance: coverage fractions are planar in the raster's CRS, so inside one 0.01° cell the
#: area density's change with latitude (~1.6e-4 across the cell at 43°N) is not resolved.
TOL = 2e-4


def write_raster(path: Path, data: np.ndarray, *, crs="EPSG:4490", origin=(129.0, 43.0), cell=0.01, nodata=0,
                 dtype=None) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
                       dtype=dtype or data.dtype, crs=crs, transform=from_origin(origin[0], origin[1], cell, cell),
                       nodata=nodata) as dst:
        dst.write(data.astype(dtype or data.dtype), 1)
    return path


def write_classes(path: Path, values=range(1, 8)) -> Path:
    lines = ["value,label,label_en"] + [f"{v},类别{v},class {v}" for v in values]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


def cli(*args) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "gisplan.cli", *map(str, args)], capture_output=True, text=True,
                          env=env)


def import_ok(store: Path, name: str, tif: Path, classes: Path | None = None) -> None:
    extra = ["--classes", classes] if classes else []
    proc = cli("layers", "import", store, "raster", name, tif, *extra)
    assert proc.returncode == 0, proc.stderr


def reference_by_value(site, data: np.ndarray, *, crs="EPSG:4490", origin=(129.0, 43.0), cell=0.01, nodata=0) -> dict:
    """Independent class areas: each cell polygon (in lon/lat) cut by the site, area by pyproj.Geod."""
    to_ll = Transformer.from_crs(crs, "EPSG:4490", always_xy=True)
    out: dict[int, float] = {}
    for r in range(data.shape[0]):
        for c in range(data.shape[1]):
            if data[r, c] == nodata:
                continue
            x0, y1 = origin[0] + c * cell, origin[1] - r * cell
            box = shapely.segmentize(shapely.box(x0, y1 - cell, x0 + cell, y1), cell / 50)
            if crs != "EPSG:4490":
                box = shapely.transform(box, lambda xy: np.column_stack(to_ll.transform(xy[:, 0], xy[:, 1])))
            part = site.intersection(box)
            if part.is_empty or part.area == 0:
                continue
            area = geod_area(shapely.segmentize(part, DENSE_DEG))
            out[int(data[r, c])] = out.get(int(data[r, c]), 0.0) + area
    return out


def store_with(tmp_path: Path, data: np.ndarray, classes=True, **kw) -> Store:
    tif = write_raster(tmp_path / "in.tif", data, **{k: v for k, v in kw.items() if k in ("crs", "origin", "cell", "nodata")})
    store = tmp_path / "s.gpkg"
    import_ok(store, "lc", tif, write_classes(tmp_path / "c.csv") if classes else None)
    return Store(store)


def classes_of(store: Store, site) -> tuple[dict, list[str], float]:
    area = geod_area(shapely.segmentize(site, DENSE_DEG))
    got, warnings = site_raster_stats(store, site, area)
    assert len(got) == 1 and got[0]["kind"] == "classified" and got[0]["stats"] is None
    return {c["value"]: c for c in got[0]["classes"]}, warnings, area


DATA = (np.add.outer(np.arange(10) * 3, np.arange(12)) % 7 + 1).astype("uint8")


def test_class_areas_match_independent_geod(tmp_path):
    store = store_with(tmp_path, DATA)
    site = shapely.Polygon([(129.013, 42.987), (129.087, 42.962), (129.071, 42.918), (129.024, 42.931)])
    got, warnings, area = classes_of(store, site)
    ref = reference_by_value(site, DATA)
    assert set(got) == set(ref)
    for v, a in ref.items():
        assert rel(got[v]["area_m2"], a) < TOL
        assert rel(got[v]["share"], a / area) < TOL
        assert got[v]["label"] == f"类别{v}"
    assert rel(sum(c["area_m2"] for c in got.values()), area) < TOL
    assert warnings == []


def test_geographic_cells_shrink_with_latitude(tmp_path):
    # one class per row: equal-degree boxes at two latitudes hold different areas, both as Geod says
    data = np.repeat(np.arange(1, 11, dtype="uint8")[:, None], 4, axis=1)
    store = store_with(tmp_path, data, origin=(129.0, 60.0), cell=1.0)
    site = shapely.box(129.0, 50.0, 133.0, 60.0)
    got, _, _ = classes_of(store, site)
    for v in (1, 10):
        band = shapely.box(129.0, 60.0 - v, 133.0, 61.0 - v)
        assert rel(got[v]["area_m2"], geod_area(shapely.segmentize(band, 0.01))) < TOL
    assert got[1]["area_m2"] < got[10]["area_m2"] * 0.8


def test_site_smaller_than_a_cell(tmp_path):
    store = store_with(tmp_path, DATA)
    site = shapely.box(129.0531, 42.9652, 129.0547, 42.9661)  # inside cell row 3, col 5
    got, warnings, area = classes_of(store, site)
    assert list(got) == [int(DATA[3, 5])]
    assert rel(got[int(DATA[3, 5])]["area_m2"], area) < TOL
    assert abs(got[int(DATA[3, 5])]["share"] - 1.0) < TOL
    assert warnings == []


def test_site_on_the_edge_and_partly_outside(tmp_path):
    store = store_with(tmp_path, DATA)
    edge = shapely.box(129.0, 42.95, 129.02, 42.97)  # flush with the west edge
    got, warnings, _ = classes_of(store, edge)
    ref = reference_by_value(edge, DATA)
    assert {v: round(c["area_m2"]) for v, c in got.items()} == pytest.approx({v: round(a) for v, a in ref.items()}, rel=TOL)
    assert warnings == []
    partly = shapely.box(128.98, 42.95, 129.015, 42.97)  # 0.02° of 0.035° outside the raster
    got, warnings, area = classes_of(store, partly)
    inside = partly.intersection(shapely.box(129.0, 42.9, 129.12, 43.0))
    inside_area = geod_area(shapely.segmentize(inside, DENSE_DEG))
    assert rel(sum(c["area_m2"] for c in got.values()), inside_area) < TOL
    assert rel(sum(c["share"] for c in got.values()), inside_area / area) < TOL
    assert len(warnings) == 1 and f"{(area - inside_area) / 1e4:.2f} ha" in warnings[0] and "outside the raster" in warnings[0]
    sliver = shapely.box(129.0 - 2e-7, 42.95, 129.02, 42.97)  # ~36 m² west of the raster: reads "0.00 ha (0.0%)"
    got, warnings, area = classes_of(store, sliver)
    outside = area - sum(c["area_m2"] for c in got.values())
    assert 1.0 < outside < 50.0 and warnings == []  # not counted, and too small to show in a report's figures


def test_nodata_cells_not_counted(tmp_path):
    data = DATA.copy()
    data[4:6, 4:6] = 0
    store = store_with(tmp_path, data)
    site = shapely.box(129.035, 42.935, 129.065, 42.965)
    got, warnings, area = classes_of(store, site)
    ref = reference_by_value(site, data)
    assert rel(sum(c["area_m2"] for c in got.values()), sum(ref.values())) < TOL
    assert sum(ref.values()) < area * 0.6 and len(warnings) == 1


GK_DATA = np.repeat(np.repeat(np.array([[1, 2], [3, 1]], dtype="uint8"), 10, axis=0), 10, axis=1)
GK_ORIGIN = (500_000.0, 4_760_000.0)  # EPSG:4552 (CGCS2000 GK 3°, CM 129°E), near 42.98°N


def test_projected_raster_matches_geod_and_same_data_in_4490(tmp_path):
    (tmp_path / "gk").mkdir()
    (tmp_path / "ll").mkdir()
    gk = store_with(tmp_path / "gk", GK_DATA, crs="EPSG:4552", origin=GK_ORIGIN, cell=100.0)
    to_ll = Transformer.from_crs("EPSG:4552", "EPSG:4490", always_xy=True)
    lon0, lat0 = to_ll.transform(GK_ORIGIN[0] + 400, GK_ORIGIN[1] - 500)
    site = shapely.box(lon0, lat0 - 0.01, lon0 + 0.015, lat0)
    got, _, _ = classes_of(gk, site)
    ref = reference_by_value(site, GK_DATA, crs="EPSG:4552", origin=GK_ORIGIN, cell=100.0)
    assert set(got) == set(ref) == {1, 2, 3}
    for v, a in ref.items():
        assert rel(got[v]["area_m2"], a) < 1e-4
    # the same land cover warped (nearest) to a fine EPSG:4490 grid gives the same class areas
    from rasterio.warp import Resampling, reproject

    cell = 0.0001
    origin = (round(lon0 - 0.01, 4), round(lat0 + 0.01, 4))
    fine = np.zeros((400, 450), dtype="uint8")
    reproject(GK_DATA, fine, src_transform=from_origin(*GK_ORIGIN, 100.0, 100.0), src_crs="EPSG:4552",
              dst_transform=from_origin(*origin, cell, cell), dst_crs="EPSG:4490", src_nodata=0, dst_nodata=0,
              resampling=Resampling.nearest)
    ll = store_with(tmp_path / "ll", fine, origin=origin, cell=cell)
    same, _, area = classes_of(ll, site)
    for v in (1, 2, 3):
        assert abs(same[v]["area_m2"] - got[v]["area_m2"]) < 0.01 * area


def test_continuous_ramp_min_mean_max(tmp_path):
    ramp = np.tile(np.arange(12, dtype="float32"), (10, 1)) * 10.0
    store = store_with(tmp_path, ramp, classes=False, crs="EPSG:4552", origin=GK_ORIGIN, cell=100.0, nodata=-9999)
    to_ll = Transformer.from_crs("EPSG:4552", "EPSG:4490", always_xy=True)
    # the site covers half of column 2, columns 3-5 and half of column 6 (GK metres), rows 1-8
    gk_site = shapely.segmentize(shapely.box(GK_ORIGIN[0] + 250, GK_ORIGIN[1] - 900,
                                             GK_ORIGIN[0] + 650, GK_ORIGIN[1] - 100), 10)
    site = shapely.transform(gk_site, lambda xy: np.column_stack(to_ll.transform(xy[:, 0], xy[:, 1])))
    area = geod_area(shapely.segmentize(site, DENSE_DEG))
    got, warnings = site_raster_stats(store, site, area)
    s = got[0]["stats"]
    assert got[0]["kind"] == "continuous" and got[0]["classes"] == []
    assert s["min"] == 20.0 and s["max"] == 60.0
    # independent: per-column area weights from Geod
    weights = {c: geod_area(shapely.segmentize(site.intersection(shapely.transform(
        shapely.segmentize(shapely.box(GK_ORIGIN[0] + c * 100, GK_ORIGIN[1] - 1000, GK_ORIGIN[0] + c * 100 + 100,
                                       GK_ORIGIN[1]), 10),
        lambda xy: np.column_stack(to_ll.transform(xy[:, 0], xy[:, 1])))), DENSE_DEG)) for c in range(2, 7)}
    mean = sum(c * 10.0 * w for c, w in weights.items()) / sum(weights.values())
    assert abs(s["mean"] - mean) < 1e-3 and abs(s["mean"] - 40.0) < 0.01
    assert warnings == []


def store_bytes(store: Path) -> dict:
    files = [store, *sorted(raster_dir(store).glob("*"))] if raster_dir(store).exists() else [store]
    return {p.name: p.read_bytes() for p in files}


@pytest.fixture()
def good_store(tmp_path):
    store = tmp_path / "s.gpkg"
    import_ok(store, "lc", write_raster(tmp_path / "good.tif", DATA), write_classes(tmp_path / "c.csv"))
    return store


def _corrupt(tmp_path):
    good = write_raster(tmp_path / "x.tif", DATA).read_bytes()
    path = tmp_path / "corrupt.tif"
    path.write_bytes(good[:16] + os.urandom(64) + b"\0" * 40)
    return path, None


def _no_crs(tmp_path):
    return write_raster(tmp_path / "nocrs.tif", DATA, crs=None), None


def _huge(tmp_path):
    path = tmp_path / "huge.tif"
    with rasterio.open(path, "w", driver="GTiff", width=60_000, height=60_000, count=1, dtype="uint8", crs="EPSG:4490",
                       transform=from_origin(129, 43, 1e-5, 1e-5), tiled=True, blockxsize=4096, blockysize=4096,
                       sparse_ok=True):
        pass
    assert path.stat().st_size < 20_000  # a tiny file declaring 3.6e9 cells
    return path, None


def _float_classes(tmp_path):
    return write_raster(tmp_path / "f.tif", DATA.astype("float32") + 0.5, nodata=-1), write_classes(tmp_path / "fc.csv")


@pytest.mark.parametrize("make,words", [(_corrupt, "cannot read raster"), (_no_crs, "no CRS"),
                                        (_huge, "more than the limit"), (_float_classes, "non-integer")])
def test_bad_rasters_exit_2_one_line_store_unchanged(good_store, tmp_path, make, words):
    before = store_bytes(good_store)
    tif, classes = make(tmp_path)
    extra = ["--classes", classes] if classes else []
    proc = cli("layers", "import", good_store, "raster", "lc", tif, *extra)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in proc.stderr
    assert store_bytes(good_store) == before


def test_raster_import_argument_count(tmp_path):
    proc = cli("layers", "import", tmp_path / "s.gpkg", "raster", "only_a_name")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "s.gpkg").exists()


def test_failed_write_leaves_store_byte_identical(good_store, tmp_path, monkeypatch):
    import gisplan.rasters.store as rstore

    before = store_bytes(good_store)

    def fail(*a, **k):
        raise OSError("disk gone")

    monkeypatch.setattr(rstore.os, "replace", fail)
    with pytest.raises(OSError):
        rstore.import_raster(good_store, "lc", str(write_raster(tmp_path / "g2.tif", DATA[::-1].copy())))
    monkeypatch.undo()
    assert store_bytes(good_store) == before
    assert not list(raster_dir(good_store).glob(".import-*"))  # no temp COG left behind


def test_import_waits_for_the_store_lock(good_store, tmp_path):
    from gisplan.rasters.store import import_raster

    before = store_bytes(good_store)
    with store_lock(good_store, 5):
        with pytest.raises(StoreError):
            import_raster(good_store, "lc", str(write_raster(tmp_path / "g3.tif", DATA)), lock_timeout=0.2)
    assert store_bytes(good_store) == before


def test_register_cog_checksum_and_version(good_store, tmp_path):
    import hashlib

    rec = raster_records(Store(good_store))[0]
    assert rec["kind"] == "classified" and rec["version"] == 1 and rec["nodata"] == 0.0
    assert rec["classes"][0] == {"value": 1, "label": "类别1", "label_en": "class 1"}
    cog = rec["path"]  # named by its content: lc.<16 hex digits>.tif beside the store
    assert cog.parent == raster_dir(good_store) and cog.name == f"lc.{rec['sha256'][:16]}.tif"
    assert hashlib.sha256(cog.read_bytes()).hexdigest() == rec["sha256"]
    with rasterio.open(cog) as src:
        assert src.profile["tiled"] and src.crs.to_epsg() == 4490 and (src.read(1) == DATA).all()
    import_ok(good_store, "lc", write_raster(tmp_path / "v2.tif", DATA))  # re-import: continuous, version 2
    rec = raster_records(Store(good_store))[0]
    assert rec["version"] == 2 and rec["kind"] == "continuous"


def test_tampered_raster_is_left_out_with_a_warning(good_store):
    store = Store(good_store)
    cog = raster_records(store)[0]["path"]
    cog.write_bytes(cog.read_bytes() + b"\0")
    got, warnings = site_raster_stats(store, shapely.box(129.01, 42.95, 129.02, 42.96), 1e6)
    assert got == [] and "differs from the imported one" in warnings[0]


def test_screening_json_terminal_and_tables(store_path, tmp_path, site_file):
    from gisplan.render.eia_tables import eia_tables
    from gisplan.report import result_to_dict, summary_text
    from gisplan.screening import screen

    site = site_file(shapely.box(129.42, 42.85, 129.48, 42.89))
    plain = result_to_dict(screen(site, store=store_path))
    assert "rasters" not in plain
    copy = tmp_path / "store.gpkg"
    shutil.copy(store_path, copy)
    data = np.ones((60, 40), dtype="uint8")
    data[:, 20:] = 2
    import_ok(copy, "lc", write_raster(tmp_path / "lc.tif", data, origin=(129.4, 42.95), cell=0.0025),
              write_classes(tmp_path / "c.csv", (1, 2)))
    result = screen(site, store=copy)
    d = result_to_dict(result)
    assert set(d) == set(plain) | {"rasters"}
    (r,) = d["rasters"]
    assert set(r) == {"name", "kind", "classes", "stats"} and r["kind"] == "classified"
    assert [set(c) for c in r["classes"]] == [{"value", "label", "area_m2", "share"}] * 2
    west = geod_area(shapely.segmentize(shapely.box(129.42, 42.85, 129.45, 42.89), DENSE_DEG))
    assert rel(r["classes"][0]["area_m2"], west) < TOL
    json.dumps(d, ensure_ascii=False)
    assert "栅格 lc: 类别1" in summary_text(result)
    keys = [t.key for t in eia_tables(result)]
    assert keys.index("rasters") == keys.index("hits") + 1


def test_demo_store_has_the_landcover_raster(demo_store):
    (rec,) = raster_records(Store(demo_store))
    assert rec["name"] == "landcover_demo" and rec["kind"] == "classified"
    assert all("示例" in c["label"] for c in rec["classes"]) and len(rec["classes"]) == 7
    with rasterio.open(rec["path"]) as src:
        values = np.unique(src.read(1))
        assert abs(src.res[0] - 0.005) < 1e-12
    assert set(values.tolist()) <= {0, 1, 2, 3, 4, 5, 6, 7} and len(values) == 8


def test_bad_class_table(tmp_path):
    from gisplan.rasters.store import import_raster

    bad = tmp_path / "bad.csv"
    bad.write_text("value,label\n1.5,x\n", encoding="utf-8")
    with pytest.raises(InputError, match="not an integer"):
        import_raster(tmp_path / "s.gpkg", "lc", str(write_raster(tmp_path / "a.tif", DATA)), classes=str(bad))


def test_batch_raster_stats_columns(store_path, tmp_path):
    import geopandas as gpd
    import pandas as pd

    copy = tmp_path / "store.gpkg"
    shutil.copy(store_path, copy)
    data = np.ones((60, 40), dtype="uint8")
    data[:, 20:] = 2
    import_ok(copy, "lc", write_raster(tmp_path / "lc.tif", data, origin=(129.4, 42.95), cell=0.0025),
              write_classes(tmp_path / "c.csv", (1, 2)))
    ramp = np.tile(np.arange(40, dtype="float32"), (60, 1))
    import_ok(copy, "dem", write_raster(tmp_path / "dem.tif", ramp, origin=(129.4, 42.95), cell=0.0025, nodata=-1))
    boxes = [shapely.box(129.42, 42.85, 129.48, 42.89), shapely.box(129.455, 42.82, 129.46, 42.83)]
    sites = tmp_path / "sites.geojson"
    gpd.GeoDataFrame({"sid": ["a", "b"]}, geometry=boxes, crs="EPSG:4490").to_file(sites)
    out = tmp_path / "b.csv"
    proc = cli("batch", sites, "--store", copy, "--id-field", "sid", "--out", out, "--raster-stats", "lc",
               "--raster-stats", "dem", "--chunk-size", "1")
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(out, encoding="utf-8-sig")
    west = geod_area(shapely.segmentize(shapely.box(129.42, 42.85, 129.45, 42.89), DENSE_DEG))
    assert rel(table.loc[0, "lc_1_m2"], west) < TOL
    assert table.loc[1, "lc_1_m2"] == 0 and rel(table.loc[1, "lc_2_m2"], geod_area(shapely.segmentize(boxes[1], DENSE_DEG))) < TOL
    assert (table["lc_other_m2"] == 0).all()
    assert table.loc[0, "dem_min"] == 8 and table.loc[0, "dem_max"] == 31  # columns 8..31 of the ramp
    assert table.loc[1, "dem_min"] == 22 and table.loc[1, "dem_max"] == 23  # columns 22-23
    bad = cli("batch", sites, "--store", copy, "--id-field", "sid", "--out", tmp_path / "out2.csv", "--raster-stats", "x")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and not (tmp_path / "out2.csv").exists()


def test_layers_list_shows_the_rasters(good_store):
    proc = cli("layers", "list", good_store)
    assert proc.returncode == 0, proc.stderr
    (line,) = [x for x in proc.stdout.splitlines() if x.startswith("raster")]
    rec = raster_records(Store(good_store))[0]
    assert line.split()[1] == "lc" and f"{rec['width']} x {rec['height']} cells" in line and "version 1" in line
