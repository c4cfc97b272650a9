"""What a screening found, as typed data: :class:`ScreeningResult`, :class:`Verdict`, :class:`Finding`.

A leaf of the package: it imports no engine and no renderer at module level
(the ``to_*`` methods load their renderer when called). A Python attribute
and the JSON key of the same thing share one name (``parameters``, ``store``,
``control_units`` ...); :meth:`ScreeningResult.to_dict` builds the JSON from
the fields. The tables (``control_units``, ``hits``, ``nearby``, ``pieces``)
are GeoDataFrames built on first use from plain rows, so a screening that is
only counted or tested never pays for pandas.

A result is plain data: :meth:`ScreeningResult.to_dict` with ``full=True``
adds a ``record`` section (the site and footprint, the overlap geometries, the
table rows in full) and :meth:`ScreeningResult.from_dict` reads it back, so
every report drawn from the read-back result equals the original's. The map
context (whole features around the site) and the county outline are not kept:
they come from the store the screening read (:func:`gisplan.screening.read_result`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Any

__all__ = ["ScreeningResult", "Verdict", "Finding", "UNIT_COLUMNS", "HIT_COLUMNS", "NEARBY_COLUMNS",
           "PIECE_COLUMNS", "CATEGORIES"]

CATEGORIES = ("priority", "key", "general")
UNIT_COLUMNS = ["feature_id", "code", "name", "category", "category_label", "county", "overlap_m2",
                "overlap_gk_m2", "share_of_project"]
HIT_COLUMNS = ["kind", "feature_id", "name", "zone", "zone_label", "overlap_m2", "overlap_gk_m2", "share_of_project"]
NEARBY_COLUMNS = ["kind", "feature_id", "name", "zone", "zone_label", "distance_m", "azimuth_deg", "direction",
                  "position", "site_point", "feature_point"]
PIECE_COLUMNS = ["kind", "feature_id", "name", "class", "overlap_m2"]
_CGCS2000 = "EPSG:4490"


class _MappingMixin:
    """Read access by key, so code written for the JSON dicts keeps working."""

    def __getitem__(self, key: str):
        try:
            return getattr(self, key)
        except AttributeError:
            extra = getattr(self, "extra", None) or {}
            if key in extra:
                return extra[key]
            raise KeyError(key) from None

    def get(self, key: str, default=None):
        try:
            value = self[key]
        except KeyError:
            return default
        return default if value is None else value

    def __contains__(self, key: str) -> bool:
        try:
            return self[key] is not None
        except KeyError:
            return False

    def keys(self):
        return self.to_dict().keys()

    def items(self):
        return self.to_dict().items()


@dataclass
class Finding(_MappingMixin):
    """One rule or clause weighed for the site: its decision and what it rests on.

    ``kind`` is the layer kind (``eco_redline`` ...), ``access_list`` or
    ``coverage``/``store``; ``decision`` one of prohibited, restricted, review,
    allowed, not_applicable. Keys a rule file adds beyond these fields (e.g.
    ``follow_up`` of a prohibited or restricted finding) are kept in ``extra``
    and written to the JSON as they are.
    """

    id: str
    kind: str
    decision: str
    name: str = ""
    zone: str = ""
    zone_label: str = ""
    rule: str = ""
    rule_en: str | None = None
    citation: str = ""
    source: str = ""
    article: str = ""
    tier: str = ""
    dimension: str = ""
    dimension_label: str = ""
    units: list | None = None
    reason: str | None = None
    demo: bool | None = None
    verified: bool | None = None
    quote: str | None = None
    overlap_m2: float | None = None
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict) -> Finding:
        """A finding from the verdict module's dict (unknown keys go to ``extra``)."""
        names = _FINDING_FIELDS
        known = {k: v for k, v in data.items() if k in names}
        known.setdefault("id", "")
        known.setdefault("kind", "")
        known.setdefault("decision", "review")
        return cls(**known, extra={k: v for k, v in data.items() if k not in names})

    def to_dict(self) -> dict:
        """The finding as JSON data (fields left as None are left out)."""
        out = {}
        for name in _FINDING_ORDER:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        out.update(self.extra)
        return out


_FINDING_ORDER = tuple(f.name for f in fields(Finding) if f.name != "extra")
_FINDING_FIELDS = frozenset(_FINDING_ORDER)


@dataclass
class Verdict(_MappingMixin):
    """The verdict of one screening: the strictest finding decides (see :mod:`gisplan.verdict`)."""

    overall: str
    overall_label: str
    industry: dict | None
    findings: list[Finding]
    features: list[dict]
    deciding: list[str]
    counts: dict
    rules: dict
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict) -> Verdict:
        """A verdict from the verdict module's dict."""
        names = {f.name for f in fields(cls)} - {"extra"}
        known = {k: data.get(k) for k in names}
        known["findings"] = [f if isinstance(f, Finding) else Finding.from_dict(f) for f in data.get("findings") or []]
        known["features"] = list(data.get("features") or [])
        known["deciding"] = list(data.get("deciding") or [])
        known["counts"] = dict(data.get("counts") or {})
        known["rules"] = dict(data.get("rules") or {})
        known["overall_label"] = known["overall_label"] or ""
        # ``groups`` is derived from the findings (written again by to_dict), never kept as data
        return cls(**known, extra={k: v for k, v in data.items() if k not in names and k != "groups"})

    @property
    def groups(self) -> list[dict]:
        """The findings grouped by statutory zone and access-list dimension (:func:`gisplan.finding_groups.group_findings`)."""
        from .finding_groups import group_findings

        return group_findings(self.findings)

    def to_dict(self) -> dict:
        """The verdict as JSON data (with ``groups``: the findings grouped as every report shows them)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        out["findings"] = [f.to_dict() for f in self.findings]
        out.update(self.extra)
        out["groups"] = self.groups
        return out


@dataclass
class ScreeningResult:
    """What one screening found (rendered by :mod:`gisplan.report` and :mod:`gisplan.render`).

    Attributes
    ----------
    site : Site
        The site as read (geometry in CGCS2000 lon/lat).
    footprint : shapely geometry
        The screened area in CGCS2000 lon/lat (disc/corridor for points/lines).
    parameters : dict
        Radius, width, search buffer, source CRS, industry, national_major.
    project : dict
        Areas (ellipsoidal ``area_m2`` and GK-zone ``area_gk_m2``), coverage, centroid.
    verdict : Verdict
    warnings : list of str
    store : dict
        The store's path and layer versions the screening read.
    generated_at : str
    crossings : list of dict
        Line sites: entry/exit of each zone crossed.
    coverage : dict
        Whether the site lies in the store's data: ``status`` (``inside``,
        ``partial``, ``outside``: no verdict is given, ``unknown``: no control
        units), ``outside_m2``, ``outside_share``, ``extent_label`` (the
        counties the store covers).
    rasters : list of dict
        Per raster of the store: class areas or min/mean/max inside the site
        (see :func:`gisplan.rasters.stats.raster_stats`).
    unit_rows, hit_rows, nearby_rows, piece_rows : list of dict
        The rows behind :attr:`control_units`, :attr:`hits`, :attr:`nearby`, :attr:`pieces`.
    piece_geoms : list
        Overlap geometries (CGCS2000), one per piece row.
    element_rows, element_nearby_rows : list of dict
        Element zones (air / water / soil / resource) the site overlaps, and those
        within the search buffer (``kind``, ``name``, ``code``, ``zone``,
        ``zone_label``, ``overlap_m2`` or ``distance_m`` ...).
    element_geoms : list
        The overlap geometry (CGCS2000) of each element row.
    recorded : dict
        Of a result read back from JSON (:meth:`from_dict`): what is taken as
        the screening wrote it rather than computed again (``three_lines``).
    """

    site: Any
    footprint: Any
    parameters: dict
    project: dict
    verdict: Verdict
    warnings: list[str] = field(default_factory=list)
    store: dict = field(default_factory=dict)
    generated_at: str = ""
    crossings: list = field(default_factory=list)
    coverage: dict = field(default_factory=dict)
    rasters: list = field(default_factory=list)
    unit_rows: list = field(default_factory=list, repr=False)
    hit_rows: list = field(default_factory=list, repr=False)
    nearby_rows: list = field(default_factory=list, repr=False)
    piece_rows: list = field(default_factory=list, repr=False)
    piece_geoms: list = field(default_factory=list, repr=False)
    element_rows: list = field(default_factory=list, repr=False)
    element_geoms: list = field(default_factory=list, repr=False)
    element_nearby_rows: list = field(default_factory=list, repr=False)
    map_context: dict | None = field(default=None, repr=False)
    county_outline: Any = field(default=None, repr=False)
    recorded: dict = field(default_factory=dict, repr=False)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    # -- tables (built on first use) --------------------------------------------------
    def _frame(self, key: str, rows: list, columns: list[str], geoms=None, sort: str | None = None):
        if key not in self._cache:
            import geopandas as gpd
            import pandas as pd

            frame = pd.DataFrame(rows, columns=columns)
            geometry = list(geoms) if geoms is not None else [None] * len(frame)
            frame = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, index=frame.index, crs=_CGCS2000),
                                     crs=_CGCS2000)
            self._cache[key] = frame
        return self._cache[key]

    def _piece_geometry(self, rows: list, kinds: tuple[str, ...] | None) -> list:
        by_key = {(r["kind"], int(r["feature_id"])): g for r, g in zip(self.piece_rows, self.piece_geoms)}
        return [by_key.get((r.get("kind", "control_units"), int(r["feature_id"])))
                if r.get("feature_id") is not None else None for r in rows]

    @property
    def control_units(self):
        """Control units the site overlaps (GeoDataFrame; geometry: the overlap, CGCS2000)."""
        rows = [dict(r, kind="control_units") for r in self.unit_rows]
        return self._frame("control_units", self.unit_rows, UNIT_COLUMNS, self._piece_geometry(rows, None))

    @property
    def hits(self):
        """Redline, protected-area, water-source, basic-farmland and urban-boundary features the site overlaps
        (geometry: the overlap)."""
        return self._frame("hits", self.hit_rows, HIT_COLUMNS, self._piece_geometry(self.hit_rows, None))

    @property
    def nearby(self):
        """Features within the search buffer (geometry: the shortest line from the site)."""
        if "nearby" not in self._cache:
            import shapely

            lines = [shapely.LineString([r["site_point"], r["feature_point"]]) for r in self.nearby_rows]
            self._frame("nearby", self.nearby_rows, NEARBY_COLUMNS, lines)
        return self._cache["nearby"]

    @property
    def pieces(self):
        """The overlap geometries (CGCS2000), one per feature hit, units and zones."""
        return self._frame("pieces", self.piece_rows, PIECE_COLUMNS, self.piece_geoms)

    @property
    def context(self) -> dict:
        """Per layer kind, the whole features within the search buffer (for maps).

        Read from the store at screening time (``gisplan.screen(..., context=True)``,
        the default) or attached to a result read back from JSON
        (:func:`gisplan.read_result` with the store it was screened on).

        Raises
        ------
        StoreError
            The result holds no map context (screened with ``context=False``,
            or read back without its store): a map drawn without the zones
            around the site would mislead, so it is refused.
        """
        if self.map_context is None:
            from .errors import StoreError

            raise StoreError("this result holds no map context (screened with context=False, or read back from JSON "
                             "without its store): screen with context=True, or read it back with "
                             "gisplan.read_result(data, store=...) from the store it was screened on")
        return self.map_context

    @property
    def county(self):
        """Outline of the hit units' county (or counties), for map insets (None when not read, see :attr:`context`)."""
        return self.county_outline

    @property
    def three_lines(self) -> list[dict]:
        """The site and the three control lines (redline, permanent basic farmland, urban development boundary):
        occupied area, share, zones and, when outside, the nearest feature (:func:`gisplan.three_lines.three_lines`)."""
        from .three_lines import three_lines_of

        return three_lines_of(self)

    # -- names kept from earlier versions ------------------------------------------------
    @property
    def params(self) -> dict:
        """Old name of :attr:`parameters`."""
        return self.parameters

    @property
    def store_info(self) -> dict:
        """Old name of :attr:`store`."""
        return self.store

    @property
    def units(self):
        """Overlapped control units with their WHOLE geometry (from the map context)."""
        from .render.notebook import units_frame

        return units_frame(self)

    @property
    def hits_frame(self):
        """Old name of :attr:`hits`."""
        return self.hits

    @property
    def nearby_frame(self):
        """Old name of :attr:`nearby`."""
        return self.nearby

    # -- figures --------------------------------------------------------------------------
    @property
    def by_category(self) -> dict[str, float]:
        """Overlap (m², ellipsoidal) per control-unit category."""
        return {c: float(sum(r["overlap_m2"] for r in self.unit_rows if r["category"] == c)) for c in CATEGORIES}

    @property
    def by_category_gk(self) -> dict[str, float]:
        """Overlap (m², planimetric in the site's GK zone) per category."""
        return {c: float(sum(r["overlap_gk_m2"] for r in self.unit_rows if r["category"] == c)) for c in CATEGORIES}

    @property
    def footprint_frame(self):
        """The screened footprint as a one-row GeoDataFrame (CGCS2000)."""
        import geopandas as gpd

        return gpd.GeoDataFrame({"name": [self.site.name or "site"], "area_m2": [self.project["area_m2"]]},
                                geometry=[self.footprint], crs=_CGCS2000)

    # -- outputs ---------------------------------------------------------------------------
    def to_dict(self, *, full: bool = False) -> dict:
        """The JSON report as plain Python data.

        ``full=True`` adds a ``record`` section after the report's keys (which
        stay as they are): what reports and maps are drawn from besides the
        report's tables, so that :meth:`from_dict` gives back a result whose
        reports equal this one's (see :func:`gisplan.result_record.record_of`).
        """
        from .report import result_to_dict

        out = result_to_dict(self)
        if full:
            from .result_record import record_of

            out["record"] = record_of(self)
        return out

    def to_json(self, path: str | os.PathLike | None = None, *, full: bool = False) -> str:
        """The JSON report as text; written to ``path`` too when given (``full``: as :meth:`to_dict`)."""
        from .report import result_to_json

        return result_to_json(self, path, full=full)

    @classmethod
    def from_dict(cls, data: dict) -> ScreeningResult:
        """The result :meth:`to_dict` wrote, read back.

        With the ``record`` section (``to_dict(full=True)``) every report (JSON,
        text summary, XLSX, DOCX, PDF, maps, layers) drawn from the read-back
        result equals the original's, once the map context is attached from the
        store the screening read (:func:`gisplan.screening.read_result`; without
        it a map refuses with :class:`~gisplan.errors.StoreError` rather than
        draw the site without the zones around it). Without the ``record``
        section, the tables are those of the JSON report (no feature ids, no
        geometry): the JSON and the text summary can be drawn, the XLSX too
        with the store (its location names the counties of the store's
        outline), maps and the DOCX/PDF cannot.

        Raises
        ------
        InputError
            ``data`` is not a screening's JSON report (or its record is of a newer version).
        """
        from .result_record import result_from_dict

        return result_from_dict(cls, Verdict, data)

    @classmethod
    def from_json(cls, source: str | os.PathLike) -> ScreeningResult:
        """:meth:`from_dict` of a JSON text, or of the JSON file at ``source`` (a path)."""
        import json

        from .errors import InputError

        text = source
        if isinstance(source, os.PathLike) or (isinstance(source, str) and not source.lstrip().startswith("{")):
            try:
                with open(source, encoding="utf-8") as fh:
                    text = fh.read()
            except OSError as exc:
                raise InputError(f"cannot read the screening JSON {os.fspath(source)}: "
                                 f"{exc.strerror or exc}") from None
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InputError(f"not a screening's JSON report ({exc})") from None
        return cls.from_dict(data)

    @property
    def has_geometry(self) -> bool:
        """Whether the result holds its site's geometry (false when read back from a JSON report without its record)."""
        return self.footprint is not None

    def _need_geometry(self) -> None:
        if self.footprint is None:
            from .errors import InputError

            raise InputError("this result was read back from a JSON report without its record section: maps and "
                             "the DOCX/PDF need the geometry (write it with to_dict(full=True) or to_json(full=True))")

    def to_html(self, path: str | os.PathLike, **kwargs):
        """Write the interactive HTML map (options as ``--html-map``; ``raster="NAME"`` draws a raster of the store
        under the zoning)."""
        self._need_geometry()
        from .render.html_map import write_html_map

        return write_html_map(self, path, **kwargs)

    def to_docx(self, path: str | os.PathLike, *, lang: str = "zh", raster: str | None = None):
        """Write the EIA report section (DOCX) with its map (``raster``: as :meth:`to_png`)."""
        self._need_geometry()
        from .render.eia_outputs import write_eia_outputs

        return write_eia_outputs(self, docx=path, lang=lang, raster=raster)

    def to_xlsx(self, path: str | os.PathLike, *, lang: str = "zh"):
        """Write the report tables (XLSX)."""
        from .render.xlsx_report import write_xlsx

        return write_xlsx(self, path, lang=lang)

    def to_layers(self, path: str | os.PathLike):
        """Write the overlay as GIS/CAD layers: ``site``, ``pieces``, ``crossings``, ``nearby``, ``store_context``.

        The format follows the suffix: ``.gpkg`` (with QGIS styles), ``.shp.zip``, ``.gdb`` (FileGDB),
        ``.kmz`` (Google Earth, 奥维) or ``.dxf`` (CAD, in the site's Gauss-Kruger zone); see
        :func:`gisplan.render.layers_out.write_layers`.
        """
        self._need_geometry()
        from .render.layers_out import write_layers

        return write_layers(self, path)

    def to_pdf(self, path: str | os.PathLike, *, lang: str = "zh", raster: str | None = None,
               figure_png: bytes | None = None):
        """Write the whole report (the DOCX's content, CJK fonts embedded) as PDF.

        ``figure_png``: the map already drawn (:func:`gisplan.render.static_map.static_map_png`), so a
        caller writing PNG, DOCX and PDF draws it once.
        """
        self._need_geometry()
        from .render.pdf_report import write_pdf

        return write_pdf(self, path, lang=lang, raster=raster, figure_png=figure_png)

    def to_png(self, path: str | os.PathLike, *, lang: str = "zh", raster: str | None = None):
        """Write the 300-dpi static map (PNG; ``.pdf`` for a PDF).

        ``raster="NAME"`` draws the store's raster NAME (e.g. ``"landcover_demo"``) under the zoning.
        """
        self._need_geometry()
        from .render.static_map import write_static_map

        return write_static_map(self, path, lang=lang, raster=raster)

    # -- Jupyter -------------------------------------------------------------------------------
    def _repr_html_(self) -> str:
        from .render.notebook import summary_html

        return summary_html(self)

    def __repr__(self) -> str:
        from .render.notebook import summary_repr

        return summary_repr(self)

    def explore(self, **kwargs):
        """Interactive folium map (offline); options as :func:`gisplan.render.html_map.html_map`."""
        self._need_geometry()
        from .render.html_map import html_map

        return html_map(self, **kwargs)

    def plot(self, ax=None, **kwargs):
        """Quick matplotlib map of units, zones and the site; returns the Axes."""
        self._need_geometry()
        from .render.notebook import plot_result

        return plot_result(self, ax=ax, **kwargs)
