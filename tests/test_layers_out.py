"""Overlay results as layers (issue 24): GeoPackage, shapefiles, FileGDB, KMZ and DXF, read back as users open them.

Figures are checked against the JSON report of the same screening (``area_m2`` to 1e-9) and against
independent computations (pyproj.Geod areas, lengths and distances; pyproj transforms for the DXF).
"""

from __future__ import annotations

import json
import os
import sqlite3
import xml.etree.ElementTree as ET
import zipfile
from contextlib import closing
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Transformer

from conftest import GEOD, REPO, geod_area, rel

from gisplan.cli import main
from gisplan.render.palette import CATEGORY_COLOURS, REDLINE_COLOUR

ROAD = REPO / "data" / "sites" / "road_corridor_helong.geojson"
PARK = REPO / "data" / "sites" / "industrial_park_yanji.geojson"
LAYERS = ["site", "pieces", "crossings", "crossing_points", "nearby", "store_context"]
KML = "{http://www.opengis.net/kml/2.2}"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_one_line_error(result):
    assert result.exit_code == 2, (result.exit_code, result.output)
    err = result.stderr.strip()
    assert err and "\n" not in err and "Traceback" not in result.output, err


@pytest.fixture(scope="module")
def road(demo_store, tmp_path_factory):
    """The demo road screened once by the CLI: its JSON and its layers in every format."""
    out = tmp_path_factory.mktemp("road_layers")
    paths = {fmt: out / f"road.{fmt}" for fmt in ("gpkg", "shp.zip", "gdb", "kmz", "dxf")}
    for i, path in enumerate(paths.values()):
        extra = ["--json", out / "road.json"] if i == 0 else []
        r = run("screen", ROAD, "--store", demo_store, "--width", 60, "--industry", "公路", "--quiet",
                "--layers-out", path, *extra)
        assert r.exit_code == 0, r.output
    return json.loads((out / "road.json").read_text(encoding="utf-8")), paths


def _json_hits(doc: dict) -> list[tuple[str, str, str, float]]:
    """(kind, code or name, class, overlap m²) of every overlap the JSON reports."""
    out = [("control_units", u["code"], u["category"], u["overlap_m2"]) for u in doc["control_units"]]
    out += [(h["kind"], h["name"], h["zone"], h["overlap_m2"]) for h in doc["hits"]]
    out += [(h["kind"], h["code"] or h["name"], h["zone"], h["overlap_m2"]) for h in doc["element_zones"]["hits"]]
    return out


def _piece_keys(frame) -> list[tuple[str, str, str, float]]:
    return [(k, (c if k == "control_units" or k.endswith("_zones") else n) or n, cl, a)
            for k, c, n, cl, a in zip(frame["kind"], frame["code"], frame["name"], frame["class"], frame["area_m2"])]


def _assert_pieces_match_json(frame, doc) -> None:
    want = sorted(_json_hits(doc))
    got = sorted(_piece_keys(frame))
    assert [w[:3] for w in want] == [g[:3] for g in got]
    for w, g in zip(want, got):
        assert abs(g[3] - w[3]) <= 1e-9 * w[3], (w, g)


def test_geopackage_layers_match_the_json(road):
    doc, paths = road
    names = [n for n, _ in pyogrio.list_layers(paths["gpkg"])]
    assert [n for n in names if n != "layer_styles"] == LAYERS
    pieces = pyogrio.read_dataframe(paths["gpkg"], layer="pieces")
    assert pieces.crs.to_epsg() == 4490
    assert {"control_units", "eco_redline", "air_zones"} <= set(pieces["kind"])
    _assert_pieces_match_json(pieces, doc)
    for geom, area in zip(pieces.geometry, pieces["area_m2"]):  # the geometry holds that area (pyproj.Geod)
        assert rel(geod_area(geom), area) < 1e-5
    assert set(pieces["class_zh"]) >= {"优先保护单元", "重点管控单元", "生态保护红线"}
    site = pyogrio.read_dataframe(paths["gpkg"], layer="site")
    assert len(site) == 1 and site["verdict"][0] == doc["verdict"]["overall"] == "restricted"
    assert site["verdict_zh"][0] == "限制准入（有条件相符）"
    assert site["area_m2"][0] == pytest.approx(doc["project"]["area_m2"], rel=1e-12)
    assert rel(geod_area(site.geometry[0]), doc["project"]["area_m2"]) < 1e-5
    assert site["industry"][0].startswith("EIA2021-130 ")
    context = pyogrio.read_dataframe(paths["gpkg"], layer="store_context")
    assert len(context) == len(set(zip(context["kind"], context["feature_id"]))) > 0
    assert set(pieces.loc[pieces["kind"] == "control_units", "feature_id"]) <= set(
        context.loc[context["kind"] == "control_units", "feature_id"])


def test_crossings_and_nearby_agree_with_geodesy(road):
    doc, paths = road
    crossings = pyogrio.read_dataframe(paths["gpkg"], layer="crossings")
    assert len(crossings) == len(doc["crossings"]) == 1
    c, want = crossings.iloc[0], doc["crossings"][0]
    assert c["kind"] == "eco_redline" and c["class_zh"] == "生态保护红线"
    assert (c["entry_x"], c["entry_y"], c["exit_lon"]) == (want["entry"]["x_northing"], want["entry"]["y_easting"],
                                                           want["exit"]["lon"])
    assert c["length_m"] == want["length_m"]
    assert rel(GEOD.geometry_length(c.geometry), want["length_m"]) < 1e-9  # the drawn line is that long
    xy = shapely.get_coordinates(c.geometry)
    assert np.allclose(xy[0], [want["entry"]["lon"], want["entry"]["lat"]], atol=1e-12)
    assert np.allclose(xy[-1], [want["exit"]["lon"], want["exit"]["lat"]], atol=1e-12)
    gk = Transformer.from_crs("EPSG:4490", want["gk_crs"], always_xy=True)
    e, n = gk.transform(want["entry"]["lon"], want["entry"]["lat"])
    assert (n, e) == pytest.approx((c["entry_x"], c["entry_y"]), abs=1e-6)
    points = pyogrio.read_dataframe(paths["gpkg"], layer="crossing_points")
    assert list(points["point_zh"]) == ["入口", "出口"]
    nearby = pyogrio.read_dataframe(paths["gpkg"], layer="nearby")
    assert len(nearby) == len(doc["nearby"]) + len(doc["element_zones"]["nearby"]) > 0
    for geom, dist, position in zip(nearby.geometry, nearby["distance_m"], nearby["position"]):
        (x0, y0), (x1, y1) = shapely.get_coordinates(geom)
        assert rel(GEOD.inv(x0, y0, x1, y1)[2], dist) < 1e-9
        assert position.endswith((" km", " m")) and "侧" in position


def test_geopackage_opens_styled_in_qgis_terms(road):
    """The layer_styles table QGIS reads: one default style per layer, the static map's colours."""
    _doc, paths = road
    with closing(sqlite3.connect(paths["gpkg"])) as con:
        rows = con.execute("SELECT f_table_name, f_geometry_column, useAsDefault, styleQML FROM layer_styles").fetchall()
        contents = con.execute("SELECT data_type FROM gpkg_contents WHERE table_name='layer_styles'").fetchone()
        version = con.execute("PRAGMA user_version").fetchone()[0]
    assert contents == ("attributes",)
    assert version == 10200  # GeoPackage 1.2: QGIS 3.22 / GDAL 3.6 read it without a warning
    assert sorted(r[0] for r in rows) == sorted(LAYERS)
    assert all(r[1] == "geom" and r[2] == 1 for r in rows)
    qml = {r[0]: ET.fromstring(r[3].split("\n", 1)[1]) for r in rows}
    pieces = qml["pieces"].find("renderer-v2")
    assert pieces.get("type") == "categorizedSymbol"
    colours = {c.get("value"): c.get("symbol") for c in pieces.find("categories")}
    symbols = {s.get("name"): s for s in pieces.find("symbols")}

    def colour_of(value):
        opts = {o.get("name"): o.get("value") for o in symbols[colours[value]].iter("Option") if o.get("name")}
        return opts["color"], opts["style"]

    r, g, b = (int(CATEGORY_COLOURS["priority"][i:i + 2], 16) for i in (1, 3, 5))
    assert colour_of("control_units:priority") == (f"{r},{g},{b},153", "solid")
    r, g, b = (int(REDLINE_COLOUR[i:i + 2], 16) for i in (1, 3, 5))
    assert colour_of("eco_redline:redline") == (f"{r},{g},{b},255", "b_diagonal")  # hatched, as on the PNG
    aliases = {a.get("field"): a.get("name") for a in qml["pieces"].find("aliases")}
    assert aliases["area_m2"] == "面积（平方米，椭球面）"


def test_shapefiles_carry_cpg_prj_and_read_back(road):
    doc, paths = road
    with zipfile.ZipFile(paths["shp.zip"]) as zf:
        names = set(zf.namelist())
        for layer in LAYERS:
            assert {f"{layer}.{s}" for s in ("shp", "shx", "dbf", "prj", "cpg", "qml")} <= names
        assert zf.read("pieces.cpg").decode().strip().upper() in ("UTF-8", "UTF8")
        assert "2000" in zf.read("pieces.prj").decode()
    pieces = pyogrio.read_dataframe(f"/vsizip/{paths['shp.zip']}", layer="pieces")
    assert pieces.crs.to_epsg() == 4490
    _assert_pieces_match_json(pieces, doc)
    assert "长白山森林生态保护红线（示例）" in set(pieces["name"])  # Chinese intact through the .dbf


def test_filegdb_reads_back(road):
    doc, paths = road
    assert paths["gdb"].is_dir()
    assert sorted(n for n, _ in pyogrio.list_layers(paths["gdb"])) == sorted(LAYERS)
    pieces = pyogrio.read_dataframe(paths["gdb"], layer="pieces")
    _assert_pieces_match_json(pieces, doc)


def test_kmz_has_styles_and_chinese_balloons(road):
    doc, paths = road
    with zipfile.ZipFile(paths["kmz"]) as zf:
        assert zf.namelist()[0] == "doc.kml"
        root = ET.fromstring(zf.read("doc.kml"))
    folders = {f.find(f"{KML}name").text: f for f in root.iter(f"{KML}Folder")}
    assert {"项目用地范围", "占用情况", "线路穿越", "线路穿越出入点"} <= set(folders)
    placemarks = folders["占用情况"].findall(f"{KML}Placemark")
    assert len(placemarks) == len(_json_hits(doc))
    styles = {s.get("id") for s in root.iter(f"{KML}Style")}
    for pm in placemarks:
        assert pm.find(f"{KML}styleUrl").text[1:] in styles
        balloon = pm.find(f"{KML}description").text
        assert "面积（公顷，椭球面）" in balloon and "类别（分区、级别）" in balloon
    coords = [tuple(map(float, p.split(","))) for p in root.find(f".//{KML}Polygon//{KML}coordinates").text.split()]
    lon, lat = doc["project"]["centroid"]
    assert all(abs(x - lon) < 0.2 and abs(y - lat) < 0.2 for x, y in coords)  # WGS84 lon/lat, not metres


def test_dxf_in_the_gauss_kruger_zone_with_chinese_layers(road, tmp_path):
    import ezdxf
    from ezdxf.lldxf.validator import is_valid_layer_name

    doc, paths = road
    cad = ezdxf.readfile(paths["dxf"])
    assert cad.header["$INSUNITS"] == 6  # metres
    layer_names = [layer.dxf.name for layer in cad.layers]
    assert {"项目用地范围", "占用-环境管控单元", "占用-生态保护红线", "线路穿越段", "线路穿越出入点"} <= set(layer_names)
    assert all(is_valid_layer_name(n) for n in layer_names)
    msp = cad.modelspace()
    hatched = {h.dxf.layer for h in msp.query("HATCH")}
    assert {"占用-环境管控单元", "占用-生态保护红线"} <= hatched
    texts = " ".join(t.dxf.text for t in msp.query("TEXT"))
    assert "ZH22240610007" in texts and "公顷" in texts and "入口 X=" in texts
    assert all(t.dxf.style == "GISPLAN_CJK" for t in msp.query("TEXT"))
    # the site outline: the footprint's vertices through pyproj into the JSON's GK zone (x easting, y northing)
    site = pyogrio.read_dataframe(paths["gpkg"], layer="site").geometry[0]
    gk = Transformer.from_crs("EPSG:4490", doc["project"]["gk_crs"], always_xy=True)
    want = np.column_stack(gk.transform(*shapely.get_coordinates(site).T))
    got = np.vstack([np.asarray(p.get_points("xy")) for p in msp.query('LWPOLYLINE[layer=="项目用地范围"]')])
    assert len(got) == len(want) - 1  # closed polylines do not repeat the first vertex
    assert np.allclose(got, want[:-1], atol=1e-6)
    assert 4.5e6 < got[:, 1].min() < 4.8e6 and 4.4e5 < got[:, 0].min() < 5.6e5  # northing, easting of zone CM 129
    # it renders (ezdxf's drawing add-on, as a CAD viewer draws it)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from ezdxf.addons.drawing import Frontend, RenderContext
    from ezdxf.addons.drawing.matplotlib import MatplotlibBackend

    fig = plt.figure(figsize=(4, 4))
    ax = fig.add_axes([0, 0, 1, 1])
    Frontend(RenderContext(cad), MatplotlibBackend(ax)).draw_layout(msp, finalize=True)
    fig.savefig(tmp_path / "road.png", dpi=60)
    plt.close(fig)
    assert (tmp_path / "road.png").stat().st_size > 5000


def test_python_api_and_replacing_an_existing_output(demo_store, tmp_path):
    import gisplan

    result = gisplan.screen(PARK, demo_store)
    out = tmp_path / "park.gpkg"
    out.write_bytes(b"an older file")
    result.to_layers(out)
    pieces = pyogrio.read_dataframe(out, layer="pieces")
    doc = result.to_dict()
    _assert_pieces_match_json(pieces, doc)
    for suffix in ("kmz", "dxf", "shp.zip"):  # replaced whole, no temporary file left beside
        target = tmp_path / f"park.{suffix}"
        target.write_bytes(b"old")
        result.to_layers(target)
        assert target.stat().st_size > 1000
    gdb = tmp_path / "park.gdb"
    result.to_layers(gdb)
    first = sorted(os.listdir(gdb))
    result.to_layers(gdb)  # an existing FileGDB is swapped for the new one
    assert sorted(os.listdir(gdb)) == first
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".gisplan-")]
    assert len(pyogrio.read_dataframe(gdb, layer="pieces")) == len(pieces)


def test_a_verdict_word_passes_through(demo_store, tmp_path):
    """A decision the layers do not know (say a new ``not_applicable``) is written as it is, never dropped."""
    import gisplan

    result = gisplan.screen(PARK, demo_store)
    result.verdict.overall = "not_applicable"
    result.to_layers(tmp_path / "p.gpkg")
    site = pyogrio.read_dataframe(tmp_path / "p.gpkg", layer="site")
    assert site["verdict"][0] == "not_applicable" and site["verdict_zh"][0]


def test_batch_layers_sum_to_the_table(demo_store, tmp_path):
    import geopandas as gpd

    sites = gpd.read_file(REPO / "data" / "sites" / "batch_sites.geojson").iloc[:6]
    road = gpd.read_file(ROAD)
    sites = gpd.GeoDataFrame({"site_id": [*sites["site_id"], "R1", "P0"],
                              "radius_m": [*sites["radius_m"], None, None],  # P0: a point without a radius
                              "width_m": [None] * len(sites) + [60.0, None]},
                             geometry=[*sites.geometry, road.geometry[0], shapely.Point(129.5, 42.9)], crs="EPSG:4490")
    path = tmp_path / "sites.gpkg"
    sites.to_file(path)
    r = run("batch", path, "--store", demo_store, "--id-field", "site_id", "--out", tmp_path / "b.csv",
            "--industry", "公路", "--layers-out", tmp_path / "b.gpkg")
    assert r.exit_code == 0, r.output
    import pandas as pd

    table = pd.read_csv(tmp_path / "b.csv", encoding="utf-8-sig")
    pieces = pyogrio.read_dataframe(tmp_path / "b.gpkg", layer="pieces")
    site_layer = pyogrio.read_dataframe(tmp_path / "b.gpkg", layer="site")
    screened = table[table["verdict"] != "error"]
    assert list(table.loc[table["verdict"] == "error", "site_id"]) == ["P0"]  # not screened: no features at all
    assert list(site_layer["site_id"]) == list(screened["site_id"])
    assert list(site_layer["verdict"]) == list(screened["verdict"])
    assert "P0" not in set(pieces["site_id"])
    units = pieces[pieces["kind"] == "control_units"]
    for _, row in screened.iterrows():
        mine = units[units["site_id"] == row["site_id"]]
        for cat in ("priority", "key", "general"):
            got = mine.loc[mine["class"] == cat, "area_m2"].sum()
            assert abs(got - row[f"{cat}_m2"]) <= 1e-9 * max(row["area_m2"], 1.0), (row["site_id"], cat)
        red = pieces.loc[(pieces["site_id"] == row["site_id"]) & (pieces["kind"] == "eco_redline"), "area_m2"].sum()
        assert abs(red - row["redline_m2"]) <= 1e-9 * max(row["area_m2"], 1.0)
    assert len(pyogrio.read_dataframe(tmp_path / "b.gpkg", layer="crossings")) >= 1  # the road's, from its centreline
    context = pyogrio.read_dataframe(tmp_path / "b.gpkg", layer="store_context")
    assert len(context) == len(set(zip(context["kind"], context["feature_id"])))


def test_no_overlap_writes_no_empty_piece(store_path, site_file, tmp_path):
    """A site outside every unit and zone: the site and its context, no pieces at all."""
    site = site_file(shapely.box(129.70, 42.84, 129.71, 42.85))
    out = tmp_path / "none.gpkg"
    r = run("screen", site, "--store", store_path, "--quiet", "--layers-out", out)
    assert r.exit_code == 3, r.output  # wholly outside the store's data: the outputs are written, no verdict
    assert len(pyogrio.read_dataframe(out, layer="pieces")) == 0
    site_layer = pyogrio.read_dataframe(out, layer="site")
    assert len(site_layer) == 1
    assert site_layer["coverage"][0] == "outside" and site_layer["verdict_zh"][0] == "数据范围外，不作判定"
    r = run("screen", site, "--store", store_path, "--quiet", "--layers-out", tmp_path / "none.dxf")
    assert r.exit_code == 3, r.output
    assert (tmp_path / "none.dxf").is_file()


def test_bad_outputs_are_one_line(store_path, site_file, tmp_path):
    site = site_file(shapely.box(129.45, 42.85, 129.46, 42.86))
    assert_one_line_error(run("screen", site, "--store", store_path, "--layers-out", tmp_path / "x.shp"))
    assert_one_line_error(run("screen", site, "--store", store_path, "--layers-out", store_path))
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert_one_line_error(run("screen", site, "--store", store_path, "--layers-out", blocker / "x.gpkg"))
    folder = tmp_path / "mine.gdb"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    r = run("screen", site, "--store", store_path, "--layers-out", folder)
    assert_one_line_error(r)
    assert (folder / "notes.txt").read_text() == "keep me"  # a folder of other files is never replaced
    assert_one_line_error(run("batch", site, "--store", store_path, "--id-field", "name", "--out", tmp_path / "b.csv",
                              "--layers-out", tmp_path / "b.gpkg", "--engine", "dask"))


def test_names_a_format_cannot_hold_are_written_legibly(tmp_path):
    import ezdxf
    from ezdxf.lldxf.validator import is_valid_layer_name

    from gisplan.render.layers_dxf import cad_layer_name, cad_text
    from gisplan.render.layers_out import OverlayLayers, write_layers

    assert cad_layer_name('占用-水源<一级>/"A":B;C?*|=`') == "占用-水源＜一级＞／＂A＂：B；C？＊｜＝｀"
    assert is_valid_layer_name(cad_layer_name('a<b>/c\\d"e:f;g?h*i|j=k`\x07'))
    assert cad_text("覆盖 50%%c\n下一行") == "覆盖 50%%%%%%c 下一行"
    odd = "水源地\u0007（一级）/A:B %%d " + "很长的名称" * 60 + "\ud800"
    layers = OverlayLayers(gk_crs="EPSG:4552", title=odd)
    box = shapely.box(129.40, 42.80, 129.41, 42.81)
    layers.add("site", {"site_id": odd, "name": odd, "area_m2": 1.0e6, "area_ha": 100.0, "verdict": "review",
                        "verdict_zh": "需人工核对"}, box)
    layers.add("pieces", {"site_id": odd, "kind": "control_units", "kind_zh": "环境管控单元", "code": "ZH1",
                          "name": odd, "class": "key", "class_zh": "重点管控单元", "area_m2": 1.0e6, "area_ha": 100.0},
               box)
    for suffix in ("gpkg", "shp.zip", "kmz", "dxf"):
        write_layers(layers, tmp_path / f"odd.{suffix}")
    shp = pyogrio.read_dataframe(f"/vsizip/{tmp_path / 'odd.shp.zip'}", layer="pieces")
    name = shp["name"][0]
    assert len(name.encode("utf-8")) <= 254 and name.startswith("水源地") and name.endswith("…")  # cut, not garbled
    assert pyogrio.read_dataframe(tmp_path / "odd.gpkg", layer="pieces")["name"][0].endswith("\ufffd")
    with zipfile.ZipFile(tmp_path / "odd.kmz") as zf:
        ET.fromstring(zf.read("doc.kml"))  # well-formed XML despite the control character
    cad = ezdxf.readfile(tmp_path / "odd.dxf")
    assert any(t.dxf.text.startswith("水源地 （一级）/A:B %%%%%%d") for t in cad.modelspace().query("TEXT"))


def test_unknown_suffix_from_the_api(tmp_path):
    from gisplan.errors import InputError
    from gisplan.render.layers_out import OverlayLayers, write_layers

    with pytest.raises(InputError, match=r"\.gpkg, \.shp\.zip, \.gdb, \.kmz or \.dxf"):
        write_layers(OverlayLayers(), tmp_path / "x.geojson")


def test_empty_layers_keep_their_schema(tmp_path):
    from gisplan.render.layers_out import LAYER_FIELDS, OverlayLayers, write_layers

    write_layers(OverlayLayers(gk_crs="EPSG:4552"), tmp_path / "e.gpkg")
    for name, fields in LAYER_FIELDS.items():
        info = pyogrio.read_info(tmp_path / "e.gpkg", layer=name)
        assert list(info["fields"]) == fields and info["features"] == 0
    assert Path(tmp_path / "e.gpkg").is_file()
