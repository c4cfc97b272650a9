"""The ``gisplan`` command line (thin: every command calls the Python API).

Bad input ends with one line on stderr and exit code 2, never a traceback
(set ``GISPLAN_DEBUG=1`` to see one).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .errors import GisplanError

EXIT_BAD_INPUT = 2


def _echo_err(msg: str) -> None:
    click.echo(" ".join(str(msg).split()), err=True)


class _Group(click.Group):
    """Turns typed errors into one line and exit code 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except GisplanError as exc:
            if os.environ.get("GISPLAN_DEBUG"):
                raise
            _echo_err(f"gisplan: error: {exc}")
            ctx.exit(EXIT_BAD_INPUT)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            _echo_err("gisplan: interrupted")
            ctx.exit(130)
        except Exception as exc:  # an unforeseen failure: still one line
            if os.environ.get("GISPLAN_DEBUG"):
                raise
            _echo_err(f"gisplan: internal error: {type(exc).__name__}: {exc} (set GISPLAN_DEBUG=1 for the traceback)")
            ctx.exit(1)


@click.group(cls=_Group)
@click.version_option(package_name="gisplan")
def main() -> None:
    """Screen project sites against 三线一单 zoning: control units, redline, reserves, water sources."""


@main.group(cls=_Group)
def layers() -> None:
    """Manage the zoning layers of a store (GeoPackage)."""


@layers.command("import")
@click.argument("store", type=click.Path(dir_okay=False))
@click.argument("kind", type=click.Choice(["control_units", "eco_redline", "protected_areas", "water_sources"]))
@click.argument("source")
@click.option("--layer", help="Layer of a multi-layer source (GeoPackage, zip with several shapefiles).")
@click.option("--map", "maps", multiple=True, metavar="FIELD=SRCFIELD", help="Map a schema field to a source field.")
@click.option("--encoding", help="Text encoding of the shapefile .dbf (e.g. gbk).")
@click.option("--source-crs", help="CRS of a source without .prj (e.g. EPSG:4490, EPSG:4531).")
def layers_import(store, kind, source, layer, maps, encoding, source_crs) -> None:
    """Import SOURCE (shapefile, .zip, GeoPackage, GeoJSON) as layer KIND of STORE."""
    from .importer import import_layer
    from .mapping import parse_map_options

    report = import_layer(store, kind, source, layer=layer, mapping=parse_map_options(maps),
                          encoding=encoding, source_crs=source_crs)
    for line in report.lines():
        click.echo(line)


@layers.command("list")
@click.argument("store", type=click.Path(dir_okay=False))
def layers_list(store) -> None:
    """Show the kinds, feature counts and areas a STORE holds."""
    from .store import Store

    s = Store(store)
    table = s.summary()
    if table.empty:
        click.echo(f"{store}: empty store")
        return
    click.echo(f"{store}")
    for _, r in table.iterrows():
        cls = "" if r["class"] == "(all)" else f"  {r['class']:<16}"
        head = f"{r['kind']:<16}" if not cls else f"{'':<16}"
        click.echo(f"{head}{cls or '  (all)':<18} {r['features']:>6} features {r['area_km2']:>12.2f} km²")


def _site_options(f):
    f = click.option("--source-crs", help="CRS of the site when the file has none (e.g. EPSG:4531).")(f)
    f = click.option("--radius", type=float, help="Disc radius (m) for a point site.")(f)
    f = click.option("--width", type=float, help="Total corridor width (m) for a line site.")(f)
    return f


_ARRIVAL_KEYS = ("cm", "towgs84", "dxf_layer", "dry_run")


def _arrival_options(dry_run: bool = True):
    """--cm/--towgs84/--dxf-layer (and --dry-run), kept in ctx.meta so signatures stay as they are."""
    import functools

    def decorate(f):
        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            opts = {k: kwargs.pop(k) for k in _ARRIVAL_KEYS if k in kwargs}
            click.get_current_context().meta["gisplan.site"] = opts
            return f(*args, **kwargs)

        if dry_run:
            wrapper = click.option("--dry-run", is_flag=True,
                                   help="Print what was understood of the site(s) and exit 0 without screening.")(wrapper)
        wrapper = click.option("--dxf-layer", help="DXF layer holding the site outline (default: all layers).")(wrapper)
        wrapper = click.option("--towgs84", metavar="DX,DY,DZ,RX,RY,RZ,S",
                               help="Bursa-Wolf parameters for a Xian 1980 / Beijing 1954 source.")(wrapper)
        wrapper = click.option("--cm", type=int, help="Central meridian of GK metres without zone prefix (e.g. 126).")(wrapper)
        return wrapper

    return decorate


def _arrival() -> dict:
    opts = dict(click.get_current_context().meta.get("gisplan.site", {}))
    opts.pop("dry_run", None)
    return opts


def _read_for_screen(site, source_crs):
    """The site read with all site options; with --dry-run, print it and exit 0."""
    from .sites import describe_site, read_site

    meta = click.get_current_context().meta.get("gisplan.site", {})
    s = read_site(site, source_crs=source_crs, **_arrival())
    if meta.get("dry_run"):
        for line in describe_site(s):
            click.echo(line)
        click.echo("dry run: nothing screened")
        click.get_current_context().exit(0)
    return s


@main.command("read")
@click.argument("site")
@click.option("--source-crs", help="CRS of the site (EPSG:4530, gcj02, bd09 ...) when the file has none or it is wrong.")
@click.option("--layer", help="Layer, zip member or XLSX sheet.")
@click.option("--encoding", help="Text encoding of a shapefile .dbf or CSV table (e.g. gbk).")
@_arrival_options(dry_run=False)
def read_cmd(site, source_crs, layer, encoding) -> None:
    """Print what gisplan understands of SITE: format, CRS, parts, vertices, area, bounds, warnings."""
    from .sites import describe_site, read_site

    s = read_site(site, source_crs=source_crs, layer=layer, encoding=encoding, **_arrival())
    for line in describe_site(s):
        click.echo(line)


def _basemap_options(f):
    """--basemap/--tiles/--tiles-attr/--tiles-crs for --html-map, checked before screening."""
    f = click.option("--tiles-crs", type=click.Choice(["cgcs2000", "gcj02"]),
                     help="What --tiles is drawn in: cgcs2000 (default; Tianditu 天地图) or gcj02 "
                          "(AMap/Tencent: overlays are shifted to line up).")(f)
    f = click.option("--tiles-attr", help="Attribution text for --tiles.")(f)
    f = click.option("--tiles", help="Basemap tile URL with {x} {y} {z} and your key, e.g. Tianditu "
                                     "(CGCS2000, drawn as is). Default: blank basemap, no network.")(f)
    f = click.option("--basemap", type=click.Choice(["blank", "amap", "amap-satellite"]), default=None,
                     help="Named basemap: blank (default, offline) or AMap 高德 (GCJ-02: overlays are shifted).")(f)
    return f


def _map_kwargs(opts: dict, html_map) -> dict:
    from .errors import InputError
    from .render.basemap import resolve_basemap

    kwargs = {"basemap": opts.get("basemap"), "tiles": opts.get("tiles"),
              "attribution": opts.get("tiles_attr"), "tiles_crs": opts.get("tiles_crs")}
    if any(v is not None for v in kwargs.values()) and not html_map:
        raise InputError("--basemap/--tiles/--tiles-attr/--tiles-crs need --html-map")
    resolve_basemap(**kwargs)  # fail before screening
    return kwargs


_REPORT_KEYS = ("docx", "xlsx", "png", "pdf", "report_dir", "lang")


def _report_options(batch: bool = False):
    """--docx/--xlsx/--png/--pdf (screen) or --report-dir (batch), and --lang; kept in ctx.meta."""
    import functools

    def decorate(f):
        has_lang = any(p.name == "lang" for p in getattr(f, "__click_params__", []))

        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            opts = {k: (kwargs.get(k) if k == "lang" and has_lang else kwargs.pop(k)) for k in _REPORT_KEYS if k in kwargs}
            click.get_current_context().meta["gisplan.reports"] = opts
            return f(*args, **kwargs)

        if not has_lang:
            wrapper = click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
                                   help="Language of the DOCX/XLSX reports and maps.")(wrapper)
        if batch:
            return click.option("--report-dir", type=click.Path(file_okay=False),
                                help="Write one DOCX report and one PNG map per site into this folder.")(wrapper)
        for name, what in (("pdf", "static map (PDF)"), ("png", "static map (PNG, 300 dpi)"),
                           ("xlsx", "report tables (XLSX)"), ("docx", "EIA report section (DOCX)")):
            wrapper = click.option(f"--{name}", type=click.Path(dir_okay=False), help=f"Write the {what} here.")(wrapper)
        return wrapper

    return decorate


def _reports() -> dict:
    """The report options given, checked before any screening."""
    from .errors import InputError

    opts = {k: v for k, v in click.get_current_context().meta.get("gisplan.reports", {}).items() if v}
    for key in ("docx", "xlsx", "png", "pdf"):
        if key in opts and not str(opts[key]).lower().endswith(f".{key}"):
            raise InputError(f"--{key} must end in .{key}, got {opts[key]!r}")
    return opts


@main.command()
@click.argument("site")
@click.option("--store", required=True, type=click.Path(dir_okay=False), help="The layer store (GeoPackage).")
@_site_options
@_arrival_options()
@click.option("--buffer", default=5000.0, show_default=True, type=float, help="Search distance (m) for nearby features.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Write the JSON report here.")
@click.option("--html-map", type=click.Path(dir_okay=False), help="Write an interactive HTML map here.")
@_basemap_options
@_report_options()
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--industry", help="Project type for the verdict: GB/T 4754 code/name or EIA catalogue category (e.g. C26, 公路).")
def screen(site, store, source_crs, radius, width, buffer, json_out, html_map, quiet, industry=None, **map_opts) -> None:
    """Screen one SITE (GeoJSON, GeoPackage, shapefile/.zip, KML) against a store."""
    from .render.html_map import write_html_map
    from .report import summary_text
    from .screening import screen as run

    map_kwargs = _map_kwargs(map_opts, html_map)
    reports = _reports()
    site = _read_for_screen(site, source_crs)  # --cm/--towgs84/--dxf-layer; --dry-run exits here
    if industry:
        from .rules.industry import match_industry

        match_industry(industry)  # an unknown type fails before any screening
    result = run(site, store, radius=radius, width=width, buffer=buffer, industry=industry)
    if json_out:
        result.to_json(json_out)
    if html_map:
        write_html_map(result, html_map, **map_kwargs)
    if set(reports) - {"lang"}:
        from .render.eia_outputs import write_eia_outputs

        write_eia_outputs(result, **reports)
    if not quiet:
        click.echo(summary_text(result, lang=reports.get("lang", "zh")))
    if not json_out and quiet:
        click.echo(result.to_json())


@main.command()
@click.argument("sites")
@click.option("--store", required=True, type=click.Path(dir_okay=False))
@click.option("--id-field", required=True, help="Field that identifies each site.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Output table (.csv or .gpkg).")
@_site_options
@_arrival_options()
@_report_options(batch=True)
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
@click.option("--industry", help="Project type of every site (default for rows with an empty --industry-field).")
@click.option("--industry-field", help="Field holding each site's project type (code or name).")
def batch(sites, store, id_field, out, source_crs, radius, width, progress, industry=None, industry_field=None) -> None:
    """Screen every feature of SITES as its own site; one row per site."""
    from .batch import screen_batch, write_batch
    from .errors import InputError

    if not out.lower().endswith((".csv", ".gpkg")):
        raise InputError(f"--out must end in .csv or .gpkg, got {out!r}")
    if click.get_current_context().meta.get("gisplan.site", {}).get("dry_run"):
        from .sites import describe_site_frame

        for line in describe_site_frame(sites, id_field=id_field, source_crs=source_crs, **_arrival()):
            click.echo(line)
        click.echo("dry run: nothing screened")
        return
    table = screen_batch(sites, store, id_field=id_field, radius=radius, width=width,
                         source_crs=source_crs, progress=progress, industry=industry,
                         industry_field=industry_field, **_arrival())
    write_batch(table, out)
    counts = table["verdict"].value_counts().to_dict()
    click.echo(f"{len(table)} site(s) screened -> {out}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    reports = _reports()
    if reports.get("report_dir"):
        from .batch_reports import write_site_reports

        written = write_site_reports(table, store, reports["report_dir"], id_field=id_field,
                                     lang=reports.get("lang", "zh"), progress=progress)
        click.echo(f"{(written['docx'] != '').sum()} DOCX report(s) and PNG map(s) -> {reports['report_dir']}")


@main.command()
@click.option("--store", default="layers/demo_yanbian.gpkg", show_default=True, type=click.Path(dir_okay=False))
@click.option("--out-dir", default="maps", show_default=True, type=click.Path(file_okay=False))
@click.option("--data-dir", default=None, type=click.Path(file_okay=False), help="Bundled data folder (default: the repository's data/).")
def demo(store, out_dir, data_dir) -> None:
    """Build the synthetic Yanbian demo store and screen the bundled sample sites."""
    from .demo import run_demo

    for line in run_demo(Path(store), Path(out_dir), Path(data_dir) if data_dir else None):
        click.echo(line)


def _add_rules_commands() -> None:
    from .rules.cli import rules

    main.add_command(rules)


_add_rules_commands()


def _add_serve_commands() -> None:
    from .serve.cli import serve, users

    main.add_command(serve)
    main.add_command(users)


_add_serve_commands()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
