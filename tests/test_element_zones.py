"""Element zones (要素分区): import, areas, clauses decided by location, single == batch, check, renderers."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from conftest import REPO, geod_area, rel

from gisplan.errors import InputError, MappingError

# Air zones tiling the fixture store's units (129.40-129.60 E, 42.80-42.95 N); a no-burn zone in unit C.
AIR = {
    "大氣環境受體敏感重點管控區": shapely.box(129.50, 42.875, 129.60, 42.95),  # Traditional, as some bureaus type it
    "大气环境一般管控区": shapely.box(129.40, 42.80, 129.60, 42.875).union(shapely.box(129.40, 42.875, 129.50, 42.95)),
}
NO_BURN = shapely.box(129.52, 42.89, 129.58, 42.93)
GROUNDWATER = shapely.box(129.42, 42.82, 129.45, 42.84)
INSIDE = shapely.box(129.53, 42.90, 129.54, 42.91)  # in unit C, the no-burn and the receptor zone
OUTSIDE = shapely.box(129.55, 42.81, 129.56, 42.82)  # in unit B, no no-burn zone
ACROSS = shapely.box(129.57, 42.88, 129.59, 42.90)  # partly in the no-burn zone


def _write(folder, name, frame):
    path = folder / f"{name}.gpkg"
    frame.to_file(path, driver="GPKG")
    return path


def _air_source(folder):
    frame = gpd.GeoDataFrame({"YSGKFQBM": ["YS2224012200001", "YS2224012300001"], "YSGKFQMC": ["测试受体敏感区", "测试一般区"],
                              "GKFQLX": list(AIR)}, geometry=list(AIR.values()), crs="EPSG:4490")
    return _write(folder, "air", frame)


def _resource_source(folder):
    frame = gpd.GeoDataFrame({"FQMC": ["延吉市高污染燃料禁燃區（测试）", "测试地下水禁采区"],
                              "管控分区类型": ["高污染燃料禁燃區", "地下水禁止开采区"]},
                             geometry=[NO_BURN, GROUNDWATER], crs="EPSG:4490")
    return _write(folder, "resource", frame)


def _clause_table(folder):
    rows = [
        {"层级": "省级", "适用范围": "220000", "管控维度": "资源开发效率要求", "管控要求": "禁燃区内禁止新建燃用高污染燃料的设施（测试）",
         "适用行业": "@burns_high_pollution_fuel", "判定": "禁止", "要素分区": "高污染燃料禁燃區"},
        {"层级": "省级", "适用范围": "220000", "管控维度": "空间布局约束", "管控要求": "岸线优先保护区内禁止建设无关项目（测试）",
         "适用行业": "", "判定": "", "要素分区": "resource:shoreline_priority"},
    ]
    path = folder / "list.csv"
    pd.DataFrame(rows).to_csv(path, index=False, encoding="utf-8-sig")
    return path


@pytest.fixture(scope="module")
def element_store(tmp_path_factory):
    """The fixture store (units, redline, water, reserve) plus air and resource zones and a tagged access list."""
    from conftest import write_sources

    from gisplan.importer import import_layer
    from gisplan.rules.access_list import import_access_list

    folder = tmp_path_factory.mktemp("element_store")
    path = folder / "store.gpkg"
    for kind, src in write_sources(folder / "src").items():
        import_layer(path, kind, src)
    import_layer(path, "air_zones", _air_source(folder))
    import_layer(path, "resource_zones", _resource_source(folder))
    import_access_list(path, _clause_table(folder))
    return path


@pytest.fixture(scope="module")
def bare_store(tmp_path_factory):
    """The same store without element layers (the clauses still tagged)."""
    from conftest import write_sources

    from gisplan.importer import import_layer
    from gisplan.rules.access_list import import_access_list

    folder = tmp_path_factory.mktemp("bare_store")
    path = folder / "store.gpkg"
    for kind, src in write_sources(folder / "src").items():
        import_layer(path, kind, src)
    import_access_list(path, _clause_table(folder))
    return path


def _finding(result, text):
    return next(f for f in result.verdict.to_dict()["findings"] if text in f.get("rule", ""))


# ----------------------------------------------------------------------------- import


def test_import_reads_provincial_fields_and_traditional_values(element_store):
    from gisplan.store.gpkg import Store

    store = Store(element_store)
    air = store.read("air_zones").sort_values("code")
    assert list(air["zone"]) == ["key_receptor", "general"]
    assert list(air["code"]) == ["YS2224012200001", "YS2224012300001"]
    assert air["zone_label"].iloc[0] == "大气环境受体敏感重点管控区"  # Simplified on import
    res = store.read("resource_zones")
    assert sorted(res["zone"]) == ["groundwater_no_extraction", "no_burn"]
    assert "延吉市高污染燃料禁燃區（测试）" in set(res["name"])  # names stay as delivered


def test_import_refuses_an_unknown_zone_value(tmp_path):
    from gisplan.importer import import_layer

    frame = gpd.GeoDataFrame({"FQLX": ["大气环境神秘区"]}, geometry=[shapely.box(129.4, 42.8, 129.5, 42.9)], crs="EPSG:4490")
    with pytest.raises(MappingError, match="大气环境神秘区"):
        import_layer(tmp_path / "s.gpkg", "air_zones", _write(tmp_path, "odd", frame))


def test_element_tags_are_read_and_checked():
    from gisplan.rules.element_zones import parse_element_tag

    assert parse_element_tag("resource:no_burn") == (("resource_zones", "no_burn"),)
    assert parse_element_tag("水環境工業污染重點管控區") == (("water_zones", "key_industrial"),)
    assert parse_element_tag("air:受体敏感区;air:高排放区") == (("air_zones", "key_receptor"), ("air_zones", "key_high_emission"))
    with pytest.raises(InputError, match="ambiguous"):
        parse_element_tag("优先保护区")  # air, water ... : the element must be named
    with pytest.raises(InputError):
        parse_element_tag("air:no_burn")


def test_access_list_import_keeps_the_tag(element_store):
    from gisplan.rules.access_list import AccessList
    from gisplan.store.gpkg import Store

    clauses = AccessList.from_store(Store(element_store)).frame
    assert set(clauses["element_zone"]) == {"resource:no_burn", "resource:shoreline_priority"}


# ----------------------------------------------------------------------------- areas


def test_areas_per_element_zone_match_geod(element_store):
    from gisplan.screening import screen

    site = shapely.box(129.48, 42.86, 129.55, 42.92)  # across both air zones and into the no-burn zone
    result = screen(site, element_store)
    got = {}
    for r in result.element_rows:
        got[(r["kind"], r["zone"])] = got.get((r["kind"], r["zone"]), 0.0) + r["overlap_m2"]
    receptor = geod_area(site.intersection(AIR["大氣環境受體敏感重點管控區"]))
    general = geod_area(site.intersection(AIR["大气环境一般管控区"]))
    assert rel(got[("air_zones", "key_receptor")], receptor) < 1e-4
    assert rel(got[("air_zones", "general")], general) < 1e-4
    assert rel(got[("resource_zones", "no_burn")], geod_area(site.intersection(NO_BURN))) < 1e-4
    assert ("resource_zones", "groundwater_no_extraction") not in got
    report = json.loads(result.to_json())
    by_zone = {(z["kind"], z["zone"]): z["overlap_m2"] for z in report["element_zones"]["by_zone"]}
    assert rel(by_zone[("air_zones", "key_receptor")], receptor) < 1e-4


# ----------------------------------------------------------------------------- the no-burn clause


def test_no_burn_clause_prohibits_a_coal_boiler_inside_the_zone(element_store):
    from gisplan.screening import screen

    result = screen(INSIDE, element_store, industry="燃煤锅炉")
    f = _finding(result, "禁燃区内禁止新建")
    assert f["decision"] == "prohibited" and f["element_state"] == "inside"
    assert result.verdict["overall"] == "prohibited"


def test_no_burn_clause_does_not_apply_outside_the_zone(element_store):
    from gisplan.screening import screen

    result = screen(OUTSIDE, element_store, industry="燃煤锅炉")
    f = _finding(result, "禁燃区内禁止新建")
    assert f["decision"] == "not_applicable" and f["reason"] == "outside_element_zone"
    assert "follow_up" not in f
    assert result.verdict["overall"] != "prohibited"


def test_no_burn_clause_partly_inside_is_decided_by_the_part_inside(element_store):
    from gisplan.screening import screen

    assert _finding(screen(ACROSS, element_store, industry="燃煤锅炉"), "禁燃区内禁止新建")["decision"] == "prohibited"


def test_no_burn_clause_stays_review_without_the_layer(bare_store):
    from gisplan.screening import screen

    for site in (INSIDE, OUTSIDE):
        f = _finding(screen(site, bare_store, industry="燃煤锅炉"), "禁燃区内禁止新建")
        assert f["decision"] == "review" and f["reason"] == "element_missing_layer"
        assert "缺少资源利用管控分区图层" in f["rule"]


def test_unknown_fuel_keeps_the_clause_review_inside_only(element_store):
    from gisplan.screening import screen

    # 房地产 may or may not have a coal-fired boiler house: unknown
    assert _finding(screen(INSIDE, element_store, industry="房地产"), "禁燃区内禁止新建")["decision"] == "review"
    assert _finding(screen(OUTSIDE, element_store, industry="房地产"), "禁燃区内禁止新建")["decision"] == "not_applicable"
    # a solar farm burns nothing: the clause names other industries, wherever the site is
    inside = _finding(screen(INSIDE, element_store, industry="光伏发电"), "禁燃区内禁止新建")
    assert inside["decision"] == "not_applicable" and inside["reason"] == "not_applicable"


def test_a_zone_type_the_layer_lacks_stays_review(element_store):
    from gisplan.screening import screen

    f = _finding(screen(OUTSIDE, element_store, industry="燃煤锅炉"), "岸线优先保护区")
    assert f["decision"] == "review" and f["reason"] == "element_no_such_zone"


def test_site_partly_outside_the_element_coverage_stays_review(element_store):
    from gisplan.rules.element_zones import ElementSite, StoreElements, element_state

    store = StoreElements({"air_zones": frozenset({"key_receptor", "general"})})
    pairs = (("air_zones", "key_receptor"),)
    inside_general = ElementSite.from_rows(1e6, [("air_zones", "general", 1e6)])
    half_covered = ElementSite.from_rows(1e6, [("air_zones", "general", 6e5)])
    assert element_state(pairs, inside_general, store)[0] == "outside"
    assert element_state(pairs, half_covered, store)[0] == "partly_outside"
    assert element_state(pairs, None, store)[0] == "not_computed"
    # resource zones cover parts only: their coverage is the control units'
    no_burn = (("resource_zones", "no_burn"),)
    rstore = StoreElements({"resource_zones": frozenset({"no_burn"})})
    assert element_state(no_burn, ElementSite.from_rows(1e6, [], 0.0), rstore)[0] == "outside"
    assert element_state(no_burn, ElementSite.from_rows(1e6, [], 2e5), rstore)[0] == "partly_outside"


def test_site_outside_the_units_keeps_the_no_burn_clause_review(element_store):
    from gisplan.screening import screen

    across_edge = shapely.box(129.595, 42.81, 129.605, 42.82)  # half east of the units, no no-burn zone there
    f = _finding(screen(across_edge, element_store, industry="燃煤锅炉"), "禁燃区内禁止新建")
    assert f["decision"] == "review" and f["reason"] == "element_partly_outside"


# ----------------------------------------------------------------------------- one engine


def test_batch_equals_single_screenings(element_store, tmp_path):
    from gisplan.batch import screen_batch
    from gisplan.screening import screen

    sites = [INSIDE, OUTSIDE, ACROSS, shapely.box(129.595, 42.81, 129.605, 42.82), GROUNDWATER.buffer(-0.002)]
    industries = ["燃煤锅炉", "房地产", "光伏发电", "化学原料制造"]
    rows = [(f"S{i}-{j}", ind, g) for i, g in enumerate(sites) for j, ind in enumerate(industries)]
    frame = gpd.GeoDataFrame({"site_id": [r[0] for r in rows], "industry": [r[1] for r in rows]},
                             geometry=[r[2] for r in rows], crs="EPSG:4490")
    path = tmp_path / "sites.geojson"
    frame.to_file(path, driver="GeoJSON")
    table = screen_batch(path, element_store, id_field="site_id", industry_field="industry", progress=False)
    verdicts = dict(zip(table["site_id"], table["verdict"]))
    for sid, ind, geom in rows:
        assert verdicts[sid] == screen(geom, element_store, industry=ind).verdict["overall"], sid
    assert verdicts["S0-0"] == "prohibited"  # the coal boiler in the no-burn zone


# ----------------------------------------------------------------------------- demo, check, renderers


def test_demo_store_has_element_zones_and_tagged_clauses(demo_store):
    from gisplan.rules.access_list import AccessList
    from gisplan.screening import screen
    from gisplan.store.gpkg import Store

    store = Store(demo_store)
    for kind in ("air_zones", "water_zones", "soil_zones", "resource_zones"):
        frame = store.read(kind)
        assert len(frame) and frame["name"].str.contains("示例").all()
    clauses = AccessList.from_store(store).frame
    assert clauses.loc[clauses["clause_id"] == "demo:JL-09", "element_zone"].item() == "resource:no_burn"
    # a coal boiler at Yanji's seat (in the demo no-burn zone) and far from any seat
    seat = shapely.Point(129.51, 42.89)
    inside = screen(seat, store, radius=100.0, industry="燃煤锅炉")
    f = next(f for f in inside.verdict.to_dict()["findings"] if f["id"] == "demo:JL-09")
    assert f["decision"] == "prohibited"
    far = screen(REPO / "data" / "sites" / "industrial_park_yanji.geojson", store, industry="燃煤锅炉")
    assert next(f for f in far.verdict.to_dict()["findings"] if f["id"] == "demo:JL-09")["decision"] == "not_applicable"


def test_layers_check_finds_overlaps_within_an_element_kind(tmp_path):
    from gisplan.layers.check import check_layers
    from gisplan.layers.source import load_layers

    bad = shapely.Polygon([(129.40, 42.80), (129.45, 42.85), (129.45, 42.80), (129.40, 42.85), (129.40, 42.80)])  # bow tie
    frame = gpd.GeoDataFrame({"FQLX": ["受体敏感区", "一般管控区", "弱扩散区"], "BM": ["A", "B", "C"]},
                             geometry=[shapely.box(129.50, 42.80, 129.60, 42.90), shapely.box(129.55, 42.80, 129.65, 42.90), bad],
                             crs="EPSG:4490")
    result = check_layers(load_layers(_write(tmp_path, "air", frame), kind="air_zones"))
    checks = {(p["check"], p["kind"]) for p in result.problems}
    assert ("overlap", "air_zones") in checks and ("invalid_geometry", "air_zones") in checks
    overlap = next(p for p in result.problems if p["check"] == "overlap")
    assert set(overlap["codes"]) == {"A", "B"}
    # resource zones of different types may overlap; two no-burn zones may not
    res = gpd.GeoDataFrame({"FQLX": ["禁燃区", "地下水限采区", "禁燃区"], "BM": ["N1", "G1", "N2"]},
                           geometry=[shapely.box(129.50, 42.80, 129.60, 42.90), shapely.box(129.55, 42.80, 129.65, 42.90),
                                     shapely.box(129.58, 42.85, 129.70, 42.95)], crs="EPSG:4490")
    found = check_layers(load_layers(_write(tmp_path, "res", res), kind="resource_zones")).problems
    assert [sorted(p["codes"]) for p in found if p["check"] == "overlap"] == [["N1", "N2"]]


def test_reports_show_the_element_zones(element_store, tmp_path):
    from docx import Document

    from gisplan.render.eia_tables import eia_tables
    from gisplan.screening import screen

    result = screen(INSIDE, element_store, industry="燃煤锅炉")
    table = next(t for t in eia_tables(result) if t.key == "element_zones")
    labels = {row[1] for row in table.rows}
    assert labels == {"大气环境受体敏感重点管控区", "高污染燃料禁燃区"}
    result.to_docx(tmp_path / "r.docx")
    text = "\n".join(c.text for t in Document(str(tmp_path / "r.docx")).tables for row in t.rows for c in row.cells)
    assert "高污染燃料禁燃区" in text
    result.to_html(tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    legend = page[page.index("gisplan-legend"):]
    assert "高污染燃料禁燃区" in legend and "大气环境管控分区" in legend
    result.to_png(tmp_path / "r.png")
    assert (tmp_path / "r.png").stat().st_size > 10_000


def test_cli_imports_an_element_layer_and_names_the_attributes(tmp_path):
    import subprocess
    import sys

    def run(*args):
        return subprocess.run([sys.executable, "-m", "gisplan.cli", *map(str, args)], capture_output=True, text=True,
                              encoding="utf-8", cwd=tmp_path)

    src = _resource_source(tmp_path)
    ok = run("layers", "import", tmp_path / "s.gpkg", "resource_zones", src)
    assert ok.returncode == 0 and "zone<-管控分区类型" in ok.stdout, ok.stderr
    bad = run("layers", "import", tmp_path / "s.gpkg", "noise_zones", src)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    att = run("rules", "industries", "燃煤锅炉")
    assert "burns_high_pollution_fuel yes" in att.stdout and "voc unknown" in att.stdout
