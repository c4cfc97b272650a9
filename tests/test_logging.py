"""The gisplan logger: silent by default, -v says what was done, -q keeps errors only."""

from __future__ import annotations

import subprocess
import sys

import shapely


def _run(*args):
    return subprocess.run([sys.executable, "-m", "gisplan.cli", *map(str, args)], capture_output=True, text=True, timeout=120)


def test_verbose_logs_the_screening_and_default_is_silent(store_path, site_file):
    site = site_file(shapely.box(129.48, 42.86, 129.53, 42.89))
    loud = _run("-v", "screen", site, "--store", store_path, "--quiet")
    assert loud.returncode == 0, loud.stderr
    lines = [ln for ln in loud.stderr.splitlines() if ln.startswith("gisplan: screened")]
    assert len(lines) == 1 and "verdict" in lines[0], loud.stderr
    plain = _run("screen", site, "--store", store_path, "--quiet")
    assert plain.returncode == 0 and plain.stderr == "" and plain.stdout == ""
    hushed = _run("-q", "-v", "screen", site, "--store", store_path, "--quiet")
    assert hushed.returncode == 0 and "screened" not in hushed.stderr


def test_library_logger_has_no_output_of_its_own(store_path, caplog):
    import logging

    import gisplan

    with caplog.at_level(logging.INFO, logger="gisplan"):
        gisplan.screen(shapely.box(129.48, 42.86, 129.53, 42.89), store_path)
    assert any("screened" in r.getMessage() for r in caplog.records)
