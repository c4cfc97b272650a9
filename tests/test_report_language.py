"""The report a reviewer pastes: every demo DOCX (and its PDF, XLSX) in Chinese, with no internal token.

The demo's sample sites (as `gisplan demo` screens them), a site in Beijing (outside
the demo store) and one with the whole project form are written as DOCX, PDF and
XLSX; their text is read back (python-docx, PDFium, openpyxl) and searched for
internal identifiers (layer kinds, JSON keys, decision codes, rule ids, zone codes)
and for any English word outside a narrow allow-list (codes, units, file names,
EPSG codes, names of coordinate systems and formats).
"""

from __future__ import annotations

import re

import docx
import openpyxl
import pypdfium2
import pytest
import shapely

from gisplan.demo.run import DEFAULT_DATA_DIR, SAMPLE_SITE_PARAMS
from gisplan.render.eia_outputs import write_eia_outputs
from gisplan.result import Finding
from gisplan.screening import screen
from gisplan.vocab import ELEMENT_ZONE_LABELS_ZH, KINDS, LEVEL_LABELS_ZH, ZONE_LABELS_ZH

BEIJING = shapely.box(116.30, 39.90, 116.31, 39.91)
FORM = {"project_name": "和龙市乡村道路改建工程", "builder": "和龙市交通运输局",
        "project_code": "2024-222406-48-01-000123", "construction_nature": "改建", "national_major": False}

#: Words a report may carry although they are Latin letters: units, coordinate systems and formats by their
#: own names, the product's name, single letters (X/Y axes, 129°E, 一级 A 标准) and codes.
_ALLOWED = re.compile(
    r"^(?:ha|m|km|m²|CGCS2000|GRS80|WGS84|GeoJSON|KML|GeoPackage|Shapefile|CAD|DXF|CSV|XLSX|JSON|PDF|PNG|UTM|"
    r"SHA-256|GCJ-02|BD-09|VOCs|GB|gisplan|[A-Z]|"
    r"EPSG:\d+|ZH\d{11}-?|YS\d{12}|EIA2021-\d{1,3}|[A-Z]\d{2,4}|[0-9a-f]{12}|"
    r"[\w\-]+\.(?:geojson|gpkg|json|csv|xlsx|zip|kml|kmz|dxf|shp))$"
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_\-:.²]*[A-Za-z0-9²]|[A-Za-z]")


def _internal_tokens(results) -> set[str]:
    """Identifiers of gisplan's data a human report must never show."""
    tokens = set(KINDS) | {"access_list", "coverage", "not_applicable", "prohibited", "restricted", "review",
                           "allowed", "buffer_m", "radius_m", "width_m", "source_crs", "national_major", "industry",
                           "overlap_m2", "redline", "unzoned", "dimension", "rule_id"}
    tokens |= {f.name for f in Finding.__dataclass_fields__.values()} - {"id", "name", "zone", "kind", "rule", "tier"}
    tokens |= set(ZONE_LABELS_ZH) | set(LEVEL_LABELS_ZH) | {z for zones in ELEMENT_ZONE_LABELS_ZH.values() for z in zones}
    for r in results:
        for f in r.verdict.findings:
            tokens |= {t for t in (f.id, f.extra.get("rule_id")) if t}
    return {t for t in tokens if len(t) > 2}


def _check(text: str, what: str, tokens: set[str], allowed_names: set[str]) -> None:
    for token in sorted(tokens):
        assert not re.search(rf"(?<![A-Za-z0-9_]){re.escape(token)}(?![A-Za-z0-9_])", text), f"{what}: internal token {token!r}"
    english = [w for w in _WORD.findall(text) if not _ALLOWED.match(w) and w not in allowed_names]
    assert not english, f"{what}: English words {sorted(set(english))[:20]}"


def docx_text(path) -> str:
    d = docx.Document(path)
    parts = [p.text for p in d.paragraphs] + [d.core_properties.title or ""]
    parts += [c.text for t in d.tables for row in t.rows for c in row.cells]
    parts += [p.text for s in d.sections for p in s.footer.paragraphs]
    return "\n".join(parts)


def pdf_text(path) -> str:
    pdf = pypdfium2.PdfDocument(str(path))
    try:
        text = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()
    return re.sub(r"(?<=[:\-])\r?\n", "", text)  # a code the layout broke after its colon or hyphen, joined


def xlsx_text(path) -> str:
    wb = openpyxl.load_workbook(path)
    return "\n".join([ws.title for ws in wb.worksheets] + [str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
                                                            for c in row if isinstance(c, str)])


@pytest.fixture(scope="module")
def reports(demo_store, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    made = {}
    cases = {stem: (DEFAULT_DATA_DIR / "sites" / f"{stem}.geojson", params) for stem, params in SAMPLE_SITE_PARAMS.items()}
    cases["beijing"] = (BEIJING, {"industry": "化工"})
    cases["road_form"] = (DEFAULT_DATA_DIR / "sites" / "road_corridor_helong.geojson",
                          {**SAMPLE_SITE_PARAMS["road_corridor_helong"], **FORM})
    for stem, (site, params) in cases.items():
        result = screen(site, demo_store, **params)
        write_eia_outputs(result, docx=out / f"{stem}.docx", pdf=out / f"{stem}.pdf", xlsx=out / f"{stem}.xlsx")
        made[stem] = result
    return out, made


def test_no_internal_token_and_no_english_in_any_report(reports):
    out, results = reports
    tokens = _internal_tokens(results.values())
    rasters = {r["name"] for res in results.values() for r in res.rasters}  # names the user gave at import
    assert len(list(out.glob("*.docx"))) == len(SAMPLE_SITE_PARAMS) + 2
    for stem in results:
        for path, read in ((out / f"{stem}.docx", docx_text), (out / f"{stem}.pdf", pdf_text),
                           (out / f"{stem}.xlsx", xlsx_text)):
            text = read(path)
            assert "三线一单" in text, path.name
            _check(text, path.name, tokens, rasters)


def test_the_check_catches_what_it_looks_for(reports):
    _, results = reports
    tokens = _internal_tokens(results.values())
    with pytest.raises(AssertionError, match="internal token 'access_list'"):
        _check("access_list，吉林省", "x", tokens, set())
    with pytest.raises(AssertionError, match="English words"):
        _check("数据来源：synthetic data", "x", tokens, set())
    _check("EPSG:4552 中央经线 129°E，48.4576 ha，ZH22240610007，road_corridor_helong.geojson", "x", tokens, set())


def test_the_project_form_is_in_table_1_of_every_output(reports):
    out, results = reports
    rows = {r.cells[0].text: r.cells[1].text for r in docx.Document(out / "road_form.docx").tables[0].rows}
    assert rows["项目名称"] == "和龙市乡村道路改建工程" and rows["建设单位"] == "和龙市交通运输局"
    assert rows["项目代码"] == "2024-222406-48-01-000123" and rows["建设性质"] == "改建" and rows["国家重大项目"] == "否"
    assert "名录第130项" in rows["建设项目行业类别"]
    pdf = pdf_text(out / "road_form.pdf")
    assert all(v in pdf for v in ("和龙市交通运输局", "2024-222406-48-01-000123"))
    ws = openpyxl.load_workbook(out / "road_form.xlsx")["项目概况"]
    cells = {r[0]: r[1] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert cells["建设单位"] == "和龙市交通运输局" and cells["建设性质"] == "改建"
    unnamed = {r.cells[0].text: r.cells[1].text for r in docx.Document(out / "road_corridor_helong.docx").tables[0].rows}
    assert unnamed["建设单位"] == "—" and unnamed["国家重大项目"].startswith("未说明")


def test_quality_row_names_the_element_zones_it_used(reports):
    """表3 does not say the air/water zones were left out when the element-zone table lists them."""
    out, results = reports
    d = docx.Document(out / "industrial_park_yanji.docx")
    comp = next(t for t in d.tables if t.rows[0].cells[0].text == "三线一单")
    quality = comp.rows[2].cells[1].text
    assert "未纳入" not in quality
    for r in results["industrial_park_yanji"].element_rows:
        if r["kind"] in ("air_zones", "water_zones", "soil_zones"):
            assert r["zone_label"] in quality
    titles = [p.text for p in d.paragraphs]
    assert any("项目所在要素分区" in t for t in titles)


def test_the_pdf_is_the_whole_report_with_cjk_fonts_embedded(reports):
    from pypdf import PdfReader

    out, _ = reports
    doc_titles = [p.text.split("  ", 1)[1] for p in docx.Document(out / "road_form.docx").paragraphs
                  if re.match(r"^表 \d+  ", p.text)]
    pdf = pdf_text(out / "road_form.pdf")
    assert len(doc_titles) >= 9 and all(t in pdf for t in doc_titles)  # every table of the DOCX, in the PDF
    assert "图 1" in pdf and "和龙市乡村道路改建工程与“三线一单”符合性分析" in pdf
    reader = PdfReader(out / "road_form.pdf")
    assert len(reader.pages) >= 3 and any("/XObject" in p["/Resources"] for p in reader.pages)  # the map
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[font["/BaseFont"]] = font
    assert fonts and all("CJK" in name for name in fonts)
    for name, font in fonts.items():
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), f"{name} not embedded"
        assert re.match(r"^/[A-Z]{6}\+", name), f"{name} is not a subset"
