"""The reviewer's page (issue 21), driven in Chromium at 1440x900 and 390x844.

Playwright from pip drives Debian's Chromium (``executable_path``; nothing
downloads a browser). A real ``gisplan serve`` runs on a loopback port per
module (and one per tile basemap). Screenshots are written to
``$GISPLAN_SHOTS`` when set (to look at them), else to a temporary folder.
"""

from __future__ import annotations

import json
import math
import os
import re
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from _page_words import english_words, has_cjk
from _serve_helpers import CHROMIUM, CHROMIUM_ARGS, REPO, Server, have_browser, local_client
from _site_fixtures import BAD_SITE_CASES, make_table_no_prefix, make_table_two_points, shapefile_parts, zip_files
from _tile_fixtures import magenta_blobs, nearest, tiles_for, write_mbtiles, write_pmtiles

pytestmark = pytest.mark.skipif(not have_browser(), reason="needs the playwright package and /usr/bin/chromium")

SITES = REPO / "data" / "sites"
PARK = SITES / "industrial_park_yanji.geojson"
ROAD = SITES / "road_corridor_helong.geojson"
BORDER = SITES / "border_site_dunhua.geojson"
FARMLAND = SITES / "farmland_housing_longjing.geojson"
DESK, PHONE = {"width": 1440, "height": 900}, {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def server(demo_store, tmp_path_factory):
    srv = Server(demo_store, tmp_path_factory.mktemp("page") / "data", extra=["--max-upload-mb", "1"])
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("GISPLAN_SHOTS") or tmp_path_factory.mktemp("shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture()
def open_page(browser):
    """``open_page(url, viewport)`` -> a page in a new context (Asia/Shanghai time), no script errors allowed."""
    contexts, errors = [], []

    def make(url: str, viewport=DESK, lang: str = "zh"):
        phone = viewport["width"] < 500
        context = browser.new_context(viewport=viewport, accept_downloads=True, timezone_id="Asia/Shanghai",
                                      is_mobile=phone, has_touch=phone)
        context.add_init_script(f"localStorage.setItem('gisplan.lang', '{lang}')")
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(f"{e} {e.stack}"))
        page.goto(url + "/")
        page.wait_for_selector("#page-screen:not([hidden])")
        page.wait_for_function("() => window.L && MAP.map && MAP.ready")
        return page

    yield make
    for c in contexts:
        c.close()
    assert errors == []


def _screen(page, path, timeout=30_000, **fields):
    """Choose ``path``, fill ``fields`` (element id -> value) and screen; wait for the new verdict."""
    page.evaluate("() => { const r = document.querySelector('#result'); r.hidden = true; r.replaceChildren(); }")
    page.set_input_files("#file", str(path))
    for key, value in fields.items():
        if page.locator(f"select#{key}").count():
            page.select_option(f"#{key}", value)
        else:
            page.fill(f"#{key}", str(value))
    page.click("#screen")
    page.wait_for_selector("#result:not([hidden]) #verdict", timeout=timeout)


def _switch(page, lang: str) -> None:
    if page.get_attribute("html", "lang").startswith("zh") != (lang == "zh"):
        page.click("#lang")
    page.wait_for_function(f"() => document.documentElement.lang.startsWith('{lang}')")


# --------------------------------------------------------------------------- 1. the page's own words


def _error_cases(tmp_path: Path) -> list[tuple[str, Path | None, dict, str]]:
    """(name, file, fields, expected code): every kind of error the page can show, made for real."""
    shp = BAD_SITE_CASES["shapefile_no_prj"](tmp_path / "shapefile_no_prj")  # uploaded zipped, as the page asks
    no_prj = zip_files(tmp_path / "shapefile_no_prj" / "用地红线.zip", {p.name: p for p in shapefile_parts(shp)})
    cases = [("shapefile_no_prj", no_prj, {}, "crs_no_prj")]
    cases += [(case, BAD_SITE_CASES[case](tmp_path / case), {}, code) for case, code in (
        ("projected_as_lonlat", "crs_projected_read_as_lonlat"),
        ("swapped_latlon", "crs_latlon_swapped"), ("outside_china_russia", "site_outside_china"),
        ("empty_file", "file_empty"), ("garbage_zip", "zip_not_readable"), ("zip_slip", "zip_refused"),
        ("zip_bomb", "zip_too_big"), ("kml_xxe", "kml_xxe"), ("garbage_kml", "kml_bad_xml"),
        ("gpkg_several_layers", "layers_several"), ("zip_several_shapefiles", "zip_several"),
        ("missing_shx", "shx_missing"), ("non_spatial_csv", "table_no_columns"), ("nan_coordinate", "site_nan"),
        ("null_geometries", "no_geometry_features"),
    )]
    for name, make, code in (("no_prefix", make_table_no_prefix, "crs_gk_no_zone"),
                             ("two_points", make_table_two_points, "table_ring_points")):
        (tmp_path / name).mkdir()
        cases.append((name, make(tmp_path / name), {}, code))
    odd = tmp_path / "odd"
    odd.mkdir()
    dwg = odd / "总平面图.dxf"
    dwg.write_bytes(b"AC1027" + b"\x00" * 200)
    txt = odd / "说明.doc"
    txt.write_text("选址说明", encoding="utf-8")
    big = odd / "big.geojson"
    big.write_bytes(b'{"type": "FeatureCollection", "features": []}' + b" " * (1_400_000))
    bad_crs = PARK
    cases += [
        ("dwg", dwg, {}, "dxf_dwg"), ("txt", txt, {}, "file_unsupported"), ("too_large", big, {}, "upload_too_large"),
        ("crs_unknown", bad_crs, {"crs_other": "EPSG:99999"}, "crs_unknown"),
        ("point_without_radius", BAD_SITE_CASES["point_without_radius"](tmp_path / "pt"), {"screen": True}, "radius_missing"),
        ("line_without_width", BAD_SITE_CASES["line_without_width"](tmp_path / "ln"), {"screen": True}, "width_missing"),
        ("industry_unknown", PARK, {"screen": True, "industry": "完全不存在的行业名称"}, "industry_unknown"),
    ]
    return cases


@pytest.fixture()
def error_cases(tmp_path):
    for sub in ("pt", "ln", *BAD_SITE_CASES):
        (tmp_path / sub).mkdir(exist_ok=True)
    return _error_cases(tmp_path)


def test_every_error_the_page_shows_is_in_the_pages_language(server, open_page, error_cases):
    """Each refusal is shown in Chinese with no English word (codes, units and file names aside), and in
    English after the switch; fields are the page's, files as the user named them."""
    page = open_page(server.url)
    seen = set()
    for name, path, fields, code in error_cases:
        page.evaluate("() => showError(null)")
        page.fill("#industry", fields.get("industry", ""))
        if "crs_other" in fields:
            page.select_option("#source_crs", "__other")
            page.fill("#crs_other", fields["crs_other"])
        else:
            page.select_option("#source_crs", "")
        page.set_input_files("#file", str(path))
        page.click("#screen" if fields.get("screen") else "#read")
        page.wait_for_function("() => document.querySelector('#error').textContent.length > 0", timeout=30_000)
        got = page.get_attribute("#error", "data-code")
        zh = page.inner_text("#error")
        assert got == code, (name, got, zh)
        names = (path.name, "red_line", "alternatives", "alternative", "../evil.shp", "'../evil.shp'", "EPSG:99999")
        assert english_words(zh, names) == [], (name, zh)
        assert "`" not in zh and "--" not in zh
        assert "source_crs" not in zh and "radius" not in zh and "width" not in zh
        _switch(page, "en")
        en = page.inner_text("#error")
        assert en and not has_cjk(en, names + ("完全不存在的行业名称",)), (name, en)
        _switch(page, "zh")
        assert page.inner_text("#error") == zh
        seen.add(code)
    assert len(seen) == len(error_cases)
    # the example: the field and the choice as the page names them
    page.set_input_files("#file", str(dict((c[0], c[1]) for c in error_cases)["projected_as_lonlat"]))
    page.click("#read")
    page.wait_for_function("() => document.querySelector('#error').textContent.length > 0")
    assert "请在“坐标系”中选择“CGCS2000 3度带 第42带”" in page.inner_text("#error")
    # a file as the user named it, never the server's generated name
    page.set_input_files("#file", str(dict((c[0], c[1]) for c in error_cases)["garbage_zip"]))
    page.click("#read")
    page.wait_for_function("() => document.querySelector('#error').dataset.code === 'zip_not_readable'")
    assert re.search(r"[0-9a-f]{16}", page.inner_text("#error")) is None


def test_the_pages_own_messages_and_a_stale_page_in_both_languages(server, open_page):
    page = open_page(server.url)
    assert page.is_disabled("#read") and page.is_disabled("#screen")  # nothing chosen yet
    page.evaluate("() => readSite()")
    assert page.get_attribute("#error", "data-code") == "drop_file"
    assert page.inner_text("#error") == "请先选择、绘制或粘贴选址。"
    page.click("#paste-box summary")
    page.click("#paste-use")
    assert page.inner_text("#error") == "请先粘贴拐点坐标。"
    page.evaluate("() => { state.csrf = 'stale'; }")  # an expired page
    page.set_input_files("#file", str(PARK))
    page.click("#read")
    page.wait_for_function("() => document.querySelector('#error').dataset.code === 'csrf'")
    assert page.inner_text("#error") == "页面已过期，请刷新页面后重试。"
    _switch(page, "en")
    assert page.inner_text("#error") == "The page has expired; reload it and try again."


# --------------------------------------------------------------------------- 2. the project form, the record


def test_the_project_form_goes_into_the_record_which_finds_it_and_reopens_it(server, open_page, shots):
    page = open_page(server.url)
    page.fill("#project_name", "延吉化工新材料项目")
    page.fill("#builder", "延边某某化工有限公司")
    page.fill("#project_code", "2024-222401-26-01-000123")
    page.select_option("#construction_nature", "expansion")
    page.type("#industry", "化工", delay=30)
    page.wait_for_selector("#industry-list:not([hidden]) li[data-code]")
    items = page.locator("#industry-list li[data-code]")
    assert items.count() >= 2 and "名录第" in items.first.inner_text()  # catalogue items with their numbers
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    chosen = page.inner_text("#industry-chosen")
    code = re.search(r"EIA2021-\d+", chosen).group(0)
    assert chosen.startswith("已选：名录第")
    _screen(page, PARK)
    result = page.inner_text("#result")
    assert "延吉化工新材料项目" in result and "延边某某化工有限公司" in result and "2024-222401-26-01-000123" in result
    inputs = page.inner_text("#inputs")
    assert code in inputs and "名录第" in inputs and "扩建" in inputs and "5000 米" in inputs
    assert "demo_yanbian.gpkg" in inputs  # the store version it used
    page.screenshot(path=str(shots / "desk_result_form.png"), full_page=True)
    sid = page.inner_text("#project-info").split("编号")[1].split("·")[0].strip()
    with local_client(server) as c:
        entry = c.get(f"/api/screenings/{sid}").json()
    assert entry["result"]["project"]["builder"] == "延边某某化工有限公司"  # in the JSON, beside the old keys
    assert entry["result"]["project"]["construction_nature"] == "expansion"
    assert entry["params"]["project_code"] == "2024-222401-26-01-000123"
    unit = entry["result"]["control_units"][0]["code"]
    verdict = entry["result"]["verdict"]["overall"]
    # the record: searched by builder, project code, unit code, industry, verdict; local time; decisions in words
    page.click("#tabs button[data-tab='record']")
    for q in ("某某化工", "2024-222401-26-01-000123", unit, code):
        page.fill("#record-q", q)
        page.click("#record-search button[type=submit]")
        page.wait_for_selector(f"#record-table tr[data-id='{sid}']")
    page.fill("#record-q", "没有这样的建设单位")
    page.click("#record-search button[type=submit]")
    page.wait_for_selector("#record-empty:not([hidden])")
    page.fill("#record-q", "某某化工")
    page.select_option("#record-verdict", verdict)
    page.click("#record-search button[type=submit]")
    row = page.wait_for_selector(f"#record-table tr[data-id='{sid}']")
    from gisplan.labels import DECISION_LABELS

    cells = row.query_selector_all("td")
    assert cells[5].inner_text() == DECISION_LABELS["zh"][verdict]  # 结论 in Chinese words, not the code
    shown = datetime.strptime(cells[0].inner_text(), "%Y-%m-%d %H:%M:%S")
    utc = datetime.fromisoformat(entry["created_at"])
    assert shown == (utc + timedelta(hours=8)).replace(tzinfo=None)  # Asia/Shanghai local time, not UTC
    assert "UTC" not in page.inner_text("#record-table thead")
    # the local day picks it; the day before does not
    local_day = shown.date().isoformat()
    page.fill("#record-from", local_day)
    page.fill("#record-to", local_day)
    page.click("#record-search button[type=submit]")
    page.wait_for_selector(f"#record-table tr[data-id='{sid}']")
    page.fill("#record-to", (shown.date() - timedelta(days=1)).isoformat())
    page.fill("#record-from", "")
    page.click("#record-search button[type=submit]")
    page.wait_for_selector(f"#record-table tr[data-id='{sid}']", state="detached")
    page.fill("#record-to", "")
    page.click("#record-search button[type=submit]")
    # reopened: its form filled and its site on the map
    page.evaluate("() => { document.querySelector('#project_name').value = ''; }")  # the reopening fills it
    page.click(f"#record-table button[data-open='{sid}']")
    page.wait_for_selector("#page-screen:not([hidden]) #verdict")
    page.wait_for_selector("#map path.site-line")
    assert page.input_value("#project_name") == "延吉化工新材料项目"
    assert page.input_value("#builder") == "延边某某化工有限公司"
    assert page.input_value("#construction_nature") == "expansion"
    assert page.input_value("#industry").startswith(code)


def test_words_that_match_several_industries_show_the_candidates(server, open_page):
    page = open_page(server.url)
    _screen(page, PARK, industry="化工")
    page.wait_for_selector("#candidates:not([hidden]) button[data-candidate]")
    taken = re.search(r"EIA2021-\d+", page.inner_text("#inputs")).group(0)
    other = page.locator("#candidates button[data-candidate]").first
    other_code = other.get_attribute("data-candidate")
    assert other_code != taken and "名录第" in page.inner_text("#candidates")
    assert "按“化工”匹配" in page.inner_text("#inputs")  # says the words picked it
    other.click()  # screened again with that item
    page.wait_for_function(f"() => document.querySelector('#inputs') && document.querySelector('#inputs').textContent.includes('{other_code}')",
                           timeout=30_000)


# --------------------------------------------------------------------------- 3. a refusal where the data stops


def test_a_site_outside_the_data_is_refused_at_the_top_in_red_and_a_partial_one_says_how_much(server, open_page, tmp_path):
    page = open_page(server.url)
    beijing = tmp_path / "北京选址.geojson"
    beijing.write_text(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [[[116.30, 39.90], [116.32, 39.90], [116.32, 39.92],
                                                         [116.30, 39.92], [116.30, 39.90]]]}}]}), encoding="utf-8")
    _screen(page, beijing)
    banner = page.locator("#result > :first-child")
    assert banner.get_attribute("id") == "coverage" and banner.get_attribute("data-coverage") == "outside"
    assert banner.inner_text().startswith("选址不在本系统数据范围")
    colour = page.eval_on_selector("#coverage", "e => getComputedStyle(e).color")
    r, g, b = (int(v) for v in re.findall(r"\d+", colour)[:3])
    assert r > 120 and g < 60 and b < 60  # red
    assert page.locator("#coverage").bounding_box()["y"] < page.locator("#verdict").bounding_box()["y"]
    outside = _last_result(server)
    assert outside["coverage"]["status"] == "outside" and outside["verdict"]["overall"] == "review"  # the JSON
    assert outside["coverage"]["extent_label"] in banner.inner_text()
    # no review verdict for it: the page says no verdict is given, in both languages
    assert page.get_attribute("#verdict", "data-verdict") == "outside"
    assert page.inner_text("#verdict") == "筛查结论：数据范围外，不作判定" and "需人工核对" not in page.inner_text("#verdict")
    assert "按管控单元类别" not in page.inner_text("#result")  # no table of zeros under the refusal
    _switch(page, "en")
    assert "no verdict" in page.inner_text("#verdict") and "review" not in page.inner_text("#verdict")
    _switch(page, "zh")
    # the record lists it so too, and finds it by that verdict and those words
    with local_client(server) as c:
        listed = c.get("/api/screenings", params={"limit": 1}).json()["screenings"][0]
        assert listed["verdict"] == "outside"
        found = c.get("/api/screenings", params={"verdict": "outside"}).json()["screenings"]
        assert listed["id"] in [s["id"] for s in found] and all(s["verdict"] == "outside" for s in found)
        assert listed["id"] in [s["id"] for s in c.get("/api/screenings", params={"q": "数据范围外"}).json()["screenings"]]
        assert listed["id"] not in [s["id"] for s in c.get("/api/screenings", params={"verdict": "review"}).json()["screenings"]]
    page.click("#tabs button[data-tab='record']")
    page.wait_for_selector(f"#record-table tr[data-id='{listed['id']}']")
    assert page.inner_text(f"#record-table tr[data-id='{listed['id']}'] td[data-verdict]") == "数据范围外，不作判定"
    page.click("#tabs button[data-tab='screen']")
    _screen(page, BORDER)
    banner = page.locator("#coverage")
    assert banner.get_attribute("data-coverage") == "partial"
    coverage = _last_result(server)["coverage"]
    text = banner.inner_text()
    assert f"{coverage['outside_m2'] / 1e4:,.4f}" in text and f"{100 * coverage['outside_share']:.1f}%" in text
    assert coverage["extent_label"] in text and page.get_attribute("#verdict", "data-verdict") != "outside"
    # a store without control units: where its data stops is unknown (the verdict stays review and says why)
    page.evaluate("""() => { const e = JSON.parse(JSON.stringify(state.current));
      e.result.coverage = {status: 'unknown', outside_m2: null, outside_share: null, extent_label: '库内环境管控单元范围'};
      showResult(e, false); }""")
    assert page.get_attribute("#coverage", "data-coverage") == "unknown"
    assert page.inner_text("#coverage").startswith("本系统没有环境管控单元数据")


# --------------------------------------------------------------------------- 4. findings a reviewer can act on


def _last_result(server) -> dict:
    with local_client(server) as c:
        sid = c.get("/api/screenings", params={"limit": 1}).json()["screenings"][0]["id"]
        return c.get(f"/api/screenings/{sid}").json()["result"]


def test_findings_are_grouped_with_counts_strictest_first(server, open_page):
    """The page shows ``verdict.groups`` as gisplan.finding_groups made them: their order, counts and folds."""
    page = open_page(server.url)
    _screen(page, PARK, industry="C26")
    verdict = _last_result(server)["verdict"]
    groups = page.locator("#findings section.group")
    keys = [g.get_attribute("data-group") for g in groups.all()]
    assert keys == [g["key"] for g in verdict["groups"]] and "spatial_layout" in keys
    chips = page.locator("#findings > .counts .chip").all_inner_texts()
    assert sum(int(x.split()[-1]) for x in chips) == len(verdict["findings"]) == sum(verdict["counts"].values())
    order = ["prohibited", "restricted", "review", "allowed"]
    for g, data in zip(groups.all(), verdict["groups"]):
        decisions = [d.get_attribute("data-decision") for d in g.locator(":scope > .finding").all()]
        assert decisions == sorted(decisions, key=order.index)  # strictest first in every group
        assert len(decisions) == len(data["findings"]) and "not_applicable" not in decisions
        folded = g.locator("details.na .finding")
        assert folded.count() == len(data["folded"])
        assert all(d == "not_applicable" for d in (x.get_attribute("data-decision") for x in folded.all()))
    assert groups.first.locator(".finding").first.get_attribute("data-decision") == "prohibited"


def test_not_applicable_rows_are_folded_and_follow_ups_shown_in_both_languages(server, open_page, shots):
    """A real road through the redline: the restriction's follow-up shown, the clauses that do not apply folded
    (closed, counted apart), headings in the page's language."""
    from gisplan.finding_groups import group_label

    page = open_page(server.url)
    _screen(page, ROAD, width=50, industry="公路")
    verdict = _last_result(server)["verdict"]
    follow = [f["follow_up"] for f in verdict["findings"] if f.get("follow_up") and f["decision"] != "not_applicable"]
    assert follow
    shown = page.locator("#findings [data-follow-up]").all_inner_texts()
    assert [t.split("：", 1)[1] for t in shown] == follow
    folds = page.locator("#findings details.na")
    n_folded = sum(len(g["folded"]) for g in verdict["groups"])
    assert n_folded and folds.count() == sum(1 for g in verdict["groups"] if g["folded"])
    assert not any(d.evaluate("d => d.open") for d in folds.all())
    assert not any(x.is_visible() for x in page.locator("#findings details.na .finding").all())  # folded away
    first_fold = next(g for g in verdict["groups"] if g["folded"])
    assert f"不适用的条款 {len(first_fold['folded'])} 条" in folds.first.inner_text()
    assert page.locator("#findings section.group h4 span").first.inner_text() == group_label(verdict["groups"][0]["key"])
    page.locator("#findings").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "findings_road_zh.png"), full_page=True)
    _switch(page, "en")
    headings = page.locator("#findings section.group h4 > span:first-child").all_inner_texts()
    assert [h.lower() for h in headings] == [group_label(g["key"], "en") for g in verdict["groups"]]
    assert all(h[0].isupper() for h in headings)
    assert f"{len(first_fold['folded'])} clauses not applicable" in page.locator("details.na").first.inner_text()
    page.screenshot(path=str(shots / "findings_road_en.png"), full_page=True)
    _switch(page, "zh")


def test_a_road_shows_where_it_enters_and_leaves_the_redline(server, open_page):
    page = open_page(server.url)
    _screen(page, ROAD, width=50)
    with local_client(server) as c:
        sid = c.get("/api/screenings", params={"limit": 1}).json()["screenings"][0]["id"]
        crossing = c.get(f"/api/screenings/{sid}").json()["result"]["crossings"][0]
    text = page.inner_text("#result")
    assert "线路进出生态保护红线、保护区的位置" in text
    assert f"X {crossing['entry']['x_northing']:,.3f}" in text and f"Y {crossing['exit']['y_easting']:,.3f}" in text
    assert f"{crossing['entry']['lon']:.6f}" in text and f"{crossing['length_m']:,.1f}" in text


def test_the_embedded_map_loaded_in_a_hidden_tab_fits_the_site_once_shown(server, open_page):
    """A map that loads while its tab is hidden (no size) waits, then fits the site when shown: no NaN view."""
    with local_client(server) as c:
        r = c.post("/api/screen", files={"file": (PARK.name, PARK.read_bytes())})
        sid, bounds = r.json()["id"], r.json()["project"]["bounds"]
    page = open_page(server.url)
    page.evaluate("""sid => { const d = document.createElement('div'); d.id = 'hidden-frame'; d.hidden = true;
      d.append(Object.assign(document.createElement('iframe'), {src: `/api/screenings/${sid}/map.html?lang=zh`,
                                                                  style: 'width: 600px; height: 400px'}));
      document.body.append(d); }""", sid)
    frame = page.frame_locator("#hidden-frame iframe")
    page.wait_for_function("() => { const w = document.querySelector('#hidden-frame iframe').contentWindow; "
                           "return w && w.L && w.document.readyState === 'complete'; }")
    page.wait_for_timeout(400)  # the map's script ran with no size
    page.evaluate("() => { document.querySelector('#hidden-frame').hidden = false; }")
    view = page.wait_for_function("""() => { const w = document.querySelector('#hidden-frame iframe').contentWindow;
      const name = Object.keys(w).find(k => /^map_[0-9a-f]+$/.test(k)); const m = w[name];
      if (!m || !m.getSize().x) return null; const b = m.getBounds();
      return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth(), m.getZoom()]; }""", timeout=10_000).json_value()
    x0, y0, x1, y1, zoom = view
    assert all(math.isfinite(v) for v in view) and zoom > 8
    assert x0 <= bounds[0] and y0 <= bounds[1] and x1 >= bounds[2] and y1 >= bounds[3]  # the site is in view
    assert frame.locator(".leaflet-container").count() == 1


def test_clicking_a_control_unit_opens_its_card(server, open_page):
    page = open_page(server.url)
    page.evaluate("() => MAP.map.setView([42.8915, 129.6305], 14, {animate: false})")  # the industrial park's unit
    page.wait_for_timeout(300)
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    card = page.wait_for_selector("#unit-card:not([hidden])")
    text = card.inner_text()
    assert "ZH22240120004" in text and "重点管控单元" in text and "延吉市" in text
    for dim in ("空间布局约束", "污染物排放管控", "环境风险防控", "资源开发效率要求"):
        assert dim in text
    with local_client(server) as c:
        unit = c.get("/api/units/ZH22240120004").json()
        assert c.get("/api/units/ZH99999999999").status_code == 404
    assert len(unit["clauses"]) == 4
    assert sum(len(d["clauses"]) for d in unit["clauses"]) == page.locator("#unit-card li").count()
    _switch(page, "en")
    assert "spatial layout constraints" in page.inner_text("#unit-card")


# --------------------------------------------------------------------------- 5. a phone, the keyboard, drawing


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate("innerWidth")


def test_a_phone_has_no_sideways_scroll_the_map_and_a_readable_verdict(server, open_page, shots):
    page = open_page(server.url, PHONE)
    _no_sideways_scroll(page)
    box = page.locator("#map").bounding_box()
    assert box["width"] >= 340 and box["height"] >= 250  # the map is there
    assert box["y"] < 2 * PHONE["height"]  # right after the site card, not below the forms
    page.screenshot(path=str(shots / "phone_start.png"))
    _screen(page, ROAD, width=50)
    _no_sideways_scroll(page)
    verdict = page.locator("#verdict").bounding_box()
    assert verdict["width"] >= 320 and verdict["height"] < 80  # one or two lines, not a character a line
    for sel in (".finding", "#inputs", "#findings .counts"):
        assert page.locator(sel).first.bounding_box()["width"] >= 300, sel
    page.screenshot(path=str(shots / "phone_result.png"), full_page=True)
    _switch(page, "en")
    _no_sideways_scroll(page)
    page.click("#tabs button[data-tab='record']")
    page.wait_for_selector("#record-table tbody tr")
    _no_sideways_scroll(page)  # the wide table scrolls in its own box
    page.screenshot(path=str(shots / "phone_record_en.png"))


def test_drawing_with_mouse_and_keyboard(server, open_page):
    page = open_page(server.url)
    page.evaluate("() => MAP.map.setView([42.90, 129.55], 13, {animate: false})")
    box = page.locator("#map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    # the coordinate readout follows the mouse
    page.mouse.move(cx, cy)
    readout = page.inner_text("#readout")
    lon, lat = (float(v) for v in re.findall(r"\d+\.\d{6}", readout)[:2])
    assert abs(lon - 129.55) < 0.01 and abs(lat - 42.90) < 0.01 and "CGCS2000" in readout
    page.click("button[data-draw='polygon']")
    page.mouse.click(cx - 60, cy - 40)
    page.mouse.click(cx + 60, cy - 40)
    page.click("#draw-finish")  # two vertices: too few for a polygon
    assert page.get_attribute("#error", "data-code") == "too_few"
    assert "面至少需要 3 个顶点，现在只有 2 个" in page.inner_text("#error")
    page.mouse.click(cx + 60, cy + 40)
    page.mouse.dblclick(cx - 60, cy + 40)  # the fourth vertex and done: a double-click adds one vertex, not two
    assert page.evaluate("() => MAP.drawn && MAP.drawn.points.length") == 4
    assert page.inner_text("#site-chosen").endswith("绘制的选址")
    drawn = json.loads(page.evaluate("() => state.site.text()"))
    ring = drawn["features"][0]["geometry"]["coordinates"][0]
    assert len(ring) == 5 and ring[0] == ring[-1]
    # undo the last vertex (Backspace): drawing again, three left; Enter finishes
    page.keyboard.press("Backspace")
    assert page.evaluate("() => MAP.draw.points.length") == 3
    page.keyboard.press("Enter")
    assert page.evaluate("() => MAP.drawn.points.length") == 3
    # drag a vertex: the site follows
    before = json.loads(page.evaluate("() => state.site.text()"))["features"][0]["geometry"]["coordinates"][0]
    vertex = page.locator(".vertex").first.bounding_box()
    page.mouse.move(vertex["x"] + 6, vertex["y"] + 6)
    page.mouse.down()
    page.mouse.move(vertex["x"] + 46, vertex["y"] + 26, steps=5)
    page.mouse.up()
    after = json.loads(page.evaluate("() => state.site.text()"))["features"][0]["geometry"]["coordinates"][0]
    assert after[0] != before[0] and after[1:3] == before[1:3]
    # Esc cancels a shape being drawn
    page.click("button[data-draw='line']")
    page.mouse.click(cx, cy)
    page.keyboard.press("Escape")
    assert page.evaluate("() => MAP.draw") is None
    # the keyboard alone: focus the map, Space adds a vertex at the cross, arrows move the map, Enter finishes
    page.click("button[data-draw='line']")
    page.focus("#map")
    page.keyboard.press("Space")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.wait_for_timeout(400)
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    line = json.loads(page.evaluate("() => state.site.text()"))["features"][0]["geometry"]
    assert line["type"] == "LineString" and len(line["coordinates"]) == 2
    assert line["coordinates"][1][0] > line["coordinates"][0][0]  # moved east
    assert page.input_value("#width") == "50"


# --------------------------------------------------------------------------- 6. English everywhere


def test_the_english_switch_reaches_everything_the_embedded_map_included(server, open_page, shots):
    page = open_page(server.url)
    _screen(page, ROAD, width=50, industry="EIA2021-130")
    page.screenshot(path=str(shots / "desk_result_zh.png"), full_page=True)
    _switch(page, "en")
    page.screenshot(path=str(shots / "desk_result_en.png"), full_page=True)
    for sel in ("#inputs dt", "#understood-lines b", "#result h3", ".map-legend", "#site-card h2", "#options-card"):
        text = " ".join(page.locator(sel).all_inner_texts())
        assert not has_cjk(text), (sel, text)
    assert page.inner_text("#verdict").startswith("Verdict:")
    frame = page.frame_locator("iframe.resultmap")
    frame.locator(".gisplan-legend summary").wait_for(timeout=30_000)
    assert frame.locator(".gisplan-legend summary").inner_text() == "Legend"
    frame.locator(".leaflet-control-layers").hover()
    names = frame.locator(".leaflet-control-layers-overlays").inner_text()
    assert "Environmental control unit" in names and not has_cjk(names)
    # the three control lines: the road crosses the redline, the nearest farmland and urban zone in words
    lines = page.locator("#three-lines + .scroll table tbody tr").all_inner_texts()
    assert lines[0].startswith("ecological redline\tpartly inside") and "ecological redline" in lines[0].split("\t")[-1]
    assert "outside (nearest 2.5 km south-east of the site)" in lines[1]
    assert "outside (nearest 1.5 km north of the site)" in lines[2]
    assert not has_cjk(" ".join(lines)), lines
    _switch(page, "zh")
    lines = page.locator("#three-lines + .scroll table tbody tr").all_inner_texts()
    assert "位于其外（最近处位于项目东南侧 2.5 km）" in lines[1] and "最近处位于项目北侧 1.5 km" in lines[2]
    assert english_words(" ".join(lines)) == [], lines
    frame = page.frame_locator("iframe.resultmap")
    frame.locator(".gisplan-legend summary").wait_for(timeout=30_000)
    assert frame.locator(".gisplan-legend summary").inner_text() == "图例"


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["desk", "phone"])
def test_the_three_lines_table_and_the_maps_new_layers_follow_the_switch(server, open_page, shots, viewport):
    """Issue 26's table and map layers under the switch: Chinese words only in Chinese, English words only in
    English (the demo farmland site lies in basic farmland, outside the redline and the urban boundary)."""
    tag = "desk" if viewport is DESK else "phone"
    page = open_page(server.url, viewport)
    _screen(page, FARMLAND)
    table = "#three-lines + .scroll table"
    rows = page.locator(f"{table} tbody tr")
    assert rows.count() == 3
    farm = rows.nth(1).inner_text()
    assert farm.startswith("永久基本农田") and "位于其内" in farm and "公顷" in farm
    assert "位于其外（搜索距离内无）" in rows.nth(2).inner_text()  # outside the boundary, none within 5 km
    zh = page.inner_text("#three-lines") + page.inner_text(table)
    assert english_words(zh) == [], zh
    frame = page.frame_locator("iframe.resultmap")
    frame.locator(".gisplan-legend summary").wait_for(timeout=30_000)
    assert "永久基本农田" in frame.locator(".gisplan-legend").text_content()
    if tag == "desk":
        frame.locator(".leaflet-control-layers").hover()
        assert "永久基本农田" in frame.locator(".leaflet-control-layers-overlays").inner_text()
    page.locator("#three-lines").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"{tag}_farmland_zh.png"), full_page=True)
    _switch(page, "en")
    rows = page.locator(f"{table} tbody tr")
    farm = rows.nth(1).inner_text()
    assert farm.startswith("permanent basic farmland") and "inside" in farm and "ha" in farm
    assert "dry land" in farm or "paddy field" in farm or "irrigated land" in farm  # the land class in words
    assert "outside (none within the search distance)" in rows.nth(2).inner_text()
    en = page.inner_text("#three-lines") + page.inner_text(table)
    assert page.inner_text("#three-lines") == "The three control lines" and not has_cjk(en), en
    frame = page.frame_locator("iframe.resultmap")
    frame.locator(".gisplan-legend summary").wait_for(timeout=30_000)
    assert frame.locator(".gisplan-legend summary").inner_text() == "Legend"
    legend = frame.locator(".gisplan-legend").text_content()
    assert "Permanent basic farmland" in legend and not has_cjk(legend), legend
    if tag == "desk":
        frame.locator(".leaflet-control-layers").hover()
        names = frame.locator(".leaflet-control-layers-overlays").inner_text()
        assert "Permanent basic farmland" in names and not has_cjk(names), names
    else:
        _no_sideways_scroll(page)
    page.screenshot(path=str(shots / f"{tag}_farmland_en.png"), full_page=True)


def test_layer_switcher_legend_and_scale_keep_clear_of_the_drawing(server, open_page, shots):
    page = open_page(server.url)
    m = page.locator("#map").bounding_box()
    legend = page.locator("#map-legend").bounding_box()
    assert legend["y"] >= m["y"] + m["height"]  # the legend is under the map, not on it
    layers = page.locator("#map .leaflet-control-layers").bounding_box()
    scale = page.locator("#map .leaflet-control-scale").bounding_box()
    assert layers["width"] * layers["height"] < 0.01 * m["width"] * m["height"]  # a folded button in a corner
    assert scale["width"] * scale["height"] < 0.02 * m["width"] * m["height"]
    # the redline is not green like the priority units (page and embedded map)
    colours = page.evaluate("() => state.labels.colours")
    red = tuple(int(colours["redline"][i:i + 2], 16) for i in (1, 3, 5))
    assert red[0] > 2 * red[1]  # red, where the priority units are green
    strokes = page.eval_on_selector_all("#map path", "ps => ps.map(p => p.getAttribute('stroke'))")
    assert colours["redline"] in strokes
    page.screenshot(path=str(shots / "desk_start.png"))


# --------------------------------------------------------------------------- 7. tile basemaps line up with the zoning


def _marks(lon: float, lat: float) -> list[tuple[float, float]]:
    return [(lon + dx, lat + dy) for dx in (-0.012, 0.0, 0.012) for dy in (-0.008, 0.008)]


@pytest.fixture(scope="module")
def tile_files(tmp_path_factory):
    from gisplan.geo.chinacoords import gcj02_from_cgcs2000

    folder = tmp_path_factory.mktemp("tiles")
    lon, lat = 129.6309, 42.8980
    marks = _marks(lon, lat)
    bounds = (lon - 0.05, lat - 0.04, lon + 0.05, lat + 0.04)
    tiles = tiles_for(bounds, range(11, 16), marks)
    plain = write_mbtiles(folder / "basemap.mbtiles", tiles, bounds)
    shifted = [gcj02_from_cgcs2000(x, y) for x, y in marks]  # where AMap-style imagery shows each point
    gcj = write_pmtiles(folder / "gcj.pmtiles", tiles_for(bounds, range(11, 16), shifted), bounds)
    site = folder / "三角形.geojson"
    tri = [marks[0], marks[3], marks[5], marks[0]]
    site.write_text(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
                                "geometry": {"type": "Polygon", "coordinates": [tri]}}]}), encoding="utf-8")
    return {"mbtiles": plain, "pmtiles": gcj, "site": site, "vertices": tri[:3], "tiles": tiles}


@pytest.mark.parametrize("kind, crs", [("mbtiles", None), ("pmtiles", "gcj02")])
def test_a_tile_basemap_lines_up_with_the_zoning_within_2_px(demo_store, tmp_path, open_page, tile_files, kind, crs,
                                                             shots):
    extra = ["--basemap", str(tile_files[kind])] + (["--basemap-crs", crs] if crs else [])
    with Server(demo_store, tmp_path / "data", extra=extra) as srv:
        page = open_page(srv.url)
        page.set_input_files("#file", str(tile_files["site"]))
        page.click("#read")
        page.wait_for_selector("#map path.site-line")
        page.evaluate("() => MAP.map.setView(MAP.groups.site.getBounds().getCenter(), 14, {animate: false})")
        page.wait_for_function("() => [...document.querySelectorAll('#map .leaflet-tile')].every(t => t.complete) "
                               "&& document.querySelectorAll('#map .leaflet-tile-loaded').length > 0")
        page.wait_for_timeout(300)
        # where the page draws the site's vertices (screen pixels), from its SVG path
        vertices = page.eval_on_selector("#map path.site-line", """p => {
            const m = p.getScreenCTM(), nums = p.getAttribute('d').match(/-?\\d+(\\.\\d+)?/g).map(Number), out = [];
            for (let i = 0; i + 1 < nums.length; i += 2) out.push([m.a * nums[i] + m.c * nums[i + 1] + m.e,
                                                                  m.b * nums[i] + m.d * nums[i + 1] + m.f]);
            return out; }""")
        assert len(vertices) >= 3
        page.screenshot(path=str(shots / f"tiles_{kind}.png"))
        # the tiles alone: hide the overlays, find the magenta marks
        page.add_style_tag(content=".leaflet-overlay-pane, .leaflet-marker-pane { visibility: hidden !important; }")
        page.wait_for_timeout(100)
        from PIL import Image
        import io

        png = page.screenshot()
        img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
        blobs = magenta_blobs(img)
        assert len(blobs) >= 5
        for v in vertices[:3]:
            assert nearest(blobs, v) <= 2.0, (kind, v, blobs)
        if kind == "mbtiles":
            _tiles_reach_the_png_and_the_docx(srv, tile_files)


def _tiles_reach_the_png_and_the_docx(srv, tile_files) -> None:
    """The server serves the file's tiles as written, and draws them under the PNG map and the DOCX figure."""
    import io
    import zipfile

    from PIL import Image

    with local_client(srv) as c:
        (z, x, y), data = next(iter(tile_files["tiles"].items()))
        got = c.get(f"/api/basemap/tiles/{z}/{x}/{y}")
        assert got.status_code == 200 and got.content == data and got.headers["content-type"] == "image/png"
        assert c.get("/api/basemap/tiles/3/0/0").status_code == 404
        r = c.post("/api/screen", files={"file": (tile_files["site"].name, tile_files["site"].read_bytes())})
        sid = r.json()["id"]
        pdf = c.get(f"/api/screenings/{sid}/report.pdf").content  # first: it draws the map the others share
        png = c.get(f"/api/screenings/{sid}/report.png").content
        docx = c.get(f"/api/screenings/{sid}/report.docx").content
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    assert len(magenta_blobs(pixels)) >= 3
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        figure = [n for n in z.namelist() if n.startswith("word/media/") and n.endswith(".png")]
        assert figure and z.read(figure[0]) == png  # the DOCX figure is that very map
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) > 2 and "项目概况" in reader.pages[0].extract_text().replace("\x00", "")  # the whole report, not the map alone
    images = [im for p in reader.pages for im in p.images]
    assert len(images) == 1 and np.array_equal(np.asarray(images[0].image.convert("RGB")), pixels)  # that map again


def test_the_static_map_and_docx_figure_draw_the_same_tiles_in_line(demo_store, tile_files):
    """The PNG map (and so the DOCX figure) over the same tiles: the marks fall where the points are (GK zone)."""
    from gisplan.geo.crs import CGCS2000, transformer
    from gisplan.render.basemap import basemap_spec
    from gisplan.render.static_map import static_map
    from gisplan.screening import screen

    result = screen(str(tile_files["site"]), demo_store)
    for kind, crs in (("mbtiles", None), ("pmtiles", "gcj02")):
        fig = static_map(result, basemap=basemap_spec(str(tile_files[kind]), crs))
        fig.canvas.draw()
        img = np.asarray(fig.canvas.buffer_rgba())
        blobs = magenta_blobs(img)
        ax = fig.axes[0]
        x0, x1 = ax.get_xlim()
        y0, y1 = ax.get_ylim()
        to_gk = transformer(CGCS2000, result.project["gk_crs"])
        errors = []
        for i, (lon, lat) in enumerate(_marks(129.6309, 42.8980)):
            if i in (0, 3, 5):  # the site's corners: its outline is drawn over those marks
                continue
            gx, gy = to_gk.transform(lon, lat)
            if not (x0 < gx < x1 and y0 < gy < y1):
                continue
            px, py = ax.transData.transform((gx, gy))
            errors.append(nearest(blobs, (px, img.shape[0] - py)))
        assert len(errors) == 3 and max(errors) <= 2.0, (kind, errors)  # 2 px at 300 dpi: 0.17 mm


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["desk", "phone"])
def test_the_siting_guidance_box_sits_where_its_table_is_read(server, open_page, shots, viewport):
    """On a desk the totals go under the map (the wide column: every verdict column shown); on a phone right
    under the 选址引导 button that asked for them."""
    page = open_page(server.url, viewport)
    page.fill("#industry", "公路")
    page.keyboard.press("Escape")
    page.click("#guide")
    page.wait_for_selector("#guide-box:not([hidden]) table", timeout=120_000)
    box = page.locator("#guide-box").bounding_box()
    options = page.locator("#options-card").bounding_box()
    if viewport is DESK:
        assert box["x"] > options["x"] + options["width"]  # the right column
        assert box["y"] > page.locator("#map").bounding_box()["y"]  # under the map
        fits = page.evaluate("() => { const s = document.querySelector('#guide-box .scroll');"
                             " return s.scrollWidth <= s.clientWidth; }")
        assert fits  # every column visible, nothing to scroll
    else:
        assert 0 <= box["y"] - (options["y"] + options["height"]) < 40  # the next card after the button's
        _no_sideways_scroll(page)
    page.screenshot(path=str(shots / f"guide_{'desk' if viewport is DESK else 'phone'}.png"), full_page=True)
