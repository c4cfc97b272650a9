"""A raster of the store under the zoning of the static and HTML maps (``raster=``, ``--map-raster``).

Placement is checked on the pixels: a raster with a known land-cover class in
each quadrant is drawn, and the colour at the pixel of a known lon/lat (found
through the map's own axes transform for the PNG, through Web Mercator
arithmetic for the HTML overlay) must be that class's colour. Expected colours
are the ESA WorldCover palette written out here, not read from the code.
"""

from __future__ import annotations

import base64
import io
import math
import re
import shutil
import subprocess
import sys
import os

import numpy as np
import pytest
import rasterio
import shapely
from PIL import Image
from pyproj import Transformer
from rasterio.transform import from_origin

from _site_fixtures import write_site
from conftest import REPO

from gisplan.errors import InputError
from gisplan.rasters.store import import_raster
from gisplan.render.html_map import html_map, offline_html
from gisplan.render.raster_underlay import UNDERLAY_ALPHA, class_colour
from gisplan.render.static_map import MAP_DPI, UNIT_ALPHA_OVER_RASTER, static_map
from gisplan.screening import screen

SITE = shapely.box(129.48, 42.87, 129.52, 42.89)  # in unit C (key); the raster lies north-east of it
WEST, EAST, SOUTH, NORTH = 129.53, 129.59, 42.895, 42.935  # raster extent (lon/lat), inside unit C
MID_LON, MID_LAT = 129.56, 42.915
#: Quadrant classes (value, label) and their ESA WorldCover colours.
QUADRANTS = {"nw": (1, "耕地"), "ne": (2, "林地"), "sw": (4, "水体"), "se": (6, "建设用地")}
WORLDCOVER = {1: "#f096ff", 2: "#006400", 4: "#0064c8", 6: "#fa0000"}
KEY_UNIT = "#e8543a"  # the key-control colour of published three-lines-one-list maps
UTM = "EPSG:32652"


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)


def _over_key_unit(raster_hex: str) -> np.ndarray:
    """Raster colour at the underlay's opacity over white, then the key unit's faint fill over it."""
    under = UNDERLAY_ALPHA * _rgb(raster_hex) + (1 - UNDERLAY_ALPHA) * 255.0
    return UNIT_ALPHA_OVER_RASTER * _rgb(KEY_UNIT) + (1 - UNIT_ALPHA_OVER_RASTER) * under


def _classes_csv(path):
    rows = ["value,label,label_en"] + [f"{v},{label}(示例),class {v}" for v, label in QUADRANTS.values()]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8-sig")
    return path


def _quadrant_grid(n: int) -> np.ndarray:
    data = np.empty((n, n), dtype="uint8")
    h = n // 2
    data[:h, :h], data[:h, h:] = QUADRANTS["nw"][0], QUADRANTS["ne"][0]
    data[h:, :h], data[h:, h:] = QUADRANTS["sw"][0], QUADRANTS["se"][0]
    return data


def _write(path, data, crs, transform, nodata=0, dtype=None):
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
                       dtype=dtype or data.dtype, crs=crs, transform=transform, nodata=nodata) as dst:
        dst.write(data.astype(dtype or data.dtype), 1)
    return path


def _utm_box():
    """The raster extent in UTM 52N, rounded to 50 m, and its middle (the quadrant split)."""
    t = Transformer.from_crs("EPSG:4490", UTM, always_xy=True)
    x, y = t.transform([WEST, EAST], [SOUTH, NORTH])
    x0, y1 = math.floor(x[0] / 50) * 50, math.ceil(y[1] / 50) * 50
    return x0, y1


UTM_CELLS = 100  # 100 x 50 m cells: 5 km, about the lon/lat raster's size


@pytest.fixture(scope="module")
def store(store_path, tmp_path_factory):
    """The fixture store with three rasters: quadrants in lon/lat and in UTM 52N, and a continuous ramp."""
    folder = tmp_path_factory.mktemp("raster_maps")
    copy = folder / "store.gpkg"
    shutil.copy(store_path, copy)
    classes = _classes_csv(folder / "classes.csv")
    n = 80
    cell = (EAST - WEST) / n
    tif = _write(folder / "ll.tif", _quadrant_grid(n), "EPSG:4490", from_origin(WEST, NORTH, cell, (NORTH - SOUTH) / n))
    import_raster(copy, "lc", str(tif), classes=str(classes))
    x0, y1 = _utm_box()
    utm = _write(folder / "utm.tif", _quadrant_grid(UTM_CELLS), UTM, from_origin(x0, y1, 50, 50))
    import_raster(copy, "lc_utm", str(utm), classes=str(classes))
    ramp = np.tile(np.linspace(100.0, 300.0, 60, dtype="float32"), (40, 1))
    dem = _write(folder / "dem.tif", ramp, "EPSG:4490", from_origin(WEST, NORTH, (EAST - WEST) / 60, (NORTH - SOUTH) / 40),
                 nodata=-9999.0)
    import_raster(copy, "dem", str(dem))
    tall = np.full((200, 10), 2, dtype="uint8")
    tall[60:] = 1  # north of 44 N: forest (2); south: cropland (1)
    import_raster(copy, "tall", str(_write(folder / "tall.tif", tall, "EPSG:4490", from_origin(129.0, 50.0, 0.1, 0.1))),
                  classes=str(classes))
    far = _write(folder / "far.tif", _quadrant_grid(10), "EPSG:4490", from_origin(120.0, 30.0, 0.01, 0.01))
    import_raster(copy, "far", str(far), classes=str(classes))
    return copy


@pytest.fixture(scope="module")
def result(store):
    return screen(SITE, store, buffer=10000.0)


def _render(result, raster, tmp_path, name):
    """Draw the static map; return the PNG pixels and a lon/lat -> (row, col) function from the map's axes."""
    from matplotlib import rc_context

    from gisplan.render.fonts import mpl_rc

    fig = static_map(result, raster=raster)
    assert fig.dpi == MAP_DPI
    path = tmp_path / name
    with rc_context(mpl_rc()):
        fig.savefig(path, format="png", dpi=MAP_DPI, facecolor="white")
    pixels = np.asarray(Image.open(path).convert("RGB")).astype(float)
    ax = fig.axes[0]
    to_gk = Transformer.from_crs("EPSG:4490", result.project["gk_crs"], always_xy=True)

    def where(lon: float, lat: float) -> tuple[int, int]:
        x, y = ax.transData.transform(to_gk.transform(lon, lat))
        return int(round(pixels.shape[0] - y)), int(round(x))

    return pixels, where, fig, path


def _at(pixels, rc, half: int = 2) -> np.ndarray:
    r, c = rc
    return np.median(pixels[r - half:r + half + 1, c - half:c + half + 1].reshape(-1, 3), axis=0)


def _nearest_class(colour: np.ndarray) -> int:
    return min(WORLDCOVER, key=lambda v: np.abs(_over_key_unit(WORLDCOVER[v]) - colour).max())


def _quadrant_centres():
    q = (EAST - WEST) / 4, (NORTH - SOUTH) / 4
    return {"nw": (WEST + q[0], NORTH - q[1]), "ne": (EAST - q[0], NORTH - q[1]),
            "sw": (WEST + q[0], SOUTH + q[1]), "se": (EAST - q[0], SOUTH + q[1])}


def test_static_map_classes_drawn_at_their_lonlat(result, tmp_path):
    pixels, where, fig, path = _render(result, "lc", tmp_path, "lc.png")
    for quadrant, (lon, lat) in _quadrant_centres().items():
        value = QUADRANTS[quadrant][0]
        got = _at(pixels, where(lon, lat))
        assert np.abs(got - _over_key_unit(WORLDCOVER[value])).max() <= 6, (quadrant, got)
        assert _nearest_class(got) == value
    # just outside the raster (west of it, still in unit C): the key unit's fill alone over white
    outside = _at(pixels, where(WEST - 0.004, MID_LAT))
    assert np.abs(outside - (UNIT_ALPHA_OVER_RASTER * _rgb(KEY_UNIT) + (1 - UNIT_ALPHA_OVER_RASTER) * 255)).max() <= 6
    texts = {t.get_text() for t in fig.axes[0].get_legend().get_texts()}
    assert texts == {f"{label}(示例)" for _, label in QUADRANTS.values()}
    assert fig.axes[0].get_legend().get_title().get_text() == "lc"


def test_static_map_edges_line_up_within_two_pixels(result, tmp_path):
    """Either side of the class edges, 4 px away (~50 m), the right class: the grid is not shifted."""
    pixels, where, _, _ = _render(result, "lc", tmp_path, "edge.png")
    r, c = where(MID_LON, (MID_LAT + NORTH) / 2)
    assert _nearest_class(_at(pixels, (r, c - 4), 1)) == 1 and _nearest_class(_at(pixels, (r, c + 4), 1)) == 2
    r, c = where((MID_LON + EAST) / 2, MID_LAT)
    assert _nearest_class(_at(pixels, (r - 4, c), 1)) == 2 and _nearest_class(_at(pixels, (r + 4, c), 1)) == 6


def test_static_map_utm_raster_lines_up(result, tmp_path):
    """A raster in UTM 52N, drawn on the Gauss-Kruger map: quadrant centres and the edge, found through UTM."""
    pixels, where, _, _ = _render(result, "lc_utm", tmp_path, "utm.png")
    x0, y1 = _utm_box()
    size = UTM_CELLS * 50
    to_ll = Transformer.from_crs(UTM, "EPSG:4490", always_xy=True)
    centres = {"nw": (x0 + size / 4, y1 - size / 4), "ne": (x0 + 3 * size / 4, y1 - size / 4),
               "sw": (x0 + size / 4, y1 - 3 * size / 4), "se": (x0 + 3 * size / 4, y1 - 3 * size / 4)}
    for quadrant, (x, y) in centres.items():
        got = _at(pixels, where(*to_ll.transform(x, y)))
        assert _nearest_class(got) == QUADRANTS[quadrant][0], (quadrant, got)
        assert np.abs(got - _over_key_unit(WORLDCOVER[QUADRANTS[quadrant][0]])).max() <= 6
    r, c = where(*to_ll.transform(x0 + size / 2, y1 - size / 4))  # on the north half's vertical edge
    assert _nearest_class(_at(pixels, (r, c - 4), 1)) == 1 and _nearest_class(_at(pixels, (r, c + 4), 1)) == 2


def test_static_map_continuous_colour_bar(result, tmp_path):
    from matplotlib import colormaps

    pixels, where, fig, _ = _render(result, "dem", tmp_path, "dem.png")
    bars = [a for a in fig.axes[0].child_axes if a.get_xlabel() == "dem"]  # the colour bar, inside the map
    assert len(bars) == 1 and bars[0].get_xlabel() == "dem"
    lo, hi = bars[0].get_xlim()
    assert 100 <= lo < 110 and 290 < hi <= 300  # the 2-98 % stretch of a 100-300 ramp
    # a cell centre near the west edge (value of column 5 of the ramp) and one at the east edge (300, clipped)
    cell = (EAST - WEST) / 60
    cmap = colormaps["viridis"]
    for col, value in ((5, 100 + 200 * 5 / 59), (59, 300.0)):
        got = _at(pixels, where(WEST + (col + 0.5) * cell, MID_LAT), 1)
        frac = min(max((value - lo) / (hi - lo), 0.0), 1.0)
        expect = UNDERLAY_ALPHA * np.array(cmap(frac)[:3]) * 255 + (1 - UNDERLAY_ALPHA) * 255
        expect = UNIT_ALPHA_OVER_RASTER * _rgb(KEY_UNIT) + (1 - UNIT_ALPHA_OVER_RASTER) * expect
        assert np.abs(got - expect).max() <= 8, (col, got, expect)


def test_static_map_without_raster_unchanged_and_raster_outside_noted(result, tmp_path):
    pixels, where, fig, _ = _render(result, None, tmp_path, "plain.png")
    assert fig.axes[0].get_legend() is None
    inside = _at(pixels, where(*_quadrant_centres()["ne"]))
    assert np.abs(inside - (0.6 * _rgb(KEY_UNIT) + 0.4 * 255)).max() <= 6  # the usual unit fill, no raster
    _, _, fig, _ = _render(result, "far", tmp_path, "far.png")
    assert any("栅格 far：图幅内无数据" == t.get_text() for t in fig.axes[0].texts)


def test_unknown_raster_name_is_refused_naming_the_known_ones(result, tmp_path):
    with pytest.raises(InputError, match=r"'nope'.*it has: lc, lc_utm, dem, tall, far"):
        result.to_png(tmp_path / "x.png", raster="nope")
    assert not (tmp_path / "x.png").exists()
    with pytest.raises(InputError, match="no such raster"):
        result.to_html(tmp_path / "x.html", raster="nope")


def _overlay(page: str):
    m = re.search(r'L\.imageOverlay\(\s*"(data:image/png;base64,[^"]+)",\s*\[\[([-\d.e]+),\s*([-\d.e]+)\],\s*'
                  r'\[([-\d.e]+),\s*([-\d.e]+)\]\]', page)
    assert m, "no image overlay"
    img = np.asarray(Image.open(io.BytesIO(base64.b64decode(m.group(1).split(",", 1)[1]))).convert("RGBA"))
    s, w, n, e = (float(m.group(i)) for i in range(2, 6))
    return img, (w, s, e, n)


def test_html_overlay_bounds_and_colours(result, tmp_path):
    path = result.to_html(tmp_path / "map.html", raster="lc")
    page = path.read_text(encoding="utf-8")
    img, (w, s, e, n) = _overlay(page)
    tol = 0.2 * 1.5 / 1400 * 2  # two overlay pixels (the overlay area is at most ~0.3 deg wide)
    assert abs(w - WEST) < tol and abs(e - EAST) < tol and abs(s - SOUTH) < tol and abs(n - NORTH) < tol
    merc = Transformer.from_crs("EPSG:4490", "EPSG:3857", always_xy=True)
    (x0, x1), (y0, y1) = merc.transform([w, e], [s, n])
    for quadrant, (lon, lat) in _quadrant_centres().items():
        x, y = merc.transform(lon, lat)
        col, row = int((x - x0) / (x1 - x0) * img.shape[1]), int((y1 - y) / (y1 - y0) * img.shape[0])
        assert tuple(img[row, col]) == (*_rgb(WORLDCOVER[QUADRANTS[quadrant][0]]).astype(int), 255), quadrant
    # its own pane under Leaflet's overlay pane (z-index 400) of the zoning, so toggling it keeps it below
    pane = re.search(r'createPane\(\s*"gisplanRaster"\);\s*\w+\.style\.zIndex = (\d+);', page)
    assert pane and int(pane.group(1)) < 400 and '"pane": "gisplanRaster"' in page
    assert "栅格 lc" in page and "耕地(示例)" in page and "gisplan-raster-legend" in page
    assert offline_html(page) == page  # nothing fetched from the network


def test_html_overlay_is_web_mercator_not_stretched_lonlat(result, monkeypatch):
    """A tall raster (30-50 N, edge at 44 N) on a map showing all of it: in the overlay PNG the edge sits at
    its Web Mercator row (as Leaflet places the image), 47 rows away from where a stretched lon/lat grid puts it."""
    import gisplan.render.html_map as hm

    monkeypatch.setattr(hm, "_raster_area", lambda _result: (128.5, 29.0, 130.5, 51.0))
    img, (w, s, e, n) = _overlay(html_map(result, raster="tall").get_root().render())
    assert abs(s - 30.0) < 0.03 and abs(n - 50.0) < 0.03 and abs(w - 129.0) < 0.03 and abs(e - 130.0) < 0.03
    column = img[:, img.shape[1] // 2]
    edge_row = int(np.argmax(np.all(column[:, :3] == _rgb(WORLDCOVER[1]).astype(int), axis=1)))
    y = lambda lat: math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))  # noqa: E731
    mercator_row = (y(n) - y(44)) / (y(n) - y(s)) * img.shape[0]
    linear_row = (n - 44) / (n - s) * img.shape[0]
    assert abs(edge_row - mercator_row) <= 1.5 and abs(edge_row - linear_row) > 30, (edge_row, mercator_row)


def test_html_gcj02_basemap_shifts_the_overlay_like_the_zoning(result):
    from gisplan.geo.chinacoords import gcj02_from_cgcs2000

    plain = _overlay(html_map(result, raster="lc").get_root().render())[1]
    shifted = _overlay(html_map(result, raster="lc", basemap="amap").get_root().render())[1]
    lon, lat = gcj02_from_cgcs2000(np.array([plain[0]]), np.array([plain[1]]))
    assert abs(shifted[0] - float(lon[0])) < 1e-9 and abs(shifted[1] - float(lat[0])) < 1e-9
    assert abs(shifted[0] - plain[0]) > 1e-3  # GCJ-02 moves it by hundreds of metres


def test_html_without_raster_has_no_overlay(result):
    page = html_map(result).get_root().render()
    assert "imageOverlay" not in page and "gisplan-raster-legend" not in page


def test_class_colour_palette():
    assert class_colour({"label": "水田"}) == WORLDCOVER[1]  # a paddy field is cropland, not water
    assert class_colour({"label": "灌木林地"}) == "#ffbb22"  # shrub before forest
    assert class_colour({"label": "x", "label_en": "Tree cover"}) == WORLDCOVER[2]
    assert class_colour({"label": "自定义", "colour": "#123456"}) == "#123456"
    assert class_colour({"label": "甲"}, 0) != class_colour({"label": "乙"}, 1)


def _cli(*args) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "gisplan.cli", *map(str, args)], capture_output=True, text=True, env=env)


@pytest.fixture(scope="module")
def site_path(tmp_path_factory):

    path = tmp_path_factory.mktemp("raster_site") / "site.geojson"
    write_site(path, SITE, "栅格底图测试")
    return path


def test_cli_unknown_raster_exit_2_one_line(store, site_path, tmp_path):
    proc = _cli("screen", site_path, "--store", store, "--png", tmp_path / "a.png", "--map-raster", "nope")
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "--map-raster 'nope'" in proc.stderr and "lc, lc_utm, dem, tall, far" in proc.stderr
    assert not (tmp_path / "a.png").exists()
    proc = _cli("screen", site_path, "--store", store, "--map-raster", "lc", "--xlsx", tmp_path / "a.xlsx")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and "needs a map" in proc.stderr


def test_cli_map_raster_png_and_html(store, site_path, tmp_path):
    png, page = tmp_path / "m.png", tmp_path / "m.html"
    proc = _cli("screen", site_path, "--store", store, "--png", png, "--html-map", page, "--map-raster", "lc", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "L.imageOverlay" in page.read_text(encoding="utf-8")
    plain = tmp_path / "plain.png"
    assert _cli("screen", site_path, "--store", store, "--png", plain, "--quiet").returncode == 0
    a = np.asarray(Image.open(png).convert("RGB")).astype(int)
    b = np.asarray(Image.open(plain).convert("RGB")).astype(int)
    assert a.shape == b.shape and (np.abs(a - b).max(axis=2) > 30).mean() > 0.005  # the raster changed the map


def test_tampered_raster_is_refused_before_screening(store, site_path, tmp_path):
    from gisplan.rasters.store import raster_dir, raster_records
    from gisplan.store.gpkg import Store

    copy = tmp_path / "store.gpkg"
    shutil.copy(store, copy)
    shutil.copytree(raster_dir(store), raster_dir(copy))
    lc = next(r for r in raster_records(Store(copy)) if r["name"] == "lc")
    with open(lc["path"], "ab") as fh:
        fh.write(b"\0")
    json_out = tmp_path / "r.json"
    proc = _cli("screen", site_path, "--store", copy, "--json", json_out, "--png", tmp_path / "a.png", "--map-raster", "lc")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "differs from the imported one" in proc.stderr and "not drawn" in proc.stderr
    assert not json_out.exists()  # refused before anything was screened or written
    with pytest.raises(InputError, match="differs from the imported one"):
        screen(SITE, copy).to_png(tmp_path / "b.png", raster="lc")


def test_only_the_window_is_read_decimated_to_the_map_pixels(tmp_path):
    """A 2000 x 2000 raster, a map of 100 x 100 pixels over a quarter of it: about 100 x 100 values are read."""
    from rasterio.enums import Resampling

    from gisplan.render.raster_underlay import _read_window

    cell = 0.0001
    data = np.zeros((2000, 2000), dtype="uint8")
    data[:1000, :1000] = 1  # the north-west quarter
    tif = _write(tmp_path / "fine.tif", data, "EPSG:4490", from_origin(129.0, 43.0, cell, cell), nodata=255)
    with rasterio.open(tif) as src:
        arr, transform = _read_window(src, (129.0, 42.9, 129.1, 43.0), "EPSG:4490", 100, 100, Resampling.nearest)
    assert arr.shape[0] <= 110 and arr.shape[1] <= 110 and arr.shape[0] >= 95
    assert np.all(arr[2:-2, 2:-2] == 1)  # only the quarter asked for (and a cell of margin)
    west, north = transform.c, transform.f
    assert abs(west - 129.0) < 2 * cell and abs(north - 43.0) < 2 * cell
    east = west + transform.a * arr.shape[1]
    assert abs(east - 129.1) <= 2 * cell + transform.a  # the window, one read pixel (~0.001 deg) at most beyond


def test_batch_report_dir_maps_carry_the_raster(store, site_path, tmp_path):
    """`batch --report-dir --map-raster`: every site's PNG has the raster under the zoning; without a report
    folder, or with an unknown raster, one line and exit 2 before anything is screened."""
    out, reports, plain = tmp_path / "b.csv", tmp_path / "with", tmp_path / "without"
    proc = _cli("batch", site_path, "--store", store, "--id-field", "name", "--out", out, "--report-dir", reports,
                "--map-raster", "lc", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert _cli("batch", site_path, "--store", store, "--id-field", "name", "--out", tmp_path / "c.csv",
                "--report-dir", plain, "--no-progress").returncode == 0
    [png] = list(reports.glob("*.png"))
    a = np.asarray(Image.open(png).convert("RGB")).astype(int)
    b = np.asarray(Image.open(plain / png.name).convert("RGB")).astype(int)
    assert a.shape == b.shape and (np.abs(a - b).max(axis=2) > 30).mean() > 0.005  # the raster changed the map
    assert list(reports.glob("*.docx"))
    for extra, words in ((["--report-dir", tmp_path / "r2", "--map-raster", "nope"], "--map-raster 'nope'"),
                         (["--map-raster", "lc"], "needs --report-dir")):
        bad = _cli("batch", site_path, "--store", store, "--id-field", "name", "--out", tmp_path / "d.csv", *extra)
        assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and words in bad.stderr
        assert not (tmp_path / "d.csv").exists()
