"""The CLI's error contract (issue 9) with real processes: a closed stdout pipe ends
quietly, third-party warnings are not printed, --buffer above 50 km and
implausible corner-table coordinates are one line and exit 2, SIGTERM/SIGINT
leave no temp files (exit 143/130), and ``read`` and ``screen`` give the same GK area."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import shapely
from click.testing import CliRunner

import _site_fixtures as fx
from _signals import AS_IN_A_TERMINAL
from gisplan.cli import main
from gisplan.errors import InputError, SiteError
from gisplan.io.table import gk_range_problem

CLI = [sys.executable, "-m", "gisplan.cli"]
SITE = shapely.box(129.45, 42.85, 129.47, 42.87)


def env() -> dict:
    return {k: v for k, v in os.environ.items() if k != "GISPLAN_DEBUG"}


def cli(*args, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(CLI + [str(a) for a in args], capture_output=True, text=True, timeout=timeout, env=env())


def assert_one_line(proc, code: int = 2) -> str:
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    err = proc.stderr.strip()
    assert err and "\n" not in err and "Traceback" not in err, proc.stderr
    return err


# --------------------------------------------------------------------------- closed pipe


def test_closed_stdout_pipe_is_quiet(store_path, site_file):
    """The reader is gone before gisplan writes (as ``| head`` that has exited): EPIPE."""
    p = subprocess.Popen(CLI + ["screen", str(site_file(SITE)), "--store", str(store_path)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env())
    p.stdout.close()
    err = p.stderr.read()
    p.wait(timeout=240)
    assert err == b"", err
    assert p.returncode in (0, 141)


def test_pipe_into_head_is_quiet(store_path, tmp_path, site_file):
    err_file = tmp_path / "err.txt"
    cmd = " ".join(f"'{a}'" for a in CLI + ["screen", str(site_file(SITE)), "--store", str(store_path), "--lang", "en"])
    proc = subprocess.run(["bash", "-c", f"{cmd} 2>'{err_file}' | head -1; echo \"rc=${{PIPESTATUS[0]}}\""],
                          capture_output=True, text=True, timeout=240, env=env())
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("Project") and re.fullmatch(r"rc=(0|141)", lines[-1]), proc.stdout
    assert err_file.read_text() == ""


# --------------------------------------------------------------------------- warnings


def test_third_party_warnings_are_not_printed(store_path, tmp_path, site_file):
    """A control character in the name makes matplotlib warn about a missing glyph."""
    site = site_file(SITE, name="厂区\x07")
    proc = cli("screen", site, "--store", store_path, "--png", tmp_path / "m.png", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    debug = subprocess.run(CLI + ["screen", str(site), "--store", str(store_path), "--png", str(tmp_path / "m2.png"),
                                  "--quiet"], capture_output=True, text=True, timeout=240,
                           env={**env(), "GISPLAN_DEBUG": "1"})
    assert "Glyph" in debug.stderr  # the warning exists: it is captured, not absent


def test_runtime_warning_in_a_command_is_not_printed(monkeypatch, store_path, site_file):
    import warnings

    import gisplan.report as report

    real = report.summary_text

    def noisy(*args, **kwargs):
        np.log(np.zeros(1))  # numpy RuntimeWarning: divide by zero
        warnings.warn("pyogrio-like warning", UserWarning, stacklevel=1)
        return real(*args, **kwargs)

    monkeypatch.setattr(report, "summary_text", noisy)
    r = CliRunner().invoke(main, ["screen", str(site_file(SITE)), "--store", str(store_path)])
    assert r.exit_code == 0 and r.stderr == "", r.stderr


# --------------------------------------------------------------------------- buffer


def test_buffer_above_50_km_is_refused(store_path, site_file):
    err = assert_one_line(cli("screen", site_file(SITE), "--store", store_path, "--buffer", "1e9"))
    assert "50 km" in err


def test_buffer_limit_in_the_api(store_path, site_file):
    import gisplan

    site = site_file(SITE)
    with pytest.raises(InputError, match="50 km"):
        gisplan.screen(site, store_path, buffer=1e9)
    with pytest.raises(InputError):
        gisplan.screen(site, store_path, buffer=50_000.5)
    assert gisplan.screen(site, store_path, buffer=50_000).params is not None


# --------------------------------------------------------------------------- corner tables


def _table(tmp_path: Path, name: str, change: dict[int, tuple[float | None, float | None]]) -> Path:
    rows = fx.gk_corners(fx.ZONE42_LONLAT)
    for i, (n, e) in change.items():
        rows[i] = (rows[i][0] if n is None else n, rows[i][1] if e is None else e)
    path = tmp_path / name
    path.write_text(fx.corner_csv_text(rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("northing", [47_528_478.0, 1e300, 250_000.0, 7_200_000.0])
def test_implausible_northing_refused_by_read_and_screen(store_path, tmp_path, northing):
    table = _table(tmp_path, "bad.csv", {2: (northing, None)})
    err = assert_one_line(cli("read", table))
    assert "row 4" in err and "northing" in err
    assert_one_line(cli("screen", table, "--store", store_path))
    r = CliRunner().invoke(main, ["batch", str(table), "--store", str(store_path), "--id-field", "parcel",
                                  "--out", str(tmp_path / "b.csv")])
    assert r.exit_code == 2 and "northing" in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert not (tmp_path / "b.csv").exists()


@pytest.mark.parametrize("easting", [42_950_000.0, 46_543_434.0, 1_543_434.0, 42_050_000.0])
def test_implausible_easting_refused(tmp_path, easting):
    from gisplan.sites import read_site

    table = _table(tmp_path, "bad.csv", {1: (None, easting)})
    with pytest.raises(SiteError, match="easting|zone"):
        read_site(table)


def test_gk_range_bounds_match_pyproj():
    """The range admits China's extreme points and refuses a digit too many (pyproj, independently)."""
    from pyproj import Transformer

    # Zengmu Reef, Mohe, Wuqia (west), Fuyuan (east), Sanya; 3-degree zones with prefix (EPSG:4513-4533)
    for lon, lat in [(112.27, 3.97), (122.35, 53.56), (73.5, 39.4), (134.77, 48.4), (109.5, 18.2)]:
        zone = int(lon / 3 + 0.5)  # 73.5E is the west edge of zone 25
        t = Transformer.from_crs("EPSG:4490", f"EPSG:{4513 + zone - 25}", always_xy=True)
        e, n = t.transform(lon, lat)
        assert e // 1e6 == zone, (lon, lat, e)
        assert gk_range_problem(e, n) is None, (lon, lat, e, n)
        assert gk_range_problem(e, n * 100) is not None and gk_range_problem(e, -n) is not None
        assert gk_range_problem(e * 10, n) is not None


def _shoelace(xy: np.ndarray) -> float:
    x, y = xy[:, 0], xy[:, 1]
    return abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))) / 2


def test_read_and_screen_give_the_same_gk_area(store_path, tmp_path):
    """A 20 km corner table: the GK area of ``read`` equals screen's ``area_gk_m2`` (and the
    table's own shoelace area in its GK plane: the vertices are projected, not densified)."""
    lonlat = [(126.40, 43.70), (126.65, 43.72), (126.68, 43.88), (126.42, 43.90)]
    rows = fx.gk_corners(lonlat)  # zone 42, CM 126E: the site's own GK zone
    table = tmp_path / "big.csv"
    table.write_text(fx.corner_csv_text(rows), encoding="utf-8")
    read = cli("read", table)
    assert read.returncode == 0, read.stderr
    m = re.search(r"; ([\d.]+) ha planimetric in (EPSG:\d+)", read.stdout)
    read_ha, read_crs = float(m.group(1)), m.group(2)
    out = tmp_path / "r.json"
    proc = cli("screen", table, "--store", store_path, "--json", out, "--quiet")
    assert proc.returncode == 3, proc.stderr  # outside the fixture store (exit 3): the JSON is written all the same
    project = json.loads(out.read_text(encoding="utf-8"))["project"]
    assert project["gk_crs"] == read_crs
    assert read_ha == pytest.approx(round(project["area_gk_m2"] / 1e4, 4), abs=1e-9)
    gk = np.array([(e - 42e6, n) for n, e in rows])
    assert project["area_gk_m2"] == pytest.approx(_shoelace(gk), rel=1e-9)  # the table's own GK area


# --------------------------------------------------------------------------- signals


def _many_sites(tmp_path: Path, n: int = 40) -> Path:
    return fx.write_sites(tmp_path / "many.geojson", [f"S{i}" for i in range(n)], fx.row_of_boxes(n, size=0.001, step=0.002))


def _batch_with_reports(store_path, tmp_path, sites, reports, env_extra=None) -> subprocess.Popen:
    return subprocess.Popen(CLI + ["batch", str(sites), "--store", str(store_path), "--id-field", "sid",
                                   "--out", str(tmp_path / "b.csv"), "--report-dir", str(reports), "--no-progress"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**env(), **(env_extra or {})},
                            **AS_IN_A_TERMINAL)


def _dot_files(*folders: Path) -> list[str]:
    return [n for folder in folders if folder.exists() for n in os.listdir(folder) if n.startswith(".")]


@pytest.mark.parametrize(("sig", "code", "word"), [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")])
def test_signal_during_writes_leaves_no_temp_files(store_path, tmp_path, sig, code, word):
    """The signal arrives while a report PNG is being written: the write stops right after its temp file holds
    the map (``GISPLAN_TEST_PAUSE``), so the signal always lands there, whatever the machine's load."""
    sites = _many_sites(tmp_path)
    reports = tmp_path / "reports"
    p = _batch_with_reports(store_path, tmp_path, sites, reports,
                            {"GISPLAN_TEST_PAUSE": f"output_written.png:@{tmp_path / 'never'}"})
    seen = []
    for line in iter(p.stderr.readline, b""):  # until the pause (or the end: then the assertion below says so)
        seen.append(line)
        if line.strip() == b"gisplan-test-pause output_written.png":
            break
    else:
        p.kill()
        raise AssertionError(f"the batch never paused in a PNG write: {seen}")
    assert [n for n in os.listdir(reports) if n.startswith(".gisplan-") and n.endswith(".tmp.png")], \
        "no PNG being written"
    p.send_signal(sig)
    _, err = p.communicate(timeout=120)
    assert p.returncode == code, err
    assert err.decode().strip().splitlines()[-1] == f"gisplan: {word}"
    assert _dot_files(reports, tmp_path) == []
    assert len(os.listdir(reports)) < 80  # stopped part-way


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_the_instant_a_temp_file_is_made_still_removes_it(store_path, tmp_path, sig, code):
    """The narrowest window: the temp file exists and is not yet known to its writer's clean-up. The write
    stops right there (``GISPLAN_TEST_PAUSE=temp_made``), the signal is sent, then the write goes on."""
    site = tmp_path / "site.geojson"
    fx.write_site(site, SITE, "厂区")
    go = tmp_path / "go"
    out = tmp_path / "out"
    out.mkdir()
    p = subprocess.Popen(CLI + ["screen", str(site), "--store", str(store_path), "--png", str(out / "m.png"),
                                "--quiet"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env={**env(), "GISPLAN_TEST_PAUSE": f"temp_made:@{go}"}, **AS_IN_A_TERMINAL)
    for line in iter(p.stderr.readline, b""):
        if line.strip() == b"gisplan-test-pause temp_made":
            break
    else:
        p.kill()
        raise AssertionError("no temp file was made")
    assert [n for n in os.listdir(out) if n.startswith(".gisplan-")], "the temp file is not there"
    p.send_signal(sig)
    time.sleep(0.2)  # the signal is pending (held back) before the write goes on: correct either way
    go.touch()
    _, err = p.communicate(timeout=120)
    assert p.returncode == code, err
    assert os.listdir(out) == [] and _dot_files(tmp_path) == []


def test_a_signal_at_any_moment_of_the_reports_leaves_no_temp_files(store_path, tmp_path):
    """SIGTERM after delays spread over the report writing: whenever it lands (making a temp file, writing
    it, renaming it, between files), nothing is left behind. Each round passes whatever its timing."""
    import random

    sites = _many_sites(tmp_path, n=12)
    rng = random.Random(20)
    stopped = 0
    for i in range(6):
        reports = tmp_path / f"reports{i}"
        p = _batch_with_reports(store_path, tmp_path, sites, reports)
        deadline = time.monotonic() + 240
        while not reports.exists() and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)  # the reports have begun (a wait, not an assertion: any moment is fine)
        time.sleep(rng.uniform(0.0, 1.5))
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=120)
        assert p.returncode in (0, 143), err
        stopped += p.returncode == 143
        assert _dot_files(reports, tmp_path) == [], err
    assert stopped, "every batch ended before its signal: no round tested anything"


def test_dxf_with_an_implausible_easting_is_refused_even_with_cm(tmp_path):
    """7 digits (5,543,434 m): neither a prefixed nor a plain easting; the message names it."""
    import ezdxf

    from gisplan.sites import read_site

    doc = ezdxf.new()
    pts = [(e - 42e6 + 5e6, n) for n, e in fx.gk_corners(fx.ZONE42_LONLAT)]
    doc.modelspace().add_lwpolyline(pts, close=True)
    path = tmp_path / "plan.dxf"
    doc.saveas(path)
    with pytest.raises(SiteError, match="easting"):
        read_site(path, cm=126)
    good = tmp_path / "good.dxf"
    doc2 = ezdxf.new()
    doc2.modelspace().add_lwpolyline([(e - 42e6, n) for n, e in fx.gk_corners(fx.ZONE42_LONLAT)], close=True)
    doc2.saveas(good)
    assert read_site(good, cm=126).geometry.area > 0


# --------------------------------------------------------------------------- issue 20: what the user is told


@pytest.mark.parametrize("prj", ["this is garbage, not a coordinate system", 'PROJCS["x",GEOGCS['])
def test_a_garbage_prj_is_reported_as_garbage_not_as_missing(store_path, tmp_path, prj):
    shp = tmp_path / "site.shp"
    fx.write_site(shp, SITE, "厂区")
    shp.with_suffix(".prj").write_text(prj, encoding="utf-8")
    for args in (("read", shp), ("screen", shp, "--store", store_path),
                 ("layers", "import", tmp_path / "s.gpkg", "eco_redline", shp)):
        err = assert_one_line(cli(*args))
        assert "the .prj of site.shp is not a coordinate system" in err and "no .prj" not in err, err
        assert "--source-crs" in err
    ok = cli("read", shp, "--source-crs", "EPSG:4490")
    assert ok.returncode == 0, ok.stderr
    assert "the .prj of site.shp is not a coordinate system gisplan can read" in ok.stdout
    shp.with_suffix(".prj").unlink()
    assert "no .prj" in assert_one_line(cli("read", shp))


def test_no_raw_gdal_warning_in_a_cli_report_and_the_same_warnings_as_the_server(store_path, tmp_path):
    """Two features with the same GeoJSON id: GDAL warns it renumbers them; gisplan uses no feature ids."""
    from gisplan.serve import engine

    feature = {"type": "Feature", "id": 7, "properties": {"name": "厂区"},
               "geometry": shapely.geometry.mapping(SITE)}
    other = dict(feature, geometry=shapely.geometry.mapping(shapely.box(129.48, 42.85, 129.49, 42.86)))
    site = tmp_path / "dup.geojson"
    site.write_text(json.dumps({"type": "FeatureCollection", "features": [feature, other]}), encoding="utf-8")
    out = tmp_path / "r.json"
    proc = cli("screen", site, "--store", store_path, "--json", out)
    assert proc.returncode == 0, proc.stderr
    assert "Several features" not in proc.stdout + proc.stderr + out.read_text(encoding="utf-8")
    saved = dict(engine._STATE)
    try:
        engine.init_worker(str(store_path))
        answer = engine.screen_upload(str(site), site.name, {"buffer": 5000.0})  # what the server answers
    finally:
        engine._STATE.clear()
        engine._STATE.update(saved)
    served = json.loads(answer["json"])
    assert json.loads(out.read_text(encoding="utf-8"))["warnings"] == served["warnings"]


def test_a_missing_output_folder_is_created_and_said(store_path, tmp_path, caplog):
    site = tmp_path / "site.geojson"
    fx.write_site(site, SITE, "厂区")
    target = tmp_path / "new" / "deeper" / "r.json"
    proc = cli("screen", site, "--store", store_path, "--json", target)
    assert proc.returncode == 0 and target.is_file(), proc.stderr
    assert proc.stderr.strip().splitlines() == [f"gisplan: created folder {target.parent} (it did not exist)"]
    again = cli("screen", site, "--store", store_path, "--json", target)  # there now: nothing said
    assert again.returncode == 0 and again.stderr == ""
    hushed = cli("-q", "screen", site, "--store", store_path, "--json", tmp_path / "other" / "r.json")
    assert hushed.returncode == 0 and hushed.stderr == "" and (tmp_path / "other" / "r.json").is_file()
    batch = cli("batch", site, "--store", store_path, "--id-field", "name", "--out", tmp_path / "b" / "t.csv",
                "--report-dir", tmp_path / "b" / "reports")
    assert batch.returncode == 0, batch.stderr
    assert batch.stderr.count("gisplan: created folder") == 1  # b/ once; the report folder asked for is not news
    import logging

    import gisplan

    result = gisplan.screen(site, store_path)
    with caplog.at_level(logging.WARNING, logger="gisplan"):
        result.to_json(tmp_path / "api" / "r.json")
    assert any("created folder" in r.getMessage() for r in caplog.records)
