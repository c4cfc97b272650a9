"""Parsed text kept in the user's cache: same value, parser skipped next time, never a stale or damaged value."""

from __future__ import annotations

import datetime
import json

import pytest

from gisplan.errors import InputError
from gisplan.rules.statutory import default_rules, load_rules
from gisplan.user_cache import cache_dir, parsed_text_cached


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GISPLAN_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _counting(value):
    calls = []

    def parse(text):
        calls.append(text)
        return value(text) if callable(value) else value
    return parse, calls


def test_second_parse_comes_from_the_cache(cache):
    parse, calls = _counting(lambda t: {"text": t.decode(), "n": [1, 2.5, None, True]})
    first = parsed_text_cached("甲乙".encode(), "k", parse)
    second = parsed_text_cached("甲乙".encode(), "k", parse)
    assert first == second == {"text": "甲乙", "n": [1, 2.5, None, True]} and len(calls) == 1
    assert cache_dir() == cache and len(list((cache / "parsed").glob("*.json"))) == 1
    parsed_text_cached("甲乙".encode(), "k2", parse)  # another parser: another entry
    parsed_text_cached("甲乙丙".encode(), "k", parse)  # another text: another entry
    assert len(calls) == 3


def test_values_json_cannot_hold_are_not_cached(cache):
    for value in ({"day": datetime.date(2021, 1, 1)}, {1: "int key"}, {"t": (1, 2)}):
        parse, calls = _counting(value)
        assert parsed_text_cached(b"x", f"k{len(str(value))}", parse) == value
        assert parsed_text_cached(b"x", f"k{len(str(value))}", parse) == value
        assert len(calls) == 2
    assert not list(cache.glob("parsed/*.json"))


def test_damaged_entry_is_parsed_again(cache):
    parse, calls = _counting({"a": 1})
    parsed_text_cached(b"x", "k", parse)
    entry = next(cache.glob("parsed/*.json"))
    good = json.loads(entry.read_text(encoding="utf-8"))
    flipped = {**good, "value": {"a": 2}}  # a changed value under the right key: its digest no longer matches
    for damage in ("{not json", json.dumps({"sha256": "other", "value": {"a": 2}}), json.dumps([1]),
                   json.dumps(flipped), json.dumps({k: v for k, v in good.items() if k != "value_sha256"})):
        entry.write_text(damage, encoding="utf-8")
        assert parsed_text_cached(b"x", "k", parse) == {"a": 1}
    assert len(calls) == 6


def test_unwritable_cache_still_parses(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("GISPLAN_CACHE_DIR", str(blocker))
    parse, calls = _counting({"a": 1})
    assert parsed_text_cached(b"x", "k", parse) == parsed_text_cached(b"x", "k", parse) == {"a": 1}
    assert len(calls) == 2


def test_rules_from_the_cache_equal_the_parsed_rules(cache, tmp_path):
    shipped = default_rules()
    copy = tmp_path / "rules.yaml"
    copy.write_bytes(open(shipped.path, "rb").read())
    cold, warm = load_rules(copy), load_rules(copy)
    assert list(cache.glob("parsed/*.json"))
    assert cold.version == warm.version == shipped.version
    assert {k: vars(v) for k, v in cold.zones.items()} == {k: vars(v) for k, v in warm.zones.items()}
    edited = copy.read_text(encoding="utf-8").replace(f'version: "{shipped.version}"', 'version: "9999.1"', 1)
    copy.write_text(edited, encoding="utf-8")
    assert load_rules(copy).version == "9999.1"  # a changed file is parsed again, never the cached one


def test_bad_rules_files_are_one_line_errors(cache, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("zones: [unclosed", encoding="utf-8")
    with pytest.raises(InputError, match="not valid YAML"):
        load_rules(bad)
    bad.write_bytes(b"\xff\xfe zones")
    with pytest.raises(InputError, match="not UTF-8"):
        load_rules(bad)
    with pytest.raises(InputError, match="cannot read"):
        load_rules(tmp_path)


def test_china_boundary_from_the_cache_is_the_bundled_outline(cache):
    """The outline read back from the cache's WKB is the GeoJSON's geometry, vertex for vertex."""
    import shapely
    from importlib import resources

    from gisplan.sites import china_boundary

    text = resources.files("gisplan").joinpath("data/china_boundary.geojson").read_text(encoding="utf-8")
    parts = list(shapely.get_parts(shapely.from_geojson(text)))
    want = parts[0] if len(parts) == 1 else shapely.union_all(parts)
    china_boundary.cache_clear()
    try:
        cold = china_boundary()
        assert list(cache.glob("parsed/*.json"))
        china_boundary.cache_clear()
        warm = china_boundary()
    finally:
        china_boundary.cache_clear()
    assert shapely.equals_exact(cold, want, tolerance=0) and shapely.equals_exact(warm, want, tolerance=0)
