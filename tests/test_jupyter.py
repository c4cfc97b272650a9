"""A screening result in Jupyter: HTML summary, GeoDataFrames, explore() and plot()."""

from __future__ import annotations

import json
from pathlib import Path

import folium
import geopandas as gpd
import pytest
import shapely

from conftest import REPO

from gisplan.screening import screen

SITE = shapely.box(129.44, 42.84, 129.53, 42.90)  # units A, B, C; the redline's corner


@pytest.fixture(scope="module")
def result(store_path):
    return screen(SITE, store_path)


def test_repr_html_summary(result):
    page = result._repr_html_()
    assert "<table" in page and "gisplan-summary" in page
    for code in result.control_units["code"]:
        assert code in page
    assert "生态保护红线" in page and result.verdict["overall"] in page
    for pos in result.nearby["position"]:
        assert pos in page
    assert f"{result.project['area_m2'] / 1e4:,.4f}" in page
    assert len(repr(result)) < 300 and f"verdict '{result.verdict['overall']}'" in repr(result)


def test_repr_html_escapes_text(store_path):
    r = screen(SITE, store_path)
    r.project["name"] = "<script>alert(1)</script>"
    r.control_units.loc[0, "name"] = "A&B <b>"
    r.warnings.append("<img src=x>")
    page = r._repr_html_()
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "A&amp;B &lt;b&gt;" in page and "&lt;img src=x&gt;" in page


def test_repr_html_tolerates_other_verdict_shapes(result):
    import copy

    r = copy.copy(result)
    r.verdict = {"overall": "restricted", "findings": [{"decision": "restricted", "kind": "eco_redline"}, "text"]}
    page = r._repr_html_()
    assert "restricted" in page and "text" in page


def test_units_hits_and_nearby_are_geodataframes(result):
    units = result.units
    assert isinstance(units, gpd.GeoDataFrame) and units.crs.to_epsg() == 4490
    assert list(units["code"]) == list(result.control_units["code"])
    assert {"overlap_m2", "overlap_gk_m2", "share_of_project", "category"} <= set(units.columns)
    assert units.geometry.notna().all()
    # whole unit geometry, larger than the overlap
    assert (shapely.area(units.geometry.values) > shapely.area(shapely.intersection(units.geometry.values, SITE)) - 1e-12).all()
    hits = result.hits_frame
    assert isinstance(hits, gpd.GeoDataFrame) and len(hits) == len(result.hits) >= 1
    assert hits.geometry.notna().all() and hits.geometry.within(SITE.buffer(1e-6)).all()
    near = result.nearby_frame
    assert isinstance(near, gpd.GeoDataFrame) and (near.geom_type == "LineString").all()
    assert isinstance(result.pieces, gpd.GeoDataFrame)


def test_empty_result_frames(store_path):
    r = screen(shapely.box(129.70, 42.70, 129.71, 42.71), store_path, buffer=100)
    assert len(r.units) == 0 and len(r.hits_frame) == 0 and len(r.nearby_frame) == 0
    assert isinstance(r.units, gpd.GeoDataFrame)
    assert "无" in r._repr_html_()
    r.plot()


def test_explore_is_an_offline_folium_map(result):
    m = result.explore()
    assert isinstance(m, folium.Map)
    shown = m._repr_html_()  # what Jupyter displays: an iframe with Leaflet inline
    assert "<iframe" in shown and "https://cdn" not in shown and "gisplan-asset:" not in shown
    assert "autonavi" in result.explore(basemap="amap").get_root().render()


def test_plot_returns_axes(result):
    import matplotlib.pyplot as plt

    ax = result.plot()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "优先保护单元" in labels and "项目范围" in labels and "生态保护红线" in labels
    assert len(ax.collections) >= 4
    plt.close(ax.figure)
    fig, ax2 = plt.subplots()
    assert result.plot(ax=ax2) is ax2
    plt.close(fig)


def test_example_notebook_is_tested_and_portable():
    nb = json.loads((REPO / "examples" / "screening_demo.ipynb").read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    src = "".join("".join(c["source"]) for c in nb["cells"])
    assert "build_demo_store" in src and ".explore()" in src and "screen_batch" in src
    assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code"), "commit the notebook without outputs"
    import tomllib

    opts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert "examples" in opts["testpaths"] and "--nbmake" in opts["addopts"]
    assert Path(REPO / "examples").is_dir()
