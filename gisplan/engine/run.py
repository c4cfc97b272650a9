"""A whole batch run, as ``gisplan batch`` does it: the table, and the reports and layers asked for.

:func:`run_batch` chooses how the sites are screened: streamed in chunks in
this process (resumable, memory bounded: :mod:`gisplan.engine.stream`), on a
Dask cluster (:mod:`gisplan.engine.dask_batch`), or kept in memory when a
report per site (:mod:`gisplan.batch_reports`) or the overlay layers
(:mod:`gisplan.batch_layers`) are written beside the table. The command
``gisplan batch`` is a thin shell over it; a notebook can do the same.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError

__all__ = ["BatchRun", "check_batch", "run_batch", "BATCH_ENGINES"]

#: Where a batch is screened: this process or a Dask cluster.
BATCH_ENGINES = ("local", "dask")
_FORM_KEYS = ("project_name", "builder", "project_code", "construction_nature")


@dataclass
class BatchRun:
    """What a batch run wrote.

    Attributes
    ----------
    out : str or Path
        The table (as given).
    counts : dict
        Sites per verdict (``prohibited``, ..., ``error``).
    table : GeoDataFrame or None
        The rows, when the batch was kept in memory (reports or layers asked
        for); None when it was streamed into ``out``.
    reports : int
        DOCX reports written (with their PNG maps) into ``report_dir``.
    layer_sites : int
        Sites whose overlay layers were written to ``layers_out``.
    """

    out: str | os.PathLike
    counts: dict = field(default_factory=dict)
    table: object = None
    reports: int = 0
    layer_sites: int = 0

    @property
    def screened(self) -> int:
        """Sites in the table (those that could not be screened included, verdict ``error``)."""
        return int(sum(self.counts.values()))

    def summary(self) -> str:
        """``12 site(s) screened -> out.csv: allowed 3, review 9`` (what ``gisplan batch`` prints)."""
        return (f"{self.screened} site(s) screened -> {self.out}: "
                + ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items())))


def check_batch(store, out, *, engine: str = "local", scheduler: str | None = None, workers: int | None = None,
                partitions: int | None = None, chunk_size: int | None = None, resume: bool = False,
                report_dir=None, layers_out=None, map_raster: str | None = None, basemap=None,
                project_fields: dict | None = None, protect=()) -> None:
    """Refuse a batch that cannot run as asked, before any site is read (one :class:`~gisplan.errors.InputError`).

    Takes the parameters of :func:`run_batch` of the same names; ``basemap``
    is checked for being given at all (any value but None). The messages name
    the parameters (e.g. ``report_dir``); ``gisplan batch`` shows them as its flags.
    """
    from ..extras import require_extra
    from ..io.batch_out import batch_table_suffix
    from ..io.outputs import check_output_path

    batch_table_suffix(out)
    if engine not in BATCH_ENGINES:
        raise InputError(f"engine must be one of {', '.join(BATCH_ENGINES)}, got {engine!r}")
    if engine == "dask":
        require_extra("dask", "the Dask engine (`engine` dask)")
    check_output_path(out, protect_also=protect)
    if engine != "dask" and (scheduler or workers or partitions):
        raise InputError("`scheduler`, `workers` and `partitions` go with `engine` dask")
    if scheduler and workers:
        raise InputError("`workers` sizes the local Dask cluster; a `scheduler` has the workers started there")
    if engine == "dask" and report_dir:
        raise InputError("`report_dir` needs the local engine (`engine` local)")
    if engine == "dask" and layers_out:
        raise InputError("`layers_out` needs the local engine (`engine` local)")
    if layers_out:
        from ..render.layers_out import check_layers_path

        check_layers_path(layers_out)
    if map_raster is not None:
        if not report_dir:
            raise InputError("`map_raster` needs `report_dir` (the batch table has no map)")
        if isinstance(store, (str, os.PathLike)) and Path(store).is_file():  # a missing store: the screening says so
            from ..render.raster_underlay import check_raster_name

            check_raster_name(store, map_raster)
    if basemap is not None and not report_dir:
        raise InputError("`basemap` draws under the report maps: it needs `report_dir`")
    if any((project_fields or {}).values()) and not report_dir:
        raise InputError("`project_name_field`/`builder_field`/`project_code_field`/`construction_nature_field` "
                         "fill the reports: they need `report_dir`")
    if (report_dir or layers_out) and (resume or chunk_size):
        raise InputError("`resume`/`chunk_size` stream the table; with `report_dir` or `layers_out` the batch is "
                         "kept in memory")


def run_batch(
    sites,
    store,
    out: str | os.PathLike,
    *,
    id_field: str,
    radius: float | None = None,
    width: float | None = None,
    industry: str | None = None,
    industry_field: str | None = None,
    national_major: bool | None = None,
    raster_stats: tuple[str, ...] = (),
    source_crs: str | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    cm: int | None = None,
    towgs84: str | None = None,
    dxf_layer: str | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    workers: int | None = None,
    partitions: int | None = None,
    chunk_size: int | None = None,
    resume: bool = False,
    progress: bool | None = None,
    report_dir: str | os.PathLike | None = None,
    lang: str = "zh",
    map_raster: str | None = None,
    basemap=None,
    project_fields: dict[str, str | None] | None = None,
    layers_out: str | os.PathLike | None = None,
    protect=(),
    say: Callable[[str], None] | None = None,
) -> BatchRun:
    """Screen every feature of a sites file as its own site into a table, with the reports and layers asked for.

    Parameters
    ----------
    sites : path
        The sites file (each feature one site; GeoPackage, shapefile, GeoJSON,
        CSV/XLSX corner tables, DXF ..., read as :func:`gisplan.sites.read_site_table` reads it).
    store : path or URL
        The layer store (a GeoPackage path, or a PostGIS URL).
    out : path
        The table: ``.csv`` (UTF-8 with BOM), ``.gpkg`` or ``.parquet``; written atomically.
    id_field : str
        Field that identifies each site.
    radius, width : float, optional
        Default disc radius (m) of point sites and corridor width (m) of line
        sites; per-site ``radius_m`` / ``width_m`` fields override them.
    industry : str, optional
        Project type of every site (the default for rows whose ``industry_field`` is empty).
    industry_field : str, optional
        Field holding each site's project type (code or name).
    national_major : bool or None
        Whether the projects are national major projects (None: unknown, such findings are ``review``).
    raster_stats : tuple of str
        Rasters of the store whose class areas or min/mean/max are added as columns.
    source_crs, layer, encoding, cm, towgs84, dxf_layer : optional
        How the sites file is read (as ``gisplan read`` takes them).
    engine : {"local", "dask"}
        Where the sites are screened: this process, or a Dask cluster (``gisplan[dask]``).
    scheduler : str, optional
        Dask scheduler address (``tcp://HOST:8786``); default: a local cluster.
    workers : int, optional
        Workers of the local Dask cluster (default 2).
    partitions : int, optional
        Dask partitions per chunk.
    chunk_size : int, optional
        Sites read, screened and written per chunk (default 50,000): memory stays bounded.
    resume : bool
        Continue a run that was killed midway from its last finished chunk.
    progress : bool, optional
        Progress bars on standard error (default: when it is a terminal).
    report_dir : path, optional
        Write ``<id>.docx`` and ``<id>.png`` per screened site here (the batch is then kept in memory).
    lang : {"zh", "en"}
        Language of those reports.
    map_raster : str, optional
        A raster of the store drawn under the report maps (needs ``report_dir``).
    basemap : BasemapSpec, optional
        The basemap under every report's map (needs ``report_dir``).
    project_fields : dict, optional
        Fields of the sites file that fill each report's project form:
        ``{"project_name": ..., "builder": ..., "project_code": ..., "construction_nature": ...}``
        (needs ``report_dir``; every cell checked before any screening).
    layers_out : path, optional
        Write every site's overlay layers here (``.gpkg``, ``.shp.zip``, ``.gdb``, ``.kmz``, ``.dxf``).
    protect : iterable of paths
        Files no output may replace (the store and the sites file always are).
    say : callable, optional
        Called with each line ``gisplan batch`` prints, as the run goes (e.g. ``print``).

    Returns
    -------
    BatchRun
        The table's path, sites per verdict, and what else was written.

    Raises
    ------
    InputError
        Options that do not go together, a bad output path or field, before any
        screening (:func:`check_batch`); :class:`~gisplan.errors.SiteError` and
        :class:`~gisplan.errors.StoreError` as the screening raises them.

    Examples
    --------
    >>> from gisplan.engine.run import run_batch                                       # doctest: +SKIP
    >>> run = run_batch("data/sites/batch_sites.geojson", "layers/demo_yanbian.gpkg",
    ...                 "maps/batch.csv", id_field="site_id", industry="公路")         # doctest: +SKIP
    >>> run.counts                                                                     # doctest: +SKIP
    """
    protect = (store, sites, *protect)
    fields = {k: (project_fields or {}).get(k) for k in _FORM_KEYS}
    check_batch(store, out, engine=engine, scheduler=scheduler, workers=workers, partitions=partitions,
                chunk_size=chunk_size, resume=resume, report_dir=report_dir, layers_out=layers_out,
                map_raster=map_raster, basemap=basemap, project_fields=fields, protect=protect)
    say = say or (lambda _line: None)
    reading = dict(source_crs=source_crs, layer=layer, encoding=encoding, cm=cm, towgs84=towgs84, dxf_layer=dxf_layer)
    options = dict(radius=radius, width=width, industry=industry, industry_field=industry_field,
                   national_major=national_major, raster_stats=tuple(raster_stats), **reading)
    if engine == "dask":  # the same chunks and parts as the local engine, screened on the cluster
        from .dask_batch import DEFAULT_WORKERS, dask_batch

        counts = dask_batch(sites, store, out, id_field=id_field, scheduler=scheduler,
                            n_workers=workers or DEFAULT_WORKERS, partitions=partitions, chunk_size=chunk_size,
                            resume=resume, progress=progress, protect=protect, **options)
        run = BatchRun(out, dict(counts))
        say(run.summary())
        return run
    if not report_dir and not layers_out:  # streamed in chunks, resumable
        from .stream import DEFAULT_CHUNK_SIZE, stream_batch

        counts = stream_batch(sites, store, out, id_field=id_field, chunk_size=chunk_size or DEFAULT_CHUNK_SIZE,
                              resume=resume, progress=progress, protect=protect, **options)
        run = BatchRun(out, dict(counts))
        say(run.summary())
        return run
    from ..batch import screen_batch, write_batch

    forms = None
    if any(fields.values()):  # checked before any screening: a bad cell stops the batch with one line
        from ..batch_reports import project_forms
        from ..sites import read_site_frame

        frame, _, _ = read_site_frame(sites, **reading)
        forms = project_forms(frame, id_field, fields)
    table = screen_batch(sites, store, id_field=id_field, progress=progress, **options)
    write_batch(table, out)
    run = BatchRun(out, table["verdict"].value_counts().to_dict(), table)
    say(run.summary())
    if report_dir:
        from ..batch_reports import write_site_reports

        written = write_site_reports(table, store, report_dir, id_field=id_field, lang=lang, progress=progress,
                                     national_major=national_major, raster=map_raster, forms=forms, basemap=basemap)
        run.reports = int((written["docx"] != "").sum())
        say(f"{run.reports} DOCX report(s) and PNG map(s) -> {report_dir}")
    if layers_out:
        from ..batch_layers import write_batch_layers

        write_batch_layers(sites, store, layers_out, id_field=id_field, table=table, progress=progress,
                           radius=radius, width=width, industry=industry, industry_field=industry_field,
                           national_major=national_major, **reading)
        run.layer_sites = int((table["verdict"] != "error").sum())
        say(f"overlay layers of {run.layer_sites} site(s) -> {layers_out}")
    return run
