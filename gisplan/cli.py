"""The ``gisplan`` command line (thin: every command calls the Python API).

The error contract: bad input (and any condition the user can fix: an
unwritable or refused output path, no space left) ends with one line on stderr
and exit code 2, never a traceback (set ``GISPLAN_DEBUG=1`` to see one); a
closed stdout pipe (``| head``) ends quietly with exit 141; Ctrl-C ends with
exit 130 and SIGTERM with 143, one line, temporary files removed; warnings of
third-party libraries (GDAL, matplotlib, numpy, shapely) are not printed.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
from pathlib import Path

import click

from .errors import GisplanError

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE
EXIT_TERMINATED = 143  # 128 + SIGTERM
#: OS errors a user causes and can fix: one line and exit 2, not "internal error".
_USER_ERRNOS = {errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.ENAMETOOLONG,
                errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.ELOOP, errno.EFBIG}


def _echo_err(msg: str) -> None:
    try:
        click.echo(" ".join(str(msg).split()), err=True)
    except (OSError, ValueError):  # stderr closed as well: nothing left to tell
        pass


def _debug() -> bool:
    return bool(os.environ.get("GISPLAN_DEBUG"))


class Terminated(KeyboardInterrupt):
    """Raised in the main thread by SIGTERM so that cleanup (``finally``) runs."""


def _on_sigterm(signum, frame) -> None:
    raise Terminated()


def _silence_stdout() -> None:
    """After EPIPE: point stdout at devnull so the exit flush cannot fail (Python docs recipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real file descriptor (tests)
        pass


def _fail(ctx, exc: BaseException):
    """One line on stderr and the exit code for an exception out of a command."""
    if isinstance(exc, GisplanError):
        _echo_err(f"gisplan: error: {exc}")
        ctx.exit(EXIT_BAD_INPUT)
    if isinstance(exc, KeyboardInterrupt):
        terminated = isinstance(exc, Terminated)
        _echo_err("gisplan: terminated" if terminated else "gisplan: interrupted")
        ctx.exit(EXIT_TERMINATED if terminated else EXIT_INTERRUPTED)
    if isinstance(exc, OSError) and exc.errno == errno.EPIPE:  # | head closed the pipe
        _silence_stdout()
        ctx.exit(EXIT_BROKEN_PIPE)
    if isinstance(exc, OSError) and exc.errno in _USER_ERRNOS:
        from .io.outputs import os_error_reason

        where = f" {exc.filename}" if exc.filename else ""
        _echo_err(f"gisplan: error: cannot access{where}: {os_error_reason(exc)}")
        ctx.exit(EXIT_BAD_INPUT)
    _echo_err(f"gisplan: internal error: {type(exc).__name__}: {exc} (set GISPLAN_DEBUG=1 for the traceback)")
    ctx.exit(1)


class _Group(click.Group):
    """Turns typed errors into one line and exit code 2 (see the module docstring)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM: never a traceback, even in debug
            _fail(ctx, exc)
        except Exception as exc:  # typed errors, a closed pipe, an OS error, an unforeseen failure
            if _debug() and not (isinstance(exc, OSError) and exc.errno == errno.EPIPE):
                raise
            _fail(ctx, exc)

    def main(self, *args, **kwargs):
        """Run the command line with SIGTERM handled and third-party warnings captured."""
        import logging
        import warnings

        root = logging.getLogger()
        quiet = logging.NullHandler()  # no "lastResort" printing of library log records
        old_term = None
        try:
            old_term = signal.signal(signal.SIGTERM, _on_sigterm)
        except (ValueError, OSError):  # not the main thread
            pass
        if not _debug():
            root.addHandler(quiet)
        try:
            with warnings.catch_warnings():
                if not _debug():
                    warnings.simplefilter("ignore")
                return super().main(*args, **kwargs)
        except OSError as exc:  # EPIPE while click itself writes (help, version)
            if exc.errno != errno.EPIPE:
                raise
            _silence_stdout()
            sys.exit(EXIT_BROKEN_PIPE)
        finally:
            root.removeHandler(quiet)
            if old_term is not None:
                signal.signal(signal.SIGTERM, old_term)


def _protect_inputs(store=None, *inputs) -> None:
    """Outputs of this command never replace the store or an input file (exit 2 instead)."""
    from .io.outputs import protect, unprotect

    tokens = [protect(store, role="the store"), protect(*inputs, role="an input file")]
    ctx = click.get_current_context()
    for token in tokens:
        ctx.call_on_close(lambda t=token: unprotect(t))


def _check_outputs(*paths) -> None:
    """Refuse a bad output path before any screening (store or input, FIFO, folder)."""
    from .io.outputs import check_output_path

    for p in paths:
        if p:
            check_output_path(p)


@click.group(cls=_Group)
@click.version_option(package_name="gisplan")
@click.option("-v", "--verbose", count=True, help="Say what is done (-v) and how (-vv), on stderr.")
@click.option("-q", "--quiet", "quiet_log", is_flag=True, help="Print no log lines but errors.")
def main(verbose: int = 0, quiet_log: bool = False) -> None:
    """Screen project sites against 三线一单 zoning: control units, redline, reserves, water sources."""
    if verbose or quiet_log:
        from .log import configure

        configure(verbose, quiet=quiet_log)


@main.group(cls=_Group)
def layers() -> None:
    """Manage the zoning layers of a store (GeoPackage)."""


def _mapping_options(f):
    """--map-value, --mapping and --mapping-from (import and check)."""
    f = click.option("--mapping-from", type=click.Path(dir_okay=False),
                     help="Reuse the field and value maps recorded in this store for the same KIND.")(f)
    f = click.option("--mapping", "mapping_file", type=click.Path(dir_okay=False),
                     help="YAML file with 'fields' (schema field: source field) and 'values' maps.")(f)
    f = click.option("--map-value", "map_values", multiple=True, metavar="FIELD:SOURCE=TARGET",
                     help="Map a delivered value onto the store's (e.g. zone:一区=core); repeatable.")(f)
    return f


@layers.command("import")
@click.argument("store", type=click.Path(dir_okay=False))
@click.argument("kind", type=click.Choice(["control_units", "eco_redline", "protected_areas", "water_sources"]))
@click.argument("source")
@click.option("--layer", help="Layer of a multi-layer source (GeoPackage, zip with several shapefiles).")
@click.option("--map", "maps", multiple=True, metavar="FIELD=SRCFIELD", help="Map a schema field to a source field.")
@click.option("--encoding", help="Text encoding of the shapefile .dbf (e.g. gbk).")
@click.option("--source-crs", help="CRS of a source without .prj (e.g. EPSG:4490, EPSG:4531).")
@_mapping_options
@click.option("--lock-timeout", default=60.0, show_default=True, type=float,
              help="Seconds to wait while another process writes the store.")
def layers_import(store, kind, source, layer, maps, encoding, source_crs, map_values=(), mapping_file=None,
                  mapping_from=None, lock_timeout=60.0) -> None:
    """Import SOURCE (shapefile, .zip, GeoPackage, GeoJSON, FileGDB .gdb) as layer KIND of STORE."""
    from .importer import import_layer
    from .mapping import parse_map_options, parse_value_map_options

    report = import_layer(store, kind, source, layer=layer, mapping=parse_map_options(maps),
                          encoding=encoding, source_crs=source_crs,
                          value_maps=parse_value_map_options(map_values), mapping_file=mapping_file,
                          mapping_from=mapping_from, lock_timeout=lock_timeout)
    for line in report.lines():
        click.echo(line)


def _read_options(f):
    """--kind/--layer/--map/--encoding/--source-crs and the mapping options of a layer file (check, diff)."""
    f = _mapping_options(f)
    f = click.option("--source-crs", help="CRS of a layer file without .prj (e.g. EPSG:4490, EPSG:4531).")(f)
    f = click.option("--encoding", help="Text encoding of a shapefile .dbf (e.g. gbk).")(f)
    f = click.option("--map", "maps", multiple=True, metavar="FIELD=SRCFIELD", help="Map a schema field to a source field.")(f)
    f = click.option("--layer", help="Layer of a multi-layer source file.")(f)
    f = click.option("--kind", type=click.Choice(["control_units", "eco_redline", "protected_areas", "water_sources"]),
                     help="Kind of a layer file (default control_units); for a store, check only this kind.")(f)
    return f


def _read_kwargs(layer, maps, encoding, source_crs, map_values, mapping_file, mapping_from) -> dict:
    from .mapping import parse_map_options, parse_value_map_options

    return {"layer": layer, "mapping": parse_map_options(maps), "value_maps": parse_value_map_options(map_values),
            "mapping_file": mapping_file, "mapping_from": mapping_from, "encoding": encoding, "source_crs": source_crs}


@layers.command("check")
@click.argument("source")
@_read_options
@click.option("--redline", type=click.Path(dir_okay=False), help="Redline layer file for the redline test of a layer file.")
@click.option("--sliver-m2", type=float, default=100.0, show_default=True,
              help="Overlaps, gaps and redline parts below this area (m²) are reported as slivers.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Write the problems and statistics (JSON) here.")
@click.option("--xlsx", type=click.Path(dir_okay=False), help="Write the problems and statistics (XLSX) here.")
@click.option("--strict", is_flag=True, help="Exit 1 when any problem is found.")
def layers_check(source, kind, layer, maps, encoding, source_crs, map_values, mapping_file, mapping_from,
                 redline, sliver_m2, json_out, xlsx, strict) -> None:
    """Check SOURCE (a store or a delivered layer file) for overlaps, gaps, code errors ...; print statistics."""
    from .errors import InputError
    from .layers.check import check_layers, check_summary_lines, write_check_xlsx
    from .layers.source import load_layers

    if xlsx and not xlsx.lower().endswith(".xlsx"):
        raise InputError(f"--xlsx must end in .xlsx, got {xlsx!r}")
    if sliver_m2 < 0:
        raise InputError(f"--sliver-m2 must be 0 or more, got {sliver_m2}")
    _protect_inputs(None, source, redline, mapping_file, mapping_from)
    _check_outputs(json_out, xlsx)
    layers_ = load_layers(source, kind=kind, redline=redline,
                          **_read_kwargs(layer, maps, encoding, source_crs, map_values, mapping_file, mapping_from))
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
@_read_options
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
def layers_diff(old, new, kind, layer, maps, encoding, source_crs, map_values, mapping_file, mapping_from,
                sites, id_field, industry, industry_field, sliver_m2, json_out, xlsx, png, html_map) -> None:
    """Compare two versions OLD and NEW (stores or layer files): units, category transitions, redline, sites."""
    from .errors import InputError
    from .layers.diff import diff_layers, diff_summary_lines, site_changes, write_diff_xlsx
    from .layers.source import load_layers

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
    _protect_inputs(None, old, new, sites, mapping_file, mapping_from)
    _check_outputs(json_out, xlsx, png, html_map)
    opts = _read_kwargs(layer, maps, encoding, source_crs, map_values, mapping_file, mapping_from)
    before = load_layers(old, kind=kind, **opts)
    after = load_layers(new, kind=kind, **opts)
    if industry:
        from .rules.industry import match_industry

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
        from .layers.diff_maps import write_change_html, write_change_png

        units = after.frames["control_units"]
        if png:
            write_change_png(diff, units, png)
        if html_map:
            write_change_html(diff, units, html_map)
    for line in diff_summary_lines(diff):
        click.echo(line)


@layers.command("rebuild")
@click.argument("store", type=click.Path(dir_okay=False))
@click.option("--lock-timeout", default=60.0, show_default=True, type=float,
              help="Seconds to wait while another process writes the store.")
def layers_rebuild(store, lock_timeout) -> None:
    """Re-derive pieces, boundary lines and checksums of STORE from its layer tables as they are now.

    For a store edited by another tool (QGIS, GDAL, sqlite3): the edited
    features are checked like an import and used from then on. The access
    list is kept.
    """
    from .importer import rebuild_store

    for line in rebuild_store(store, lock_timeout=lock_timeout):
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


def _reading_options(f):
    """--layer/--encoding: the same reading options as ``gisplan read`` (for screen and batch)."""
    f = click.option("--encoding", help="Text encoding of a shapefile .dbf or CSV table (e.g. gbk).")(f)
    f = click.option("--layer", help="Layer, zip member or XLSX sheet of the site file.")(f)
    return f


def _national_major_option(f):
    """--national-major yes|no (default: unknown), as True/False/None."""
    return click.option(
        "--national-major", type=click.Choice(["yes", "no"]), default=None,
        callback=lambda _ctx, _param, value: None if value is None else value == "yes",
        help="Whether the project is a national major project (国家重大项目, 自然资发〔2022〕142号 part 二); "
             "decides mining, hydropower, nuclear and other eligible types in the redline. Default: unknown (review).",
    )(f)


def _read_for_screen(site, source_crs, layer=None, encoding=None):
    """The site read with all site options; with --dry-run, print it and exit 0."""
    from .sites import describe_site, read_site

    meta = click.get_current_context().meta.get("gisplan.site", {})
    s = read_site(site, source_crs=source_crs, layer=layer, encoding=encoding, **_arrival())
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
@_reading_options
@_arrival_options()
@click.option("--buffer", default=5000.0, show_default=True, type=float, help="Search distance (m) for nearby features.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Write the JSON report here.")
@click.option("--html-map", type=click.Path(dir_okay=False), help="Write an interactive HTML map here.")
@_basemap_options
@_report_options()
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--industry", help="Project type for the verdict: GB/T 4754 code/name or EIA catalogue category (e.g. C26, 公路).")
@_national_major_option
def screen(site, store, source_crs, radius, width, buffer, json_out, html_map, quiet, industry=None,
           national_major=None, layer=None, encoding=None, **map_opts) -> None:
    """Screen one SITE (GeoJSON, GeoPackage, shapefile/.zip, KML) against a store."""
    from .render.html_map import write_html_map
    from .report import summary_text
    from .screening import screen as run

    map_kwargs = _map_kwargs(map_opts, html_map)
    reports = _reports()
    _protect_inputs(store, site)
    _check_outputs(json_out, html_map, *(reports.get(k) for k in ("docx", "xlsx", "png", "pdf")))
    site = _read_for_screen(site, source_crs, layer, encoding)  # --cm/--towgs84/--dxf-layer; --dry-run exits here
    if industry:
        from .rules.industry import match_industry

        match_industry(industry)  # an unknown type fails before any screening
    result = run(site, store, radius=radius, width=width, buffer=buffer, industry=industry, national_major=national_major)
    if json_out:
        result.to_json(json_out)
    if html_map:
        write_html_map(result, html_map, **map_kwargs)
    if set(reports) - {"lang"}:
        from .render.eia_outputs import write_eia_outputs

        write_eia_outputs(result, **reports)
    if not quiet:  # --quiet prints nothing but errors
        click.echo(summary_text(result, lang=reports.get("lang", "zh")))


@main.command()
@click.argument("sites")
@click.option("--store", required=True, type=click.Path(dir_okay=False))
@click.option("--id-field", required=True, help="Field that identifies each site.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Output table (.csv or .gpkg).")
@_site_options
@_reading_options
@_arrival_options()
@_report_options(batch=True)
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
@click.option("--industry", help="Project type of every site (default for rows with an empty --industry-field).")
@click.option("--industry-field", help="Field holding each site's project type (code or name).")
@_national_major_option
def batch(sites, store, id_field, out, source_crs, radius, width, progress, industry=None, industry_field=None,
          national_major=None, layer=None, encoding=None) -> None:
    """Screen every feature of SITES as its own site; one row per site."""
    from .batch import screen_batch, write_batch
    from .errors import InputError

    if not out.lower().endswith((".csv", ".gpkg")):
        raise InputError(f"--out must end in .csv or .gpkg, got {out!r}")
    _protect_inputs(store, sites)
    _check_outputs(out)
    if click.get_current_context().meta.get("gisplan.site", {}).get("dry_run"):
        from .sites import describe_site_frame

        for line in describe_site_frame(sites, id_field=id_field, source_crs=source_crs, layer=layer, encoding=encoding,
                                        **_arrival()):
            click.echo(line)
        click.echo("dry run: nothing screened")
        return
    import gc

    # The application, not the library, may switch the cyclic collector off: a batch
    # allocates many short-lived geometries and none form cycles.
    gc.disable()
    table = screen_batch(sites, store, id_field=id_field, radius=radius, width=width,
                         source_crs=source_crs, progress=progress, industry=industry,
                         industry_field=industry_field, layer=layer, encoding=encoding,
                         national_major=national_major, **_arrival())
    write_batch(table, out)
    counts = table["verdict"].value_counts().to_dict()
    click.echo(f"{len(table)} site(s) screened -> {out}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    reports = _reports()
    if reports.get("report_dir"):
        from .batch_reports import write_site_reports

        written = write_site_reports(table, store, reports["report_dir"], id_field=id_field,
                                     lang=reports.get("lang", "zh"), progress=progress, national_major=national_major)
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
