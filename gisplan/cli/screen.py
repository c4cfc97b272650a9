"""``gisplan read`` and ``gisplan screen``: what was understood of a site, and one screening."""

from __future__ import annotations

import click

from .app import check_outputs, main, protect_inputs
from .options import (
    arrival_options,
    basemap_options,
    layers_out_option,
    map_raster_option,
    national_major_option,
    project_options,
    reading_options,
    report_options,
    site_options,
    take_map,
    take_map_raster,
    take_project,
    take_reading,
    take_reports,
)

__all__ = ["read_cmd", "screen", "EXIT_OUTSIDE_DATA"]

#: Exit code of a screening whose site lies wholly outside the store's data: the outputs
#: asked for are written (they say so), no verdict is given, one line on stderr.
EXIT_OUTSIDE_DATA = 3


@main.command("read")
@click.argument("site")
@click.option("--source-crs", help="CRS of the site (EPSG:4530, gcj02, bd09 ...) when the file has none or it is wrong.")
@reading_options
@arrival_options(dry_run=False)
def read_cmd(site, **opts) -> None:
    """Print what gisplan understands of SITE: format, CRS, parts, vertices, area, bounds, warnings."""
    from ..sites import describe_site, read_site

    s = read_site(site, **take_reading(opts))
    for line in describe_site(s):
        click.echo(line)


@main.command()
@click.argument("site")
@click.option("--store", required=True, type=click.Path(dir_okay=False), help="The layer store (GeoPackage).")
@site_options
@reading_options
@arrival_options()
@click.option("--buffer", default=5000.0, show_default=True, type=float, help="Search distance (m) for nearby features.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Write the JSON report here.")
@click.option("--html-map", type=click.Path(dir_okay=False), help="Write an interactive HTML map here.")
@basemap_options
@map_raster_option
@report_options()
@layers_out_option
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--industry", help="Project type for the verdict: GB/T 4754 code/name or EIA catalogue category (e.g. C26, 公路).")
@national_major_option
@project_options
def screen(site, store, radius, width, buffer, json_out, html_map, quiet, industry, national_major, dry_run,
           layers_out=None, **opts) -> None:
    """Screen one SITE (GeoJSON, GeoPackage, shapefile/.zip, KML, corner table, DXF) against a store.

    Exit code 3 (after writing the outputs asked for): the site lies wholly
    outside the store's data, so no verdict is given.
    """
    from ..report import summary_text
    from ..screening import screen as run
    from ..sites import describe_site, read_site

    if quiet:  # nothing but errors: no notices either (unless -v asked for the log)
        import logging

        from ..log import logger

        if logger.getEffectiveLevel() >= logging.WARNING:
            logger.setLevel(logging.ERROR)
    reading = take_reading(opts)
    project = take_project(opts)
    reports = take_reports(opts)
    map_kwargs, basemap = take_map(opts, html_map, static=any(reports.get(k) for k in ("png", "docx", "pdf")))
    protect_inputs(store, site)
    check_outputs(json_out, html_map, *(reports.get(k) for k in ("docx", "xlsx", "png", "pdf")))
    if layers_out:
        from ..render.layers_out import check_layers_path

        check_layers_path(layers_out)
    map_raster = take_map_raster(opts, store, {k: reports.get(k) for k in ("png", "pdf", "docx")} | {"html_map": html_map})
    from ..serve.fastread import read_site_fast

    # a plain GeoJSON is parsed without GDAL or frames (the same Site: tests/test_serve_fastread.py), else GDAL
    s = read_site_fast(site, reading) or read_site(site, **reading)
    if dry_run:
        for line in describe_site(s):
            click.echo(line)
        click.echo("dry run: nothing screened")
        return
    if industry:
        from ..rules.industry import match_industry

        match_industry(industry)  # an unknown type fails before any screening
    from ..project_info import project_form

    project_form(name=project["project_name"], builder=project["builder"], project_code=project["project_code"],
                 construction_nature_value=project["construction_nature"])  # a bad form fails before screening too
    result = run(s, store, radius=radius, width=width, buffer=buffer, source_crs=reading["source_crs"],
                 industry=industry, national_major=national_major, **project,
                 context=bool(html_map or layers_out or any(reports.get(k) for k in ("docx", "xlsx", "png", "pdf"))))
    if json_out:
        result.to_json(json_out)
    if html_map:
        from ..render.html_map import write_html_map

        write_html_map(result, html_map, raster=map_raster, **map_kwargs)
    if layers_out:
        result.to_layers(layers_out)
    lang = reports.pop("lang")
    if reports:
        from ..render.eia_outputs import write_eia_outputs

        write_eia_outputs(result, lang=lang, raster=map_raster, basemap=basemap, **reports)
    if not quiet:  # --quiet prints nothing but errors
        click.echo(summary_text(result, lang=lang))
    if (result.coverage or {}).get("status") == "outside":
        from ..report import coverage_headline

        click.echo(f"gisplan: {coverage_headline(result.coverage, lang)}", err=True)
        click.get_current_context().exit(EXIT_OUTSIDE_DATA)
