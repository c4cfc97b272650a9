"""``gisplan layers ...``: import, list, check, compare and rebuild the zoning layers of a store."""

from __future__ import annotations

import click

from ..errors import InputError
from .app import Group, check_outputs, main, protect_inputs
from .options import KINDS, layer_file_options, lock_timeout_option, mapping_options, take_layer_file

__all__ = ["layers"]


@main.group(cls=Group)
def layers() -> None:
    """Manage the zoning layers of a store (GeoPackage)."""


@layers.command("import")
@click.argument("store", type=click.Path(dir_okay=False))
@click.argument("kind", type=click.Choice((*KINDS, "raster")))
@click.argument("source", nargs=-1, required=True)
@click.option("--layer", help="Layer of a multi-layer source (GeoPackage, zip with several shapefiles).")
@click.option("--map", "maps", multiple=True, metavar="FIELD=SRCFIELD", help="Map a schema field to a source field.")
@click.option("--encoding", help="Text encoding of the shapefile .dbf (e.g. gbk).")
@click.option("--source-crs", help="CRS of a source without .prj (e.g. EPSG:4490, EPSG:4531).")
@click.option("--classes", type=click.Path(dir_okay=False), help="raster: class table CSV value,label[,label_en].")
@mapping_options
@lock_timeout_option
def layers_import(store, kind, source, layer, maps, encoding, source_crs, classes=None, map_values=(),
                  mapping_file=None, mapping_from=None, lock_timeout=60.0) -> None:
    """Import SOURCE (shapefile, .zip, GeoPackage, GeoJSON, FileGDB .gdb) as layer KIND of STORE.

    For KIND raster, SOURCE is NAME FILE.tif: a single-band raster kept as a
    Cloud-Optimized GeoTIFF beside the store (classified with --classes, else continuous).
    """
    from ..importer import import_layer
    from ..mapping import parse_map_options, parse_value_map_options

    if kind == "raster":
        _import_raster(store, source, classes, lock_timeout)
        return
    if len(source) != 1:
        raise InputError(f"layers import {kind} takes one SOURCE, got {len(source)}")
    if classes:
        raise InputError("--classes is for KIND raster only")
    source = source[0]
    report = import_layer(store, kind, source, layer=layer, mapping=parse_map_options(maps),
                          encoding=encoding, source_crs=source_crs,
                          value_maps=parse_value_map_options(map_values), mapping_file=mapping_file,
                          mapping_from=mapping_from, lock_timeout=lock_timeout)
    for line in report.lines():
        click.echo(line)


def _import_raster(store: str, source: tuple, classes: str | None, lock_timeout: float) -> None:
    from ..rasters.store import import_raster

    if len(source) != 2:
        raise InputError(f"layers import STORE raster takes NAME FILE.tif, got {len(source)} argument(s)")
    name, file = source
    for line in import_raster(store, name, file, classes=classes, lock_timeout=lock_timeout):
        click.echo(line)


@layers.command("check")
@click.argument("source")
@layer_file_options
@click.option("--redline", type=click.Path(dir_okay=False), help="Redline layer file for the redline test of a layer file.")
@click.option("--sliver-m2", type=float, default=100.0, show_default=True,
              help="Overlaps, gaps and redline parts below this area (m²) are reported as slivers.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Write the problems and statistics (JSON) here.")
@click.option("--xlsx", type=click.Path(dir_okay=False), help="Write the problems and statistics (XLSX) here.")
@click.option("--strict", is_flag=True, help="Exit 1 when any problem is found.")
def layers_check(source, kind, redline, sliver_m2, json_out, xlsx, strict, **opts) -> None:
    """Check SOURCE (a store or a delivered layer file) for overlaps, gaps, code errors ...; print statistics."""
    from ..layers.check import check_layers, check_summary_lines, write_check_xlsx
    from ..layers.source import load_layers

    if xlsx and not xlsx.lower().endswith(".xlsx"):
        raise InputError(f"--xlsx must end in .xlsx, got {xlsx!r}")
    if sliver_m2 < 0:
        raise InputError(f"--sliver-m2 must be 0 or more, got {sliver_m2}")
    reading = take_layer_file(opts)
    protect_inputs(None, source, redline, reading["mapping_file"], reading["mapping_from"])
    check_outputs(json_out, xlsx)
    layers_ = load_layers(source, kind=kind, redline=redline, **reading)
    result = check_layers(layers_, sliver_m2=sliver_m2)
    if json_out:
        result.to_json(json_out)
    if xlsx:
        write_check_xlsx(result, xlsx)
    for line in check_summary_lines(result):
        click.echo(line)
    if strict and result.problems:
        click.get_current_context().exit(1)


@layers.command("diff")
@click.argument("old")
@click.argument("new")
@layer_file_options
@click.option("--sites", type=click.Path(dir_okay=False), help="Sites to re-screen against both versions.")
@click.option("--id-field", help="Field identifying each site of --sites.")
@click.option("--industry", help="Project type of every site (for the verdict).")
@click.option("--industry-field", help="Field of --sites holding each site's project type.")
@click.option("--sliver-m2", type=float, default=100.0, show_default=True,
              help="A matched unit whose outline moved by less than this area (m²) is not 'reshaped'.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Write the differences (JSON) here.")
@click.option("--xlsx", type=click.Path(dir_okay=False), help="Write the differences (XLSX) here.")
@click.option("--png", type=click.Path(dir_okay=False), help="Write the change map (PNG) here.")
@click.option("--html-map", type=click.Path(dir_okay=False), help="Write the change map (offline HTML) here.")
def layers_diff(old, new, kind, sites, id_field, industry, industry_field, sliver_m2, json_out, xlsx, png, html_map,
                **opts) -> None:
    """Compare two versions OLD and NEW (stores or layer files): units, category transitions, redline, sites."""
    from ..layers.diff import diff_layers, diff_summary_lines, site_changes, write_diff_xlsx
    from ..layers.source import load_layers

    for value, option, suffix in ((xlsx, "--xlsx", ".xlsx"), (png, "--png", ".png"), (html_map, "--html-map", ".html"),
                                  (json_out, "--json", ".json")):
        if value and not value.lower().endswith(suffix):
            raise InputError(f"{option} must end in {suffix}, got {value!r}")
    if sites and not id_field:
        raise InputError("--sites needs --id-field")
    if (id_field or industry_field) and not sites:
        raise InputError("--id-field/--industry-field need --sites")
    if sliver_m2 < 0:
        raise InputError(f"--sliver-m2 must be 0 or more, got {sliver_m2}")
    reading = take_layer_file(opts)
    protect_inputs(None, old, new, sites, reading["mapping_file"], reading["mapping_from"])
    check_outputs(json_out, xlsx, png, html_map)
    before = load_layers(old, kind=kind, **reading)
    after = load_layers(new, kind=kind, **reading)
    if industry:
        from ..rules.industry import match_industry

        match_industry(industry)  # an unknown type fails before any work
    diff = diff_layers(before, after, sliver_m2=sliver_m2)
    if sites:
        diff.sites = site_changes(before, after, sites, id_field=id_field, industry=industry,
                                  industry_field=industry_field)
    if json_out:
        diff.to_json(json_out)
    if xlsx:
        write_diff_xlsx(diff, xlsx)
    if png or html_map:
        from ..layers.diff_maps import write_change_html, write_change_png

        units = after.frames["control_units"]
        if png:
            write_change_png(diff, units, png)
        if html_map:
            write_change_html(diff, units, html_map)
    for line in diff_summary_lines(diff):
        click.echo(line)


@layers.command("rebuild")
@click.argument("store", type=click.Path(dir_okay=False))
@lock_timeout_option
def layers_rebuild(store, lock_timeout) -> None:
    """Re-derive pieces, boundary lines and checksums of STORE from its layer tables as they are now.

    For a store edited by another tool (QGIS, GDAL, sqlite3): the edited
    features are checked like an import and used from then on. The access
    list is kept.
    """
    from ..importer import rebuild_store

    for line in rebuild_store(store, lock_timeout=lock_timeout):
        click.echo(line)


@layers.command("copy")
@click.argument("source")
@click.argument("target")
@lock_timeout_option
def layers_copy(source, target, lock_timeout) -> None:
    """Copy the layers and tables of store SOURCE into store TARGET (e.g. a GeoPackage into PostGIS), uncut."""
    from ..store.spec import copy_store

    for line in copy_store(source, target, lock_timeout=lock_timeout):
        click.echo(line)


@layers.command("list")
@click.argument("store", type=click.Path(dir_okay=False))
def layers_list(store) -> None:
    """Show the kinds, feature counts and areas a STORE holds."""
    from ..store.spec import open_store_at, shown_store

    s = open_store_at(store)
    store = shown_store(store)
    from ..rasters.store import raster_records

    table, rasters = s.summary(), raster_records(s)
    if table.empty and not rasters:
        click.echo(f"{store}: empty store")
        return
    click.echo(f"{store}")
    from ..layers.check import pad

    for _, r in table.iterrows():
        cls = "" if r["class"] == "(all)" else "  " + str(r["class"])
        head = f"{r['kind']:<16}" if not cls else f"{'':<16}"
        cls = pad(cls or "  (all)", 18)  # CJK classes (地类 水田, 旱地) take two columns each
        click.echo(f"{head}{cls} {r['features']:>6} features {r['area_km2']:>12.2f} km²")
    for r in rasters:  # rasters kept beside the store (gisplan layers import STORE raster NAME FILE)
        classes = f", {len(r['classes'])} classes" if r["kind"] == "classified" else ""
        click.echo(f"{'raster':<16}  {r['name']:<16} {r['kind']}{classes}, {r['width']} x {r['height']} cells, "
                   f"version {r['version']}")
