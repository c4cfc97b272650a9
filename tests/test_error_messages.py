"""Library errors name options as the API does (`source_crs`); only the command line shows flags."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from _site_fixtures import write_site
from gisplan.errors import OPTION_NAMES, cli_message

PACKAGE = Path(__file__).resolve().parents[1] / "gisplan"
FLAG = re.compile(r"(^|[\s(（'\"])--[a-z][a-z-]*")


def _raised_texts(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            for sub in ast.walk(node.exc):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                    yield node.lineno, sub.value


def test_no_library_error_names_a_cli_flag():
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path.relative_to(PACKAGE).parts[0] in ("cli", "serve"):
            continue  # the command line and the web page speak their own options
        found += [f"{path.relative_to(PACKAGE)}:{line}: {text}" for line, text in _raised_texts(path) if FLAG.search(text)]
    assert found == []


def test_the_cli_shows_flags_for_option_names(store_path, tmp_path):
    from click.testing import CliRunner

    from gisplan.cli import main

    import shapely

    site = tmp_path / "p.geojson"
    write_site(site, shapely.Point(129.45, 42.85), "井")
    r = CliRunner().invoke(main, ["screen", str(site), "--store", str(store_path)])
    assert r.exit_code == 2 and "needs --radius" in r.stderr and "`" not in r.stderr
    assert cli_message("`not_an_option` and `radius`") == "`not_an_option` and --radius"
    assert {"source_crs", "radius", "width", "towgs84"} <= OPTION_NAMES


def test_every_error_class_lives_in_errors_py():
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "errors.py" and path.parent == PACKAGE:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(
                    isinstance(b, ast.Name) and b.id.endswith("Error") for b in node.bases):
                found.append(f"{path.relative_to(PACKAGE)}:{node.name}")
    assert found == []
