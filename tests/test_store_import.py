"""Importing official deliveries into a store: aliases, values, encodings, CRS, atomic writes."""

from __future__ import annotations

import hashlib
import json

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from conftest import UNITS, geod_area, rel

from gisplan.errors import CRSInputError, MappingError, StoreError
from gisplan.importer import import_layer
from gisplan.store.gpkg import Store
from gisplan.vocab import normalise_value


def _units_frame(category_values, fields=("HJZHGKDYBM", "HJZHGKDYMC", "ZHGKDYFL")):
    code, name, cat = fields
    return gpd.GeoDataFrame(
        {code: list(UNITS), name: [v[0] for v in UNITS.values()], cat: category_values, "BZ": ["备注一", "备注二", "备注三"]},
        geometry=[v[2] for v in UNITS.values()], crs="EPSG:4490",
    )


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_gbk_shapefile_without_cpg_digits_category(tmp_path):
    src = tmp_path / "units.shp"
    _units_frame([1, 3, 2]).to_file(src, encoding="gbk")
    tmp_path.joinpath("units.cpg").unlink(missing_ok=True)
    store = tmp_path / "s.gpkg"
    report = import_layer(store, "control_units", src, encoding="gbk")
    assert report.mapping.fields == {"code": "HJZHGKDYBM", "name": "HJZHGKDYMC", "category": "ZHGKDYFL"}
    assert "alias" in report.mapping.describe()
    units = Store(store).read("control_units").set_index("code")
    assert units.loc["ZH22240110001", "category"] == "priority"
    assert units.loc["ZH22240120001", "category"] == "key"
    assert units.loc["ZH22240130001", "name"] == "延吉市一般管控单元（测试）"
    assert units.loc["ZH22240110001", "BZ"] == "备注一"  # source attributes kept as they came
    assert units.loc["ZH22240110001", "county"] == "222401"  # from the unit code
    for code, (_, _, geom) in UNITS.items():
        assert rel(units.loc[code, "area_m2"], geod_area(geom)) < 1e-6


def test_gbk_shapefile_detected_without_encoding(tmp_path):
    src = tmp_path / "units.shp"
    _units_frame(["优先保护单元", "一般管控单元", "重点管控单元"], ("HJGKDYBM", "HJGKDYMC", "GKDYLB")).to_file(src, encoding="gbk")
    tmp_path.joinpath("units.cpg").unlink(missing_ok=True)
    store = tmp_path / "s.gpkg"
    report = import_layer(store, "control_units", src)
    names = set(Store(store).read("control_units")["name"])
    assert "延吉市城镇重点管控单元（测试）" in names
    assert any("GB18030" in w or "GBK" in w for w in report.warnings)


def test_unknown_category_value_names_value_and_field(tmp_path):
    src = tmp_path / "units.geojson"
    _units_frame(["优先保护单元", "禁止开发区", "重点管控单元"], ("HJGKDYBM", "HJGKDYMC", "GKDYLB")).to_file(src)
    with pytest.raises(MappingError, match="禁止开发区.*GKDYLB"):
        import_layer(tmp_path / "s.gpkg", "control_units", src)


def test_map_option_for_unusual_fields(tmp_path):
    src = tmp_path / "units.geojson"
    _units_frame(["优先保护", "一般管控单元", "重点管控单元"], ("DY_ID", "DY_NAME", "FENLEI")).to_file(src)
    with pytest.raises(MappingError, match="`map` code="):
        import_layer(tmp_path / "s.gpkg", "control_units", src, mapping={"name": "DY_NAME"})
    derived = import_layer(tmp_path / "s.gpkg", "control_units", src, mapping={"code": "DY_ID"})
    assert any("derived from the category digit" in w for w in derived.warnings)
    report = import_layer(tmp_path / "s.gpkg", "control_units", src, mapping={"code": "DY_ID", "name": "DY_NAME", "category": "FENLEI"})
    assert report.mapping.how == {"code": "--map", "name": "--map", "category": "--map"}
    with pytest.raises(MappingError, match="NOPE"):
        import_layer(tmp_path / "s.gpkg", "control_units", src, mapping={"code": "NOPE"})


def test_projected_source_is_reprojected(tmp_path):
    frame = _units_frame(["1", "3", "2"]).to_crs("EPSG:4552")
    src = tmp_path / "units_gk.shp"
    frame.to_file(src)
    store = tmp_path / "s.gpkg"
    report = import_layer(store, "control_units", src)
    assert "4552" in report.crs_note and "reprojected" in report.crs_note
    units = Store(store).read("control_units").set_index("code")
    back = units.loc["ZH22240110001"].geometry
    assert back.bounds == pytest.approx(UNITS["ZH22240110001"][2].bounds, abs=1e-7)


def test_missing_prj_needs_source_crs(tmp_path):
    src = tmp_path / "units.shp"
    _units_frame(["1", "3", "2"]).to_file(src)
    tmp_path.joinpath("units.prj").unlink()
    with pytest.raises(CRSInputError, match="`source_crs`"):
        import_layer(tmp_path / "s.gpkg", "control_units", src)
    report = import_layer(tmp_path / "s.gpkg", "control_units", src, source_crs="EPSG:4490")
    assert report.features == 3


def test_zone_and_level_values(tmp_path):
    prot = gpd.GeoDataFrame({"BHDMC": ["甲", "甲", "乙", "乙"], "GNFQ": ["核心区", "buffer", "核心保护区", "一般控制区"]},
                            geometry=[shapely.box(129.4 + i / 100, 42.8, 129.405 + i / 100, 42.805) for i in range(4)], crs="EPSG:4490")
    src = tmp_path / "pa.geojson"
    prot.to_file(src)
    store = tmp_path / "s.gpkg"
    import_layer(store, "protected_areas", src)
    pa = Store(store).read("protected_areas")
    assert list(pa["zone"]) == ["core", "buffer", "core_protection", "general_control"]
    assert list(pa["zone_label"]) == ["核心区", "缓冲区", "核心保护区", "一般控制区"]
    assert normalise_value("level", "准保护区") == "quasi"
    with pytest.raises(MappingError, match="三级保护区"):
        normalise_value("level", "三级保护区", "BHQJB")


def test_invalid_geometry_is_repaired_and_reported(tmp_path):
    bowtie = shapely.Polygon([(129.4, 42.8), (129.5, 42.9), (129.5, 42.8), (129.4, 42.9)])
    src = tmp_path / "red.geojson"
    gpd.GeoDataFrame({"HXMC": ["红线"]}, geometry=[bowtie], crs="EPSG:4490").to_file(src)
    report = import_layer(tmp_path / "s.gpkg", "eco_redline", src)
    assert any("repaired" in w for w in report.warnings)
    red = Store(tmp_path / "s.gpkg").read("eco_redline")
    assert red.geometry.iloc[0].is_valid and red["area_m2"].iloc[0] > 0


def test_failed_import_leaves_store_unchanged(store_path, tmp_path):
    import shutil

    copy = tmp_path / "copy.gpkg"
    shutil.copy(store_path, copy)
    before = _sha(copy)
    bad = tmp_path / "bad.geojson"
    _units_frame(["优先保护单元", "??", "重点管控单元"], ("HJGKDYBM", "HJGKDYMC", "GKDYLB")).to_file(bad)
    with pytest.raises(MappingError):
        import_layer(copy, "control_units", bad)
    assert _sha(copy) == before
    assert not list(tmp_path.glob(".copy.gpkg.*"))  # no temp file left behind


def test_store_summary_meta_and_pieces(store_path):
    s = Store(store_path)
    assert s.kinds() == ["control_units", "eco_redline", "protected_areas", "water_sources"]
    summary = s.summary()
    row = summary[(summary["kind"] == "control_units") & (summary["class"] == "key")].iloc[0]
    assert row["features"] == 1
    assert row["area_km2"] == pytest.approx(geod_area(UNITS["ZH22240120001"][2]) / 1e6, rel=1e-6)
    meta = s.meta().set_index("kind")
    assert json.loads(meta.loc["control_units", "mapping"])["code"] == "HJGKDYBM"
    assert len(meta.loc["control_units", "source_sha256"]) == 64
    idx = s.index("control_units")
    assert idx.area.sum() == pytest.approx(s.read("control_units")["area_m2"].sum(), rel=1e-9)
    assert (shapely.get_num_coordinates(idx.geoms(np.arange(len(idx)))) <= 256).all()


def test_not_a_store(tmp_path):
    with pytest.raises(StoreError, match="not found"):
        Store(tmp_path / "missing.gpkg")
    junk = tmp_path / "junk.gpkg"
    junk.write_bytes(b"not a geopackage")
    with pytest.raises(StoreError):
        Store(junk)
    other = tmp_path / "other.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(0, 0)], crs=4490).to_file(other)
    with pytest.raises(StoreError, match="not a gisplan store"):
        Store(other)


def test_gk_area_column_is_planimetric(store_path):
    units = Store(store_path).read("control_units").set_index("code")
    geom = UNITS["ZH22240120001"][2]
    t = pyproj.Transformer.from_crs("EPSG:4490", "EPSG:4552", always_xy=True)
    gk = shapely.transform(shapely.segmentize(geom, 0.0005), lambda xy: __import__("numpy").column_stack(t.transform(xy[:, 0], xy[:, 1])))
    assert rel(units.loc["ZH22240120001", "area_gk_m2"], gk.area) < 1e-6


def test_overlapping_features_are_not_exclusive_and_batch_counts_both(tmp_path):
    """Exclusive pieces let the batch skip geometry; overlapping features must not."""
    from gisplan.batch import screen_batch

    a = shapely.box(129.40, 42.80, 129.50, 42.90)
    b = shapely.box(129.45, 42.85, 129.55, 42.95)
    src = tmp_path / "red.geojson"
    gpd.GeoDataFrame({"HXMC": ["甲", "乙"]}, geometry=[a, b], crs="EPSG:4490").to_file(src)
    store = tmp_path / "s.gpkg"
    import_layer(store, "eco_redline", src)
    idx = Store(store).index("eco_redline")
    assert not idx.exclusive.all()
    site = shapely.box(129.47, 42.87, 129.48, 42.88)  # inside both
    lone = shapely.box(129.41, 42.81, 129.42, 42.82)  # inside a only
    table = screen_batch(gpd.GeoDataFrame({"id": [1, 2]}, geometry=[site, lone], crs="EPSG:4490"), store, id_field="id")
    assert table["redline_m2"].iloc[0] == pytest.approx(2 * geod_area(site), rel=1e-6)
    assert table["redline_m2"].iloc[1] == pytest.approx(geod_area(lone), rel=1e-6)
