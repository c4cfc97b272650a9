"""``gisplan serve`` on a PostGIS store (issue 20): a snapshot per request (no connection idle in a
transaction between requests: VACUUM and ALTER TABLE are not held back), and a content identity
of the store, so an old screening is never drawn from other data.

A PostgreSQL + PostGIS cluster of this module's own (``tools/pg_cluster.py``: no other test's
connections hold back its VACUUM) and a real server on loopback.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import geopandas as gpd
import psycopg
import pytest
import shapely
from _serve_helpers import Server, local_client
from _site_fixtures import write_site
from conftest import REPO, write_sources

ENV = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONWARNINGS": "ignore"}
SITE = shapely.box(129.42, 42.82, 129.44, 42.84)  # wholly in the west unit of both deliveries below
WEST, EAST = shapely.box(129.40, 42.80, 129.50, 42.95), shapely.box(129.50, 42.80, 129.60, 42.95)


@pytest.fixture(scope="module")
def cluster():
    sys.path.insert(0, str(REPO / "tools"))
    import pg_cluster

    if not pg_cluster.available():
        if os.environ.get("CI"):
            pytest.fail(pg_cluster.missing_message())
        pytest.skip(pg_cluster.missing_message())
    with pg_cluster.pg_cluster() as url:
        yield url


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gisplan.cli", *map(str, args)], env=ENV, capture_output=True,
                          text=True, timeout=300)


def deliveries(folder):
    """Two deliveries of two units: in A the west unit is ZHA1 (priority), in B it is ZHB2 (key)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, codes, cats in (("A", ["ZH22240110091", "ZH22240130092"], ["优先保护单元", "一般管控单元"]),
                              ("B", ["ZH22240120093", "ZH22240130094"], ["重点管控单元", "一般管控单元"])):
        frame = gpd.GeoDataFrame({"HJGKDYBM": codes, "HJGKDYMC": [f"{name}西单元", f"{name}东单元"], "GKDYLB": cats},
                                 geometry=[WEST, EAST], crs="EPSG:4490")
        paths[name] = folder / f"units_{name}.geojson"
        frame.to_file(paths[name])
    return paths


def site_file(folder):
    path = folder / "site.geojson"
    write_site(path, SITE, "西侧厂区")
    return path


def store_url(cluster: str, schema: str) -> str:
    return f"{cluster}?schema={schema}"


def gisplan_backends(conn) -> list[tuple]:
    return conn.execute("SELECT pid, state, backend_xmin FROM pg_stat_activity WHERE application_name = 'gisplan' "
                        "AND pid <> pg_backend_pid()").fetchall()


def test_no_idle_transaction_between_requests_vacuum_and_alter_table_go_through(cluster, tmp_path):
    url = store_url(cluster, "served")
    for kind, src in write_sources(tmp_path / "src").items():
        r = cli("layers", "import", url, kind, src)
        assert r.returncode == 0, r.stderr
    site = site_file(tmp_path)
    srv = Server(url, tmp_path / "data", extra=["--workers", "2"]).start()
    try:
        with local_client(srv) as c:
            for _ in range(3):
                r = c.post("/api/screen", files={"file": (site.name, site.read_bytes())})
                assert r.status_code == 200, r.text
            assert c.get(f"/api/screenings/{r.json()['id']}/map.html").status_code == 200
        with psycopg.connect(cluster, autocommit=True) as conn:
            backends = gisplan_backends(conn)
            assert backends, "the workers hold no connection: the test proves nothing"
            assert all(state == "idle" and xmin is None for _, state, xmin in backends), backends
            # dead rows made after the screenings are removed by VACUUM: no old snapshot holds them
            conn.execute("CREATE TABLE public.junk AS SELECT g AS n, repeat('x', 200) AS pad "
                         "FROM generate_series(1, 20000) g")
            conn.execute("DELETE FROM public.junk")
            conn.execute("VACUUM public.junk")
            assert conn.execute("SELECT pg_relation_size('public.junk')").fetchone()[0] == 0
            # ALTER TABLE on the very table version the workers read is not blocked by them
            physical = conn.execute("SELECT physical FROM served.gisplan_tables WHERE name = 'control_units'").fetchone()[0]
            with conn.transaction():
                conn.execute("SET LOCAL lock_timeout = '5s'")
                conn.execute(f"ALTER TABLE served.{physical} ADD COLUMN gisplan_probe integer")
                raise psycopg.Rollback()  # undone: only the lock mattered
        with local_client(srv) as c:  # and the server still answers, from the same snapshot
            r = c.post("/api/screen", files={"file": (site.name, site.read_bytes())})
            assert r.status_code == 200, r.text
    finally:
        srv.stop()


def test_an_old_screening_is_not_drawn_from_other_data(cluster, tmp_path):
    """Drop the schema, load other zoning under the same names, restart: the old screening's map and
    reports are refused (400), never drawn from the new units; the new data screens as itself."""
    url = store_url(cluster, "ident")
    units = deliveries(tmp_path / "src")
    assert cli("layers", "import", url, "control_units", units["A"]).returncode == 0
    site = site_file(tmp_path)
    data = tmp_path / "data"
    srv = Server(url, data).start()
    try:
        with local_client(srv) as c:
            first = c.post("/api/screen", files={"file": (site.name, site.read_bytes())})
            assert first.status_code == 200, first.text
            sid = first.json()["id"]
            assert [u["code"] for u in first.json()["control_units"]] == ["ZH22240110091"]
            kept = c.get(f"/api/screenings/{sid}/report.xlsx")
            assert kept.status_code == 200
    finally:
        srv.stop()
    with psycopg.connect(cluster, autocommit=True) as conn:
        conn.execute("DROP SCHEMA ident CASCADE")
    r = cli("layers", "import", url, "control_units", units["B"])
    assert r.returncode == 0, r.stderr
    srv = Server(url, data).start()
    try:
        with local_client(srv) as c:
            for name in ("map.html", "report.png", "report.docx", "report.pdf"):
                r = c.get(f"/api/screenings/{sid}/{name}")
                assert r.status_code == 400, (name, r.status_code, r.text[:300])
                assert "re-imported" in r.json()["error"] and "\n" not in r.json()["error"]
            assert c.get(f"/api/screenings/{sid}/report.xlsx").content == kept.content  # rendered before: kept
            again = c.post("/api/screen", files={"file": (site.name, site.read_bytes())})
            assert [u["code"] for u in again.json()["control_units"]] == ["ZH22240120093"]
            assert again.json()["store"]["sha256"] != first.json()["store"]["sha256"]
            assert c.get(f"/api/screenings/{again.json()['id']}/map.html").status_code == 200
    finally:
        srv.stop()


def test_a_row_edited_after_the_server_read_the_store_is_refused_when_read(cluster, tmp_path):
    """Between requests the server holds no transaction; rows it reads later are checked as they are read."""
    url = store_url(cluster, "later")
    units = deliveries(tmp_path / "src")
    assert cli("layers", "import", url, "control_units", units["A"]).returncode == 0
    west = site_file(tmp_path)
    east = tmp_path / "east.geojson"
    gpd.GeoDataFrame({"name": ["东侧厂区"]}, geometry=[shapely.box(129.55, 42.85, 129.57, 42.87)],
                     crs="EPSG:4490").to_file(east)
    srv = Server(url, tmp_path / "data").start()
    try:
        with local_client(srv) as c:
            assert c.post("/api/screen", files={"file": (west.name, west.read_bytes())}).status_code == 200
            with psycopg.connect(cluster, autocommit=True) as conn:
                conn.execute("UPDATE later.gisplan_pieces_control_units SET area_m2 = area_m2 * 2 "
                             "WHERE feature_id = 1")  # the east unit's pieces
            time.sleep(0.1)
            r = c.post("/api/screen", files={"file": (east.name, east.read_bytes())})
            assert r.status_code == 400, r.text[:300]
            assert "changed by another tool" in r.json()["error"] and "layers rebuild" in r.json()["error"]
    finally:
        srv.stop()
