"""gisplan's own PROJ pipelines (CGCS2000 lon/lat, the equal-area plane, the GK zones) are PROJ's own."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from pyproj import CRS, Transformer

from gisplan.geo.crs import CGCS2000, EQUAL_AREA, transformer

GK_ZONES = [f"EPSG:{code}" for code in range(4534, 4555)]
OWN = [CGCS2000, EQUAL_AREA, *GK_ZONES]


def _database(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(CRS.from_user_input(src), CRS.from_user_input(dst), always_xy=True)


@pytest.mark.parametrize("src,dst", [p for p in itertools.permutations(OWN, 2)
                                     if CGCS2000 in p or EQUAL_AREA in p])
def test_written_pipeline_is_the_database_pipeline(src, dst):
    """The pipeline text PROJ's database gives and the same coordinates, to the last bit."""
    ours, theirs = transformer(src, dst), _database(src, dst)
    assert ours.definition == theirs.definition
    rng = np.random.default_rng(len(src) + len(dst))
    lon, lat = rng.uniform(73.5, 135.0, 500), rng.uniform(18.0, 53.5, 500)
    if src != CGCS2000:  # start from points of the source plane
        lon, lat = _database(CGCS2000, src).transform(lon, lat)
    a, b = ours.transform(lon, lat), theirs.transform(lon, lat)
    assert np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)


def test_other_systems_still_go_through_the_database():
    t = transformer("EPSG:4326", "EPSG:3857")
    assert t.definition == _database("EPSG:4326", "EPSG:3857").definition
    assert transformer("EPSG:4534", "EPSG:4535").definition == _database("EPSG:4534", "EPSG:4535").definition
