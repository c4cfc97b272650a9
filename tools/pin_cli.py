"""Write the contract pins of tests/test_contract_pins.py: what a user or a script of today relies on.

    python tools/pin_cli.py            # all three pins
    python tools/pin_cli.py cli json   # only some of them (cli, json, batch)

- ``tests/pins/cli_options.json``: every command of the ``gisplan`` tree (walked through click, so a
  new command or option cannot be missed) -> its arguments and its option names, each with whether it
  takes a value, is repeatable, is required and its choices.
- ``tests/pins/json_keys.json``: every top-level and nested key of ``gisplan screen --json`` (the same
  document as ``ScreeningResult.to_dict()``) with the JSON types of its values, for five demo sites: one
  inside the control units (with the whole project form), one partly outside them, one wholly outside
  (exit code 3), a line (crossings) and a point. ``a.b[].c`` is key ``c`` of the items of list ``b``.
  Values are not pinned (figures are tested elsewhere); types are.
- ``tests/pins/batch_columns.json``: the columns of ``gisplan batch`` in order: the CSV header (with and
  without ``--raster-stats``), the GeoPackage's layer, fields and field types, the GeoParquet's columns
  and types.

Run it only for a deliberate change of the contract (a key, column or option added, renamed or removed),
and say so in the commit message and in README/docs: the pins exist so that no such change slips in
unnoticed. The test imports the functions below, so the pins and the test read the outputs the same way.
"""

from __future__ import annotations

import json
import numbers
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PINS = REPO / "tests" / "pins"
SITES = REPO / "data" / "sites"
REGENERATE = "python tools/pin_cli.py"  # what the failing test tells you to run after a deliberate change

# --------------------------------------------------------------------------- the CLI tree


def cli_tree(group=None) -> dict[str, dict]:
    """Every command path of the click tree -> ``{"arguments": [...], "options": {name: descriptor}}``.

    A descriptor says what kind of option it is (``flag``, ``count``, ``value``), whether it is repeatable
    or required, and its choices, e.g. ``"value, choices: en|zh"``.

    Each name of an option (``-q`` and ``--quiet``, ``--progress`` and ``--no-progress``) is a key of its
    own, so renaming or dropping any spelling shows.
    """
    import click

    if group is None:
        from gisplan.cli import main as group
    out: dict[str, dict] = {}

    def walk(cmd, path: str, parent_ctx) -> None:
        ctx = click.Context(cmd, info_name=path.rsplit(" ", 1)[-1], parent=parent_ctx)
        options: dict[str, str] = {}
        arguments = []
        for param in cmd.get_params(ctx):
            if isinstance(param, click.Argument):
                arguments.append({"name": param.name, "nargs": param.nargs, "required": param.required})
                continue
            if param.count:
                kind = "count"
            else:
                kind = "flag" if param.is_flag else "value"
            words = [kind] + [w for w, on in (("multiple", param.multiple), ("required", param.required)) if on]
            if isinstance(param.type, click.Choice):
                words.append("choices: " + "|".join(sorted(str(c) for c in param.type.choices)))
            desc = ", ".join(words)
            for name in [*param.opts, *param.secondary_opts]:
                options[name] = desc
        out[path] = {"arguments": arguments, "options": dict(sorted(options.items()))}
        if isinstance(cmd, click.Group):
            for name in cmd.list_commands(ctx):
                walk(cmd.get_command(ctx, name), f"{path} {name}", ctx)

    walk(group, "gisplan", None)
    return dict(sorted(out.items()))


# --------------------------------------------------------------------------- JSON keys

# a site in 辽源 (Liaoyuan): in China, outside the demo store's units (Yanbian only)
LIAOYUAN = [[125.14, 42.88], [125.16, 42.88], [125.16, 42.895], [125.14, 42.895], [125.14, 42.88]]

#: case -> (site file, or None for the Liaoyuan box; CLI options; the same as API keywords; CLI exit code)
JSON_CASES: dict[str, tuple[str | None, list[str], dict, int]] = {
    "inside_with_project_form": (
        "industrial_park_yanji.geojson",
        ["--industry", "C26", "--national-major", "no", "--project-name", "示例项目", "--builder", "示例单位",
         "--project-code", "2020-222401-26-01-012345", "--construction-nature", "new"],
        {"industry": "C26", "national_major": False, "project_name": "示例项目", "builder": "示例单位",
         "project_code": "2020-222401-26-01-012345", "construction_nature": "new"},
        0,
    ),
    "partly_outside": ("border_site_dunhua.geojson", [], {}, 0),
    "wholly_outside": (None, [], {}, 3),
    "line_crossings": ("road_corridor_helong.geojson", ["--width", "30", "--industry", "公路"],
                       {"width": 30.0, "industry": "公路"}, 0),
    "point": ("quarry_point_antu.geojson", ["--radius", "300"], {"radius": 300.0}, 0),
}


def site_path(case: str, folder: Path) -> Path:
    """The site file of a JSON case (the Liaoyuan box is written into ``folder``)."""
    name = JSON_CASES[case][0]
    if name is not None:
        return SITES / name
    path = Path(folder) / "liaoyuan_outside.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "辽源市示例项目（数据范围外）"},
        "geometry": {"type": "Polygon", "coordinates": [LIAOYUAN]}}]}, ensure_ascii=False), encoding="utf-8")
    return path


def json_type(value) -> str:
    """The JSON type of a value (``integer`` and ``number`` apart; numpy scalars and tuples included)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, numbers.Integral):
        return "integer"
    if isinstance(value, numbers.Real):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    try:  # numpy bools and the like
        import numpy as np

        if isinstance(value, np.bool_):
            return "boolean"
    except ImportError:  # pragma: no cover
        pass
    return type(value).__name__


def key_schema(document) -> dict[str, list[str]]:
    """Every key path of a JSON document -> the sorted JSON types of its values (``$`` is the document)."""
    out: dict[str, set[str]] = {}

    def walk(value, path: str) -> None:
        out.setdefault(path or "$", set()).add(json_type(value))
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item, f"{path}[]")

    walk(document, "")
    return {k: sorted(v) for k, v in sorted(out.items())}


def screen_json(case: str, store: Path, folder: Path) -> tuple[int, dict]:
    """Run ``gisplan screen --json`` (in process) for a case: (exit code, the JSON document)."""
    from click.testing import CliRunner

    from gisplan.cli import main

    folder = Path(folder)
    out = folder / f"{case}.json"
    args = ["screen", str(site_path(case, folder)), "--store", str(store), "--json", str(out), "--quiet",
            *JSON_CASES[case][1]]
    result = CliRunner().invoke(main, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, json.loads(out.read_text(encoding="utf-8"))


def json_keys(store: Path, folder: Path) -> dict[str, dict[str, list[str]]]:
    return {case: key_schema(screen_json(case, store, folder)[1]) for case in JSON_CASES}


# --------------------------------------------------------------------------- batch columns

BATCH_SITES = SITES / "batch_sites.geojson"
BATCH_ARGS = ["--id-field", "site_id"]
RASTER_ARGS = ["--raster-stats", "landcover_demo"]


def _field_kind(dtype: str) -> str:
    dtype = str(dtype).lower()
    if "int" in dtype:
        return "integer"
    if "float" in dtype or "double" in dtype:
        return "float"
    if "string" in dtype or dtype in {"object", "str", "utf8"}:
        return "string"
    if "binary" in dtype:
        return "binary"
    return dtype


def run_batch(store: Path, out: Path, *extra: str) -> None:
    from click.testing import CliRunner

    from gisplan.cli import main

    result = CliRunner().invoke(main, ["batch", str(BATCH_SITES), "--store", str(store), "--out", str(out),
                                       "--no-progress", *BATCH_ARGS, *extra])
    if result.exit_code != 0:
        raise RuntimeError(f"gisplan batch failed ({result.exit_code}): {result.output}") from result.exception


def csv_header(path: Path) -> list[str]:
    import csv

    with open(path, encoding="utf-8-sig", newline="") as f:
        return next(csv.reader(f))


def gpkg_columns(path: Path) -> dict:
    import pyogrio

    layers = pyogrio.list_layers(path)
    info = pyogrio.read_info(path)
    return {"layers": [[str(name), str(geom)] for name, geom in layers],
            "fields": [[str(f), _field_kind(d)] for f, d in zip(info["fields"], info["dtypes"], strict=True)]}


def parquet_columns(path: Path) -> list[list[str]]:
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    return [[field.name, _field_kind(field.type)] for field in schema]


def batch_columns(store: Path, folder: Path, parquet: bool = True) -> dict:
    folder = Path(folder)
    run_batch(store, folder / "plain.csv")
    run_batch(store, folder / "raster.csv", *RASTER_ARGS)
    run_batch(store, folder / "plain.gpkg")
    out = {"csv": csv_header(folder / "plain.csv"),
           "csv_raster_stats": csv_header(folder / "raster.csv"),
           "gpkg": gpkg_columns(folder / "plain.gpkg")}
    if parquet:
        run_batch(store, folder / "plain.parquet")
        out["parquet"] = parquet_columns(folder / "plain.parquet")
    return out


# --------------------------------------------------------------------------- comparing


def differences(pinned, current, where: str = "") -> list[str]:
    """What differs between a pin and today's output, one line each (empty: they agree)."""
    if isinstance(pinned, dict) and isinstance(current, dict):
        lines = []
        for key in pinned:
            if key not in current:
                lines.append(f"removed: {where}{key}")
            else:
                lines += differences(pinned[key], current[key], f"{where}{key} / ")
        lines += [f"added: {where}{key}" for key in current if key not in pinned]
        return lines
    if pinned != current:
        return [f"changed: {where.rstrip(' /')}: {pinned!r} -> {current!r}"]
    return []


def load(name: str) -> dict:
    return json.loads((PINS / name).read_text(encoding="utf-8"))


def dumps(data, indent: int = 0) -> str:
    """JSON with short containers on one line and long ones one item a line: readable diffs."""
    flat = json.dumps(data, ensure_ascii=False)
    if len(flat) <= 100 or not isinstance(data, dict | list):
        return flat
    pad = " " * (indent + 1)
    if isinstance(data, dict):
        items = [f"{pad}{json.dumps(k, ensure_ascii=False)}: {dumps(v, indent + 1)}" for k, v in data.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    return "[\n" + ",\n".join(pad + dumps(v, indent + 1) for v in data) + "\n" + " " * indent + "]"


def _write(name: str, data) -> None:
    PINS.mkdir(parents=True, exist_ok=True)
    path = PINS / name
    tmp = path.with_suffix(".tmp")
    tmp.write_text(dumps(data) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    print(f"wrote {path.relative_to(REPO)}")


def main(argv: list[str]) -> int:
    which = set(argv) or {"cli", "json", "batch"}
    unknown = which - {"cli", "json", "batch"}
    if unknown:
        print(f"usage: {REGENERATE} [cli] [json] [batch]", file=sys.stderr)
        return 2
    if "cli" in which:
        _write("cli_options.json", cli_tree())
    if which & {"json", "batch"}:
        from gisplan.demo.run import build_demo_store

        with tempfile.TemporaryDirectory(prefix="gisplan-pins-") as tmp:
            store = Path(tmp) / "demo.gpkg"
            build_demo_store(store)
            if "json" in which:
                _write("json_keys.json", json_keys(store, Path(tmp)))
            if "batch" in which:
                _write("batch_columns.json", batch_columns(store, Path(tmp)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
