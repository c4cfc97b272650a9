"""A screening result as JSON and back: the ``record`` section of ``ScreeningResult.to_dict(full=True)``.

The JSON report (:func:`gisplan.report.result_to_dict`) holds a screening's
figures; the ``record`` section adds what reports and maps are drawn from
besides them (:func:`record_of`), and :func:`result_from_dict` builds a
:class:`~gisplan.result.ScreeningResult` from both, so that every report of the
read-back result equals the original's. The map context and the county outline
are not kept: :func:`gisplan.screening.read_result` reads them from the store the
screening read. (This module imports no class of :mod:`gisplan.result`: they
are passed in, so the two import nothing of each other at module level or in a cycle.)
"""

from __future__ import annotations

__all__ = ["RECORD_VERSION", "record_of", "result_from_dict"]

#: Version of the ``record`` section written by ``to_dict(full=True)``.
RECORD_VERSION = 1


def _wkb_all(geometries: list) -> list:
    """Geometries as base64 WKB text (exact: every coordinate bit kept; one GEOS call for all), None for none."""
    if not geometries:
        return []
    import base64

    import numpy as np
    import shapely

    blobs = shapely.to_wkb(np.asarray(geometries + [None], dtype=object))[:-1]  # the None keeps a 1-d array
    return [None if b is None else base64.b64encode(b).decode("ascii") for b in blobs]


def _from_wkb(text):
    if text is None:
        return None
    import base64

    import shapely

    return shapely.from_wkb(base64.b64decode(text))


def record_of(result) -> dict:
    """The ``record`` section of ``to_dict(full=True)``: what the JSON report leaves out and reports are drawn from.

    ``version`` (:data:`RECORD_VERSION`), ``site`` (as read: name, path,
    format, source CRS and its note, warnings, details and ``geometry``),
    ``footprint``, the table rows in full (``rows``: with feature ids, codes,
    protected-area types, the redline's part outside zones of their own law),
    the overlap geometries (``geometries``: ``pieces``, ``elements``, one per
    row), ``crossings`` and ``rasters``. Geometries are WKB (base64 text) in
    CGCS2000 lon/lat, exact to the bit. Not kept: the map context and the county outline
    (read from the store the screening read).
    """
    from .report import clean

    site = result.site
    pieces, elements = list(result.piece_geoms), list(result.element_geoms)
    site_wkb, footprint_wkb, *rest = _wkb_all([getattr(site, "geometry", None), result.footprint, *pieces, *elements])
    return clean({
        "version": RECORD_VERSION,
        "site": {"name": getattr(site, "name", None), "path": getattr(site, "path", ""),
                 "format": getattr(site, "format", ""), "source_crs": getattr(site, "source_crs", ""),
                 "crs_note": getattr(site, "crs_note", ""), "warnings": list(getattr(site, "warnings", []) or []),
                 "details": list(getattr(site, "details", []) or []),
                 "geometry": site_wkb},
        "footprint": footprint_wkb,
        "rows": {"control_units": list(result.unit_rows), "hits": list(result.hit_rows),
                 "nearby": list(result.nearby_rows), "pieces": list(result.piece_rows),
                 "elements": list(result.element_rows), "element_nearby": list(result.element_nearby_rows)},
        "geometries": {"pieces": rest[:len(pieces)], "elements": rest[len(pieces):]},
        "crossings": list(result.crossings),
        "rasters": list(result.rasters),
    })


def result_from_dict(cls, verdict_cls, data):
    from .errors import InputError

    try:
        return _build(cls, verdict_cls, data)
    except InputError:
        raise
    except Exception as exc:  # a damaged record: wrong types, bad base64, bad WKB
        raise InputError(f"the JSON of this screening is damaged ({type(exc).__name__}: "
                         f"{' '.join(str(exc).split())[:200]})") from None


def _build(cls, verdict_cls, data):
    from .errors import InputError
    from .sites import Site

    if not isinstance(data, dict) or not isinstance(data.get("project"), dict) or not isinstance(data.get("verdict"),
                                                                                              dict):
        raise InputError("not a screening's JSON report (no project and verdict)")
    record = data.get("record") or {}
    if not isinstance(record, dict):
        raise InputError("the record section of this screening's JSON is damaged (not an object)")
    if record and not isinstance(record.get("version"), int):
        raise InputError("the record section of this screening's JSON is damaged (no version)")
    if record and record["version"] > RECORD_VERSION:
        raise InputError(f"the record of this screening is of a newer gisplan (version {record.get('version')}); "
                         "read it with that version")
    project = dict(data["project"])
    s = record.get("site") or {}
    site = Site(geometry=_from_wkb(s.get("geometry")), name=s.get("name", project.get("site_name")),
                path=s.get("path", project.get("source") or ""), format=s.get("format", project.get("format") or ""),
                source_crs=s.get("source_crs", project.get("source_crs") or ""),
                crs_note=s.get("crs_note", project.get("crs_note") or ""), warnings=list(s.get("warnings") or []),
                details=list(s.get("details") or []))
    rows = record.get("rows")
    geoms = record.get("geometries") or {}
    elements = data.get("element_zones") or {}
    if rows is None:  # the JSON report alone: its tables as they are
        rows = {"control_units": data.get("control_units") or [], "hits": data.get("hits") or [],
                "nearby": data.get("nearby") or [], "pieces": [], "elements": elements.get("hits") or [],
                "element_nearby": elements.get("nearby") or []}
    result = cls(
        site=site, footprint=_from_wkb(record.get("footprint")), parameters=dict(data.get("parameters") or {}),
        project=project, verdict=verdict_cls.from_dict(data["verdict"]), warnings=list(data.get("warnings") or []),
        store=dict(data.get("store") or {}), generated_at=data.get("generated_at") or "",
        crossings=list(record.get("crossings", data.get("crossings")) or []),
        coverage=dict(data.get("coverage") or {}), rasters=list(record.get("rasters", data.get("rasters")) or []),
        unit_rows=[dict(r) for r in rows.get("control_units") or []], hit_rows=[dict(r) for r in rows.get("hits") or []],
        nearby_rows=[dict(r) for r in rows.get("nearby") or []], piece_rows=[dict(r) for r in rows.get("pieces") or []],
        piece_geoms=[_from_wkb(g) for g in geoms.get("pieces") or []],
        element_rows=[dict(r) for r in rows.get("elements") or []],
        element_geoms=[_from_wkb(g) for g in geoms.get("elements") or []],
        element_nearby_rows=[dict(r) for r in rows.get("element_nearby") or []],
        recorded={"three_lines": data["three_lines"]} if isinstance(data.get("three_lines"), list) else {},
    )
    return result
