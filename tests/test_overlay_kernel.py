"""The overlay kernel: areas against an independent computation, fast paths against the overlay."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from conftest import REDLINE, UNITS, geod_area, rel

from gisplan.engine.overlay import layer_overlaps
from gisplan.geo.geometry import from_equal_area, to_equal_area
from gisplan.store.gpkg import Store


def _random_sites(n: int, seed: int) -> list:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        x, y = rng.uniform(129.38, 129.62), rng.uniform(42.78, 42.97)
        w, h = rng.uniform(0.0005, 0.05), rng.uniform(0.0005, 0.04)
        g = shapely.box(x, y, x + w, y + h)
        if i % 5 == 0:  # multipolygons and holes too
            g = shapely.MultiPolygon([g, shapely.box(x + w + 0.01, y, x + w + 0.02, y + 0.005)])
        elif i % 7 == 0:
            g = g.difference(shapely.box(x + w / 4, y + h / 4, x + w / 2, y + h / 2))
        out.append(g)
    return out


@pytest.mark.parametrize("keep", [False, True])
def test_unit_overlaps_equal_geodesic_areas(store_path, keep):
    store = Store(store_path)
    sites = _random_sites(60, seed=7)
    result = layer_overlaps(to_equal_area(np.array(sites, dtype=object)), store.index("control_units"),
                            store.edge_index("control_units"), keep_geometry=keep)
    codes = store.attributes("control_units", ["feature_id", "code"]).set_index("feature_id")["code"]
    got = {(int(s), codes[int(f)]): a for s, f, a in zip(result.site, result.feature, result.area)}
    expected = {}
    for i, site in enumerate(sites):
        for code, (_, _, unit) in UNITS.items():
            a = geod_area(site.intersection(unit))
            if a > 0.01:
                expected[(i, code)] = a
    assert set(got) == set(expected)
    for key, a in expected.items():
        assert rel(got[key], a) < 2e-6, key
    if keep:
        # the overlap geometries are the overlaps: their areas equal the sums
        areas = shapely.area(result.geometry)
        assert np.allclose(areas, result.area, rtol=1e-9)
        back = from_equal_area(result.geometry)
        for f, g in zip(result.feature, back):
            unit = UNITS[codes[int(f)]][2]
            assert shapely.difference(g, unit.buffer(1e-6)).area < 1e-12


def test_fast_paths_agree_with_plain_overlay(store_path):
    store = Store(store_path)
    inner = [shapely.box(129.42 + 0.005 * k, 42.82, 129.423 + 0.005 * k, 42.823) for k in range(5)]
    sites_ea = to_equal_area(np.array(_random_sites(80, seed=3) + inner, dtype=object))
    index = store.index("eco_redline")
    fast = layer_overlaps(sites_ea, index, store.edge_index("eco_redline"))
    plain = layer_overlaps(sites_ea, index, None)
    assert np.array_equal(fast.site, plain.site) and np.array_equal(fast.feature, plain.feature)
    assert np.allclose(fast.area, plain.area, rtol=1e-9)
    # some sites really were settled inside the redline by a fast path
    inside = [i for i, g in enumerate(from_equal_area(sites_ea)) if REDLINE.contains(g)]
    assert inside and set(inside) <= set(fast.site.tolist())


def test_bad_sites_get_no_rows(store_path):
    store = Store(store_path)
    sites = np.array([None, shapely.Polygon(), shapely.LineString([(0, 0), (1, 1)]),
                      to_equal_area(shapely.box(129.41, 42.81, 129.42, 42.82))], dtype=object)
    result = layer_overlaps(sites, store.index("control_units"), store.edge_index("control_units"))
    assert result.site.tolist() == [3]
    n = result.per_site(4)
    assert n[:3].sum() == 0 and n[3] > 0


def test_within_boxes_equals_the_geos_within_predicate():
    """The numeric box test gives the pairs GEOS's `within` gives, boundaries shared exactly included."""
    from types import SimpleNamespace

    import numpy as np
    import shapely

    from gisplan.engine.overlay import _within_boxes

    rng = np.random.default_rng(5)
    grid = np.arange(0.0, 101.0, 10.0)  # shared coordinates: boxes and sites meeting exactly on their sides
    x0, y0 = rng.choice(grid[:-1], 300), rng.choice(grid[:-1], 300)
    bounds = np.column_stack([x0, y0, x0 + rng.choice([10.0, 20.0, 30.0], 300), y0 + rng.choice([10.0, 20.0], 300)])
    boxes = shapely.box(*bounds.T)
    index = SimpleNamespace(bounds=bounds, box_tree=shapely.STRtree(boxes))
    cx, cy = rng.uniform(0, 100, 400), rng.uniform(0, 100, 400)
    sites = np.concatenate([
        shapely.buffer(shapely.points(cx, cy), rng.uniform(0.5, 8.0, 400), quad_segs=4),  # discs anywhere
        boxes[:100],  # exactly a box: within it
        shapely.box(bounds[:100, 0], bounds[:100, 1], bounds[:100, 0] + 5.0, bounds[:100, 1] + 5.0),  # in a corner
        np.array([shapely.Polygon([(x, y), (x + 10, y), (x + 10, y + 10)]) for x, y in zip(x0[:50], y0[:50])]),
    ])
    want_s, want_p = index.box_tree.query(sites, predicate="within")
    got_s, got_p = _within_boxes(sites, index)
    assert len(want_s) > 200
    assert sorted(zip(want_s.tolist(), want_p.tolist())) == sorted(zip(got_s.tolist(), got_p.tolist()))


def test_equal_area_sites_in_blocks_equal_one_projection():
    """Projected block by block across threads: the very geometries of one to_equal_area call, in order."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np
    import shapely

    from gisplan.batch import equal_area_sites
    from gisplan.geo.geometry import to_equal_area

    rng = np.random.default_rng(11)
    n = 2600  # more than two blocks, the last one short
    lon, lat = rng.uniform(75, 133, n), rng.uniform(20, 50, n)
    sites = shapely.buffer(shapely.points(lon, lat), rng.uniform(0.001, 0.05, n), quad_segs=3)
    with ThreadPoolExecutor(max_workers=2) as pool:
        got = equal_area_sites(sites, pool)
    want = to_equal_area(sites)
    assert len(got) == n and shapely.equals_exact(got, want, tolerance=0).all()
    assert np.array_equal(shapely.area(got), shapely.area(want))
