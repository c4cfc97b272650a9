"""Results are plain data (issue 23): ``ScreeningResult.from_dict`` reads back what ``to_dict`` wrote, and every
report drawn from the read-back result equals the original's; warnings are ``GisplanWarning``."""

from __future__ import annotations

import ast
import json
import warnings
from pathlib import Path

import docx
import openpyxl
import pypdfium2
import pytest
import shapely

import gisplan
from gisplan.demo.run import DEFAULT_DATA_DIR, SAMPLE_SITE_PARAMS
from gisplan.errors import GisplanWarning, InputError, StoreError
from gisplan.report import summary_text
from gisplan.result import ScreeningResult
from gisplan.screening import read_result, screen

PACKAGE = Path(gisplan.__file__).resolve().parent
#: Wholly outside the demo store's data (Beijing).
BEIJING = shapely.box(116.30, 39.90, 116.31, 39.91)
CASES = {
    "industrial_park_yanji": (DEFAULT_DATA_DIR / "sites" / "industrial_park_yanji.geojson",
                              SAMPLE_SITE_PARAMS["industrial_park_yanji"]),
    "road_corridor_helong": (DEFAULT_DATA_DIR / "sites" / "road_corridor_helong.geojson",  # a line site: crossings
                             {**SAMPLE_SITE_PARAMS["road_corridor_helong"], "project_name": "和龙市乡村道路改建工程",
                              "builder": "和龙市交通运输局", "construction_nature": "改建"}),
    "quarry_point_antu": (DEFAULT_DATA_DIR / "sites" / "quarry_point_antu.geojson",  # a point site: a disc
                          SAMPLE_SITE_PARAMS["quarry_point_antu"]),
    "border_site_dunhua": (DEFAULT_DATA_DIR / "sites" / "border_site_dunhua.geojson",  # partly outside the data
                           SAMPLE_SITE_PARAMS["border_site_dunhua"]),
    "beijing": (BEIJING, {"industry": "化工"}),  # wholly outside the data
}


def docx_content(path) -> list:
    """Every paragraph, every table cell (row by row) and the footers of a DOCX."""
    d = docx.Document(path)
    return ([p.text for p in d.paragraphs] + [[[c.text for c in row.cells] for row in t.rows] for t in d.tables]
            + [p.text for s in d.sections for p in s.footer.paragraphs] + [d.core_properties.title])


def xlsx_content(path) -> list:
    wb = openpyxl.load_workbook(path)
    return [(ws.title, [list(row) for row in ws.iter_rows(values_only=True)]) for ws in wb.worksheets]


def pdf_text(path) -> str:
    pdf = pypdfium2.PdfDocument(str(path))
    try:
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


@pytest.fixture(scope="module")
def screened(demo_store):
    return {name: screen(site, demo_store, **params) for name, (site, params) in CASES.items()}


def _read_back(result, store):
    """The result through JSON text and back (as a file or a record would carry it)."""
    text = json.dumps(result.to_dict(full=True), ensure_ascii=False)
    return read_result(json.loads(text), store)


def test_the_cases_cover_what_they_claim(screened):
    assert screened["road_corridor_helong"].project["site_kind"] == "line"
    assert screened["road_corridor_helong"].crossings, "the line case must cross a zone"
    assert screened["quarry_point_antu"].project["site_kind"] == "point"
    assert screened["border_site_dunhua"].coverage["status"] == "partial"
    assert screened["beijing"].coverage["status"] == "outside"
    assert screened["industrial_park_yanji"].hit_rows and screened["industrial_park_yanji"].nearby_rows


@pytest.mark.parametrize("name", list(CASES))
def test_json_and_summary_of_the_read_back_result_equal_the_original(screened, demo_store, name):
    result = screened[name]
    back = _read_back(result, demo_store)
    assert back.to_json() == result.to_json()  # byte for byte
    assert back.to_json(full=True) == result.to_json(full=True)  # and reads back again the same
    for lang in ("zh", "en"):
        assert summary_text(back, lang) == summary_text(result, lang)
    assert shapely.equals_exact(back.footprint, result.footprint, tolerance=0.0)
    assert shapely.equals_exact(back.site.geometry, result.site.geometry, tolerance=0.0)
    assert back.site.kind == result.site.kind and back.site.name == result.site.name
    assert len(back.piece_geoms) == len(result.piece_geoms)
    assert all(shapely.equals_exact(a, b, tolerance=0.0) for a, b in zip(back.piece_geoms, result.piece_geoms))
    assert back.by_category == result.by_category and back.verdict.to_dict() == result.verdict.to_dict()


def test_to_dict_keeps_its_keys_and_full_only_adds_the_record(screened):
    result = screened["road_corridor_helong"]
    plain, full = result.to_dict(), result.to_dict(full=True)
    assert list(full) == [*plain, "record"]
    assert {k: v for k, v in full.items() if k != "record"} == plain
    assert full["record"]["version"] == 1 and full["record"]["rows"]["hits"][0]["feature_id"] is not None


@pytest.mark.parametrize("name", ["industrial_park_yanji", "road_corridor_helong", "beijing"])
def test_docx_xlsx_pdf_of_the_read_back_result_equal_the_original(screened, demo_store, tmp_path, name):
    result = screened[name]
    back = _read_back(result, demo_store)
    for tag, r in (("a", result), ("b", back)):
        r.to_docx(tmp_path / f"{tag}.docx")
        r.to_xlsx(tmp_path / f"{tag}.xlsx")
    a, b = docx_content(tmp_path / "a.docx"), docx_content(tmp_path / "b.docx")
    assert any(isinstance(x, list) and x for x in a), "the DOCX has tables"
    assert a == b
    assert xlsx_content(tmp_path / "a.xlsx") == xlsx_content(tmp_path / "b.xlsx")
    if name == "road_corridor_helong":  # the whole report as PDF too (one case: it is the slowest)
        result.to_pdf(tmp_path / "a.pdf")
        back.to_pdf(tmp_path / "b.pdf")
        assert pdf_text(tmp_path / "a.pdf") == pdf_text(tmp_path / "b.pdf")
        assert "穿越" in pdf_text(tmp_path / "b.pdf") or "入" in pdf_text(tmp_path / "b.pdf")


def test_the_store_is_found_by_the_path_the_result_names(screened, demo_store):
    back = read_result(screened["industrial_park_yanji"].to_dict(full=True))  # no store given: the one named
    assert screened["industrial_park_yanji"].store["path"] == str(demo_store)
    assert set(back.context) == set(screened["industrial_park_yanji"].context)
    assert len(back.context["control_units"]) == len(screened["industrial_park_yanji"].context["control_units"])


def test_maps_refuse_without_the_store_and_with_another_store(screened, store_path, tmp_path):
    data = screened["industrial_park_yanji"].to_dict(full=True)
    data["store"]["path"] = str(tmp_path / "gone.gpkg")
    alone = ScreeningResult.from_dict(data)
    assert alone.to_dict(full=True) == data  # the data needs no store
    with pytest.raises(StoreError, match="store"):
        alone.to_png(tmp_path / "m.png")  # never a map without the zones around the site
    with pytest.raises(StoreError, match="layer versions"):
        read_result(data, store_path)  # another store (the fixture store): refused, not drawn over other data


def test_the_json_report_alone_reads_back_its_tables_and_refuses_maps(screened, demo_store, tmp_path):
    result = screened["road_corridor_helong"]
    path = tmp_path / "r.json"
    result.to_json(path)  # as `gisplan screen --json` writes it: no record
    back = ScreeningResult.from_json(path)
    assert back.to_json() == result.to_json()
    assert summary_text(back) == summary_text(result)
    assert not back.has_geometry
    read_result(back, demo_store).to_xlsx(tmp_path / "b.xlsx")  # the tables, with the county names of the store
    result.to_xlsx(tmp_path / "a.xlsx")
    assert xlsx_content(tmp_path / "a.xlsx") == xlsx_content(tmp_path / "b.xlsx")
    with pytest.raises(InputError, match="full=True"):
        back.to_docx(tmp_path / "r.docx")


@pytest.mark.parametrize("bad", [{}, {"project": {}}, [1, 2], {"project": {}, "verdict": "allowed"},
                                 {"project": {}, "verdict": {}, "record": {"version": 99}},
                                 {"project": {}, "verdict": {}, "record": [1]}])
def test_what_is_not_a_report_is_refused_in_one_line(bad):
    with pytest.raises(InputError):
        ScreeningResult.from_dict(bad)


def test_a_damaged_record_is_refused_in_one_line(screened):
    data = screened["industrial_park_yanji"].to_dict(full=True)
    data["record"]["footprint"] = "not base64 WKB!"
    with pytest.raises(InputError, match="damaged") as err:
        ScreeningResult.from_dict(data)
    assert "\n" not in str(err.value)


def test_a_file_that_is_not_json_is_refused(tmp_path):
    (tmp_path / "x.json").write_text("not json", encoding="utf-8")
    with pytest.raises(InputError, match="JSON"):
        ScreeningResult.from_json(tmp_path / "x.json")
    with pytest.raises(InputError, match="cannot read"):
        ScreeningResult.from_json(tmp_path / "missing.json")


# -- warnings -----------------------------------------------------------------------------------------------


def test_gisplan_warning_is_a_user_warning_exported_at_the_top():
    assert issubclass(GisplanWarning, UserWarning) and not issubclass(GisplanWarning, gisplan.GisplanError)
    assert gisplan.GisplanWarning is GisplanWarning and "GisplanWarning" in gisplan.__all__
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn("x", GisplanWarning, stacklevel=1)
    assert caught and caught[0].category is GisplanWarning


def _warn_calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            if name == "warn" and not (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)
                                        and f.value.id in ("logger", "log", "logging")):
                yield node


def _category(call: ast.Call) -> str:
    arg = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "category"), None)
    return ast.unparse(arg) if arg is not None else ""


def test_every_warning_the_library_issues_is_a_gisplan_warning():
    offenders = []
    for file in sorted(PACKAGE.rglob("*.py")):
        for call in _warn_calls(ast.parse(file.read_text(encoding="utf-8"))):
            if not _category(call).endswith("GisplanWarning"):
                offenders.append(f"{file.relative_to(PACKAGE)}:{call.lineno}")
    assert not offenders, f"warnings.warn without category=GisplanWarning: {offenders}"


def test_the_warning_check_finds_what_it_looks_for():
    bad = ast.parse("import warnings\nwarnings.warn('x')\nwarnings.warn('y', UserWarning)\n")
    good = ast.parse("warnings.warn('x', GisplanWarning)\nwarn('y', category=errors.GisplanWarning)\nlogger.warn('z')\n")
    assert [_category(c) for c in _warn_calls(bad)] == ["", "UserWarning"]
    assert [_category(c) for c in _warn_calls(good)] == ["GisplanWarning", "errors.GisplanWarning"]


def test_a_screening_still_collects_its_warnings_as_text(screened):
    outside = screened["beijing"]
    assert outside.warnings and all(isinstance(w, str) for w in outside.warnings)
    assert any("wholly outside" in w for w in outside.warnings)
    assert outside.to_dict()["warnings"] == outside.warnings


def test_maps_and_layers_of_the_read_back_result_equal_the_original(screened, demo_store, tmp_path):
    import re

    import geopandas as gpd
    import pyogrio

    result = screened["industrial_park_yanji"]
    back = _read_back(result, demo_store)
    for tag, r in (("a", result), ("b", back)):
        r.to_png(tmp_path / f"{tag}.png")
        r.to_html(tmp_path / f"{tag}.html")
        r.to_layers(tmp_path / f"{tag}.gpkg")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    ids = re.compile(r"[0-9a-f]{32}")  # folium names its elements at random

    def html(tag):
        return ids.sub("#", (tmp_path / f"{tag}.html").read_text(encoding="utf-8"))

    assert html("a") == html("b")
    for layer in ("site", "pieces", "nearby", "store_context"):
        a, b = (gpd.read_file(tmp_path / f"{t}.gpkg", layer=layer) for t in "ab")
        assert len(a) and a.drop(columns="geometry").equals(b.drop(columns="geometry")), layer
        assert a.geometry.geom_equals_exact(b.geometry, 0).all(), layer
    assert set(pyogrio.list_layers(tmp_path / "a.gpkg")[:, 0]) == set(pyogrio.list_layers(tmp_path / "b.gpkg")[:, 0])
