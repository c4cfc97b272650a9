"""The verdict: each statutory rule triggered by a site built for it, access-list clauses, fallbacks, CLI."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from _site_fixtures import write_site
from click.testing import CliRunner

from gisplan.cli import main
from gisplan.errors import InputError
from gisplan.importer import import_layer
from gisplan.rules.access_list import import_access_list
from gisplan.screening import screen
from gisplan.rules.decide import SiteOverlaps, decide
from gisplan.verdict import VerdictEngine, strictest

UNITS = {  # code: (name, category, box)
    "ZH22240110001": ("延吉市生态优先保护单元（测试）", "优先保护单元", (129.40, 42.80, 129.50, 42.95)),
    "ZH22240130001": ("延吉市一般管控单元（测试）", "一般管控单元", (129.50, 42.80, 129.60, 42.875)),
    "ZH22240120001": ("延吉市城镇重点管控单元（测试）", "重点管控单元", (129.50, 42.875, 129.60, 42.95)),
}
REDLINE = (129.41, 42.81, 129.46, 42.86)
PROTECTED = {  # zone label: box, all in the priority unit
    "核心区": (129.47, 42.81, 129.48, 42.82), "缓冲区": (129.47, 42.83, 129.48, 42.84),
    "实验区": (129.47, 42.85, 129.48, 42.86), "核心保护区": (129.47, 42.87, 129.48, 42.88),
    "一般控制区": (129.47, 42.89, 129.48, 42.90),
}
WATER = {  # level label: box, all in the general unit
    "一级保护区": (129.52, 42.81, 129.53, 42.82), "二级保护区": (129.52, 42.83, 129.53, 42.84),
    "准保护区": (129.52, 42.85, 129.53, 42.86),
}
ZONE_BOX = {("eco_redline", "redline"): REDLINE,
            **{("protected_areas", z): PROTECTED[label] for z, label in (
                ("core", "核心区"), ("buffer", "缓冲区"), ("experimental", "实验区"),
                ("core_protection", "核心保护区"), ("general_control", "一般控制区"))},
            **{("water_sources", z): WATER[label] for z, label in (
                ("level1", "一级保护区"), ("level2", "二级保护区"), ("quasi", "准保护区"))}}


def inner(box, margin=0.002):
    x0, y0, x1, y1 = box
    return shapely.box(x0 + margin, y0 + margin, x1 - margin, y1 - margin)


@pytest.fixture(scope="module")
def zones_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zones_store")
    frames = {
        "control_units": gpd.GeoDataFrame({"HJGKDYBM": list(UNITS), "HJGKDYMC": [v[0] for v in UNITS.values()],
                                           "GKDYLB": [v[1] for v in UNITS.values()]},
                                          geometry=[shapely.box(*v[2]) for v in UNITS.values()], crs="EPSG:4490"),
        "eco_redline": gpd.GeoDataFrame({"HXMC": ["测试生态保护红线"]}, geometry=[shapely.box(*REDLINE)], crs="EPSG:4490"),
        "protected_areas": gpd.GeoDataFrame({"BHDMC": ["测试自然保护地"] * 5, "GNFQ": list(PROTECTED)},
                                            geometry=[shapely.box(*b) for b in PROTECTED.values()], crs="EPSG:4490"),
        "water_sources": gpd.GeoDataFrame({"SYDMC": ["测试水源地"] * 3, "BHQJB": list(WATER)},
                                          geometry=[shapely.box(*b) for b in WATER.values()], crs="EPSG:4490"),
    }
    path = folder / "zones.gpkg"
    for kind, frame in frames.items():
        src = folder / f"{kind}.geojson"
        frame.to_file(src)
        import_layer(path, kind, src)
    return path


def zone_finding(result, kind, zone):
    found = [f for f in result.verdict["findings"] if f["kind"] == kind and f["zone"] == zone]
    assert len(found) == 1, result.verdict["findings"]
    return found[0]


@pytest.mark.parametrize("kind, zone, industry, decision, rule_id, cites", [
    # ecological redline (自然资发〔2022〕142号, 厅字〔2017〕2号)
    ("eco_redline", "redline", "公路", "restricted", "redline.linear", "142号"),
    ("eco_redline", "redline", "输油管道", "restricted", "redline.linear", "142号"),
    ("eco_redline", "redline", "旅游开发", "restricted", "redline.tourism", "142号"),
    ("eco_redline", "redline", "科研监测设施", "restricted", "redline.research", "142号"),
    ("eco_redline", "redline", "生态修复", "restricted", "redline.restoration", "第8项"),
    ("eco_redline", "redline", "考古", "restricted", "redline.archaeology", "第3项"),
    ("eco_redline", "redline", "煤炭开采", "review", "redline.national_major.unknown", "142号）（2022年8月）二"),
    ("eco_redline", "redline", "化学原料制造", "prohibited", "redline.polluting", "厅字〔2017〕2号"),
    ("eco_redline", "redline", "光伏发电", "prohibited", "redline.default", "142号"),
    # nature reserves (条例 arts. 18, 26-29, 32) and the 2019 zones
    ("protected_areas", "core", "公路", "prohibited", "reserve.core.default", "第二十七条"),
    ("protected_areas", "core", "科研监测设施", "restricted", "reserve.core.research", "第二十七条"),
    ("protected_areas", "core", "旅游开发", "prohibited", "reserve.core.activities", "第三十二条"),
    ("protected_areas", "buffer", "旅游开发", "prohibited", "reserve.buffer.activities", "第二十八条"),
    ("protected_areas", "buffer", "科研监测设施", "restricted", "reserve.buffer.research", "第二十八条"),
    ("protected_areas", "buffer", "公路", "prohibited", "reserve.buffer.default", "第三十二条"),
    ("protected_areas", "experimental", "化学原料制造", "prohibited", "reserve.experimental.polluting", "第三十二条"),
    ("protected_areas", "experimental", "土砂石开采", "prohibited", "reserve.experimental.mining", "第二十六条"),
    ("protected_areas", "experimental", "旅游开发", "restricted", "reserve.experimental.tourism", "第二十九条"),
    ("protected_areas", "experimental", "风力发电", "review", "reserve.experimental.production", "第三十二条"),
    ("protected_areas", "experimental", "光伏发电", "review", "reserve.experimental.production", "第三十二条"),
    ("protected_areas", "experimental", "水力发电", "review", "reserve.experimental.production", "第三十二条"),
    ("protected_areas", "experimental", "公路", "restricted", "reserve.experimental.default", "第三十二条"),
    ("protected_areas", "core_protection", "公路", "review", "pa.core_protection.default", "2019"),
    ("protected_areas", "core_protection", "土砂石开采", "prohibited", "pa.core_protection.mining", "第二十六条"),
    ("protected_areas", "core_protection", "水泥制造", "prohibited", "pa.core_protection.polluting", "第三十条"),
    ("protected_areas", "core_protection", "科研监测设施", "restricted", "pa.core_protection.research", "第二十七条"),
    ("protected_areas", "general_control", "公路", "review", "pa.general_control.limited", "第十八条"),
    ("protected_areas", "general_control", "水泥制造", "prohibited", "pa.general_control.polluting", "第三十二条"),
    ("protected_areas", "general_control", "土砂石开采", "prohibited", "pa.general_control.mining", "第二十六条"),
    ("protected_areas", "general_control", "房地产", "review", "pa.general_control.default", "第二十八条"),
    # drinking-water sources (水污染防治法 2017, arts. 64-67)
    ("water_sources", "level1", "房地产", "prohibited", "water.level1.default", "第六十五条"),
    ("water_sources", "level1", "公路", "prohibited", "water.level1.default", "第六十五条"),
    ("water_sources", "level1", "自来水生产和供应", "restricted", "water.level1.supply", "第六十五条"),
    ("water_sources", "level1", "污水处理", "prohibited", "water.level1.default", "第六十五条"),
    ("water_sources", "level1", "入河排污口", "prohibited", "water.outfall", "第六十四条"),
    ("water_sources", "level2", "污水处理", "prohibited", "water.level2.discharge", "第六十六条"),
    ("water_sources", "level2", "化学原料制造", "prohibited", "water.level2.discharge", "第六十六条"),
    ("water_sources", "level2", "公路", "restricted", "water.level2.default", "第六十六条"),
    ("water_sources", "quasi", "畜禽养殖", "prohibited", "water.quasi.severe", "第六十七条"),
    ("water_sources", "quasi", "酒的制造", "review", "water.quasi.discharge", "第六十七条"),
    ("water_sources", "quasi", "光伏发电", "review", "water.quasi.default", "第六十七条"),
    ("water_sources", "quasi", "加油站", "review", "water.quasi.default", "第六十七条"),
    ("water_sources", "quasi", "污水处理", "review", "water.quasi.sewage", "第六十七条"),
    ("water_sources", "quasi", "入河排污口", "review", "water.quasi.sewage", "第六十七条"),
    ("water_sources", "level2", "水产养殖", "restricted", "water.level2.activities", "第六十六条第二款"),
    ("water_sources", "level2", "内陆养殖", "restricted", "water.level2.activities", "第六十六条第二款"),
    ("water_sources", "level2", "海水养殖", "restricted", "water.level2.activities", "第六十六条第二款"),
    ("water_sources", "level2", "经济林基地", "review", "water.level2.nonpoint", "第七十三条"),
    ("water_sources", "level2", "农产品基地", "review", "water.level2.nonpoint", "第七十三条"),
    ("water_sources", "level1", "水产养殖", "prohibited", "water.level1.activities", "第六十五条第二款"),
    # farming is not a construction project (142号 一、（一）第2项; 条例 art. 26)
    ("eco_redline", "redline", "水产养殖", "restricted", "redline.residents", "第2项"),
    ("eco_redline", "redline", "GP-residents", "restricted", "redline.residents", "第2项"),
    ("eco_redline", "redline", "A02", "review", "redline.not_construction", "第4项"),
    ("eco_redline", "redline", "畜禽养殖", "prohibited", "redline.default", "142号"),
    ("protected_areas", "experimental", "水产养殖", "review", "reserve.experimental.not_construction", "第二十六条"),
    ("water_sources", "level2", "A01", "review", "water.level2.not_construction", "第六十六条第二款"),
])
def test_each_statutory_rule(zones_store, kind, zone, industry, decision, rule_id, cites):
    r = screen(inner(ZONE_BOX[(kind, zone)]), zones_store, industry=industry)
    f = zone_finding(r, kind, zone)
    assert (f["decision"], f["rule_id"]) == (decision, rule_id)
    assert cites in f["citation"] and f["rule"]
    assert r.verdict["industry"]["query"] == industry
    # overall is the strictest: the unit has no access list here (review)
    assert r.verdict["overall"] == strictest([decision, "review"])
    if r.verdict["overall"] == decision:
        assert f["id"] in r.verdict["deciding"]


def test_classic_cases_overall(zones_store):
    road = screen(shapely.LineString([(129.405, 42.835), (129.465, 42.835)]), zones_store, width=30, industry="公路")
    assert road.verdict["overall"] == "restricted"
    chem = screen(inner(WATER["二级保护区"]), zones_store, industry="化学原料制造")
    assert chem.verdict["overall"] == "prohibited"
    deciding = [f for f in chem.verdict["findings"] if f["id"] in chem.verdict["deciding"]]
    assert [f["rule_id"] for f in deciding] == ["water.level2.discharge"]
    mall = screen(inner(WATER["一级保护区"]), zones_store, industry="房地产")
    assert mall.verdict["overall"] == "prohibited"


def test_no_industry_gives_area_based_review(zones_store):
    r = screen(inner(REDLINE), zones_store)
    assert r.verdict["overall"] == "review" and r.verdict["industry"] is None
    red = zone_finding(r, "eco_redline", "redline")
    assert red["decision"] == "review" and "禁止开发性、生产性建设活动" in red["rule"] and red["reason"] == "no_industry"
    assert all(f["decision"] == "review" for f in r.verdict["findings"])


def test_unknown_industry_is_an_input_error(zones_store):
    with pytest.raises(InputError, match="closest|ambiguous|none is close"):
        screen(inner(REDLINE), zones_store, industry="化学")


def test_access_list_clauses_decide_and_allowed_is_reachable(zones_store, tmp_path):
    import shutil

    store = tmp_path / "with_list.gpkg"
    shutil.copy(zones_store, store)
    csv = tmp_path / "list.csv"
    csv.write_text(
        "层级,行政区划代码,管控单元类别,环境管控单元编码,管控维度,管控要求,文件,条款,适用行业,判定\n"
        "省级,220000,,,空间布局约束,严禁新增水泥熟料产能，确需建设的执行产能置换。,省级清单,一、3,C3011,限制\n"
        ",,,ZH22240130001,空间布局约束,禁止新建化工项目。,单元清单,1,C26,禁止\n"
        ",,,ZH22240130001,空间布局约束,鼓励建设光伏发电等清洁能源项目。,单元清单,3,D4416,允许\n"
        ",,,ZH22240120001,资源开发效率要求,落实用水总量控制。,单元清单,2,,\n",
        encoding="utf-8")
    import_access_list(store, csv)
    general = shapely.box(129.55, 42.86, 129.56, 42.87)  # general unit only, no zones
    solar = screen(general, store, industry="光伏发电").verdict
    assert solar["overall"] == "allowed"  # a clause that names solar allows it; the two others do not apply
    assert solar["counts"] == {"prohibited": 0, "restricted": 0, "review": 0, "allowed": 1, "not_applicable": 2}
    assert [f["rule"] for f in solar["findings"] if f["id"] in solar["deciding"]] == ["鼓励建设光伏发电等清洁能源项目。"]
    # nothing applies to a wind farm: not applicable is no compliance, the verdict is review and says why
    wind = screen(general, store, industry="风力发电").verdict
    assert wind["overall"] == "review" and wind["deciding"] == ["verdict:nothing_applies"]
    assert wind["counts"]["not_applicable"] == 3 and wind["counts"]["allowed"] == 0
    assert all(f["decision"] == "not_applicable" and "follow_up" not in f for f in wind["findings"]
               if f["kind"] == "access_list")
    chem = screen(general, store, industry="化学原料制造")
    assert chem.verdict["overall"] == "prohibited"
    f = next(f for f in chem.verdict["findings"] if f["id"] in chem.verdict["deciding"])
    assert f["rule"] == "禁止新建化工项目。" and f["citation"] == "单元清单 1" and f["tier"] == "unit"
    assert f["dimension_label"] == "空间布局约束" and f["units"] == ["ZH22240130001"]
    cement = screen(general, store, industry="水泥制造").verdict
    assert cement["overall"] == "restricted" and cement["findings"][0]["tier"] == "province"
    key = screen(shapely.box(129.55, 42.90, 129.56, 42.91), store, industry="光伏发电").verdict
    assert key["overall"] == "review"  # a text clause a machine cannot judge
    text = next(f for f in key["findings"] if f["decision"] == "review")
    assert text["reason"] == "text" and text["rule"] == "落实用水总量控制。"
    # a site over two units: the shared province clause is listed once, naming both units
    both = screen(shapely.box(129.55, 42.87, 129.56, 42.88), store, industry="水泥制造").verdict
    prov = [f for f in both["findings"] if f["tier"] == "province"]
    assert len(prov) == 1 and prov[0]["units"] == ["ZH22240120001", "ZH22240130001"]
    assert {u["code"] for u in both["features"]} == {"ZH22240120001", "ZH22240130001"}


def test_batch_rows_match_single_screenings(zones_store, tmp_path):
    from gisplan.batch import screen_batch

    geoms = [inner(WATER["二级保护区"]), inner(REDLINE), shapely.box(129.55, 42.86, 129.56, 42.87), inner(REDLINE)]
    frame = gpd.GeoDataFrame({"id": [1, 2, 3, 4], "hy": ["化学原料制造", "公路", None, "不存在的行业"]},
                             geometry=geoms, crs="EPSG:4490")
    table = screen_batch(frame, zones_store, id_field="id", industry_field="hy", industry="光伏发电")
    for geom, hy, (_, row) in zip(geoms[:3], ["化学原料制造", "公路", "光伏发电"], table.iloc[:3].iterrows()):
        single = screen(geom, zones_store, industry=hy)
        assert row["verdict"] == single.verdict["overall"]
    assert list(table["verdict"]) == ["prohibited", "restricted", "review", "error"]
    assert table["industry"].iloc[0].startswith("EIA2021-44 基础化学原料制造") and "第六十六条" in table["deciding"].iloc[0]
    assert "matches no" in table["warnings"].iloc[3] and table["redline_m2"].iloc[3] > 0


def test_decide_from_overlaps_alone():
    nothing = decide(SiteOverlaps(has_units=False), VerdictEngine(None, None))
    assert nothing["overall"] == "review" and nothing["deciding"] == ["verdict:nothing_applies"]  # nothing found: no `allowed`
    hit = {"kind": "water_sources", "name": "水源", "zone": "level1", "zone_label": "一级保护区", "overlap_m2": 5.0}
    v = decide(SiteOverlaps(hits=(hit,), has_units=False), VerdictEngine(None, "房地产"))
    assert v["overall"] == "prohibited" and v["findings"][0]["overlap_m2"] == 5.0


# ----------------------------------------------------------------------------- CLI


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_cli_screen_with_industry_and_lang(zones_store, tmp_path):
    site = tmp_path / "s.geojson"
    write_site(site, inner(WATER["二级保护区"]), "化工厂")
    out = tmp_path / "r.json"
    r = run("screen", site, "--store", zones_store, "--industry", "化学原料制造", "--json", out)
    assert r.exit_code == 0, r.output + r.stderr
    assert "结论: 禁止准入（不相符） [prohibited]" in r.output and "第六十六条" in r.output
    d = json.loads(out.read_text(encoding="utf-8"))
    assert d["verdict"]["overall"] == "prohibited" and d["verdict"]["industry"]["code"] == "EIA2021-44"
    assert "crossings" not in d  # polygons have no crossings
    r = run("screen", site, "--store", zones_store, "--industry", "C26", "--lang", "en")
    assert r.exit_code == 0 and "Verdict: prohibited (does not comply) [prohibited]" in r.output and "Industry: 化学原料和化学制品制造业" in r.output
    r = run("screen", site, "--store", zones_store, "--industry", "化学")
    assert r.exit_code == 2 and "ambiguous" in r.stderr and "\n" not in r.stderr.strip()


def test_cli_rules_import_bad_rows_and_batch(zones_store, tmp_path):
    import shutil

    store = tmp_path / "s.gpkg"
    shutil.copy(zones_store, store)
    bad = tmp_path / "bad.csv"
    bad.write_text("环境管控单元编码,管控维度,管控要求\nZH22240110001,空间布局,\n", encoding="utf-8")
    r = run("rules", "import", store, bad)
    assert r.exit_code == 2 and "row 2: empty 管控要求" in r.stderr and "\n" not in r.stderr.strip()
    good = tmp_path / "good.csv"
    good.write_text("环境管控单元编码,管控维度,管控要求\nZH22240110001,空间布局,禁止新建工业项目\n", encoding="utf-8")
    r = run("rules", "import", store, good)
    assert r.exit_code == 0 and "imported 1 access-list clause(s)" in r.output and "unit 1" in r.output
    r = run("rules", "list", store, "--unit", "ZH22240110001")
    assert r.exit_code == 0 and "禁止新建工业项目" in r.output
    r = run("rules", "industries", "光伏")
    assert r.exit_code == 0 and "光伏发电" in r.output
    sites = tmp_path / "sites.geojson"
    gpd.GeoDataFrame({"sid": ["a", "b"], "hy": ["公路", "化学原料制造"]},
                     geometry=[inner(REDLINE), inner(WATER["二级保护区"])], crs="EPSG:4490").to_file(sites)
    out = tmp_path / "b.csv"
    r = run("batch", sites, "--store", store, "--id-field", "sid", "--industry-field", "hy", "--out", out)
    assert r.exit_code == 0, r.output + r.stderr
    table = pd.read_csv(out, encoding="utf-8-sig").set_index("sid")
    assert table.loc["a", "verdict"] == "restricted" and table.loc["b", "verdict"] == "prohibited"
    assert run("batch", sites, "--store", store, "--id-field", "sid", "--industry-field", "nope", "--out", out).exit_code == 2
    assert run("batch", sites, "--store", store, "--id-field", "sid", "--industry", "xx无", "--out", out).exit_code == 2
