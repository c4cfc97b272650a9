"""The interactive HTML map: offline, basemap options, GCJ-02 shift, and a real headless Chromium load."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
import shapely
from click.testing import CliRunner

from gisplan.cli import main
from gisplan.errors import InputError
from gisplan.render.basemap import BASEMAP_PRESETS, display_geoms, resolve_basemap
from gisplan.render.html_map import html_map, write_html_map
from gisplan.render.palette import CATEGORY_COLOURS
from gisplan.screening import screen

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium not installed (tools/bootstrap.sh --test)")

#: A site over the fixture store's three units, near its redline and reserve.
SITE = shapely.box(129.47, 42.85, 129.53, 42.90)
REMOTE = re.compile(r'<(script|link)[^>]+(src|href)\s*=\s*["\']?(https?:)?//', re.IGNORECASE)


@pytest.fixture(scope="module")
def result(store_path):
    return screen(SITE, store_path)


def _layer_data(m, name: str) -> dict:
    for child in m._children.values():
        if getattr(child, "layer_name", None) == name and hasattr(child, "data"):
            return child.data
    raise AssertionError(f"no GeoJSON layer {name!r}")


def test_saved_map_is_self_contained(result, tmp_path):
    path = write_html_map(result, tmp_path / "map.html")
    page = path.read_text(encoding="utf-8")
    assert not REMOTE.search(page), "a script or stylesheet would be fetched from the network"
    assert not re.search(r'url\(\s*["\']?(https?:)?//|@import', page), "CSS would fetch from the network"
    assert "L.map(" in page and "leaflet-measure" in page.lower()
    assert "ZH22240120001" in page and "图例" in page
    # blank basemap: no tile layer at all
    assert "L.tileLayer(" not in page.split("</style>")[-1]


def test_popups_escape_text(store_path, tmp_path):
    r = screen(SITE, store_path)
    units = r.context["control_units"]
    units.loc[0, "name"] = '<img src=x onerror="alert(1)">'
    page = write_html_map(r, tmp_path / "m.html").read_text(encoding="utf-8")
    assert "<img src=x" not in page and "\\u003cimg src=x" not in page
    assert "\\u0026lt;img src=x" in page  # escaped before folium's JSON encoding


def test_nearby_lines_and_legend(result):
    assert len(result.nearby) >= 2
    page = html_map(result).get_root().render()
    for pos in result.nearby["position"]:
        assert html.escape(pos) in page
    assert "生态保护红线" in page and "5 km 检索范围" in page


def test_tile_url_and_attribution(result, tmp_path):
    url = "https://t{s}.tianditu.gov.cn/vec_w/wmts?LAYER=vec&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=KEY123"
    m = html_map(result, tiles=url, attribution="天地图 GS(2024)0568号")
    page = m.get_root().render()
    assert "tk=KEY123" in page and '"subdomains": "01234567"' in page
    assert json.dumps("天地图 GS(2024)0568号")[1:-1] in page  # attribution, as folium encodes it
    # CGCS2000 tiles: the site is drawn where it is
    coords = np.array(_layer_data(m, "项目范围")["features"][0]["geometry"]["coordinates"][0])
    assert np.allclose(coords, shapely.get_coordinates(result.footprint.exterior), atol=1e-9)


def test_amap_preset_shifts_overlays_to_gcj02(result):
    from gisplan.geo.chinacoords import gcj02_from_cgcs2000

    m = html_map(result, basemap="amap")
    page = m.get_root().render()
    assert "autonavi.com" in page and "GCJ-02" in page
    coords = np.array(_layer_data(m, "项目范围")["features"][0]["geometry"]["coordinates"][0])
    raw = shapely.get_coordinates(result.footprint.exterior)
    lon, lat = gcj02_from_cgcs2000(raw[:, 0], raw[:, 1])
    assert np.allclose(coords, np.column_stack([lon, lat]), atol=1e-9)
    shift_m = np.hypot((coords[:, 0] - raw[:, 0]) * 81_000, (coords[:, 1] - raw[:, 1]) * 111_000)
    assert (shift_m > 100).all() and (shift_m < 1000).all()
    # every overlay moves, the units too
    unit = _layer_data(m, "环境管控单元")["features"][0]["geometry"]
    orig = result.context["control_units"].geometry.iloc[0]
    assert not np.allclose(shapely.get_coordinates(shapely.geometry.shape(unit)), shapely.get_coordinates(orig), atol=1e-6)


def test_custom_gcj02_tiles_shift_too(result):
    m = html_map(result, tiles="https://example.test/{z}/{x}/{y}.png", tiles_crs="gcj02")
    coords = np.array(_layer_data(m, "项目范围")["features"][0]["geometry"]["coordinates"][0])
    assert np.allclose(coords, shapely.get_coordinates(display_geoms(result.footprint, "gcj02").exterior))


@pytest.mark.parametrize("kwargs, message", [
    ({"tiles": "https://x.test/{z}/{x}.png"}, "placeholders"),
    ({"tiles": "file:///etc/{z}/{x}/{y}"}, "http"),
    ({"tiles": "https://x.test/{z}/{x}/{y}.png", "basemap": "amap"}, "not both"),
    ({"tiles_crs": "gcj02"}, "needs `tiles`"),
    ({"basemap": "google"}, "unknown basemap"),
    ({"tiles": "https://x.test/{z}/{x}/{y}.png", "tiles_crs": "bd09"}, "unknown tile CRS"),
    ({"tiles": 'https://x.test/{z}/{x}/{y}.png"><script>', "tiles_crs": None}, "quotes"),
])
def test_bad_basemap_options_are_input_errors(kwargs, message):
    with pytest.raises(InputError, match=message):
        resolve_basemap(**kwargs)


def test_presets_need_no_key():
    assert BASEMAP_PRESETS["blank"] is None
    assert all(b.crs == "gcj02" for k, b in BASEMAP_PRESETS.items() if b is not None)


def test_cli_basemap_options(store_path, tmp_path):
    site = tmp_path / "site.geojson"
    site.write_text(json.dumps({"type": "Feature", "properties": {"name": "x"},
                                "geometry": shapely.geometry.mapping(SITE)}), encoding="utf-8")
    out = tmp_path / "amap.html"
    r = CliRunner().invoke(main, ["screen", str(site), "--store", str(store_path), "--html-map", str(out),
                                  "--basemap", "amap", "--quiet"])
    assert r.exit_code == 0, r.output
    assert "autonavi.com" in out.read_text(encoding="utf-8")
    r = CliRunner().invoke(main, ["screen", str(site), "--store", str(store_path), "--tiles",
                                  "https://x.test/{z}/{x}/{y}.png"])
    assert r.exit_code == 2 and "need --html-map" in r.stderr
    r = CliRunner().invoke(main, ["screen", str(site), "--store", str(store_path), "--html-map", str(out),
                                  "--tiles", "https://x.test/{z}/{x}.png"])
    assert r.exit_code == 2 and "placeholders" in r.stderr and "Traceback" not in r.output
    assert "CGCS2000" in CliRunner().invoke(main, ["screen", "--help"]).output


# --- real browser ---------------------------------------------------------------------------

_PROBE = """<script>
window.__gpErrors = [];
window.addEventListener('error', function (e) { __gpErrors.push('error: ' + e.message); });
window.addEventListener('unhandledrejection', function (e) { __gpErrors.push('rejection: ' + e.reason); });
(function () { var ce = console.error; console.error = function () {
  __gpErrors.push('console: ' + Array.prototype.join.call(arguments, ' ')); ce.apply(console, arguments); }; })();
window.addEventListener('load', function () { setTimeout(function () {
  var d = document.createElement('pre'); d.id = 'gp-probe';
  d.textContent = JSON.stringify({errors: __gpErrors, leaflet: (window.L && L.version) || null,
    paths: document.querySelectorAll('path.leaflet-interactive').length,
    overlays: document.querySelectorAll('.leaflet-control-layers-overlays label').length,
    legend: !!document.querySelector('.gisplan-legend'),
    measure: !!document.querySelector('.leaflet-control-measure')});
  document.body.appendChild(d); }, 300); });
</script>"""


def chromium(args: list[str], workdir: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run headless Debian Chromium with no network (every host name fails to resolve)."""
    profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=workdir)
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND", "--hide-scrollbars",
           "--virtual-time-budget=5000", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=workdir, check=False)


def probe(page: Path, workdir: Path) -> dict:
    """Load ``page`` with an error collector injected; return what the page reported."""
    text = page.read_text(encoding="utf-8")
    probed = workdir / f"probe_{page.name}"
    probed.write_text(text.replace("<head>", "<head>" + _PROBE, 1), encoding="utf-8")
    run = chromium(["--window-size=1200,800", "--dump-dom", probed.as_uri()], workdir)
    found = re.search(r'<pre id="gp-probe">(.*?)</pre>', run.stdout, re.DOTALL)
    assert found, f"page did not finish loading: rc={run.returncode} {run.stderr[-2000:]}"
    return json.loads(html.unescape(found.group(1)))


def screenshot(page: Path, png: Path, workdir: Path, size: tuple[int, int] = (1200, 800)) -> subprocess.CompletedProcess:
    """Screenshot ``page`` at ``size``.

    Headless Chromium lays the page out in a shorter viewport first (the window
    minus its frame) and grows it just before the capture, after Leaflet has
    sized its vector layer; a fixed page height avoids the clipped bands.
    """
    fixed = workdir / f"shot_{page.name}"
    fixed.write_text(page.read_text(encoding="utf-8").replace(
        "<head>", f"<head><style>html, body {{height: {size[1]}px !important;}}</style>", 1), encoding="utf-8")
    return chromium([f"--screenshot={png}", f"--window-size={size[0]},{size[1]}", fixed.as_uri()], workdir)


@needs_chromium
def test_probe_catches_script_errors(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text("<html><head></head><body><script>notDefinedAnywhere();</script></body></html>", encoding="utf-8")
    assert any("notDefinedAnywhere" in e for e in probe(page, tmp_path)["errors"])


@needs_chromium
def test_map_loads_in_chromium_without_errors(result, tmp_path):
    info = probe(write_html_map(result, tmp_path / "map.html"), tmp_path)
    assert info["errors"] == []
    assert info["leaflet"] == "1.9.4" and info["legend"] and info["measure"]
    # units (3) + redline + reserve + ring + nearby lines + site
    assert info["paths"] >= 8 and info["overlays"] >= 5


@needs_chromium
def test_gcj02_map_loads_offline_without_errors(result, tmp_path):
    # tiles cannot be fetched here (no network): the page must still load cleanly
    info = probe(write_html_map(result, tmp_path / "amap.html", basemap="amap"), tmp_path)
    assert [e for e in info["errors"] if "autonavi" not in e] == []
    assert info["paths"] >= 8


def _blend(hex_colour: str, alpha: float, under=(221, 221, 221)) -> np.ndarray:
    rgb = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)
    return alpha * rgb + (1 - alpha) * np.array(under, dtype=float)


@needs_chromium
def test_screenshot_shows_the_layers(result, tmp_path):
    import matplotlib.image as mpimg

    page = write_html_map(result, tmp_path / "map.html")
    shot = tmp_path / "map.png"
    run = screenshot(page, shot, tmp_path)
    assert shot.exists(), run.stderr[-2000:]
    img = (mpimg.imread(shot)[..., :3] * 255).round().astype(int)
    assert img.shape[:2] == (800, 1200)
    colours = np.unique(img.reshape(-1, 3), axis=0)
    assert len(colours) > 50, "screenshot is nearly blank"
    flat = img.reshape(-1, 3)
    for cat in ("priority", "key", "general"):  # unit fills (opacity .45 over Leaflet's #ddd)
        near = np.abs(flat - _blend(CATEGORY_COLOURS[cat], 0.45)).max(axis=1) <= 12
        assert near.mean() > 0.01, f"{cat} fill colour not visible in the screenshot"
    assert (np.abs(flat - 0).max(axis=1) <= 30).mean() > 0.0005  # the black site outline
    assert (np.abs(img[:12] - 221).max(axis=2) <= 2).mean() < 0.5, "top rows blank: vector layer clipped"
