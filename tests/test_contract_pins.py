"""What users and their scripts rely on, pinned before the restructuring of issue 23.

Three checked-in snapshots under ``tests/pins/`` hold today's contract:

- ``cli_options.json``: every command of the ``gisplan`` tree (walked through click) with its arguments and
  every spelling of every option, whether it is a flag, a count or takes a value, is repeatable or required,
  and its choices;
- ``json_keys.json``: every key (nested ones as ``a.b[].c``) of ``gisplan screen --json`` with the JSON types
  of its values, for a demo site inside the control units (with the whole project form), one partly outside,
  one wholly outside (exit code 3), a line (crossings) and a point; ``ScreeningResult.to_dict()`` must give
  the same keys and types;
- ``batch_columns.json``: the ``gisplan batch`` columns in order (CSV, CSV with ``--raster-stats``), the
  GeoPackage's layer, fields and types, the GeoParquet's columns and types.

Values are not pinned (figures are tested elsewhere), types are. A key, column or option removed, renamed or
retyped fails here, and so does one added: the snapshots are exact, so that every change of the contract is
deliberate. After such a change, regenerate them with ``python tools/pin_cli.py`` (or ``... cli``, ``json``,
``batch``), review the diff, and say so in the commit message. The ``*_catches_*`` tests show that each
comparison fails on a removed, renamed or retyped key / column / option (they mutate a copy of today's output).
"""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from pathlib import Path

import click
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import pin_cli  # noqa: E402  (tools/ is not a package)

FIX = f"if the change is deliberate, regenerate the pins: `{pin_cli.REGENERATE}` and review the diff"


def assert_same(pinned, current) -> None:
    diff = pin_cli.differences(pinned, current)
    assert not diff, "the contract changed:\n  " + "\n  ".join(diff[:40]) + f"\n{FIX}"


# --------------------------------------------------------------------------- the CLI


def test_every_command_and_option_is_pinned():
    tree = pin_cli.cli_tree()
    assert {"gisplan screen", "gisplan batch", "gisplan layers import", "gisplan serve"} <= set(tree)
    assert_same(pin_cli.load("cli_options.json"), tree)


def test_cli_pin_catches_a_renamed_removed_or_retyped_option():
    from gisplan.cli import main

    mutated = copy.deepcopy(main)  # today's tree, changed in a copy
    ctx = click.Context(mutated)
    screen = mutated.get_command(ctx, "screen")
    (json_opt,) = [p for p in screen.params if "--json" in p.opts]
    json_opt.opts = ["--json-out"]  # renamed
    batch = mutated.get_command(ctx, "batch")
    batch.params = [p for p in batch.params if "--resume" not in p.opts]  # removed
    (lang,) = [p for p in batch.params if "--lang" in p.opts]
    lang.type = click.Choice(["zh"])  # a choice dropped
    diff = pin_cli.differences(pin_cli.load("cli_options.json"), pin_cli.cli_tree(mutated))
    assert "removed: gisplan screen / options / --json" in diff
    assert "added: gisplan screen / options / --json-out" in diff
    assert "removed: gisplan batch / options / --resume" in diff
    assert any(d.startswith("changed: gisplan batch / options / --lang") for d in diff)
    assert len(diff) == 4, diff
    # and the real tree was not touched by the copy
    assert pin_cli.differences(pin_cli.load("cli_options.json"), pin_cli.cli_tree()) == []


# --------------------------------------------------------------------------- the JSON report


@pytest.mark.parametrize("case", list(pin_cli.JSON_CASES))
def test_screen_json_keys_and_types_are_pinned(case, demo_store, tmp_path):
    code, document = pin_cli.screen_json(case, demo_store, tmp_path)
    assert code == pin_cli.JSON_CASES[case][3]
    assert_same(pin_cli.load("json_keys.json")[case], pin_cli.key_schema(document))


@pytest.mark.parametrize("case", ["inside_with_project_form", "wholly_outside", "line_crossings"])
def test_to_dict_gives_the_pinned_keys_and_types(case, demo_store, tmp_path):
    from gisplan.screening import screen

    result = screen(pin_cli.site_path(case, tmp_path), demo_store, **pin_cli.JSON_CASES[case][2])
    assert_same(pin_cli.load("json_keys.json")[case], pin_cli.key_schema(result.to_dict()))


def test_json_pin_catches_a_removed_renamed_or_retyped_key():
    pinned = pin_cli.load("json_keys.json")["line_crossings"]
    document = {  # a document with exactly the pinned keys, values of the pinned types
        "coverage": {"status": "inside", "outside_m2": 0.0},
        "crossings": [{"entry": {"lat": 42.5, "lon": 128.9}, "length_m": 10.0}],
    }
    schema = pin_cli.key_schema(document)
    today = {k: pinned[k] for k in schema}  # the same paths, as pinned today
    assert pin_cli.differences(today, schema) == []
    removed = copy.deepcopy(document)
    del removed["crossings"][0]["entry"]["lat"]
    assert pin_cli.differences(today, pin_cli.key_schema(removed)) == ["removed: crossings[].entry.lat"]
    renamed = copy.deepcopy(document)
    renamed["coverage"]["state"] = renamed["coverage"].pop("status")
    assert pin_cli.differences(today, pin_cli.key_schema(renamed)) == ["removed: coverage.status",
                                                                       "added: coverage.state"]
    retyped = copy.deepcopy(document)
    retyped["crossings"][0]["length_m"] = "10 m"
    assert pin_cli.differences(today, pin_cli.key_schema(retyped)) == [
        "changed: crossings[].length_m: ['number'] -> ['string']"]


def test_key_schema_types():
    schema = pin_cli.key_schema({"a": [1, 2.5, None], "b": True, "c": (1, "x"), "d": {}})
    assert schema == {"$": ["object"], "a": ["array"], "a[]": ["integer", "null", "number"], "b": ["boolean"],
                      "c": ["array"], "c[]": ["integer", "string"], "d": ["object"]}


# --------------------------------------------------------------------------- the batch table


def test_batch_columns_are_pinned(demo_store, tmp_path):
    pinned = pin_cli.load("batch_columns.json")
    has_parquet = importlib.util.find_spec("pyarrow") is not None  # gisplan[parquet]; CI installs it
    if not has_parquet:
        pinned.pop("parquet")
    current = pin_cli.batch_columns(demo_store, tmp_path, parquet=has_parquet)
    assert current["csv"][:1] == ["site_id"] and "farmland_m2" in current["csv"]
    assert_same(pinned, current)
    assert (tmp_path / "plain.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel


def test_batch_pin_catches_a_moved_renamed_or_retyped_column():
    pinned = pin_cli.load("batch_columns.json")
    moved = copy.deepcopy(pinned)
    moved["csv"][1], moved["csv"][2] = moved["csv"][2], moved["csv"][1]
    assert pin_cli.differences(pinned, moved)[0].startswith("changed: csv: ['site_id', 'area_m2', 'priority_m2'")
    renamed = copy.deepcopy(pinned)
    renamed["gpkg"]["fields"][-1][0] = "urban_m2"
    assert [d.split(":")[0] for d in pin_cli.differences(pinned, renamed)] == ["changed"]
    retyped = json.loads(json.dumps(pinned))
    retyped["parquet"][13][1] = "float"  # n_prohibited as a float
    assert pin_cli.differences(pinned, retyped) and retyped["parquet"][13][0] == "n_prohibited"
