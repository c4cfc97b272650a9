"""Issue 21, library side: the project form, a refusal where the data stops, grouped findings, industry
candidates and the crossing table, through the API, the JSON, the CLI and the reports."""

from __future__ import annotations

import dataclasses
import json

import docx
import openpyxl
import pyproj
import pytest
import shapely
from click.testing import CliRunner
from conftest import GEOD, geod_area

from gisplan.cli import main
from gisplan.errors import InputError
from gisplan.finding_groups import group_findings
from gisplan.render.docx_report import ALERT_RGB, docx_report
from gisplan.render.eia_tables import eia_tables
from gisplan.report import summary_text
from gisplan.rules.industry import industries, industry_candidates, match_industry, suggest
from gisplan.screening import screen

BEIJING = shapely.box(116.30, 39.90, 116.31, 39.91)
# the fixture units end at lon 129.60: half of this box lies east of them (clear of the water source)
PARTIAL = shapely.box(129.58, 42.81, 129.62, 42.82)
INSIDE = shapely.box(129.52, 42.81, 129.54, 42.82)
TO_GK = pyproj.Transformer.from_crs("EPSG:4490", "EPSG:4552", always_xy=True)


def paragraphs(document) -> list:
    return [p for p in document.paragraphs if p.text.strip()]


# ----------------------------------------------------------------------------- coverage


def test_coverage_of_a_site_outside_partly_outside_and_inside(store_path):
    out = screen(BEIJING, store_path)
    c = out.to_dict()["coverage"]
    assert set(c) == {"status", "outside_m2", "outside_share", "extent_label"}
    assert c["status"] == "outside" and c["outside_share"] == 1.0 and c["extent_label"]
    assert c["outside_m2"] == pytest.approx(geod_area(BEIJING), rel=1e-6)
    assert out.verdict.overall == "review" and out.verdict.overall_label == "数据范围外，不作判定"
    assert "not judged" in repr(out) and "选址不在本系统数据范围" in out._repr_html_()  # Jupyter says it too
    (outside,) = [f for f in out.verdict.findings if f.kind == "coverage"]  # no "part of the site" for all of it
    assert outside.rule.startswith("选址全部位于本系统环境管控单元数据范围外，本系统不作判定") and "部分" not in outside.rule
    part = screen(PARTIAL, store_path).to_dict()["coverage"]
    east = geod_area(shapely.box(129.60, 42.81, 129.62, 42.82))
    assert part["status"] == "partial" and part["outside_m2"] == pytest.approx(east, rel=1e-6)
    assert part["outside_share"] == pytest.approx(east / geod_area(PARTIAL), rel=1e-6)
    (outside,) = [f for f in screen(PARTIAL, store_path).verdict.findings if f.kind == "coverage"]
    assert outside.rule.startswith("项目部分位于本系统环境管控单元数据范围外，范围外部分须")
    inside = screen(INSIDE, store_path).to_dict()["coverage"]
    assert inside["status"] == "inside" and inside["outside_m2"] == 0.0


def test_demo_store_names_its_counties(demo_store):
    c = screen(BEIJING, demo_store).coverage
    assert c["status"] == "outside"
    assert c["extent_label"].split("、")[0] == "延吉市" and "安图县" in c["extent_label"]


def test_outside_report_refuses_at_the_top_in_red(store_path):
    d = docx_report(screen(BEIJING, store_path))
    first = paragraphs(d)[1]  # after the title
    assert first.text.startswith("选址不在本系统数据范围（") and first.text.endswith("内：数据范围外，不作判定。")
    assert all(r.font.color.rgb == ALERT_RGB and r.bold for r in first.runs)
    text = "\n".join(p.text for p in d.paragraphs)
    assert "筛查结论" not in text and "不作符合性判定" in text
    headers = [t.rows[0].cells[0].text for t in d.tables]
    assert "单元编码" not in headers and "三线一单" not in headers and "准入要求（条款及依据）" not in headers


def test_partly_outside_report_says_how_much_at_the_top(store_path):
    r = screen(PARTIAL, store_path)
    first = paragraphs(docx_report(r))[1]
    ha, share = r.coverage["outside_m2"] / 1e4, r.coverage["outside_share"]
    assert first.text.startswith(f"选址有 {ha:.4f} ha（{share:.2%}）位于本系统数据范围（")
    assert first.runs[0].font.color.rgb == ALERT_RGB
    assert summary_text(r).splitlines()[0].startswith("注意: 选址有")


def test_cli_outside_writes_the_refusal_and_exits_3(store_path, site_file, tmp_path):
    site = site_file(BEIJING, name="北京某项目")
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["screen", str(site), "--store", str(store_path), "--json", str(out / "r.json"),
                                  "--docx", str(out / "r.docx"), "--pdf", str(out / "r.pdf")])
    assert r.exit_code == 3, r.output + r.stderr
    err = r.stderr.strip().splitlines()
    # the output folder did not exist: its creation is noted first, then the one refusal line
    assert len(err) == 2 and err[0].startswith("gisplan: created folder") and str(out) in err[0]
    assert err[1].startswith("gisplan: 选址不在本系统数据范围（")
    assert "数据范围外，不作判定" in r.output
    assert json.loads((out / "r.json").read_text(encoding="utf-8"))["coverage"]["status"] == "outside"
    assert (out / "r.pdf").read_bytes().startswith(b"%PDF") and (out / "r.docx").is_file()
    quiet = CliRunner().invoke(main, ["screen", str(site), "--store", str(store_path), "--quiet"])
    assert quiet.exit_code == 3 and quiet.stdout == "" and quiet.stderr.startswith("gisplan: 选址不在")
    ok = CliRunner().invoke(main, ["screen", str(site_file(INSIDE)), "--store", str(store_path), "--quiet"])
    assert ok.exit_code == 0 and ok.stderr == ""


# ----------------------------------------------------------------------------- groups


FINDINGS = [
    {"id": "a", "kind": "access_list", "dimension": "spatial_layout", "decision": "allowed", "rule": "甲条款"},
    {"id": "b", "kind": "access_list", "dimension": "pollutant_emission", "decision": "review", "rule": "乙条款"},
    {"id": "c", "kind": "access_list", "dimension": "spatial_layout", "decision": "not_applicable", "rule": "丙条款不适用"},
    {"id": "d", "kind": "eco_redline", "name": "某红线", "zone": "redline", "decision": "prohibited", "rule": "丁规则",
     "follow_up": {"text": "建议调整选址", "citation": "自然资发〔2022〕142号"}},
    {"id": "e", "kind": "access_list", "dimension": "spatial_layout", "decision": "restricted", "rule": "戊条款",
     "follow_up": "须论证不可避让并取得审批"},
    {"id": "f", "kind": "access_list", "dimension": "risk_prevention", "decision": "exempt", "rule": "己条款"},
    {"id": "g", "kind": "access_list", "dimension": "pollutant_emission", "decision": "review", "rule": "庚条款",
     "follow_up": "不应出现的后续"},
]


def test_groups_put_the_strictest_first_and_fold_what_does_not_apply():
    groups = group_findings(FINDINGS)
    assert [g["key"] for g in groups] == ["eco_redline", "spatial_layout", "pollutant_emission", "risk_prevention"]
    assert [g["label"] for g in groups] == ["生态保护红线", "空间布局约束", "污染物排放管控", "环境风险防控"]
    layout = groups[1]
    assert layout["findings"] == [4, 0] and layout["folded"] == [2] and layout["worst"] == "restricted"
    assert layout["counts"] == {"prohibited": 0, "restricted": 1, "review": 0, "allowed": 1, "not_applicable": 1}
    risk = groups[3]  # a decision a later rule file may add (not one of the four): folded, counted apart
    assert risk["findings"] == [] and risk["folded"] == [5] and risk["worst"] == "not_applicable"
    every = sorted(i for g in groups for i in g["findings"] + g["folded"])
    assert every == list(range(len(FINDINGS)))


def test_report_groups_findings_folds_not_applicable_and_ends_with_follow_ups(store_path):
    result = screen(INSIDE, store_path)
    verdict = dict(result.verdict.to_dict(), findings=FINDINGS, overall="prohibited")
    r = dataclasses.replace(result, verdict=verdict)
    d = docx_report(r)
    table = next(t for t in d.tables if t.rows[0].cells[0].text == "准入要求（条款及依据）")
    rows = [[c.text for c in row.cells] for row in table.rows[1:]]
    sections = [row[0] for row in rows if len(set(row)) == 1]
    assert sections == ["生态保护红线（禁止准入 1 条）", "空间布局约束（限制准入 1 条，允许 1 条，不适用 1 条；不适用条款未列出）",
                        "污染物排放管控（需人工核对 2 条）", "环境风险防控（不适用 1 条；不适用条款未列出）"]
    body = [row for row in rows if len(set(row)) > 1]
    assert [row[0].split("（")[0] for row in body] == ["丁规则", "戊条款", "甲条款", "乙条款", "庚条款"]
    assert body[0][1].endswith("后续：建议调整选址（自然资发〔2022〕142号）")
    assert body[1][1].endswith("后续：须论证不可避让并取得审批")
    assert "后续" not in body[3][1] + body[4][1]  # only prohibited and restricted findings end with one
    text = "\n".join(p.text for p in d.paragraphs)
    assert "丙条款不适用" not in "\n".join(c for row in rows for c in row) and "另有 2 条条款对本项目不适用" in text
    summary = next(t for t in d.tables if t.rows[0].cells[0].text == "类别")
    assert [c.text for c in summary.rows[0].cells] == ["类别", "禁止准入", "限制准入", "需人工核对", "允许", "不适用"]
    assert [c.text for c in summary.rows[2].cells] == ["空间布局约束", "0", "1", "0", "1", "1"]
    xlsx = {t.key: t for t in eia_tables(r)}["clauses"]
    assert list(xlsx.sections.values()) == sections


def test_json_groups_cover_every_finding_once(demo_store):
    from gisplan.demo.run import DEFAULT_DATA_DIR

    r = screen(DEFAULT_DATA_DIR / "sites" / "industrial_park_yanji.geojson", demo_store, industry="化学原料制造")
    v = r.to_dict()["verdict"]
    seen = sorted(i for g in v["groups"] for i in g["findings"] + g["folded"])
    assert seen == list(range(len(v["findings"])))
    for g in v["groups"]:
        assert set(g) == {"key", "label", "worst", "counts", "findings", "folded"}
        assert all(v["findings"][i]["decision"] == d for d, n in g["counts"].items() for i in g["findings"]
                   if v["findings"][i]["decision"] == d)
    for d in ("prohibited", "restricted", "review", "allowed"):
        assert sum(g["counts"][d] for g in v["groups"]) == v["counts"][d]
    assert v["groups"][0]["worst"] == v["overall"]


# ----------------------------------------------------------------------------- industry


def test_words_matching_several_catalogue_items_show_the_candidates():
    m = match_industry("化工")
    want = {e.code for e in industries() if e.scheme == "eia2021"
            and ("化工" in e.name or any("化工" in a.split("@")[0] for a in e.aliases))}
    cands = industry_candidates(m)
    assert len(want) == 4 and {c["code"] for c in cands} == want
    assert [c["code"] for c in cands if c["chosen"]] == [m.industry.code]
    assert all(set(c) == {"code", "name", "catalogue_item", "chosen"} for c in cands)
    assert industry_candidates(match_industry("EIA2021-44")) == [] and industry_candidates(match_industry("C26")) == []
    assert industry_candidates(match_industry("光伏发电")) == []


def test_suggest_is_a_type_ahead_over_the_catalogue():
    first = suggest("化工")[0]
    assert first["code"] == "EIA2021-44" and first["matched_by"] == "alias" and first["label"].startswith("名录第44项 ")
    assert [s["catalogue_item"] for s in suggest("名录第130项")] == [130]
    road = suggest("公路", limit=20)
    assert road[0]["code"] == "EIA2021-130" and len(suggest("公路", limit=1)) == 1
    assert all(s["scheme"] in ("eia2021", "gisplan") for s in suggest("房地产", catalogue_only=True))
    assert any(s["scheme"].startswith("gb4754") for s in suggest("房地产"))
    assert suggest("") == [] and suggest("   ") == []
    assert suggest("完全不存在的行业名称") == []


def test_cli_and_json_say_the_words_matched_several(store_path, site_file, tmp_path):
    r = CliRunner().invoke(main, ["screen", str(site_file(INSIDE)), "--store", str(store_path), "--industry", "化工",
                                  "--json", str(tmp_path / "r.json")])
    assert r.exit_code == 0, r.output + r.stderr
    lines = [line for line in r.output.splitlines() if "还可对应" in line]
    assert len(lines) == 1 and all(c in lines[0] for c in ("EIA2021-42", "EIA2021-70", "EIA2021-138"))
    ind = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["verdict"]["industry"]
    assert ind["code"] == "EIA2021-44" and len(ind["candidates"]) == 4


# ----------------------------------------------------------------------------- project form


def test_project_form_through_the_api(store_path):
    r = screen(INSIDE, store_path, project_name="  延吉某  项目 ", builder="延吉市某公司", project_code="2020-222401-26-01-000001",
               construction_nature="技术改造")
    p = r.to_dict()["project"]
    assert p["name"] == "延吉某 项目" and p["builder"] == "延吉市某公司" and p["project_code"] == "2020-222401-26-01-000001"
    assert (p["construction_nature"], p["construction_nature_label"]) == ("renovation", "技术改造")
    assert not any("project code" in w for w in r.warnings)
    odd = screen(INSIDE, store_path, project_code="延发改〔2020〕12号")
    assert odd.project["project_code"] == "延发改〔2020〕12号" and any("project code" in w for w in odd.warnings)
    none = screen(INSIDE, store_path).to_dict()["project"]
    assert none["builder"] is None and none["construction_nature"] is None and none["name"] == none["site_name"]
    with pytest.raises(InputError, match="construction_nature"):
        screen(INSIDE, store_path, construction_nature="乱建")
    with pytest.raises(InputError, match="builder"):
        screen(INSIDE, store_path, builder=123)


def test_project_form_through_the_cli(store_path, site_file, tmp_path):
    args = ["screen", str(site_file(INSIDE)), "--store", str(store_path), "--project-name", "延吉某项目",
            "--builder", "延吉市某公司", "--project-code", "2020-222401-26-01-000001", "--construction-nature", "expansion",
            "--json", str(tmp_path / "r.json"), "--xlsx", str(tmp_path / "r.xlsx")]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output + r.stderr
    assert "建设单位 延吉市某公司；项目代码 2020-222401-26-01-000001；建设性质 扩建" in r.output
    p = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["project"]
    assert (p["name"], p["construction_nature"], p["construction_nature_label"]) == ("延吉某项目", "expansion", "扩建")
    cells = {row[0]: row[1] for row in openpyxl.load_workbook(tmp_path / "r.xlsx")["项目概况"].iter_rows(values_only=True)}
    assert cells["项目名称"] == "延吉某项目" and cells["建设单位"] == "延吉市某公司"
    bad = CliRunner().invoke(main, ["screen", str(site_file(INSIDE)), "--store", str(store_path),
                                    "--construction-nature", "乱建"])
    assert bad.exit_code == 2 and bad.stderr.count("\n") == 1 and "--construction-nature" in bad.stderr


# ----------------------------------------------------------------------------- crossings


def test_crossing_table_of_a_road_through_the_redline(store_path, tmp_path):
    road = shapely.LineString([(129.40, 42.835), (129.47, 42.835)])  # across the fixture redline (lon 129.41-129.46)
    r = screen(road, store_path, width=20.0)
    r.to_docx(tmp_path / "r.docx")
    r.to_xlsx(tmp_path / "r.xlsx")
    t = next(t for t in docx.Document(tmp_path / "r.docx").tables if t.rows[0].cells[0].text == "序号")
    rows = [[c.text for c in row.cells] for row in t.rows[1:]]
    (entry, exit_) = [row for row in rows if row[2].startswith(("入点", "出点"))][:2]
    e, n = TO_GK.transform(129.41, 42.835)
    assert entry[3] == f"{n:.3f}" and entry[4] == f"{e:.3f}"  # X northing, Y easting
    assert entry[5] == "129.410000" and entry[6] == "42.835000" and exit_[5] == "129.460000"
    _, _, inside = GEOD.inv(129.41, 42.835, 129.46, 42.835)
    assert entry[7] == f"{inside:,.1f}" and exit_[7] == ""
    assert "测试水源涵养生态保护红线" in entry[1]
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx")["线性工程穿越生态保护红线及保护区情况"]
    first = [c.value for c in ws[2]]
    assert first[3] == pytest.approx(n, abs=1e-6) and first[4] == pytest.approx(e, abs=1e-6)
    assert first[7] == pytest.approx(inside, rel=1e-6)
    assert "X 为北坐标" in "\n".join(p.text for p in docx.Document(tmp_path / "r.docx").paragraphs)


def test_batch_reports_take_the_form_from_fields(store_path, tmp_path):
    import geopandas as gpd

    sites = gpd.GeoDataFrame({"site_id": ["A1", "B2"], "XMMC": ["甲项目", "乙项目"], "JSDW": ["甲公司", None],
                              "XZ": ["新建", "迁建"]}, geometry=[INSIDE, PARTIAL], crs="EPSG:4490")
    path = tmp_path / "sites.geojson"
    sites.to_file(path)
    args = ["batch", str(path), "--store", str(store_path), "--id-field", "site_id", "--out", str(tmp_path / "b.csv"),
            "--report-dir", str(tmp_path / "reports"), "--no-progress", "--project-name-field", "XMMC",
            "--builder-field", "JSDW", "--construction-nature-field", "XZ"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output + r.stderr
    first = {row.cells[0].text: row.cells[1].text for row in docx.Document(tmp_path / "reports" / "A1.docx").tables[0].rows}
    assert (first["项目名称"], first["建设单位"], first["建设性质"]) == ("甲项目", "甲公司", "新建")
    second = {row.cells[0].text: row.cells[1].text for row in docx.Document(tmp_path / "reports" / "B2.docx").tables[0].rows}
    assert (second["项目名称"], second["建设单位"], second["建设性质"]) == ("乙项目", "—", "迁建")
    sites.loc[1, "XZ"] = "乱建"
    sites.to_file(path)
    bad = CliRunner().invoke(main, args)
    assert bad.exit_code == 2 and "site B2" in bad.stderr and bad.stderr.count("\n") == 1
    no_dir = CliRunner().invoke(main, args[:8] + ["--builder-field", "JSDW"])
    assert no_dir.exit_code == 2 and "need --report-dir" in no_dir.stderr


def test_a_zone_whose_rules_do_not_apply_is_not_said_to_comply(store_path):
    result = screen(INSIDE, store_path)
    only = [{"id": "x", "kind": "eco_redline", "name": "某红线", "zone": "redline", "decision": "not_applicable",
             "rule": "不适用的规则"}]
    d = docx_report(dataclasses.replace(result, verdict=dict(result.verdict.to_dict(), findings=only, overall="allowed")))
    comp = next(t for t in d.tables if t.rows[0].cells[0].text == "三线一单")
    assert comp.rows[1].cells[2].text == "不适用"
    text = "\n".join(c.text for t in d.tables for row in t.rows for c in row.cells)
    assert "not_applicable" not in text and "不适用的规则" not in text


def test_batch_deciding_cell_of_a_site_outside_the_data_is_words_not_an_id(store_path, tmp_path):
    import geopandas as gpd
    import pandas as pd

    sites = tmp_path / "sites.geojson"
    gpd.GeoDataFrame({"sid": ["beijing", "inside"]}, geometry=[BEIJING, INSIDE], crs="EPSG:4490").to_file(sites)
    out = tmp_path / "b.csv"
    r = CliRunner().invoke(main, ["batch", str(sites), "--store", str(store_path), "--id-field", "sid",
                                  "--industry", "公路", "--out", str(out)])
    assert r.exit_code == 0, r.output + r.stderr
    table = pd.read_csv(out, encoding="utf-8-sig").set_index("sid")
    assert table.loc["beijing", "verdict"] == "review"
    # the finding has no citation: the cell carries its words (what the single report says), not "coverage:outside"
    assert table.loc["beijing", "deciding"].startswith("选址全部位于本系统环境管控单元数据范围外")
    single = screen(BEIJING, store_path, industry="公路")
    assert table.loc["beijing", "deciding"] == next(f["rule"] for f in single.verdict["findings"]
                                                    if f["id"] in single.verdict["deciding"])
