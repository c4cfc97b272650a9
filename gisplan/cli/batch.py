"""``gisplan batch``: every feature of a sites file screened as its own site, one row each."""

from __future__ import annotations

import click

from .app import main, protect_inputs
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
    from ..engine.run import check_batch, run_batch

    reading = take_reading(opts)
    reports = take_reports(opts)
    report_dir = reports.get("report_dir")
    form_fields = {k: opts.pop(f"{k}_field", None) for k in ("project_name", "builder", "project_code", "construction_nature")}
    protect_inputs(store, sites)
    plan = dict(engine=engine, scheduler=scheduler, workers=workers, partitions=partitions, chunk_size=chunk_size,
                resume=resume, report_dir=report_dir, layers_out=layers_out, map_raster=opts.pop("map_raster", None))
    check_batch(store, out, basemap=opts.get("basemap"), project_fields=form_fields, protect=(store, sites), **plan)
    _, basemap = take_map(opts, None, static=bool(report_dir))
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
    run_batch(sites, store, out, id_field=id_field, radius=radius, width=width, industry=industry,
              industry_field=industry_field, national_major=national_major, raster_stats=tuple(raster_stats),
              progress=progress, lang=reports["lang"], basemap=basemap, project_fields=form_fields, say=click.echo,
              **plan, **reading)
