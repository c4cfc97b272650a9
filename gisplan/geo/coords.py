"""Coordinates as reviewers receive them: angles, GK zones, web-map offsets, legacy datums.

- :func:`parse_angle` reads decimal degrees and DMS text (``125°18'30.5"``,
  ``125°18′30.5″``, ``125度18分30.5秒``, ``125-18-30.5``, packed ``1251830.5``).
- :func:`gk_epsg_for_zone` / :func:`gk_epsg_for_cm` / :func:`zone_of_easting`:
  CGCS2000 Gauss-Kruger EPSG codes from a zone prefix (3-degree zones 25-45,
  6-degree zones 13-23) or a central meridian.
- :func:`parse_source` turns the user's ``--source-crs`` / ``--cm`` /
  ``--towgs84`` into a :class:`SourceSpec`: the CRS the numbers are in, the
  web-map offset to undo (GCJ-02, BD-09) and the 7 datum parameters.
- :func:`transform_to_cgcs2000` applies a spec to shapely geometries.
"""

from __future__ import annotations

import math
import re
import unicodedata
import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Transformer

from .crs import CGCS2000, parse_crs
from ..errors import CRSInputError

__all__ = [
    "WEB_OFFSETS",
    "SourceSpec",
    "parse_angle",
    "gk_epsg_for_zone",
    "gk_epsg_for_cm",
    "zone_of_easting",
    "tm_parameters",
    "parse_towgs84",
    "parse_source",
    "with_towgs84",
    "is_legacy_datum",
    "transform_to_cgcs2000",
    "web_offset_m",
]

#: ``--source-crs`` keywords for web-map coordinates and the offset they name.
WEB_OFFSETS = {
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "gcj": "gcj02",
    "amap": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
    "bd09ll": "bd09",
    "baidu": "bd09",
}
_WEB_NAMES = {"gcj02": "GCJ-02 (AMap/Tencent)", "bd09": "BD-09 (Baidu)"}
_LEGACY = ("beijing 1954", "xian 1980")
_LONLAT_DATUMS = ("china 2000", "world geodetic system 1984")
_DMS_SPLIT = re.compile(r"[°º˚度:：'′’‘分\"″”“秒\s]+|(?<=\d)-(?=\d)")
_HEMI = re.compile(r"^(?:东经|北纬|[EN])|(?:[EN])$", re.IGNORECASE)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


# --------------------------------------------------------------------------- angles


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text)).strip()
    return text.replace(",", "").replace("\u00a0", " ")


def parse_number(value) -> float | None:
    """A plain number from a cell (int, float or text like ``42 512 345.678``), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    text = _clean(value).replace(" ", "")
    return float(text) if _NUMBER.match(text) else None


def parse_angle(value, *, packed: bool = False) -> float | None:
    """Read an angle in degrees from decimal degrees or a DMS text.

    Parameters
    ----------
    value : str or float
        ``125.3085``, ``125°18'30.5"``, ``125°18′30.5″``, ``125度18分30.5秒``,
        ``125-18-30.5``, ``125:18:30.5``, ``E125°18'30.5"``, or, with ``packed``,
        ``1251830.5`` (DDDMMSS.s) / ``431830.5`` (DDMMSS.s).
    packed : bool
        Accept packed DDDMMSS.s numbers (only for columns known to hold angles).

    Returns
    -------
    float or None
        Decimal degrees, or None when ``value`` is not an angle in any of these forms
        (minutes or seconds of 60 and more count as not an angle).

    Examples
    --------
    >>> round(parse_angle("125°18'30.5\\""), 8)
    125.30847222
    >>> round(parse_angle("125-18-30.5"), 8), round(parse_angle(1251830.5, packed=True), 8)
    (125.30847222, 125.30847222)
    """
    number = parse_number(value)
    if number is not None:
        if packed and abs(number) >= 1000:
            return _unpack_dms(number)
        return number
    text = _clean(value)
    sign = -1.0 if text.startswith("-") else 1.0
    text = text.lstrip("+-").strip()
    text = _HEMI.sub("", text).strip()
    pieces = [p for p in _DMS_SPLIT.split(text) if p]
    if not 1 <= len(pieces) <= 3 or not all(_NUMBER.match(p) for p in pieces):
        return None
    nums = [float(p) for p in pieces]
    if any(n < 0 for n in nums) or any(n >= 60 for n in nums[1:]):
        return None
    deg = nums[0] + (nums[1] / 60 if len(nums) > 1 else 0) + (nums[2] / 3600 if len(nums) > 2 else 0)
    return sign * deg


def _unpack_dms(number: float) -> float | None:
    sign = -1.0 if number < 0 else 1.0
    n = abs(number)
    whole = int(n)
    frac = n - whole
    if not 100000 <= whole <= 1800000:
        return None
    deg, rest = divmod(whole, 10000)
    minutes, seconds = divmod(rest, 100)
    seconds += frac
    if minutes >= 60 or seconds >= 60:
        return None
    return sign * (deg + minutes / 60 + seconds / 3600)


# --------------------------------------------------------------------------- GK zones


def gk_epsg_for_zone(zone: int) -> int:
    """EPSG code of the CGCS2000 GK CRS with zone prefix ``zone``.

    3-degree zones 25-45 are EPSG:4513-4533, 6-degree zones 13-23 EPSG:4491-4501.

    Raises
    ------
    CRSInputError
        For any other zone number.
    """
    if 25 <= zone <= 45:
        return 4513 + zone - 25
    if 13 <= zone <= 23:
        return 4491 + zone - 13
    raise CRSInputError(f"zone {zone} is not a Gauss-Kruger zone of China (13-23 or 25-45)")


def gk_epsg_for_cm(cm: float) -> int:
    """EPSG code of the CGCS2000 3-degree GK CRS without prefix for central meridian ``cm``.

    Raises
    ------
    CRSInputError
        Unless ``cm`` is one of 75, 78, ..., 135.
    """
    try:
        value = float(cm)
    except (TypeError, ValueError):
        value = float("nan")
    if not math.isfinite(value) or value != round(value) or int(value) % 3 or not 75 <= value <= 135:
        raise CRSInputError(
            f"`cm` {cm}: a 3-degree central meridian in China is one of 75, 78, ..., 135"
        )
    return 4534 + (int(value) - 75) // 3


def zone_of_easting(easting: float) -> int | None:
    """The zone prefix of a GK easting (``42512345.678`` -> 42), or None without one."""
    if not math.isfinite(easting) or easting < 1.2e7 or easting >= 4.6e7:
        return None
    zone = int(easting // 1_000_000)
    if (13 <= zone <= 23) or (25 <= zone <= 45):
        return zone
    return None


def tm_parameters(crs: CRS) -> tuple[float, float, int] | None:
    """(central meridian, false easting, zone width in degrees) of a Transverse Mercator CRS."""
    op = crs.coordinate_operation if crs.is_projected else None
    if op is None or "transverse mercator" not in (op.method_name or "").lower():
        return None
    params = {p.name.lower(): p.value for p in op.params}
    cm = params.get("longitude of natural origin")
    fe = params.get("false easting")
    if cm is None or fe is None:
        return None
    width = 6 if "gauss-kruger zone" in crs.name.lower() and "3-degree" not in crs.name.lower() else 3
    return float(cm), float(fe), width


# --------------------------------------------------------------------------- datums


def _datum(crs: CRS) -> str:
    base = crs.geodetic_crs or crs
    return (base.datum.name if base.datum is not None else "").lower()


def is_legacy_datum(crs: CRS) -> bool:
    """True for Beijing 1954 and Xian 1980 based CRSs."""
    return any(d in _datum(crs) for d in _LEGACY)


def is_lonlat_cgcs_like(crs: CRS) -> bool:
    """A geographic CRS on CGCS2000 or WGS84 (the same for screening)."""
    return crs.is_geographic and any(d in _datum(crs) for d in _LONLAT_DATUMS)


def parse_towgs84(text) -> tuple[float, ...]:
    """Parse ``dx,dy,dz,rx,ry,rz,s`` (metres, arc-seconds, ppm) or ``dx,dy,dz``.

    Raises
    ------
    CRSInputError
        Unless there are 3 or 7 finite numbers.
    """
    if isinstance(text, (list, tuple)):
        pieces = list(text)
    else:
        pieces = [p for p in re.split(r"[,\s;，]+", _clean_keep_commas(str(text))) if p]
    try:
        values = tuple(float(p) for p in pieces)
    except (TypeError, ValueError):
        values = ()
    if len(values) not in (3, 7) or not all(math.isfinite(v) for v in values):
        raise CRSInputError(
            f"`towgs84` {text!r}: give 7 numbers dx,dy,dz,rx,ry,rz,s "
            "(metres, arc-seconds, ppm; Bursa-Wolf, position vector) or 3 numbers dx,dy,dz"
        )
    return values


def _clean_keep_commas(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def with_towgs84(crs: CRS, params: tuple[float, ...]) -> CRS:
    """``crs`` with a +towgs84 Bursa-Wolf transformation to WGS84 (≈ CGCS2000) bound to it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        proj = crs.to_proj4()
    if not proj:
        raise CRSInputError(f"cannot attach `towgs84` to {crs.name}")
    proj = re.sub(r"\s*\+(towgs84|nadgrids|type)=\S*", "", proj)
    values = ",".join(f"{v:.10g}" for v in params)
    return CRS.from_proj4(f"{proj} +towgs84={values} +type=crs")


# --------------------------------------------------------------------------- the spec


@dataclass(frozen=True)
class SourceSpec:
    """What the user said about the site's coordinates.

    Attributes
    ----------
    crs : pyproj.CRS or None
        The CRS the numbers are in (before undoing a web offset); None when
        nothing was given about it (the file or the zone prefix decides).
    label : str
        ``EPSG:4530``, ``GCJ-02 (AMap/Tencent)``, ... for messages.
    given : str
        How it was given (``--source-crs EPSG:4530``, ``--cm 126`` ...), or "".
    web : str or None
        ``"gcj02"`` or ``"bd09"`` when the coordinates carry that offset.
    towgs84 : tuple of float or None
        The user's 7 (or 3) Bursa-Wolf parameters.
    cm : int or None
        The central meridian given with ``--cm``.
    """

    crs: CRS | None
    label: str
    given: str
    web: str | None = None
    towgs84: tuple[float, ...] | None = None
    cm: int | None = None

    @property
    def empty(self) -> bool:
        return self.crs is None and self.web is None and self.towgs84 is None


def parse_source(
    source_crs: str | None = None, *, cm=None, towgs84=None
) -> SourceSpec:
    """Turn ``--source-crs``, ``--cm`` and ``--towgs84`` into a :class:`SourceSpec`.

    Parameters
    ----------
    source_crs : str, optional
        EPSG code, WKT, PROJ string, or ``gcj02`` / ``bd09`` (also ``amap``, ``baidu``).
    cm : int, optional
        Central meridian of a 3-degree GK zone without prefix (CGCS2000,
        EPSG:4534-4554), e.g. 126.
    towgs84 : str or sequence of float, optional
        ``dx,dy,dz,rx,ry,rz,s`` for a legacy datum (Xian 1980, Beijing 1954).

    Raises
    ------
    CRSInputError
        Unknown CRS, bad ``--cm`` or ``--towgs84``, or contradicting options.
    """
    params = parse_towgs84(towgs84) if towgs84 not in (None, "") else None
    web = None
    crs = None
    label = given = ""
    if source_crs not in (None, ""):
        key = str(source_crs).strip().lower().replace("_", "")
        if key in WEB_OFFSETS:
            web = WEB_OFFSETS[key]
            crs = parse_crs(CGCS2000)
            label = _WEB_NAMES[web]
            given = f"`source_crs` {source_crs}"
        else:
            crs = parse_crs(source_crs)
            label = _label(crs)
            given = f"`source_crs` {label}"
    cm_value = None
    if cm not in (None, ""):
        epsg = gk_epsg_for_cm(cm)
        cm_value = int(float(cm))
        cm_crs = parse_crs(f"EPSG:{epsg}")
        if web is not None:
            raise CRSInputError(f"`cm` {cm} (GK metres) contradicts `source_crs` {source_crs} (lon/lat)")
        if crs is not None:
            tm = tm_parameters(crs)
            if tm is None or abs(tm[0] - cm_value) > 1e-9:
                raise CRSInputError(
                    f"`cm` {cm} contradicts `source_crs` {label} "
                    f"(central meridian {tm[0]:g}E)" if tm else
                    f"`cm` {cm} contradicts `source_crs` {label} (not Gauss-Kruger)"
                )
        else:
            crs, label, given = cm_crs, f"EPSG:{epsg}", f"`cm` {cm_value}"
    if params is not None:
        if web is not None:
            raise CRSInputError("`towgs84` applies to a legacy datum, not to GCJ-02/BD-09 lon/lat")
        if crs is not None and not is_legacy_datum(crs) and _is_cgcs_or_wgs(crs):
            raise CRSInputError(
                f"`towgs84` applies to a legacy datum (Xian 1980, Beijing 1954); "
                f"{label} is already CGCS2000/WGS84"
            )
    return SourceSpec(crs=crs, label=label, given=given, web=web, towgs84=params, cm=cm_value)


def _is_cgcs_or_wgs(crs: CRS) -> bool:
    return any(d in _datum(crs) for d in _LONLAT_DATUMS)


def _label(crs: CRS) -> str:
    epsg = crs.to_epsg(min_confidence=70)
    return f"EPSG:{epsg}" if epsg else crs.name


# --------------------------------------------------------------------------- transforms


@lru_cache(maxsize=32)
def _transformer(src_wkt: str, dst: str) -> Transformer:
    return Transformer.from_crs(CRS.from_wkt(src_wkt), parse_crs(dst), always_xy=True)


def transform_to_cgcs2000(geoms, crs: CRS, *, towgs84: bool = False, web: str | None = None):
    """Transform shapely geometries from ``crs`` to CGCS2000 lon/lat (EPSG:4490).

    Parameters
    ----------
    geoms : shapely geometry or array of them
    crs : pyproj.CRS
        The CRS of the coordinates.
    towgs84 : bool
        ``crs`` carries a +towgs84 the user gave: go through WGS84 (PROJ ignores
        +towgs84 towards EPSG:4490; WGS84 and CGCS2000 differ by centimetres).
    web : {"gcj02", "bd09"}, optional
        Then undo that web-map offset (``crs`` must be lon/lat).
    """
    from . import chinacoords

    out = geoms
    if not is_lonlat_cgcs_like(crs) or towgs84:
        dst = "EPSG:4326" if towgs84 else CGCS2000
        t = _transformer(crs.to_wkt(), dst)
        out = shapely.transform(out, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
    if web is not None:
        inverse = chinacoords.cgcs2000_from_gcj02 if web == "gcj02" else chinacoords.cgcs2000_from_bd09
        out = shapely.transform(out, lambda xy: np.column_stack(inverse(xy[:, 0], xy[:, 1])))
    return out


def web_offset_m(lon: float, lat: float, web: str) -> float:
    """Distance (m) between a CGCS2000 point and the same point in ``web`` coordinates."""
    from . import chinacoords
    from .crs import GEOD

    forward = chinacoords.gcj02_from_cgcs2000 if web == "gcj02" else chinacoords.bd09_from_cgcs2000
    flon, flat = forward(lon, lat)
    return float(GEOD.inv(lon, lat, flon, flat)[2])
