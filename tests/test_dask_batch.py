"""``gisplan batch --engine dask``: on a cluster of 2 workers, the local engine's table, row for row."""

from __future__ import annotations

import csv
import logging
import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gisplan.demo.run import DEFAULT_DATA_DIR

try:
    import distributed  # noqa: F401
except ImportError:  # CI installs the extra (tools/bootstrap.sh --test): there the tests must run
    if os.environ.get("CI"):
        raise
    pytest.skip("Dask is not installed (pip install 'gisplan[dask]')", allow_module_level=True)

CLI = [sys.executable, "-m", "gisplan.cli"]
OPTS = ["--id-field", "site_id", "--radius", "300", "--width", "60", "--industry", "C26"]
API_OPTS = dict(id_field="site_id", radius=300.0, width=60.0, industry="C26", industry_field=None,
                national_major=None, raster_stats=())


def _cli(*args, env=None, timeout=240):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def sites(tmp_path_factory) -> Path:
    """The bundled batch sites and harder ones: Chinese ids, a corridor with its own width, a point with the
    default radius, a site outside the store's coverage, one outside China, one without geometry, a bow-tie."""
    base = gpd.read_file(DEFAULT_DATA_DIR / "sites" / "batch_sites.geojson")
    extra = gpd.GeoDataFrame(
        {"site_id": ["延吉-光伏-甲", "公路走廊-乙", "北京-范围外", "俄罗斯-境外", "空几何", "自交-丙", "点-默认半径"],
         "name": ["光伏", "公路", "范围外", "境外", "空", "自交", "点"],
         "width_m": [None, 40.0, None, None, None, None, None]},
        geometry=[shapely.box(129.45, 42.86, 129.47, 42.87),
                  shapely.LineString([(129.3, 42.8), (129.5, 42.95), (129.6, 42.9)]),
                  shapely.box(116.40, 39.90, 116.41, 39.91), shapely.Point(131.3, 43.0), None,
                  shapely.Polygon([(129.4, 42.9), (129.42, 42.92), (129.42, 42.9), (129.4, 42.92)]),
                  shapely.Point(129.5, 42.9)], crs=base.crs)
    # interleaved, so that every chunk and partition mixes kinds of sites
    frame = pd.concat([base, extra], ignore_index=True).iloc[np.r_[0:25:4, 25:32, 1:25:4, 2:25:4, 3:25:4]]
    path = tmp_path_factory.mktemp("dask_sites") / "varied_sites.geojson"
    frame.to_file(path, driver="GeoJSON")
    return path


@pytest.fixture(scope="module")
def local_csv(sites, demo_store, tmp_path_factory) -> Path:
    """The local engine's table (the command line, default chunks)."""
    out = tmp_path_factory.mktemp("dask_local") / "local.csv"
    r = _cli("batch", sites, "--store", demo_store, *OPTS, "--out", out)
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="module")
def cluster():
    """A local cluster of 2 worker processes: (scheduler address, client)."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as local, Client(local) as client:
        yield local.scheduler_address, client


def _verdicts(path: Path) -> dict:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return {row["site_id"]: row["verdict"] for row in csv.DictReader(fh)}


def test_dask_csv_is_the_local_csv_byte_for_byte(sites, demo_store, local_csv, tmp_path):
    out = tmp_path / "dask.csv"
    r = _cli("batch", sites, "--store", demo_store, *OPTS, "--out", out, "--engine", "dask",
             "--chunk-size", 8, "--partitions", 3)  # no --scheduler: a local cluster of 2 workers
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == local_csv.read_bytes()
    rows = _verdicts(out)
    assert len(rows) == 32 and rows["北京-范围外"] == "review" and rows["俄罗斯-境外"] == "error"
    assert rows["空几何"] == "error" and "32 site(s) screened" in r.stdout
    assert not list(tmp_path.glob(".dask.csv.parts-*"))


def test_dask_gpkg_equals_local_and_each_worker_opens_the_store_once(sites, demo_store, cluster, tmp_path):
    from gisplan.batch import screen_batch, write_batch
    from gisplan.engine.dask_batch import dask_batch, worker_store_opens

    address, client = cluster
    whole = tmp_path / "local.gpkg"
    write_batch(screen_batch(sites, demo_store, progress=False, **API_OPTS), whole)
    out = tmp_path / "dask.gpkg"
    counts = dask_batch(sites, demo_store, out, scheduler=address, chunk_size=5, partitions=4, progress=False,
                        **API_OPTS)
    a, b = gpd.read_file(whole), gpd.read_file(out)
    assert a.drop(columns="geometry").equals(b.drop(columns="geometry"))
    assert a.geometry.to_wkb().equals(b.geometry.to_wkb())  # the same footprints, None where no site
    assert (a.geometry.isna() == (a["verdict"] == "error")).all()  # no footprint exactly where no screening
    assert sum(counts.values()) == 32 and counts["error"] == (a["verdict"] == "error").sum()
    opens = client.run(worker_store_opens)  # 7 chunks x 4 partitions on 2 workers
    per_worker = [o.get(str(demo_store), 0) for o in opens.values()]
    assert per_worker == [1, 1]  # both screened (each its share of every chunk), each opened the store once


def test_real_scheduler_and_worker_processes(sites, demo_store, local_csv, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    logs = open(tmp_path / "dask.log", "w")
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                  "--port", str(port), "--no-dashboard"], stdout=logs, stderr=logs)
    worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                               "--nworkers", "1", "--no-dashboard"],
                              stdout=logs, stderr=logs)
    try:
        out = tmp_path / "dask.csv"
        start = time.monotonic()
        r = None
        while time.monotonic() - start < 60:  # the scheduler may still be starting: it is refused then
            r = _cli("batch", sites, "--store", demo_store, *OPTS, "--out", out, "--engine", "dask",
                     "--scheduler", address, "--chunk-size", 10, timeout=90)
            if r.returncode == 0 or "scheduler" not in r.stderr:
                break
        assert r.returncode == 0, r.stderr
        assert out.read_bytes() == local_csv.read_bytes()
    finally:
        for proc in (worker, scheduler):
            proc.terminate()
        for proc in (worker, scheduler):
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        logs.close()


def test_bad_scheduler_and_misused_options_one_line(sites, demo_store, tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.monotonic()
    r = _cli("batch", sites, "--store", demo_store, *OPTS, "--out", tmp_path / "o.csv", "--engine", "dask",
             "--scheduler", f"tcp://127.0.0.1:{port}")
    assert time.monotonic() - start < 45
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "--scheduler" in r.stderr and f"127.0.0.1:{port}" in r.stderr
    for args in (["--scheduler", "tcp://127.0.0.1:8786"],  # without --engine dask
                 ["--engine", "dask", "--report-dir", tmp_path / "reports"],
                 ["--engine", "dask", "--scheduler", "tcp://127.0.0.1:8786", "--workers", 3]):
        bad = _cli("batch", sites, "--store", demo_store, *OPTS, "--out", tmp_path / "o.csv", *args)
        assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1, (args, bad.stderr)
    assert not (tmp_path / "o.csv").exists()


def test_without_dask_one_line_says_how_to_install(sites, demo_store, tmp_path):
    fake = tmp_path / "fake"
    (fake / "distributed").mkdir(parents=True)
    (fake / "distributed" / "__init__.py").write_text("raise ImportError('no distributed here')\n")
    path = os.pathsep.join([str(fake), os.environ.get("PYTHONPATH", "")])
    r = _cli("batch", sites, "--store", demo_store, *OPTS, "--out", tmp_path / "o.csv", "--engine", "dask",
             env={"PYTHONPATH": path})
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "pip install 'gisplan[dask]'" in r.stderr


def test_a_worker_error_comes_back_as_one_line(sites, demo_store, cluster, tmp_path):
    address, _ = cluster
    for args, fragment in ((["--id-field", "no_such_field"], "--id-field"),
                           (["--raster-stats", "no_such_raster"], "no_such_raster")):
        opts = [*OPTS, *args] if args[0] != "--id-field" else [*args, *OPTS[2:]]
        r = _cli("batch", sites, "--store", demo_store, *opts, "--out", tmp_path / "o.csv", "--engine", "dask",
                 "--scheduler", address, "--chunk-size", 10)
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert fragment in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "o.csv").exists()


def test_resume_finishes_a_failed_run_like_a_clean_one(sites, demo_store, local_csv, cluster, tmp_path,
                                                        monkeypatch):
    import gisplan.batch
    from gisplan.engine import dask_batch as engine

    address, _ = cluster
    out = tmp_path / "resumed.csv"
    real = gisplan.batch.write_batch
    written = []

    def failing(table, path, **kw):  # the third chunk's part cannot be written: the run stops there
        if len(written) == 2:
            raise OSError(28, "No space left on device")
        written.append(path)
        return real(table, path, **kw)

    monkeypatch.setattr(engine, "_dir_exists", lambda path: False)  # the workers do not see the parts: written here
    monkeypatch.setattr(gisplan.batch, "write_batch", failing)
    with pytest.raises(OSError):
        engine.dask_batch(sites, demo_store, out, scheduler=address, chunk_size=6, partitions=2, progress=False,
                          **API_OPTS)
    assert not out.exists() and len(list(tmp_path.glob(".resumed.csv.parts-*"))) == 1
    written.clear()
    monkeypatch.setattr(gisplan.batch, "write_batch", lambda t, p, **kw: (written.append(p), real(t, p, **kw))[1])
    counts = engine.dask_batch(sites, demo_store, out, scheduler=address, chunk_size=6, partitions=2,
                               resume=True, progress=False, **API_OPTS)
    assert len(written) == 6 - 2  # 32 sites in 6 chunks: only the 4 unfinished ones were screened
    assert out.read_bytes() == local_csv.read_bytes() and sum(counts.values()) == 32
    assert not list(tmp_path.glob(".resumed.csv.parts-*"))


def test_spatial_partitions_are_compact_and_cover_each_row_once():
    from gisplan.engine.dask_batch import spatial_partitions

    rng = np.random.default_rng(7)
    centres = [(100.0, 25.0), (100.0, 45.0), (125.0, 25.0), (125.0, 45.0)]  # four far-apart groups of 10
    pts = [shapely.Point(cx + dx, cy + dy) for cx, cy in centres for dx, dy in rng.uniform(-0.5, 0.5, (10, 2))]
    order = rng.permutation(len(pts))
    frame = gpd.GeoDataFrame({"group": np.repeat(np.arange(4), 10)[order]}, geometry=[pts[i] for i in order])
    parts = spatial_partitions(frame, 4)
    assert sorted(np.concatenate(parts).tolist()) == list(range(40))
    assert [len(p) for p in parts] == [10, 10, 10, 10]
    assert all(frame["group"].iloc[p].nunique() == 1 for p in parts)  # each partition is one group
    assert len(spatial_partitions(frame.iloc[:3], 8)) == 3


def test_worker_store_reopened_when_replaced_and_refused_when_not_the_runs(demo_store, tmp_path):
    import shutil

    from gisplan.engine import dask_batch as engine
    from gisplan.errors import StoreError

    path = tmp_path / "store.gpkg"
    shutil.copyfile(demo_store, path)
    spec = str(path)
    version = engine._store_version(spec)
    first = engine._worker_store(spec, version)
    assert engine._worker_store(spec, version) is first and engine.worker_store_opens()[spec] == 1
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 5_000_000_000))  # a new version of the file
    with pytest.raises(StoreError, match="not the one the run started with"):
        engine._worker_store(spec, version)
    again = engine._worker_store(spec, engine._store_version(spec))
    assert again is not first and engine.worker_store_opens()[spec] == 2


def test_sites_read_here_and_sent_when_the_workers_do_not_see_the_file(sites, demo_store, local_csv, cluster,
                                                                      tmp_path, monkeypatch):
    from gisplan.engine import dask_batch as engine

    address, _ = cluster
    read_here = []
    real = engine._read_partitions
    monkeypatch.setattr(engine, "_file_stamp", lambda path: os.getpid())  # every process "sees" another file
    monkeypatch.setattr(engine, "_token_of", lambda path: "another disk")  # ... and another folder of that path
    monkeypatch.setattr(engine, "_read_partitions", lambda *a: (read_here.append(a[1]), real(*a))[1])
    out = tmp_path / "sent.csv"
    engine.dask_batch(sites, demo_store, out, scheduler=address, chunk_size=9, partitions=3, progress=False,
                      **API_OPTS)
    assert read_here == [(0, 9), (9, 9), (18, 9), (27, 5)]  # every window read by this process
    assert out.read_bytes() == local_csv.read_bytes()


def test_a_worker_that_dies_ends_the_run_with_one_clear_error(sites, demo_store, tmp_path, monkeypatch):
    import dask
    from distributed import LocalCluster

    from gisplan.engine import dask_batch as engine
    from gisplan.errors import GisplanError

    # a partition that kills its worker process (pickled by value, so it runs as written on the worker)
    monkeypatch.setattr(engine, "_screen_partition", lambda *a: os._exit(3))
    monkeypatch.setattr(engine, "_screen_spill_chunk", lambda *a: os._exit(3))
    out = tmp_path / "o.csv"
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                         silence_logs=logging.CRITICAL) as local:
        with pytest.raises(engine.ClusterError) as info:
            engine.dask_batch(sites, demo_store, out, scheduler=local.scheduler_address, chunk_size=10,
                              partitions=2, progress=False, **API_OPTS)
    message = str(info.value)
    assert isinstance(info.value, GisplanError) and "\n" not in message
    assert re.search(r"chunk \d+", message) and "KilledWorker" in message
    assert not out.exists() and len(list(tmp_path.glob(".o.csv.parts-*"))) == 1  # kept for --resume


# --------------------------------------------------------------------------- the workers read the spill


def _no_reading_here(*args):
    raise AssertionError("this process read a window to send it")


def _spill_run(engine, client, sites, store, out, **kw) -> tuple[Counter, int]:
    """A run of ``dask_batch`` on the fixture's cluster; (counts, chunks the workers loaded from its spill)."""
    before = sum(sum(c.values()) for c in client.run(engine.worker_spill_chunks).values())
    counts = engine.dask_batch(sites, store, out, scheduler=client.scheduler.address, progress=False, **API_OPTS, **kw)
    after = sum(sum(c.values()) for c in client.run(engine.worker_spill_chunks).values())
    return counts, after - before


def test_workers_read_the_spill_and_write_the_parts_csv_byte_for_byte(sites, demo_store, local_csv, cluster,
                                                                       tmp_path, monkeypatch):
    from gisplan.engine import dask_batch as engine

    _, client = cluster
    monkeypatch.setattr(engine, "_read_partitions", _no_reading_here)
    out = tmp_path / "new folder" / "spilled.csv"  # made by the run, then seen by the workers
    counts, loaded = _spill_run(engine, client, sites, demo_store, out, chunk_size=8, partitions=3)
    assert loaded == 11  # 32 sites, 3 per task (8 / 3 rounded up): every chunk screened on a worker
    assert out.read_bytes() == local_csv.read_bytes()
    assert sum(counts.values()) == 32 and counts == Counter(_verdicts(out).values())
    assert [p.name for p in out.parent.iterdir()] == ["spilled.csv"]  # no parts folder or probe file left


@pytest.mark.parametrize("suffix", [".parquet", ".gpkg"])
def test_spilled_parquet_and_gpkg_equal_the_local_engines(sites, demo_store, cluster, tmp_path, monkeypatch, suffix):
    from gisplan.engine import dask_batch as engine
    from gisplan.engine.stream import stream_batch

    _, client = cluster
    monkeypatch.setattr(engine, "_read_partitions", _no_reading_here)
    local = tmp_path / f"local{suffix}"
    stream_batch(sites, demo_store, local, chunk_size=7, progress=False, **API_OPTS)  # curve chunks, merged too
    out = tmp_path / f"dask{suffix}"
    _, loaded = _spill_run(engine, client, sites, demo_store, out, chunk_size=5, partitions=2)
    assert loaded == 11
    read = gpd.read_parquet if suffix == ".parquet" else gpd.read_file
    a, b = read(local), read(out)
    assert list(a.columns) == list(b.columns) and len(b) == 32
    pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
    assert a.geometry.to_wkb().equals(b.geometry.to_wkb())
    assert a.crs == b.crs


def _killed_after_two_chunks(sites, store, address, out: Path) -> list:
    """A spilled CLI run (8 sites per window, 4 tasks per window: 16 chunks) killed after 2+ chunks; their list."""
    import json

    proc = subprocess.Popen([*CLI, "batch", str(sites), "--store", str(store), *OPTS, "--out", str(out),
                             "--engine", "dask", "--scheduler", address, "--chunk-size", "8", "--partitions", "4"],
                            env={**os.environ, "GISPLAN_TEST_CHUNK_PAUSE": "2"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done: list = []
    start = time.monotonic()
    try:
        while time.monotonic() - start < 120 and len(done) < 2 and proc.poll() is None:
            time.sleep(0.2)
            for manifest in out.parent.glob(f".{out.name}.parts-*/manifest.json"):
                try:
                    done = json.loads(manifest.read_text(encoding="utf-8"))["done"]
                except (OSError, ValueError, KeyError):
                    pass
    finally:
        proc.kill()
        proc.wait(30)
    assert 2 <= len(done) < 16, proc.stderr.read().decode()
    assert not out.exists() and len(list(out.parent.glob(f".{out.name}.parts-*"))) == 1
    return done


def test_spilled_run_killed_then_resumed_equals_a_clean_run(sites, demo_store, local_csv, cluster, tmp_path,
                                                            monkeypatch):
    from gisplan.engine import dask_batch as engine

    address, client = cluster
    out = tmp_path / "killed.csv"
    done = _killed_after_two_chunks(sites, demo_store, address, out)
    submitted = []
    real = engine._interleaved
    monkeypatch.setattr(engine, "_interleaved", lambda todo, *a: (submitted.extend(todo), real(todo, *a))[1])
    monkeypatch.setattr(engine, "_read_partitions", _no_reading_here)
    counts, _ = _spill_run(engine, client, sites, demo_store, out, chunk_size=8, partitions=4, resume=True)
    assert out.read_bytes() == local_csv.read_bytes() and sum(counts.values()) == 32
    assert sorted(submitted) == sorted(set(range(16)) - set(done))  # only the unfinished chunks were screened
    assert not list(tmp_path.glob(".killed.csv.parts-*"))


def test_the_local_engine_resumes_a_killed_spilled_run(sites, demo_store, local_csv, cluster, tmp_path, monkeypatch):
    from gisplan.engine import stream

    address, _ = cluster
    out = tmp_path / "handed.csv"
    done = _killed_after_two_chunks(sites, demo_store, address, out)
    screened = []
    real = stream._screen_chunk
    monkeypatch.setattr(stream, "_screen_chunk", lambda frame, *a: (screened.append(len(frame)), real(frame, *a))[1])
    counts = stream.stream_batch(sites, demo_store, out, chunk_size=2, resume=True, progress=False, **API_OPTS)
    assert len(screened) == 16 - len(done)  # the same chunks (2 sites each): the dask run's parts kept
    assert out.read_bytes() == local_csv.read_bytes() and sum(counts.values()) == 32


def test_spill_not_used_when_the_workers_do_not_see_the_folder(sites, demo_store, local_csv, cluster, tmp_path,
                                                               monkeypatch):
    from gisplan.engine import dask_batch as engine

    _, client = cluster
    read_here = []
    real = engine._read_partitions
    monkeypatch.setattr(engine, "_dir_exists", lambda path: False)
    monkeypatch.setattr(engine, "_read_partitions", lambda *a: (read_here.append(a[1]), real(*a))[1])
    out = tmp_path / "fallback.csv"
    counts, loaded = _spill_run(engine, client, sites, demo_store, out, chunk_size=16, partitions=2)
    assert loaded == 0 and read_here == [(0, 16), (16, 16)]
    assert out.read_bytes() == local_csv.read_bytes() and sum(counts.values()) == 32
    from gisplan.engine.stream import stream_batch  # a GeoParquet table too, in this mode

    local = tmp_path / "local.parquet"
    stream_batch(sites, demo_store, local, progress=False, **API_OPTS)
    _, loaded = _spill_run(engine, client, sites, demo_store, tmp_path / "fallback.parquet", chunk_size=16,
                           partitions=2)
    a, b = gpd.read_parquet(local), gpd.read_parquet(tmp_path / "fallback.parquet")
    assert loaded == 0 and len(read_here) == 4
    pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
    assert a.geometry.to_wkb().equals(b.geometry.to_wkb()) and a.crs == b.crs


def test_waiting_on_chunks_no_worker_runs_ends_with_one_clear_error(cluster, monkeypatch):
    from gisplan.engine import dask_batch as engine

    _, client = cluster
    monkeypatch.setattr(engine, "STALL_TIMEOUT_S", 0.6)
    monkeypatch.setattr(engine, "_STALL_CHECK_S", 0.2)
    never = client.submit(time.sleep, 0, pure=False, workers=["tcp://192.0.2.1:1"])  # no such worker: never runs
    try:
        start = time.monotonic()
        with pytest.raises(engine.ClusterError, match=r"stopped working on chunk 7 .*no task ran") as info:
            engine._wait_any([never], {never: 7})
        assert time.monotonic() - start < 30 and "\n" not in str(info.value)
    finally:
        client.cancel([never])


def test_chunks_submitted_one_share_after_another_each_once():
    from gisplan.engine.dask_batch import _interleaved, _share

    for n, workers in ((10, 3), (7, 2), (5, 8), (1, 1)):
        order = _interleaved(list(range(n)), n, workers)
        assert sorted(order) == list(range(n))
        shares = [_share(k, n, workers) for k in order]
        first = shares[:min(workers, n)]
        assert len(set(first)) == len(first)  # the first tasks go to as many workers as there are
        assert all(_share(k, n, workers) <= _share(k + 1, n, workers) for k in range(n - 1))  # runs along the curve
