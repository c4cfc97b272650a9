"""The page's words (gisplan.serve.messages): every library message the page can meet, in Chinese and English.

The library raises its real errors here (the bad-site builders of the site tests
and a few more); each must map to a page message of its own (not the catch-all),
name the page's field rather than an API parameter, show the file as the user
named it, and hold no English word in Chinese (codes, units, formats and file
names aside). The page itself is driven in both languages in test_serve_page.py.
"""

from __future__ import annotations

import re

import pytest

from _page_words import english_words, has_cjk
from _site_fixtures import (
    BAD_SITE_CASES,
    FOOTPRINT_CASES,
    make_table_no_prefix,
    make_table_two_points,
    make_table_bad_cell,
    make_table_mixed_units,
)
from gisplan.errors import GisplanError
from gisplan.serve.messages import MESSAGES, NOTES, crs_choices, crs_note_words, page_message, page_note

#: Names of layers and members inside the fixtures (data, shown as they are).
DATA_NAMES = ("red_line", "alternatives", "alternative", "../evil.shp", "evil.shp", "标注", "红线", "'../evil.shp'")
#: Builders whose input the web page cannot produce (a path, not an upload) or that the server never reads.
NOT_FROM_THE_PAGE = {"missing_file", "directory", "vsicurl_path", "vsizip_path", "http_url"}


def _library_error(path, **options) -> str:
    from gisplan.sites import footprint, read_site

    try:
        site = read_site(path, **options)
        footprint(site)
    except GisplanError as exc:
        return str(exc)
    raise AssertionError(f"{path} was read without an error")


CASES = sorted(set(BAD_SITE_CASES) - NOT_FROM_THE_PAGE)


@pytest.mark.parametrize("case", CASES)
def test_every_bad_site_gets_its_own_page_message_in_both_languages(case, tmp_path):
    path = BAD_SITE_CASES[case](tmp_path)
    text = _library_error(path)
    name = path.name
    words = page_message(text, file=name)
    assert words["code"] not in ("input", "internal"), f"{case}: no page message for {text!r}"
    assert english_words(words["zh"], (name, *DATA_NAMES)) == [], words["zh"]
    assert not has_cjk(words["en"], (name, *DATA_NAMES)), words["en"]
    # the page's fields, never the API's parameter names
    for text_ in (words["zh"], words["en"]):
        assert "`" not in text_ and "--" not in text_ and "source_crs" not in text_, text_
    if case in FOOTPRINT_CASES:
        assert ("点位半径" if "point" in case else "线路宽度") in words["zh"]


@pytest.mark.parametrize("make, code, field", [
    (make_table_no_prefix, "crs_gk_no_zone", "“坐标系”"),
    (make_table_two_points, "table_ring_points", "拐点"),
    (make_table_bad_cell, "table_cell_unreadable", "第"),
    (make_table_mixed_units, "table_mixed_units", "单位不一致"),
])
def test_corner_table_errors_in_the_pages_words(tmp_path, make, code, field):
    path = make(tmp_path)
    words = page_message(_library_error(path), file=path.name)
    assert words["code"] == code
    assert field in words["zh"]
    assert english_words(words["zh"], (path.name, "J1", "J2", "J3", "J4")) == [], words["zh"]


def test_projected_coordinates_name_the_zone_as_the_crs_field_lists_it(tmp_path):
    path = BAD_SITE_CASES["projected_as_lonlat"](tmp_path)
    words = page_message(_library_error(path), file=path.name)
    assert words["code"] == "crs_projected_read_as_lonlat"
    assert "请在“坐标系”中选择“CGCS2000 3度带 第42带”" in words["zh"]  # the issue's own example, zone 42
    zh_labels = {c["zh"] for c in crs_choices()}
    assert "CGCS2000 3度带 第42带" in zh_labels  # and the field offers exactly that choice
    assert "choose “CGCS2000 3-degree GK zone 42”" in words["en"]


def test_a_generated_upload_name_never_reaches_the_page(tmp_path):
    """The server keeps uploads under generated names; the message names the user's file."""
    from gisplan.serve.engine import _guard, _upload_names

    bad = tmp_path / "744844e180c8f250.zip"
    bad.write_bytes(b"this is not a zip")

    def read():
        from gisplan.sites import read_site

        return read_site(str(bad))

    out = _guard(read, _upload_names(str(bad), "用地红线.zip"))
    assert "744844e180c8f250" not in out["error"]
    words = page_message(out["error"], file="用地红线.zip")
    assert words["zh"] == "文件“用地红线.zip”不是有效的 ZIP 压缩包（可能已损坏）。"


@pytest.mark.parametrize("status, text, code", [
    (413, "the upload is larger than the limit of 1 MB (--max-upload-mb)", "upload_too_large"),
    (403, "missing or wrong CSRF token", "csrf"),
    (401, "log in first (or send an API token)", "login_needed"),
    (401, "wrong user name or password", "login_wrong"),
    (429, "too many failed logins; wait a few minutes and try again", "login_blocked"),
    (403, "this screening belongs to another user", "not_yours"),
    (403, "only an admin may do this", "admin_only"),
    (404, "no such screening", "no_screening"),
    (404, "not found", "not_found"),
    (422, "invalid request: radius: Input should be a valid number", "invalid_request"),
    (500, "internal error: KeyError: 'x'", "internal"),
    (504, "the screening took longer than the time limit (120 s)", "time_limit"),
    (400, "the store was being replaced; try again", "store_replaced"),
    (400, "`industry` '化工厂xyz' matches no entry and none is close (`gisplan rules industries` lists them all)",
     "industry_unknown"),
    (400, "`industry` '化' is ambiguous; it begins 12 entries: C26 化学原料", "industry_ambiguous"),
    (400, "unknown coordinate reference system 'EPSG:99999'", "crs_unknown"),
    (400, "`radius` 60000 m is above the 50 km sanity limit", "distance_too_large"),
    (400, "a point site needs `radius` (metres)", "radius_missing"),
    (400, "a line site needs `width` (metres, total corridor width)", "width_missing"),
    (400, "something nobody foresaw happened", "input"),
    (500, "anything at all", "internal"),
])
def test_server_refusals_in_the_pages_words(status, text, code):
    words = page_message(text, status=status, file="site.geojson")
    assert words["code"] == code
    assert english_words(words["zh"], ("site.geojson", "化工厂xyz", "'化工厂xyz'", "EPSG:99999")) == [], words["zh"]
    assert words["zh"] and words["en"]


def test_the_catalogue_itself_speaks_chinese_and_english():
    """Every template, with its placeholders filled by plain values, has no English in zh and no Chinese in en."""
    fields = re.compile(r"\{(\w+)\}")
    for msg in MESSAGES + NOTES:
        zh = fields.sub("1", msg.zh)
        en = fields.sub("1", msg.en)
        assert english_words(zh) == [], (msg.code, zh)
        assert not has_cjk(en), (msg.code, en)


@pytest.mark.parametrize("note, code", [
    ("2 duplicate consecutive point(s) dropped", "note_duplicates"),
    ("1 ring(s) not closed in the table (last point ≠ first): closed them (J1)", "note_unclosed"),
    ("repaired 1 invalid polygon(s) (self-intersections): area 1.0 -> 0.9 m²", "note_repaired"),
    ("--radius ignored: the site has no points", "note_radius_ignored"),
    ("12.50 ha (30.0%) of the site lies outside the store's control units", "note_outside_coverage_part"),
    ("the site lies wholly outside the store's control units (12.50 ha not covered)", "note_outside_coverage_all"),
    ("the store has no eco_redline layer: the verdict is review", "note_no_layer"),
    ("CSV text is not UTF-8: decoded as GB18030 (GBK); pass --encoding to override", "note_gb18030"),
    ("WARNING: EPSG:2360 is on the Xian 1980 datum and no --towgs84 was given: no transformation", "note_legacy_datum"),
    ("raster landcover_demo: 0.00 ha (0.0%) of the site lies outside the raster or on its nodata cells (not counted)",
     "note_raster_outside"),
    ("raster dem: file dem.tif is missing; its statistics are left out", "note_raster_file"),
    ("the store has no control_units layer: unit statistics are empty and the verdict is review", "note_no_layer"),
])
def test_reading_notes_in_the_pages_words(note, code):
    words = page_note(note, file="site.csv")
    assert words["code"] == code
    assert english_words(words["zh"], ("site.csv", "J1", "landcover_demo", "dem")) == [], words["zh"]
    assert "--" not in words["en"] and "`" not in words["en"]


def test_a_note_nobody_foresaw_is_still_chinese_in_chinese():
    words = page_note("a brand new remark about the site")
    assert words["code"] == "note"
    assert english_words(words["zh"]) == []
    assert words["en"] == "a brand new remark about the site"


@pytest.mark.parametrize("note, expected", [
    ("GeoJSON is lon/lat by RFC 7946; read as CGCS2000 (WGS84 and CGCS2000 differ by centimetres)", "GeoJSON 按标准为经纬度"),
    ("zone 42 detected from the easting prefix (42544000.000): EPSG:4530 (CGCS2000 / 3-degree Gauss-Kruger zone 42, "
     "central meridian 126E); X is the northing, Y the easting, reprojected", "由东坐标的带号判断为第42带"),
    ("--source-crs EPSG:4531 (given), reprojected", "按“坐标系”中的选择"),
    ("from the .prj: EPSG:4530 (CGCS2000 / 3-degree Gauss-Kruger zone 42), reprojected", "按.prj 文件注明"),
])
def test_how_the_crs_was_decided_in_the_pages_words(note, expected):
    epsg = re.search(r"EPSG:\d+", note)
    words = crs_note_words(note, epsg.group(0) if epsg and "EPSG:4490" not in note else "EPSG:4490")
    assert expected in words["zh"]
    assert english_words(words["zh"]) == []
    assert not has_cjk(words["en"])


def test_crs_choices_cover_jilins_zones_and_meridians():
    values = {c["value"]: c for c in crs_choices()}
    for zone, epsg in ((41, 4529), (42, 4530), (43, 4531), (44, 4532)):
        assert values[f"EPSG:{epsg}"]["zh"] == f"CGCS2000 3度带 第{zone}带"
    for cm, epsg in ((123, 4550), (126, 4551), (129, 4552), (132, 4553)):
        assert values[f"EPSG:{epsg}"]["zh"] == f"CGCS2000 3度带 中央经线 {cm}°E"
    # the labels agree with pyproj's own names of these systems
    from pyproj import CRS

    assert "zone 43" in CRS.from_epsg(4531).name and "CM 129E" in CRS.from_epsg(4552).name


@pytest.mark.parametrize("form, code, field", [
    ({"construction_nature_value": "重建"}, "form_nature", "“建设性质”"),
    ({"construction_nature_value": "rebuild it"}, "form_nature", "“建设性质”"),
    ({"builder": "某" * 201}, "form_too_long", "“建设单位”"),
    ({"name": "项" * 201}, "form_too_long", "“项目名称”"),
    ({"project_code": "1" * 201}, "form_too_long", "“项目代码”"),
    ({"name": 5}, "form_not_text", "“项目名称”"),
])
def test_project_form_refusals_in_the_pages_words(form, code, field):
    """gisplan.project_info's real refusals (gisplan.screen raises them) name the page's field in both languages."""
    from gisplan.project_info import project_form

    with pytest.raises(GisplanError) as err:
        project_form(**form)
    words = page_message(str(err.value), file="site.geojson")
    assert words["code"] == code and field in words["zh"]
    assert english_words(words["zh"], ("rebuild it",)) == [], words["zh"]
    assert "`" not in words["en"] and "_" not in words["en"] and not has_cjk(words["en"], ("重建",)), words["en"]


def test_a_project_code_of_another_shape_is_a_note_in_the_pages_words():
    from gisplan.project_info import project_form

    _, warnings = project_form(project_code="延发改审批〔2020〕12号")
    words = page_note(warnings[0])
    assert words["code"] == "note_project_code" and "“延发改审批〔2020〕12号”" in words["zh"]
    assert english_words(words["zh"]) == [] and "“Project code”" in words["en"]
