"""``gisplan serve --users``: logins, sessions, CSRF, rate limiting, API tokens, roles, audit log."""

from __future__ import annotations

import json
import subprocess
import sys

import geopandas as gpd
import httpx
import pytest
import shapely

from _serve_helpers import CHROMIUM, CHROMIUM_ARGS, REPO, Server, have_browser, login, serve_env
from conftest import write_sources

SITE = REPO / "data" / "sites" / "industrial_park_yanji.geojson"
POINT = REPO / "data" / "sites" / "quarry_point_antu.geojson"
PASSWORDS = {"alice": "alice-pass-1", "bob": "bob-pass-22", "root": "root-pass-333"}


@pytest.fixture(scope="module")
def users_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("users") / "users.json"
    for name, role in (("alice", "reviewer"), ("bob", "reviewer"), ("root", "admin")):
        r = subprocess.run([sys.executable, "-m", "gisplan.cli", "users", "add", str(path), name, "--role", role,
                            "--password-stdin"], input=PASSWORDS[name] + "\n", capture_output=True, text=True,
                           env=serve_env(), timeout=60)
        assert r.returncode == 0, r.stderr
    return path


@pytest.fixture(scope="module")
def server(demo_store, users_file, tmp_path_factory):
    import shutil

    store = tmp_path_factory.mktemp("ustore") / "store.gpkg"
    shutil.copy(demo_store, store)  # the admin test imports into it
    srv = Server(store, tmp_path_factory.mktemp("userve") / "data", users=users_file)
    srv.start()
    yield srv
    srv.stop()


def test_users_file_keeps_argon2_hashes_only(users_file):
    data = json.loads(users_file.read_text(encoding="utf-8"))
    for name, password in PASSWORDS.items():
        assert data["users"][name]["hash"].startswith("$argon2id$")
        assert password not in users_file.read_text(encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "gisplan.cli", "users", "add", str(users_file), "eve", "--password-stdin"],
                       input="short\n", capture_output=True, text=True, env=serve_env(), timeout=60)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1


def test_nothing_without_a_login(server):
    with httpx.Client(base_url=server.url) as c:
        assert c.get("/api/screenings").status_code == 401
        assert c.post("/api/screen", files={"file": (SITE.name, SITE.read_bytes())}).status_code == 401
        s = c.get("/api/session").json()
        assert s["user"] is None and s["csrf"]


def test_login_and_logout(server):
    c = login(server, "alice", PASSWORDS["alice"])
    assert c.get("/api/session").json()["user"] == "alice"
    cookie = [h for h in c.cookies.jar if h.name == "gisplan_session"][0]
    assert cookie.has_nonstandard_attr("HttpOnly")
    assert c.post("/api/logout", data={"csrf_token": "nope"}).status_code == 403  # logout is a form too
    assert c.post("/api/logout", data={"csrf_token": c.csrf}).status_code == 200
    assert c.get("/api/screenings").status_code == 401
    assert c.get("/api/session").json()["user"] is None


def test_login_needs_its_csrf_token_and_failed_logins_are_rate_limited(server):
    with httpx.Client(base_url=server.url) as c:
        c.get("/api/session")
        r = c.post("/api/login", data={"username": "bob", "password": PASSWORDS["bob"]})
        assert r.status_code == 403
        csrf = c.get("/api/session").json()["csrf"]
        codes = [c.post("/api/login", data={"username": "bob", "password": "wrong", "csrf_token": csrf}).status_code
                 for _ in range(6)]
        assert codes[:5] == [401] * 5 and codes[5] == 429
        # even the right password waits now
        r = c.post("/api/login", data={"username": "bob", "password": PASSWORDS["bob"], "csrf_token": csrf})
        assert r.status_code == 429


def test_reviewers_see_their_own_screenings_and_admins_all(server):
    alice = login(server, "alice", PASSWORDS["alice"])
    r = alice.post("/api/screen", files={"file": (SITE.name, SITE.read_bytes())}, data={"csrf_token": alice.csrf})
    assert r.status_code == 200, r.text
    sid = r.json()["id"]
    assert alice.post("/api/screen", files={"file": (SITE.name, SITE.read_bytes())}).status_code == 403  # no CSRF
    root = login(server, "root", PASSWORDS["root"])
    carol_token = subprocess.run([sys.executable, "-m", "gisplan.cli", "users", "token", str(server.users), "bob"],
                                 capture_output=True, text=True, env=serve_env(), timeout=60).stdout.strip()
    with httpx.Client(base_url=server.url, headers={"authorization": f"Bearer {carol_token}"}, timeout=60) as bob:
        assert bob.get(f"/api/screenings/{sid}").status_code == 403
        assert bob.get(f"/api/screenings/{sid}/report.json").status_code == 403
        assert bob.get(f"/api/screenings/{sid}/report.docx").status_code == 403
        assert sid not in [s["id"] for s in bob.get("/api/screenings").json()["screenings"]]
        # a script with a token needs no CSRF token (no cookie to ride on)
        mine = bob.post("/api/screen", files={"file": (POINT.name, POINT.read_bytes())}, data={"radius": "300"})
        assert mine.status_code == 200, mine.text
        assert bob.get(f"/api/screenings/{mine.json()['id']}").json()["user"] == "bob"
    with httpx.Client(base_url=server.url, headers={"authorization": "Bearer not-a-token"}) as nobody:
        assert nobody.get("/api/screenings").status_code == 401
    assert alice.get(f"/api/screenings/{sid}").status_code == 200
    every = [s["id"] for s in root.get("/api/screenings").json()["screenings"]]
    assert sid in every and mine.json()["id"] in every
    assert root.get(f"/api/screenings/{mine.json()['id']}").status_code == 200
    assert alice.get("/api/audit").status_code == 403


def test_only_admins_import_and_everything_is_audited(server, tmp_path):
    sources = write_sources(tmp_path / "src")
    redline = sources["eco_redline"]
    alice = login(server, "alice", PASSWORDS["alice"])
    files = {"file": (redline.name, redline.read_bytes())}
    assert alice.post("/api/layers/eco_redline", files=files, data={"csrf_token": alice.csrf}).status_code == 403
    root = login(server, "root", PASSWORDS["root"])
    before = root.get("/api/layers").json()
    wide = {"csrf_token": root.csrf, "buffer": "40000"}  # the test redline lies ~17 km from the park
    earlier = root.post("/api/screen", files={"file": (SITE.name, SITE.read_bytes())}, data=wide)
    assert earlier.status_code == 200
    assert root.post("/api/layers/eco_redline", files=files).status_code == 403  # no CSRF
    assert root.post("/api/layers/nonsense", files=files, data={"csrf_token": root.csrf}).status_code == 404
    r = root.post("/api/layers/eco_redline", files=files, data={"csrf_token": root.csrf})
    assert r.status_code == 200, r.text
    after = root.get("/api/layers").json()
    assert after["sha256"] != before["sha256"]
    assert after["layers"]["eco_redline"].startswith("1 features")
    # element zones (issue 14) are layer kinds of the API too
    no_burn = gpd.GeoDataFrame({"FQMC": ["测试高污染燃料禁燃区"], "管控分区类型": ["高污染燃料禁燃区"]},
                               geometry=[shapely.box(129.52, 42.89, 129.58, 42.93)], crs="EPSG:4490")
    no_burn.to_file(tmp_path / "no_burn.gpkg", driver="GPKG")
    r = root.post("/api/layers/resource_zones", files={"file": ("no_burn.gpkg", (tmp_path / "no_burn.gpkg").read_bytes())},
                  data={"csrf_token": root.csrf})
    assert r.status_code == 200, r.text
    after = root.get("/api/layers").json()
    assert after["layers"]["resource_zones"].startswith("1 features")
    # screenings now record the new store
    s = root.post("/api/screen", files={"file": (SITE.name, SITE.read_bytes())}, data=wide)
    assert s.json()["store"]["sha256"] == after["sha256"]
    # a screening from before the import still draws its map from the store version it read
    old_map = root.get(f"/api/screenings/{earlier.json()['id']}/map.html")
    new_map = root.get(f"/api/screenings/{s.json()['id']}/map.html")
    assert old_map.status_code == 200 and new_map.status_code == 200
    name = "测试水源涵养生态保护红线"
    escaped = json.dumps(name)[1:-1]
    assert name in new_map.text or escaped in new_map.text
    assert name not in old_map.text and escaped not in old_map.text
    alice.post("/api/logout", data={"csrf_token": alice.csrf})
    with httpx.Client(base_url=server.url) as c:
        csrf = c.get("/api/session").json()["csrf"]
        c.post("/api/login", data={"username": "root", "password": "not-it", "csrf_token": csrf})
    audit = root.get("/api/audit").json()["audit"]
    actions = {a["action"] for a in audit}
    assert {"login", "login_failed", "screen", "import_layer", "logout"} <= actions
    assert any(a["action"] == "import_layer" and a["user"] == "root" and "eco_redline" in a["detail"] for a in audit)


@pytest.mark.skipif(not have_browser(), reason="needs the playwright package and /usr/bin/chromium")
def test_log_in_and_out_on_the_page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(server.url + "/")
            page.wait_for_selector("#login:not([hidden])")
            assert page.locator("#page-screen").is_hidden()
            page.fill("#username", "alice")
            page.fill("#password", "wrong-password")
            page.click("#login-submit")
            page.wait_for_selector("#login-error:not(:empty)")
            page.fill("#password", PASSWORDS["alice"])
            page.click("#login-submit")
            page.wait_for_selector("#page-screen:not([hidden])")
            assert "alice" in page.inner_text("#who")
            assert page.locator("#tab-admin").is_hidden()  # a reviewer
            page.click("#logout")
            page.wait_for_selector("#login:not([hidden])")
            assert page.locator("#page-screen").is_hidden()
        finally:
            browser.close()


def test_admin_imports_an_access_list(server):
    csv = ("层级,适用范围,行政区划代码,管控单元类别,环境管控单元编码,管控维度,管控要求,文件,条款\n"
           "单元,,,,ZH22240120004,空间布局约束,网页导入的单元要求（测试）,网页清单,ZH22240120004-9\n").encode()
    files = {"file": ("web_list.csv", csv)}
    alice = login(server, "alice", PASSWORDS["alice"])
    assert alice.post("/api/rules", files=files, data={"csrf_token": alice.csrf}).status_code == 403
    root = login(server, "root", PASSWORDS["root"])
    r = root.post("/api/rules", files=files, data={"csrf_token": root.csrf})
    assert r.status_code == 200, r.text
    assert any("1" in line for line in r.json()["lines"])
    # the industrial park lies in ZH22240120004: the new clause is among its findings
    s = root.post("/api/screen", files={"file": (SITE.name, SITE.read_bytes())}, data={"csrf_token": root.csrf})
    rules = [f.get("rule", "") for f in s.json()["verdict"]["findings"]]
    assert "网页导入的单元要求（测试）" in rules
    assert any(a["action"] == "import_rules" for a in root.get("/api/audit").json()["audit"])
