"""Import layers straight from PostGIS (issue 12), against a throwaway PostgreSQL + PostGIS server.

The session fixture starts its own server (initdb in a temporary folder, a free loopback
port, trust authentication) and always stops it. Without the server binaries the tests
skip on a workstation and FAIL in CI (``CI`` set), so CI never passes them silently.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import psycopg
import pytest
import shapely
from conftest import UNITS, geod_area, write_sources
from pyproj import Transformer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import pg_cluster  # noqa: E402  (the session fixture pg_server is in conftest.py)


def _url(port: int) -> str:
    return f"postgresql://postgres@127.0.0.1:{port}/gis"


_free_port = pg_cluster.free_port


def _pg_string(port: int) -> str:
    return f"PG:host=127.0.0.1 port={port} dbname=gis user=postgres"


def _load(conn, table: str, frame: gpd.GeoDataFrame, srid: int) -> None:
    """Write ``frame`` as table ``table`` (schema.name) with ST_GeomFromWKB(.., srid), as a province would."""
    from psycopg import sql

    schema, name = table.split(".")
    ident = sql.Identifier(schema, name)
    fields = [c for c in frame.columns if c != frame.geometry.name]
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(ident))
    conn.execute(sql.SQL("CREATE TABLE {} (gid serial PRIMARY KEY, {}, geom geometry)").format(
        ident, sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(f)) for f in fields)))
    insert = sql.SQL("INSERT INTO {} ({}, geom) VALUES ({}, ST_GeomFromWKB(%s, {}))").format(
        ident, sql.SQL(", ").join(map(sql.Identifier, fields)), sql.SQL(", ").join(sql.Placeholder() * len(fields)),
        sql.Literal(srid))
    for row, geom in zip(frame[fields].itertuples(index=False), frame.geometry):
        conn.execute(insert, [*row, shapely.to_wkb(geom)])


@pytest.fixture(scope="session")
def pg_tables(pg_server, tmp_path_factory):
    """The fixture units as zoning.units (SRID 4490) and zoning.units_gk (SRID 4531), and the GeoJSON delivery."""
    sources = write_sources(tmp_path_factory.mktemp("pg_src"))
    units = gpd.read_file(sources["control_units"])
    gk = units.to_crs("EPSG:4531")  # CGCS2000 3-degree GK zone 43, false easting with the zone prefix
    with psycopg.connect(_url(pg_server), autocommit=True, connect_timeout=10) as conn:
        _load(conn, "zoning.units", units, 4490)
        _load(conn, "zoning.units_gk", gk, 4531)
        _load(conn, "zoning.units_nosrid", units, 0)
    return pg_server, sources


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gisplan.cli", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PGPASSWORD": "", "PGCONNECT_TIMEOUT": "5"})


def _areas(store: Path) -> dict[str, float]:
    from gisplan.store.gpkg import Store

    frame = Store(store).read("control_units")
    return dict(zip(frame["code"], frame["area_m2"]))


def _geoms(store: Path) -> dict[str, object]:
    from gisplan.store.gpkg import Store

    frame = Store(store).read("control_units")
    return dict(zip(frame["code"], frame.geometry))


@pytest.fixture(scope="session")
def geojson_store(pg_tables, tmp_path_factory) -> Path:
    from gisplan.importer import import_layer

    store = tmp_path_factory.mktemp("pg_ref") / "ref.gpkg"
    import_layer(store, "control_units", pg_tables[1]["control_units"])
    return store


@pytest.mark.parametrize("form", ["url", "pg"])
def test_import_from_postgis_matches_geojson_and_geod(pg_tables, geojson_store, tmp_path, form):
    port, _ = pg_tables
    source = _url(port) if form == "url" else _pg_string(port)
    store = tmp_path / "s.gpkg"
    result = _cli("layers", "import", str(store), "control_units", source, "--layer", "zoning.units")
    assert result.returncode == 0, result.stderr
    assert "imported 3 control_units feature(s)" in result.stdout
    got, ref = _areas(store), _areas(geojson_store)
    assert set(got) == set(UNITS) == set(ref)
    for code, (_name, _cat, box) in UNITS.items():
        assert got[code] == pytest.approx(ref[code], rel=1e-9)
        assert got[code] == pytest.approx(geod_area(box), rel=2e-6)
    from gisplan.store.gpkg import Store

    frame = Store(store).read("control_units")
    assert set(frame["name"]) == {v[0] for v in UNITS.values()}  # Chinese text intact
    meta = Store(store).meta().set_index("kind").loc["control_units"]
    assert "127.0.0.1" in meta["source"] and meta["source_layer"] == "zoning.units"
    assert len(str(meta["source_sha256"])) == 64


def test_gk_table_with_zone_prefix_is_reprojected(pg_tables, tmp_path):
    port, _ = pg_tables
    store = tmp_path / "gk.gpkg"
    result = _cli("layers", "import", str(store), "control_units", _url(port), "--layer", "zoning.units_gk")
    assert result.returncode == 0, result.stderr
    assert "4531" in result.stdout
    geoms = _geoms(store)
    for code, (_name, _cat, box) in UNITS.items():
        # back in lon/lat: the outline comes back within 1e-7 degrees (about a centimetre)
        assert shapely.hausdorff_distance(geoms[code], box) < 1e-7
        assert _areas(store)[code] == pytest.approx(geod_area(box), rel=2e-6)
    # independent check that the table really held zone-43 coordinates with the 43 prefix
    x, _y = Transformer.from_crs(4490, 4531, always_xy=True).transform(129.45, 42.9)
    assert 43_000_000 < x < 44_000_000


def test_check_reads_a_postgis_table(pg_tables, tmp_path):
    port, _ = pg_tables
    source = _pg_string(port) + " password=chk-Secret9"
    out = tmp_path / "check.json"
    result = _cli("layers", "check", source, "--layer", "zoning.units", "--kind", "control_units", "--json", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"PG:host=127.0.0.1 port={port} dbname=gis user=postgres password=***")
    assert "chk-Secret9" not in result.stdout + out.read_text(encoding="utf-8")
    assert "not checked: overlap" not in result.stdout  # the units were read as control units


def test_srid_zero_needs_source_crs(pg_tables, tmp_path):
    port, _ = pg_tables
    store = tmp_path / "z.gpkg"
    result = _cli("layers", "import", str(store), "control_units", _url(port), "--layer", "zoning.units_nosrid")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "SRID 0" in result.stderr
    result = _cli("layers", "import", str(store), "control_units", _url(port), "--layer", "zoning.units_nosrid",
                  "--source-crs", "EPSG:4490")
    assert result.returncode == 0, result.stderr
    for code, (_name, _cat, box) in UNITS.items():
        assert _areas(store)[code] == pytest.approx(geod_area(box), rel=2e-6)


def test_wrong_table_is_one_line(pg_tables, tmp_path):
    port, _ = pg_tables
    result = _cli("layers", "import", str(tmp_path / "w.gpkg"), "control_units", _url(port), "--layer", "zoning.nope")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no table zoning.nope" in lines[0]
    assert not (tmp_path / "w.gpkg").exists()  # refused before a store was created


@pytest.mark.parametrize("layer", ["zoning.units; DROP TABLE zoning.units", 'zoning."units"', "a.b.c", "units--"])
def test_injection_like_layer_is_refused(pg_tables, tmp_path, layer):
    port, _ = pg_tables
    result = _cli("layers", "import", str(tmp_path / "i.gpkg"), "control_units", _url(port), "--layer", layer)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "bad --layer" in result.stderr
    with psycopg.connect(_url(port), connect_timeout=10) as conn:  # the table is still there
        assert conn.execute("SELECT count(*) FROM zoning.units").fetchone()[0] == 3


def test_password_never_shown_or_recorded(pg_tables, tmp_path):
    port, _ = pg_tables
    secret = "s3cr3t-Pw"
    # trust auth accepts any password: the import works and the store must not record it
    store = tmp_path / "p.gpkg"
    result = _cli("layers", "import", str(store), "control_units",
                  f"postgresql://postgres:{secret}@127.0.0.1:{port}/gis", "--layer", "zoning.units")
    assert result.returncode == 0, result.stderr
    assert secret not in result.stdout + result.stderr
    from gisplan.store.gpkg import Store

    meta = Store(store).meta()
    assert secret not in meta.to_csv()
    # errors: wrong table, unreachable server, both URL and PG: forms
    closed = _free_port()
    for source, layer in ((f"postgresql://postgres:{secret}@127.0.0.1:{port}/gis", "zoning.nope"),
                          (f"PG:host=127.0.0.1 port={port} dbname=gis user=postgres password={secret}", "zoning.nope"),
                          (f"postgresql://postgres:{secret}@127.0.0.1:{closed}/gis", "zoning.units"),
                          (f"PG:host=127.0.0.1 port={closed} dbname=gis user=postgres password='{secret}'", "zoning.units")):
        result = _cli("layers", "import", str(tmp_path / "e.gpkg"), "control_units", source, "--layer", layer)
        assert result.returncode == 2, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert secret not in result.stderr and secret not in result.stdout


def test_no_geometry_column_and_no_layer(pg_tables, tmp_path):
    port, _ = pg_tables
    with psycopg.connect(_url(port), autocommit=True, connect_timeout=10) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS zoning.plain (code text)")
    result = _cli("layers", "import", str(tmp_path / "n.gpkg"), "control_units", _url(port), "--layer", "zoning.plain")
    assert result.returncode == 2 and "no geometry column" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    result = _cli("layers", "import", str(tmp_path / "n.gpkg"), "control_units", _url(port))
    assert result.returncode == 2 and "--layer" in result.stderr


def test_redaction_and_detection():
    from gisplan.io.postgis import is_postgis_source, redact_source

    assert is_postgis_source("PG:host=x") and is_postgis_source("postgresql://u@h/db")
    assert not is_postgis_source("units.shp") and not is_postgis_source(Path("PG:host=x"))
    assert "pw" not in redact_source("postgresql://u:pw@h:5432/db?password=pw")
    assert "pw9" not in redact_source("PG:host=h password = pw9 user=u")
    assert "p w" not in redact_source("PG:host=h password='p w' user=u")
