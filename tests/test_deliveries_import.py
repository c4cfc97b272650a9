"""Importing layers as bureaus deliver them: FileGDB, Traditional characters, value maps, unzoned reserves."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile

import geopandas as gpd
import pyogrio
import pytest
import shapely
from conftest import REPO, UNITS, geod_area, rel

from gisplan.errors import InputError, MappingError
from gisplan.importer import import_layer
from gisplan.io.vector import read_vector
from gisplan.mapping import parse_value_map_options
from gisplan.store.gpkg import Store
from gisplan.vocab import normalise_value, strictest_zone_for_unzoned

CORE = shapely.box(129.42, 42.90, 129.44, 42.92)
BUFFER = shapely.box(129.41, 42.89, 129.45, 42.93).difference(CORE)


def _cli(*args):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "gisplan.cli", *map(str, args)], capture_output=True, text=True, env=env)


def _traditional_reserve() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"BHDMC": ["測試自然保護區", "測試自然保護區"], "GNFQ": ["核心區", "緩衝區"],
         "BHDLX": ["國家級自然保護區", "國家級自然保護區"], "BHDJB": ["國家級", "國家級"]},
        geometry=[CORE, BUFFER], crs="EPSG:4490",
    )


def test_filegdb_folder_written_by_gdal_is_imported(tmp_path):
    gdb = tmp_path / "delivery.gdb"
    pyogrio.write_dataframe(_traditional_reserve(), gdb, layer="ZRBHD", driver="OpenFileGDB")
    store = tmp_path / "store.gpkg"
    report = import_layer(store, "protected_areas", gdb)
    assert report.features == 2
    frame = Store(store).read("protected_areas").sort_values("zone")
    assert frame["zone"].tolist() == ["buffer", "core"]
    assert frame["zone_label"].tolist() == ["缓冲区", "核心区"]  # Traditional labels stored simplified
    assert set(frame["pa_type"]) == {"nature_reserve"} and set(frame["pa_level"]) == {"national"}
    core = frame[frame["zone"] == "core"].iloc[0]
    assert rel(core["area_m2"], geod_area(shapely.segmentize(CORE, 0.001))) < 1e-5


def test_zipped_filegdb_is_imported_and_layer_chosen(tmp_path):
    gdb = tmp_path / "two.gdb"
    pyogrio.write_dataframe(_traditional_reserve(), gdb, layer="reserve", driver="OpenFileGDB")
    units = gpd.GeoDataFrame({"HJGKDYBM": list(UNITS), "GKDYLB": [v[1] for v in UNITS.values()]},
                             geometry=[v[2] for v in UNITS.values()], crs="EPSG:4490")
    pyogrio.write_dataframe(units, gdb, layer="units", driver="OpenFileGDB")
    archive = tmp_path / "delivery.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in gdb.iterdir():
            zf.write(f, f"two.gdb/{f.name}")
    with pytest.raises(InputError, match="several layers"):
        read_vector(archive)
    report = import_layer(tmp_path / "s.gpkg", "control_units", archive, layer="units")
    assert report.features == 3
    assert sorted(Store(tmp_path / "s.gpkg").read("control_units")["code"]) == sorted(UNITS)


def test_filegdb_folder_with_symlink_or_garbage_is_refused(tmp_path):
    gdb = tmp_path / "a.gdb"
    pyogrio.write_dataframe(_traditional_reserve(), gdb, layer="x", driver="OpenFileGDB")
    (gdb / "evil").symlink_to("/etc/passwd")
    with pytest.raises(InputError, match="symbolic link"):
        read_vector(gdb)
    fake = tmp_path / "fake.gdb"
    fake.mkdir()
    (fake / "a00000001.gdbtable").write_bytes(b"<VRTDataset>")
    with pytest.raises(InputError, match="not a file geodatabase"):
        read_vector(fake)


@pytest.mark.parametrize("field,value,code", [
    ("zone", "核心區", "core"), ("zone", "緩衝區", "buffer"), ("zone", "實驗區", "experimental"),
    ("level", "一級保護區", "level1"), ("level", "二級保護區", "level2"), ("level", "準保護區", "quasi"),
    ("category", "優先保護單元", "priority"), ("category", "重點管控單元", "key"),
    ("pa_type", "濕地公園", "wetland_park"), ("pa_type", "省級森林公園", "forest_park"),
    ("pa_type", "國家公園", "national_park"), ("pa_level", "縣級", "county"), ("zone", "未分區", "unzoned"),
])
def test_traditional_characters_in_every_vocabulary(field, value, code):
    assert normalise_value(field, value) == code


def test_unknown_traditional_value_still_refused():
    with pytest.raises(MappingError, match="保護核心"):
        normalise_value("zone", "保護核心")


def _numbered_zones(path, names=("一区", "二区"), field="FQBH"):
    gpd.GeoDataFrame({"BHDMC": ["测试保护区"] * 2, field: list(names)}, geometry=[CORE, BUFFER],
                     crs="EPSG:4490").to_file(path, driver="GeoJSON")


def test_value_maps_saved_and_reused_from_store(tmp_path):
    v1, v2 = tmp_path / "v1.geojson", tmp_path / "v2.geojson"
    _numbered_zones(v1)
    _numbered_zones(v2, field="GNFQ")  # the next version: an alias field, still numbered zones
    store = tmp_path / "store.gpkg"
    proc = _cli("layers", "import", store, "protected_areas", v1, "--map", "zone=FQBH",
                "--map-value", "zone:一区=core", "--map-value", "FQBH:二区=缓冲区")
    assert proc.returncode == 0, proc.stderr
    meta = Store(store).meta().set_index("kind").loc["protected_areas"]
    saved = json.loads(meta["mapping"])
    assert saved["zone"] == "FQBH"  # the field map as before, value maps beside it
    assert saved["values"]["zone"] == {"一区": "core", "二区": "缓冲区"}
    # the next version: without the maps it fails in one line, with --mapping-from it imports
    store2 = tmp_path / "store2.gpkg"
    bad = _cli("layers", "import", store2, "protected_areas", v2)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "一区" in bad.stderr
    v3 = tmp_path / "v3.geojson"
    _numbered_zones(v3)  # same fields as v1: field and value maps both come from the store
    proc = _cli("layers", "import", store2, "protected_areas", v3, "--mapping-from", store)
    assert proc.returncode == 0, proc.stderr
    zones = Store(store2).read("protected_areas").sort_values("zone")["zone"].tolist()
    assert zones == ["buffer", "core"]
    # a renamed field: the stored field map names a field the new version lacks -> one clear line
    renamed = _cli("layers", "import", store2, "protected_areas", v2, "--mapping-from", store)
    assert renamed.returncode == 2 and "FQBH" in renamed.stderr and len(renamed.stderr.strip().splitlines()) == 1


def test_mapping_yaml_file_and_command_line_precedence(tmp_path):
    src = tmp_path / "v.geojson"
    _numbered_zones(src, names=("一區", "二区"))  # the map's key in Simplified matches Traditional data
    yaml_file = tmp_path / "map.yaml"
    yaml_file.write_text("fields:\n  zone: FQBH\nvalues:\n  zone:\n    一区: core\n    二区: core\n", encoding="utf-8")
    store = tmp_path / "s.gpkg"
    import_layer(store, "protected_areas", src, mapping_file=yaml_file, value_maps=parse_value_map_options(["zone:二区=buffer"]))
    assert sorted(Store(store).read("protected_areas")["zone"]) == ["buffer", "core"]
    broken = tmp_path / "broken.yaml"
    broken.write_text("fields: [zone]\n", encoding="utf-8")
    with pytest.raises(InputError, match="fields"):
        import_layer(store, "protected_areas", src, mapping_file=broken)
    with pytest.raises(MappingError, match="FIELD:SOURCE=TARGET"):
        parse_value_map_options(["zone=core"])


def test_whole_reserve_outlines_import_unzoned_with_warning(tmp_path):
    src = tmp_path / "outlines.geojson"
    gpd.GeoDataFrame({"BHDMC": ["测试湿地公园", "测试自然保护区"], "BHDLX": ["湿地公园", "自然保护区"]},
                     geometry=[shapely.box(129.3, 42.7, 129.35, 42.75), CORE], crs="EPSG:4490").to_file(src)
    store = tmp_path / "s.gpkg"
    report = import_layer(store, "protected_areas", src)
    assert any("unzoned" in w for w in report.warnings)
    frame = Store(store).read("protected_areas")
    assert set(frame["zone"]) == {"unzoned"} and set(frame["zone_label"]) == {"未分区"}
    assert [strictest_zone_for_unzoned(t) for t in frame["pa_type"]] == ["general_control", "core"]
    assert strictest_zone_for_unzoned("") == "core"


@pytest.fixture()
def unzoned_store(tmp_path, store_path):
    path = tmp_path / "unzoned.gpkg"
    shutil.copy(store_path, path)
    src = tmp_path / "outline.geojson"
    gpd.GeoDataFrame({"BHDMC": ["测试自然保护区"], "BHDLX": ["自然保护区"]}, geometry=[CORE], crs="EPSG:4490").to_file(src)
    import_layer(path, "protected_areas", src)
    return path


def _reserve_finding(store, industry="公路"):
    from gisplan.screening import screen

    site = shapely.box(129.425, 42.905, 129.43, 42.91)
    result = screen(site, store, industry=industry)
    findings = [f for f in result.verdict["findings"] if f["kind"] == "protected_areas"]
    return result.verdict["overall"], findings


def test_unzoned_reserve_hit_is_never_allowed(unzoned_store):
    overall, findings = _reserve_finding(unzoned_store)
    assert overall != "allowed"
    assert findings and all(f["decision"] != "allowed" for f in findings)


def test_unzoned_reserve_hit_counts_as_core_zone(unzoned_store, store_path):
    overall, findings = _reserve_finding(unzoned_store)
    _core_overall, core_findings = _reserve_finding(store_path)  # the fixture's reserve is a core zone here
    assert findings[0]["decision"] == core_findings[0]["decision"]
    assert overall == _core_overall
    assert "分区" in findings[0]["rule"] and "zon" in findings[0]["rule_en"]


def test_traditional_field_names_found_by_alias():
    from gisplan.mapping import resolve_mapping

    fm = resolve_mapping("protected_areas", ["保護地名稱", "功能分區", "保護地類型", "保護地級別"])
    assert fm.fields == {"name": "保護地名稱", "zone": "功能分區", "pa_type": "保護地類型", "pa_level": "保護地級別"}


def test_check_a_layer_file_with_value_maps(tmp_path):
    src = tmp_path / "zones.geojson"
    _numbered_zones(src, names=("一区", "三区"))
    proc = _cli("layers", "check", src, "--kind", "protected_areas", "--map", "zone=FQBH", "--map-value", "zone:一区=core")
    assert proc.returncode == 2 and "三区" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    out = tmp_path / "c.json"
    proc = _cli("layers", "check", src, "--kind", "protected_areas", "--map", "zone=FQBH", "--map-value", "zone:一区=core",
                "--map-value", "zone:三区=实验区", "--json", out, "--strict")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["problems"] == []
