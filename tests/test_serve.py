"""``gisplan serve`` through HTTP and the page: a real uvicorn on a free loopback port (no --users: one local user).

The page is driven by Playwright with Debian's Chromium (``executable_path``; no browser download).
"""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone

import geopandas as gpd
import httpx
import pytest

from _serve_helpers import CHROMIUM, CHROMIUM_ARGS, REPO, Server, have_browser, local_client, serve_env
from _site_fixtures import make_kml_billion_laughs, make_zip_slip
from conftest import geod_area, rel

SITE = REPO / "data" / "sites" / "industrial_park_yanji.geojson"
ROAD = REPO / "data" / "sites" / "road_corridor_helong.geojson"
needs_browser = pytest.mark.skipif(not have_browser(), reason="needs the playwright package and /usr/bin/chromium")


@pytest.fixture(scope="module")
def server(demo_store, tmp_path_factory):
    srv = Server(demo_store, tmp_path_factory.mktemp("serve") / "data")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def screened(server):
    """One screening of the industrial-park sample (industry C26), as the API answered it."""
    with local_client(server) as c:
        r = c.post("/api/screen", files={"file": (SITE.name, SITE.read_bytes())}, data={"industry": "C26"})
    assert r.status_code == 200, r.text
    return r.json()


def _strip(d: dict) -> dict:
    d = json.loads(json.dumps(d))
    d.pop("generated_at", None)
    d.pop("id", None)
    d["project"].pop("source", None)
    d.pop("store", None)
    return d


def test_screen_returns_the_engine_json_plus_id(screened, demo_store):
    from gisplan.screening import screen

    assert len(screened["id"]) == 16
    expected = screen(str(SITE), demo_store, industry="C26").to_dict()
    assert _strip(screened) == _strip(expected)
    # no server path in the answer: the client's file name and the store's name only
    assert screened["project"]["source"] == SITE.name
    assert screened["store"]["path"] == demo_store.name
    assert len(screened["store"]["sha256"]) == 64
    assert screened["verdict"]["overall"] == "prohibited"  # C26 chemicals in Yanji's built-up area (demo list)


def test_screen_area_matches_an_independent_geodesic_area(screened):
    geom = gpd.read_file(SITE).geometry.union_all()
    assert rel(screened["project"]["area_m2"], geod_area(geom)) < 1e-6


def test_record_lists_searches_and_reopens(server, screened):
    sid = screened["id"]
    today = datetime.now(timezone.utc).date().isoformat()
    with local_client(server) as c:
        found = c.get("/api/screenings", params={"q": "产业园区", "from": today, "to": today}).json()["screenings"]
        assert sid in [s["id"] for s in found]
        assert c.get("/api/screenings", params={"q": "没有这个名字"}).json()["screenings"] == []
        assert sid not in [s["id"] for s in c.get("/api/screenings", params={"to": "2000-01-01"}).json()["screenings"]]
        one = c.get(f"/api/screenings/{sid}").json()
        assert one["result"] == {k: v for k, v in screened.items() if k != "id"}
        assert one["params"]["industry"] == "C26"
        assert one["store"]["sha256"] == screened["store"]["sha256"]
        assert json.loads(c.get(f"/api/screenings/{sid}/report.json").text) == one["result"]


def test_downloads_open_and_are_identical_the_second_time(server, screened):
    import docx
    import openpyxl

    sid = screened["id"]
    with local_client(server) as c:
        first = {n: c.get(f"/api/screenings/{sid}/{n}") for n in ("report.docx", "report.xlsx", "report.png", "report.pdf")}
        again = {n: c.get(f"/api/screenings/{sid}/{n}") for n in first}
    for n in first:
        assert first[n].status_code == 200, first[n].text
        assert first[n].content == again[n].content, n
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(first["report.docx"].content)).paragraphs)
    assert "延吉市产业园区扩建项目" in text
    assert openpyxl.load_workbook(io.BytesIO(first["report.xlsx"].content)).sheetnames
    assert first["report.png"].content[:8] == b"\x89PNG\r\n\x1a\n"
    assert first["report.pdf"].content[:5] == b"%PDF-"


def test_layer_downloads_open_and_match_the_result(server, screened, tmp_path):
    """GeoPackage and KMZ downloads beside DOCX/XLSX (issue 24): pieces carry the result's areas."""
    import zipfile

    import pyogrio

    sid = screened["id"]
    with local_client(server) as c:
        got = {n: c.get(f"/api/screenings/{sid}/{n}") for n in ("layers.gpkg", "layers.kmz")}
        again = c.get(f"/api/screenings/{sid}/layers.gpkg")
    for n, r in got.items():
        assert r.status_code == 200, r.text
        disposition = r.headers["content-disposition"]
        assert disposition.startswith("attachment") and disposition.endswith(n.split(".")[1])
    assert again.content == got["layers.gpkg"].content  # rendered once, then kept
    (tmp_path / "l.gpkg").write_bytes(got["layers.gpkg"].content)
    pieces = pyogrio.read_dataframe(tmp_path / "l.gpkg", layer="pieces")
    units = pieces[pieces["kind"] == "control_units"]
    assert sorted(units["area_m2"]) == sorted(u["overlap_m2"] for u in screened["control_units"])
    with zipfile.ZipFile(io.BytesIO(got["layers.kmz"].content)) as zf:
        assert "占用情况" in zf.read("doc.kml").decode("utf-8")


def test_upload_over_the_limit_is_413(server):
    import http.client

    # a Content-Length over the limit is refused from the headers alone: the body is never sent, so the answer
    # cannot race the upload (a client still writing 60 MB may see the connection closed instead of the 413)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.putrequest("POST", "/api/screen")
        conn.putheader("Content-Type", "multipart/form-data; boundary=x")
        conn.putheader("Content-Length", str(60 * 1024 * 1024))
        conn.endheaders()
        answer = conn.getresponse()
        assert answer.status == 413
        assert "limit" in json.loads(answer.read())["error"]
    finally:
        conn.close()
    with local_client(server) as c:
        # without Content-Length the limit holds while reading
        def chunks():
            yield b'--x\r\nContent-Disposition: form-data; name="file"; filename="big.geojson"\r\n\r\n'
            for _ in range(60):
                yield b"0" * (1024 * 1024)
            yield b"\r\n--x--\r\n"

        r = c.post("/api/screen", content=chunks(), headers={"content-type": "multipart/form-data; boundary=x"})
        assert r.status_code == 413, r.text
        assert c.get("/api/layers").status_code == 200


@pytest.mark.parametrize("make, needle", [(make_zip_slip, "outside the archive"), (make_kml_billion_laughs, "DTD or entities")])
def test_zip_slip_and_xml_bomb_get_400_and_the_server_keeps_serving(server, tmp_path, make, needle):
    path = make(tmp_path)
    with local_client(server) as c:
        for endpoint in ("/api/read", "/api/screen"):
            r = c.post(endpoint, files={"file": (path.name, path.read_bytes())})
            assert r.status_code == 400, r.text
            message = r.json()["error"]
            assert needle in message
            assert "\n" not in message and "Traceback" not in message
            assert str(server.data_dir) not in message and "/tmp" not in message
        ok = c.post("/api/screen", files={"file": (ROAD.name, ROAD.read_bytes())}, data={"width": "40"})
        assert ok.status_code == 200
    assert not (tmp_path / "evil.shp").exists() and not (server.data_dir / "evil.shp").exists()


def test_bad_input_is_one_line_400_without_paths(server):
    with local_client(server) as c:
        r = c.post("/api/screen", files={"file": ("corners.csv", "点号,X,Y\nJ1,abc,def\n".encode())})
        assert r.status_code == 400
        assert "\n" not in r.json()["error"] and str(server.data_dir) not in r.json()["error"]
        r = c.post("/api/screen", files={"file": (SITE.name, SITE.read_bytes())}, data={"industry": "不存在的行业xyz"})
        assert r.status_code == 400
        r = c.post("/api/screen", files={"file": (SITE.name, SITE.read_bytes())}, data={"radius": "abc"})
        assert r.status_code == 422 and "radius" in r.json()["error"]
        assert c.get("/api/screenings/0123456789abcdef").status_code == 404
        assert c.get("/api/screenings/..%2F..%2Fetc").status_code == 404
        gone = c.get("/api/nothing-here").json()
        assert gone["error"] == "not found" and gone["code"] == "not_found"
        assert gone["message"] == {"zh": "找不到请求的内容。", "en": "Not found."}  # the page's words beside it
        # the client's file name is text, never a path
        r = c.post("/api/screen", files={"file": ("../../../escape.geojson", SITE.read_bytes())})
        assert r.status_code == 200 and r.json()["project"]["source"] == "escape.geojson"
        assert not list(server.data_dir.parent.rglob("escape.geojson"))


def test_browser_forms_need_the_csrf_token(server):
    with local_client(server) as c:
        csrf = c.get("/api/session").json()["csrf"]  # the page's session cookie
        origin = {"origin": server.url}
        files = {"file": (SITE.name, SITE.read_bytes())}
        r = c.post("/api/screen", files=files, headers=origin)
        assert r.status_code == 403 and "CSRF" in r.json()["error"]
        r = c.post("/api/screen", files=files, data={"csrf_token": "wrong"}, headers=origin)
        assert r.status_code == 403
        r = c.post("/api/screen", files=files, data={"csrf_token": csrf}, headers=origin)
        assert r.status_code == 200
    # a cross-site form (no session cookie, foreign Origin) gets nothing
    with httpx.Client(base_url=server.url) as evil:
        r = evil.post("/api/screen", files=files, headers={"origin": "http://evil.example"})
        assert r.status_code in (401, 403)
        # a foreign Host (DNS rebinding) is refused by a server without --users
        assert evil.get("/api/screenings", headers={"host": "evil.example"}).status_code == 403


def test_session_cookie_flags(server):
    with local_client(server) as c:
        cookie = c.get("/api/session").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie  # plain http on loopback
    # behind a TLS proxy on this machine (X-Forwarded-Proto from loopback is trusted) the cookie is Secure
    with local_client(server) as c:
        cookie = c.get("/api/session", headers={"x-forwarded-proto": "https"}).headers["set-cookie"].lower()
    assert "secure" in cookie


def test_national_major_is_taken_and_recorded(server):
    with local_client(server) as c:
        r = c.post("/api/screen", files={"file": (SITE.name, SITE.read_bytes())}, data={"national_major": "yes"})
        assert r.status_code == 200, r.text
        assert r.json()["parameters"]["national_major"] is True  # reached gisplan.screen
        params = c.get(f"/api/screenings/{r.json()['id']}").json()["params"]
        assert params["national_major"] == "yes" and params["national_major_applied"] is True
        bad = c.post("/api/screen", files={"file": (SITE.name, SITE.read_bytes())}, data={"national_major": "maybe"})
        assert bad.status_code == 422


def test_non_loopback_bind_without_users_exits_2(demo_store, tmp_path):
    r = subprocess.run([sys.executable, "-m", "gisplan.cli", "serve", "--store", str(demo_store), "--host", "0.0.0.0",
                        "--data-dir", str(tmp_path / "d")], capture_output=True, text=True, env=serve_env(), timeout=60)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "--users" in r.stderr
    assert not (tmp_path / "d").exists()


def test_the_record_survives_a_restart_and_a_kill_9(demo_store, tmp_path):
    data = tmp_path / "data"
    srv = Server(demo_store, data).start()
    try:
        with local_client(srv) as c:
            first = c.post("/api/screen", files={"file": (SITE.name, SITE.read_bytes())}, data={"industry": "C26"}).json()
            docx_first = c.get(f"/api/screenings/{first['id']}/report.docx").content
            second = c.post("/api/screen", files={"file": (ROAD.name, ROAD.read_bytes())}, data={"width": "30"}).json()
        workers = srv.kill9()  # right after the response: nothing may be lost
        assert workers and srv.wait_gone(workers) == []  # no orphaned workers holding the store
        srv.start()
        with local_client(srv) as c:
            ids = [s["id"] for s in c.get("/api/screenings").json()["screenings"]]
            assert first["id"] in ids and second["id"] in ids
            for done in (first, second):
                stored = json.loads(c.get(f"/api/screenings/{done['id']}/report.json").text)
                assert stored == {k: v for k, v in done.items() if k != "id"}
            assert c.get(f"/api/screenings/{first['id']}/report.docx").content == docx_first
    finally:
        srv.stop()
    db = sqlite3.connect(data / "record.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    row = db.execute("SELECT upload, client_filename, store_sha256, store_versions FROM screenings WHERE id = ?",
                     (first["id"],)).fetchone()
    assert row[0] == f"uploads/{first['id']}.geojson" and row[1] == SITE.name  # generated name, client name as text
    assert (data / row[0]).read_bytes() == SITE.read_bytes()
    import hashlib

    assert row[2] == hashlib.sha256(demo_store.read_bytes()).hexdigest()
    kept = data / "stores" / f"{row[2]}.gpkg"  # the version screened on, kept for drawing reports later
    assert kept.read_bytes() == demo_store.read_bytes()
    assert set(json.loads(row[3])) == {"control_units", "eco_redline", "protected_areas", "water_sources",
                                       "air_zones", "water_zones", "soil_zones", "resource_zones",  # + element zones
                                       "basic_farmland", "urban_boundary"}  # + the other two control lines
    actions = [a for (a,) in db.execute("SELECT action FROM audit")]
    assert actions.count("screen") == 2


# --------------------------------------------------------------------------- the page

@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert errors == []


@needs_browser
def test_page_upload_screen_see_verdict_and_map_and_download_the_docx(server, page, tmp_path):
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
    from gisplan.labels import DECISION_LABELS

    assert DECISION_LABELS["zh"]["prohibited"] in verdict.inner_text()  # the words of every report
    # findings per decision, not applicable counted apart from allowed, and shown as such in the table
    counts = page.inner_text("#counts")
    assert f"{DECISION_LABELS['zh']['not_applicable']} " in counts and DECISION_LABELS["zh"]["allowed"] in counts
    assert f"{DECISION_LABELS['zh']['allowed']} 0" in counts  # allowed beside not applicable, zero shown
    assert "不适用的条款" in page.inner_text("#findings details.na summary")  # folded away, counted
    assert "ZH22240120004" in page.inner_text("#result")  # the unit the park lies in
    # the three control lines (issue 26): the park lies in the urban development boundary's concentrated zone
    rows = page.locator("#three-lines + .scroll table tbody tr")  # tables scroll in their own box
    assert rows.count() == 3 and "城镇开发边界" in rows.nth(2).inner_text() and "位于其内" in rows.nth(2).inner_text()
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
    # the overlay as layers, beside the reports (issue 24)
    assert page.locator("a[data-download='layers.gpkg']").inner_text() == "GeoPackage"
    with page.expect_download(timeout=30_000) as dl:
        page.click("a[data-download='layers.kmz']")
    dl.value.save_as(tmp_path / "layers.kmz")
    import zipfile

    assert zipfile.ZipFile(tmp_path / "layers.kmz").namelist() == ["doc.kml"]
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


@needs_browser
def test_page_draw_a_polygon_and_screen_it(server, page):
    from playwright.sync_api import expect

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
    assert "1 个面" in page.inner_text("#understood-lines")  # the page's words, not the library's
    # a pasted corner table (lon/lat, as copied from a spreadsheet: tab-separated)
    page.click("#paste-box summary")
    page.fill("#paste", "点号\t经度\t纬度\nJ1\t129.626\t42.895\nJ2\t129.636\t42.895\nJ3\t129.636\t42.901\n"
                        "J4\t129.626\t42.901\n")
    page.click("#paste-use")
    page.click("#screen")
    expect(page.locator("#understood-lines")).to_contain_text("粘贴的坐标表.csv", timeout=30_000)
    expect(page.locator("#understood-lines")).to_contain_text("拐点坐标表", timeout=30_000)
    expect(page.locator("#project-info")).to_contain_text("粘贴的坐标表", timeout=30_000)  # the new result
    assert "ZH22240120004" in page.inner_text("#result")  # the unit of the industrial park


def test_openapi_and_an_offline_docs_page(server):
    with local_client(server) as c:
        spec = c.get("/openapi.json").json()
        docs = c.get("/docs").text
    for path in ("/api/screen", "/api/screenings", "/api/screenings/{sid}", "/api/layers", "/api/industries",
                 "/api/layers/{kind}", "/api/rules"):
        assert path in spec["paths"], path
    assert "/static/docs.js" in docs and "cdn" not in docs.lower()


def test_industry_type_ahead_lists_codes_and_catalogue_items(server):
    with local_client(server) as c:
        found = c.get("/api/industries", params={"q": "公路"}).json()["industries"]
        assert any("公路" in i["name"] and i["eia_section"] and i["code"].startswith("EIA") for i in found)
        c26 = c.get("/api/industries", params={"q": "C26"}).json()["industries"]
        assert c26[0]["code"] == "C26" and "化学" in c26[0]["name"]


def test_a_screening_over_the_time_limit_gets_504_and_the_pool_recovers():
    import asyncio
    import time
    from concurrent.futures import ThreadPoolExecutor

    from gisplan.serve.pool import EnginePool

    def run(coro):  # in its own thread: Playwright's sync API may hold this thread's event loop
        with ThreadPoolExecutor(1) as ex:
            return ex.submit(asyncio.run, coro).result(timeout=300)

    pool = EnginePool("/nonexistent/store.gpkg", workers=1, timeout_s=60)
    try:
        pool.warm()  # the worker is up: the limit below measures the call, not the start
        slow = run(pool.call(time.sleep, 30, timeout_s=2.0))
        assert slow["status"] == 504 and "time limit" in slow["error"], slow
        assert run(pool.call(abs, -3, timeout_s=120)) == 3  # a fresh worker answers
    finally:
        pool.close()


def test_reports_are_drawn_again_from_the_upload_when_an_old_pickle_cannot_be_read(demo_store, tmp_path):
    import sqlite3
    import time

    import openpyxl

    from gisplan.serve import engine
    from gisplan.serve.record import Record

    saved = dict(engine._STATE)
    data_dir = tmp_path / "data"
    try:
        engine.init_worker(str(demo_store), str(data_dir / "stores"))
        record = Record(data_dir)
        sid = record.new_id()
        upload = record.upload_path(sid, ".geojson")
        upload.write_bytes(SITE.read_bytes())
        out = engine.screen_and_record(sid, str(upload), SITE.name, {"industry": "C26", "buffer": 5000.0}, "local",
                                       "127.0.0.1", str(data_dir), time.monotonic() + 600, 600)
        assert "body" in out, out
        row = record.get(sid)
        text, kept, pickled = record.result_data(sid)
        assert kept and pickled is None  # recorded as JSON: no pickle
        first = engine.render_output(sid, str(data_dir), row.store_sha256, str(tmp_path / "a"), "report.xlsx", "zh")
        # a screening recorded by an older gisplan whose pickle this one cannot load
        con = sqlite3.connect(data_dir / "record.sqlite")
        con.execute("UPDATE screenings SET result_record = NULL, result_pickle = ? WHERE id = ?", (b"not a pickle", sid))
        con.commit()
        con.close()
        again = {"upload": str(upload), "client": SITE.name, "params": row.params,
                 "generated_at": json.loads(text)["generated_at"], "store_name": demo_store.name}
        second = engine.render_output(sid, str(data_dir), row.store_sha256, str(tmp_path / "b"), "report.xlsx", "zh",
                                      again)
        assert first == second == {"file": "report.xlsx"}
        refused = engine.render_output(sid, str(data_dir), row.store_sha256, str(tmp_path / "c"), "report.xlsx", "zh")
        assert refused["status"] == 500 and "Traceback" not in refused["error"]
        # a damaged JSON record is screened again the same way
        con = sqlite3.connect(data_dir / "record.sqlite")
        con.execute("UPDATE screenings SET result_record = '{\"version\": 1, \"site\"', result_pickle = x'' WHERE id = ?",
                    (sid,))
        con.commit()
        con.close()
        third = engine.render_output(sid, str(data_dir), row.store_sha256, str(tmp_path / "d"), "report.xlsx", "zh",
                                     again)
        assert third == {"file": "report.xlsx"}
    finally:
        engine._STATE.clear()
        engine._STATE.update(saved)

    def cells(path):
        wb = openpyxl.load_workbook(path)
        return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb}

    assert cells(tmp_path / "a" / "report.xlsx") == cells(tmp_path / "b" / "report.xlsx")
    assert cells(tmp_path / "a" / "report.xlsx") == cells(tmp_path / "d" / "report.xlsx")


def test_the_project_form_goes_through_gisplan_screen_and_its_checks_speak_the_pages_words(server):
    """The form's fields reach gisplan.screen (its JSON keys); its refusals and warnings come in the page's words."""
    with local_client(server) as c:
        r = c.post("/api/screen", files={"file": (SITE.name, SITE.read_bytes())},
                   data={"project_name": "  延吉  化工 项目 ", "builder": "延边某公司", "project_code": "延发改〔2020〕12号",
                         "construction_nature": "扩建"})
        assert r.status_code == 200, r.text
        project = r.json()["project"]
        assert project["name"] == "延吉 化工 项目"  # cleaned as gisplan.project_info cleans a form field
        assert project["site_name"] == "延吉市产业园区扩建项目（示例）"  # the file's own name, kept apart
        assert (project["builder"], project["construction_nature"], project["construction_nature_label"]) == (
            "延边某公司", "expansion", "扩建")
        entry = c.get(f"/api/screenings/{r.json()['id']}").json()
        assert entry["site_name"] == "延吉 化工 项目" and entry["params"]["construction_nature"] == "扩建"
        code = [n for n in entry["notes"] if n["code"] == "note_project_code"]
        assert code and "项目代码" in code[0]["zh"] and "延发改〔2020〕12号" in code[0]["zh"]
        bad = c.post("/api/screen", files={"file": (SITE.name, SITE.read_bytes())},
                     data={"construction_nature": "重建"})
        assert bad.status_code == 400 and bad.json()["code"] == "form_nature"
        assert "“建设性质”" in bad.json()["message"]["zh"] and "“重建”" in bad.json()["message"]["zh"]
        assert "Nature of construction" in bad.json()["message"]["en"]
        long = c.post("/api/screen", files={"file": (SITE.name, SITE.read_bytes())}, data={"builder": "某" * 201})
        assert long.status_code == 400 and long.json()["code"] == "form_too_long"
        assert long.json()["message"]["zh"].startswith("“建设单位”超过 200 个字")
