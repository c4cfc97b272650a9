"""Project types, the statutory rules file and access-list tables (import, bad rows, tiers)."""

from __future__ import annotations

import geopandas as gpd
import openpyxl
import pytest
import shapely
from conftest import write_sources

from gisplan.errors import InputError
from gisplan.importer import import_layer
from gisplan.rules.access_list import (
    ACCESS_TABLE,
    AccessList,
    import_access_list,
    read_clause_table,
)
from gisplan.rules.industry import industries, match_industry, selector_matches
from gisplan.rules.statutory import default_rules
from gisplan.store.gpkg import Store

# ----------------------------------------------------------------------------- industries


def test_industry_table_has_all_divisions_and_catalogue_items():
    table = industries()
    divisions = [i for i in table if i.scheme == "gb4754_division"]
    assert len(divisions) == 97
    assert {d.code for d in divisions} >= {"A01", "B06", "C26", "D44", "K70", "T97"}
    items = [i for i in table if i.scheme == "eia2021"]
    assert len(items) == 173 == len({i.catalogue_item for i in items})
    own = {i.code for i in table if i.scheme == "gisplan"}
    assert own >= {"GP-outfall", "GP-restoration", "GP-research", "GP-telecom"}
    assert not any(i.code.startswith("EIA-") for i in table)  # the old numbering is gone
    assert "linear_infrastructure" in match_industry("公路").industry.flags
    assert "water_supply_related" in match_industry("自来水生产和供应").industry.flags


@pytest.mark.parametrize("query, code, how", [
    ("C26", "C26", "code"), ("26", "C26", "code"), ("d4411", "D4411", "code"), ("EIA2021-130", "EIA2021-130", "code"),
    ("名录第130项", "EIA2021-130", "catalogue item"), ("GP-outfall", "GP-outfall", "code"),
    ("酒的制造", "EIA2021-25", "name"), ("化学原料和化学制品制造业", "C26", "name"),
    ("火力发电", "EIA2021-87", "alias"),  # the catalogue item wins a tie with the GB class 4411
    ("火电", "EIA2021-87", "alias"), ("光伏", "EIA2021-90", "alias"), ("输油", "EIA2021-147", "prefix"),
    ("火电发电", "EIA2021-87", "close spelling"),
])
def test_match_industry_ways(query, code, how):
    m = match_industry(query)
    assert (m.industry.code, m.matched_by) == (code, how)
    assert m.industry.name in m.describe()
    assert m.to_dict()["query"] == query


def test_ambiguous_and_unknown_industry_list_closest_entries():
    with pytest.raises(InputError, match="ambiguous") as exc:
        match_industry("化学")
    assert "C26 化学原料和化学制品制造业" in str(exc.value) and "EIA2021-44 基础化学原料制造" in str(exc.value)
    with pytest.raises(InputError, match="ambiguous") as exc:
        match_industry("码头")  # five kinds of port in the catalogue
    assert all(f"EIA2021-{n}" in str(exc.value) for n in range(138, 143))
    with pytest.raises(InputError, match="closest") as exc:
        match_industry("化学原料药厂")
    assert "化学药品原料药制造" in str(exc.value)
    with pytest.raises(InputError, match="none is close"):
        match_industry("qwertz")
    with pytest.raises(InputError):
        match_industry("  ")
    with pytest.raises(InputError, match="old numbering"):
        match_industry("EIA-020")


def test_selectors():
    chem = match_industry("化工").industry
    road = match_industry("公路").industry
    assert selector_matches("C26", chem) and selector_matches("C", chem) and not selector_matches("C", road)
    assert selector_matches("@production_facility+@discharges_pollutants", chem)
    assert not selector_matches("@production_facility+@linear_infrastructure", chem)
    assert selector_matches("公路;输油管道", road) and selector_matches("*", road)
    assert selector_matches("EIA2021-130", road) and selector_matches("E4812", road)
    assert not selector_matches("E", chem)  # the section letter E is not the EIA2021- code prefix
    outfall = match_industry("入河排污口").industry
    assert not selector_matches("G", outfall)  # nor is G the GP- prefix
    pv, wind = match_industry("光伏").industry, match_industry("风电").industry
    assert selector_matches("D4416", pv) and not selector_matches("D4415", pv)  # one part of item 90
    assert selector_matches("D4415", wind) and not selector_matches("D4416", wind)
    assert selector_matches("光伏", pv)  # a narrowed alias still names its entry


# ----------------------------------------------------------------------------- statutory rules file


def test_rules_file_is_versioned_and_cites_every_rule():
    rules = default_rules()
    assert rules.version and "statutory_rules.yaml" in rules.describe()
    expected = {("eco_redline", "redline"), ("protected_areas", "core"), ("protected_areas", "buffer"),
                ("protected_areas", "experimental"), ("protected_areas", "core_protection"),
                ("protected_areas", "general_control"), ("water_sources", "level1"), ("water_sources", "level2"),
                ("water_sources", "quasi"), ("protected_areas", "type:nature_park"),
                ("protected_areas", "type:scenic_area"), ("protected_areas", "type:forest_park"),
                ("protected_areas", "type:wetland_park"), ("protected_areas", "type:grassland_park"),
                ("resource_zones", "no_burn"), ("resource_zones", "groundwater_no_extraction"),
                ("resource_zones", "groundwater_limited_extraction"),
                ("basic_farmland", "farmland"), ("urban_boundary", "concentrated"), ("urban_boundary", "flexible"),
                ("urban_boundary", "special"), ("urban_boundary", "boundary"), ("urban_boundary", "outside")}
    assert set(rules.zones) == expected
    for zr in rules.zones.values():
        for rule in [zr.otherwise, zr.summary, *(r for items in zr.lists.values() for r in items)]:
            assert rule.source and rule.text, rule.id
    water = rules.get("water_sources", "level2")
    assert "水污染防治法" in water.otherwise.source and "第六十六条" in water.summary.article
    assert "142号" in rules.get("eco_redline", "redline").lists["special_permit"][0].source
    assert "自然保护区条例" in rules.get("protected_areas", "core").otherwise.source


def test_bad_rules_file_is_an_input_error(tmp_path):
    from gisplan.rules.statutory import load_rules

    bad = tmp_path / "r.yaml"
    bad.write_text("zones:\n  eco_redline:\n    redline:\n      otherwise: {decision: maybe, text: x, citation: {source: y}}\n",
                   encoding="utf-8")
    with pytest.raises(InputError, match="decision"):
        load_rules(bad)
    with pytest.raises(InputError, match="not found"):
        load_rules(tmp_path / "missing.yaml")


# ----------------------------------------------------------------------------- access-list tables

TIER_CSV = """层级,适用范围,行政区划代码,管控单元类别,环境管控单元编码,管控维度,管控要求,文件,条款
省级,吉林省,220000,,,空间布局约束,全省要求（测试）,省级清单,一、1
流域,松花江流域,222401;222403,,,污染物排放管控,流域要求（测试）,流域清单,二、1
市级,延边州,222400,,,环境风险防控,州级要求（测试）,州级清单,三、1
县级,延吉市,222401,,,资源开发效率要求,延吉市要求（测试）,州级清单,四、1
县级,图们市,222402,,,资源开发效率要求,图们市要求（不应适用）,州级清单,四、2
分类,,,优先保护单元,,空间布局约束,优先保护单元要求（测试）,州级清单,五、1
分类,,,重点管控单元,,空间布局约束,重点管控单元要求（不应适用）,州级清单,五、2
单元,,,,ZH22240110001,空间布局约束,单元要求（测试）,单元清单,ZH22240110001-1
"""


@pytest.fixture()
def fresh_store(tmp_path):
    sources = write_sources(tmp_path / "src")
    path = tmp_path / "store.gpkg"
    for kind, src in sources.items():
        import_layer(path, kind, src)
    return path


def test_tier_inheritance(fresh_store, tmp_path):
    csv = tmp_path / "list.csv"
    csv.write_text(TIER_CSV, encoding="utf-8")
    report = import_access_list(fresh_store, csv)
    assert report.clauses == 8 and report.by_tier == {"province": 1, "basin": 1, "city": 1, "county": 2, "category": 2, "unit": 1}
    access = AccessList.from_store(Store(fresh_store))
    unit = {"code": "ZH22240110001", "name": "A", "category": "priority", "county": "222401"}
    got = [(c.tier, c.text) for c in access.for_unit(unit)]
    assert got == [("province", "全省要求（测试）"), ("basin", "流域要求（测试）"), ("city", "州级要求（测试）"),
                   ("county", "延吉市要求（测试）"), ("category", "优先保护单元要求（测试）"), ("unit", "单元要求（测试）")]
    other = [c.tier for c in access.for_unit({"code": "ZH22240120001", "category": "key", "county": "222401"})]
    assert other == ["province", "basin", "city", "county", "category"]  # key category clause, no unit clause
    outside = access.for_unit({"code": "ZH44060630001", "category": "general", "county": ""})
    assert outside == []  # another province: nothing applies


def test_reimport_replaces_clauses_of_the_same_file(fresh_store, tmp_path):
    csv = tmp_path / "list.csv"
    csv.write_text(TIER_CSV, encoding="utf-8")
    import_access_list(fresh_store, csv)
    import_access_list(fresh_store, csv)
    other = tmp_path / "other.csv"
    other.write_text("环境管控单元编码,管控维度,管控要求\nZH22240130001,环境风险防控,另一文件的要求\n", encoding="utf-8")
    import_access_list(fresh_store, other)
    table = Store(fresh_store).read_table(ACCESS_TABLE)
    assert len(table) == 9 and set(table["origin"]) == {"list.csv", "other.csv"}
    import_access_list(fresh_store, other, clear=True)
    assert len(Store(fresh_store).read_table(ACCESS_TABLE)) == 1


def test_bad_rows_are_named(fresh_store, tmp_path):
    csv = tmp_path / "bad.csv"
    csv.write_text(
        "环境管控单元编码,管控维度,管控要求,判定,适用行业\n"
        "ZH22240110001,空间布局约束,好的条款,,\n"         # row 2: fine
        "ZH22240110001,空间布局约束,,,\n"                 # row 3: empty text
        "ZH22240110001,空间约束,某要求,,\n"                # row 4: unknown dimension
        ",污染物排放管控,没有单元编码,,\n"                 # row 5: no tier can be told
        "ZH22240110001,环境风险防控,某要求,也许,C26\n"     # row 6: bad decision
        "ZH22240110001,环境风险防控,某要求,禁止,\n",       # row 7: decision without industries
        encoding="utf-8")
    with pytest.raises(InputError) as exc:
        import_access_list(fresh_store, csv)
    msg = str(exc.value)
    assert "5 bad row(s)" in msg
    for row, what in ((3, "empty 管控要求"), (4, "空间约束"), (5, "tier"), (6, "也许"), (7, "适用行业")):
        assert f"row {row}: " in msg and what in msg, (row, msg)
    assert "row 2" not in msg
    assert Store(fresh_store).read_table(ACCESS_TABLE) is None  # nothing written


def test_missing_columns_and_formats(tmp_path):
    no_header = tmp_path / "x.csv"
    no_header.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="header"):
        read_clause_table(no_header)
    no_dim = tmp_path / "y.csv"
    no_dim.write_text("环境管控单元编码,管控要求\nZH22240110001,x\n", encoding="utf-8")
    with pytest.raises(InputError, match="管控维度"):
        read_clause_table(no_dim)
    docx = tmp_path / "x.docx"
    docx.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match=".xlsx or .csv"):
        read_clause_table(docx)
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a workbook", encoding="utf-8")
    with pytest.raises(InputError, match="XLSX"):
        read_clause_table(fake)


def test_xlsx_with_title_row_merged_cells_and_gbk_csv(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "准入清单"
    ws.append(["延边州环境管控单元生态环境准入清单（测试）"])
    ws.merge_cells("A1:D1")
    ws.append(["环境管控单元编码", "环境管控单元名称", "清单类型", "准入要求"])
    ws.append(["ZH22240110001", "单元A", "空间布局约束", "要求一"])
    ws.append([None, None, "污染物排放管控", "要求二"])
    ws.merge_cells("A3:A4")
    ws.merge_cells("B3:B4")
    path = tmp_path / "list.xlsx"
    wb.save(path)
    frame, used, _ = read_clause_table(path, sheet="准入清单")
    assert list(frame["scope"]) == ["ZH22240110001"] * 2
    assert list(frame["dimension"]) == ["spatial_layout", "pollutant_emission"]
    assert list(frame["source_row"]) == [3, 4] and used["dimension"] == "清单类型"
    with pytest.raises(InputError, match="no sheet"):
        read_clause_table(path, sheet="Sheet9")
    wide = tmp_path / "wide.csv"
    wide.write_bytes("管控单元编码,空间布局约束,污染物排放管控,环境风险防控,资源开发效率要求\n"
                     "ZH22240110001,禁止甲,控制乙,,节约丁\n".encode("gb18030"))
    frame, _, _ = read_clause_table(wide)
    assert list(frame["dimension"]) == ["spatial_layout", "pollutant_emission", "resource_efficiency"]
    assert list(frame["text"]) == ["禁止甲", "控制乙", "节约丁"]


def test_map_option_names_odd_columns(tmp_path):
    csv = tmp_path / "odd.csv"
    csv.write_text("DYBM,LX,NR\nZH22240110001,空间布局约束,某要求\n", encoding="utf-8")
    frame, used, _ = read_clause_table(csv, mapping={"unit_code": "DYBM", "dimension": "LX", "text": "NR"})
    assert frame["scope"].iloc[0] == "ZH22240110001" and used["text"] == "NR"
    with pytest.raises(InputError, match="no column"):
        read_clause_table(csv, mapping={"text": "missing"})


def test_unit_layer_attributes_feed_the_access_list(tmp_path):
    units = gpd.GeoDataFrame(
        {"HJGKDYBM": ["ZH22240110001", "ZH22240120001"], "HJGKDYMC": ["甲", "乙"], "GKDYLB": ["优先保护单元", "重点管控单元"],
         "KJBJYS": ["禁止新建工业项目", ""], "PWWPFGK": ["", "执行特别排放限值"], "HJFXFK": [None, "建立应急预案"],
         "ZYKFXLYQ": ["", ""]},
        geometry=[shapely.box(129.40, 42.80, 129.50, 42.95), shapely.box(129.50, 42.80, 129.60, 42.95)], crs="EPSG:4490")
    src = tmp_path / "units.geojson"
    units.to_file(src)
    store = tmp_path / "s.gpkg"
    report = import_layer(store, "control_units", src)
    assert any("3 unit clause(s)" in n and "KJBJYS" in n for n in report.notes)
    access = AccessList.from_store(Store(store))
    got = {(c.scope, c.dimension, c.text) for c in access.for_unit({"code": "ZH22240120001", "category": "key"})}
    assert got == {("ZH22240120001", "pollutant_emission", "执行特别排放限值"), ("ZH22240120001", "risk_prevention", "建立应急预案")}
    # a later delivery without the fields removes the old layer clauses
    units.drop(columns=["KJBJYS", "PWWPFGK", "HJFXFK", "ZYKFXLYQ"]).to_file(src)
    report = import_layer(store, "control_units", src)
    assert any("removed" in n for n in report.notes)
    assert len(Store(store).read_table(ACCESS_TABLE)) == 0
