"""Store writers that lose nothing (issue 20): outputs never land on a file the store owns, a
write checks it replaces the store with the very file it wrote, under a lock that is still
the store's lock, over the store it started from; temp copies are removed only when their
writer is provably gone.

Real ``gisplan`` processes; each paused write waits for a file the test creates
(``GISPLAN_TEST_PAUSE=moment:@FILE``), so nothing depends on the machine's speed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import shapely
from conftest import REPO, write_sources

from gisplan.importer import import_layer
from gisplan.store.gpkg import Store

ENV = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONWARNINGS": "ignore"}


def gisplan(*args, env=None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gisplan.cli", *map(str, args)], env={**ENV, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run(*args, env=None, timeout=300) -> subprocess.CompletedProcess:
    p = gisplan(*args, env=env)
    out, err = p.communicate(timeout=timeout)
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


def paused(go: Path, moment: str, *args) -> subprocess.Popen:
    """A ``gisplan`` write that stops at ``moment`` until ``go`` exists; returned once it is there."""
    proc = gisplan(*args, env={"GISPLAN_TEST_PAUSE": f"{moment}:@{go}"})
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        if line.strip() == f"gisplan-test-pause {moment}":
            return proc
    proc.kill()
    raise AssertionError(f"the write never paused at {moment}: {proc.communicate()}")


def finish(proc: subprocess.Popen, go: Path) -> tuple[int, str]:
    go.touch()
    _, err = proc.communicate(timeout=300)
    return proc.returncode, err


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def temps(store: Path) -> list[Path]:
    return [p for p in store.parent.iterdir() if p.name.startswith(f".{store.name}.")]


@pytest.fixture()
def fixture(tmp_path):
    src = write_sources(tmp_path / "src")
    store = tmp_path / "s.gpkg"
    import_layer(store, "control_units", src["control_units"])
    site = tmp_path / "site.geojson"
    import geopandas as gpd

    gpd.GeoDataFrame({"name": ["厂区"]}, geometry=[shapely.box(129.45, 42.85, 129.46, 42.86)],
                     crs="EPSG:4490").to_file(site)
    return store, src, site


def test_an_output_onto_the_lock_file_or_any_file_the_store_owns_is_refused(fixture, tmp_path):
    store, src, site = fixture
    lock = Path(str(store) + ".lock")
    lock_id = os.stat(lock).st_ino
    owned = [lock, Path(str(store) + "-wal"), Path(str(store) + "-journal"),
             tmp_path / ".s.gpkg.0a1b2c3d-0a1b2c3d-1-1.ab.tmp.gpkg", tmp_path / "s.gpkg.rasters" / "r.json"]
    for target in owned:
        r = run("screen", site, "--store", store, "--json", target)
        assert r.returncode == 2, (target, r.stderr)
        assert "belongs to the store" in one_line(r.stderr)
    assert os.stat(lock).st_ino == lock_id and lock.stat().st_size == 0
    assert not Path(str(store) + "-wal").exists() and not (tmp_path / "s.gpkg.rasters").exists()
    # a hard link to the lock file and a symlink to it are the same file
    os.link(lock, tmp_path / "hard.lock")
    (tmp_path / "soft.json").symlink_to(lock)
    for target in (tmp_path / "hard.lock", tmp_path / "soft.json"):
        r = run("screen", site, "--store", store, "--json", target)
        assert r.returncode == 2 and "belongs to the store" in r.stderr, r.stderr
    # the same through the batch and its report folder
    (tmp_path / "out.csv").symlink_to(lock)
    for args in (["--out", tmp_path / "out.csv"], ["--out", tmp_path / ".s.gpkg.0a1b2c3d-0a1b2c3d-1-1.cd.tmp.gpkg"],
                 ["--out", tmp_path / "b.csv", "--report-dir", tmp_path / "s.gpkg.rasters"]):
        r = run("batch", site, "--store", store, "--id-field", "name", *args)
        assert r.returncode == 2 and "belongs to the store" in one_line(r.stderr), (args, r.stderr)
    assert lock.stat().st_size == 0 and not list((tmp_path / "s.gpkg.rasters").glob("*.docx"))
    # the reproduction of the issue: with the lock intact a second writer waits for the first
    go = tmp_path / "go"
    first = paused(go, "written", "layers", "import", store, "eco_redline", src["eco_redline"])
    second = run("layers", "import", store, "water_sources", src["water_sources"], "--lock-timeout", "1")
    assert second.returncode == 2 and "locked after 1 s" in one_line(second.stderr)
    code, err = finish(first, go)
    assert code == 0, err
    s = Store(store)
    s.verify()
    assert s.kinds() == ["control_units", "eco_redline"] and temps(store) == []


@pytest.mark.parametrize("moment", ["layer_written", "written"])
def test_a_temp_copy_removed_mid_write_leaves_the_store_untouched(fixture, tmp_path, moment):
    """A tmp cleaner (or anyone) removes the temp copy: the write stops; never an empty store."""
    store, src, _ = fixture
    before = sha(store)
    go = tmp_path / "go"
    proc = paused(go, moment, "layers", "import", store, "eco_redline", src["eco_redline"])
    for p in temps(store):
        p.unlink()
    code, err = finish(proc, go)
    assert code == 2, err
    assert "removed or replaced by another program" in one_line(err) and "store is unchanged" in err
    assert sha(store) == before and store.stat().st_size > 100_000
    Store(store).verify()
    assert temps(store) == []


def test_a_temp_copy_replaced_by_another_file_is_not_installed(fixture, tmp_path):
    store, src, _ = fixture
    before = sha(store)
    decoy = tmp_path / "decoy.gpkg"
    import_layer(decoy, "protected_areas", src["protected_areas"])
    go = tmp_path / "go"
    proc = paused(go, "written", "layers", "import", store, "eco_redline", src["eco_redline"])
    (tmp,) = [p for p in temps(store) if p.name.endswith(".tmp.gpkg")]
    shutil.copyfile(decoy, tmp.with_name("x"))
    os.replace(tmp.with_name("x"), tmp)  # a valid GeoPackage, but not the file this write made
    code, err = finish(proc, go)
    assert code == 2 and "removed or replaced" in one_line(err), err
    assert sha(store) == before


def test_a_replaced_lock_file_lets_a_second_writer_in_but_the_first_then_stops(fixture, tmp_path):
    """The lock file is replaced while the first writer holds it (as `--json S.lock` did, or a writer
    whose lock is not shared): the second writer gets the new lock, leaves the first one's temp copy
    alone and writes; the first sees its lock is no longer the store's and writes nothing."""
    store, src, _ = fixture
    lock = Path(str(store) + ".lock")
    go = tmp_path / "go"
    first = paused(go, "written", "layers", "import", store, "eco_redline", src["eco_redline"])
    first_temps = {p.name for p in temps(store)}
    assert first_temps
    lock.with_name("new.lock").write_bytes(b"")
    os.replace(lock.with_name("new.lock"), lock)
    second = run("layers", "import", store, "water_sources", src["water_sources"], "--lock-timeout", "120")
    assert second.returncode == 0, second.stderr
    assert first_temps <= {p.name for p in temps(store)}, "the live writer's temp copy was removed"
    after_second = sha(store)
    code, err = finish(first, go)
    assert code == 2 and "lock file of store" in one_line(err) and "store is unchanged" in err, err
    assert sha(store) == after_second
    s = Store(store)
    s.verify()
    assert s.kinds() == ["control_units", "water_sources"] and temps(store) == []


def test_a_store_replaced_by_a_writer_without_the_lock_is_not_overwritten(fixture, tmp_path):
    """Another host's writer (flock not shared) replaced the store meanwhile: its version is kept."""
    store, src, _ = fixture
    other = tmp_path / "other.gpkg"
    shutil.copyfile(store, other)
    import_layer(other, "water_sources", src["water_sources"])
    go = tmp_path / "go"
    proc = paused(go, "written", "layers", "import", store, "eco_redline", src["eco_redline"])
    shutil.copyfile(other, tmp_path / "incoming")
    os.replace(tmp_path / "incoming", store)
    code, err = finish(proc, go)
    assert code == 2 and "replaced by another program while this write ran" in one_line(err), err
    assert sha(store) == sha(other)
    assert Store(store).kinds() == ["control_units", "water_sources"]


def test_a_symlinked_store_is_written_where_it_really_is(fixture, tmp_path):
    store, src, _ = fixture
    link = tmp_path / "elsewhere" / "link.gpkg"
    link.parent.mkdir()
    link.symlink_to(store)
    r = run("layers", "import", link, "eco_redline", src["eco_redline"])
    assert r.returncode == 0, r.stderr
    assert link.is_symlink() and Store(store).kinds() == ["control_units", "eco_redline"]
    assert not Path(str(link) + ".lock").exists() and Path(str(store) + ".lock").exists()


def test_a_store_may_not_be_made_on_another_stores_lock_file(fixture, tmp_path):
    store, src, _ = fixture
    lock = Path(str(store) + ".lock")
    lock.unlink()
    r = run("layers", "import", lock, "eco_redline", src["eco_redline"])
    assert r.returncode == 2 and "lock file of store" in one_line(r.stderr), r.stderr
    assert not lock.exists()


@pytest.mark.parametrize("kill", ["-9", "TERM"])
def test_a_raster_import_killed_before_the_store_is_replaced_leaves_store_and_raster_as_they_were(tmp_path, kill):
    """The new raster file is in place, the store not yet replaced: the store's own raster is untouched
    (files are named by content), so its statistics are still given, without a warning."""
    import signal

    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    from gisplan.rasters.stats import site_raster_stats
    from gisplan.rasters.store import raster_dir, raster_records

    def raster(path, value):
        data = np.full((20, 20), value, dtype="uint8")
        with rasterio.open(path, "w", driver="GTiff", width=20, height=20, count=1, dtype="uint8", crs="EPSG:4490",
                           transform=from_origin(129.0, 43.0, 0.01, 0.01), nodata=0) as dst:
            dst.write(data, 1)
        return path

    store = tmp_path / "r.gpkg"
    r = run("layers", "import", store, "raster", "lc", raster(tmp_path / "one.tif", 1))
    assert r.returncode == 0, r.stderr
    before = sha(store)
    go = tmp_path / "go"
    proc = paused(go, "written", "layers", "import", store, "raster", "lc", raster(tmp_path / "two.tif", 2))
    assert len(list(raster_dir(store).glob("lc.*.tif"))) == 2  # the new file beside the registered one
    proc.send_signal(signal.SIGKILL if kill == "-9" else signal.SIGTERM)
    proc.communicate(timeout=60)
    assert sha(store) == before
    s = Store(store)
    (rec,) = raster_records(s)
    assert rec["version"] == 1 and rec["path"].is_file()
    stats, warnings = site_raster_stats(s, shapely.box(129.02, 42.90, 129.05, 42.95), 1.0)
    assert warnings == [] and stats[0]["stats"]["mean"] == 1.0
    # the next import finishes and removes what is no longer registered
    r = run("layers", "import", store, "raster", "lc", raster(tmp_path / "three.tif", 3))
    assert r.returncode == 0, r.stderr
    (rec,) = raster_records(Store(store))
    assert rec["version"] == 2 and [p.name for p in raster_dir(store).iterdir()] == [rec["path"].name]


def test_an_output_onto_another_store_or_its_files_is_refused(fixture, tmp_path):
    """Not the store this command reads, but a gisplan store all the same: an output would replace it
    without its lock and checks."""
    store, src, site = fixture
    other = tmp_path / "other.gpkg"
    import_layer(other, "eco_redline", src["eco_redline"])
    before = sha(other)
    for target in (other, Path(str(other) + ".lock")):
        r = run("screen", site, "--store", store, "--json", target)
        assert r.returncode == 2 and "layer store" in one_line(r.stderr), r.stderr
    r = run("batch", site, "--store", store, "--id-field", "name", "--out", other)
    assert r.returncode == 2 and "gisplan layer store" in one_line(r.stderr)
    assert sha(other) == before and Store(other).kinds() == ["eco_redline"]
    plain = tmp_path / "plain.gpkg"  # a batch table (not a store) may be written over by the next batch
    assert run("batch", site, "--store", store, "--id-field", "name", "--out", plain).returncode == 0
    assert run("batch", site, "--store", store, "--id-field", "name", "--out", plain).returncode == 0
