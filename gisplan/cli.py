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
@click.option("--source-crs", help="CRS of a source without .prj (e.g. EPSG:4490, EPSG:4528).")
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
    f = click.option("--source-crs", help="CRS of the site when the file has none (e.g. EPSG:4528).")(f)
    f = click.option("--radius", type=float, help="Disc radius (m) for a point site.")(f)
    f = click.option("--width", type=float, help="Total corridor width (m) for a line site.")(f)
    return f


@main.command()
@click.argument("site")
@click.option("--store", required=True, type=click.Path(dir_okay=False), help="The layer store (GeoPackage).")
@_site_options
@click.option("--buffer", default=5000.0, show_default=True, type=float, help="Search distance (m) for nearby features.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Write the JSON report here.")
@click.option("--html-map", type=click.Path(dir_okay=False), help="Write an interactive HTML map here.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def screen(site, store, source_crs, radius, width, buffer, json_out, html_map, quiet) -> None:
    """Screen one SITE (GeoJSON, GeoPackage, shapefile/.zip, KML) against a store."""
    from .render.html_map import write_html_map
    from .report import summary_text
    from .screening import screen as run

    result = run(site, store, radius=radius, width=width, buffer=buffer, source_crs=source_crs)
    if json_out:
        result.to_json(json_out)
    if html_map:
        write_html_map(result, html_map)
    if not quiet:
        click.echo(summary_text(result))
    if not json_out and quiet:
        click.echo(result.to_json())


@main.command()
@click.argument("sites")
@click.option("--store", required=True, type=click.Path(dir_okay=False))
@click.option("--id-field", required=True, help="Field that identifies each site.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Output table (.csv or .gpkg).")
@_site_options
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
def batch(sites, store, id_field, out, source_crs, radius, width, progress) -> None:
    """Screen every feature of SITES as its own site; one row per site."""
    from .batch import screen_batch, write_batch
    from .errors import InputError

    if not out.lower().endswith((".csv", ".gpkg")):
        raise InputError(f"--out must end in .csv or .gpkg, got {out!r}")
    table = screen_batch(sites, store, id_field=id_field, radius=radius, width=width,
                         source_crs=source_crs, progress=progress)
    write_batch(table, out)
    counts = table["verdict"].value_counts().to_dict()
    click.echo(f"{len(table)} site(s) screened -> {out}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


@main.command()
@click.option("--store", default="layers/demo_yanbian.gpkg", show_default=True, type=click.Path(dir_okay=False))
@click.option("--out-dir", default="maps", show_default=True, type=click.Path(file_okay=False))
@click.option("--data-dir", default=None, type=click.Path(file_okay=False), help="Bundled data folder (default: the repository's data/).")
def demo(store, out_dir, data_dir) -> None:
    """Build the synthetic Yanbian demo store and screen the bundled sample sites."""
    from .demo import run_demo

    for line in run_demo(Path(store), Path(out_dir), Path(data_dir) if data_dir else None):
        click.echo(line)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
