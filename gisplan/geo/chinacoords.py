"""Chinese web-map coordinates: GCJ-02 (AMap, Tencent) and BD-09 (Baidu).

Web maps in China publish coordinates offset from CGCS2000 (practically WGS84)
by a few hundred metres, non-linearly. This module implements the well-known
public algorithms:

- **GCJ-02** ("Mars coordinates"): an obfuscating offset computed on the
  Krasovsky ellipsoid (``a = 6378245``, ``ee = 0.00669342162296594323``). The
  published algorithm applies no offset outside the rectangle
  lon 72.004..137.8347, lat 0.8293..55.8271 (:func:`is_outside_china_rect`).
- **BD-09**: Baidu's extra rotation/scaling on top of GCJ-02
  (``x_pi = pi * 3000 / 180``).

The forward directions are closed formulas; the inverses are solved by
fixed-point iteration to better than 1e-7 degree (about a centimetre), far
below the 0.5 m that matters for screening. All functions are vectorised:
they take scalars or array-likes of longitude and latitude in degrees and
return ``(lon, lat)`` as floats (for scalar input) or numpy arrays.

CGCS2000 and WGS84 differ by centimetres; they are treated as the same here.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "KRASOVSKY_A",
    "KRASOVSKY_EE",
    "X_PI",
    "is_outside_china_rect",
    "gcj02_from_cgcs2000",
    "cgcs2000_from_gcj02",
    "bd09_from_gcj02",
    "gcj02_from_bd09",
    "bd09_from_cgcs2000",
    "cgcs2000_from_bd09",
]

#: Semi-major axis (m) of the Krasovsky 1940 ellipsoid used by GCJ-02.
KRASOVSKY_A = 6378245.0
#: First eccentricity squared of the Krasovsky ellipsoid as used by GCJ-02.
KRASOVSKY_EE = 0.00669342162296594323
#: BD-09 constant.
X_PI = np.pi * 3000.0 / 180.0

_RECT = (72.004, 137.8347, 0.8293, 55.8271)  # lon min, lon max, lat min, lat max
_TOL_DEG = 1e-9
_MAX_ITER = 30


def _as_arrays(lon, lat) -> tuple[np.ndarray, np.ndarray, bool]:
    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    scalar = lon_a.ndim == 0 and lat_a.ndim == 0
    lon_a, lat_a = np.broadcast_arrays(lon_a, lat_a)
    return lon_a.astype(float, copy=True), lat_a.astype(float, copy=True), scalar


def _out(lon: np.ndarray, lat: np.ndarray, scalar: bool):
    if scalar:
        return float(lon), float(lat)
    return lon, lat


def is_outside_china_rect(lon, lat):
    """Whether points lie outside the rectangle where GCJ-02 applies an offset.

    Parameters
    ----------
    lon, lat : float or array_like
        Longitude and latitude in degrees.

    Returns
    -------
    bool or numpy.ndarray of bool
        True where the published GCJ-02 algorithm leaves coordinates unchanged.
        The rectangle also covers neighbouring countries (North Korea, parts of
        Russia, Mongolia ...): it is the algorithm's domain, not a border test.

    Examples
    --------
    >>> is_outside_china_rect(129.5, 42.9)
    False
    >>> is_outside_china_rect(2.35, 48.85)
    True
    """
    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    out = (lon_a < _RECT[0]) | (lon_a > _RECT[1]) | (lat_a < _RECT[2]) | (lat_a > _RECT[3])
    return bool(out) if np.ndim(out) == 0 else out


def _transform_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _gcj_delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 offset (dlon, dlat) in degrees at CGCS2000 point (lon, lat); 0 outside."""
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - KRASOVSKY_EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (KRASOVSKY_A / sqrtmagic * np.cos(radlat) * np.pi)
    outside = np.asarray(is_outside_china_rect(lon, lat))
    dlon = np.where(outside, 0.0, dlon)
    dlat = np.where(outside, 0.0, dlat)
    return dlon, dlat


def gcj02_from_cgcs2000(lon, lat):
    """Convert CGCS2000 (≈ WGS84) longitude/latitude to GCJ-02.

    Parameters
    ----------
    lon, lat : float or array_like
        CGCS2000 longitude and latitude in degrees.

    Returns
    -------
    (lon, lat) : tuple of float or numpy.ndarray
        GCJ-02 coordinates; unchanged outside the GCJ-02 rectangle and for NaN.

    Examples
    --------
    >>> lon, lat = gcj02_from_cgcs2000(116.397, 39.909)
    >>> round(lon, 6), round(lat, 6)
    (116.403244, 39.910403)
    """
    x, y, scalar = _as_arrays(lon, lat)
    dlon, dlat = _gcj_delta(x, y)
    return _out(x + dlon, y + dlat, scalar)


def cgcs2000_from_gcj02(lon, lat):
    """Convert GCJ-02 longitude/latitude back to CGCS2000.

    Solved by fixed-point iteration ``p = g - delta(p)`` until the change is
    below 1e-9 degree (at most 30 iterations; it converges in a handful),
    so the result reproduces the GCJ-02 input to well under a centimetre.

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 longitude and latitude in degrees.

    Returns
    -------
    (lon, lat) : tuple of float or numpy.ndarray
        CGCS2000 coordinates.
    """
    gx, gy, scalar = _as_arrays(lon, lat)
    x, y = gx.copy(), gy.copy()
    for _ in range(_MAX_ITER):
        dlon, dlat = _gcj_delta(x, y)
        nx, ny = gx - dlon, gy - dlat
        step = np.nanmax(np.abs(np.concatenate([(nx - x).ravel(), (ny - y).ravel()])), initial=0.0)
        x, y = nx, ny
        if not step > _TOL_DEG:
            break
    return _out(x, y, scalar)


def bd09_from_gcj02(lon, lat):
    """Convert GCJ-02 longitude/latitude to BD-09 (Baidu).

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 longitude and latitude in degrees.

    Returns
    -------
    (lon, lat) : tuple of float or numpy.ndarray
        BD-09 coordinates.
    """
    x, y, scalar = _as_arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * X_PI)
    return _out(z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006, scalar)


def _bd_approx_inverse(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x0, y0 = x - 0.0065, y - 0.006
    z = np.sqrt(x0 * x0 + y0 * y0) - 0.00002 * np.sin(y0 * X_PI)
    theta = np.arctan2(y0, x0) - 0.000003 * np.cos(x0 * X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def gcj02_from_bd09(lon, lat):
    """Convert BD-09 (Baidu) longitude/latitude to GCJ-02.

    Starts from the usual closed-form approximate inverse and refines it by
    fixed-point iteration on :func:`bd09_from_gcj02` to below 1e-9 degree.

    Parameters
    ----------
    lon, lat : float or array_like
        BD-09 longitude and latitude in degrees.

    Returns
    -------
    (lon, lat) : tuple of float or numpy.ndarray
        GCJ-02 coordinates.
    """
    bx, by, scalar = _as_arrays(lon, lat)
    x, y = _bd_approx_inverse(bx, by)
    for _ in range(_MAX_ITER):
        fx, fy = bd09_from_gcj02(x, y)
        fx, fy = np.asarray(fx), np.asarray(fy)
        dx, dy = bx - fx, by - fy
        x, y = x + dx, y + dy
        step = np.nanmax(np.abs(np.concatenate([dx.ravel(), dy.ravel()])), initial=0.0)
        if not step > _TOL_DEG:
            break
    return _out(x, y, scalar)


def bd09_from_cgcs2000(lon, lat):
    """Convert CGCS2000 (≈ WGS84) longitude/latitude to BD-09 (via GCJ-02).

    Parameters
    ----------
    lon, lat : float or array_like
        CGCS2000 longitude and latitude in degrees.

    Returns
    -------
    (lon, lat) : tuple of float or numpy.ndarray
        BD-09 coordinates.
    """
    return bd09_from_gcj02(*gcj02_from_cgcs2000(lon, lat))


def cgcs2000_from_bd09(lon, lat):
    """Convert BD-09 (Baidu) longitude/latitude to CGCS2000 (via GCJ-02).

    Parameters
    ----------
    lon, lat : float or array_like
        BD-09 longitude and latitude in degrees.

    Returns
    -------
    (lon, lat) : tuple of float or numpy.ndarray
        CGCS2000 coordinates.
    """
    return cgcs2000_from_gcj02(*gcj02_from_bd09(lon, lat))
