"""Store safety (issue 9): locking, one atomic replacement per import, snapshot reads,
checksums and `layers rebuild`, stale temps, disk full, missing layers, tiny footprints.

Concurrency and crash cases run real ``gisplan`` processes.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from _signals import AS_IN_A_TERMINAL
from _site_fixtures import write_sites
from conftest import REPO, geod_area, rel, write_sources

from gisplan.batch import screen_batch
from gisplan.errors import SiteError, StoreError
from gisplan.importer import import_layer
from gisplan.rules.access_list import ACCESS_TABLE, import_access_list
from gisplan.screening import screen
from gisplan.store.gpkg import Store, store_lock

ENV = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONWARNINGS": "ignore"}
#: The site of the reader/writer and kill tests: in the west half of both versions' units.
WEST_SITE = shapely.box(129.42, 42.82, 129.44, 42.84)
WEST, EAST = shapely.box(129.40, 42.80, 129.50, 42.95), shapely.box(129.50, 42.80, 129.60, 42.95)


def gisplan(*args, env=None, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gisplan.cli", *map(str, args)], env={**ENV, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def run(*args, env=None, timeout=120) -> subprocess.CompletedProcess:
    p = gisplan(*args, env=env)
    out, err = p.communicate(timeout=timeout)
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


def wait_for_pause(proc: subprocess.Popen, moment: str, timeout: float = 120) -> None:
    """Read the child's stderr until the test hook says it sleeps at ``moment``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        if line.strip() == f"gisplan-test-pause {moment}":
            return
    proc.kill()
    raise AssertionError(f"the child never paused at {moment}: {proc.communicate()}")


def temps(store: Path) -> list[Path]:
    return [p for p in store.parent.iterdir() if p.name.startswith(f".{store.name}.")]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def quick_check(path: Path) -> str:
    con = sqlite3.connect(path)
    try:
        return con.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        con.close()


def unit_versions(folder: Path, filler: int = 0) -> dict[str, Path]:
    """Two deliveries of the same two units with swapped geometry and categories.

    Version A: ZHA1 priority west, ZHA2 general east, with a spatial-layout field (KJBJYS)
    that becomes unit clauses. Version B: ZHA1 general east, ZHA2 key west, no such field.
    A read mixing the versions shows as a wrong code/category pair or wrong clauses.
    ``filler`` far-away units make reads slow enough for a writer to replace the file midway.
    """
    folder.mkdir(parents=True, exist_ok=True)
    n = filler
    far = [shapely.segmentize(shapely.box(126 + (i % 20) * 0.05, 44 + (i // 20) * 0.05, 126.04 + (i % 20) * 0.05,
                                          44.04 + (i // 20) * 0.05), 2e-4) for i in range(n)]
    codes = [f"ZH2224013{i:04d}" for i in range(n)]
    a = gpd.GeoDataFrame({"HJGKDYBM": ["ZH22240110091", "ZH22240130092", *codes],
                          "HJGKDYMC": ["甲单元", "乙单元", *codes], "GKDYLB": ["优先保护单元", "一般管控单元", *["一般管控单元"] * n],
                          "KJBJYS": ["禁止开发建设。", "限制新增排放。", *[""] * n]},
                         geometry=[WEST, EAST, *far], crs="EPSG:4490")
    b = gpd.GeoDataFrame({"HJGKDYBM": ["ZH22240110091", "ZH22240130092", *codes],
                          "HJGKDYMC": ["甲单元", "乙单元", *codes], "GKDYLB": ["一般管控单元", "重点管控单元", *["一般管控单元"] * n]},
                         geometry=[EAST, WEST, *far], crs="EPSG:4490")
    paths = {"A": folder / "units_a.geojson", "B": folder / "units_b.geojson"}
    a.to_file(paths["A"])
    b.to_file(paths["B"])
    return paths


#: What a screening of WEST_SITE must find in each version: (code, category, clause ids of the verdict).
EXPECTED = {
    "A": ("ZH22240110091", "priority", "layer:ZH22240110091:"),
    "B": ("ZH22240130092", "key", "unit:ZH22240130092:no_list"),
}


def version_of(store: Path) -> str:
    """Which version the store holds, checking layer and clauses agree (never a mix)."""
    s = Store(store)
    s.verify()
    units = s.read("control_units")
    west = units[units.geometry.intersects(WEST_SITE)]
    assert len(west) == 1
    code, category = west["code"].iloc[0], west["category"].iloc[0]
    clauses = s.read_table(ACCESS_TABLE)
    layer_clauses = set() if clauses is None else set(clauses.loc[clauses["origin"] == "layer:control_units", "scope"])
    if (code, category) == EXPECTED["A"][:2]:
        assert layer_clauses == {"ZH22240110091", "ZH22240130092"}, layer_clauses
        return "A"
    assert (code, category) == EXPECTED["B"][:2], (code, category)
    assert layer_clauses == set(), layer_clauses
    return "B"


# ----------------------------------------------------------------------------- locking


def test_two_imports_of_different_kinds_at_once_keep_both(tmp_path):
    src = write_sources(tmp_path / "src")
    store = tmp_path / "s.gpkg"
    import_layer(store, "control_units", src["control_units"])
    first = gisplan("layers", "import", store, "eco_redline", src["eco_redline"], env={"GISPLAN_TEST_PAUSE": "written:2"})
    wait_for_pause(first, "written")  # holds the lock, its copy made before the second starts
    second = gisplan("layers", "import", store, "water_sources", src["water_sources"])
    out1, err1 = first.communicate(timeout=120)
    out2, err2 = second.communicate(timeout=120)
    assert (first.returncode, second.returncode) == (0, 0), (err1, err2)
    assert Store(store).kinds() == ["control_units", "eco_redline", "water_sources"]
    assert temps(store) == []


def test_rules_import_during_layer_import_keeps_the_clauses(tmp_path):
    src = write_sources(tmp_path / "src")
    store = tmp_path / "s.gpkg"
    import_layer(store, "control_units", src["control_units"])
    csv = tmp_path / "list.csv"
    csv.write_text("层级,行政区划代码,管控单元类别,环境管控单元编码,管控维度,管控要求,文件,条款,适用行业,判定\n"
                   ",,,ZH22240130001,空间布局约束,禁止新建化工项目。,单元清单,1,C26,禁止\n", encoding="utf-8")
    layer = gisplan("layers", "import", store, "eco_redline", src["eco_redline"], env={"GISPLAN_TEST_PAUSE": "written:2"})
    wait_for_pause(layer, "written")
    rules = gisplan("rules", "import", store, csv)
    _, err1 = layer.communicate(timeout=120)
    _, err2 = rules.communicate(timeout=120)
    assert (layer.returncode, rules.returncode) == (0, 0), (err1, err2)
    s = Store(store)
    assert s.has("eco_redline")
    assert list(s.read_table(ACCESS_TABLE)["text"]) == ["禁止新建化工项目。"]


def test_a_writer_waits_then_stops_with_one_line_naming_the_store(tmp_path):
    src = write_sources(tmp_path / "src")
    store = tmp_path / "s.gpkg"
    import_layer(store, "control_units", src["control_units"])
    before = sha(store)
    with store_lock(store):
        t0 = time.monotonic()
        with pytest.raises(StoreError, match="s.gpkg.*locked after 0.5 s"):
            import_layer(store, "eco_redline", src["eco_redline"], lock_timeout=0.5)
        assert time.monotonic() - t0 >= 0.5
        csv = tmp_path / "list.csv"
        csv.write_text(_ALLOWING_LIST, encoding="utf-8")
        procs = [run("layers", "import", store, "eco_redline", src["eco_redline"], "--lock-timeout", "0.3"),
                 run("layers", "rebuild", store, "--lock-timeout", "0.3"),
                 run("rules", "import", store, csv, "--lock-timeout", "0.3")]
    for proc in procs:
        assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert str(store) in proc.stderr and "--lock-timeout" in proc.stderr
    assert sha(store) == before


# ----------------------------------------------------------------------------- atomicity, kill -9, signals


@pytest.mark.parametrize("moment", ["copied", "layer_written", "written", "replaced"])
def test_kill_9_leaves_the_old_or_the_new_store_whole(tmp_path, moment):
    versions = unit_versions(tmp_path / "src")
    store = tmp_path / "s.gpkg"
    import_layer(store, "control_units", versions["A"])
    assert version_of(store) == "A"
    proc = gisplan("layers", "import", store, "control_units", versions["B"], env={"GISPLAN_TEST_PAUSE": f"{moment}:30"})
    wait_for_pause(proc, moment)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert quick_check(store) == "ok"
    assert version_of(store) == ("B" if moment == "replaced" else "A")
    if moment != "replaced":
        assert temps(store), "the kill should have left a temp store behind"
    # the next write removes the stale temp files (and its own)
    r = run("layers", "import", store, "control_units", versions["B"])
    assert r.returncode == 0, r.stderr
    assert temps(store) == [] and version_of(store) == "B"


def test_kill_9_after_random_delays_never_mixes_versions(tmp_path):
    import random

    versions = unit_versions(tmp_path / "src")
    store = tmp_path / "s.gpkg"
    import_layer(store, "control_units", versions["A"])
    rng = random.Random(9)
    outcomes = []
    for _ in range(6):
        target = "B" if version_of(store) == "A" else "A"
        proc = gisplan("layers", "import", store, "control_units", versions[target])
        time.sleep(rng.uniform(0.5, 4.0))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        assert quick_check(store) == "ok"
        outcomes.append(version_of(store) == target)  # version_of checks layer and clauses agree
    assert not all(outcomes), "no kill landed before the import finished: the test proved nothing"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_remove_the_temp_and_keep_the_store(tmp_path, sig):
    versions = unit_versions(tmp_path / "src")
    store = tmp_path / "s.gpkg"
    import_layer(store, "control_units", versions["A"])
    before = sha(store)
    proc = gisplan("layers", "import", store, "control_units", versions["B"], env={"GISPLAN_TEST_PAUSE": "layer_written:30"},
                   **AS_IN_A_TERMINAL)
    wait_for_pause(proc, "layer_written")
    assert temps(store)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode != 0 and "Traceback" not in err
    assert temps(store) == [] and sha(store) == before


def test_stale_temps_are_removed_only_when_their_writer_is_provably_gone(tmp_path):
    from gisplan.store.files import _boot_tag, _host_tag, writer_tag

    src = write_sources(tmp_path / "src")
    store = tmp_path / "s.gpkg"
    import_layer(store, "control_units", src["control_units"])
    dead = subprocess.Popen(["true"])
    dead.wait()
    alive = subprocess.Popen(["sleep", "60"])
    try:
        time.sleep(0.2)
        host, boot = _host_tag(), _boot_tag()
        gone = [tmp_path / f".s.gpkg.{host}-{boot}-{dead.pid}-1.ab12.tmp.gpkg",
                tmp_path / f".s.gpkg.{host}-{boot}-{dead.pid}-1.ab12.tmp.gpkg-journal",
                tmp_path / f".s.gpkg.{host}-{'f' * 8 if boot != 'f' * 8 else '0' * 8}-{alive.pid}-5.cd34.tmp.gpkg"]
        kept = [tmp_path / f".s.gpkg.{writer_tag(alive.pid)}.ef56.tmp.gpkg",  # a live writer
                tmp_path / f".s.gpkg.{'0' * 8 if host != '0' * 8 else '1' * 8}-{boot}-{dead.pid}-1.aa.tmp.gpkg",
                tmp_path / ".s.gpkg.x1y2.tmp.gpkg",  # no writer named: nothing proven
                tmp_path / ".t.gpkg.x1y2.tmp.gpkg"]  # another store's temp is not ours to remove
        for p in gone + kept:
            p.write_bytes(b"\0" * 1000)
        import_layer(store, "eco_redline", src["eco_redline"])
        assert [p.name for p in gone if p.exists()] == []
        assert [p.name for p in kept if not p.exists()] == []
    finally:
        alive.kill()
        alive.wait()


# ----------------------------------------------------------------------------- consistent reads


def test_a_store_object_is_a_snapshot(tmp_path):
    versions = unit_versions(tmp_path / "src")
    path = tmp_path / "s.gpkg"
    import_layer(path, "control_units", versions["A"])
    old = Store(path)
    import_layer(path, "control_units", versions["B"])  # replaces the file under the open snapshot
    r = screen(WEST_SITE, old)
    cu = r.control_units
    assert list(cu["code"]) == ["ZH22240110091"] and list(cu["category"]) == ["priority"]
    assert rel(cu["overlap_m2"].iloc[0], geod_area(WEST_SITE)) < 1e-3
    assert any(f["id"].startswith("layer:ZH22240110091:") for f in r.verdict["findings"])
    new = screen(WEST_SITE, path).control_units
    assert list(new["code"]) == ["ZH22240130092"] and list(new["category"]) == ["key"]


_READER = textwrap.dedent("""
    import json, sys, time
    import geopandas as gpd, shapely
    from gisplan.screening import screen
    from gisplan.batch import screen_batch
    store, rounds, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    site = shapely.box(129.42, 42.82, 129.44, 42.84)
    sites = gpd.GeoDataFrame({"id": [1, 2]}, geometry=[site, shapely.box(129.43, 42.90, 129.44, 42.91)], crs="EPSG:4490")
    t0, out = time.monotonic(), []
    for i in range(rounds):
        if time.monotonic() - t0 > limit:
            break
        r = screen(site, store)
        cu = r.control_units
        out.append({"what": "screen", "codes": list(cu["code"]), "cats": list(cu["category"]),
                    "m2": float(cu["overlap_m2"].sum()), "ids": [f["id"] for f in r.verdict["findings"]]})
        if i % 5 == 0:
            t = screen_batch(sites, store, id_field="id", progress=False)
            out.append({"what": "batch", "priority": t["priority_m2"].tolist(), "key": t["key_m2"].tolist(),
                        "general": t["general_m2"].tolist(), "outside": t["outside_m2"].tolist()})
    print(json.dumps(out))
""")

_WRITER = textwrap.dedent("""
    import os, sys, time
    from gisplan.importer import import_layer
    store, a, b, stop = sys.argv[1:5]
    n = 0
    while not os.path.exists(stop) and n < 400:
        import_layer(store, "control_units", b if n % 2 == 0 else a)
        n += 1
    print(n)
""")


def test_reader_never_mixes_versions_while_a_writer_reimports(tmp_path):
    versions = unit_versions(tmp_path / "src")
    store = tmp_path / "s.gpkg"
    import_layer(store, "control_units", versions["A"])
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, store, versions["A"], versions["B"], stop], env=ENV,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        reader = subprocess.run([sys.executable, "-c", _READER, store, "120", "240"], env=ENV,
                                capture_output=True, text=True, timeout=400)
    finally:
        stop.touch()
        w_out, w_err = writer.communicate(timeout=120)
    assert reader.returncode == 0, reader.stderr[-2000:]
    assert writer.returncode == 0, w_err[-2000:]
    answers = json.loads(reader.stdout)
    screens = [a for a in answers if a["what"] == "screen"]
    assert len(screens) >= 100, f"only {len(screens)} reader rounds"
    assert int(w_out) >= 2
    area = geod_area(WEST_SITE)
    north = geod_area(shapely.box(129.43, 42.90, 129.44, 42.91))
    seen = set()
    for a in screens:
        version = next(v for v, (code, _, _) in EXPECTED.items() if a["codes"] == [code]) \
            if a["codes"] in ([EXPECTED["A"][0]], [EXPECTED["B"][0]]) else None
        assert version is not None, a
        code, category, clause = EXPECTED[version]
        assert a["cats"] == [category] and rel(a["m2"], area) < 1e-3, a
        assert any(i.startswith(clause) for i in a["ids"]), a
        other = EXPECTED["B" if version == "A" else "A"][2]
        assert not any(i.startswith(other) for i in a["ids"]), a
        seen.add(version)
    for a in (a for a in answers if a["what"] == "batch"):
        # both sites lie in the west unit: priority in A, key in B; nothing outside
        if a["priority"][0] > 0:
            assert rel(a["priority"][0], area) < 1e-3 and rel(a["priority"][1], north) < 1e-3 and a["key"] == [0, 0], a
        else:
            assert rel(a["key"][0], area) < 1e-3 and rel(a["key"][1], north) < 1e-3 and a["priority"] == [0, 0], a
        assert a["outside"] == [0, 0] and a["general"] == [0, 0], a
    assert seen == {"A", "B"}, "the writer never changed the version under the reader"


# ----------------------------------------------------------------------------- integrity


@pytest.fixture()
def fixture_store(tmp_path):
    src = write_sources(tmp_path / "src")
    path = tmp_path / "s.gpkg"
    for kind, p in src.items():
        import_layer(path, kind, p)
    return path


def one_line_error(proc) -> str:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_a_unit_appended_by_gdal_stops_screening_until_rebuilt(fixture_store, tmp_path, site_file):
    new_unit = shapely.box(129.60, 42.80, 129.70, 42.95)  # east of every fixture unit
    site = site_file(shapely.box(129.65, 42.85, 129.66, 42.86))
    assert screen(site, fixture_store).control_units.empty  # before: outside every unit
    units = Store(fixture_store).read("control_units")
    row = gpd.GeoDataFrame({"code": ["ZH22240130099"], "name": ["外来单元"], "category": ["general"],
                            "county": [units["county"].iloc[0]]}, geometry=[new_unit], crs="EPSG:4490")
    pyogrio.write_dataframe(row, fixture_store, layer="control_units", append=True, promote_to_multi=True)
    line = one_line_error(run("screen", site, "--store", fixture_store))
    assert "control_units" in line and f"gisplan layers rebuild {fixture_store}" in line
    out = tmp_path / "b.csv"
    write_sites(tmp_path / "b.geojson", [1], [shapely.box(129.65, 42.85, 129.66, 42.86)], id_field="id")
    line = one_line_error(run("batch", tmp_path / "b.geojson", "--store", fixture_store, "--id-field", "id", "--out", out))
    assert "gisplan layers rebuild" in line
    r = run("layers", "rebuild", fixture_store)
    assert r.returncode == 0, r.stderr
    result = screen(site, fixture_store)
    cu = result.control_units
    assert list(cu["code"]) == ["ZH22240130099"]
    assert rel(cu["overlap_m2"].iloc[0], geod_area(shapely.box(129.65, 42.85, 129.66, 42.86))) < 1e-3
    assert rel(Store(fixture_store).read("control_units").set_index("code").loc["ZH22240130099", "area_m2"],
               geod_area(new_unit)) < 1e-3


def _gpkg_functions(con: sqlite3.Connection) -> None:
    """The SQL functions GeoPackage r-tree triggers call (GDAL registers them; plain sqlite3 does not)."""
    from gisplan.store.gpkg import _gpkg_wkb

    def bound(i):
        return lambda blob: None if blob is None else shapely.from_wkb(_gpkg_wkb(blob)).bounds[i]

    con.create_function("ST_IsEmpty", 1, lambda blob: 0 if blob else 1)
    for i, name in enumerate(("ST_MinX", "ST_MinY", "ST_MaxX", "ST_MaxY")):
        con.create_function(name, 1, bound(i))


def test_a_piece_geometry_changed_with_sqlite3_stops_screening(fixture_store, site_file):
    con = sqlite3.connect(fixture_store)
    _gpkg_functions(con)
    con.execute("UPDATE gisplan_pieces_control_units SET geom = "
                "(SELECT geom FROM gisplan_pieces_control_units WHERE fid = 2) WHERE fid = 1")
    con.commit()
    con.close()
    line = one_line_error(run("screen", site_file(shapely.box(129.45, 42.85, 129.46, 42.86)), "--store", fixture_store))
    assert "layer control_units differs" in line and "gisplan layers rebuild" in line
    r = run("layers", "rebuild", fixture_store)
    assert r.returncode == 0, r.stderr
    cu = screen(shapely.box(129.45, 42.85, 129.46, 42.86), fixture_store).control_units
    assert list(cu["code"]) == ["ZH22240110001"]


def test_reimporting_an_edited_layer_fixes_the_store(fixture_store, tmp_path):
    con = sqlite3.connect(fixture_store)
    con.execute("DROP TABLE control_units")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="control_units"):
        Store(fixture_store)
    import_layer(fixture_store, "control_units", write_sources(tmp_path / "again")["control_units"])
    Store(fixture_store).verify()


def test_a_dropped_control_units_table_stops_screening(fixture_store, site_file):
    con = sqlite3.connect(fixture_store)
    con.execute("DROP TABLE control_units")
    con.commit()
    con.close()
    site = site_file(shapely.box(129.55, 42.86, 129.56, 42.87))
    line = one_line_error(run("screen", site, "--store", fixture_store, "--industry", "化学原料制造"))
    assert "control_units" in line and "gisplan layers rebuild" in line
    # after a rebuild the layer is gone for good: the verdict says so instead of `allowed`
    assert run("layers", "rebuild", fixture_store).returncode == 0
    r = screen(site, fixture_store, industry="化学原料制造")
    assert r.verdict["overall"] == "review"
    assert "layer:control_units:missing" in r.verdict["deciding"]


def test_a_tampered_access_list_is_refused(fixture_store, tmp_path):
    csv = tmp_path / "list.csv"
    csv.write_text("层级,行政区划代码,管控单元类别,环境管控单元编码,管控维度,管控要求,文件,条款,适用行业,判定\n"
                   ",,,ZH22240130001,空间布局约束,禁止新建化工项目。,单元清单,1,C26,禁止\n", encoding="utf-8")
    import_access_list(fixture_store, csv)
    con = sqlite3.connect(fixture_store)
    con.execute(f"UPDATE {ACCESS_TABLE} SET decision = ''")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match=f"layer {ACCESS_TABLE} differs"):
        screen(shapely.box(129.55, 42.86, 129.56, 42.87), fixture_store, industry="化学原料制造")


def test_the_store_as_written_verifies_and_quick_checks(fixture_store):
    Store(fixture_store).verify()
    assert quick_check(fixture_store) == "ok"


def test_verification_is_remembered_per_file_version_and_an_edit_still_shows(fixture_store, monkeypatch):
    from gisplan.store import gpkg as store_mod
    old = time.time() - 60
    os.utime(fixture_store, (old, old))  # ctime stays now: wait out the coarse-timestamp guard instead
    time.sleep(2.1)
    Store(fixture_store).verify()
    calls = []
    real = store_mod._Reader.checksum
    monkeypatch.setattr(store_mod._Reader, "checksum", lambda self, table: calls.append(table) or real(self, table))
    Store(fixture_store).verify()
    assert calls == []  # the same file: not checksummed again
    con = sqlite3.connect(fixture_store)
    _gpkg_functions(con)
    con.execute("UPDATE gisplan_pieces_eco_redline SET area_m2 = area_m2 * 2")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="layer eco_redline differs"):
        Store(fixture_store).verify()
    assert calls


# ----------------------------------------------------------------------------- missing layers, coverage


_ALLOWING_LIST = ("层级,行政区划代码,管控单元类别,环境管控单元编码,管控维度,管控要求,文件,条款,适用行业,判定\n"
                  ",,,ZH22240130001,空间布局约束,禁止新建水泥熟料项目。,单元清单,1,C3011,禁止\n"
                  # a clause that names chemicals and allows them: `allowed` needs one that applies (issue 19)
                  ",,,ZH22240130001,空间布局约束,化工项目须进入合规园区。,单元清单,2,C26,允许\n")
GENERAL_SITE = shapely.box(129.55, 42.86, 129.56, 42.87)  # the general unit only, no zone near


def test_partly_outside_the_units_is_review_never_allowed(fixture_store, tmp_path):
    csv = tmp_path / "list.csv"
    csv.write_text(_ALLOWING_LIST, encoding="utf-8")
    import_access_list(fixture_store, csv)
    inside = screen(GENERAL_SITE, fixture_store, industry="化学原料制造").verdict
    assert inside["overall"] == "allowed"  # the clause names cement only: the control case
    straddling = shapely.box(129.595, 42.86, 129.605, 42.87)  # half east of the units
    r = screen(straddling, fixture_store, industry="化学原料制造")
    assert r.verdict["overall"] == "review" and "coverage:outside" in r.verdict["deciding"]
    assert rel(r.project["outside_coverage_m2"], geod_area(shapely.box(129.60, 42.86, 129.605, 42.87))) < 1e-2
    table = screen_batch(gpd.GeoDataFrame({"id": [1, 2]}, geometry=[GENERAL_SITE, straddling], crs="EPSG:4490"),
                         fixture_store, id_field="id", industry="化学原料制造", progress=False)
    assert list(table["verdict"]) == ["allowed", "review"]


@pytest.mark.parametrize("missing", ["control_units", "eco_redline", "protected_areas", "water_sources"])
def test_a_missing_layer_kind_gives_review_not_allowed(tmp_path, missing):
    src = write_sources(tmp_path / "src")
    path = tmp_path / "s.gpkg"
    for kind, p in src.items():
        if kind != missing:
            import_layer(path, kind, p)
    if missing != "control_units":
        csv = tmp_path / "list.csv"
        csv.write_text(_ALLOWING_LIST, encoding="utf-8")
        import_access_list(path, csv)
    r = screen(GENERAL_SITE, path, industry="化学原料制造")
    assert r.verdict["overall"] == "review"
    assert f"layer:{missing}:missing" in r.verdict["deciding"]  # with every layer this site is `allowed` (test above)
    finding = next(f for f in r.verdict["findings"] if f["id"] == f"layer:{missing}:missing")
    assert missing in finding["rule_en"]
    table = screen_batch(gpd.GeoDataFrame({"id": [1]}, geometry=[GENERAL_SITE], crs="EPSG:4490"), path,
                         id_field="id", industry="化学原料制造", progress=False)
    assert list(table["verdict"]) == ["review"]


# ----------------------------------------------------------------------------- tiny footprints


@pytest.mark.parametrize("kwargs, geom", [
    ({"radius": 0.05}, shapely.Point(129.45, 42.85)),
    ({"radius": 1e-4}, shapely.Point(129.45, 42.85)),
    ({"radius": 1e-9}, shapely.Point(129.45, 42.85)),
    ({"width": 1e-6}, shapely.LineString([(129.41, 42.80), (129.47, 42.87)])),
    ({"width": 0.5}, shapely.LineString([(129.41, 42.80), (129.47, 42.87)])),
    ({}, shapely.box(129.45, 42.85, 129.45 + 5e-6, 42.85 + 5e-6)),  # about 0.4 m x 0.55 m
])
def test_tiny_footprints_are_refused(store_path, kwargs, geom):
    with pytest.raises(SiteError, match="minimum"):
        screen(geom, store_path, **kwargs)


def test_tiny_footprints_cli_and_batch(store_path, site_file, tmp_path):
    line = one_line_error(run("screen", site_file(shapely.Point(129.45, 42.85)), "--store", store_path, "--radius", "0.05"))
    assert "--radius" in line and "minimum" in line
    tiny = shapely.box(129.45, 42.85, 129.45 + 5e-6, 42.85 + 5e-6)
    table = screen_batch(gpd.GeoDataFrame({"id": ["tiny", "ok"]}, geometry=[tiny, GENERAL_SITE], crs="EPSG:4490"),
                         store_path, id_field="id", progress=False)
    assert list(table["verdict"])[0] == "error" and "minimum footprint" in table["warnings"].iloc[0]
    assert table["verdict"].iloc[1] != "error"
    # just above the minimum is screened, and the redline it crosses is kept
    r = screen(shapely.Point(129.43, 42.83), store_path, radius=1.0)
    assert (r.hits["kind"] == "eco_redline").any()


# ----------------------------------------------------------------------------- disk full


_LIMITED = textwrap.dedent("""
    import resource, signal, sys
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    from gisplan.cli import main
    sys.argv = ["gisplan", *sys.argv[2:]]
    main()
""")


@pytest.mark.parametrize("room", [-1000, 60_000])
def test_disk_full_during_import_leaves_the_store_unchanged(fixture_store, tmp_path, room):
    """``room`` < 0: the copy itself fails; > 0: a later GDAL write fails (the new data is larger)."""
    before = sha(fixture_store)
    limit = fixture_store.stat().st_size + room
    units = gpd.read_file(write_sources(tmp_path / "src2")["control_units"])
    units["geometry"] = shapely.segmentize(units.geometry.values, 1e-5)  # ~40,000 vertices a unit: > 60 kB more
    dense = tmp_path / "dense_units.geojson"
    units.to_file(dense)
    csv = tmp_path / "list.csv"
    csv.write_text(_ALLOWING_LIST.splitlines()[0] + "\n" + "".join(
        f",,,ZH22240130001,空间布局约束,第{i}条：禁止新建水泥熟料项目，严格控制新增排放。,单元清单,{i},C3011,禁止\n"
        for i in range(3000)), encoding="utf-8")  # > 60 kB of clauses
    cases = [["layers", "import", fixture_store, "control_units", dense], ["rules", "import", fixture_store, csv]]
    for args in cases:
        p = subprocess.run([sys.executable, "-c", _LIMITED, str(limit), *map(str, args)], env=ENV,
                           capture_output=True, text=True, timeout=180)
        line = one_line_error(p)
        assert "no space left on device" in line and "the store is unchanged" in line
        assert "already exists" not in line
        assert sha(fixture_store) == before and temps(fixture_store) == []


def test_a_store_open_for_editing_elsewhere_is_refused(fixture_store, tmp_path):
    """A write-ahead log beside the store holds another program's edits, which a snapshot would miss."""
    wal = Path(str(fixture_store) + "-wal")
    wal.write_bytes(b"\0" * 4096)
    with pytest.raises(StoreError, match="open for editing in another program"):
        Store(fixture_store)
    before = sha(fixture_store)
    with pytest.raises(StoreError, match="open for editing in another program"):
        import_layer(fixture_store, "eco_redline", write_sources(tmp_path / "again")["eco_redline"])
    assert sha(fixture_store) == before and temps(fixture_store) == []


def test_a_store_without_checksums_is_refused_until_rebuilt(fixture_store, tmp_path):
    """A store made before checksums existed (simulated: the table dropped) is rebuilt, access list kept."""
    csv = tmp_path / "list.csv"
    csv.write_text(_ALLOWING_LIST, encoding="utf-8")
    import_access_list(fixture_store, csv)
    con = sqlite3.connect(fixture_store)
    con.execute("DROP TABLE gisplan_checksums")
    con.commit()
    con.close()
    line = one_line_error(run("layers", "list", fixture_store))
    assert f"gisplan layers rebuild {fixture_store}" in line
    r = run("layers", "rebuild", fixture_store)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.strip().splitlines()) == 4  # one line per kind
    s = Store(fixture_store)
    s.verify()
    assert list(s.read_table(ACCESS_TABLE)["text"]) == ["禁止新建水泥熟料项目。", "化工项目须进入合规园区。"]
    assert screen(GENERAL_SITE, s, industry="化学原料制造").verdict["overall"] == "allowed"
