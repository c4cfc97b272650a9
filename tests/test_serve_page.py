"""The reviewer's page, driven by Playwright with Debian's Chromium (no browser download)."""

from __future__ import annotations

import pytest

from _serve_helpers import CHROMIUM, CHROMIUM_ARGS, REPO, Server, have_browser

pytestmark = pytest.mark.skipif(not have_browser(), reason="needs the playwright package and /usr/bin/chromium")

SITE = REPO / "data" / "sites" / "industrial_park_yanji.geojson"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(demo_store, tmp_path_factory):
    srv = Server(demo_store, tmp_path_factory.mktemp("pserve") / "data")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert errors == []


def test_upload_screen_see_verdict_and_map_and_download_the_docx(server, page, tmp_path):
    import docx

    page.goto(server.url + "/")
    page.wait_for_selector("#page-screen:not([hidden])")
    assert page.inner_text("h1") == "三线一单选址筛查"  # Chinese by default
    page.set_input_files("#file", str(SITE))
    page.fill("#industry", "C26")
    page.click("#screen")
    page.wait_for_selector("#understood:not([hidden])")
    assert "GeoJSON" in page.inner_text("#understood-lines")
    verdict = page.wait_for_selector("#verdict", timeout=30_000)
    assert verdict.get_attribute("data-verdict") == "prohibited"
    assert "禁止" in verdict.inner_text()
    assert "ZH22240120004" in page.inner_text("#result")  # the unit the park lies in
    # the interactive map (as --html-map) in its frame, with the site drawn
    frame = page.frame_locator("iframe.resultmap")
    frame.locator(".leaflet-container").wait_for(timeout=30_000)
    assert frame.locator("path.leaflet-interactive").count() > 0
    with page.expect_download(timeout=30_000) as dl:
        page.click("a[data-download='report.docx']")
    path = tmp_path / "report.docx"
    dl.value.save_as(path)
    text = "\n".join(p.text for p in docx.Document(path).paragraphs)
    assert "延吉市产业园区扩建项目" in text
    # the record lists it, and reopening shows the same verdict
    page.click("#tabs button[data-tab='record']")
    row = page.wait_for_selector("#record-table tbody tr")
    assert "延吉市产业园区扩建项目" in row.inner_text()
    page.fill("#record-q", "没有这个项目")
    page.click("#record-search button[type=submit]")
    page.wait_for_selector("#record-table tbody tr", state="detached")
    page.fill("#record-q", "产业园区")
    page.click("#record-search button[type=submit]")
    page.click("#record-table button[data-open]")
    assert page.wait_for_selector("#verdict").get_attribute("data-verdict") == "prohibited"
    # English switch
    page.click("#lang")
    assert page.inner_text("h1").startswith("Three-lines")
    assert "prohibited" in page.inner_text("#verdict")


def test_draw_a_polygon_and_screen_it(server, page):
    page.goto(server.url + "/")
    page.wait_for_selector("#page-screen:not([hidden])")
    page.wait_for_selector("#map .leaflet-interactive")  # the backdrop of control units has loaded
    page.click("button[data-draw='polygon']")
    box = page.locator("#map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in ((-30, -20), (30, -20), (30, 20), (-30, 20)):
        page.mouse.click(cx + dx, cy + dy)
    page.click("#draw-finish")
    assert page.inner_text("#site-chosen").endswith("绘制的选址")
    page.click("#screen")
    verdict = page.wait_for_selector("#verdict", timeout=30_000)
    assert verdict.get_attribute("data-verdict") in ("review", "restricted", "prohibited", "allowed")
    assert "Polygon" not in page.inner_text("#error")
    assert "1 polygon" in page.inner_text("#understood-lines")
