"""A throwaway PostgreSQL + PostGIS server for tests and benchmarks (never for production).

``with pg_cluster() as url:`` runs ``initdb`` in a fresh temporary folder, starts the server
on a free loopback port with trust authentication (as user ``postgres`` when running as
root, since PostgreSQL refuses to run as root), creates database ``gis`` with the postgis
extension, yields its ``postgresql://`` URL and always stops the server and deletes the
folder. Server binaries come from Debian's ``postgresql-15-postgis-3``
(``tools/bootstrap.sh --test``); ``GISPLAN_PG_BIN`` overrides their folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

PG_BIN = Path(os.environ.get("GISPLAN_PG_BIN", "/usr/lib/postgresql/15/bin"))


class PgUnavailable(RuntimeError):
    """The PostgreSQL server binaries are not installed."""


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def available() -> bool:
    """True when ``initdb`` and ``pg_ctl`` are installed in :data:`PG_BIN`."""
    return (PG_BIN / "initdb").exists() and (PG_BIN / "pg_ctl").exists()


def missing_message() -> str:
    return (f"PostgreSQL server binaries missing in {PG_BIN}: "
            "install postgresql-15-postgis-3 (tools/bootstrap.sh --test)")


@contextlib.contextmanager
def pg_cluster(database: str = "gis") -> Iterator[str]:
    """Start a throwaway server; yield ``postgresql://postgres@127.0.0.1:PORT/<database>``."""
    import psycopg

    if not available():
        raise PgUnavailable(missing_message())
    folder = Path(tempfile.mkdtemp(prefix="gisplan-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data, port = folder / "data", free_port()
    run = dict(check=True, capture_output=True, timeout=60)
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off -c full_page_writes=off"
    try:
        subprocess.run(_as_server_user([str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                                        "-E", "UTF8", "--no-locale"]), **run)
        subprocess.run(_as_server_user([str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", opts, "-w", "-t", "30",
                                        "-l", str(folder / "log"), "start"]), **run)
        with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres",
                             autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        url = f"postgresql://postgres@127.0.0.1:{port}/{database}"
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            conn.execute("CREATE EXTENSION postgis")
        yield url
    finally:
        subprocess.run(_as_server_user([str(PG_BIN / "pg_ctl"), "-D", str(data), "stop", "-m", "immediate"]),
                       capture_output=True, timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
