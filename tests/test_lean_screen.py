"""One screening from the command line loads only what its outputs need, and the lean readers say what the frames say.

``gisplan screen SITE --json`` reads a plain GeoJSON site with json and
shapely, the unit rows, the units' text attributes and the raster register
with SQLite: no frames. The map stack (folium, matplotlib) and the report
writers (python-docx, openpyxl, fpdf2) load only when their output is asked
for. Each lean reader is compared with the frame it replaces, value by value.
"""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gisplan.engine.single import _as_framed
from gisplan.importer import import_layer
from gisplan.store.gpkg import Store

from conftest import REPO
from test_lean_batch import _loaded_modules

SITE = REPO / "data" / "sites" / "industrial_park_yanji.geojson"
MAP_AND_REPORTS = ("folium", "branca", "matplotlib", "docx", "openpyxl", "fpdf", "PIL")
FRAMES = ("geopandas", "pyogrio", "pyarrow")


def _fixture_site(folder) -> str:
    """A plain GeoJSON site across the fixture store's three units (as a web map or a script writes one)."""
    path = folder / "厂址.geojson"
    feature = {"type": "Feature", "properties": {"name": "测试项目"},
               "geometry": shapely.geometry.mapping(shapely.box(129.49, 42.86, 129.51, 42.89))}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False),
                    encoding="utf-8")
    return str(path)


def test_json_screening_loads_neither_the_map_stack_nor_frames(store_path, tmp_path):
    out = tmp_path / "out.json"
    loaded = _loaded_modules(["screen", _fixture_site(tmp_path), "--store", store_path, "--industry", "化工", "--json", out], tmp_path)
    assert json.loads(out.read_text(encoding="utf-8"))["verdict"]["overall"]
    assert {"numpy", "shapely", "pyproj"} <= loaded
    assert not loaded & set(MAP_AND_REPORTS + FRAMES + ("pandas",)), sorted(loaded & set(MAP_AND_REPORTS + FRAMES))


def test_json_screening_on_the_demo_store_loads_no_map_stack(demo_store, tmp_path):
    """The demo store holds an access list, element zones and a raster: still no frames, no pandas."""
    out = tmp_path / "out.json"
    loaded = _loaded_modules(["screen", SITE, "--store", demo_store, "--industry", "化工", "--json", out], tmp_path)
    assert json.loads(out.read_text(encoding="utf-8"))["rasters"]  # the raster statistics were computed
    assert {"rasterio", "exactextract"} <= loaded  # what the raster statistics need
    heavy = set(MAP_AND_REPORTS + FRAMES + ("pandas",))
    assert not loaded & heavy, sorted(loaded & heavy)


def test_a_map_asked_for_does_load_the_map_stack(store_path, tmp_path):
    """The checks above can fail: an HTML map loads folium, a DOCX python-docx and matplotlib."""
    loaded = _loaded_modules(["screen", _fixture_site(tmp_path), "--store", store_path, "--html-map", tmp_path / "m.html",
                              "--docx", tmp_path / "r.docx", "--quiet"], tmp_path)
    assert {"folium", "docx", "matplotlib"} <= loaded


def test_json_of_a_site_read_by_gdal_equals_the_lean_read(store_path, tmp_path):
    """The CLI's JSON (site read without GDAL) equals the API's for the same site read through GDAL."""
    import gisplan
    from gisplan.sites import read_site

    lean = tmp_path / "lean.json"
    site = _fixture_site(tmp_path)
    _loaded_modules(["screen", site, "--store", store_path, "--industry", "化工", "--json", lean], tmp_path)
    gdal = gisplan.screen(read_site(site), store_path, industry="化工")
    assert gdal.site.format == "GeoJSON"
    a, b = json.loads(lean.read_text(encoding="utf-8")), json.loads(gdal.to_json())
    a.pop("generated_at"), b.pop("generated_at")
    assert a == b


@pytest.mark.parametrize("values", [
    [1, 2, 3], [1, None, 3], [1.5, None], [1, 2.5], ["a", None], [None, None], [True, None], [1, "a"],
    [float("nan"), 2.0], [], ["x", "y"],
])
def test_unit_row_values_are_those_of_a_frame(values):
    frame = pd.DataFrame.from_records([(v,) for v in values], columns=["c"])
    expected = [r["c"] if r["c"] == r["c"] else None for r in frame.to_dict("records")]  # as rows() read the frame
    got = _as_framed(values)
    assert [(type(v), v) for v in got] == [(type(v), v) for v in expected]


@pytest.fixture(scope="module")
def typed_store(tmp_path_factory):
    """Control units with extra attributes of every type a delivery holds: text, dates, whole and real numbers, gaps."""
    folder = tmp_path_factory.mktemp("typed")
    boxes = [shapely.box(129.40 + 0.05 * i, 42.80, 129.45 + 0.05 * i, 42.85) for i in range(4)]
    units = gpd.GeoDataFrame({
        "HJGKDYBM": [f"ZH2224011000{i}" for i in range(4)],
        "HJGKDYMC": ["甲单元", "乙单元", "丙单元", "丁单元"],
        "GKDYLB": ["优先保护单元", "重点管控单元", "一般管控单元", "重点管控单元"],
        "SJ": ["延边州", None, "延边州", "延边州"],
        "PZRQ": pd.to_datetime(["2021-06-30", "2021-06-30", None, "2023-01-01"]),
        "BH": pd.array([1, None, 3, 4], dtype="Int64"),
        "XH": [1, 2, 3, 4],
        "MJ": [1.5, np.nan, 2.5, 3.0],
        "LIUYU": ["图们江", "图们江", "", "海兰江"],
    }, geometry=boxes, crs="EPSG:4490")
    src = folder / "units.gpkg"
    units.to_file(src, driver="GPKG")
    path = folder / "store.gpkg"
    import_layer(path, "control_units", src)
    return path


def _frame_text_attributes(store: Store) -> dict:
    frame = store.read("control_units")
    records = pd.DataFrame(frame.drop(columns=frame.geometry.name)).to_dict("records")
    return {int(i): {k: v for k, v in r.items() if isinstance(v, str)} for i, r in zip(frame.index.tolist(), records)}


@pytest.mark.parametrize("which", ["typed", "fixture", "demo"])
def test_unit_text_attributes_are_the_frame_text_cells(which, typed_store, store_path, demo_store):
    path = {"typed": typed_store, "fixture": store_path, "demo": demo_store}[which]
    lean = Store(path).text_attributes("control_units")
    assert lean == _frame_text_attributes(Store(path))
    if which == "typed":
        cells = {k for row in lean.values() for k in row}
        assert "PZRQ" not in cells and "BH" not in cells  # dates and numbers hold no text in the frame
        assert any(row.get("LIUYU") == "图们江" for row in lean.values())


def _same_records(a: list[dict], b: list[dict]) -> bool:
    def same(x, y):
        if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
            return True
        return type(x) is type(y) and x == y
    return len(a) == len(b) and all(list(r) == list(q) and all(same(r[k], q[k]) for k in r) for r, q in zip(a, b))


def test_table_records_are_the_frame_records(demo_store, typed_store):
    for path in (demo_store, typed_store):
        store = Store(path)
        names = [n for n in store._layers if n.startswith("gisplan_") and not n.startswith(("gisplan_pieces_",
                                                                                           "gisplan_edges_"))]
        assert names
        for name in names:
            lean = store.table_records(name)
            frame = Store(path).read_table(name)
            assert _same_records(lean, frame.to_dict("records")), name
    assert Store(demo_store).table_records("gisplan_rasters")[0]["name"]  # the register read without pandas
    assert Store(demo_store).table_records("no_such_table") is None


@pytest.mark.parametrize("which", ["typed", "fixture", "demo"])
def test_layer_versions_read_without_pandas_are_those_of_the_meta_frame(which, typed_store, store_path, demo_store):
    store = Store({"typed": typed_store, "fixture": store_path, "demo": demo_store}[which])
    frame_versions = {}
    for _, r in store.meta().iterrows():  # what the footer said when read from the frame
        sha = str(r["source_sha256"] or "")
        origin = f"source sha256 {sha[:12]}" if sha else str(r["source"] or "no source file")
        frame_versions[r["kind"]] = f"{r['features']} features, {origin}, imported {r['imported_at']}"
    assert store.versions() == frame_versions
    assert store._plain_records("gisplan_meta") is not None  # the check above took the lean path
