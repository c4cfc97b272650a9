"""DOCX and XLSX reports: the EIA tables, the figure, the footer, zh/en, both verdict shapes, CLI and batch."""

from __future__ import annotations

import dataclasses

import docx
import geopandas as gpd
import openpyxl
import pytest
import shapely
from click.testing import CliRunner

from gisplan import __version__
from gisplan.cli import main
from gisplan.render.docx_report import docx_report, write_docx
from gisplan.render.eia_tables import eia_tables
from gisplan.render.xlsx_report import write_xlsx
from gisplan.screening import screen

# across units A (priority) and B (general) of the fixture store, cutting the redline's east edge
SITE = shapely.box(129.45, 42.82, 129.55, 42.84)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def result(store_path):
    return screen(SITE, store_path, buffer=10000.0)


@pytest.fixture(scope="module")
def doc(result):
    return docx_report(result)


def table_with_header(document, first: str):
    for t in document.tables:
        if t.rows[0].cells[0].text == first:
            return t
    raise AssertionError(f"no table headed {first!r}: {[t.rows[0].cells[0].text for t in document.tables]}")


def body(table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows[1:]]


def test_unit_table_prints_the_results_numbers(result, doc):
    assert len(result.control_units) == 2 and len(result.hits) >= 1
    t = table_with_header(doc, "单元编码")
    assert [c.text for c in t.rows[0].cells] == [
        "单元编码", "单元名称", "管控类别", "所在区县", "占用面积 (ha，椭球面)", "占用面积 (ha，高斯平面)", "占项目面积比例"]
    rows = body(t)
    for (_, u), row in zip(result.control_units.iterrows(), rows):
        assert row[0] == u["code"] and row[1] == u["name"] and row[2] == u["category_label"]
        assert row[4] == f"{u['overlap_m2'] / 1e4:.4f}"
        assert row[5] == f"{u['overlap_gk_m2'] / 1e4:.4f}"
        assert row[6] == f"{u['share_of_project']:.2%}"
    total = rows[-1]
    assert total[0] == "合计" and total[4] == f"{result.control_units['overlap_m2'].sum() / 1e4:.4f}"


def test_site_summary_has_both_areas_crs_and_how_read(result, doc):
    rows = {r[0]: r[1] for r in body(table_with_header(doc, "项目"))}
    p = result.project
    assert rows["占地面积（椭球面）"].startswith(f"{p['area_m2'] / 1e4:.4f} ha") and f"{p['area_m2']:,.2f} m²" in rows["占地面积（椭球面）"]
    assert rows[f"占地面积（高斯平面，{p['gk_crs']}）"].startswith(f"{p['area_gk_m2'] / 1e4:.4f} ha")
    assert result.site.crs_note.startswith("--source-crs")  # the library's note (English, names the API option) ...
    assert rows["坐标读取方式"] == "程序传入的几何图形，按指定的坐标系读取"  # ... in the report's words
    assert rows["坐标系"] == "CGCS2000 地理坐标（经纬度，EPSG:4490）"
    lon, lat = p["centroid"]
    assert f"东经 {lon:.6f}°" in rows["位置"] and f"北纬 {lat:.6f}°" in rows["位置"]


def test_three_eia_layouts(result, doc):
    comp = table_with_header(doc, "三线一单")
    assert [c.text for c in comp.rows[0].cells] == ["三线一单", "本项目情况", "相符性"]
    rows = body(comp)
    assert [r[0] for r in rows] == ["生态保护红线", "环境质量底线", "资源利用上线", "生态环境准入清单"]
    red = result.hits[result.hits["kind"] == "eco_redline"].iloc[0]
    assert red["name"] in rows[0][1] and f"{red['overlap_m2'] / 1e4:.4f} ha" in rows[0][1]
    assert rows[0][2] != "相符" and rows[0][2] in {"不相符", "需人工核对", "禁止准入（不相符）", "限制准入（有条件相符）"}
    pos = table_with_header(doc, "名称")
    assert [c.text for c in pos.rows[0].cells] == ["名称", "类型", "主导功能", "级别/分区", "方位", "最近距离 (m)", "与项目位置关系"]
    printed = [r[6] for r in body(pos)]
    assert len(result.nearby) and all(p in printed for p in result.nearby["position"])
    near = result.nearby.iloc[0]
    assert any(r[6] == near["position"] and r[5] == f"{near['distance_m']:,.0f}" for r in body(pos))
    clauses = table_with_header(doc, "准入要求（条款及依据）")
    assert [c.text for c in clauses.rows[0].cells] == ["准入要求（条款及依据）", "本项目情况", "是否适用 / 相符性"]
    hits = table_with_header(doc, "类型")
    assert {r[1] for r in body(hits)} == set(result.hits["name"])


def test_figure_footer_and_cjk_fonts(result, doc):
    assert len(doc.inline_shapes) == 1
    blip = doc.inline_shapes[0]._inline.graphic.graphicData.pic.blipFill.blip
    assert doc.part.related_parts[blip.embed].blob.startswith(PNG_MAGIC)
    footer = "\n".join(p.text for p in doc.sections[0].footer.paragraphs)
    assert f"gisplan {__version__}" in footer and "周边搜索距离 10000 m" in footer and "buffer_m" not in footer
    assert result.generated_at[:7] in footer  # the date (Beijing time: the day may be the next)
    sources = {r[0]: r[1] for t in doc.tables for r in body(t) if r[0].startswith("图层：")}
    assert set(sources) == {f"图层：{label}" for label in ("环境管控单元", "生态保护红线", "自然保护地", "饮用水水源保护区")}
    for version in result.store_info["layers"].values():
        assert f"{version.split()[0]} 个要素" in "".join(sources.values())
    texts = [p.text for p in doc.paragraphs]
    assert any("与“三线一单”符合性分析" in t for t in texts)
    run = table_with_header(doc, "单元编码").rows[1].cells[1].paragraphs[0].runs[0]
    fonts = run._r.rPr.find(docx.oxml.ns.qn("w:rFonts"))
    assert fonts.get(docx.oxml.ns.qn("w:eastAsia")) == "宋体"
    font_table = next(r.target_part for r in doc.part.rels.values() if r.reltype.endswith("/fontTable")).blob.decode("utf-8")
    assert 'w:name="宋体"' in font_table and "Noto Serif CJK SC" in font_table


def test_english_report(result):
    doc = docx_report(result, lang="en")
    t = table_with_header(doc, "Unit code")
    assert [c.text for c in t.rows[0].cells][:3] == ["Unit code", "Unit name", "Category"]
    comp = table_with_header(doc, "Three lines, one list")
    assert [r[0] for r in body(comp)] == ["Ecological protection redline", "Environmental quality baseline",
                                          "Resource-use upper limit", "Ecological-environment access list"]
    footer = "\n".join(p.text for p in doc.sections[0].footer.paragraphs)
    assert "parameters: " in footer and "Layer store:" in footer


def test_access_list_verdict_shape_is_rendered_with_citations(result):
    verdict = {"overall": "prohibited", "findings": [
        {"kind": "water_sources", "name": "测试水库水源地", "zone": "level2", "decision": "prohibited",
         "rule": "二级保护区内禁止新建、改建、扩建排放污染物的建设项目", "citation": "《水污染防治法》第六十六条",
         "dimension": "空间布局约束", "unit_code": "ZH22240130001"},
        {"kind": "control_units", "name": "延吉市一般管控单元（测试）", "decision": "review",
         "rule": "执行区域污染物排放总量控制要求", "citation": "延边州生态环境准入清单（示例）"},
    ]}
    doc = docx_report(dataclasses.replace(result, verdict=verdict))
    table = body(table_with_header(doc, "准入要求（条款及依据）"))
    sections = [r[0] for r in table if len(set(r)) == 1]  # merged group headings
    assert sections == ["饮用水水源保护区（禁止准入 1 条）", "准入清单其他要求（需人工核对 1 条）"]
    rows = [r for r in table if len(set(r)) > 1]
    assert len(rows) == 2
    assert "二级保护区内禁止" in rows[0][0] and "《水污染防治法》第六十六条" in rows[0][0]
    assert rows[0][2] == "禁止准入（不相符）" and "单元 ZH22240130001" in rows[0][1]
    assert rows[1][2] == "需人工核对"
    comp = body(table_with_header(doc, "三线一单"))
    assert comp[3][2] == "禁止准入（不相符）"
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "筛查结论：禁止准入（不相符）" in text and "《水污染防治法》第六十六条" in text


def test_xlsx_has_the_same_tables(result, tmp_path):
    path = write_xlsx(result, tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(path)
    tables = eia_tables(result)
    assert wb.sheetnames == [t.title for t in tables]
    ws = wb["项目涉及环境管控单元"]
    assert [c.value for c in ws[1]] == tables[1].columns
    for i, (_, u) in enumerate(result.control_units.iterrows(), start=2):
        assert ws.cell(i, 1).value == u["code"]
        assert ws.cell(i, 5).value == pytest.approx(u["overlap_m2"] / 1e4)
        assert ws.cell(i, 5).number_format == "0.0000" and ws.cell(i, 7).number_format == "0.00%"
    comp = wb["项目与“三线一单”符合性分析"]
    assert [comp.cell(r, 1).value for r in range(2, 6)] == ["生态保护红线", "环境质量底线", "资源利用上线", "生态环境准入清单"]
    last = wb.worksheets[-1]
    assert any(f"gisplan {__version__}" in str(c.value) for c in last["A"])


def test_demo_report_names_the_county(demo_store, tmp_path):
    from gisplan.demo.run import DEFAULT_DATA_DIR

    r = screen(DEFAULT_DATA_DIR / "sites" / "road_corridor_helong.geojson", demo_store, width=60.0)
    assert list(r.county["county"]) == ["和龙市"] and r.county.geometry.iloc[0].area > 0.1
    path = write_docx(r, tmp_path / "road.docx")
    rows = {row[0]: row[1] for row in body(table_with_header(docx.Document(path), "项目"))}
    assert rows["位置"].startswith("和龙市；") and rows["项目范围"] == "线，按宽度 60 m 廊道"
    assert "合成示例" in "\n".join(p.text for p in docx.Document(path).paragraphs)


def test_cli_writes_all_outputs_and_checks_suffixes(store_path, tmp_path, site_file):
    site = site_file(SITE)
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["screen", str(site), "--store", str(store_path), "--quiet", "--json", str(out / "r.json"),
                                  "--docx", str(out / "r.docx"), "--xlsx", str(out / "r.xlsx"),
                                  "--png", str(out / "r.png"), "--pdf", str(out / "r.pdf"), "--lang", "en"])
    assert r.exit_code == 0, r.output + r.stderr
    assert docx.Document(out / "r.docx").tables[0].rows[0].cells[0].text == "Item"
    assert (out / "r.png").read_bytes().startswith(PNG_MAGIC) and (out / "r.pdf").read_bytes().startswith(b"%PDF")
    assert openpyxl.load_workbook(out / "r.xlsx").sheetnames[0] == "Project site"
    bad = CliRunner().invoke(main, ["screen", str(site), "--store", str(store_path), "--docx", str(out / "r.doc")])
    assert bad.exit_code == 2 and "--docx must end in .docx" in bad.stderr


def test_batch_report_dir(store_path, tmp_path):
    sites = gpd.GeoDataFrame({"site_id": ["A/1", "B 2", "bad"]},
                             geometry=[SITE, shapely.box(129.52, 42.90, 129.53, 42.91), shapely.Point(200, 95)], crs="EPSG:4490")
    path = tmp_path / "sites.geojson"
    sites.to_file(path)
    reports = tmp_path / "reports"
    r = CliRunner().invoke(main, ["batch", str(path), "--store", str(store_path), "--id-field", "site_id",
                                  "--out", str(tmp_path / "b.csv"), "--report-dir", str(reports), "--no-progress"])
    assert r.exit_code == 0, r.output + r.stderr
    assert sorted(p.name for p in reports.iterdir()) == ["A_1.docx", "A_1.png", "B_2.docx", "B_2.png"]
    d = docx.Document(reports / "B_2.docx")
    assert body(table_with_header(d, "单元编码"))[0][0] == "ZH22240120001" and len(d.inline_shapes) == 1
