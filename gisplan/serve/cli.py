"""``gisplan serve`` and ``gisplan users ...`` (added to the main command group by :mod:`gisplan.cli`).

Errors are typed (:mod:`gisplan.errors`); the main group turns them into one
line on stderr and exit code 2.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from pathlib import Path

import click

__all__ = ["serve", "users", "is_loopback"]


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address or ``localhost``."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@click.command("serve")
@click.option("--store", required=True, type=click.Path(dir_okay=False), help="The layer store (GeoPackage).")
@click.option("--data-dir", default="gisplan-data", show_default=True, type=click.Path(file_okay=False),
              help="Where the record (SQLite), uploads and reports are kept.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--users", "users_file", type=click.Path(dir_okay=False),
              help="Users file (`gisplan users add`); without it one local user, loopback only.")
@click.option("--max-upload-mb", default=50.0, show_default=True, type=click.FloatRange(0.1, 4096))
@click.option("--workers", default=None, type=click.IntRange(1, 64),
              help="Screening worker processes, each holding the store in memory and running one screening "
                   "(or report) at a time; more requests wait for a free worker (default: CPU count, at most 4).")
@click.option("--timeout", "timeout_s", default=120.0, show_default=True, type=click.FloatRange(1, 3600),
              help="Time limit of one screening (s).")
@click.option("--basemap", "basemap", default="offline", show_default=True, metavar="SOURCE",
              help="Basemap of the page, the maps and the DOCX figure: 'offline' (bundled county boundaries and "
                   "seats, no network), 'none', an XYZ/WMTS tile URL with {x} {y} {z} (天地图 with your key, an "
                   "intranet tile server), or a local .mbtiles/.pmtiles file of raster tiles that this server serves.")
@click.option("--basemap-crs", type=click.Choice(["cgcs2000", "wgs84", "gcj02"]), default=None,
              help="What the basemap's tiles are drawn in: cgcs2000 (default; also WGS84, 天地图) or gcj02 "
                   "(AMap, Tencent: the zoning is shifted on screen to line up, never in measurements).")
@click.option("--basemap-attribution", default=None, help="Credit shown for the basemap's tiles.")
def serve(store, data_dir, host, port, users_file, max_upload_mb, workers, timeout_s, basemap, basemap_crs,
          basemap_attribution) -> None:
    """Serve the reviewer's web page and HTTP API (OpenAPI at /docs) for STORE."""
    from ..errors import InputError
    from ..extras import require_extra
    from ..render.basemap import basemap_spec
    from ..store.spec import is_pg_store_url, open_store_at, shown_store

    require_extra("serve", "gisplan serve")
    if not users_file and not is_loopback(host):
        raise InputError(f"refusing to serve on {host} without --users: "
                         "anyone on the network could screen and read the record (add accounts with `gisplan users add`)")
    open_store_at(store).close()  # a missing or broken store fails here, in one line
    base = basemap_spec(basemap, "cgcs2000" if basemap_crs == "wgs84" else basemap_crs, basemap_attribution)
    import uvicorn

    from .app import ServeConfig, create_app

    workers = workers or min(4, os.cpu_count() or 1)
    config = ServeConfig(store=store if is_pg_store_url(store) else Path(store).resolve(), data_dir=Path(data_dir).resolve(),
                         users=Path(users_file) if users_file else None, max_upload_mb=max_upload_mb,
                         workers=workers, timeout_s=timeout_s, basemap=base)
    app = create_app(config)
    pool = app.state.pool
    removed = getattr(app.state, "orphans_removed", [])
    if removed:
        click.echo(f"gisplan serve: removed {len(removed)} file(s) left by screenings or reports that were killed "
                   f"({', '.join(removed[:3])}{' ...' if len(removed) > 3 else ''})", err=True)
    try:
        pool.warm()
        shown = f"[{host}]" if ":" in host else host
        mode = f"users from {users_file}" if users_file else "one local user"
        shown_base = base.kind if base.kind in ("offline", "none") else f"{Path(base.source).name if base.kind == 'file' else 'tiles'} ({base.crs})"
        click.echo(f"gisplan serve: http://{shown}:{port}/ (store {shown_store(store) if is_pg_store_url(store) else Path(store).name}, data {data_dir}, "
                   f"{workers} worker(s), {mode}, basemap {shown_base})", err=True)
        uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=True, server_header=False)
    finally:
        pool.close()
        app.state.record.close()


@click.group("users")
def users() -> None:
    """Accounts of `gisplan serve --users FILE` (argon2-hashed passwords, API tokens)."""
    from ..extras import require_extra

    require_extra("serve", "gisplan users")


@users.command("add")
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("name")
@click.option("--role", type=click.Choice(["reviewer", "admin"]), default="reviewer", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin (scripts).")
def users_add(file, name, role, password_stdin) -> None:
    """Add user NAME to FILE (or reset their password and role), prompting for the password."""
    from .auth import add_user

    password = _read_password(password_stdin)
    existed = add_user(file, name, role, password)
    click.echo(f"{name} ({role}) -> {file}" + (": password reset; their sessions and API tokens ended" if existed
                                               else ""))


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("password", hide_input=True, confirmation_prompt=True)


@users.command("passwd")
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin (scripts).")
def users_passwd(file, name, password_stdin) -> None:
    """Reset the password of NAME in FILE: their sessions end and their API tokens stop working."""
    from .auth import set_password

    set_password(file, name, _read_password(password_stdin))
    click.echo(f"{name}: password reset in {file}; their sessions and API tokens ended")


@users.command("token")
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("name")
def users_token(file, name) -> None:
    """Create an API token for NAME (send it as `Authorization: Bearer TOKEN`); printed once."""
    from .auth import add_token

    click.echo(add_token(file, name))


@users.command("list")
@click.argument("file", type=click.Path(dir_okay=False))
def users_list(file) -> None:
    """Show the users of FILE with their role and number of API tokens."""
    from ..errors import InputError
    from .auth import read_users_file

    if not Path(file).is_file():
        raise InputError(f"users file not found: {file}")
    for name, entry in sorted(read_users_file(Path(file))["users"].items()):
        click.echo(f"{name:<24} {entry.get('role', 'reviewer'):<9} {len(entry.get('tokens', []))} token(s)")


@users.command("remove")
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("name")
def users_remove(file, name) -> None:
    """Remove user NAME (and their API tokens) from FILE."""
    from .auth import remove_user

    remove_user(file, name)
    click.echo(f"{name} removed from {file}")
