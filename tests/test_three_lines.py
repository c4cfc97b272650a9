"""The three control lines (issue 26): permanent basic farmland and the urban development boundary beside the redline.

A store of the fixture layers (conftest.py) plus two deliveries as they come: basic farmland as a GBK
shapefile with the land-survey field names (YJJBNTTBBH, TBBH, DLMC, DLBM, ZLDWMC, YJJBNTMJ) and the urban
boundary as GeoJSON with its planning zones (GHFQMC, BSM). Layout (degrees), in the general unit B and the
key unit C of the fixture::

    42.93 +------------------+--------+-----+
          | 城镇集中建设区      | 弹性发展区 | 特别 |    urban boundary (unit C)
    42.89 +------------------+--------+-----+
          129.52            129.56   129.58 129.59

    42.83 +--------------+  +----------+
          | F1 水田       |  | F2 旱地   |             basic farmland (unit B)
    42.81 +--------------+  +----------+
          129.52      129.55 129.555  129.58

Every area is checked against pyproj.Geod (``geod_area``), never against the code under test.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import docx
import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import shapely
from _site_fixtures import write_site, write_sites
from click.testing import CliRunner
from conftest import GEOD, REDLINE, geod_area, write_sources

import gisplan
from gisplan.cli import main

FARM = {
    "220401101001000001": ("水田", "0101", "小营镇", shapely.box(129.52, 42.81, 129.55, 42.83)),
    "220401101001000002": ("旱地", "0103", "小营镇", shapely.box(129.555, 42.81, 129.58, 42.83)),
}
URBAN = {
    "城镇集中建设区": shapely.box(129.52, 42.89, 129.56, 42.93),
    "城镇弹性发展区": shapely.box(129.56, 42.89, 129.58, 42.93),
    "特别用途区": shapely.box(129.58, 42.89, 129.59, 42.93),
}
FARM_IN = shapely.box(129.525, 42.815, 129.535, 42.825)  # wholly in F1
FARM_TWO = shapely.box(129.545, 42.815, 129.56, 42.825)  # F1, the field road, F2
FARM_NORTH = shapely.box(129.545, 42.835, 129.56, 42.845)  # 500 m north of both patches
URBAN_IN = shapely.box(129.53, 42.90, 129.54, 42.91)  # wholly in the concentrated zone
URBAN_FLEX = shapely.box(129.565, 42.90, 129.575, 42.91)
URBAN_HALF = shapely.box(129.545, 42.925, 129.555, 42.935)  # half above the boundary's north edge


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def write_planning(folder: Path, farm: dict = FARM, urban: dict = URBAN) -> tuple[Path, Path]:
    """The two deliveries: farmland as a GBK shapefile without .cpg, the urban boundary as GeoJSON."""
    folder.mkdir(parents=True, exist_ok=True)
    f = gpd.GeoDataFrame({"YJJBNTTBBH": list(farm), "TBBH": [str(i) for i in range(1, len(farm) + 1)],
                          "DLMC": [v[0] for v in farm.values()], "DLBM": [v[1] for v in farm.values()],
                          "ZLDWMC": [v[2] for v in farm.values()], "YJJBNTMJ": [round(geod_area(v[3]), 2) for v in farm.values()]},
                         geometry=[v[3] for v in farm.values()], crs="EPSG:4490")
    farm_path = folder / "永久基本农田.shp"
    f.to_file(farm_path, encoding="gbk")
    farm_path.with_suffix(".cpg").unlink(missing_ok=True)  # as delivered: GBK, no .cpg
    u = gpd.GeoDataFrame({"GHFQMC": list(urban), "BSM": [f"2224010000{i}" for i in range(1, len(urban) + 1)]},
                         geometry=list(urban.values()), crs="EPSG:4490")
    urban_path = folder / "城镇开发边界.geojson"
    u.to_file(urban_path, driver="GeoJSON")
    return farm_path, urban_path


@pytest.fixture(scope="module")
def lines_store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("three_lines")
    path = folder / "store.gpkg"
    for kind, src in write_sources(folder / "src").items():
        assert run("layers", "import", path, kind, src).exit_code == 0
    farm, urban = write_planning(folder / "src")
    r = run("layers", "import", path, "basic_farmland", farm)
    assert r.exit_code == 0, r.output
    assert "code<-YJJBNTTBBH (alias), land_class<-DLMC (alias), township<-ZLDWMC (alias)" in r.output
    r = run("layers", "import", path, "urban_boundary", urban)
    assert r.exit_code == 0, r.output
    assert "zone<-GHFQMC (alias)" in r.output and "code<-BSM (alias)" in r.output
    return path


@pytest.fixture(scope="module")
def opened(lines_store):
    with gisplan.open_store(lines_store) as store:
        yield store


def finding(result, kind: str, zone: str | None = None) -> dict:
    found = [f.to_dict() for f in result.verdict.findings if f.kind == kind and zone in (None, f.zone)]
    assert len(found) == 1, found
    return found[0]


def line(result, kind: str) -> dict:
    return next(x for x in result.three_lines if x["line"] == kind)


# ----------------------------------------------------------------------------- layers


def test_layers_are_imported_with_their_delivered_fields(lines_store):
    farm = gpd.read_file(lines_store, layer="basic_farmland")
    assert sorted(farm["code"]) == sorted(FARM) and set(farm["land_class"]) == {"水田", "旱地"}
    assert set(farm["township"]) == {"小营镇"} and list(farm["name"]) == list(farm["code"])  # a patch is named by its number
    assert "YJJBNTMJ" in farm.columns  # the delivered area is kept as delivered
    urban = gpd.read_file(lines_store, layer="urban_boundary")
    assert list(urban["zone"]) == ["concentrated", "flexible", "special"]
    assert list(urban["name"]) == list(URBAN)  # nameless planning zones named by what they are
    for kind, frame in (("basic_farmland", farm), ("urban_boundary", urban)):
        for geom, area in zip(frame.geometry, frame["area_m2"]):
            assert area == pytest.approx(geod_area(geom), rel=1e-6), kind
    out = run("layers", "list", lines_store).output
    assert "basic_farmland" in out and "urban_boundary" in out and "水田" in out and "concentrated" in out


def test_unknown_planning_zone_is_one_line_error(tmp_path):
    folder = tmp_path / "src"
    _, urban = write_planning(folder, urban={"一号分区": shapely.box(129.52, 42.89, 129.56, 42.93)})
    r = run("layers", "import", tmp_path / "s.gpkg", "urban_boundary", urban)
    assert r.exit_code == 2 and "unknown urban_zone value '一号分区'" in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_boundary_without_planning_zones_is_one_zone_and_judged_for_any(tmp_path):
    path = tmp_path / "s.gpkg"
    for kind, src in write_sources(tmp_path / "src").items():
        run("layers", "import", path, kind, src)
    outline = gpd.GeoDataFrame({"XZQMC": ["延吉市"]}, geometry=[shapely.box(129.52, 42.89, 129.59, 42.93)], crs=4490)
    outline.to_file(tmp_path / "czkfbj.geojson", driver="GeoJSON")
    r = run("layers", "import", path, "urban_boundary", tmp_path / "czkfbj.geojson")
    assert r.exit_code == 0 and "zone 'boundary'" in r.output
    result = gisplan.screen(URBAN_IN, path, industry="房地产")
    f = finding(result, "urban_boundary")
    assert f["zone"] == "boundary" and f["decision"] == "review" and "未载规划分区" in f["rule"]
    assert gisplan.screen(URBAN_IN, path, industry="谷物种植").verdict.findings  # not construction: not applicable
    assert finding(gisplan.screen(URBAN_IN, path, industry="谷物种植"), "urban_boundary")["decision"] == "not_applicable"


# ----------------------------------------------------------------------------- rules inside basic farmland


@pytest.mark.parametrize("industry, answer, decision, rule_id", [
    ("房地产", None, "prohibited", "farmland.destructive"),  # 建房 (art. 17)
    ("房地产", True, "prohibited", "farmland.destructive"),  # a ban of art. 17 whatever the project's standing
    ("煤炭开采", None, "prohibited", "farmland.destructive"),  # 采矿
    ("煤炭开采", True, "prohibited", "farmland.destructive"),
    ("公路", None, "review", "farmland.national_major.unknown"),
    ("公路", True, "restricted", "farmland.national_major"),
    ("公路", False, "prohibited", "farmland.default"),
    ("化学原料制造", None, "prohibited", "farmland.default"),  # other construction
    ("化学原料制造", True, "review", "farmland.national_major.other"),  # art. 35 names types "等": a reviewer decides
    ("谷物种植", None, "not_applicable", "farmland.grain"),  # growing grain is what the farmland is for
    ("农业", None, "review", "farmland.agriculture"),  # farming may bring sheds and greenhouses
    ("水产养殖", None, "prohibited", "farmland.orchards_fishponds"),  # 挖塘养鱼
])
def test_a_site_wholly_in_basic_farmland(opened, industry, answer, decision, rule_id):
    result = opened.screen(FARM_IN, industry=industry, national_major=answer)
    f = finding(result, "basic_farmland")
    assert f["decision"] == decision and f["rule_id"] == rule_id, f
    assert f["overlap_m2"] == pytest.approx(geod_area(FARM_IN), rel=1e-6)
    assert f["name"] == "220401101001000001" and f["zone_label"] == "永久基本农田（水田）"
    if decision in ("prohibited", "allowed"):
        assert f["verified"] is True  # decided by texts checked word for word
    if decision in ("prohibited", "restricted"):
        assert f["follow_up"] and re.search(r"第[一二三四五六七八九十]+条", f["follow_up"])
    else:
        assert "follow_up" not in f
    v = result.verdict.to_dict()
    assert v["overall"] == ("review" if decision in ("not_applicable", "review") else decision)
    assert v["counts"][decision] >= 1


def test_the_road_quotes_article_35_and_says_what_follows(opened):
    result = opened.screen(FARM_IN, industry="公路", national_major=True)
    f = finding(result, "basic_farmland")
    assert "必须经国务院批准" in f["quote"] and "第三十五条第一款" in f["citation"]
    for words in ("确实难以避让", "第四十四条第二款", "耕地开垦费", "耕作层", "基本农田环境保护方案", "黑土地保护法"):
        assert words in f["follow_up"], words
    unknown = finding(opened.screen(FARM_IN, industry="公路"), "basic_farmland")
    assert unknown["reason"] == "national_major"  # the terminal asks for --national-major
    out = run("screen", _site_file(FARM_IN, opened), "--store", opened.path, "--industry", "公路").output
    assert "--national-major yes|no" in out


def _site_file(geom, opened) -> Path:
    path = Path(opened.path).parent / "site_farm_in.geojson"
    write_site(path, geom, "测试项目", driver="GeoJSON")
    return path


def test_two_patches_make_one_finding_with_both_areas(opened):
    result = opened.screen(FARM_TWO, industry="房地产")
    f = finding(result, "basic_farmland")
    expected = geod_area(shapely.intersection(FARM_TWO, FARM["220401101001000001"][3])) + geod_area(
        shapely.intersection(FARM_TWO, FARM["220401101001000002"][3]))
    assert f["overlap_m2"] == pytest.approx(expected, rel=1e-6)
    assert f["names"] == ["220401101001000001", "220401101001000002"] and "等 2 个图斑" in f["name"]
    farm = line(result, "basic_farmland")
    assert farm["status"] == "partial" and farm["occupied_m2"] == pytest.approx(expected, rel=1e-6)
    assert farm["share"] == pytest.approx(expected / geod_area(FARM_TWO), rel=1e-6)
    assert {z["zone_label"] for z in farm["zones"]} == {"永久基本农田（水田）", "永久基本农田（旱地）"}


def test_outside_the_farmland_its_nearest_patch_direction_and_distance(opened):
    result = opened.screen(FARM_NORTH, industry="房地产")
    assert not [f for f in result.verdict.findings if f.kind == "basic_farmland"]
    farm = line(result, "basic_farmland")
    assert farm["status"] == "outside" and farm["occupied_m2"] == 0.0
    _, _, metres = GEOD.inv(129.55, 42.835, 129.55, 42.83)  # straight south to the patches' north edge
    assert farm["nearest"]["distance_m"] == pytest.approx(metres, rel=1e-3)
    assert farm["nearest"]["direction"] == "南" and farm["nearest"]["position"].startswith("南侧")
    red = line(result, "eco_redline")
    assert red["status"] == "outside" and red["nearest"] is None  # the redline lies farther than 5 km


# ----------------------------------------------------------------------------- the urban development boundary


def test_a_site_inside_the_concentrated_zone(opened):
    result = opened.screen(URBAN_IN, industry="房地产")
    f = finding(result, "urban_boundary")
    assert f["zone"] == "concentrated" and f["decision"] == "not_applicable"
    assert f["overlap_m2"] == pytest.approx(geod_area(URBAN_IN), rel=1e-6)
    urban = line(result, "urban_boundary")
    assert urban["status"] == "inside" and urban["outside_m2"] == 0.0
    assert urban["occupied_m2"] == pytest.approx(geod_area(URBAN_IN), rel=1e-6)
    assert [z["zone_label"] for z in urban["zones"]] == ["城镇集中建设区"]


def test_the_flexible_zone_and_the_part_outside_are_review_and_say_the_notice_is_not_at_hand(opened):
    flex = finding(opened.screen(URBAN_FLEX, industry="房地产"), "urban_boundary")
    assert flex["decision"] == "review" and flex["verified"] is False
    assert "未收入本系统参考文本" in flex["rule"] and "186号" in flex["citation"]
    half = opened.screen(URBAN_HALF, industry="房地产")
    outside = finding(half, "urban_boundary", "outside")
    expected = geod_area(shapely.box(129.545, 42.93, 129.555, 42.935))
    assert outside["decision"] == "review" and outside["overlap_m2"] == pytest.approx(expected, rel=1e-5)
    assert "不得规划城镇居住用地" in outside["rule"] and outside["verified"] is False
    urban = line(half, "urban_boundary")
    assert urban["status"] == "partial" and urban["outside_m2"] == pytest.approx(expected, rel=1e-5)
    road = opened.screen(URBAN_HALF, industry="公路")  # the limits outside concern urban building only
    assert finding(road, "urban_boundary", "outside")["decision"] == "not_applicable"


def test_outside_the_boundary_is_judged_only_where_the_store_has_data(opened):
    site = shapely.box(129.595, 42.90, 129.605, 42.91)  # east half beyond the fixture's units (129.60)
    result = opened.screen(site, industry="房地产")
    assert result.coverage["status"] == "partial"
    outside = finding(result, "urban_boundary", "outside")
    assert outside["overlap_m2"] == pytest.approx(geod_area(shapely.box(129.595, 42.90, 129.60, 42.91)), rel=1e-5)


def test_the_urban_boundary_never_prohibits_or_allows():
    from gisplan.rules.industry import IndustryMatch, industries, with_element_attributes
    from gisplan.rules.statutory import default_rules

    rules = default_rules()
    seen = set()
    for zone in ("concentrated", "flexible", "special", "boundary", "outside"):
        zr = rules.get("urban_boundary", zone)
        for entry in industries():
            for answer in (None, True, False):
                rule = zr.decide(with_element_attributes(IndustryMatch(entry.name, entry, "name")), answer)
                seen.add((zone, rule.id, rule.decision))
    assert {d for _, _, d in seen} == {"review", "not_applicable"}
    assert {z for z, _, _ in seen} == {"concentrated", "flexible", "special", "boundary", "outside"}


def test_the_farmland_rules_decide_by_verified_texts_only():
    from gisplan.rules.statutory import default_rules

    zr = default_rules().get("basic_farmland", "farmland")
    rules = [zr.summary, zr.otherwise, *[r for items in zr.lists.values() for r in items],
             zr.national_major.yes, zr.national_major.unknown, zr.national_major.other]
    assert all(r.verified for r in rules), [r.id for r in rules if not r.verified]
    docs = {c.document for r in rules for c in r.cites}
    assert {"《基本农田保护条例》", "《中华人民共和国土地管理法》"} <= docs
    quotes = " ".join(c.quote for r in rules for c in r.cites)
    assert "建窑、建房、建坟、挖砂、采石、采矿、取土、堆放固体废弃物" in quotes


# ----------------------------------------------------------------------------- batch


def test_batch_columns_and_counts_equal_single_screenings(lines_store, opened, tmp_path):
    from gisplan.batch import BATCH_COLUMNS, COUNT_COLUMNS, screen_batch, write_batch

    sites = [FARM_IN, FARM_TWO, FARM_NORTH, URBAN_IN, URBAN_FLEX, URBAN_HALF]
    kinds = ["房地产", "公路", "化学原料制造", "房地产", "房地产", "房地产"]
    frame = gpd.GeoDataFrame({"sid": [f"s{i}" for i in range(len(sites))], "hy": kinds}, geometry=sites, crs=4490)
    for answer in (None, True, False):
        table = screen_batch(frame, lines_store, id_field="sid", industry_field="hy", national_major=answer, progress=False)
        assert list(table.columns[:-1]) == ["sid", *BATCH_COLUMNS]
        assert list(table.columns[-3:-1]) == ["farmland_m2", "urban_boundary_m2"]  # new columns after the old ones
        for (_, row), geom, kind in zip(table.iterrows(), sites, kinds):
            single = opened.screen(geom, industry=kind, national_major=answer)
            v = single.verdict.to_dict()
            assert row["verdict"] == v["overall"], row["sid"]
            assert {d: int(row[c]) for d, c in COUNT_COLUMNS.items()} == v["counts"], row["sid"]
            farm = sum(geod_area(shapely.intersection(geom, g[3])) for g in FARM.values())
            urban = sum(geod_area(shapely.intersection(geom, g)) for g in URBAN.values())
            assert row["farmland_m2"] == pytest.approx(farm, rel=1e-6, abs=1e-6), row["sid"]
            assert row["urban_boundary_m2"] == pytest.approx(urban, rel=1e-6, abs=1e-6), row["sid"]
    path = write_batch(table, tmp_path / "b.csv")
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert back["farmland_m2"].iloc[0] == pytest.approx(geod_area(FARM_IN), rel=1e-6)


def test_a_store_without_the_layers_leaves_the_columns_empty_not_zero(store_path, tmp_path):
    from gisplan.batch import screen_batch, write_batch

    frame = gpd.GeoDataFrame({"sid": ["a"]}, geometry=[FARM_IN], crs=4490)
    table = screen_batch(frame, store_path, id_field="sid", progress=False)
    assert math.isnan(table["farmland_m2"].iloc[0]) and math.isnan(table["urban_boundary_m2"].iloc[0])
    text = write_batch(table, tmp_path / "b.csv").read_text(encoding="utf-8-sig").splitlines()
    assert text[0].endswith("n_not_applicable,farmland_m2,urban_boundary_m2") and text[1].endswith(",,")
    # and no finding: the optional layers give no review finding when absent
    assert not [f for f in gisplan.screen(FARM_IN, store_path).verdict.findings if "missing" in (f.id or "")
                and f.kind in ("basic_farmland", "urban_boundary")]


def test_streamed_batch_equals_one_pass(lines_store, tmp_path):
    import subprocess
    import sys

    from gisplan.batch import screen_batch, write_batch

    sites = [FARM_IN, FARM_TWO, FARM_NORTH, URBAN_IN, URBAN_FLEX, URBAN_HALF] * 2
    path = tmp_path / "sites.gpkg"
    write_sites(path, [f"s{i}" for i in range(len(sites))], sites)
    whole = write_batch(screen_batch(path, lines_store, id_field="sid", industry="房地产", progress=False),
                        tmp_path / "whole.csv")
    streamed = tmp_path / "streamed.csv"
    r = subprocess.run([sys.executable, "-m", "gisplan.cli", "batch", str(path), "--store", str(lines_store),
                        "--id-field", "sid", "--industry", "房地产", "--out", str(streamed), "--chunk-size", "4"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert streamed.read_bytes() == whole.read_bytes()


def test_dask_engine_equals_the_local_one(lines_store, tmp_path):
    import subprocess
    import sys

    pytest.importorskip("distributed")
    sites = [FARM_IN, FARM_TWO, FARM_NORTH, URBAN_IN, URBAN_FLEX, URBAN_HALF]
    path = tmp_path / "sites.gpkg"
    write_sites(path, [f"s{i}" for i in range(len(sites))], sites)
    outs = {}
    for engine in ("local", "dask"):
        outs[engine] = tmp_path / f"{engine}.csv"
        r = subprocess.run([sys.executable, "-m", "gisplan.cli", "batch", str(path), "--store", str(lines_store),
                            "--id-field", "sid", "--industry", "公路", "--out", str(outs[engine]), "--engine", engine,
                            *(["--workers", "2"] if engine == "dask" else [])],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
    assert outs["dask"].read_bytes() == outs["local"].read_bytes()
    table = pd.read_csv(outs["dask"], encoding="utf-8-sig")
    assert table["farmland_m2"].iloc[0] == pytest.approx(geod_area(FARM_IN), rel=1e-6)
    assert table["urban_boundary_m2"].iloc[3] == pytest.approx(geod_area(URBAN_IN), rel=1e-6)


# ----------------------------------------------------------------------------- the conflict checks


@pytest.fixture(scope="module")
def planted_store(tmp_path_factory) -> Path:
    """The fixture layers with the three lines overlapping on purpose (each pair once)."""
    folder = tmp_path_factory.mktemp("planted")
    path = folder / "store.gpkg"
    for kind, src in write_sources(folder / "src").items():
        assert run("layers", "import", path, kind, src).exit_code == 0
    farm = {**FARM, "220401101001000003": ("旱地", "0103", "小营镇", shapely.box(129.45, 42.85, 129.47, 42.87))}
    urban = {"城镇集中建设区": shapely.box(129.54, 42.82, 129.56, 42.84), "特别用途区": shapely.box(129.40, 42.84, 129.42, 42.845)}
    f, u = write_planning(folder / "src", farm, urban)
    assert run("layers", "import", path, "basic_farmland", f).exit_code == 0
    assert run("layers", "import", path, "urban_boundary", u).exit_code == 0
    return path


def test_the_three_lines_must_not_overlap(planted_store):
    from gisplan.layers.check import check_layers
    from gisplan.layers.source import load_layers

    problems = check_layers(load_layers(planted_store)).problems
    conflicts = [p for p in problems if p["check"].endswith("_overlap") and "layers" in p]
    expected = {
        ("redline_farmland_overlap", "测试水源涵养生态保护红线", "220401101001000003"):
            shapely.intersection(REDLINE, shapely.box(129.45, 42.85, 129.47, 42.87)),
        ("redline_urban_overlap", "测试水源涵养生态保护红线", "特别用途区 特别用途区"):
            shapely.intersection(REDLINE, shapely.box(129.40, 42.84, 129.42, 42.845)),
        ("farmland_urban_overlap", "220401101001000001", "城镇集中建设区 城镇集中建设区"):
            shapely.box(129.54, 42.82, 129.55, 42.83),
        ("farmland_urban_overlap", "220401101001000002", "城镇集中建设区 城镇集中建设区"):
            shapely.box(129.555, 42.82, 129.56, 42.83),
    }
    got = {(p["check"], *p["codes"]): p for p in conflicts}
    assert set(got) == set(expected)
    layers = {"redline_farmland_overlap": ["eco_redline", "basic_farmland"],
              "redline_urban_overlap": ["eco_redline", "urban_boundary"],
              "farmland_urban_overlap": ["basic_farmland", "urban_boundary"]}
    for key, geom in expected.items():
        p = got[key]
        assert p["layers"] == layers[key[0]] and p["kind"] == layers[key[0]][0]
        assert p["area_m2"] == pytest.approx(geod_area(geom), rel=1e-5)
        assert geom.buffer(1e-9).contains(shapely.Point(p["location"]))
        assert "must not overlap" in p["detail"]


def test_conflicts_below_the_sliver_threshold_are_slivers_and_the_cli_reports_them(planted_store, tmp_path):
    from gisplan.layers.check import check_layers
    from gisplan.layers.source import load_layers

    slivers = [p for p in check_layers(load_layers(planted_store), sliver_m2=1e12).problems if "layers" in p]
    assert len(slivers) == 4 and {p["check"] for p in slivers} == {"sliver"}
    out = tmp_path / "check.json"
    r = run("layers", "check", planted_store, "--json", out, "--xlsx", tmp_path / "check.xlsx", "--strict")
    assert r.exit_code == 1
    assert "redline_farmland_overlap 1" in r.output and "farmland_urban_overlap 2" in r.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert sum(p["check"] == "redline_urban_overlap" for p in data["problems"]) == 1
    sheet = openpyxl.load_workbook(tmp_path / "check.xlsx").worksheets[0]
    assert any(row[2].value == "eco_redline / basic_farmland" for row in sheet.iter_rows(min_row=2))


def test_a_delivered_farmland_file_is_checked_against_a_redline_file(tmp_path):
    farm = {"220401101001000003": ("旱地", "0103", "小营镇", shapely.box(129.45, 42.85, 129.47, 42.87))}
    f, _ = write_planning(tmp_path / "src", farm)
    red = gpd.GeoDataFrame({"HXMC": ["红线"]}, geometry=[REDLINE], crs=4490)
    red.to_file(tmp_path / "red.geojson", driver="GeoJSON")
    r = run("layers", "check", f, "--kind", "basic_farmland", "--redline", tmp_path / "red.geojson")
    assert r.exit_code == 0 and "redline_farmland_overlap 1" in r.output


def test_the_demo_store_has_its_one_planted_conflict(demo_store):
    from gisplan.demo.lines import CONFLICT_MARK
    from gisplan.layers.check import check_layers
    from gisplan.layers.source import load_layers

    (p,) = check_layers(load_layers(demo_store)).problems
    assert p["check"] == "redline_farmland_overlap"
    farm = gpd.read_file(demo_store, layer="basic_farmland")
    red = gpd.read_file(demo_store, layer="eco_redline")
    patch = farm.loc[farm["code"] == p["codes"][1]].iloc[0]
    assert patch["name"].endswith(CONFLICT_MARK)
    assert p["area_m2"] == pytest.approx(geod_area(shapely.intersection(patch.geometry, red.geometry.union_all())),
                                         rel=1e-4)
    urban = gpd.read_file(demo_store, layer="urban_boundary")
    assert set(urban["zone"]) == {"concentrated", "flexible", "special"}
    assert all("示例" in n for n in list(farm["name"]) + list(urban["name"]))


# ----------------------------------------------------------------------------- outputs


@pytest.fixture(scope="module")
def farm_outputs(lines_store, tmp_path_factory):
    out = tmp_path_factory.mktemp("farm_out")
    site = out / "住宅.geojson"
    write_site(site, FARM_IN, "测试住宅小区项目", driver="GeoJSON")
    r = run("screen", site, "--store", lines_store, "--industry", "房地产", "--json", out / "r.json", "--docx",
            out / "r.docx", "--xlsx", out / "r.xlsx", "--pdf", out / "r.pdf", "--png", out / "r.png",
            "--html-map", out / "r.html", "--layers-out", out / "r.gpkg")
    assert r.exit_code == 0, r.output
    assert "三区三线: 生态保护红线 不涉及；永久基本农田 占用" in r.output
    return out


def test_docx_table_three_lines(farm_outputs):
    doc = docx.Document(farm_outputs / "r.docx")
    titles = [p.text for p in doc.paragraphs if p.text.startswith("表 ")]
    assert any(t.endswith("项目与三区三线位置关系") for t in titles)
    (table,) = [t for t in doc.tables if t.rows[0].cells[0].text == "控制线"]
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in table.rows[1:]}
    assert list(rows) == ["生态保护红线", "永久基本农田", "城镇开发边界"]
    farm = rows["永久基本农田"]
    assert farm[1] == "项目位于其内" and float(farm[2]) == pytest.approx(geod_area(FARM_IN) / 1e4, abs=1e-4)
    assert farm[3] == "100.00%" and "220401101001000001" in farm[4] and "水田" in farm[4]
    assert rows["城镇开发边界"][1].startswith("位于其外")
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "5  与“三区三线”的位置关系" in text and "项目占用永久基本农田" in text
    for bad in ("basic_farmland", "urban_boundary", "farmland.", "three_lines"):  # no internal tokens
        assert bad not in text + "".join(c.text for t in doc.tables for r in t.rows for c in r.cells)


def test_xlsx_pdf_json_and_page_data_have_it(farm_outputs):
    book = openpyxl.load_workbook(farm_outputs / "r.xlsx")
    sheet = book["项目与三区三线位置关系"]
    values = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert values["永久基本农田"][2].value == pytest.approx(geod_area(FARM_IN) / 1e4, rel=1e-6)  # a number
    from test_report_language import pdf_text

    assert "项目与三区三线位置关系" in pdf_text(farm_outputs / "r.pdf")
    data = json.loads((farm_outputs / "r.json").read_text(encoding="utf-8"))
    assert [x["line"] for x in data["three_lines"]] == ["eco_redline", "basic_farmland", "urban_boundary"]
    assert data["three_lines"][1]["occupied_m2"] == pytest.approx(geod_area(FARM_IN), rel=1e-6)
    js = (Path(gisplan.__file__).parent / "serve" / "static" / "app.js").read_text(encoding="utf-8")
    assert "threeLinesTable(r.three_lines)" in js  # the page draws it from this key


def test_maps_and_layers_show_the_farmland(farm_outputs):
    html = (farm_outputs / "r.html").read_text(encoding="utf-8")
    legend = html.split('class="gisplan-legend"')[1].split("</div>")[0]
    assert "永久基本农田" in legend  # the layer and its legend row
    assert "220401101001000001" in html  # the parcel's number
    import pyogrio

    pieces = pyogrio.read_dataframe(farm_outputs / "r.gpkg", layer="pieces")
    farm = pieces[pieces["kind"] == "basic_farmland"]
    assert len(farm) == 1 and farm["class_zh"].iloc[0] == "永久基本农田（水田）"
    assert farm["area_m2"].iloc[0] == pytest.approx(geod_area(FARM_IN), rel=1e-6)
    from PIL import Image

    assert Image.open(farm_outputs / "r.png").size[0] > 1000


def test_static_map_legend_names_the_lines_it_shows(opened):
    from gisplan.render.static_map import static_map

    fig = static_map(opened.screen(shapely.box(129.55, 42.83, 129.56, 42.89), industry="公路"))
    texts = {t.get_text() for legend in fig.legends for t in legend.get_texts()}
    assert {"永久基本农田", "城镇集中建设区", "城镇弹性发展区"} <= texts


def _legend_text(page: str) -> str:
    """The HTML map's legend as text (its rows and note, tags dropped)."""
    legend = page.split('class="gisplan-legend"')[1].split("</details>")[0]
    return re.sub(r"<[^>]+>", " ", legend.split(">", 1)[1])


def _layers_of(m) -> dict:
    """Layer name -> the aliases of its tooltip, for the GeoJSON layers of a folium map."""
    import folium

    return {c.layer_name: list(tip.aliases) for c in m._children.values() if isinstance(c, folium.GeoJson)
            for tip in c._children.values() if isinstance(tip, folium.GeoJsonTooltip)}


def test_the_maps_name_farmland_and_the_urban_zones_in_their_language(opened):
    """HTML map (legend, layer names, tooltips) and static map legend: Chinese words only in Chinese, English
    words only in English; the urban zones by their words, never their codes (issue 21 beside issue 26)."""
    from _page_words import english_words, has_cjk

    from gisplan.render.html_map import html_map
    from gisplan.render.static_map import static_map

    r = opened.screen(shapely.box(129.55, 42.83, 129.56, 42.89), industry="公路")
    assert {"basic_farmland", "urban_boundary"} <= set(r.nearby["kind"])  # both lines are on the maps
    zh, en = html_map(r, lang="zh"), html_map(r, lang="en")
    zh_legend, en_legend = _legend_text(zh.get_root().render()), _legend_text(en.get_root().render())
    assert "永久基本农田" in zh_legend and "城镇集中建设区" in zh_legend and "城镇弹性发展区" in zh_legend
    assert english_words(zh_legend) == [], zh_legend
    assert "Permanent basic farmland" in en_legend
    assert "Urban development boundary, concentrated construction zone" in en_legend
    assert "Urban development boundary, flexible development zone" in en_legend
    assert not has_cjk(en_legend), en_legend
    layers_zh, layers_en = _layers_of(zh), _layers_of(en)
    assert layers_zh["永久基本农田"] == ["图斑编号", "地类"] and layers_zh["城镇开发边界"] == ["名称", "规划分区"]
    assert layers_en["Permanent basic farmland"] == ["Parcel", "Land class"]
    assert layers_en["Urban development boundary"] == ["Name", "Planning zone"]
    assert not any(has_cjk(name + "".join(aliases)) for name, aliases in layers_en.items()), layers_en
    assert all(english_words(name + " " + " ".join(aliases)) == [] for name, aliases in layers_zh.items()), layers_zh
    en_page = en.get_root().render()
    assert '"zone_label": "concentrated construction zone"' in en_page  # the popup's zone in words
    for lang in ("zh", "en"):
        texts = [t.get_text() for legend in static_map(r, lang=lang).legends for t in legend.get_texts()]
        words = " ".join(texts).replace("\n", " ")
        if lang == "zh":
            assert {"永久基本农田", "城镇集中建设区", "城镇弹性发展区"} <= set(texts)
            assert english_words(words) == [], words
        else:
            assert "Permanent basic farmland" in texts and not has_cjk(words), words
            assert "Urban boundary: concentrated construction zone" in words
            assert "Urban boundary: flexible development zone" in words


def test_a_site_in_farmland_gets_no_nearest_other_patch_on_the_maps(opened):
    """The three-lines table gives the nearest feature only for a site outside a line; the maps do as it does:
    no distance line to the next farmland patch from a site inside one, while the nearest redline keeps its line."""
    from gisplan.render.html_map import html_map
    from gisplan.render.static_map import static_map

    r = opened.screen(FARM_IN, industry="房地产")
    other = r.nearby[r.nearby["kind"] == "basic_farmland"]
    assert "220401101001000002" in set(other["name"])  # the engine found the other patch ...
    assert line(r, "basic_farmland")["status"] == "inside" and line(r, "basic_farmland")["nearest"] is None
    page = html_map(r).get_root().render()
    assert "永久基本农田 220401101001000002" not in page  # ... the HTML map draws no line to it
    red = r.nearby[r.nearby["kind"] == "eco_redline"]
    if len(red):
        assert f"生态保护红线 {red['name'].iloc[0]}" in page
    fig = static_map(r)
    shown = {t.get_text() for t in fig.axes[0].texts}
    assert not shown & set(other["position"])  # nor does the static map


# ----------------------------------------------------------------------------- PostGIS


def test_postgis_store_screens_the_same(lines_store, pg_server, tmp_path):
    url = f"postgresql://postgres@127.0.0.1:{pg_server}/gis?schema=three_lines"
    folder = tmp_path / "src"
    for kind, src in write_sources(folder).items():
        assert run("layers", "import", url, kind, src).exit_code == 0
    farm, urban = write_planning(folder)
    assert run("layers", "import", url, "basic_farmland", farm).exit_code == 0
    assert run("layers", "import", url, "urban_boundary", urban).exit_code == 0
    listed = run("layers", "list", url).output
    assert "basic_farmland" in listed and "urban_boundary" in listed
    for geom, kind in ((FARM_TWO, "公路"), (URBAN_HALF, "房地产")):
        a = gisplan.screen(geom, lines_store, industry=kind).to_dict()
        b = gisplan.screen(geom, url, industry=kind).to_dict()
        assert a["three_lines"] == b["three_lines"]
        assert a["verdict"]["findings"] == b["verdict"]["findings"]
    a, b = tmp_path / "gpkg.json", tmp_path / "pg.json"
    assert run("layers", "check", lines_store, "--json", a).exit_code == 0
    assert run("layers", "check", url, "--json", b).exit_code == 0
    problems = json.loads(b.read_text(encoding="utf-8"))["problems"]
    assert problems == json.loads(a.read_text(encoding="utf-8"))["problems"]
    assert not [p for p in problems if "layers" in p]  # the fixture's lines do not overlap
