"""Usage errors (unknown command or option, a bad choice, a missing argument) are one line and exit 2 too."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("args", [
    ["screne"],
    ["screen", "site.geojson", "--store", "s.gpkg", "--national-major", "maybe"],
    ["screen", "site.geojson"],
    ["batch", "sites.gpkg", "--store", "s.gpkg", "--id-field", "id", "--out", "o.csv", "--radius", "ten"],
    ["layers", "import", "s.gpkg", "no_such_kind", "x.shp"],
    ["rules", "import"],
])
def test_usage_error_is_one_line(args):
    proc = subprocess.run([sys.executable, "-m", "gisplan.cli", *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc
    err = proc.stderr.strip()
    assert err.startswith("gisplan: error:") and "\n" not in err and "Usage:" not in err, err
    assert "--help" in err and proc.stdout == ""


def test_help_and_version_still_exit_0():
    for args in (["--help"], ["--version"], ["screen", "--help"]):
        proc = subprocess.run([sys.executable, "-m", "gisplan.cli", *args], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0 and proc.stdout and not proc.stderr, (args, proc)
