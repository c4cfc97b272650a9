"""Whether a site lies inside the store's data: the coverage rule, written once.

A site's area outside the store's control units is where gisplan has no data
(a ``review`` finding; wholly outside: no verdict at all). Single screenings
(:mod:`gisplan.engine.single`) and batches (:mod:`gisplan.batch`) both take
it from :func:`outside_coverage`, the part outside the urban development
boundary from :func:`outside_urban_boundary`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["outside_coverage", "outside_urban_boundary", "coverage_of", "extent_label", "OUTSIDE_LABEL"]

#: ``verdict.overall_label`` of a site wholly outside the store's data (``overall`` stays ``review``).
OUTSIDE_LABEL = "数据范围外，不作判定"
#: Counties named one by one in :func:`extent_label`; more are summed up.
_EXTENT_NAMES = 12


def outside_coverage(area_m2, covered_m2):
    """Site area outside the control units; below max(1 m², 1e-7 of the site) it is 0 (rounding).

    Parameters
    ----------
    area_m2, covered_m2 : float or ndarray
        The site's area and the part of it inside the control units (m², ellipsoidal).

    Returns
    -------
    float or ndarray
        A float for floats, an array (one value per site) for arrays.

    Examples
    --------
    >>> outside_coverage(1e6, 1e6 - 0.5), outside_coverage(1e6, 4e5)
    (0.0, 600000.0)
    """
    area = np.asarray(area_m2, dtype=float)
    outside = np.clip(area - np.asarray(covered_m2, dtype=float), 0.0, None)
    outside = np.where(outside < np.maximum(1.0, 1e-7 * area), 0.0, outside)
    return float(outside) if outside.ndim == 0 else outside


def outside_urban_boundary(area_m2, outside_units_m2, urban_m2):
    """Site area outside every urban-boundary feature, judged only where the store has data.

    The part outside the control units (``outside_units_m2``; pass 0 for a store
    without them) is not counted: there the store says nothing. Rounded as
    :func:`outside_coverage`.

    Examples
    --------
    >>> outside_urban_boundary(100.0, 40.0, 20.0)
    40.0
    """
    known = np.asarray(area_m2, dtype=float) - np.asarray(outside_units_m2, dtype=float)
    return outside_coverage(known, urban_m2)


def extent_label(unit_rows) -> str:
    """The area a store covers, in words, from its control units' counties.

    Counties are ordered by their units' codes (the administrative code inside
    them), so the words are the same for every screening of a store.

    Examples
    --------
    >>> extent_label([{"code": "ZH22240120001", "county": "图们市"}, {"code": "ZH22240110001", "county": "延吉市"}])
    '延吉市、图们市'
    >>> extent_label([{"code": "ZH1", "county": None}])
    '库内环境管控单元范围'
    """
    first: dict[str, str] = {}
    for r in unit_rows:
        county = r.get("county")
        if isinstance(county, str) and county.strip():
            code = str(r.get("code") or "")
            if county not in first or code < first[county]:
                first[county] = code
    names = sorted(first, key=lambda c: (first[c], c))
    if not names:
        return "库内环境管控单元范围"
    if len(names) > _EXTENT_NAMES:
        return f"{'、'.join(names[:3])}等 {len(names)} 个县级行政区"
    return "、".join(names)


def coverage_of(area_m2: float, outside_m2: float, has_units: bool, extent: str) -> dict:
    """The JSON ``coverage`` object: whether the site lies inside the store's data.

    ``status`` is ``inside``, ``partial`` (some of the site outside the control
    units), ``outside`` (none of it inside: no verdict is given) or ``unknown``
    (the store has no control units, so its extent is not known).

    Examples
    --------
    >>> coverage_of(100.0, 0.0, True, "延吉市")["status"], coverage_of(100.0, 100.0, True, "延吉市")["status"]
    ('inside', 'outside')
    >>> coverage_of(100.0, 40.0, True, "延吉市")["outside_share"]
    0.4
    """
    if not has_units:
        return {"status": "unknown", "outside_m2": None, "outside_share": None, "extent_label": extent}
    if outside_m2 <= 0:
        status = "inside"
    elif outside_m2 >= area_m2 - max(1.0, 1e-7 * area_m2):
        status = "outside"
    else:
        status = "partial"
    share = outside_m2 / area_m2 if area_m2 else 0.0
    return {"status": status, "outside_m2": float(outside_m2), "outside_share": float(min(share, 1.0)),
            "extent_label": extent}
