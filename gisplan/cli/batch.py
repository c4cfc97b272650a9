"""``gisplan batch``: every feature of a sites file screened as its own site, one row each."""

from __future__ import annotations

import click

from ..errors import InputError
from ..extras import require_extra
from .app import check_outputs, main, protect_inputs
from .options import (
    arrival_options,
    layers_out_option,
    map_raster_option,
    national_major_option,
    reading_options,
    report_basemap_option,
    report_options,
    site_options,
    take_map,
    take_map_raster,
    take_reading,
    take_reports,
)

__all__ = ["batch"]


@main.command()
@click.argument("sites")
@click.option("--store", required=True, type=click.Path(dir_okay=False))
@click.option("--id-field", required=True, help="Field that identifies each site.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Output table: .csv (UTF-8 with BOM), .gpkg or .parquet (GeoParquet).")
@site_options
@reading_options
@arrival_options()
@report_options(batch=True)
@layers_out_option
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
@click.option("--chunk-size", type=click.IntRange(min=1), default=None,
              help="Sites read, screened and written per chunk (default 50,000): memory stays bounded.")
@click.option("--resume", is_flag=True, help="Continue a run that was killed midway from its last finished chunk.")
@click.option("--industry", help="Project type of every site (default for rows with an empty --industry-field).")
@click.option("--industry-field", help="Field holding each site's project type (code or name).")
@click.option("--raster-stats", "raster_stats", multiple=True, metavar="NAME",
              help="Add columns for raster NAME of the store: area per class (m²) or min/mean/max. Repeatable.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Where the sites are screened: this process, or a Dask cluster (pip install 'gisplan[dask]').")
@click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler (tcp://HOST:8786); default: a local cluster.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Workers of the local Dask cluster (default 2).")
@click.option("--partitions", type=click.IntRange(min=1), default=None,
              help="Dask partitions per chunk (default: two per worker thread; when the workers see the "
                   "output folder, chunks of --chunk-size/--partitions sites, default 4,000).")
@national_major_option
@map_raster_option
@report_basemap_option
@click.option("--project-name-field", help="With --report-dir: field holding each site's 项目名称 (default: the site id).")
@click.option("--builder-field", help="With --report-dir: field holding each site's 建设单位.")
@click.option("--project-code-field", help="With --report-dir: field holding each site's 项目代码 (投资项目统一代码).")
@click.option("--construction-nature-field", help="With --report-dir: field holding each site's 建设性质 "
                                                   "(新建/改建/扩建/技术改造/迁建 or their codes).")
def batch(sites, store, id_field, out, radius, width, progress, industry, industry_field, national_major, dry_run,
          chunk_size, resume, raster_stats=(), engine="local", scheduler=None, workers=None, partitions=None,
          layers_out=None, **opts) -> None:
    """Screen every feature of SITES as its own site; one row per site."""
    from ..batch import screen_batch, write_batch

    reading = take_reading(opts)
    reports = take_reports(opts)
    if not out.lower().endswith((".csv", ".gpkg", ".parquet")):
        raise InputError(f"--out must end in .csv, .gpkg or .parquet, got {out!r}")
    if engine == "dask":
        require_extra("dask", "the Dask engine (--engine dask)")
    if out.lower().endswith(".parquet"):
        require_extra("parquet", "a GeoParquet table (.parquet)")
    protect_inputs(store, sites)
    check_outputs(out)
    if engine != "dask" and (scheduler or workers or partitions):
        raise InputError("--scheduler, --workers and --partitions go with --engine dask")
    if scheduler and workers:
        raise InputError("--workers sizes the local Dask cluster; a --scheduler has the workers started there")
    if engine == "dask" and reports.get("report_dir"):
        raise InputError("--report-dir needs the local engine (--engine local)")
    if engine == "dask" and layers_out:
        raise InputError("--layers-out needs the local engine (--engine local)")
    if layers_out:
        from ..render.layers_out import check_layers_path

        check_layers_path(layers_out)
    if opts.get("map_raster") and not reports.get("report_dir"):
        raise InputError("--map-raster needs --report-dir (the batch table has no map)")
    map_raster = take_map_raster(opts, store, {"report_dir": reports.get("report_dir")})
    if opts.get("basemap") is not None and not reports.get("report_dir"):
        raise InputError("--basemap draws under the report maps: it needs --report-dir")
    _, basemap = take_map(opts, None, static=bool(reports.get("report_dir")))
    form_fields = {k: opts.pop(f"{k}_field", None) for k in ("project_name", "builder", "project_code", "construction_nature")}
    if any(form_fields.values()) and not reports.get("report_dir"):
        raise InputError("--project-name-field/--builder-field/--project-code-field/--construction-nature-field "
                         "fill the reports: they need --report-dir")
    if dry_run:
        from ..sites import describe_site_frame

        for line in describe_site_frame(sites, id_field=id_field, **reading):
            click.echo(line)
        click.echo("dry run: nothing screened")
        return
    import gc

    # The application, not the library, may switch the cyclic collector off: a batch
    # allocates many short-lived geometries and none form cycles.
    gc.disable()
    options = dict(radius=radius, width=width, industry=industry, industry_field=industry_field,
                   national_major=national_major, raster_stats=tuple(raster_stats), **reading)
    if engine == "dask":  # the same chunks and parts as the local engine, screened on the cluster
        from ..engine.dask_batch import DEFAULT_WORKERS, dask_batch

        counts = dask_batch(sites, store, out, id_field=id_field, scheduler=scheduler, n_workers=workers or DEFAULT_WORKERS,
                            partitions=partitions, chunk_size=chunk_size, resume=resume, progress=progress,
                            protect=(store, sites), **options)
    elif not reports.get("report_dir") and not layers_out:  # streamed in chunks, resumable
        from ..engine.stream import DEFAULT_CHUNK_SIZE, stream_batch

        counts = stream_batch(sites, store, out, id_field=id_field, chunk_size=chunk_size or DEFAULT_CHUNK_SIZE,
                              resume=resume, progress=progress, protect=(store, sites), **options)
    if engine == "dask" or not (reports.get("report_dir") or layers_out):
        click.echo(f"{sum(counts.values())} site(s) screened -> {out}: "
                   + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        return
    if resume or chunk_size:
        raise InputError("--resume/--chunk-size stream the table; with --report-dir or --layers-out the batch is "
                         "kept in memory")
    forms = None
    if any(form_fields.values()):  # checked before any screening: a bad cell stops the batch with one line
        from ..batch_reports import project_forms
        from ..sites import read_site_frame

        frame, _, _ = read_site_frame(sites, **reading)
        forms = project_forms(frame, id_field, form_fields)
    table = screen_batch(sites, store, id_field=id_field, progress=progress, **options)
    write_batch(table, out)
    counts = table["verdict"].value_counts().to_dict()
    click.echo(f"{len(table)} site(s) screened -> {out}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if reports.get("report_dir"):
        from ..batch_reports import write_site_reports

        written = write_site_reports(table, store, reports["report_dir"], id_field=id_field, lang=reports["lang"],
                                     progress=progress, national_major=national_major, raster=map_raster, forms=forms,
                                     basemap=basemap)
        click.echo(f"{(written['docx'] != '').sum()} DOCX report(s) and PNG map(s) -> {reports['report_dir']}")
    if layers_out:
        from ..batch_layers import write_batch_layers

        write_batch_layers(sites, store, layers_out, id_field=id_field, table=table, progress=progress,
                           radius=radius, width=width, industry=industry, industry_field=industry_field,
                           national_major=national_major, **reading)
        click.echo(f"overlay layers of {(table['verdict'] != 'error').sum()} site(s) -> {layers_out}")
