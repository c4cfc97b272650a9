"""Options several commands share, as click decorators, and the helpers that take them apart.

Every option arrives as a keyword argument of the command (nothing travels
through ``ctx.meta``); ``take_*`` helpers pop a group of them out of the
command's ``**opts`` into the dict the API takes.
"""

from __future__ import annotations

import click

from ..errors import InputError
from ..vocab import KINDS as _VOCAB_KINDS

__all__ = [
    "KINDS", "site_options", "reading_options", "arrival_options", "national_major_option", "basemap_options",
    "report_basemap_option",
    "report_options", "mapping_options", "layer_file_options", "take_reading", "take_reports", "take_map",
    "take_layer_file", "lock_timeout_option", "map_raster_option", "take_map_raster", "layers_out_option",
    "project_options", "take_project",
]

KINDS = list(_VOCAB_KINDS)
_READING = ("source_crs", "layer", "encoding", "cm", "towgs84", "dxf_layer")


def _stack(f, *decorators):
    for d in reversed(decorators):
        f = d(f)
    return f


def site_options(f):
    """--radius/--width (the footprint of points and lines) and --source-crs."""
    return _stack(
        f,
        click.option("--source-crs", help="CRS of the site when the file has none (EPSG:4531, gcj02, bd09 ...)."),
        click.option("--radius", type=float, help="Disc radius (m) for a point site."),
        click.option("--width", type=float, help="Total corridor width (m) for a line site."),
    )


def reading_options(f):
    """--layer/--encoding: how a site file is read (as ``gisplan read`` takes them)."""
    return _stack(
        f,
        click.option("--layer", help="Layer, zip member or XLSX sheet of the site file."),
        click.option("--encoding", help="Text encoding of a shapefile .dbf or CSV table (e.g. gbk)."),
    )


def arrival_options(dry_run: bool = True):
    """--cm/--towgs84/--dxf-layer (and --dry-run): sites as they arrive (tables, legacy datums, DXF)."""

    def decorate(f):
        decorators = [
            click.option("--cm", type=int, help="Central meridian of GK metres without zone prefix (e.g. 126)."),
            click.option("--towgs84", metavar="DX,DY,DZ,RX,RY,RZ,S",
                         help="Bursa-Wolf parameters for a Xian 1980 / Beijing 1954 source."),
            click.option("--dxf-layer", help="DXF layer holding the site outline (default: all layers)."),
        ]
        if dry_run:
            decorators.append(click.option("--dry-run", is_flag=True,
                                           help="Print what was understood of the site(s) and exit 0 without screening."))
        return _stack(f, *decorators)

    return decorate


def take_reading(opts: dict) -> dict:
    """Pop the reading options (``source_crs``, ``layer``, ``encoding``, ``cm``, ``towgs84``, ``dxf_layer``)."""
    return {k: opts.pop(k, None) for k in _READING}


def national_major_option(f):
    """--national-major yes|no (default: unknown), as True/False/None."""
    return click.option(
        "--national-major", type=click.Choice(["yes", "no"]), default=None,
        callback=lambda _ctx, _param, value: None if value is None else value == "yes",
        help="Whether the project is a national major project (国家重大项目, 自然资发〔2022〕142号 part 二); "
             "decides mining, hydropower, nuclear and other eligible types in the redline. Default: unknown (review).",
    )(f)


def project_options(f):
    """--project-name/--builder/--project-code/--construction-nature: the project form (表1 of the report)."""
    from ..project_info import CONSTRUCTION_NATURES

    natures = ", ".join(f"{k} {v}" for k, v in CONSTRUCTION_NATURES.items())
    return _stack(
        f,
        click.option("--project-name", help="项目名称 (default: the site file's name attribute or file name)."),
        click.option("--builder", help="建设单位 (the developer)."),
        click.option("--project-code", help="项目代码 (投资项目统一代码, e.g. 2020-222403-44-01-012345); "
                                            "another shape is kept with a warning."),
        click.option("--construction-nature", metavar="NATURE",
                     help=f"建设性质: {natures} (the code or the Chinese word)."),
    )


def take_project(opts: dict) -> dict:
    """Pop the project-form options as :func:`gisplan.screen` takes them."""
    return {k: opts.pop(k, None) for k in ("project_name", "builder", "project_code", "construction_nature")}


def basemap_options(f):
    """--basemap/--basemap-crs/--basemap-attribution (every map) and --tiles/--tiles-attr/--tiles-crs (--html-map)."""
    return _stack(
        f,
        click.option("--basemap", metavar="SOURCE", default=None,
                     help="Basemap under every map written (--html-map, --png, the DOCX and PDF figure), as "
                          "`gisplan serve --basemap` takes it: offline (bundled county boundaries and seats, no "
                          "network), none or blank (default), an XYZ/WMTS tile URL with {x} {y} {z} (天地图 with your "
                          "key, an intranet tile server), a local .mbtiles/.pmtiles file of raster tiles (PNG, DOCX "
                          "and PDF only), or amap / amap-satellite (AMap 高德, GCJ-02, online)."),
        click.option("--basemap-crs", type=click.Choice(["cgcs2000", "wgs84", "gcj02"]), default=None,
                     help="What the --basemap tiles are drawn in: cgcs2000 (default; also WGS84, 天地图) or gcj02 "
                          "(AMap, Tencent: the zoning is shifted on the map to line up, never in measurements)."),
        click.option("--basemap-attribution", default=None, help="Credit shown for the --basemap tiles."),
        click.option("--tiles", help="Basemap tile URL with {x} {y} {z} and your key for --html-map, e.g. Tianditu "
                                     "(CGCS2000, drawn as is). Default: blank basemap, no network."),
        click.option("--tiles-attr", help="Attribution text for --tiles."),
        click.option("--tiles-crs", type=click.Choice(["cgcs2000", "gcj02"]),
                     help="What --tiles is drawn in: cgcs2000 (default; Tianditu 天地图) or gcj02 "
                          "(AMap/Tencent: overlays are shifted to line up)."),
    )


def report_basemap_option(f):
    """--basemap/--basemap-crs/--basemap-attribution of ``batch --report-dir`` (the PNG maps and DOCX figures)."""
    return _stack(
        f,
        click.option("--basemap", metavar="SOURCE", default=None,
                     help="With --report-dir: basemap under every report's map and DOCX figure, as `gisplan screen "
                          "--basemap` takes it (offline, none, an XYZ/WMTS tile URL, a local .mbtiles/.pmtiles file, "
                          "amap / amap-satellite)."),
        click.option("--basemap-crs", type=click.Choice(["cgcs2000", "wgs84", "gcj02"]), default=None,
                     help="What the --basemap tiles are drawn in (default cgcs2000)."),
        click.option("--basemap-attribution", default=None, help="Credit shown for the --basemap tiles."),
    )


def take_map(opts: dict, html_map, *, static: bool = False) -> tuple[dict, object]:
    """Pop the basemap options; checked before any screening.

    Parameters
    ----------
    opts : dict
        The command's options.
    html_map : path or None
        ``--html-map``.
    static : bool
        Whether a static map is written (``--png``, ``--docx`` or ``--pdf``).

    Returns
    -------
    html_kwargs : dict
        Keywords of :func:`gisplan.render.html_map.write_html_map`.
    static_basemap : BasemapSpec or None
        The basemap of the PNG map and the DOCX/PDF figure (None: none).

    Raises
    ------
    InputError
        A basemap that is none of those ``--basemap`` takes, a tile file for the
        HTML map, ``--tiles`` without ``--html-map``, or a basemap without a map.
    """
    from ..render.basemap import BASEMAP_PRESETS, BasemapSpec, basemap_spec, resolve_basemap

    value, crs, credit = opts.pop("basemap", None), opts.pop("basemap_crs", None), opts.pop("basemap_attribution", None)
    kwargs = {"tiles": opts.pop("tiles", None), "attribution": opts.pop("tiles_attr", None),
              "tiles_crs": opts.pop("tiles_crs", None)}
    if any(v is not None for v in kwargs.values()) and not html_map:
        raise InputError("--tiles/--tiles-attr/--tiles-crs need --html-map")
    if value is None:
        if crs is not None or credit is not None:
            raise InputError("--basemap-crs/--basemap-attribution need --basemap (a tile URL or file)")
        resolve_basemap(**kwargs)
        return kwargs, None
    if not (html_map or static):
        raise InputError("--basemap needs a map to draw it under: --html-map, --png, --docx or --pdf")
    name = value.strip().lower()
    if name in BASEMAP_PRESETS:  # blank, or AMap's online tiles (GCJ-02)
        if crs is not None:
            raise InputError(f"--basemap {name} says what it is drawn in: leave out --basemap-crs")
        html_kwargs = dict(kwargs, basemap=name, attribution=kwargs["attribution"] or credit)
        resolve_basemap(**html_kwargs)
        preset = BASEMAP_PRESETS[name]
        static_basemap = None if preset is None else BasemapSpec("url", preset.url, preset.crs, credit or preset.name,
                                                                 preset.subdomains)
        return html_kwargs, static_basemap
    if kwargs["tiles"] is not None:
        raise InputError("give either --basemap or --tiles, not both")
    is_url = name.startswith(("http://", "https://"))
    if not is_url and name not in ("offline", "none") and not name.endswith((".mbtiles", ".pmtiles")):
        raise InputError(f"unknown basemap {value!r}: give offline, none, amap, amap-satellite, an http(s) tile URL "
                         "with {x} {y} {z}, or an .mbtiles/.pmtiles file")
    try:
        spec = basemap_spec(value, "cgcs2000" if crs == "wgs84" else crs, credit)
    except InputError as exc:  # the library names its parameter `tiles`; here it is --basemap
        raise InputError(str(exc).replace("`tiles` URL", "--basemap URL").replace("`tiles`", "--basemap")) from None
    if spec.kind == "file" and html_map:
        raise InputError("an HTML map file cannot carry the tiles of an .mbtiles/.pmtiles basemap (only `gisplan "
                         "serve` serves them): give --basemap offline or a tile URL with --html-map")
    return {"basemap": spec}, (None if spec.kind == "none" else spec)


_OUTPUTS = (("docx", "EIA report section (DOCX)"), ("xlsx", "report tables (XLSX)"),
            ("png", "static map (PNG, 300 dpi)"), ("pdf", "whole report (PDF, the DOCX's content, fonts embedded)"))


def report_options(batch: bool = False):
    """--docx/--xlsx/--png/--pdf (screen) or --report-dir (batch), and --lang."""

    def decorate(f):
        decorators = [click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
                                   help="Language of the DOCX/PDF/XLSX reports and maps.")]
        if batch:
            decorators.append(click.option("--report-dir", type=click.Path(file_okay=False),
                                           help="Write one DOCX report and one PNG map per site into this folder."))
        else:
            decorators += [click.option(f"--{name}", type=click.Path(dir_okay=False), help=f"Write the {what} here.")
                           for name, what in _OUTPUTS]
        return _stack(f, *decorators)

    return decorate


def take_reports(opts: dict) -> dict:
    """Pop the report options given (and ``lang``), their suffixes checked before any screening."""
    out = {k: opts.pop(k, None) for k in ("docx", "xlsx", "png", "pdf", "report_dir")}
    out = {k: v for k, v in out.items() if v}
    for key in ("docx", "xlsx", "png", "pdf"):
        if key in out and not str(out[key]).lower().endswith(f".{key}"):
            raise InputError(f"--{key} must end in .{key}, got {out[key]!r}")
    out["lang"] = opts.pop("lang", "zh") or "zh"
    return out


def mapping_options(f):
    """--map-value, --mapping and --mapping-from (layer import and check)."""
    return _stack(
        f,
        click.option("--map-value", "map_values", multiple=True, metavar="FIELD:SOURCE=TARGET",
                     help="Map a delivered value onto the store's (e.g. zone:一区=core); repeatable."),
        click.option("--mapping", "mapping_file", type=click.Path(dir_okay=False),
                     help="YAML file with 'fields' (schema field: source field) and 'values' maps."),
        click.option("--mapping-from", type=click.Path(dir_okay=False),
                     help="Reuse the field and value maps recorded in this store for the same KIND."),
    )


def layer_file_options(f):
    """--kind/--layer/--map/--encoding/--source-crs and the mapping options of a layer file (check, diff)."""
    return _stack(
        f,
        click.option("--kind", type=click.Choice(KINDS),
                     help="Kind of a layer file (default control_units); for a store, check only this kind."),
        click.option("--layer", help="Layer of a multi-layer source file."),
        click.option("--map", "maps", multiple=True, metavar="FIELD=SRCFIELD", help="Map a schema field to a source field."),
        click.option("--encoding", help="Text encoding of a shapefile .dbf (e.g. gbk)."),
        click.option("--source-crs", help="CRS of a layer file without .prj (e.g. EPSG:4490, EPSG:4531)."),
        mapping_options,
    )


def take_layer_file(opts: dict) -> dict:
    """Pop the layer-file options into the keyword arguments of :func:`gisplan.layers.source.load_layers`."""
    from ..mapping import parse_map_options, parse_value_map_options

    return {"layer": opts.pop("layer", None), "mapping": parse_map_options(opts.pop("maps", ())),
            "value_maps": parse_value_map_options(opts.pop("map_values", ())),
            "mapping_file": opts.pop("mapping_file", None), "mapping_from": opts.pop("mapping_from", None),
            "encoding": opts.pop("encoding", None), "source_crs": opts.pop("source_crs", None)}


def lock_timeout_option(f):
    """--lock-timeout for commands that write a store."""
    return click.option("--lock-timeout", default=60.0, show_default=True, type=float,
                        help="Seconds to wait while another process writes the store.")(f)


def map_raster_option(f):
    """--map-raster NAME: a raster of the store drawn under the zoning of the maps."""
    return click.option("--map-raster", metavar="NAME",
                        help="Draw the store's raster NAME (e.g. landcover_demo; see `gisplan layers list`) under the "
                             "zoning of the --png/--pdf/--docx and --html-map maps. Default: no raster.")(f)


def take_map_raster(opts: dict, store, maps: dict) -> str | None:
    """Pop ``map_raster``; refused without a map output or when the store has no such raster (before screening).

    ``maps`` holds the map outputs asked for (``png``, ``pdf``, ``docx``, ``html_map``).
    """
    from pathlib import Path

    name = opts.pop("map_raster", None)
    if name is None:
        return None
    if not any(maps.values()):
        raise InputError("--map-raster needs a map: --png, --pdf, --docx or --html-map")
    if Path(store).is_file():  # a missing store is reported by the screening itself
        from ..render.raster_underlay import check_raster_name

        check_raster_name(store, name)
    return name


def layers_out_option(f):
    """--layers-out FILE: the overlay as GIS/CAD layers (format from the suffix)."""
    return click.option("--layers-out", type=click.Path(), metavar="FILE",
                        help="Write the overlay as layers (site, pieces, crossings, nearby, store_context): "
                             ".gpkg (QGIS styles), .shp.zip, .gdb (FileGDB), .kmz (Google Earth, 奥维) or .dxf (CAD, "
                             "Gauss-Kruger metres).")(f)
