"""The server's record keeps its own data (issue 20), with a real ``gisplan serve`` on loopback:

- the store versions kept in ``data/stores/`` are real copies, so an old screening's reports come
  from the version it read after the live store was edited in place and rebuilt;
- concurrent first downloads of a report render it once and every download gets the same bytes;
- an upload of a screening whose server was killed with ``kill -9`` before its row was committed
  is removed when the server starts again;
- a damaged XLSX corner table and a zip-slip archive are one-line 400 answers naming what was sent.
"""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor

import httpx
import openpyxl
import pytest
import shapely

from _serve_helpers import REPO, Server, local_client
from _site_fixtures import make_zip_slip

SITE = REPO / "data" / "sites" / "industrial_park_yanji.geojson"
UNIT = "ZH22240120004"  # the unit the industrial park lies in (demo store)


@pytest.fixture()
def store(demo_store, tmp_path):
    path = tmp_path / "store" / "demo.gpkg"
    path.parent.mkdir()
    shutil.copyfile(demo_store, path)
    return path


def _gpkg_functions(con: sqlite3.Connection) -> None:
    """The SQL functions GeoPackage r-tree triggers call (GDAL registers them; plain sqlite3 does not)."""
    from gisplan.store.gpkg import _gpkg_wkb

    def bound(i):
        return lambda blob: None if blob is None else shapely.from_wkb(_gpkg_wkb(blob)).bounds[i]

    con.create_function("ST_IsEmpty", 1, lambda blob: 0 if blob else 1)
    for i, name in enumerate(("ST_MinX", "ST_MinY", "ST_MaxX", "ST_MaxY")):
        con.create_function(name, 1, bound(i))


def _xlsx_cells(content: bytes) -> str:
    wb = openpyxl.load_workbook(io.BytesIO(content))
    return "\n".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)


def test_old_screenings_draw_their_reports_from_the_version_they_read(store, tmp_path):
    """Edit the live store in place with another tool (same inode) and rebuild it: the reports of an
    earlier screening still come from the version it read (a hard link would have changed with it)."""
    import subprocess
    import sys

    srv = Server(store, tmp_path / "data").start()
    try:
        with local_client(srv) as c:
            first = c.post("/api/screen", files={"file": (SITE.name, SITE.read_bytes())}, data={"industry": "C26"})
            assert first.status_code == 200, first.text
            sid = first.json()["id"]
            old_name = next(u["name"] for u in first.json()["control_units"] if u["code"] == UNIT)
        inode = store.stat().st_ino
        con = sqlite3.connect(store)
        _gpkg_functions(con)
        con.execute("UPDATE control_units SET name = '改过名的管控单元' WHERE code = ?", (UNIT,))
        con.commit()
        con.close()
        assert store.stat().st_ino == inode  # edited in place
        r = subprocess.run([sys.executable, "-m", "gisplan.cli", "layers", "rebuild", str(store)],
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr
        with local_client(srv) as c:
            files = {n: c.get(f"/api/screenings/{sid}/{n}")
                     for n in ("map.html", "report.xlsx", "report.docx", "report.png", "report.pdf")}
            for n, resp in files.items():
                assert resp.status_code == 200, (n, resp.text[:300])
            assert old_name in _xlsx_cells(files["report.xlsx"].content)
            assert "改过名的管控单元" not in _xlsx_cells(files["report.xlsx"].content)
            assert "改过名的管控单元" not in files["map.html"].text
            again = c.post("/api/screen", files={"file": (SITE.name, SITE.read_bytes())}, data={"industry": "C26"})
            assert any(u["name"] == "改过名的管控单元" for u in again.json()["control_units"])
            assert again.json()["store"]["sha256"] != first.json()["store"]["sha256"]
        kept = list((tmp_path / "data" / "stores").glob("*.gpkg"))
        assert len(kept) == 2 and all(k.stat().st_nlink == 1 for k in kept)  # copies, not links to the store
    finally:
        srv.stop()


@pytest.mark.parametrize("name", ["report.pdf", "map.html"])
def test_concurrent_first_downloads_render_once_and_agree(store, tmp_path, monkeypatch, name):
    """Four first GETs at once on three workers: the first render holds the screening's lock (paused inside
    it until every request has arrived), the others wait and serve its file; later GETs, and GETs after a
    restart, get the same bytes."""
    go = tmp_path / "go"
    monkeypatch.setenv("GISPLAN_TEST_PAUSE", f"render:@{go}")
    srv = Server(store, tmp_path / "data", extra=["--workers", "3"]).start()
    try:
        with local_client(srv) as c:
            sid = c.post("/api/screen", files={"file": (SITE.name, SITE.read_bytes())}).json()["id"]

        def get(_):
            with httpx.Client(base_url=srv.url, timeout=300) as client:
                return client.get(f"/api/screenings/{sid}/{name}")

        with ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(get, i) for i in range(4)]
            deadline = time.monotonic() + 120
            while b"gisplan-test-pause render" not in srv.log.read_bytes() and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(1.0)  # the other requests reach their workers (correct either way; this makes them overlap)
            go.touch()
            answers = [f.result(timeout=300) for f in futures]
        assert [a.status_code for a in answers] == [200] * 4, [a.text[:200] for a in answers]
        assert len({a.content for a in answers}) == 1
        assert srv.log.read_bytes().count(b"gisplan-test-pause render") == 1  # rendered once
        with local_client(srv) as c:
            assert c.get(f"/api/screenings/{sid}/{name}").content == answers[0].content
    finally:
        srv.stop()
    srv = Server(store, tmp_path / "data").start()
    try:
        with local_client(srv) as c:
            assert c.get(f"/api/screenings/{sid}/{name}").content == answers[0].content
    finally:
        srv.stop()


def test_uploads_of_screenings_killed_before_their_row_are_removed_at_start(store, tmp_path, monkeypatch):
    data = tmp_path / "data"
    monkeypatch.setenv("GISPLAN_TEST_PAUSE", f"screened:@{tmp_path / 'never'}")
    srv = Server(store, data).start()
    monkeypatch.delenv("GISPLAN_TEST_PAUSE")  # the servers started below screen normally
    try:
        outcomes = []

        def hanging():
            try:
                with httpx.Client(base_url=srv.url, timeout=120) as client:
                    outcomes.append(client.post("/api/screen", files={"file": (SITE.name, SITE.read_bytes())}))
            except httpx.HTTPError as exc:
                outcomes.append(exc)

        thread = threading.Thread(target=hanging, daemon=True)
        thread.start()
        deadline = time.monotonic() + 120
        while b"gisplan-test-pause screened" not in srv.log.read_bytes() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(list((data / "uploads").iterdir())) == 1  # kept, screened, its row not committed yet
        workers = srv.kill9()
        assert srv.wait_gone(workers) == []
        thread.join(timeout=60)
        # the server died mid-request: the client got no answer, only the connection closed under it
        assert not thread.is_alive()
        assert len(outcomes) == 1 and isinstance(outcomes[0], httpx.TransportError), outcomes
    finally:
        srv.stop()
    srv = Server(store, data).start()
    try:
        assert list((data / "uploads").iterdir()) == []
        assert "removed 1 file(s)" in srv.log.read_text()
        with local_client(srv) as c:
            assert c.get("/api/screenings").json()["screenings"] == []
            ok = c.post("/api/screen", files={"file": (SITE.name, SITE.read_bytes())})
            assert ok.status_code == 200
        assert [p.name for p in (data / "uploads").iterdir()] == [f"{ok.json()['id']}.geojson"]
    finally:
        srv.stop()
    srv = Server(store, data).start()  # a recorded screening's upload is never an orphan
    try:
        assert [p.name for p in (data / "uploads").iterdir()] == [f"{ok.json()['id']}.geojson"]
    finally:
        srv.stop()


def _damaged_xlsx(tmp_path, how: str):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["点号", "X", "Y"])
    for i, (x, y) in enumerate([(4750000.0, 42512345.0), (4750100.0, 42512345.0), (4750100.0, 42512445.0)]):
        ws.append([f"J{i + 1}", x, y])
    good = tmp_path / "good.xlsx"
    wb.save(good)
    bad = tmp_path / f"{how}.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(bad, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b"") if how == "unclosed" else \
                    data.replace(b"<v>4750000</v>", b"<v>abc</v>")
            zout.writestr(item, data)
    return bad


def test_damaged_xlsx_and_zip_slip_are_one_line_400_naming_what_was_sent(store, tmp_path):
    import subprocess
    import sys

    srv = Server(store, tmp_path / "data").start()
    try:
        with local_client(srv) as c:
            for how in ("unclosed", "badvalue"):
                bad = _damaged_xlsx(tmp_path, how)
                for endpoint in ("/api/read", "/api/screen"):
                    r = c.post(endpoint, files={"file": (bad.name, bad.read_bytes())})
                    assert r.status_code == 400, (how, endpoint, r.text)
                    msg = r.json()["error"]
                    assert "damaged" in msg and bad.name in msg and "\n" not in msg, msg
                cli = subprocess.run([sys.executable, "-m", "gisplan.cli", "read", str(bad)], capture_output=True,
                                     text=True, timeout=120)
                assert cli.returncode == 2 and len(cli.stderr.strip().splitlines()) == 1, cli.stderr
            slip = make_zip_slip(tmp_path)
            r = c.post("/api/read", files={"file": (slip.name, slip.read_bytes())})
            assert r.status_code == 400
            assert "zip member '../evil.shp' points outside the archive" in r.json()["error"], r.text
            absolute = tmp_path / "absolute.zip"
            with zipfile.ZipFile(absolute, "w") as zf:
                zf.writestr("/srv/evil/evil.shp", b"x" * 100)
            r = c.post("/api/read", files={"file": (absolute.name, absolute.read_bytes())})
            assert r.status_code == 400 and "zip member '/srv/evil/evil.shp' has an absolute path" in r.json()["error"]
            assert str(tmp_path) not in r.text
    finally:
        srv.stop()
    assert os.listdir(tmp_path / "data" / "uploads") == []


def test_screenings_are_kept_as_json_and_an_older_pickled_one_is_read_once(store, tmp_path):
    """A new screening's row holds JSON only (its report and the record section), no pickle; a screening recorded
    pickled by an older gisplan still opens: its pickle is read once, its record kept as JSON in its place."""
    import json
    import pickle

    from gisplan.screening import screen

    data = tmp_path / "data"
    srv = Server(store, data).start()
    try:
        with local_client(srv) as c:
            first = c.post("/api/screen", files={"file": (SITE.name, SITE.read_bytes())}, data={"industry": "C26"})
            assert first.status_code == 200, first.text
            sid = first.json()["id"]
            con = sqlite3.connect(data / "record.sqlite")
            text, kept, pickled = con.execute("SELECT result_json, result_record, result_pickle FROM screenings "
                                              "WHERE id = ?", (sid,)).fetchone()
            assert bytes(pickled) == b"" and json.loads(kept)["version"] == 1
            assert json.loads(kept)["rows"]["control_units"][0]["code"] == UNIT
            from_json = c.get(f"/api/screenings/{sid}/report.xlsx")
            assert from_json.status_code == 200, from_json.text
            # the same screening as an older gisplan recorded it: the result pickled, no JSON record
            result = screen(SITE, store, industry="C26")
            recorded = json.loads(text)
            result.generated_at, result.store = recorded["generated_at"], recorded["store"]
            result.site.path = SITE.name  # as the server reads an upload: the client's file name
            result.map_context = result.county_outline = None
            con.execute("UPDATE screenings SET result_record = NULL, result_pickle = ? WHERE id = ?",
                        (pickle.dumps(result), sid))
            con.commit()
            shutil.rmtree(data / "outputs" / sid)
            from_pickle = c.get(f"/api/screenings/{sid}/report.xlsx")
            assert from_pickle.status_code == 200, from_pickle.text
            assert _xlsx_cells(from_pickle.content) == _xlsx_cells(from_json.content)
            kept_now, pickled_now = con.execute("SELECT result_record, result_pickle FROM screenings WHERE id = ?",
                                                (sid,)).fetchone()
            assert bytes(pickled_now) == b"" and json.loads(kept_now) == json.loads(kept)  # read once: JSON now
            site = c.get(f"/api/screenings/{sid}/site")
            assert site.status_code == 200 and [f["properties"]["role"] for f in site.json()["features"]] == ["site"]
            docx = c.get(f"/api/screenings/{sid}/report.docx")
            assert docx.status_code == 200 and docx.content[:2] == b"PK"
            con.close()
    finally:
        srv.stop()
