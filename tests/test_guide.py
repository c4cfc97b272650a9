"""Siting guidance (issue 22): faces where every layer is constant, each with the verdict a screening gives.

What must hold, checked against independent computations:

- a small site (a 20 m box) screened with :func:`gisplan.screen` anywhere inside a face gets that face's
  verdict: points sampled in faces of every verdict that occurs, for several industries, on the demo store
  and on a planted store (conftest layers plus a reserve across the redline and three units, basic farmland,
  an urban boundary and an access list allowing solar);
- the faces tile the units: their areas add up to the units' areas (1e-6), no two overlap, and each face's
  ``area_m2`` agrees with pyproj.Geod on the ellipsoid.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from conftest import UNITS, geod_area, write_sources

import gisplan
from gisplan.cli import main
from gisplan.engine.guide import VERDICT_ORDER, guide_faces, guide_many
from gisplan.errors import InputError
from gisplan.geo.geometry import from_equal_area, to_equal_area
from gisplan.store.gpkg import Store

INDUSTRIES = ("化工", "房地产", "公路", "光伏")
#: A reserve's experimental zone across the redline's north-east corner and the three units' meeting point.
RESERVE = shapely.box(129.45, 42.84, 129.52, 42.88)
FARM = shapely.box(129.52, 42.81, 129.55, 42.83)
URBAN = shapely.box(129.52, 42.89, 129.56, 42.93)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def planted_store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("guide_planted")
    src = write_sources(folder / "src")
    prot = gpd.read_file(src["protected_areas"])
    extra = gpd.GeoDataFrame({"BHDMC": ["测试跨界自然保护区"], "GNFQ": ["实验区"]}, geometry=[RESERVE], crs="EPSG:4490")
    prot = gpd.GeoDataFrame(list(prot.to_dict("records")) + list(extra.to_dict("records")), crs="EPSG:4490")
    prot.to_file(src["protected_areas"], driver="GeoJSON")
    farm = gpd.GeoDataFrame({"YJJBNTTBBH": ["220401101001000001"], "DLMC": ["水田"], "ZLDWMC": ["小营镇"]},
                            geometry=[FARM], crs="EPSG:4490")
    urban = gpd.GeoDataFrame({"GHFQMC": ["城镇集中建设区"]}, geometry=[URBAN], crs="EPSG:4490")
    src["basic_farmland"] = folder / "src" / "farm.geojson"
    src["urban_boundary"] = folder / "src" / "urban.geojson"
    farm.to_file(src["basic_farmland"], driver="GeoJSON")
    urban.to_file(src["urban_boundary"], driver="GeoJSON")
    path = folder / "planted.gpkg"
    for kind, source in src.items():
        r = run("layers", "import", path, kind, source)
        assert r.exit_code == 0, r.output
    rules = folder / "src" / "准入清单.csv"  # a clause a machine can decide: solar allowed in every unit
    rules.write_text("层级,环境管控单元编码,管控维度,管控要求,来源,条目,适用行业,判定\n"
                     + "".join(f"单元,{code},空间布局约束,允许建设光伏发电项目（测试）,单元清单（测试）,1,光伏,允许\n"
                               for code in UNITS), encoding="utf-8")
    r = run("rules", "import", path, rules)
    assert r.exit_code == 0, r.output
    return path


@pytest.fixture(scope="module")
def demo_guides(demo_store):
    with Store(demo_store) as store:
        return guide_many(store, INDUSTRIES)


@pytest.fixture(scope="module")
def planted_guides(planted_store):
    with Store(planted_store) as store:
        return guide_many(store, INDUSTRIES)


def _sample_sites(frame, rng, per_verdict: int = 3, margin_m: float = 30.0):
    """Per verdict present, up to ``per_verdict`` 20 m boxes (lon/lat) at random points well inside faces."""
    out = []
    ea = to_equal_area(np.asarray(frame.geometry.values, dtype=object))
    room = shapely.buffer(ea, -margin_m)
    for verdict in VERDICT_ORDER:
        idx = [i for i in np.flatnonzero(frame["verdict"].to_numpy() == verdict) if not room[i].is_empty]
        if not idx:
            continue
        for i in rng.choice(idx, size=min(per_verdict, len(idx)), replace=False).tolist():
            x0, y0, x1, y1 = room[i].bounds
            for _ in range(200):
                p = shapely.Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
                if room[i].contains(p):
                    break
            else:
                p = shapely.point_on_surface(room[i])
            box = shapely.box(p.x - 10, p.y - 10, p.x + 10, p.y + 10)
            out.append((i, verdict, from_equal_area(box)))
    return out


def _check_sites_get_face_verdicts(store_path, guides, seed: int) -> set:
    rng = np.random.default_rng(seed)
    seen = set()
    with Store(store_path) as store:
        for industry, frame in guides.items():
            for i, verdict, site in _sample_sites(frame, rng):
                got = gisplan.screen(site, store, industry=industry).verdict.overall
                assert got == verdict, (industry, i, frame.iloc[i][["unit_code", "zones", "element_zones"]].to_dict(),
                                        got, verdict)
                seen.add(verdict)
    return seen


def test_a_small_site_anywhere_in_a_face_gets_its_verdict_on_the_demo_store(demo_store, demo_guides):
    seen = _check_sites_get_face_verdicts(demo_store, demo_guides, seed=22)
    assert {"prohibited", "restricted", "review"} <= seen  # not vacuous: every verdict the demo gives is met


def test_a_small_site_anywhere_in_a_face_gets_its_verdict_on_a_planted_store(planted_store, planted_guides):
    seen = _check_sites_get_face_verdicts(planted_store, planted_guides, seed=7)
    assert {"prohibited", "review", "allowed"} <= seen


def test_verdicts_are_the_four_screening_codes_and_allowed_only_where_screening_allows(demo_guides, planted_guides):
    for guides in (demo_guides, planted_guides):
        for frame in guides.values():
            assert set(frame["verdict"]) <= set(VERDICT_ORDER)
    # the planted access list allows solar only: no other type is "allowed" anywhere, and solar never in the
    # redline or the reserve's core zone
    for industry, frame in planted_guides.items():
        allowed = frame[frame["verdict"] == "allowed"]
        assert len(allowed) == 0 or industry == "光伏"
        assert not allowed["zones"].str.contains("生态保护红线|核心区").any()
    assert (planted_guides["光伏"]["verdict"] == "allowed").any()


@pytest.mark.parametrize("which", ["demo", "planted"])
def test_faces_tile_the_units_without_gap_or_overlap(which, demo_store, planted_store):
    path = demo_store if which == "demo" else planted_store
    with Store(path) as store:
        faces = guide_faces(store)
        units = store.read("control_units")
        unit_ea = to_equal_area(np.asarray(units.geometry.values, dtype=object))
        # the units' area, independently: pyproj.Geod on the ellipsoid, and the equal-area plane
        units_geod = sum(geod_area(g) for g in units.geometry)
        total = float(faces.area_m2.sum())
        assert abs(total - float(shapely.area(unit_ea).sum())) <= 1e-6 * total
        assert abs(total - units_geod) <= 1e-5 * total
        tree = shapely.STRtree(faces.geoms_ea)
        a, b = tree.query(faces.geoms_ea, predicate="intersects")
        pair = a < b
        overlap = shapely.area(shapely.intersection(faces.geoms_ea[a[pair]], faces.geoms_ea[b[pair]])).sum()
        assert overlap <= 1e-9 * total
        # each unit is exactly covered by its own faces
        for fid, geom in zip(units["feature_id"].tolist(), unit_ea):
            mine = faces.geoms_ea[faces.unit == fid]
            assert abs(shapely.area(shapely.union_all(mine)) - shapely.area(geom)) <= 1e-6 * shapely.area(geom)


def test_face_areas_agree_with_pyproj_geod(planted_guides):
    frame = next(iter(planted_guides.values()))
    big = frame[frame["area_m2"] > 1e4]
    assert len(big) >= 5
    for geom, area in zip(big.geometry, big["area_m2"]):
        assert abs(geod_area(geom) - area) <= 1e-5 * area


def test_planted_faces_cut_by_every_layer(planted_guides):
    frame = planted_guides["化工"]
    assert frame.crs.to_epsg() == 4490
    zones = " ".join(frame["zones"])
    for word in ("生态保护红线", "测试跨界自然保护区实验区", "核心区", "永久基本农田", "城镇集中建设区", "城镇开发边界外"):
        assert word in zones
    # the reserve straddles three units: a face of it in each
    reserve = frame[frame["zones"].str.contains("测试跨界自然保护区")]
    assert reserve["unit_code"].nunique() == 3
    # its part in the redline area agrees with the plane geometry of the planted boxes (Geod)
    both = reserve[reserve["zones"].str.contains("生态保护红线")]
    want = geod_area(RESERVE.intersection(shapely.box(129.41, 42.81, 129.46, 42.86)))
    assert abs(both["area_m2"].sum() - want) <= 1e-5 * want


def test_county_and_bad_input(planted_store):
    with gisplan.open_store(planted_store) as store:
        by_code = store.guide("公路", county="222401")
        by_name = store.guide("公路", county=str(store.snapshot().read("control_units")["county"].iloc[0]))
        assert len(by_code) == len(by_name) > 0
        with pytest.raises(InputError, match="not in the store"):
            store.guide("公路", county="999999")
        with pytest.raises(InputError):
            store.guide("不存在的行业类型xyz")
        with pytest.raises(InputError):
            store.guide("公路", national_major="yes")


def test_store_without_control_units_is_refused(tmp_path):
    src = write_sources(tmp_path / "src")
    path = tmp_path / "nounits.gpkg"
    assert run("layers", "import", path, "eco_redline", src["eco_redline"]).exit_code == 0
    with Store(path) as store, pytest.raises(InputError, match="no control units"):
        gisplan.guide(store, "公路")


def test_resident_store_and_package_function(planted_store):
    with gisplan.open_store(planted_store) as store:
        a = store.guide(industry="光伏")
    b = gisplan.guide(str(planted_store), "光伏")
    assert list(a["verdict"]) == list(b["verdict"])
    assert a.crs.to_epsg() == b.crs.to_epsg() == 4490


def test_cli_writes_faces_totals_and_matrix(planted_store, tmp_path):
    import json

    import openpyxl
    import pyogrio

    inds = tmp_path / "行业.txt"
    inds.write_text("# 项目类型\n光伏\n房地产\n", encoding="utf-8")
    out, xlsx, js = tmp_path / "guide.gpkg", tmp_path / "totals.xlsx", tmp_path / "totals.json"
    r = run("guide", "--store", planted_store, "--industry", "化工", "--industries", inds, "--out", out,
            "--xlsx", xlsx, "--json", js)
    assert r.exit_code == 0, r.output
    assert "选址引导：化工" in r.output and "合计" in r.output and "禁止准入" in r.output
    layers = [name for name, _ in pyogrio.list_layers(out)]
    assert layers == ["化工", "光伏", "房地产"]
    faces = gpd.read_file(out, layer="光伏")
    with Store(planted_store) as store:
        want = guide_many(store, ["光伏"])["光伏"]
        units_geod = sum(geod_area(g) for g in store.read("control_units").geometry)
    assert list(faces["verdict"]) == list(want["verdict"])
    doc = json.loads(js.read_text(encoding="utf-8"))
    assert [i["query"] for i in doc["industries"]] == ["化工", "光伏", "房地产"]
    for ind in doc["industries"]:
        total = ind["total"]
        assert abs(total["area_km2"] * 1e6 - units_geod) <= 1e-5 * units_geod
        assert abs(sum(v["area_km2"] for v in total["verdicts"].values()) - total["area_km2"]) <= 1e-9 * total["area_km2"]
        assert abs(sum(v["share"] for v in total["verdicts"].values()) - 1) < 1e-9
        # the county rows add up to the total, verdict by verdict
        for verdict, v in total["verdicts"].items():
            assert abs(sum(c["verdicts"][verdict]["area_km2"] for c in ind["counties"]) - v["area_km2"]) < 1e-9
    # the prohibited area for 化工 includes the whole redline (it lies inside the units): Geod of the planted box
    chem = doc["industries"][0]["total"]["verdicts"]["prohibited"]["area_km2"] * 1e6
    assert chem >= geod_area(shapely.box(129.41, 42.81, 129.46, 42.86)) * (1 - 1e-6)
    wb = openpyxl.load_workbook(xlsx)
    head = [c.value for c in wb.worksheets[0][1]]
    assert head[:5] == ["行业类别", "环评类别", "县（市、区）", "行政区划代码", "面积（km²）"]
    assert all(not any(tok in str(h) for tok in ("prohibited", "review", "_")) for h in head)
    assert len(wb.worksheets) == 4  # the matrix and one sheet per industry


@pytest.mark.parametrize("args, words", [
    (["--industry", "不存在的行业类型xyz"], "industry"),
    (["--industry", "公路", "--county", "999999"], "not in the store"),
    ([], "--industry"),
    (["--industry", "公路", "--png", "x.jpg"], "--png"),
])
def test_cli_bad_input_is_one_line_exit_2(planted_store, tmp_path, args, words):
    r = run("guide", "--store", planted_store, "--out", tmp_path / "g.gpkg", *args)
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in r.output
    assert not (tmp_path / "g.gpkg").exists()


def test_cli_store_without_units_is_one_line_exit_2(tmp_path):
    src = write_sources(tmp_path / "src")
    path = tmp_path / "nounits.gpkg"
    assert run("layers", "import", path, "eco_redline", src["eco_redline"]).exit_code == 0
    r = run("guide", "--store", path, "--industry", "公路", "--out", tmp_path / "g.gpkg")
    assert r.exit_code == 2 and "no control units" in r.output and len(r.output.strip().splitlines()) == 1


def test_cli_maps_png_and_html(planted_store, tmp_path):
    png, page = tmp_path / "guide.png", tmp_path / "guide.html"
    r = run("guide", "--store", planted_store, "--industry", "化工", "--industry", "公路", "--out", tmp_path / "g.gpkg",
            "--png", png, "--html-map", page, "--quiet")
    assert r.exit_code == 0, r.output
    assert r.output.strip() == ""
    from PIL import Image

    with Image.open(png) as im:
        assert im.format == "PNG" and im.size[0] > 800
        # the verdict colours are drawn: red (prohibited) and grey-blue (review) pixels are there
        colours = {tuple(c[1][:3]) for c in im.convert("RGB").getcolors(maxcolors=1 << 20)}
        assert (0xC6, 0x28, 0x28) in colours and (0x8E, 0x9B, 0xB0) in colours
    text = page.read_text(encoding="utf-8")
    assert "选址引导：判定" in text and "禁止准入（不相符）" in text and "需人工核对" in text
    assert text.count("L.featureGroup(") == 2  # one layer per industry
    assert "示例数据" not in text  # not the demo store
