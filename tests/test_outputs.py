"""Outputs never destroy or inject (issue 9): unique temp files renamed into place,
the store and inputs never written over, symlinks written through, FIFOs and
devices refused, safe file names from site ids, spreadsheet formulas defused,
XML-illegal characters replaced. Real processes where it matters."""

from __future__ import annotations

import csv
import errno
import hashlib
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import docx
import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import shapely
from _site_fixtures import write_site, write_sites
from click.testing import CliRunner

from gisplan.cli import main
from gisplan.errors import InputError, OutputError
from gisplan.io import outputs
from gisplan.io.outputs import (
    MAX_NAME_BYTES, atomic_output, check_output_path, defuse_cell, protect, safe_file_stem, unprotect,
    write_text, xml_safe,
)

SITE = shapely.box(129.45, 42.85, 129.47, 42.87)  # in unit A of the fixture store
HYPERLINK = '=HYPERLINK("http://evil.example/x","点击")'
CLI = [sys.executable, "-m", "gisplan.cli"]


def cli(*args, timeout: float = 240) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "GISPLAN_DEBUG"}
    return subprocess.run(CLI + [str(a) for a in args], capture_output=True, text=True, timeout=timeout, env=env)


def run(*args) -> subprocess.CompletedProcess:
    """The CLI in this process (click's runner), shaped like a finished subprocess."""
    r = CliRunner().invoke(main, [str(a) for a in args])
    return subprocess.CompletedProcess(args, r.exit_code, r.stdout, r.stderr)


def assert_one_line(proc: subprocess.CompletedProcess, code: int = 2) -> str:
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    err = proc.stderr.strip()
    assert err and "\n" not in err and "Traceback" not in err, proc.stderr
    return err


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".gisplan-*"))


# --------------------------------------------------------------------------- atomic writing


def test_atomic_output_uses_unique_temp_names_and_one_whole_content(tmp_path):
    """Two writers of one path at the same moment: different temp files, the result is one of them whole."""
    target = tmp_path / "out.csv"
    barrier = threading.Barrier(2)
    temps: list[Path] = []

    def write(text: str) -> None:
        with atomic_output(target) as tmp:
            temps.append(tmp)
            tmp.write_text(text[: len(text) // 2], encoding="utf-8")
            barrier.wait(timeout=10)  # both temp files exist and are half written now
            with tmp.open("a", encoding="utf-8") as f:
                f.write(text[len(text) // 2:])

    a, b = "A" * 100_000, "B" * 150_000
    threads = [threading.Thread(target=write, args=(t,)) for t in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({str(t) for t in temps}) == 2 and all(t.parent == tmp_path for t in temps)
    assert target.read_text(encoding="utf-8") in (a, b)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_temp_removed_and_old_file_kept_on_failure(tmp_path):
    target = tmp_path / "r.json"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_output(target) as tmp:
            tmp.write_text("half", encoding="utf-8")
            raise RuntimeError("writer failed")
    with pytest.raises(KeyboardInterrupt):
        with atomic_output(target) as tmp:
            tmp.write_text("half", encoding="utf-8")
            raise KeyboardInterrupt
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_no_space_left_is_an_output_error_and_nothing_changes(tmp_path, monkeypatch):
    target = tmp_path / "r.json"
    target.write_text("old", encoding="utf-8")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(outputs.os, "replace", full)
    with pytest.raises(OutputError, match="no space left") as info:
        write_text(target, "new")
    assert isinstance(info.value, InputError)
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_new_file_gets_normal_permissions_and_replaced_file_keeps_its_mode(tmp_path):
    fresh = tmp_path / "fresh.json"
    write_text(fresh, "{}")
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask  # not mkstemp's 0600
    kept = tmp_path / "kept.json"
    kept.write_text("x")
    kept.chmod(0o640)
    write_text(kept, "y")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640 and kept.read_text() == "y"


def test_stale_temp_of_a_dead_process_is_removed_by_the_next_write(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".gisplan-{dead.pid}-abc123.tmp.csv"
    stale.write_text("left by kill -9")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    live = tmp_path / f".gisplan-{os.getppid()}-def456.tmp.csv"  # a live process: kept
    live.write_text("in progress")
    os.utime(live, (old, old))
    write_text(tmp_path / "out.csv", "a,b\n")
    assert not stale.exists() and live.exists()


def test_symlink_is_written_through_and_stays_a_link(tmp_path):
    real = tmp_path / "data" / "real.json"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_text(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new"
    assert temp_files(tmp_path) == []


@pytest.mark.parametrize("kind", ["fifo", "folder", "device"])
def test_special_files_refused_without_blocking(tmp_path, kind):
    if kind == "fifo":
        target = tmp_path / "pipe.json"
        os.mkfifo(target)
    elif kind == "folder":
        target = tmp_path / "folder.json"
        target.mkdir()
    else:
        target = Path("/dev/null")
    with pytest.raises(OutputError, match="not a regular file"):
        write_text(target, "x")  # a FIFO opened for writing would block here
    if kind == "fifo":
        assert stat.S_ISFIFO(target.stat().st_mode)


def test_protected_paths_are_refused_through_any_spelling(tmp_path):
    store = tmp_path / "store.gpkg"
    store.write_bytes(b"SQLite format 3\x00" + b"\x01" * 100)
    before = sha(store)
    alias = tmp_path / "alias.gpkg"
    alias.symlink_to(store)
    hard = tmp_path / "hard.gpkg"
    os.link(store, hard)
    token = protect(store, role="the store")
    try:
        for path in (store, alias, hard, tmp_path / "sub" / ".." / "store.gpkg"):
            with pytest.raises(OutputError, match="it is the store"):
                write_text(path, "x")
    finally:
        unprotect(token)
    assert sha(store) == before
    write_text(tmp_path / "other.json", "x")  # other paths still fine
    check_output_path(store)  # and protection ends with its token


# --------------------------------------------------------------------------- CLI: store, inputs, special files


def test_store_as_json_or_out_is_refused_and_unchanged(store_path, tmp_path, site_file):
    site = site_file(SITE)
    before = sha(store_path)
    err = assert_one_line(cli("screen", site, "--store", store_path, "--json", store_path))
    assert "store" in err
    link = tmp_path / "link.gpkg"
    link.symlink_to(store_path)
    assert_one_line(run("screen", site, "--store", link, "--html-map", store_path))
    sites = write_sites(tmp_path / "sites.geojson", ["a", "b"])
    assert_one_line(run("batch", sites, "--store", store_path, "--id-field", "sid", "--out", link))
    assert sha(store_path) == before
    assert link.is_symlink() and sha(link) == before  # the link is left as it was, not replaced by a table


def test_input_file_as_output_is_refused(store_path, tmp_path):
    sites = write_sites(tmp_path / "sites.gpkg", ["a", "b"])
    before = sha(sites)
    err = assert_one_line(run("batch", sites, "--store", store_path, "--id-field", "sid", "--out", sites))
    assert "input" in err
    assert sha(sites) == before


def test_cli_writes_through_a_symlinked_output(store_path, tmp_path, site_file):
    real = tmp_path / "real.json"
    real.write_text("{}")
    link = tmp_path / "r.json"
    link.symlink_to(real)
    proc = run("screen", site_file(SITE), "--store", store_path, "--json", link, "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert link.is_symlink() and '"verdict"' in real.read_text(encoding="utf-8")


def test_cli_refuses_a_fifo_without_blocking(store_path, tmp_path, site_file):
    fifo = tmp_path / "r.json"
    os.mkfifo(fifo)
    err = assert_one_line(cli("screen", site_file(SITE), "--store", store_path, "--json", fifo, timeout=120))
    assert "FIFO" in err and stat.S_ISFIFO(fifo.stat().st_mode)


def _unwritable_folder(tmp_path: Path) -> Path:
    """A folder this process cannot create files in (root ignores chmod: use sysfs)."""
    if os.geteuid() == 0:
        return Path("/sys")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


def _os_reason(folder: Path) -> str:
    """What the operating system says when a file is created in ``folder`` (permission denied, read-only ...)."""
    with pytest.raises(OSError) as refused:
        open(folder / "probe.json", "w").close()
    return refused.value.strerror.lower()


def test_unwritable_output_is_one_line_exit_2(store_path, tmp_path, site_file):
    folder = _unwritable_folder(tmp_path)
    err = assert_one_line(cli("screen", site_file(SITE), "--store", store_path, "--json", folder / "r.json", "--quiet"))
    assert "cannot write" in err and _os_reason(folder) in err  # the system's own reason, whichever it is here
    assert "internal error" not in err
    sites = write_sites(tmp_path / "sites.geojson", ["a", "b"])
    err = assert_one_line(run("batch", sites, "--store", store_path, "--id-field", "sid", "--out", folder / "b.csv"))
    assert "cannot write" in err


# --------------------------------------------------------------------------- two batches, one --out


def test_two_batches_writing_one_out_leave_one_whole_run(store_path, tmp_path):
    """Same size, long ids (a few MB of CSV): the writes overlap. Before, both used one
    fixed temp name: rows could mix and one run could fail renaming the other's temp file."""
    n, pad = 2000, "x" * 1000
    runs = {}
    for tag, x0 in (("a", 129.41), ("b", 129.51)):
        ids = [f"{tag}{i}{pad}" for i in range(n)]
        geoms = [shapely.box(x0 + 1e-4 * (i % 500), 42.81 + 1e-4 * (i // 500), x0 + 1e-4 * (i % 500 + 1),
                             42.81 + 1e-4 * (i // 500 + 1)) for i in range(n)]
        runs[tag] = (write_sites(tmp_path / f"{tag}.geojson", ids, geoms), set(ids))
    out = tmp_path / "shared" / "out.csv"
    env = {k: v for k, v in os.environ.items() if k != "GISPLAN_DEBUG"}
    for _ in range(3):
        procs = [subprocess.Popen(CLI + ["batch", str(path), "--store", str(store_path), "--id-field", "sid",
                                         "--out", str(out), "--no-progress"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=env) for path, _ in runs.values()]
        for p in procs:
            _, err = p.communicate(timeout=300)
            assert p.returncode == 0, err
        frame = pd.read_csv(out, encoding="utf-8-sig")
        assert set(frame["sid"]) in (runs["a"][1], runs["b"][1]) and len(frame) == n
        assert frame["area_m2"].notna().all()
        assert sorted(p.name for p in out.parent.iterdir()) == ["out.csv"]


# --------------------------------------------------------------------------- file names from ids


def test_safe_file_stem_rules():
    taken: set[str] = set()
    long_id = "延边朝鲜族自治州" * 15  # 120 characters, 360 bytes in UTF-8
    assert len(long_id) == 120 and len(long_id.encode()) == 360
    names = {i: safe_file_stem(i, taken, suffix=".docx") for i in
             [long_id, long_id + "二", "a/b", "a\\b", "a\x00b", "a\x07b", "..hidden", "CON", "con.txt", "S 1", "S/1", "s/1"]}
    for i, stem in names.items():
        raw = (stem + ".docx").encode("utf-8")
        assert len(raw) <= MAX_NAME_BYTES, (i, len(raw))
        assert not set(stem) & set('/\\\x00\x07<>:"|?*') and not stem.startswith(".")
    assert len(set(s.lower() for s in names.values())) == len(names)  # all distinct, even case-folded
    assert names[long_id] != names[long_id + "二"] and names[long_id].startswith("延边朝鲜族自治州")
    assert names["CON"].upper() != "CON" and not names["con.txt"].lower().startswith("con.")
    assert names["a/b"] == "a_b" and names["S/1"] != names["S 1"]


def test_report_dir_survives_control_characters_long_ids_and_formula_ids(store_path, tmp_path):
    long_id = "吉林省延边朝鲜族自治州延吉市" * 9 + "一二三四五六"  # 132 characters, 396 bytes
    ids = ["厂区\x07A", long_id, long_id + "乙", HYPERLINK, "S/1", "S_1"]
    sites = write_sites(tmp_path / "sites.geojson", ids)
    reports = tmp_path / "reports"
    proc = cli("batch", sites, "--store", store_path, "--id-field", "sid", "--out", tmp_path / "b.csv",
               "--report-dir", reports, "--no-progress", timeout=400)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    names = [p.name for p in reports.iterdir()]
    assert len(names) == 2 * len(ids) and len({n.lower() for n in names}) == len(names)
    assert max(len(n.encode("utf-8")) for n in names) <= MAX_NAME_BYTES
    assert temp_files(reports) == []
    texts = ["\n".join(p.text for p in docx.Document(reports / n).paragraphs) for n in names if n.endswith(".docx")]
    assert len(texts) == len(ids) and any("厂区\ufffdA" in t for t in texts)


# --------------------------------------------------------------------------- injection


@pytest.mark.parametrize("text", ["=1+1", "+86 431 1234", "-2+3", "@SUM(A1)", "\tx", "\rx", HYPERLINK])
def test_defuse_cell_prefixes_an_apostrophe(text):
    assert defuse_cell(text) == "'" + text


@pytest.mark.parametrize("value", [-3.5, 7, "-3.5", "+12", "1e5", "厂区", "", None, "a=b"])
def test_defuse_cell_keeps_numbers_and_plain_text(value):
    assert defuse_cell(value) == value and type(defuse_cell(value)) is type(value)


def test_batch_csv_cells_are_defused_numbers_stay_numbers(store_path, tmp_path):
    ids = ["=1+1", "+1+cmd", "-x", "@cmd", "\tTAB", "-7", "plain"]
    sites = write_sites(tmp_path / "sites.geojson", ids)
    out = tmp_path / "b.csv"
    proc = run("batch", sites, "--store", store_path, "--id-field", "sid", "--out", out)
    assert proc.returncode == 0, proc.stderr
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    got = [r["sid"] for r in rows]
    assert got == ["'=1+1", "'+1+cmd", "'-x", "'@cmd", "'\tTAB", "-7", "plain"]
    for r in rows:  # every text cell is safe, the areas are plain numbers
        assert not any(v.startswith(("=", "+", "@", "\t", "\r")) for v in r.values())
        assert float(r["area_m2"]) > 0


def test_write_batch_keeps_negative_numbers_numeric(tmp_path):
    from gisplan.batch import write_batch

    table = gpd.GeoDataFrame({"sid": ["-a", "b"], "delta": [-5.25, 3.0]}, geometry=[None, None], crs="EPSG:4490")
    out = write_batch(table, tmp_path / "t.csv")
    text = out.read_text(encoding="utf-8-sig").splitlines()
    assert text[1].split(",")[:2] == ["'-a", "-5.25"]


def _all_cells(wb):
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            yield from row


def test_xlsx_has_no_formula_for_a_formula_like_site_name(store_path, tmp_path, site_file):
    out = tmp_path / "r.xlsx"
    proc = run("screen", site_file(SITE, name=HYPERLINK), "--store", store_path, "--xlsx", out, "--quiet")
    assert proc.returncode == 0, proc.stderr
    wb = openpyxl.load_workbook(out)
    cells = list(_all_cells(wb))
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    named = [c for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert named
    for c in named:  # the name as typed (no apostrophe added), stored as text and marked so (Excel's quote prefix)
        assert c.data_type == "s"
        assert c.value == HYPERLINK and c.quotePrefix is True
    assert any(isinstance(c.value, (int, float)) for c in cells)  # numbers stay numbers


def test_xml_illegal_characters_replaced_in_docx_and_xlsx(store_path, tmp_path, site_file):
    name = "厂区\x07A\x00B\x1fC"
    out = tmp_path / "o"
    proc = cli("screen", site_file(SITE, name=name.replace("\x00", "")), "--store", store_path, "--quiet",
               "--docx", out / "r.docx", "--xlsx", out / "r.xlsx", "--png", out / "r.png")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # matplotlib's missing-glyph warning is not printed
    body = "\n".join(p.text for p in docx.Document(out / "r.docx").paragraphs)
    assert "厂区\ufffdAB\ufffdC" in body
    values = [c.value for c in _all_cells(openpyxl.load_workbook(out / "r.xlsx")) if isinstance(c.value, str)]
    assert any("厂区\ufffdAB\ufffdC" in v for v in values)
    assert xml_safe("a\ud800b\ufffe\x0b\tc\n") == "a\ufffdb\ufffd\ufffd\tc\n"


def test_api_writers_refuse_the_results_store(store_path, tmp_path):
    import gisplan

    result = gisplan.screen(gisplan.read_site(write_site(tmp_path / "s.geojson", SITE, "s")), store_path)
    before = sha(store_path)
    with pytest.raises(OutputError):
        result.to_json(store_path)
    assert sha(store_path) == before


def test_cli_runner_sees_one_line_for_a_device(store_path, site_file):
    r = CliRunner().invoke(main, ["screen", str(site_file(SITE)), "--store", str(store_path), "--json", "/dev/null"])
    assert r.exit_code == 2 and "device" in r.stderr and r.stderr.count("\n") == 1


def test_shapefile_sidecars_and_gpkg_journal_are_protected_with_their_file(tmp_path):
    shp = tmp_path / "sites.shp"
    token = protect(shp, tmp_path / "store.gpkg")
    try:
        for name in ("sites.dbf", "sites.shx", "sites.prj", "store.gpkg-wal"):
            with pytest.raises(OutputError, match="it is an input"):
                write_text(tmp_path / name, "x")
        write_text(tmp_path / "sites.json", "x")
    finally:
        unprotect(token)


def test_batch_gpkg_output_through_atomic_write(store_path, tmp_path):
    sites = write_sites(tmp_path / "sites.geojson", ["a", "=b"])
    out = tmp_path / "o" / "b.gpkg"
    for _ in range(2):  # the second run replaces the first
        r = run("batch", sites, "--store", store_path, "--id-field", "sid", "--out", out)
        assert r.returncode == 0, r.stderr
    frame = gpd.read_file(out, layer="screening")
    assert sorted(frame["sid"]) == ["=b", "a"]  # GIS data keeps its values; only spreadsheets are defused
    assert sorted(p.name for p in out.parent.iterdir()) == ["b.gpkg"]


def test_lone_surrogates_do_not_stop_json_or_csv(tmp_path):
    from gisplan.batch import write_batch

    write_text(tmp_path / "r.json", '{"name": "A\ud800B"}')
    assert (tmp_path / "r.json").read_text(encoding="utf-8") == '{"name": "A\ufffdB"}'
    # object dtype: pandas 3 with pyarrow stores str columns as Arrow strings, which refuse lone surrogates
    table = gpd.GeoDataFrame({"sid": pd.Series(["A\udc80B", "=\x07"], dtype=object)}, geometry=[None, None],
                             crs="EPSG:4490")
    text = write_batch(table, tmp_path / "t.csv").read_text(encoding="utf-8-sig").splitlines()
    assert text[1:] == ["A\ufffdB", "'=\x07"]


def test_layers_check_and_diff_xlsx_have_no_formulas_and_never_replace_an_input(tmp_path):
    from gisplan.layers.output import write_xlsx_sheets

    out = write_xlsx_sheets(tmp_path / "c.xlsx", [("units", ["code", "name", "area"],
                                                   [["=1+1", HYPERLINK + "\x07", -12.5], ["@x", "plain", 3]])])
    cells = list(_all_cells(openpyxl.load_workbook(out)))
    assert not [c for c in cells if c.data_type == "f"]
    assert {c.value for c in cells if c.quotePrefix} == {"=1+1", HYPERLINK + "\ufffd", "@x"}
    assert [c.value for c in cells if isinstance(c.value, float)] == [-12.5]
    units = tmp_path / "units.geojson"
    gpd.GeoDataFrame({"HJGKDYBM": ["ZH22240110001"], "GKDYLB": ["优先保护单元"]}, geometry=[SITE],
                     crs="EPSG:4490").to_file(units)
    before = sha(units)
    r = run("layers", "check", units, "--json", units.with_suffix(".geojson"))
    assert r.returncode == 2 and "input" in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert sha(units) == before


def test_batch_csv_float_cells_are_numpys_text():
    """Float cells as numpy writes each value (0.0 and -0.0 apart, NaN empty), whatever shortcut makes them."""
    import numpy as np

    from gisplan.io.batch_out import _csv_cells

    rng = np.random.default_rng(2)
    values = np.concatenate([[0.0, -0.0, np.nan, np.inf, -np.inf, 5e-324, 1e16, 1e-5, 123.0],
                             np.where(rng.random(500) < 0.6, 0.0, rng.uniform(-1e7, 1e7, 500))])
    want = ["" if np.isnan(v) else str(np.float64(v)) for v in values]
    assert _csv_cells(values) == want
    assert want[:2] == ["0.0", "-0.0"]
