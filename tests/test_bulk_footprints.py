"""Batch footprints built in bulk: the same discs and corridors, warnings and errors as the per-site path."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from gisplan.errors import SiteError
from gisplan.sites import MAX_BUFFER_M, MIN_BUFFER_M, QUAD_SEGS, bulk_footprints, china_boundary, footprint, site_from_geometry
from gisplan.tables import SiteTable

from conftest import GEOD, geod_area


def _per_site(geom, radius, width, crs="EPSG:4490"):
    """(footprint, warnings) or the error text of the per-site path."""
    try:
        site = site_from_geometry(geom, crs=crs, name="s")
        fp, notes = footprint(site, radius=radius, width=width)
    except SiteError as exc:
        return str(exc)
    return fp, list(site.warnings) + list(notes)


def _inside_china(rng, n: int) -> np.ndarray:
    """``n`` random lon/lat points inside China's outline, some of them within 0.05 degrees of its edge."""
    boundary = china_boundary()
    edge = shapely.get_coordinates(shapely.boundary(boundary))
    near = edge[rng.integers(0, len(edge), n // 3)] + rng.normal(0, 0.05, (n // 3, 2))
    anywhere = np.column_stack([rng.uniform(73, 135, 4 * n), rng.uniform(18, 54, 4 * n)])
    xy = np.vstack([near, anywhere])
    xy = xy[shapely.contains_xy(boundary, xy[:, 0], xy[:, 1])]
    return xy[:n]


def _assert_same(geoms, radii, widths, least_built: int):
    built, fps, warns = bulk_footprints(np.asarray(geoms, dtype=object), radii, widths, "EPSG:4490")
    assert built.sum() >= least_built
    for i in np.flatnonzero(built):
        fp, expected_warnings = _per_site(geoms[i], radii[i], widths[i])
        a, b = shapely.get_coordinates(fp), shapely.get_coordinates(fps[i])
        assert a.shape == b.shape, (i, geoms[i].wkt)
        assert np.abs(a - b).max() <= 1e-9, (i, geoms[i].wkt)
        assert shapely.get_type_id(fp) == shapely.get_type_id(fps[i])
        assert warns[i] == expected_warnings
    return built, fps


def test_discs_are_the_per_site_discs_for_many_points_and_radii():
    rng = np.random.default_rng(7)
    xy = _inside_china(rng, 400)
    radii = [float(r) for r in rng.choice([MIN_BUFFER_M, MAX_BUFFER_M, 1.5, 100.0, 733.25, 4999.9], len(xy))]
    widths = [None] * len(xy)
    widths[::7] = [30.0] * len(widths[::7])  # a width on a point site: ignored, with a note
    points = list(shapely.points(xy))
    built, fps = _assert_same(points, radii, widths, least_built=len(xy) * 9 // 10)
    # independent: a disc's ellipsoidal area is that of the regular 128-gon of its radius
    k = 4 * QUAD_SEGS
    for i in np.flatnonzero(built)[:60]:
        regular = k / 2 * radii[i] ** 2 * math.sin(2 * math.pi / k)
        assert geod_area(fps[i]) == pytest.approx(regular, rel=2e-3)
    noted = bulk_footprints(np.asarray(points, dtype=object), radii, widths, "EPSG:4490")[2]
    assert ["--width ignored: the site has no lines"] in noted and [] in noted


def test_multipoints_are_unioned_as_the_per_site_path_does():
    rng = np.random.default_rng(8)
    centres = _inside_china(rng, 80)
    geoms = []
    for c in centres:
        pts = c + rng.normal(0, 0.005, (int(rng.integers(1, 5)), 2))
        pts = pts[shapely.contains_xy(china_boundary(), pts[:, 0], pts[:, 1])]
        geoms.append(shapely.MultiPoint(np.vstack([pts, pts[:1]])))  # a repeated point: merged before the discs
    radii = [float(r) for r in rng.uniform(50, 2000, len(geoms))]
    built, fps = _assert_same(geoms, radii, [None] * len(geoms), least_built=70)
    one = next(i for i in np.flatnonzero(built) if len(shapely.get_parts(geoms[i])) > 2)
    assert shapely.get_type_id(fps[one]) in (3, 6)


def test_corridors_are_the_per_site_corridors_short_and_long_lines():
    rng = np.random.default_rng(9)
    starts = _inside_china(rng, 120)
    geoms, widths = [], []
    for j, s in enumerate(starts):
        step = 0.6 if j % 4 == 0 else 0.02  # every fourth line longer than a 0.5-degree piece: cut and rejoined
        line = s + np.cumsum(rng.normal(0, step, (int(rng.integers(2, 6)), 2)), axis=0)
        geom = shapely.LineString(np.vstack([s, line]))
        geoms.append(shapely.MultiLineString([geom.coords, np.asarray(geom.coords) + 0.01]) if j % 5 == 0 else geom)
        widths.append(float(rng.choice([2.0, 20.0, 99.5, 3000.0])))
    radii = [None] * len(geoms)
    radii[::3] = [100.0] * len(radii[::3])
    built, fps = _assert_same(geoms, radii, widths, least_built=40)
    assert built[::4].any()  # long lines too (inside China whole)
    for i in np.flatnonzero(built)[:30]:  # independent: about width x length plus the round caps
        if geoms[i].geom_type != "LineString":
            continue
        length = GEOD.geometry_length(geoms[i])
        w = widths[i]
        # (the corridor follows the densified lon/lat line, a little longer than the geodesics)
        assert geod_area(fps[i]) <= (w * length + math.pi * (w / 2) ** 2) * 1.001
        assert geod_area(fps[i]) >= math.pi * (w / 2) ** 2


@pytest.mark.parametrize(("geom", "radius", "width"), [
    (shapely.Point(116.4, 39.9), 0.0, None),  # radius zero
    (shapely.Point(116.4, 39.9), -5, None),
    (shapely.Point(116.4, 39.9), "abc", None),
    (shapely.Point(116.4, 39.9), float("nan"), None),
    (shapely.Point(116.4, 39.9), MAX_BUFFER_M + 1, None),
    (shapely.Point(116.4, 39.9), 0.5, None),  # below the minimum
    (shapely.Point(116.4, 39.9), None, None),  # radius missing
    (shapely.Point(2.35, 48.85), 100.0, None),  # Paris: outside China
    (shapely.Point(39.9, 116.4), 100.0, None),  # lat/lon swapped
    (shapely.Point(116.4, float("nan")), 100.0, None),
    (shapely.Point(116.4, 39.9, 5.0), 100.0, None),  # 3-D
    (shapely.Point(), 100.0, None),
    (shapely.LineString([(116.4, 39.9), (116.5, 39.95)]), None, 1.5),  # narrower than the bulk's 2 m
    (shapely.LineString([(116.4, 39.9), (116.5, 39.95)]), None, None),  # width missing
    (shapely.LineString([(116.4, 39.9), (2.35, 48.85)]), None, 50.0),  # leaves China
    (shapely.from_wkt("MULTIPOINT (EMPTY, (116.4 39.9))"), 100.0, None),
    (shapely.GeometryCollection([shapely.Point(116.4, 39.9)]), 100.0, None),
    (shapely.box(116.4, 39.9, 116.5, 40.0), 100.0, None),  # polygons are not built here
])
def test_rows_the_bulk_path_leaves_to_the_per_site_checks(geom, radius, width):
    built, fps, warns = bulk_footprints(np.array([geom], dtype=object), [radius], [width], "EPSG:4490")
    assert not built[0] and fps[0] is None and warns[0] == []


def test_batch_footprints_give_the_per_site_errors_and_warnings():
    from gisplan.batch import _footprints

    geoms = np.array([shapely.Point(116.4, 39.9), shapely.Point(116.41, 39.91), shapely.Point(2.35, 48.85),
                      shapely.Point(116.42, 39.92), shapely.LineString([(116.4, 39.9), (116.45, 39.93)]),
                      shapely.Point(116.43, 39.93)], dtype=object)
    table = SiteTable(geoms, {"site_id": np.array(["a", "b", "c", "d", "e", "f"], dtype=object),
                              "radius_m": np.array([300.0, -1.0, 300.0, np.nan, np.nan, 70_000.0])}, "EPSG:4490")
    fps, warns, errors = _footprints(table, "site_id", None, 40.0, None)
    for i, g in enumerate(geoms):
        r = table["radius_m"][i]
        expected = _per_site(g, None if np.isnan(r) else r, 40.0)
        if isinstance(expected, str):
            assert errors[i] == expected and fps[i] is None
        else:
            assert errors[i] is None and warns[i] == expected[1]
            assert shapely.equals_exact(fps[i], expected[0], tolerance=0)
    assert errors[1] and "radius" in errors[1] and errors[2] and "outside China" in errors[2]
    assert errors[3] == "a point site needs `radius` (metres)" and "sanity limit" in errors[5]
    assert warns[0] == ["--width ignored: the site has no lines"]


def test_projected_sites_are_left_to_the_per_site_path():
    geoms = np.array([shapely.Point(500_000, 4_400_000)], dtype=object)
    built, _, _ = bulk_footprints(geoms, [100.0], [None], "EPSG:4547")
    assert not built.any()
