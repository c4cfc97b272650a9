"""GCJ-02 / BD-09 conversions (gisplan.geo.chinacoords)."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest

from gisplan.geo import chinacoords as cc

GEOD = pyproj.Geod(ellps="GRS80")

# Published values of the reference implementation (wandergis/coordtransform test/app.js)
# for the input (116.404, 39.915).
PUBLISHED = {
    "gcj02_from_cgcs2000": (116.41024449916938, 39.91640428150164),
    "bd09_from_gcj02": (116.41036949371029, 39.92133699351021),
}


def _grid():
    lon, lat = np.meshgrid(np.linspace(74.0, 134.5, 23), np.linspace(18.5, 53.0, 19))
    return lon.ravel(), lat.ravel()


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_forward_matches_published_values(name):
    lon, lat = getattr(cc, name)(116.404, 39.915)
    assert isinstance(lon, float) and isinstance(lat, float)
    assert lon == pytest.approx(PUBLISHED[name][0], abs=1e-12)
    assert lat == pytest.approx(PUBLISHED[name][1], abs=1e-12)


def test_offset_is_a_few_hundred_metres_in_yanbian():
    lon, lat = 129.5, 42.9
    glon, glat = cc.gcj02_from_cgcs2000(lon, lat)
    _, _, d = GEOD.inv(lon, lat, glon, glat)
    assert 100 < d < 900
    blon, blat = cc.bd09_from_cgcs2000(lon, lat)
    _, _, d2 = GEOD.inv(lon, lat, blon, blat)
    assert d2 > d


@pytest.mark.parametrize(
    "forward, inverse",
    [
        (cc.gcj02_from_cgcs2000, cc.cgcs2000_from_gcj02),
        (cc.bd09_from_gcj02, cc.gcj02_from_bd09),
        (cc.bd09_from_cgcs2000, cc.cgcs2000_from_bd09),
    ],
)
def test_round_trip_under_half_a_metre(forward, inverse):
    lon, lat = _grid()
    flon, flat = forward(lon, lat)
    blon, blat = inverse(flon, flat)
    _, _, dist = GEOD.inv(lon, lat, blon, blat)
    assert dist.max() < 0.5
    assert np.abs(blon - lon).max() < 1e-7 and np.abs(blat - lat).max() < 1e-7
    # and the inverse applied first, then the forward, lands back too
    ilon, ilat = inverse(lon, lat)
    rlon, rlat = forward(ilon, ilat)
    _, _, dist2 = GEOD.inv(lon, lat, rlon, rlat)
    assert dist2.max() < 0.5


def test_outside_rectangle_is_unchanged():
    assert cc.is_outside_china_rect(2.35, 48.85) is True
    assert cc.is_outside_china_rect(129.5, 42.9) is False
    lon, lat = cc.gcj02_from_cgcs2000(2.35, 48.85)
    assert (lon, lat) == (2.35, 48.85)
    lon, lat = cc.cgcs2000_from_gcj02(np.array([2.35, 129.5]), np.array([48.85, 42.9]))
    assert lon[0] == 2.35 and lat[0] == 48.85 and lon[1] != 129.5
    mask = cc.is_outside_china_rect(np.array([10.0, 120.0]), np.array([10.0, 30.0]))
    assert mask.tolist() == [True, False]


def test_arrays_shapes_and_nan():
    lon = np.array([[129.5, np.nan], [125.0, 126.0]])
    lat = np.array([[42.9, 43.0], [np.nan, 44.0]])
    glon, glat = cc.gcj02_from_cgcs2000(lon, lat)
    assert glon.shape == (2, 2)
    blon, blat = cc.cgcs2000_from_gcj02(glon, glat)
    assert np.isnan(blon[0, 1]) and np.isnan(blat[1, 0])
    assert abs(blon[1, 1] - 126.0) < 1e-7
    # scalar lon with an array of lat broadcasts
    glon, glat = cc.gcj02_from_cgcs2000(129.5, [42.0, 43.0])
    assert glon.shape == (2,)
