"""Issue 8 through the command line: verdicts that say what the law says.

A small store is built here through the public import path::

    lat 42.86 +-----------+------+--------------+
              |  redline  |  R∩Q |  quasi zone   |      level 1, level 2 and a reserve's
              |           |      |  (准保护区)    |      experimental zone lie further east
    lat 42.81 +-----------+------+--------------+
           129.41      129.44  129.46          129.50

Sites are built inside those boxes; areas are checked against pyproj.Geod.
"""

from __future__ import annotations

import json

import docx
import geopandas as gpd
import pandas as pd
import pytest
import shapely
from _site_fixtures import write_site, write_sites
from click.testing import CliRunner
from conftest import geod_area, rel

from gisplan.cli import main
from gisplan.importer import import_layer
from gisplan.labels import DECISION_LABELS
from gisplan.render.labels import decision_label
from gisplan.verdict import DECISION_LABELS as VERDICT_LABELS

UNIT = (129.40, 42.80, 129.70, 42.95)
REDLINE = (129.41, 42.81, 129.46, 42.86)
QUASI = (129.44, 42.81, 129.50, 42.86)  # overlaps the redline's east strip 129.44-129.46
LEVEL1 = (129.60, 42.81, 129.61, 42.82)
LEVEL2 = (129.60, 42.83, 129.61, 42.84)
EXPERIMENTAL = (129.62, 42.85, 129.63, 42.86)

SITES = {
    "quasi": shapely.box(129.47, 42.82, 129.49, 42.84),            # wholly in the quasi zone
    "level2": shapely.box(129.602, 42.832, 129.608, 42.838),
    "level1": shapely.box(129.602, 42.812, 129.608, 42.818),
    "experimental": shapely.box(129.622, 42.852, 129.628, 42.858),
    "redline": shapely.box(129.415, 42.815, 129.425, 42.825),     # plain redline
    "overlap": shapely.box(129.445, 42.82, 129.455, 42.83),       # redline and quasi zone at once
    "half": shapely.box(129.43, 42.82, 129.45, 42.83),            # half plain redline, half overlap
}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("statutory")
    frames = {
        "control_units": gpd.GeoDataFrame({"HJGKDYBM": ["ZH22240130009"], "HJGKDYMC": ["测试一般管控单元"],
                                           "GKDYLB": ["一般管控单元"]}, geometry=[shapely.box(*UNIT)], crs="EPSG:4490"),
        "eco_redline": gpd.GeoDataFrame({"HXMC": ["测试水源涵养生态保护红线"]}, geometry=[shapely.box(*REDLINE)],
                                        crs="EPSG:4490"),
        "water_sources": gpd.GeoDataFrame({"SYDMC": ["测试水库水源地", "测试河流水源地", "测试河流水源地"],
                                           "BHQJB": ["准保护区", "一级保护区", "二级保护区"]},
                                          geometry=[shapely.box(*QUASI), shapely.box(*LEVEL1), shapely.box(*LEVEL2)],
                                          crs="EPSG:4490"),
        "protected_areas": gpd.GeoDataFrame({"BHDMC": ["测试自然保护区"], "GNFQ": ["实验区"]},
                                            geometry=[shapely.box(*EXPERIMENTAL)], crs="EPSG:4490"),
    }
    path = folder / "store.gpkg"
    for kind, frame in frames.items():
        src = folder / f"{kind}.geojson"
        frame.to_file(src)
        import_layer(path, kind, src)
    return path


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def site_path(tmp_path, key, name=None):
    path = tmp_path / f"{key}.geojson"
    write_site(path, SITES[key], name or key)
    return path


def screen_json(store, tmp_path, key, industry, *extra):
    out = tmp_path / f"{key}.json"
    r = run("screen", site_path(tmp_path, key), "--store", store, "--industry", industry, "--json", out, *extra)
    assert r.exit_code == 0, r.output + r.stderr
    return json.loads(out.read_text(encoding="utf-8"))["verdict"], r.output


def finding(verdict, kind, zone=None):
    found = [f for f in verdict["findings"] if f["kind"] == kind and (zone is None or f["zone"] == zone)]
    assert len(found) == 1, [(f["kind"], f["zone"]) for f in verdict["findings"]]
    return found[0]


def test_sewage_works_wholly_in_a_quasi_zone_is_not_prohibited(store, tmp_path):
    v, _ = screen_json(store, tmp_path, "quasi", "污水处理")
    f = finding(v, "water_sources", "quasi")
    assert f["decision"] != "prohibited" and v["overall"] != "prohibited"
    assert f["decision"] == "review" and "第六十七条" in f["citation"] and "第六十四条" not in f["citation"]
    assert f["verified"] is True and "准保护区" in f["quote"]


def test_aquaculture_in_level2_is_restricted(store, tmp_path):
    v, _ = screen_json(store, tmp_path, "level2", "水产养殖")
    f = finding(v, "water_sources", "level2")
    assert (f["decision"], v["overall"]) == ("restricted", "restricted")
    assert "第六十六条第二款" in f["citation"] and "网箱养殖" in f["quote"]


def test_road_in_level1_is_prohibited(store, tmp_path):
    v, _ = screen_json(store, tmp_path, "level1", "公路")
    f = finding(v, "water_sources", "level1")
    assert (f["decision"], v["overall"]) == ("prohibited", "prohibited") and "第六十五条" in f["citation"]


def test_wind_farm_in_an_experimental_zone_is_never_plain_restricted(store, tmp_path):
    v, _ = screen_json(store, tmp_path, "experimental", "风力发电")
    f = finding(v, "protected_areas", "experimental")
    assert f["decision"] in ("review", "prohibited") and "第三十二条" in f["citation"]
    assert "同意" not in f["rule"]  # art. 32 has no consent clause


@pytest.mark.parametrize("answer, decision", [(None, "review"), ("no", "prohibited"), ("yes", "restricted")])
def test_coal_mine_in_the_redline_depends_on_national_major(store, tmp_path, answer, decision):
    extra = ("--national-major", answer) if answer else ()
    v, out = screen_json(store, tmp_path, "redline", "煤炭开采", *extra)
    f = finding(v, "eco_redline")
    assert f["decision"] == decision and v["overall"] == decision
    assert v["national_major"] == {None: None, "no": False, "yes": True}[answer]
    if answer is None:  # says the condition and cites part 二
        assert "国家重大项目" in f["rule"] and "142号" in f["citation"] and "二" in f["article"]
        assert "--national-major" in out
    if answer == "yes":
        assert "国家重大项目" in f["rule"] and "审批" in f["rule"]


def test_bad_national_major_value_in_the_api_is_an_input_error(store):
    from gisplan import screen
    from gisplan.batch import screen_batch
    from gisplan.errors import InputError

    with pytest.raises(InputError, match="national_major"):
        screen(SITES["redline"], store, industry="煤炭开采", national_major="yes")
    frame = gpd.GeoDataFrame({"sid": ["a"]}, geometry=[SITES["redline"]], crs="EPSG:4490")
    with pytest.raises(InputError, match="national_major"):
        screen_batch(frame, store, id_field="sid", industry="煤炭开采", national_major="no")
    assert screen(SITES["redline"], store, industry="煤炭开采", national_major=False).verdict["overall"] == "prohibited"


def test_bad_national_major_answer_is_refused(store, tmp_path):
    r = run("screen", site_path(tmp_path, "redline"), "--store", store, "--national-major", "maybe")
    assert r.exit_code == 2 and "--national-major" in r.stderr and "'yes', 'no'" in r.stderr


def test_a_quasi_zone_inside_the_redline_does_not_displace_the_redline(store, tmp_path):
    # 水污染防治法 art. 63 para. 1: the quasi zone lies 在饮用水水源保护区外围, so 142号 一、（一）
    # ("饮用水水源保护区等区域，依照法律法规执行") does not cover it: the redline decides, art. 67 applies beside it
    v, _ = screen_json(store, tmp_path, "overlap", "污水处理")
    red, quasi = finding(v, "eco_redline"), finding(v, "water_sources", "quasi")
    assert red["reason"] == "rule" and red["rule_id"] == "redline.default" and red["decision"] == "prohibited"
    assert quasi["decision"] == "review" and "第六十七条" in quasi["citation"]
    assert v["overall"] == "prohibited"
    assert rel(red["overlap_m2"], geod_area(SITES["overlap"])) < 1e-4 and "own_law_m2" not in red
    housing, _ = screen_json(store, tmp_path, "overlap", "房地产")
    assert finding(housing, "eco_redline")["decision"] == "prohibited" and housing["overall"] == "prohibited"
    road, _ = screen_json(store, tmp_path, "overlap", "公路")
    f = finding(road, "eco_redline")
    assert f["rule_id"] == "redline.linear" and f["decision"] == "restricted" and "无法避让" in f["rule"]
    assert "第6项" in f["citation"] and "不可避让" in f["follow_up"]


def test_half_in_the_overlap_keeps_the_whole_redline_finding(store, tmp_path):
    v, _ = screen_json(store, tmp_path, "half", "污水处理")
    red = finding(v, "eco_redline")
    assert red["decision"] == "prohibited" and v["overall"] == "prohibited" and red["reason"] == "rule"
    whole = geod_area(shapely.box(129.43, 42.82, 129.45, 42.83))  # the quasi part counts for the redline too
    assert rel(red["overlap_m2"], whole) < 1e-4 and "own_law_m2" not in red


def test_batch_agrees_with_screen_on_the_own_law_split(store, tmp_path):
    keys = ["overlap", "half", "redline", "quasi"]
    sites = tmp_path / "sites.geojson"
    gpd.GeoDataFrame({"sid": keys, "hy": ["污水处理"] * 4}, geometry=[SITES[k] for k in keys],
                     crs="EPSG:4490").to_file(sites)
    out = tmp_path / "b.csv"
    r = run("batch", sites, "--store", store, "--id-field", "sid", "--industry-field", "hy", "--out", out)
    assert r.exit_code == 0, r.output + r.stderr
    table = pd.read_csv(out, encoding="utf-8-sig").set_index("sid")
    for key in keys:
        v, _ = screen_json(store, tmp_path, key, "污水处理")
        assert table.loc[key, "verdict"] == v["overall"], key
        assert {d: int(table.loc[key, f"n_{d}"]) for d in v["counts"]} == v["counts"], key
    assert table.loc["overlap", "verdict"] == "prohibited" and table.loc["quasi", "verdict"] == "review"
    r = run("batch", sites, "--store", store, "--id-field", "sid", "--industry", "煤炭开采", "--national-major", "no",
            "--out", out)
    assert r.exit_code == 0, r.output + r.stderr
    row = pd.read_csv(out, encoding="utf-8-sig").set_index("sid").loc["redline"]
    assert row["verdict"] == "prohibited" and "142号" in row["deciding"] and row["deciding"].endswith("（条文待核）")


def docx_text(path) -> str:
    doc = docx.Document(path)
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_batch_reports_say_what_their_rows_say(store, tmp_path):
    keys = ["level1", "level2", "redline"]
    sites = tmp_path / "sites.geojson"
    gpd.GeoDataFrame({"sid": keys, "hy": ["公路", "化学原料制造", "煤炭开采"]}, geometry=[SITES[k] for k in keys],
                     crs="EPSG:4490").to_file(sites)
    out, reports = tmp_path / "b.csv", tmp_path / "reports"
    r = run("batch", sites, "--store", store, "--id-field", "sid", "--industry-field", "hy", "--national-major", "yes",
            "--out", out, "--report-dir", reports, "--no-progress")
    assert r.exit_code == 0, r.output + r.stderr
    table = pd.read_csv(out, encoding="utf-8-sig").set_index("sid")
    assert list(table.loc[keys, "verdict"]) == ["prohibited", "prohibited", "restricted"]
    for key in keys:  # without the row's industry the reports said 需人工核对 (review)
        text = docx_text(reports / f"{key}.docx")
        assert f"筛查结论：{decision_label(table.loc[key, 'verdict'])}" in text, key


def test_a_report_that_would_differ_from_its_row_is_refused(store, tmp_path):
    from gisplan.batch import screen_batch
    from gisplan.batch_reports import write_site_reports

    frame = gpd.GeoDataFrame({"sid": ["a"], "hy": ["化学原料制造"]}, geometry=[SITES["level2"]], crs="EPSG:4490")
    table = screen_batch(frame, store, id_field="sid", industry_field="hy")
    assert table["verdict"].iloc[0] == "prohibited"
    table.loc[0, "verdict"] = "allowed"  # a row the report would contradict
    with pytest.raises(RuntimeError, match="differs"):
        write_site_reports(table, store, tmp_path / "r", id_field="sid", progress=False)
    assert not (tmp_path / "r" / "a.docx").exists()


def test_quiet_prints_nothing(store, tmp_path):
    out = tmp_path / "q.json"
    r = run("screen", site_path(tmp_path, "level1"), "--store", store, "--industry", "公路", "--quiet")
    assert r.exit_code == 0 and r.output == "" and r.stderr == ""
    r = run("screen", site_path(tmp_path, "level1"), "--store", store, "--quiet", "--json", out)
    assert r.exit_code == 0 and r.output == "" and json.loads(out.read_text(encoding="utf-8"))["verdict"]


def test_screen_and_batch_take_layer_and_encoding(store, tmp_path):
    gpkg = tmp_path / "two.gpkg"
    write_sites(gpkg, ["a"], [SITES["level1"]], layer="road")
    write_sites(gpkg, ["b"], [SITES["quasi"]], layer="other")
    r = run("screen", gpkg, "--store", store, "--industry", "公路")
    assert r.exit_code == 2 and "--layer" in r.stderr
    r = run("screen", gpkg, "--store", store, "--industry", "公路", "--layer", "road", "--encoding", "utf-8")
    assert r.exit_code == 0, r.output + r.stderr
    assert "[prohibited]" in r.output
    out = tmp_path / "b.csv"
    r = run("batch", gpkg, "--store", store, "--id-field", "sid", "--industry", "公路", "--out", out)
    assert r.exit_code == 2 and "--layer" in r.stderr
    r = run("batch", gpkg, "--store", store, "--id-field", "sid", "--industry", "公路", "--out", out, "--layer", "other")
    assert r.exit_code == 0, r.output + r.stderr
    table = pd.read_csv(out, encoding="utf-8-sig")
    r = run("batch", gpkg, "--store", store, "--id-field", "sid", "--out", out, "--layer", "road", "--dry-run")
    assert r.exit_code == 0 and "1 site(s)" in r.output and "  a:" in r.output
    # layer "other" (the quasi-zone site) was read, not "road" (level 1: prohibited)
    assert list(table["sid"]) == ["b"] and table["verdict"].iloc[0] == "review"


def test_one_wording_per_decision_everywhere(store, tmp_path):
    for lang in ("zh", "en"):
        for d in ("prohibited", "restricted", "review", "allowed"):
            assert VERDICT_LABELS[lang][d] == decision_label(d, lang) == DECISION_LABELS[lang][d]
    assert len(set(DECISION_LABELS["zh"].values())) == len(DECISION_LABELS["zh"])
    v, out = screen_json(store, tmp_path, "level2", "水产养殖", "--docx", tmp_path / "r.docx")
    assert v["overall_label"] == "限制准入（有条件相符）"
    assert f"结论: {v['overall_label']} [restricted]" in out
    assert f"筛查结论：{v['overall_label']}" in docx_text(tmp_path / "r.docx")


def test_unverified_citations_are_flagged_in_json_terminal_and_docx(store, tmp_path):
    v, out = screen_json(store, tmp_path, "redline", "煤炭开采", "--docx", tmp_path / "r.docx")
    f = finding(v, "eco_redline")
    assert f["verified"] is False and f["quote"] and v["unverified_citations"] >= 1
    assert any(not c["verified"] for c in f["citations"])
    assert "（条文待核）" in out
    assert "条文待核" in docx_text(tmp_path / "r.docx")
    r = run("screen", site_path(tmp_path, "redline"), "--store", store, "--industry", "煤炭开采", "--lang", "en")
    assert "(citation unverified)" in r.output
    ok, out = screen_json(store, tmp_path, "level1", "公路", "--docx", tmp_path / "ok.docx")
    assert finding(ok, "water_sources", "level1")["verified"] is True
    assert "条文待核" not in out and "条文待核" not in docx_text(tmp_path / "ok.docx")


def test_project_type_and_catalogue_item_are_shown(store, tmp_path):
    from gisplan.render.eia_tables import industry_text
    from gisplan.report import verdict_lines

    _, out = screen_json(store, tmp_path, "level1", "公路", "--docx", tmp_path / "r.docx")
    doc = docx.Document(tmp_path / "r.docx")
    rows = {r.cells[0].text: r.cells[1].text for t in doc.tables for r in t.rows if len(r.cells) == 2}
    assert "名录第130项" in rows["建设项目行业类别"] and "名录第130项" in out
    road = {"name": "等级公路", "code": "EIA2021-130", "scheme": "eia2021", "scheme_label": "名录", "matched_by": "name",
            "query": "公路", "catalogue_item": 130, "catalogue_section": "五十二、交通运输业、管道运输业"}
    assert industry_text(road) == "等级公路（EIA2021-130；名录第130项（五十二、交通运输业、管道运输业））"
    lines = "\n".join(verdict_lines({"overall": "prohibited", "industry": road, "findings": [], "deciding": []}))
    assert "名录第130项" in lines
    own = dict(road, catalogue_item=None, catalogue_section="", name="入河排污口", scheme_label="gisplan 自定类别")
    assert "名录第" not in industry_text(own) and "gisplan 自定类别" in industry_text(own)
