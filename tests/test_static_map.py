"""Static map figure: 300 dpi size, not blank, category colours, Chinese text in a CJK font, PDF, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import shapely
from matplotlib import font_manager
from matplotlib.text import Text
from PIL import Image

from gisplan.errors import GisplanError, InputError
from gisplan.render import fonts
from gisplan.render.palette import CATEGORY_COLOURS
from gisplan.render.static_map import (
    MAP_DPI,
    MAP_FIGSIZE,
    _true_north_angle,
    nice_scale_length,
    static_map,
    write_static_map,
)
from gisplan.screening import screen

SITE = shapely.box(129.45, 42.82, 129.55, 42.84)  # units A (priority) and B (general), the redline's edge
KEY_SITE = shapely.box(129.48, 42.87, 129.52, 42.89)  # units A, B and C (key)


@pytest.fixture(scope="module")
def result(store_path):
    return screen(KEY_SITE.union(SITE), store_path, buffer=10000.0)


@pytest.fixture(scope="module")
def png(result, tmp_path_factory):
    path = tmp_path_factory.mktemp("map") / "map.png"
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Glyph .* missing")
        write_static_map(result, path)
    return path


def _blend(hex_colour: str, alpha: float = 0.6) -> np.ndarray:
    rgb = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)
    return alpha * rgb + (1 - alpha) * 255.0


def test_png_is_300_dpi_print_size(png):
    img = Image.open(png)
    assert img.size == (round(MAP_FIGSIZE[0] * MAP_DPI), round(MAP_FIGSIZE[1] * MAP_DPI))
    assert img.info.get("dpi", (0,))[0] == pytest.approx(MAP_DPI, abs=1)


def test_png_is_not_blank_and_shows_the_category_colours(png, result):
    pixels = np.asarray(Image.open(png).convert("RGB")).reshape(-1, 3).astype(float)
    assert len(np.unique(pixels[::7], axis=0)) > 50
    assert (pixels.min(axis=1) < 250).mean() > 0.3  # far from an empty white page
    assert set(result.control_units["category"]) == {"priority", "key", "general"}
    for category, colour in CATEGORY_COLOURS.items():
        near = np.abs(pixels - _blend(colour)).max(axis=1) <= 6
        assert near.sum() > 2000, (category, near.sum())


def test_text_is_drawn_in_the_cjk_font(result):
    font = fonts.cjk_font()
    assert "CJK" in font.family or "Han" in font.family or "WenQuanYi" in font.family
    fig = static_map(result)
    texts = [t for t in fig.findobj(Text) if t.get_text().strip()]
    chinese = [t for t in texts if any("\u4e00" <= ch <= "\u9fff" for ch in t.get_text())]
    assert len(chinese) >= 8  # title, legend, inset title, CRS note, north arrow ...
    assert any("优先保护单元" == t.get_text() for t in texts) and any(t.get_text() == "北" for t in texts)
    assert any("CGCS2000" in t.get_text() and "EPSG:4552" in t.get_text() for t in texts)
    files = {f.fname for f in font_manager.fontManager.ttflist if f.name == font.family}
    assert str(font.path) in files
    for t in chinese:
        found = font_manager.findfont(t.get_fontproperties(), fallback_to_default=False)
        assert str(getattr(found, "path", found)) in files, (t.get_text(), found)
    import io

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Glyph .* missing")
        fig.savefig(io.BytesIO(), format="png", dpi=50)


def test_pdf_and_bad_suffix(result, tmp_path):
    pdf = write_static_map(result, tmp_path / "map.pdf", lang="en")
    assert pdf.read_bytes().startswith(b"%PDF")
    with pytest.raises(InputError, match=r"\.png or \.pdf"):
        write_static_map(result, tmp_path / "map.jpg")


def test_missing_cjk_font_is_a_clear_error(monkeypatch):
    fonts.cjk_font.cache_clear()
    try:
        monkeypatch.setattr(fonts, "PREFERRED_FAMILIES", ("No Such CJK Font",))
        with pytest.raises(GisplanError, match="fonts-noto-cjk"):
            fonts.cjk_font()
    finally:
        monkeypatch.undo()
        fonts.cjk_font.cache_clear()
    assert fonts.cjk_font().family


def test_scale_bar_lengths_and_true_north():
    assert nice_scale_length(12_000) == 2000 and nice_scale_length(1_800) == 200 and nice_scale_length(4_000) == 500
    # east of the central meridian (129E) true north leans west of grid north: counter-clockwise
    assert 0.2 < _true_north_angle(130.4, 43.0, "EPSG:4552") < 2.0
    assert -2.0 < _true_north_angle(128.0, 43.0, "EPSG:4552") < -0.2


@pytest.mark.parametrize("stem", ["industrial_park_yanji", "solar_farm_dunhua", "quarry_point_antu"])
def test_scale_bar_labels_do_not_overlap(demo_store, stem):
    from gisplan.demo.run import DEFAULT_DATA_DIR, SAMPLE_SITE_PARAMS

    params = {k: v for k, v in SAMPLE_SITE_PARAMS.get(stem, {}).items() if k in ("radius", "width")}
    fig = static_map(screen(str(DEFAULT_DATA_DIR / "sites" / f"{stem}.geojson"), demo_store, **params))
    renderer = fig.canvas.get_renderer()
    labels = [t for t in fig.findobj(Text) if t.get_zorder() == 20 and t.get_text().strip()]
    assert labels[0].get_text() == "0" and labels[-1].get_text().endswith("m")
    boxes = sorted((t.get_window_extent(renderer) for t in labels), key=lambda b: b.x0)
    assert all(a.x1 <= b.x0 for a, b in zip(boxes, boxes[1:])), [t.get_text() for t in labels]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_long_legend_ends_above_the_notes_and_within_the_figure(demo_store, lang):
    """The road's legend (zoning, farmland, urban zones, a no-burn zone, the element zones it crosses, the ring)
    is the longest of the demo: set tighter until it ends above the CRS note, and no row runs off the page."""
    from gisplan.demo.run import DEFAULT_DATA_DIR

    r = screen(str(DEFAULT_DATA_DIR / "sites" / "road_corridor_helong.geojson"), demo_store, width=60,
               industry="公路")
    fig = static_map(r, lang=lang, basemap="offline")
    renderer = fig.canvas.get_renderer()
    (legend,) = fig.legends
    rows = sum(1 + t.get_text().count("\n") for t in legend.get_texts())
    assert rows >= 18  # a long one indeed (farmland, two urban zones, six element-zone lines ...)
    box = legend.get_window_extent(renderer)
    note = next(t for t in fig.texts if t.get_text().startswith(("坐标系", "CRS")))
    assert box.y0 >= note.get_window_extent(renderer).y1  # above the note
    width = fig.get_figwidth() * fig.dpi
    assert all(t.get_window_extent(renderer).x1 <= width for t in legend.get_texts())  # no row cut at the edge


def test_the_redline_and_farmland_differ_in_pattern_not_only_colour(demo_store):
    """Both are hatched on the static map: crimson diagonal cross for the redline, a square grid for farmland
    (a report printed in grey must keep them apart)."""
    from matplotlib.patches import Patch

    from gisplan.demo.run import DEFAULT_DATA_DIR

    r = screen(str(DEFAULT_DATA_DIR / "sites" / "road_corridor_helong.geojson"), demo_store, width=60,
               industry="公路")
    (legend,) = static_map(r).legends
    hatch = {t.get_text(): h.get_hatch() for t, h in zip(legend.get_texts(), legend.legend_handles)
             if isinstance(h, Patch)}
    assert hatch["生态保护红线"] and hatch["永久基本农田"]
    assert set(hatch["生态保护红线"]) != set(hatch["永久基本农田"])
    assert "x" in hatch["生态保护红线"] and "x" not in hatch["永久基本农田"]
