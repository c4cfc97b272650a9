"""Read a zoning layer straight from a PostGIS table.

Provinces often deliver their layers as PostGIS tables rather than files, and the
GDAL in the pyogrio wheels has no PostgreSQL driver, so the table is read with
psycopg 3: the attribute columns and ``ST_AsBinary`` of the geometry column, with
the CRS from the column's SRID. The result is a :class:`gisplan.io.vector.VectorData`
so that the import and check paths continue unchanged.

Safety:

- the table name is looked up in the catalogue with query parameters and then
  quoted with :class:`psycopg.sql.Identifier`; names other than plain
  ``schema.table`` identifiers are refused;
- the session is read-only with a statement timeout and a connect timeout;
- every failure is a one-line :class:`gisplan.errors.InputError` that never
  shows the password (removed from the source as shown and from any message).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal

import geopandas as gpd
import pandas as pd
import shapely

from ..errors import InputError
from .vector import VectorData

__all__ = ["is_postgis_source", "read_postgis_layer", "redact_source", "PostGISData"]

#: Seconds a connection attempt and one statement may take.
CONNECT_TIMEOUT_S = 10
STATEMENT_TIMEOUT_MS = 120_000

_URL_PREFIXES = ("postgresql://", "postgres://")
_PG_PREFIX = "pg:"
#: schema.table or table, optionally ``(geometry_column)`` as GDAL writes it; letters (also Chinese), digits, _ and $.
_NAME = r"[^\W\d]\w*"
_LAYER_RE = re.compile(rf"^(?:({_NAME})\.)?({_NAME})(?:\(({_NAME})\))?$")
_URL_PASSWORD = re.compile(r"(://[^/?#@:]*):[^/?#@]*@")
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)
_KV_PASSWORD = re.compile(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S*)", re.IGNORECASE)


@dataclass
class PostGISData(VectorData):
    """A PostGIS table read into memory; ``path`` is the source without password.

    Attributes
    ----------
    sha256 : str
        Checksum of the rows read (attributes and WKB, independent of row order).
    """

    sha256: str = ""


def is_postgis_source(text: object) -> bool:
    """Whether ``text`` names a PostGIS database (``PG:...`` or ``postgresql://...``).

    Parameters
    ----------
    text : object
        A source as given on the command line (a path-like is never a database).

    Returns
    -------
    bool
    """
    if not isinstance(text, str):
        return False
    low = text.strip().lower()
    return low.startswith(_PG_PREFIX) or low.startswith(_URL_PREFIXES)


def redact_source(text: str) -> str:
    """The source ``text`` with any password removed, for messages and the store's meta.

    Examples
    --------
    >>> redact_source("postgresql://gis:secret@db:5432/gis")
    'postgresql://gis@db:5432/gis'
    >>> redact_source("PG:host=db password='s e' dbname=gis")
    'PG:host=db password=*** dbname=gis'
    """
    out = _URL_PASSWORD.sub(r"\1@", text)
    out = _QUERY_PASSWORD.sub(r"\1***", out)
    return _KV_PASSWORD.sub(r"\1***", out)


def read_postgis_layer(source: str, layer: str | None, source_crs: str | None = None) -> PostGISData:
    """Read table ``layer`` of the PostGIS database ``source``.

    Parameters
    ----------
    source : str
        ``PG:host=... port=... dbname=... user=...`` (GDAL style) or a
        ``postgresql://user@host:port/db`` URL.
    layer : str
        ``schema.table`` or ``table`` (on the search path); ``table(column)``
        picks one of several geometry columns.
    source_crs : str, optional
        The CRS given by the user; needed when the geometries have SRID 0.

    Returns
    -------
    PostGISData
        The features with the CRS of the column's SRID (None for SRID 0).

    Raises
    ------
    InputError
        Bad layer name, cannot connect, no such table, no or several geometry
        columns, mixed SRIDs, SRID 0 without ``source_crs``, unknown SRID, any
        database error. The message never holds the password.
    """
    from ..extras import require_extra

    require_extra("postgis", "reading a PostGIS table (PG:... or postgresql://...)")
    shown = redact_source(source)
    schema, table, column = _parse_layer(layer, shown)
    conninfo = _conninfo(source, shown)
    password = str(conninfo.get("password") or "")
    try:
        return _read(conninfo, shown, schema, table, column, source_crs)
    except InputError as exc:
        raise InputError(_scrub(str(exc), password)) from None
    except Exception as exc:  # psycopg.Error and anything the driver raises: one line, no password
        import psycopg

        if not isinstance(exc, psycopg.Error):
            raise
        raise InputError(_scrub(f"{shown}: {_first_line(exc)}", password)) from None


# --------------------------------------------------------------------------- parsing


def _parse_layer(layer: str | None, shown: str) -> tuple[str | None, str, str | None]:
    if not layer:
        raise InputError(f"{shown}: give the table with `layer` schema.table")
    match = _LAYER_RE.match(layer.strip())
    if match is None:
        raise InputError(f"bad `layer` {layer!r}: give schema.table (letters, digits and _ only)")
    return match.group(1), match.group(2), match.group(3)


def _conninfo(source: str, shown: str) -> dict[str, str]:
    from psycopg.conninfo import conninfo_to_dict

    text = source.strip()
    if text.lower().startswith(_PG_PREFIX):
        text = text[len(_PG_PREFIX):].strip()
    try:
        params = {k: str(v) for k, v in conninfo_to_dict(text).items() if v is not None}
    except Exception as exc:  # psycopg.ProgrammingError on bad syntax
        password = _password_guess(source)
        raise InputError(_scrub(f"bad PostGIS connection string {shown}: {_first_line(exc)}", password)) from None
    params.setdefault("connect_timeout", str(CONNECT_TIMEOUT_S))
    timeout = f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
    params["options"] = f"{params['options']} {timeout}" if params.get("options") else timeout
    params["client_encoding"] = "UTF8"
    return params


def _password_guess(source: str) -> str:
    """The password of a source libpq could not parse, to keep it out of the message."""
    url = re.search(r"://[^/?#@:]*:([^/?#@]*)@", source)
    if url:
        return url.group(1)
    kv = _KV_PASSWORD.search(source)
    return kv.group(2).strip("'") if kv else ""


def _scrub(message: str, password: str) -> str:
    """``message`` without the password (the source in it is already redacted)."""
    if password:
        message = message.replace(password, "***")
    return message


def _first_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


# --------------------------------------------------------------------------- reading


def _read(conninfo: dict[str, str], shown: str, schema: str | None, table: str, column: str | None,
          source_crs: str | None) -> PostGISData:
    import psycopg

    try:
        conn = psycopg.connect(**conninfo)
    except psycopg.OperationalError as exc:
        raise InputError(f"cannot connect to {shown}: {_first_line(exc)}") from None
    with conn:
        conn.read_only = True
        with conn.cursor() as cur:
            schema, table = _find_table(cur, shown, schema, table)
            name = f"{schema}.{table}"
            geom, attrs = _columns(cur, shown, name, column)
            srid = _srid(cur, shown, name, schema, table, geom)
            crs = _crs(cur, shown, name, srid, source_crs)
            frame, digest = _fetch(cur, schema, table, geom, attrs, crs)
    if len(frame) == 0:
        raise InputError(f"{shown}: table {name} has no rows")
    return PostGISData(frame, "PostGIS", "UTF-8", name, [], shown, None, sha256=digest)


def _find_table(cur, shown: str, schema: str | None, table: str) -> tuple[str, str]:
    """The catalogue's spelling of the table: exact name first, then folded to lower case as SQL would."""
    query = (
        "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'v', 'm', 'f', 'p') AND c.relname = %(t)s "
        "AND ((%(s)s::text IS NULL AND pg_catalog.pg_table_is_visible(c.oid)) OR n.nspname = %(s)s)"
    )
    for s, t in ((schema, table), (schema.lower() if schema else None, table.lower())):
        cur.execute(query, {"s": s, "t": t})
        row = cur.fetchone()
        if row is not None:
            return row[0], row[1]
    wanted = f"{schema}.{table}" if schema else table
    cur.execute(query.replace("c.relname = %(t)s", "lower(c.relname) = lower(%(t)s)")
                .replace("n.nspname = %(s)s", "lower(n.nspname) = lower(%(s)s)"), {"s": schema, "t": table})
    rows = cur.fetchall()
    if len(rows) == 1:  # one table whose name differs only in case (created with quotes, as GDAL does)
        return rows[0][0], rows[0][1]
    raise InputError(f"{shown}: no table {wanted} (give `layer` schema.table)")


def _columns(cur, shown: str, name: str, column: str | None) -> tuple[str, list[str]]:
    cur.execute(
        "SELECT a.attname, t.typname FROM pg_catalog.pg_attribute a "
        "JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
        "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        (_regclass(name),),
    )
    cols = cur.fetchall()
    geoms = [c for c, t in cols if t == "geometry"]
    if column is not None:
        if column not in geoms:
            raise InputError(f"{shown}: {name} has no geometry column {column!r} (geometry columns: {', '.join(geoms) or 'none'})")
        geoms = [column]
    if not geoms:
        raise InputError(f"{shown}: {name} has no geometry column (PostGIS type geometry)")
    if len(geoms) > 1:
        raise InputError(f"{shown}: {name} has several geometry columns ({', '.join(geoms)}); give `layer` {name}(column)")
    skipped = {"geometry", "geography", "raster", "bytea"}
    return geoms[0], [c for c, t in cols if t not in skipped]


def _regclass(name: str) -> str:
    from psycopg import sql

    schema, table = name.split(".", 1)
    return sql.Identifier(schema, table).as_string(None)


def _srid(cur, shown: str, name: str, schema: str, table: str, geom: str) -> int:
    from psycopg import sql

    cur.execute(
        "SELECT srid FROM geometry_columns WHERE f_table_schema = %s AND f_table_name = %s AND f_geometry_column = %s",
        (schema, table, geom),
    )
    row = cur.fetchone()
    if row is not None and row[0]:
        return int(row[0])
    cur.execute(sql.SQL("SELECT DISTINCT ST_SRID({g}) FROM {s}.{t} WHERE {g} IS NOT NULL LIMIT 3").format(
        g=sql.Identifier(geom), s=sql.Identifier(schema), t=sql.Identifier(table)))
    srids = sorted(int(r[0]) for r in cur.fetchall())
    if len(srids) > 1:
        raise InputError(f"{shown}: {name}.{geom} mixes SRIDs {', '.join(map(str, srids))}; deliver one CRS per table")
    return srids[0] if srids else 0


def _crs(cur, shown: str, name: str, srid: int, source_crs: str | None):
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    if srid == 0:
        if not source_crs:
            raise InputError(f"{shown}: {name} has SRID 0 (no coordinate system); pass `source_crs`, e.g. EPSG:4490 or EPSG:4531")
        return None
    cur.execute("SELECT auth_name, auth_srid, srtext FROM spatial_ref_sys WHERE srid = %s", (srid,))
    row = cur.fetchone()
    if row is None:
        raise InputError(f"{shown}: {name} has SRID {srid}, unknown to the database's spatial_ref_sys; pass `source_crs`")
    auth, code, wkt = row
    try:
        if str(auth or "").upper() == "EPSG" and code:
            return CRS.from_epsg(int(code))
        return CRS.from_wkt(wkt)
    except CRSError:
        raise InputError(f"{shown}: {name} has SRID {srid}, which pyproj does not know; pass `source_crs`") from None


def _fetch(cur, schema: str, table: str, geom: str, attrs: list[str], crs) -> tuple[gpd.GeoDataFrame, str]:
    from psycopg import sql

    fields = [sql.Identifier(a) for a in attrs] + [sql.SQL("ST_AsBinary({g})").format(g=sql.Identifier(geom))]
    cur.execute(sql.SQL("SELECT {f} FROM {s}.{t}").format(
        f=sql.SQL(", ").join(fields), s=sql.Identifier(schema), t=sql.Identifier(table)))
    rows = cur.fetchall()
    wkb = [bytes(r[-1]) if r[-1] is not None else None for r in rows]
    try:
        geometries = shapely.from_wkb(wkb)
    except shapely.errors.GEOSException as exc:
        raise InputError(f"{schema}.{table}.{geom}: unreadable geometry ({_first_line(exc)})") from None
    values = pd.DataFrame([[_plain(v) for v in r[:-1]] for r in rows], columns=attrs)
    digest = hashlib.sha256()
    for h in sorted(hashlib.sha256(repr(r[:-1]).encode() + (w or b"")).digest() for r, w in zip(rows, wkb)):
        digest.update(h)
    return gpd.GeoDataFrame(values, geometry=list(geometries), crs=crs), digest.hexdigest()


def _plain(value: object) -> object:
    """Numbers as float rather than Decimal (numeric columns), everything else as read."""
    return float(value) if isinstance(value, Decimal) else value

