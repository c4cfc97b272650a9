"""The law, second pass (issue 19): every decision follows from its text, sites wholly inside each zone.

One store is built here through the public import path, one general control unit
(no access list: its finding is ``review``) under every zone type::

    lat 42.86 +--------------- redline (129.40-129.50) ---------------+
              | quasi  level1  level2  plain | national park (GC)  reserve (exp.)  |
              |                              | scenic core  forest park           |
    lat 42.80 +-----------------------------------------------------------------+
    east of 129.52: water levels, reserve zones (both schemes, unzoned), national-park
    zones, scenic zones (core, other, unzoned), forest / wetland / grassland / geoparks,
    no-burn and groundwater zones.

Each site is a box 0.002° inside its zone. The checks that held-back sites will
make are made here broadly: every zone × many industries × national major
yes / no / unknown (no `allowed` from unverified text alone, never `allowed` in
a quasi zone, `follow_up` on every prohibited/restricted finding, the overall
verdict never `not_applicable`, counts that add up, batch rows as single
screenings).
"""

from __future__ import annotations

import json

import docx
import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import shapely
from _site_fixtures import write_site
from click.testing import CliRunner

import gisplan
from gisplan.cli import main
from gisplan.importer import import_layer
from gisplan.labels import DECISION_LABELS
from gisplan.rules.statutory import default_rules
from gisplan.verdict import DECISIONS, overall_decision

UNIT = (129.40, 42.80, 129.80, 42.95)
REDLINE = (129.40, 42.80, 129.50, 42.86)


def _box(x: float, y: float, w: float = 0.01) -> tuple:
    return (x, y, x + w, y + w)


WATER = {  # key: (level, box)
    "red_quasi": ("准保护区", _box(129.41, 42.81)),
    "red_level1": ("一级保护区", _box(129.43, 42.81)),
    "red_level2": ("二级保护区", _box(129.45, 42.81)),
    "level1": ("一级保护区", _box(129.52, 42.81)),
    "level2": ("二级保护区", _box(129.54, 42.81)),
    "quasi": ("准保护区", _box(129.56, 42.81)),
}
PROTECTED = {  # key: (zone, type, level, box)
    "red_np_general": ("一般控制区", "国家公园", "国家级", _box(129.41, 42.83)),
    "red_reserve_exp": ("实验区", "自然保护区", "省级", _box(129.43, 42.83)),
    "red_scenic_core": ("核心景区", "风景名胜区", "国家级", _box(129.45, 42.83)),
    "red_forest_park": ("未分区", "森林公园", "省级", _box(129.47, 42.83)),
    "reserve_core": ("核心区", "自然保护区", "国家级", _box(129.52, 42.83)),
    "reserve_buffer": ("缓冲区", "自然保护区", "国家级", _box(129.54, 42.83)),
    "reserve_exp": ("实验区", "自然保护区", "国家级", _box(129.56, 42.83)),
    "reserve_core_protection": ("核心保护区", "自然保护区", "国家级", _box(129.58, 42.83)),
    "reserve_general": ("一般控制区", "自然保护区", "省级", _box(129.60, 42.83)),
    "reserve_unzoned": ("未分区", "自然保护区", "县级", _box(129.62, 42.83)),
    "np_core": ("核心保护区", "国家公园", "国家级", _box(129.52, 42.85)),
    "np_general": ("一般控制区", "国家公园", "国家级", _box(129.54, 42.85)),
    "scenic_core": ("核心景区", "风景名胜区", "国家级", _box(129.56, 42.85)),
    "scenic_other": ("其他景区", "风景名胜区", "国家级", _box(129.58, 42.85)),
    "scenic_unzoned": ("未分区", "风景名胜区", "省级", _box(129.60, 42.85)),
    "scenic_other_provincial": ("其他景区", "风景名胜区", "省级", _box(129.62, 42.85)),
    "scenic_core_as_core": ("核心区", "风景名胜区", "省级", _box(129.64, 42.85)),  # a scenic area's 核心区
    "forest_park": ("未分区", "森林公园", "国家级", _box(129.52, 42.87)),
    "wetland_park": ("未分区", "湿地公园", "国家级", _box(129.54, 42.87)),
    "grassland_park": ("未分区", "草原公园", "省级", _box(129.56, 42.87)),
    "geopark": ("未分区", "地质公园", "国家级", _box(129.58, 42.87)),
}
RESOURCE = {  # key: (zone type, box)
    "no_burn": ("高污染燃料禁燃区", _box(129.52, 42.89)),
    "groundwater_no": ("地下水禁止开采区", _box(129.54, 42.89)),
    "groundwater_limited": ("地下水限制开采区", _box(129.56, 42.89)),
}
PLAIN_REDLINE = _box(129.47, 42.81)
PLAIN_UNIT = _box(129.70, 42.90)

KIND_OF = {**{k: "water_sources" for k in WATER}, **{k: "protected_areas" for k in PROTECTED},
           **{k: "resource_zones" for k in RESOURCE}, "plain_redline": "eco_redline", "plain_unit": "control_units"}


def box_of(key: str) -> tuple:
    if key in WATER:
        return WATER[key][1]
    if key in PROTECTED:
        return PROTECTED[key][3]
    if key in RESOURCE:
        return RESOURCE[key][1]
    return {"plain_redline": PLAIN_REDLINE, "plain_unit": PLAIN_UNIT}[key]


def site(key: str, margin: float = 0.002):
    x0, y0, x1, y1 = box_of(key)
    return shapely.box(x0 + margin, y0 + margin, x1 - margin, y1 - margin)


@pytest.fixture(scope="module")
def law_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("law_store")
    frames = {
        "control_units": gpd.GeoDataFrame({"HJGKDYBM": ["ZH22240130009"], "HJGKDYMC": ["测试一般管控单元"],
                                           "GKDYLB": ["一般管控单元"]}, geometry=[shapely.box(*UNIT)], crs="EPSG:4490"),
        "eco_redline": gpd.GeoDataFrame({"HXMC": ["测试生态保护红线"]}, geometry=[shapely.box(*REDLINE)], crs="EPSG:4490"),
        "water_sources": gpd.GeoDataFrame({"SYDMC": [f"测试水源地{k}" for k in WATER], "BHQJB": [v[0] for v in WATER.values()]},
                                          geometry=[shapely.box(*v[1]) for v in WATER.values()], crs="EPSG:4490"),
        "protected_areas": gpd.GeoDataFrame(
            {"BHDMC": [f"测试保护地{k}" for k in PROTECTED], "GNFQ": [v[0] for v in PROTECTED.values()],
             "BHDLX": [v[1] for v in PROTECTED.values()], "BHDJB": [v[2] for v in PROTECTED.values()]},
            geometry=[shapely.box(*v[3]) for v in PROTECTED.values()], crs="EPSG:4490"),
        "resource_zones": gpd.GeoDataFrame({"FQMC": [f"测试{k}" for k in RESOURCE],
                                            "管控分区类型": [v[0] for v in RESOURCE.values()]},
                                           geometry=[shapely.box(*v[1]) for v in RESOURCE.values()], crs="EPSG:4490"),
    }
    path = folder / "law.gpkg"
    for kind, frame in frames.items():
        src = folder / f"{kind}.gpkg"
        frame.to_file(src, driver="GPKG")
        import_layer(path, kind, src)
    return path


@pytest.fixture(scope="module")
def opened(law_store):
    with gisplan.open_store(law_store) as store:
        yield store


def findings(result, kind=None, name_part=None) -> list[dict]:
    out = []
    for f in result.verdict.to_dict()["findings"]:
        if kind and f["kind"] != kind:
            continue
        if name_part and name_part not in f.get("name", ""):
            continue
        out.append(f)
    return out


def one(result, kind, name_part=None) -> dict:
    found = findings(result, kind, name_part)
    assert len(found) == 1, [(f["kind"], f["name"], f["decision"]) for f in result.verdict.to_dict()["findings"]]
    return found[0]


def zone_finding(result, key: str) -> dict:
    kind = KIND_OF[key]
    return one(result, kind, None if kind == "resource_zones" else key)


def test_the_store_holds_every_zone(law_store):
    from gisplan.store.gpkg import Store

    store = Store(law_store)
    prot = store.read("protected_areas").set_index("name")
    assert prot.loc["测试保护地scenic_core", "zone"] == "core_scenic"
    assert prot.loc["测试保护地scenic_other", "zone"] == "other_scenic"
    assert prot.loc["测试保护地wetland_park", "pa_type"] == "wetland_park"
    assert sorted(store.read("resource_zones")["zone"]) == ["groundwater_limited_extraction",
                                                          "groundwater_no_extraction", "no_burn"]


# ----------------------------------------------------------------------------- the cases of the issue


def test_quasi_zone_inside_the_redline_does_not_displace_it(opened):
    housing = opened.screen(site("red_quasi"), industry="房地产")
    red = one(housing, "eco_redline")
    assert red["decision"] == "prohibited" and red["rule_id"] == "redline.default" and red.get("reason") != "own_law"
    assert housing.verdict["overall"] == "prohibited"
    quasi = zone_finding(housing, "red_quasi")
    assert "第六十七条" in quasi["citation"] and quasi["decision"] == "review"  # art. 67 beside the redline
    road = opened.screen(site("red_quasi"), industry="公路")
    f = one(road, "eco_redline")
    assert f["rule_id"] == "redline.linear" and f["decision"] == "restricted" and "无法避让" in f["rule"]


@pytest.mark.parametrize("key", ["red_level1", "red_level2"])
def test_levels_1_and_2_inside_the_redline_still_follow_their_own_law(opened, key):
    r = opened.screen(site(key), industry="房地产")
    red, water = one(r, "eco_redline"), zone_finding(r, key)
    assert red["reason"] == "own_law" and red["decision"] == water["decision"] == "prohibited"
    assert red["follow_up"] and "一级" in red["rule"] and "准保护区" in red["rule"]


@pytest.mark.parametrize("industry", ["内陆养殖", "海水养殖", "水产养殖", "A041", "名录第5项"])
def test_aquaculture_in_level_2_is_one_answer_art_66_para_2(opened, industry):
    f = zone_finding(opened.screen(site("level2"), industry=industry), "level2")
    assert (f["decision"], f["rule_id"]) == ("restricted", "water.level2.activities")
    assert "第六十六条第二款" in f["citation"] and "网箱养殖" in f["quote"] and f["follow_up"]


@pytest.mark.parametrize("industry", ["经济林基地", "农产品基地", "名录第1项", "名录第2项"])
def test_non_point_farming_is_not_a_discharging_project_in_level_2(opened, industry):
    r = opened.screen(site("level2"), industry=industry)
    f = zone_finding(r, "level2")
    assert f["decision"] == "review" and f["rule_id"] == "water.level2.nonpoint"
    assert "第七十三条" in f["citation"] and "第六十六条" in f["citation"]
    assert r.verdict["overall"] != "prohibited"
    # level 1 bans every construction project unrelated to water supply and activities that may pollute the water
    one1 = zone_finding(opened.screen(site("level1"), industry=industry), "level1")
    assert (one1["decision"], one1["rule_id"]) == ("prohibited", "water.level1.nonpoint") and one1["verified"] is True
    quasi = zone_finding(opened.screen(site("quasi"), industry=industry), "quasi")
    assert quasi["decision"] == "review" and "第七十三条" not in quasi["citation"]  # art. 73: 保护区内 only


@pytest.mark.parametrize("industry", ["加油站", "光伏发电", "房地产", "公路", "酒的制造", "科研监测设施", "自来水厂"])
def test_a_quasi_zone_never_allows_without_the_art_67_test(opened, industry):
    f = zone_finding(opened.screen(site("quasi"), industry=industry), "quasi")
    assert f["decision"] == "review" and "第六十七条" in f["citation"] and "判定" in f["rule"]


def test_a_quasi_zone_prohibits_what_seriously_pollutes(opened):
    f = zone_finding(opened.screen(site("quasi"), industry="化学原料制造"), "quasi")
    assert f["decision"] == "prohibited" and f["verified"] is True and f["follow_up"]


@pytest.mark.parametrize("key", ["reserve_general", "reserve_core_protection"])
def test_reserve_two_zone_scheme_bans_only_what_the_regulations_ban(opened, key):
    housing = zone_finding(opened.screen(site(key), industry="房地产"), key)
    assert housing["decision"] == "review" and "国家公园管理暂行办法" not in housing["citation"]
    assert "自然保护区条例" in housing["citation"]
    mine = zone_finding(opened.screen(site(key), industry="土砂石开采"), key)
    assert mine["decision"] == "prohibited" and mine["verified"] is True and "第二十六条" in mine["citation"]
    assert "法律、行政法规另有规定的除外" in mine["quote"]
    chem = zone_finding(opened.screen(site(key), industry="化学原料制造"), key)
    assert chem["decision"] == "prohibited" and chem["verified"] is True and "第三十条" in chem["citation"]


@pytest.mark.parametrize("key", ["np_core", "np_general"])
def test_national_park_zones_rest_on_unverified_texts_so_review(opened, key):
    for industry in ("房地产", "煤炭开采", "公路"):
        f = zone_finding(opened.screen(site(key), industry=industry), key)
        assert f["decision"] == "review" and f["verified"] is False, industry
        assert "国家公园" in f["rule"]


@pytest.mark.parametrize("key", ["scenic_core", "scenic_other", "scenic_unzoned", "red_scenic_core"])
@pytest.mark.parametrize("industry", ["加油站", "危险品仓储", "化工", "C26", "核电"])
def test_scenic_areas_ban_facilities_storing_hazardous_goods(opened, key, industry):
    f = zone_finding(opened.screen(site(key), industry=industry), key)
    assert (f["decision"], f["rule_id"]) == ("prohibited", "scenic.hazardous_goods")
    assert f["verified"] is True and "第二十六条" in f["citation"] and "易燃性" in f["quote"]


@pytest.mark.parametrize("key, decision, rule_id, article", [
    ("scenic_core", "prohibited", "scenic.core_buildings", "第二十七条"),
    ("scenic_core_as_core", "prohibited", "scenic.core_buildings", "第二十七条"),
    ("scenic_other", "restricted", "scenic.construction", "第二十八条"),
    ("scenic_other_provincial", "restricted", "scenic.construction", "第三十条"),
    ("scenic_unzoned", "review", "scenic.default", "第二十七条"),
])
def test_scenic_area_housing_by_its_zone(opened, key, decision, rule_id, article):
    f = zone_finding(opened.screen(site(key), industry="房地产"), key)
    assert (f["decision"], f["rule_id"]) == (decision, rule_id) and article in f["citation"] and f["verified"] is True


def test_scenic_cableway_in_a_national_scenic_area_needs_the_provincial_approval(opened):
    f = zone_finding(opened.screen(site("scenic_other"), industry="索道"), "scenic_other")
    assert f["rule_id"] == "scenic.cableway.national" and "核准" in f["follow_up"]
    g = zone_finding(opened.screen(site("scenic_other_provincial"), industry="索道"), "scenic_other_provincial")
    assert g["rule_id"] == "scenic.construction"


@pytest.mark.parametrize("industry", ["房地产", "光伏发电", "化学原料制造", "土砂石开采", "加油站"])
def test_national_major_yes_counts_for_any_type(opened, industry):
    yes = one(opened.screen(site("plain_redline"), industry=industry, national_major=True), "eco_redline")
    assert yes["decision"] == "restricted" and yes["rule_id"] == "redline.national_major"
    assert "审批" in yes["follow_up"] and yes["verified"] is False
    for answer in (None, False):  # undeclared or no: the redline's own rule (none of these may be one by type)
        f = one(opened.screen(site("plain_redline"), industry=industry, national_major=answer), "eco_redline")
        assert f["decision"] == "prohibited", (industry, answer)


@pytest.mark.parametrize("answer, decision", [(None, "review"), (False, "prohibited"), (True, "restricted")])
def test_national_major_eligible_type_undeclared_stays_review(opened, answer, decision):
    f = one(opened.screen(site("plain_redline"), industry="水力发电", national_major=answer), "eco_redline")
    assert f["decision"] == decision


def test_restoration_research_and_archaeology_in_the_redline_carry_their_conditions(opened):
    rest = one(opened.screen(site("plain_redline"), industry="生态修复"), "eco_redline")
    assert rest["decision"] == "restricted" and "生态保护修复专项规划" in rest["rule"] and "第8项" in rest["citation"]
    assert rest["verified"] is False and "条文待核" in rest["follow_up"]
    research = one(opened.screen(site("plain_redline"), industry="科研监测设施"), "eco_redline")
    assert research["decision"] == "restricted" and "必要设施" in research["follow_up"] and research["verified"] is True
    dig = one(opened.screen(site("plain_redline"), industry="考古"), "eco_redline")
    assert dig["decision"] == "restricted" and "经依法批准" in dig["quote"] and dig["verified"] is True


@pytest.mark.parametrize("key, industry, article, not_article", [
    ("level1", "污水处理", "第六十五条", "第六十四条"),
    ("level2", "污水处理", "第六十六条", "第六十四条"),
    ("level1", "入河排污口", "第六十四条", None),
    ("level2", "入河排污口", "第六十四条", None),
])
def test_a_sewage_works_is_not_an_outfall(opened, key, industry, article, not_article):
    f = zone_finding(opened.screen(site(key), industry=industry), key)
    assert f["decision"] == "prohibited" and article in f["citation"]
    if not_article:
        assert not_article not in f["citation"]


def test_gas_boiler_is_accepted_and_burns_no_high_pollution_fuel(opened):
    from gisplan.rules.industry import match_industry

    assert match_industry("燃气锅炉").industry.code == "EIA2021-91"
    gas = opened.screen(site("no_burn"), industry="燃气锅炉")
    f = zone_finding(gas, "no_burn")
    assert f["decision"] == "not_applicable" and "follow_up" not in f
    coal = zone_finding(opened.screen(site("no_burn"), industry="燃煤锅炉"), "no_burn")
    assert coal["decision"] == "prohibited" and "大气污染防治法" in coal["citation"]
    assert "第三十八条第二款" in coal["citation"] and "第一百零七条" in coal["citation"] and coal["verified"] is True
    assert "清洁能源" in coal["follow_up"]
    unknown = zone_finding(opened.screen(site("no_burn"), industry="房地产"), "no_burn")
    assert unknown["decision"] == "review"
    r = CliRunner().invoke(main, ["rules", "industries", "燃气锅炉"])
    assert r.exit_code == 0 and "EIA2021-91" in r.output


@pytest.mark.parametrize("key, article", [("groundwater_no", "第三十五条第一款"), ("groundwater_limited", "第三十五条第二款")])
def test_groundwater_zones_by_the_groundwater_regulations(opened, key, article):
    f = zone_finding(opened.screen(site(key), industry="地下水开采"), key)
    assert f["decision"] == "prohibited" and "地下水管理条例" in f["citation"] and article in f["citation"]
    assert zone_finding(opened.screen(site(key), industry="风力发电"), key)["decision"] == "not_applicable"
    assert zone_finding(opened.screen(site(key), industry="房地产"), key)["decision"] == "review"


@pytest.mark.parametrize("key, law", [("forest_park", "森林法"), ("wetland_park", "湿地保护法"),
                                      ("grassland_park", "草原法"), ("red_forest_park", "森林法")])
def test_nature_parks_cite_their_own_laws_and_stay_review(opened, key, law):
    for industry in ("房地产", "土砂石开采", "公路"):
        f = zone_finding(opened.screen(site(key), industry=industry), key)
        assert f["decision"] == "review" and law in f["citation"], (key, industry)
        assert "自然保护区条例" not in f["citation"]


def test_a_forest_park_in_the_redline_keeps_the_redline_rules(opened):
    r = opened.screen(site("red_forest_park"), industry="房地产")
    assert one(r, "eco_redline")["decision"] == "prohibited" and r.verdict["overall"] == "prohibited"


# ----------------------------------------------------------------------------- broad invariants

ZONE_KEYS = sorted(KIND_OF)
INDUSTRIES = ["房地产", "公路", "加油站", "化学原料制造", "煤炭开采", "土砂石开采", "内陆养殖", "水产养殖", "经济林基地",
              "污水处理", "入河排污口", "科研监测设施", "生态修复", "旅游开发", "燃煤锅炉", "燃气锅炉", "地下水开采",
              "光伏发电", "水力发电", "考古", "危险品仓储", "输变电", "名录第110项", "GP-residents"]


def _rules_by_id():
    return {r.id: r for r in default_rules().all_rules()}


@pytest.mark.parametrize("national_major", [None, True, False])
@pytest.mark.parametrize("key", ZONE_KEYS)
def test_every_zone_every_industry_follows_the_rules_of_the_text(opened, key, national_major):
    rules = _rules_by_id()
    for industry in INDUSTRIES:
        r = opened.screen(site(key), industry=industry, national_major=national_major)
        v = r.verdict.to_dict()
        listed = v["findings"]
        assert v["overall"] in ("prohibited", "restricted", "review", "allowed"), (key, industry)
        assert v["overall"] == overall_decision(f["decision"] for f in listed if f["id"] != "verdict:nothing_applies")
        assert v["overall_label"] == DECISION_LABELS["zh"][v["overall"]] and "相符" not in DECISION_LABELS["zh"]["not_applicable"]
        assert set(v["counts"]) == set(DECISIONS) and sum(v["counts"].values()) == len(listed)
        for f in listed:
            assert f["decision"] in DECISIONS, f
            if f["decision"] in ("prohibited", "restricted"):
                assert f.get("follow_up"), (key, industry, f["id"])
            else:
                assert "follow_up" not in f, (key, industry, f["id"])
            rule = rules.get(f.get("rule_id") or f["id"])
            if rule is not None and f.get("tier") == "statutory" and f.get("reason") != "own_law":
                if not rule.verified and all(not c.verified for c in rule.cites):
                    assert f["decision"] not in ("prohibited", "allowed"), (key, industry, f["id"])
            if f["kind"] == "water_sources" and f["zone"] == "quasi":
                assert f["decision"] != "allowed"
        # a zone hit is never decided by a clause that does not apply, and never shown as complying
        zone = zone_finding(r, key) if KIND_OF[key] not in ("eco_redline", "control_units") else None
        if zone is not None and KIND_OF[key] != "resource_zones":
            assert zone["decision"] != "not_applicable"


@pytest.mark.parametrize("key", ["plain_redline", "red_quasi", "level1", "level2", "quasi", "reserve_general",
                                 "np_general", "scenic_core", "scenic_other", "wetland_park", "no_burn"])
def test_every_catalogue_item_in_each_zone(opened, key):
    from gisplan.rules.industry import CATALOGUE_ITEMS

    rules = _rules_by_id()
    for n in range(1, CATALOGUE_ITEMS + 1):
        for answer in (None, True):
            v = opened.screen(site(key), industry=f"名录第{n}项", national_major=answer).verdict.to_dict()
            assert v["overall"] != "not_applicable" and sum(v["counts"].values()) == len(v["findings"])
            for f in v["findings"]:
                assert bool(f.get("follow_up")) == (f["decision"] in ("prohibited", "restricted")), (key, n, f["id"])
                rule = rules.get(f.get("rule_id") or f["id"])
                if rule is not None and f.get("reason") != "own_law" and not any(c.verified for c in rule.cites):
                    assert f["decision"] not in ("prohibited", "allowed"), (key, n, f["id"])
                if f["kind"] == "water_sources" and f["zone"] == "quasi":
                    assert f["decision"] != "allowed", (key, n)
            if key == "plain_redline" and answer is True:  # declared national major: never plain prohibited
                assert one_of(v, "eco_redline")["decision"] != "prohibited", n


def one_of(verdict: dict, kind: str) -> dict:
    (f,) = [f for f in verdict["findings"] if f["kind"] == kind]
    return f


def test_batch_rows_and_counts_equal_single_screenings(law_store, opened):
    from gisplan.batch import COUNT_COLUMNS, screen_batch

    keys = ZONE_KEYS
    rows = [(f"{k}|{ind}", ind, site(k)) for k in keys for ind in ("房地产", "加油站", "内陆养殖", "燃煤锅炉", "水力发电")]
    frame = gpd.GeoDataFrame({"sid": [r[0] for r in rows], "hy": [r[1] for r in rows]},
                             geometry=[r[2] for r in rows], crs="EPSG:4490")
    for answer in (None, True):
        table = screen_batch(frame, law_store, id_field="sid", industry_field="hy", national_major=answer, progress=False)
        assert list(table.columns[:13]) == ["sid", "area_m2", "priority_m2", "key_m2", "general_m2", "outside_m2",
                                            "redline_m2", "protected_m2", "water_m2", "verdict", "warnings", "industry",
                                            "deciding"]  # the old columns keep their place and meaning
        for (sid, ind, geom), (_, row) in zip(rows, table.iterrows()):
            single = opened.screen(geom, industry=ind, national_major=answer).verdict.to_dict()
            assert row["verdict"] == single["overall"], sid
            assert {d: int(row[col]) for d, col in COUNT_COLUMNS.items()} == single["counts"], sid


# ----------------------------------------------------------------------------- not applicable everywhere


@pytest.fixture(scope="module")
def listed_store(law_store, tmp_path_factory):
    """The law store with an access list whose clauses name one industry each."""
    import shutil

    from gisplan.rules.access_list import import_access_list

    folder = tmp_path_factory.mktemp("listed")
    path = folder / "listed.gpkg"
    shutil.copy(law_store, path)
    csv = folder / "list.csv"
    csv.write_text(
        "层级,行政区划代码,管控单元类别,环境管控单元编码,管控维度,管控要求,文件,条款,适用行业,判定\n"
        ",,,ZH22240130009,空间布局约束,禁止新建化工项目。,单元清单,1,C26,禁止\n"
        ",,,ZH22240130009,污染物排放管控,水泥熟料项目执行产能置换。,单元清单,2,C3011,限制\n"
        ",,,ZH22240130009,资源开发效率要求,鼓励建设光伏发电项目。,单元清单,3,D4416,允许\n",
        encoding="utf-8")
    import_access_list(path, csv)
    return path


def test_not_applicable_is_counted_apart_and_never_complies(listed_store, tmp_path):
    wind = gisplan.screen(site("plain_unit"), listed_store, industry="风力发电")
    v = wind.verdict.to_dict()
    assert v["counts"] == {"prohibited": 0, "restricted": 0, "review": 1, "allowed": 0, "not_applicable": 3}
    assert v["overall"] == "review" and v["deciding"] == ["verdict:nothing_applies"]
    nothing = one(wind, "coverage")
    assert "不适用不等于相符" in nothing["rule"]
    solar = gisplan.screen(site("plain_unit"), listed_store, industry="光伏发电").verdict.to_dict()
    assert solar["overall"] == "allowed" and solar["counts"]["not_applicable"] == 2 and solar["counts"]["allowed"] == 1
    chem = gisplan.screen(site("plain_unit"), listed_store, industry="化学原料制造").verdict.to_dict()
    f = next(f for f in chem["findings"] if f["decision"] == "prohibited")
    assert f["kind"] == "access_list" and "建议调整选址" in f["follow_up"]  # the rules file's default for clauses
    cement = gisplan.screen(site("plain_unit"), listed_store, industry="水泥制造").verdict.to_dict()
    assert next(f for f in cement["findings"] if f["decision"] == "restricted")["follow_up"]
    whole = gisplan.screen(site("plain_unit"), listed_store, industry="化学原料制造").to_dict()  # what JSON writes
    assert json.loads(json.dumps(whole, ensure_ascii=False))["verdict"]["findings"][0]["follow_up"].startswith("建议调整选址")

    # JSON, terminal, DOCX and XLSX
    sfile = tmp_path / "s.geojson"
    write_site(sfile, site("plain_unit"), "风电场")
    out, rep, book = tmp_path / "r.json", tmp_path / "r.docx", tmp_path / "r.xlsx"
    r = CliRunner().invoke(main, ["screen", str(sfile), "--store", str(listed_store), "--industry", "风力发电",
                                  "--json", str(out), "--docx", str(rep), "--xlsx", str(book)])
    assert r.exit_code == 0, r.output + r.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["verdict"]["counts"]["not_applicable"] == 3
    assert "不适用 3" in r.output and "允许（相符） 0" in r.output and "结论: 需人工核对 [review]" in r.output
    doc = docx.Document(rep)
    text = "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for row in t.rows for c in row.cells])
    # the summary table's total row: nothing complied (允许 0), 3 clauses did not apply, counted apart
    summary = next(t for t in doc.tables if t.rows[0].cells[-1].text == "不适用" and t.rows[0].cells[-2].text == "允许")
    total = [c.text for c in summary.rows[-1].cells]
    assert total[0] == "合计" and total[-2:] == ["0", "3"], total
    # the clauses that do not apply are folded away (never listed as 相符), and the table says how many
    assert not any("禁止新建化工项目" in row.cells[0].text for t in doc.tables for row in t.rows)
    assert "另有 3 条条款对本项目不适用，未逐条列出" in text and "相符" not in " ".join(total)
    # the sources listed are those of what applied, not of the clauses that did not
    assert not any("单元清单" in p.text for p in doc.paragraphs if p.text.startswith("依据："))
    chem_doc = tmp_path / "chem.docx"
    r = CliRunner().invoke(main, ["screen", str(sfile), "--store", str(listed_store), "--industry", "化学原料制造",
                                  "--docx", str(chem_doc)])
    assert r.exit_code == 0, r.output + r.stderr
    basis = next(p.text for p in docx.Document(chem_doc).paragraphs if p.text.startswith("依据："))
    assert "单元清单 1" in basis and "单元清单 2" not in basis and "单元清单 3" not in basis
    cells = [c.value for ws in openpyxl.load_workbook(book).worksheets for row in ws.iter_rows() for c in row]
    assert "不适用" in cells and not any(c == "允许（相符）" for c in cells)
    assert any(isinstance(c, str) and "不适用 3 条" in c for c in cells)


def test_the_web_page_words_and_the_labels_route_know_not_applicable():
    from gisplan import labels
    from gisplan.serve import app as serve_app

    static = serve_app.__file__.rsplit("/", 1)[0] + "/static/"
    words, page = (open(static + name, encoding="utf-8").read() for name in ("i18n.js", "app.js"))
    assert 'd_not_applicable: "不适用"' in words and "v.counts" in page  # the page's words; the verdict's counts
    assert labels.DECISION_LABELS["zh"]["not_applicable"] == "不适用"
    assert labels.DECISION_LABELS["en"]["not_applicable"] == "not applicable"


def test_batch_csv_has_the_count_columns_beside_the_old_ones(listed_store, tmp_path):
    sites = tmp_path / "sites.geojson"
    gpd.GeoDataFrame({"sid": ["wind", "solar"], "hy": ["风力发电", "光伏发电"]},
                     geometry=[site("plain_unit"), site("plain_unit")], crs="EPSG:4490").to_file(sites)
    out = tmp_path / "b.csv"
    r = CliRunner().invoke(main, ["batch", str(sites), "--store", str(listed_store), "--id-field", "sid",
                                  "--industry-field", "hy", "--out", str(out)])
    assert r.exit_code == 0, r.output + r.stderr
    table = pd.read_csv(out, encoding="utf-8-sig").set_index("sid")
    assert list(table.loc["wind", ["verdict", "n_allowed", "n_not_applicable", "n_review"]]) == ["review", 0, 3, 1]
    assert table.loc["wind", "deciding"].startswith("未发现适用")  # words, not an internal id
    assert list(table.loc["solar", ["verdict", "n_allowed", "n_not_applicable"]]) == ["allowed", 1, 2]
