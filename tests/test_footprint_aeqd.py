"""Discs and corridors without a pyproj transformer per site: the same vertices as PROJ's +proj=aeqd."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod, Transformer

from gisplan.sites import QUAD_SEGS, _corridor, _disc

GEOD = Geod(ellps="GRS80")


def _proj_aeqd(lon: float, lat: float) -> Transformer:
    local = f"+proj=aeqd +lat_0={lat:.9f} +lon_0={lon:.9f} +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"
    return Transformer.from_crs(local, "EPSG:4490", always_xy=True)


@pytest.mark.parametrize("lon,lat,radius", [(129.5, 42.9, 300.0), (87.6, 43.8, 5000.0), (121.47, 31.23, 20.0),
                                            (80.1, 35.4, 49_000.0)])
def test_disc_vertices_are_those_of_proj_aeqd(lon, lat, radius):
    disc = _disc(shapely.Point(lon, lat), radius)
    circle = np.asarray(shapely.Point(0, 0).buffer(radius, quad_segs=QUAD_SEGS).exterior.coords)
    ref = np.column_stack(_proj_aeqd(lon, lat).transform(circle[:, 0], circle[:, 1]))
    assert np.abs(np.asarray(disc.exterior.coords) - ref).max() < 1e-9  # degrees: well under a millimetre
    # every vertex is `radius` from the centre along the ellipsoid (an independent check)
    got = np.asarray(disc.exterior.coords)
    _, _, dist = GEOD.inv(np.full(len(got), lon), np.full(len(got), lat), got[:, 0], got[:, 1])
    assert np.allclose(dist, radius, rtol=1e-9)


def test_corridor_matches_proj_aeqd_pieces():
    line = shapely.LineString([(100.0, 30.0), (100.3, 30.1), (100.9, 30.4), (101.0, 30.9)])
    got = _corridor(line, 80.0)
    # the same corridor built with PROJ transformers, piece by piece
    from gisplan.sites import _chunks

    pieces = []
    for chunk in _chunks(np.asarray(shapely.segmentize(line, 0.001).coords)):
        seg = shapely.LineString(chunk)
        cx, cy = (seg.bounds[0] + seg.bounds[2]) / 2, (seg.bounds[1] + seg.bounds[3]) / 2
        t = _proj_aeqd(cx, cy)
        plane = shapely.transform(seg, lambda xy, t=t: np.column_stack(t.transform(xy[:, 0], xy[:, 1],
                                                                                   direction="INVERSE")))
        buf = plane.buffer(40.0, quad_segs=QUAD_SEGS)
        pieces.append(shapely.transform(buf, lambda xy, t=t: np.column_stack(t.transform(xy[:, 0], xy[:, 1]))))
    ref = shapely.union_all(pieces)
    assert len(pieces) > 1
    area_got, _ = GEOD.geometry_area_perimeter(got)
    area_ref, _ = GEOD.geometry_area_perimeter(ref)
    assert abs(area_got - area_ref) < 1e-6 * abs(area_ref)
    assert shapely.hausdorff_distance(got, ref) < 1e-9
    length = GEOD.geometry_length(line)
    assert abs(abs(area_got) - 80.0 * length) < 0.01 * 80.0 * length  # about width x length
