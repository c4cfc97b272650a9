"""Protected-area type and level reach the statutory rules (issue 12).

The reserve regulations' zones are the law of nature reserves only, the two-zone
rules of national parks and reserves; a nature park (forest park, scenic area ...)
is judged by its type's whole-area rules; a national reserve's core zone names
the provincial authority. Inside the redline only reserves and scenic areas
(142号 一、（一）) replace the redline's rules. Single and batch agree.
"""

from __future__ import annotations

import shutil
import sqlite3

import geopandas as gpd
import pytest
import shapely

import gisplan
from gisplan.importer import import_layer
from gisplan.store.gpkg import Store

AREAS = [  # name, zone, type, level, geometry (lon/lat); units A/B/C of conftest lie under them
    ("测试国家级自然保护区", "核心区", "自然保护区", "国家级", shapely.box(129.42, 42.90, 129.44, 42.92)),
    ("测试省级自然保护区", "核心区", "自然保护区", "省级", shapely.box(129.52, 42.90, 129.54, 42.92)),
    ("测试森林公园", "核心区", "森林公园", "省级", shapely.box(129.43, 42.82, 129.45, 42.84)),  # inside the redline
    ("测试风景名胜区", "未分区", "风景名胜区", "国家级", shapely.box(129.52, 42.82, 129.54, 42.84)),
    ("测试国家公园", "核心区", "国家公园", "国家级", shapely.box(129.55, 42.90, 129.57, 42.92)),
    ("测试红线内自然保护区", "实验区", "自然保护区", "县级", shapely.box(129.415, 42.845, 129.425, 42.855)),
]


@pytest.fixture(scope="module")
def typed_store(tmp_path_factory):
    from conftest import write_sources

    folder = tmp_path_factory.mktemp("typed")
    sources = write_sources(folder / "src")
    prot = gpd.GeoDataFrame({"BHDMC": [a[0] for a in AREAS], "GNFQ": [a[1] for a in AREAS],
                             "BHDLX": [a[2] for a in AREAS], "BHDJB": [a[3] for a in AREAS]},
                            geometry=[a[4] for a in AREAS], crs="EPSG:4490")
    sources["protected_areas"] = folder / "prot.geojson"
    prot.to_file(sources["protected_areas"], driver="GeoJSON")
    path = folder / "typed.gpkg"
    for kind, src in sources.items():
        import_layer(path, kind, src)
    return path


def _inside(name: str, margin: float = 0.002):
    geom = next(a[4] for a in AREAS if a[0] == name)
    return geom.buffer(-margin)


def _pa_finding(store, name: str, industry):
    result = gisplan.screen(_inside(name), store, industry=industry)
    found = [f for f in result.verdict["findings"] if f["kind"] == "protected_areas" and f["name"] == name]
    assert len(found) == 1, [f["name"] for f in result.verdict["findings"]]
    return result, found[0]


def test_types_and_levels_are_stored(typed_store):
    frame = Store(typed_store).read("protected_areas")
    assert list(frame["pa_type"]) == ["nature_reserve", "nature_reserve", "forest_park", "scenic_area",
                                      "national_park", "nature_reserve"]
    assert list(frame["pa_level"]) == ["national", "provincial", "provincial", "national", "national", "county"]


def test_forest_park_is_not_judged_by_the_reserve_regulations(typed_store):
    result, f = _pa_finding(typed_store, "测试森林公园", "公路")
    assert f["rule_id"] == "forest_park.default" and f["decision"] == "review"
    assert "森林公园" in f["rule"] and "不适用" in f["rule"]
    assert "自然保护区条例" not in f["citation"] and "森林法" in f["citation"] and f["verified"] is False
    assert f["pa_type"] == "forest_park" and f["pa_label"] == "省级森林公园"
    # the same zone label in a nature reserve is the reserve's core zone: prohibited by the regulations
    _, reserve = _pa_finding(typed_store, "测试国家级自然保护区", "公路")
    assert reserve["decision"] == "prohibited" and "自然保护区条例" in reserve["citation"]
    assert result.verdict["overall"] != "allowed"


def test_scenic_area_mining_prohibited_other_projects_review(typed_store):
    result, f = _pa_finding(typed_store, "测试风景名胜区", "B09")
    assert f["decision"] == "prohibited" and f["rule_id"] == "scenic.mining"
    assert "风景名胜区条例" in f["citation"] and "第二十六条" in f["citation"] and f["verified"] is True
    assert f["reason"] == "unzoned" and f["judged_as"] == "general_control"
    assert "风景名胜区整体" in f["rule"]
    assert result.verdict["overall"] == "prohibited"
    _, road = _pa_finding(typed_store, "测试风景名胜区", "公路")
    assert road["decision"] == "review" and road["rule_id"] == "scenic.default"


@pytest.mark.parametrize("name,rule_id,authority", [
    ("测试国家级自然保护区", "reserve.core.research.national", "省、自治区、直辖市人民政府"),
    ("测试省级自然保护区", "reserve.core.research.local", "本保护区不是国家级"),
])
def test_core_zone_research_permit_names_the_authority_of_its_level(typed_store, name, rule_id, authority):
    _, f = _pa_finding(typed_store, name, "M73")
    assert f["decision"] == "restricted" and f["rule_id"] == rule_id and authority in f["rule"]


def test_level_unknown_keeps_both_authorities(store_path):
    result = gisplan.screen(shapely.box(129.425, 42.905, 129.43, 42.91), store_path, industry="M73")
    (f,) = [f for f in result.verdict["findings"] if f["kind"] == "protected_areas"]
    assert f["rule_id"] == "reserve.core.research" and "国家级自然保护区经省级主管部门批准" in f["rule"]
    assert "pa_type" not in f  # the fixture store has no type: judged by its zone's rules, as before


def test_national_park_with_reserve_zone_label_is_review_not_allowed(typed_store):
    _, f = _pa_finding(typed_store, "测试国家公园", "公路")
    assert f["decision"] == "review" and f["reason"] == "no_rule" and "国家公园" in f["rule"]


def _redline_finding(result):
    (f,) = [f for f in result.verdict["findings"] if f["kind"] == "eco_redline"]
    return f


def test_inside_the_redline_only_reserves_and_scenic_areas_follow_their_own_law(typed_store):
    park = gisplan.screen(_inside("测试森林公园"), typed_store, industry="公路")
    red = _redline_finding(park)
    assert red.get("reason") != "own_law" and red["overlap_m2"] == pytest.approx(park.project["area_m2"], rel=1e-9)
    reserve = gisplan.screen(_inside("测试红线内自然保护区", 0.001), typed_store, industry="公路")
    assert _redline_finding(reserve)["reason"] == "own_law"


SITES = [_inside(a[0]) for a in AREAS] + [shapely.box(129.42, 42.815, 129.47, 42.86), shapely.box(129.50, 42.83, 129.56, 42.93)]


@pytest.mark.parametrize("industry", ["公路", "B09", "M73", None])
def test_batch_equals_single_on_typed_areas(typed_store, industry):
    frame = gpd.GeoDataFrame({"site_id": list(range(len(SITES)))}, geometry=SITES, crs="EPSG:4490")
    with gisplan.open_store(typed_store) as store:
        many = store.screen_many(frame, id_field="site_id", industry=industry)
        for i, g in enumerate(SITES):
            single = store.screen(g, industry=industry)
            row = many.iloc[i]
            assert row["verdict"] == single.verdict["overall"], i
            protected = sum(h["overlap_m2"] for h in single.hit_rows if h["kind"] == "protected_areas")
            assert abs(float(row["protected_m2"]) - protected) <= 1e-9 * max(protected, 1.0)


def test_optional_columns_are_found_without_reading_rows(typed_store, store_path, tmp_path):
    from gisplan.verdict import present_optional_columns

    typed, plain = Store(typed_store), Store(store_path)
    assert {"pa_type", "pa_level"} <= set(typed.layer_columns("protected_areas"))
    assert "fid" not in typed.layer_columns("protected_areas") and "geometry" not in plain.layer_columns("protected_areas")
    assert present_optional_columns(typed, "protected_areas") == ["pa_type", "pa_level"]
    old = tmp_path / "old.gpkg"  # a store built before type and level existed: the columns are not there
    shutil.copy(store_path, old)
    with sqlite3.connect(old) as con:
        con.execute('ALTER TABLE protected_areas DROP COLUMN pa_type')
        con.execute('ALTER TABLE protected_areas DROP COLUMN pa_level')
    assert present_optional_columns(Store(old, verify=False), "protected_areas") == []
