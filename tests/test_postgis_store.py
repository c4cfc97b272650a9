"""A PostGIS store (issue 13): the same commands, schema and figures as a GeoPackage store.

Runs against the session's throwaway PostgreSQL + PostGIS server (``pg_server`` in conftest.py:
initdb in a temporary folder, a loopback port, stopped at the end); the tests FAIL in CI
without the server binaries. Each module-level store lives in its own schema.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import psycopg
import pytest
import shapely
from _site_fixtures import write_site
from click.testing import CliRunner
from conftest import UNITS, geod_area, write_sources

from gisplan.cli import main

#: Sites over the fixture layers: units A/B/C and the redline, the water source, near the reserve, outside.
SITES = {
    "straddle": shapely.box(129.45, 42.85, 129.52, 42.89),
    "water": shapely.box(129.626, 42.861, 129.634, 42.869),
    "reserve_near": shapely.box(129.445, 42.905, 129.455, 42.915),
    "half_out": shapely.box(129.58, 42.90, 129.65, 42.93),
}
ROAD = shapely.LineString([(129.41, 42.82), (129.47, 42.84), (129.55, 42.86)])
ACCESS_CSV = """层级,省份,地市,管控单元类别,环境管控单元编码,管控维度,管控要求,来源,条目
分类,,,优先保护单元,,空间布局约束,优先保护单元要求（测试）,州级清单,五、1
单元,,,,ZH22240130001,污染物排放管控,一般单元排放要求（测试）,单元清单,ZH22240130001-1
"""


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _cli(*args: str, env: dict | None = None, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gisplan.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})}, **kw)


def _url(port: int, schema: str, password: str = "") -> str:
    user = f"postgres:{password}" if password else "postgres"
    return f"postgresql://{user}@127.0.0.1:{port}/gis?schema={schema}"


@pytest.fixture(scope="module")
def stores(pg_server, tmp_path_factory):
    """The fixture layers imported through the CLI into a GeoPackage store and a PostGIS store."""
    folder = tmp_path_factory.mktemp("pgstore")
    sources = write_sources(folder / "src")
    gpkg, pg = folder / "store.gpkg", _url(pg_server, "shared")
    for kind, src in sources.items():
        for store in (gpkg, pg):
            r = run("layers", "import", store, kind, src)
            assert r.exit_code == 0, r.output
    sites = {}
    for name, geom in {**SITES, "road": ROAD}.items():
        sites[name] = folder / f"{name}.geojson"
        write_site(sites[name], geom, name)
    return {"gpkg": gpkg, "pg": pg, "sources": sources, "sites": sites, "folder": folder, "port": pg_server}


def _compare(a, b, path="", stats=None) -> dict:
    """Walk two results: equal structure and text; numbers within 1e-9 relative difference."""
    stats = stats if stats is not None else {"numbers": 0, "max_rel": 0.0}
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), (path, set(a) ^ set(b))
        for k in a:
            _compare(a[k], b[k], f"{path}.{k}", stats)
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _compare(x, y, f"{path}[{i}]", stats)
    elif isinstance(a, float) and not isinstance(a, bool):
        assert isinstance(b, (int, float)), path
        rel = 0.0 if a == b else abs(a - b) / max(abs(a), abs(b))
        assert rel < 1e-9, (path, a, b)
        stats["numbers"] += 1
        stats["max_rel"] = max(stats["max_rel"], rel)
    else:
        assert a == b, (path, a, b)
    return stats


def _screen_json(store, site: Path, out: Path, *extra) -> dict:
    r = run("screen", site, "--store", store, "--json", out, "--quiet", *extra)
    # 3: the site lies wholly outside the store's control units (the fixture's water source lies east of them):
    # the JSON is written all the same and must be the same from both stores
    assert r.exit_code in (0, 3), r.output
    data = json.loads(out.read_text(encoding="utf-8"))
    data.pop("generated_at")
    return data


def test_layers_list_is_the_same(stores):
    a, b = run("layers", "list", stores["gpkg"]), run("layers", "list", stores["pg"])
    assert a.exit_code == 0 and b.exit_code == 0, (a.output, b.output)
    assert b.output.splitlines()[0] == stores["pg"]
    assert a.output.splitlines()[1:] == b.output.splitlines()[1:]
    assert "control_units" in b.output and "water_sources" in b.output


@pytest.mark.parametrize("site", [*SITES, "road"])
def test_screen_json_equal_to_geopackage(stores, site, tmp_path):
    extra = ("--width", "60") if site == "road" else ()
    ref = _screen_json(stores["gpkg"], stores["sites"][site], tmp_path / "a.json", *extra)
    got = _screen_json(stores["pg"], stores["sites"][site], tmp_path / "b.json", *extra)
    assert got["store"]["path"] == stores["pg"]  # the URL (no password here) names the store
    assert set(got["store"]["layers"]) == set(ref["store"]["layers"])
    for kind, line in got["store"]["layers"].items():  # same source checksums; import times differ
        assert line.split(", imported")[0] == ref["store"]["layers"][kind].split(", imported")[0]
    ref.pop("store"), got.pop("store")
    stats = _compare(ref, got)
    assert stats["numbers"] >= 5


def test_screen_areas_match_an_independent_computation(stores, tmp_path):
    got = _screen_json(stores["pg"], stores["sites"]["straddle"], tmp_path / "b.json")
    site = SITES["straddle"]
    rows = {r["code"]: r["overlap_m2"] for r in got["control_units"]}
    for code, (_, _, unit) in UNITS.items():
        assert rows[code] == pytest.approx(geod_area(site.intersection(unit)), rel=2e-6)
    assert got["project"]["area_m2"] == pytest.approx(geod_area(site), rel=2e-6)


def test_batch_output_equal(stores, tmp_path):
    frame = gpd.GeoDataFrame({"sid": list(SITES)}, geometry=list(SITES.values()), crs="EPSG:4490")
    sites = tmp_path / "sites.geojson"
    frame.to_file(sites)
    outs = {}
    for name in ("gpkg", "pg"):
        outs[name] = tmp_path / f"{name}.csv"
        r = run("batch", sites, "--store", stores[name], "--id-field", "sid", "--out", outs[name], "--no-progress")
        assert r.exit_code == 0, r.output
    a, b = (outs[n].read_text(encoding="utf-8-sig").splitlines() for n in ("gpkg", "pg"))
    assert len(a) == len(SITES) + 1
    for la, lb in zip(a, b):
        for x, y in zip(la.split(","), lb.split(",")):
            try:
                fx, fy = float(x), float(y)
            except ValueError:
                assert x == y
            else:
                assert fx == fy or abs(fx - fy) / max(abs(fx), abs(fy)) < 1e-9


def test_layers_check_equal(stores):
    a, b = run("layers", "check", stores["gpkg"]), run("layers", "check", stores["pg"])
    assert a.exit_code == b.exit_code
    assert b.output.replace(stores["pg"], "STORE") == a.output.replace(str(stores["gpkg"]), "STORE")
    assert "222401" in b.output


def test_rules_import_and_list(stores, tmp_path):
    csv = tmp_path / "list.csv"
    csv.write_text(ACCESS_CSV, encoding="utf-8")
    url = _url(stores["port"], "rules")
    for kind, src in stores["sources"].items():
        assert run("layers", "import", url, kind, src).exit_code == 0
    gpkg = tmp_path / "rules.gpkg"
    for kind, src in stores["sources"].items():
        assert run("layers", "import", gpkg, kind, src).exit_code == 0
    for store in (gpkg, url):
        r = run("rules", "import", store, csv)
        assert r.exit_code == 0, r.output
    a, b = run("rules", "list", gpkg, "--unit", "ZH22240130001"), run("rules", "list", url, "--unit", "ZH22240130001")
    assert b.exit_code == 0 and a.output == b.output
    assert "一般单元排放要求（测试）" in b.output
    ref = _screen_json(gpkg, stores["sites"]["straddle"], tmp_path / "a.json")
    got = _screen_json(url, stores["sites"]["straddle"], tmp_path / "b.json")
    assert json.dumps(got["verdict"], ensure_ascii=False).count("一般单元排放要求（测试）") >= 1
    _compare(ref["verdict"], got["verdict"])


def test_demo_store_copied_into_postgis_screens_the_same(demo_store, pg_server, tmp_path):
    from gisplan.demo.run import DEFAULT_DATA_DIR, SAMPLE_SITE_PARAMS

    url = _url(pg_server, "demo")
    r = run("layers", "copy", demo_store, url)
    assert r.exit_code == 0, r.output
    assert "control_units:" in r.output and "gisplan_access_list:" in r.output
    a, b = run("layers", "list", demo_store), run("layers", "list", url)
    vector = [line for line in a.output.splitlines()[1:] if not line.startswith("raster")]  # rasters stay files
    assert vector == b.output.splitlines()[1:] and len(vector) < len(a.output.splitlines()[1:])
    compared = 0
    for site in sorted((DEFAULT_DATA_DIR / "sites").glob("*.geojson")):
        if site.name == "batch_sites.geojson":
            continue
        params = SAMPLE_SITE_PARAMS.get(site.stem, {})  # as `gisplan demo` screens them
        extra = [x for k, v in params.items() for x in (f"--{k.replace('_', '-')}", v)]
        ref = _screen_json(demo_store, site, tmp_path / "a.json", *extra)
        got = _screen_json(url, site, tmp_path / "b.json", *extra)
        for d in (ref, got):
            d.pop("store"), d.pop("rasters", None)
            d["warnings"] = [w for w in d["warnings"] if "raster" not in w]
        compared += _compare(ref, got)["numbers"]
    assert compared >= 50
    back = tmp_path / "back.gpkg"  # and back into a GeoPackage: the same again
    assert run("layers", "copy", url, back).exit_code == 0
    assert run("layers", "list", back).output.splitlines()[1:] == vector
    site = DEFAULT_DATA_DIR / "sites" / "road_corridor_helong.geojson"
    ref = _screen_json(demo_store, site, tmp_path / "a.json", "--width", "60")
    got = _screen_json(back, site, tmp_path / "c.json", "--width", "60")
    assert [u["overlap_m2"] for u in got["control_units"]] == [u["overlap_m2"] for u in ref["control_units"]]


def _count(url: str, kind: str) -> int:
    from gisplan.store.spec import open_store_at

    with open_store_at(url) as s:
        return len(s.read(kind))


def _generation(url: str) -> int:
    from gisplan.store.postgis import PgStore

    with PgStore(url) as s:
        return s.generation


def _one_unit(tmp_path: Path) -> Path:
    src = tmp_path / "one_unit.geojson"
    code, (name, cat, geom) = next(iter(UNITS.items()))
    gpd.GeoDataFrame({"HJGKDYBM": [code], "HJGKDYMC": [name], "GKDYLB": [cat]}, geometry=[geom],
                     crs="EPSG:4490").to_file(src)
    return src


def test_killed_import_changes_nothing(stores, tmp_path):
    url = _url(stores["port"], "killed")
    for kind in ("control_units", "eco_redline"):
        assert run("layers", "import", url, kind, stores["sources"][kind]).exit_code == 0
    before = run("layers", "list", url).output
    gen = _generation(url)
    proc = _cli("layers", "import", url, "control_units", str(_one_unit(tmp_path)),
                env={"GISPLAN_TEST_PAUSE": "layer_written:60"})
    try:
        line = proc.stderr.readline()
        assert "gisplan-test-pause layer_written" in line, line
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    assert run("layers", "list", url).output == before
    assert _count(url, "control_units") == 3 and _generation(url) == gen
    assert run("layers", "import", url, "control_units", _one_unit(tmp_path)).exit_code == 0  # the lock is free
    assert _count(url, "control_units") == 1


def test_failed_import_changes_nothing(stores, tmp_path, monkeypatch):
    from gisplan import importer
    from gisplan.errors import StoreError
    from gisplan.importer import import_layer

    url = _url(stores["port"], "failed")
    import_layer(url, "control_units", stores["sources"]["control_units"])
    gen = _generation(url)

    def fail(*args, **kwargs):
        raise StoreError("simulated failure after the layer was written")

    monkeypatch.setattr(importer, "_access_list_from_attributes", fail)
    with pytest.raises(StoreError, match="simulated"):
        import_layer(url, "control_units", _one_unit(tmp_path))
    assert _count(url, "control_units") == 3 and _generation(url) == gen
    # a source with a bad category value is refused before anything is written
    bad = tmp_path / "bad.geojson"
    gpd.GeoDataFrame({"HJGKDYBM": ["ZH1"], "HJGKDYMC": ["x"], "GKDYLB": ["不存在的类别"]},
                     geometry=[shapely.box(129.4, 42.8, 129.5, 42.9)], crs="EPSG:4490").to_file(bad)
    r = run("layers", "import", url, "control_units", bad)
    assert r.exit_code == 2 and "\n" not in r.stderr.strip()
    assert _count(url, "control_units") == 3


def test_concurrent_imports_serialise(stores, tmp_path):
    url = _url(stores["port"], "concurrent")
    assert run("layers", "import", url, "control_units", stores["sources"]["control_units"]).exit_code == 0
    gen = _generation(url)
    first = _cli("layers", "import", url, "control_units", str(_one_unit(tmp_path)),
                 env={"GISPLAN_TEST_PAUSE": "layer_written:20"})  # holds the lock while the others start
    try:
        assert "gisplan-test-pause layer_written" in first.stderr.readline()
        hurried = _cli("layers", "import", url, "eco_redline", str(stores["sources"]["eco_redline"]),
                       "--lock-timeout", "0.5")
        _, err = hurried.communicate(timeout=120)
        assert hurried.returncode == 2 and "locked" in err and len(err.strip().splitlines()) == 1, err
        patient = _cli("layers", "import", url, "eco_redline", str(stores["sources"]["eco_redline"]),
                       "--lock-timeout", "60")
        _, err = patient.communicate(timeout=180)
        assert patient.returncode == 0, err
        first.communicate(timeout=120)
        assert first.returncode == 0
    finally:
        first.kill()
        first.communicate(timeout=30)
    assert _generation(url) == gen + 2
    assert _count(url, "control_units") == 1 and _count(url, "eco_redline") == 1


def test_a_reader_keeps_its_snapshot_while_an_import_commits(stores, tmp_path):
    from gisplan.resident import open_store
    from gisplan.store.postgis import PgStore

    url = _url(stores["port"], "snapshot")
    assert run("layers", "import", url, "control_units", stores["sources"]["control_units"]).exit_code == 0
    old = PgStore(url)
    resident = open_store(url)
    before = resident.screen(stores["sites"]["straddle"])
    proc = _cli("layers", "import", url, "control_units", str(_one_unit(tmp_path)), "--lock-timeout", "30")
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err  # not blocked by the open snapshots
    assert len(old.read("control_units")) == 3 and len(old.index("control_units")) >= 3  # the old version
    assert len(PgStore(url).read("control_units")) == 1
    after = resident.screen(stores["sites"]["straddle"])  # the resident store sees the new import
    assert len(before.unit_rows) == 3 and len(after.unit_rows) == 1
    old.close()
    resident.close()


def test_resident_store_reopens_after_the_server_ends_its_connection(stores):
    from gisplan.resident import open_store

    with open_store(stores["pg"]) as resident:
        first = resident.screen(stores["sites"]["straddle"])
        pid = resident.snapshot()._reader.conn.info.backend_pid
        with psycopg.connect(stores["pg"].split("?")[0], autocommit=True) as conn:
            assert conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
        again = resident.screen(stores["sites"]["straddle"])
    assert [r["overlap_m2"] for r in again.unit_rows] == [r["overlap_m2"] for r in first.unit_rows]


def test_a_password_in_the_url_is_never_shown(stores, tmp_path):
    url = _url(stores["port"], "shared", password="pa55word")  # trust authentication ignores it
    r = run("layers", "list", url)
    assert r.exit_code == 0 and r.output.splitlines()[0] == stores["pg"]
    got = _screen_json(url, stores["sites"]["straddle"], tmp_path / "b.json")
    assert got["store"]["path"] == stores["pg"]
    r = run("layers", "check", url)
    assert r.exit_code in (0, 1) and "pa55word" not in r.output


def test_a_table_edited_by_another_tool_is_refused(stores):
    from gisplan.errors import StoreError
    from gisplan.store.postgis import PgStore

    url = _url(stores["port"], "edited")
    assert run("layers", "import", url, "control_units", stores["sources"]["control_units"]).exit_code == 0
    with psycopg.connect(url.split("?")[0], autocommit=True) as conn:
        conn.execute("UPDATE edited.gisplan_pieces_control_units SET area_m2 = area_m2 * 2 "
                     "WHERE fid = (SELECT min(fid) FROM edited.gisplan_pieces_control_units)")
    with pytest.raises(StoreError, match="differs from what gisplan wrote"):
        PgStore(url).read("control_units")
    r = run("screen", stores["sites"]["straddle"], "--store", url)
    assert r.exit_code == 2 and "differs from what gisplan wrote" in r.stderr and "layers rebuild" in r.stderr
    assert run("layers", "rebuild", url).exit_code == 0  # re-derives pieces and checksums from the layer table
    assert len(PgStore(url).index("control_units")) >= 3


def test_views_show_the_same_schema(stores):
    with psycopg.connect(stores["pg"].split("?")[0], autocommit=True) as conn:
        cols = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'shared' "
            "AND table_name = 'control_units' ORDER BY ordinal_position")]
        srid = conn.execute("SELECT DISTINCT ST_SRID(geom) FROM shared.control_units").fetchall()
        areas = dict(conn.execute("SELECT code, ST_Area(geom::geography) FROM shared.control_units").fetchall())
    assert cols[0] == "fid" and cols[-1] == "geom" and {"code", "name", "category", "area_m2"} <= set(cols)
    assert srid == [(4490,)]
    for code, (_, _, geom) in UNITS.items():  # PostGIS' own geodesic area of what the view shows
        assert areas[code] == pytest.approx(geod_area(geom), rel=1e-5)


def test_connection_errors_are_one_line_without_password(pg_server, tmp_path):
    site = tmp_path / "s.geojson"
    gpd.GeoDataFrame(geometry=[SITES["straddle"]], crs="EPSG:4490").to_file(site)
    units = write_sources(tmp_path / "src")["control_units"]
    dead = f"postgresql://postgres:s3cretpw@127.0.0.1:{pg_server + 1 if pg_server < 65535 else 1}/gis?schema=x"
    for args in (("screen", site, "--store", dead), ("layers", "list", dead),
                 ("layers", "import", dead, "control_units", units)):
        r = run(*args)
        assert r.exit_code == 2, r.output
        err = r.stderr.strip()
        assert err and "\n" not in err and "s3cretpw" not in r.output + r.stderr, err
        assert "cannot connect" in err
    r = run("layers", "list", _url(pg_server, "no_such_store"))
    assert r.exit_code == 2 and "store not found" in r.stderr
    r = run("layers", "list", _url(pg_server, "Bad-Name"))
    assert r.exit_code == 2 and "schema" in r.stderr


def test_serve_answers_from_a_postgis_store(stores, tmp_path):
    from _serve_helpers import Server, local_client

    srv = Server(stores["pg"], tmp_path / "data")
    srv.start()
    try:
        site = stores["sites"]["straddle"]
        with local_client(srv) as c:
            r = c.post("/api/screen", files={"file": (site.name, site.read_bytes())})
            assert r.status_code == 200, r.text
            got = r.json()
            layers = c.get("/api/layers")
            page = c.get(f"/api/screenings/{got['id']}/map.html")  # drawn again from the same store version
    finally:
        srv.stop()
    ref = _screen_json(stores["gpkg"], site, tmp_path / "a.json")
    rows = {u["code"]: u["overlap_m2"] for u in got["control_units"]}
    assert len(rows) == len(ref["control_units"]) == 3
    for u in ref["control_units"]:
        assert math.isclose(rows[u["code"]], u["overlap_m2"], rel_tol=1e-9)
    assert got["verdict"]["overall"] == ref["verdict"]["overall"]
    assert got["store"]["path"] == stores["pg"]
    assert layers.status_code == 200 and layers.json()["name"] == stores["pg"], layers.text
    assert {r["kind"] for r in layers.json()["summary"]} == set(stores["sources"])
    assert page.status_code == 200 and "<html" in page.text.lower(), page.text[:300]
