"""One engine: a single screening equals its row in screen_many and in `gisplan batch`.

Both decide their verdict with :func:`gisplan.rules.decide.decide` from the
same overlay kernel and the one coverage rule; these tests check that the
figures agree. For every bundled sample site (and sites of the fixture store),
screened with the same options and project type three ways:
``store.screen(site)``, the row of ``store.screen_many(frame)`` and the row of
the ``gisplan batch`` CLI. Areas, zone areas, coverage, the verdict and its
findings per decision must agree.
"""

from __future__ import annotations

import csv
import dataclasses
import json

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner

import gisplan
from gisplan.cli import main
from gisplan.demo.run import DEFAULT_DATA_DIR, SAMPLE_SITE_PARAMS
from gisplan.errors import SiteError
from gisplan.result import Finding, ScreeningResult, Verdict
from gisplan.sites import read_site

_ZONE_COL = {"eco_redline": "redline_m2", "protected_areas": "protected_m2", "water_sources": "water_m2"}


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0)


def _check_row(single, row: dict) -> None:
    assert _close(float(row["area_m2"]), single.project["area_m2"])
    for cat, value in single.by_category.items():
        assert _close(float(row[f"{cat}_m2"]), value), cat
    assert _close(float(row["outside_m2"]), single.project["outside_coverage_m2"])
    for kind, col in _ZONE_COL.items():
        expected = sum(h["overlap_m2"] for h in single.hit_rows if h["kind"] == kind)
        assert _close(float(row[col]), expected), kind
    assert row["verdict"] == single.verdict["overall"]
    counts = single.verdict["counts"]
    for decision in ("prohibited", "restricted", "review", "allowed", "not_applicable"):
        assert int(row[f"n_{decision}"]) == counts[decision], decision
    deciding = [f for f in single.verdict["findings"] if f["decision"] == single.verdict["overall"]]
    cited = {f.get("citation") or f.get("rule") for f in deciding}  # a finding without a citation: its words
    assert any(c and str(row["deciding"]).startswith(c) for c in cited) or row["deciding"] in (
        "未发现适用于本项目类型的规则或条款（不适用不等于相符）",), row["deciding"]


def _cases():
    for stem, params in SAMPLE_SITE_PARAMS.items():
        for industry in (params.get("industry"), "C26", None):
            yield pytest.param(stem, {k: v for k, v in params.items() if k != "industry"}, industry,
                               id=f"{stem}-{industry}")


@pytest.mark.parametrize("stem,options,industry", list(_cases()))
def test_sample_site_three_ways(demo_store, tmp_path, stem, options, industry):
    path = DEFAULT_DATA_DIR / "sites" / f"{stem}.geojson"
    site = read_site(path)
    with gisplan.open_store(demo_store) as store:
        single = store.screen(site, industry=industry, **options)
        frame = gpd.GeoDataFrame({"site_id": [stem], "HYLB": [industry]}, geometry=[site.geometry], crs="EPSG:4490")
        many = store.screen_many(frame, id_field="site_id", industry_field="HYLB", **options)
    _check_row(single, many.iloc[0].to_dict())
    sites_file = tmp_path / "one.gpkg"
    frame.to_file(sites_file, driver="GPKG")
    args = ["batch", str(sites_file), "--store", str(demo_store), "--id-field", "site_id", "--out", str(tmp_path / "o.csv"),
            "--no-progress"]
    if industry:
        args += ["--industry", industry]
    for key in ("radius", "width"):
        if key in options:
            args += [f"--{key}", str(options[key])]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    with open(tmp_path / "o.csv", encoding="utf-8-sig") as fh:
        (row,) = list(csv.DictReader(fh))
    _check_row(single, row)


def test_fixture_sites_three_ways(store_path):
    sites = [shapely.box(129.48, 42.86, 129.53, 42.89), shapely.box(129.41, 42.81, 129.43, 42.83),
             shapely.box(129.62, 42.858, 129.63, 42.866), shapely.box(129.45, 42.90, 129.70, 42.99)]
    frame = gpd.GeoDataFrame({"site_id": list(range(len(sites)))}, geometry=sites, crs="EPSG:4490")
    with gisplan.open_store(store_path) as store:
        many = store.screen_many(frame, id_field="site_id", industry="公路")
        for i, g in enumerate(sites):
            _check_row(store.screen(g, industry="公路"), many.iloc[i].to_dict())


def test_attribute_and_json_key_share_names(store_path):
    r = gisplan.screen(shapely.box(129.48, 42.86, 129.53, 42.89), store_path, industry="公路")
    d = r.to_dict()
    fields = {f.name for f in dataclasses.fields(ScreeningResult)}
    for key in ("project", "parameters", "store", "verdict", "warnings", "crossings") if "crossings" in d else (
            "project", "parameters", "store", "verdict", "warnings"):
        assert key in fields, key
        value = getattr(r, key)
        value = value.to_dict() if hasattr(value, "to_dict") else value
        assert json.loads(json.dumps(value, default=str, ensure_ascii=False)) == d[key], key
    for key in ("control_units", "hits", "nearby", "by_category", "by_category_gk"):
        assert hasattr(r, key) and key in d
    assert isinstance(r.control_units, gpd.GeoDataFrame) and isinstance(r.hits, gpd.GeoDataFrame)
    assert isinstance(r.nearby, gpd.GeoDataFrame)
    assert isinstance(r.verdict, Verdict) and all(isinstance(f, Finding) for f in r.verdict.findings)
    vfields = {f.name for f in dataclasses.fields(Verdict)} - {"extra"}
    assert vfields <= set(d["verdict"])
    for f, fd in zip(r.verdict.findings, d["verdict"]["findings"]):
        for name in ("id", "kind", "decision", "rule", "citation"):
            assert getattr(f, name) == fd[name]


def test_many_random_sites_single_equals_batch_row(demo_store):
    """Thirty boxes across the demo area (inside, on unit borders, partly or wholly outside) x project types."""
    import numpy as np

    rng = np.random.default_rng(11)
    sites = []
    for _ in range(30):
        x, y, d = rng.uniform(127.6, 131.3), rng.uniform(41.9, 44.1), rng.uniform(0.003, 0.04)
        sites.append(shapely.box(x, y, x + d, y + d * rng.uniform(0.5, 2.0)))
    types = ["C26", "公路", "房地产", None, "水力发电", "D4411"]
    frame = gpd.GeoDataFrame({"site_id": range(len(sites)), "HYLB": [types[i % len(types)] for i in range(len(sites))]},
                             geometry=sites, crs="EPSG:4490")
    with gisplan.open_store(demo_store) as store:
        many = store.screen_many(frame, id_field="site_id", industry_field="HYLB")
        verdicts = set()
        for i, g in enumerate(sites):
            row = many.iloc[i].to_dict()
            if row["verdict"] == "error":  # a site the batch refuses, the single screening refuses with the same reason
                with pytest.raises(SiteError) as refused:
                    store.screen(g, industry=types[i % len(types)])
                assert str(refused.value) in row["warnings"]
                continue
            single = store.screen(g, industry=types[i % len(types)], context=False)
            _check_row(single, row)
            verdicts.add(single.verdict["overall"])
    assert len(verdicts) >= 3, verdicts  # the sample reaches several decisions, not one
