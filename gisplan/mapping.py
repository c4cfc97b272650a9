"""Map a delivered layer's fields and values onto the store's fixed schema (pure)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .errors import MappingError
from .vocab import (
    CODED_FIELD,
    CODED_VOCAB,
    ELEMENT_KINDS,
    KIND_LABELS_ZH,
    FIELD_ALIASES,
    LEVEL_LABELS_ZH,
    OPTIONAL,
    OPTIONAL_CODED,
    REQUIRED,
    SCHEMA,
    UNZONED,
    URBAN_ZONE_LABELS_ZH,
    ZONE_LABELS_BY_KIND,
    ZONE_LABELS_ZH,
    normalise_value,
    to_simplified,
    unit_code_is_regular,
)

__all__ = [
    "FieldMapping",
    "MappingSpec",
    "resolve_mapping",
    "apply_mapping",
    "parse_map_options",
    "parse_value_map_options",
    "read_mapping_file",
    "mapping_from_store",
    "combine_mappings",
]

_DEFAULT_NAMES = {
    "eco_redline": "生态保护红线",
    "protected_areas": "自然保护地",
    "water_sources": "饮用水水源保护区",
    **{k: KIND_LABELS_ZH[k] for k in ELEMENT_KINDS},
}
#: The zone of an urban boundary delivered without its planning zones (集中建设区 ...).
_URBAN_UNZONED = "boundary"


@dataclass
class FieldMapping:
    """Which source field feeds each schema field, and how it was decided."""

    kind: str
    fields: dict[str, str] = field(default_factory=dict)
    how: dict[str, str] = field(default_factory=dict)  # schema field -> "--map" | "alias"
    #: Value maps: schema field -> {delivered value -> store value (or a value its vocabulary knows)}.
    values: dict[str, dict[str, str]] = field(default_factory=dict)

    def to_json(self) -> dict:
        """What the store's ``gisplan_meta.mapping`` column keeps.

        The field map as before (schema field -> source field), plus the value
        maps under ``"values"`` when there are any (no schema field has that name).
        """
        out: dict = dict(self.fields)
        if self.values:
            out["values"] = {k: dict(v) for k, v in self.values.items()}
        return out

    def describe(self) -> str:
        """One line such as ``code<-HJGKDYBM (alias), category<-GKDYLB (--map)``."""
        if not self.fields:
            return "no fields mapped"
        text = ", ".join(f"{k}<-{v} ({self.how[k]})" for k, v in self.fields.items())
        if self.values:
            text += "; value maps: " + ", ".join(f"{k} ({len(v)})" for k, v in self.values.items())
        return text


def parse_map_options(options: tuple[str, ...] | list[str]) -> dict[str, str]:
    """Parse ``FIELD=SRCFIELD`` strings from ``--map``.

    Raises
    ------
    MappingError
        On an option without ``=``.
    """
    out: dict[str, str] = {}
    for opt in options:
        if "=" not in opt:
            raise MappingError(f"`map` expects FIELD=SRCFIELD, got {opt!r}")
        key, src = (s.strip() for s in opt.split("=", 1))
        out[key] = src
    return out


@dataclass
class MappingSpec:
    """Field and value maps given by the user (``--map``, ``--map-value``, ``--mapping``, ``--mapping-from``)."""

    fields: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)


def parse_value_map_options(options: tuple[str, ...] | list[str]) -> dict[str, dict[str, str]]:
    """Parse ``FIELD:SOURCE=TARGET`` strings from ``--map-value``.

    ``FIELD`` is a schema field (``category``, ``zone``, ``level``, ``pa_type`` ...)
    or the source field feeding it; ``SOURCE`` the value as delivered; ``TARGET``
    the store's value or any label its vocabulary knows (``core``, ``核心区``).

    Raises
    ------
    MappingError
        On an option not of the form ``FIELD:SOURCE=TARGET``.

    Examples
    --------
    >>> parse_value_map_options(["zone:一区=core", "zone:二区=buffer"])
    {'zone': {'一区': 'core', '二区': 'buffer'}}
    """
    out: dict[str, dict[str, str]] = {}
    for opt in options:
        head, sep, target = str(opt).partition("=")
        key, colon, source = head.partition(":")
        if not sep or not colon or not key.strip() or not source.strip() or not target.strip():
            raise MappingError(f"`map_value` expects FIELD:SOURCE=TARGET, got {opt!r}")
        out.setdefault(key.strip(), {})[source.strip()] = target.strip()
    return out


def _spec_from_dict(data: object, origin: str) -> MappingSpec:
    if not isinstance(data, dict):
        raise MappingError(f"{origin}: expected a mapping with 'fields' and/or 'values'")
    values = data.get("values") or {}
    if "fields" in data:
        fields = data.get("fields") or {}
        unknown = set(data) - {"fields", "values", "kind"}
        if unknown:
            raise MappingError(f"{origin}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; expected fields, values")
    else:  # the store's record: the field map at the top level, value maps under "values"
        fields = {k: v for k, v in data.items() if k not in ("values", "kind")}
    if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
        raise MappingError(f"{origin}: 'fields' must map schema fields to source field names")
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise MappingError(f"{origin}: 'values' must map each field to {{delivered value: store value}}")
    return MappingSpec(
        fields={str(k): str(v) for k, v in fields.items()},
        values={str(f): {str(a): str(b) for a, b in m.items()} for f, m in values.items()},
    )


def read_mapping_file(path: str | os.PathLike) -> MappingSpec:
    """Read a ``--mapping`` YAML (or JSON) file holding field and value maps.

    The file looks like::

        fields:            # schema field: source field
          name: BHDMC
          zone: GNFQ
        values:            # schema field: {delivered value: store value}
          zone:
            一区: core
            二区: buffer

    Raises
    ------
    InputError
        Missing or unreadable file, not YAML, or a malformed mapping.
    """
    import yaml

    from .errors import InputError

    p = Path(path)
    if not p.is_file():
        raise InputError(f"mapping file not found: {path}")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read mapping file {path}: {' '.join(str(exc).split())[:200]}") from None
    return _spec_from_dict(data, f"mapping file {p.name}")


def mapping_from_store(store, kind: str) -> MappingSpec:
    """The field and value maps the store recorded when layer ``kind`` was imported (``--mapping-from``).

    Raises
    ------
    StoreError
        When the store has no such layer; MappingError for an unreadable record.
    """
    from .errors import StoreError
    from .store.spec import as_store

    st = as_store(store)
    meta = st.meta()
    rows = meta[meta["kind"] == kind]
    if rows.empty:
        raise StoreError(f"store {st.path.name} has no {kind} layer to take a mapping from")
    text = str(rows.iloc[0]["mapping"] or "")
    if not text.strip():
        return MappingSpec()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise MappingError(f"store {st.path.name}: the recorded {kind} mapping is not JSON") from None
    return _spec_from_dict(data, f"store {st.path.name} ({kind} mapping)")


def combine_mappings(*specs: MappingSpec | None) -> MappingSpec:
    """Merge specs; later ones win field by field and value by value."""
    out = MappingSpec()
    for spec in specs:
        if spec is None:
            continue
        out.fields.update(spec.fields)
        for key, table in spec.values.items():
            out.values.setdefault(key, {}).update(table)
    return out


def _schema_fields(kind: str) -> tuple[str, ...]:
    return SCHEMA[kind] + OPTIONAL.get(kind, ())


def resolve_mapping(
    kind: str,
    columns: list[str],
    user: dict[str, str] | None = None,
    values: dict[str, dict[str, str]] | None = None,
) -> FieldMapping:
    """Decide which source column feeds each schema field of ``kind``.

    User mappings (``--map``) win; otherwise the first alias found (case-insensitive,
    Traditional characters read as Simplified). ``values`` are value maps keyed by
    schema field or by the source field feeding it.

    Raises
    ------
    MappingError
        For a ``--map`` naming an unknown schema field or a missing source field,
        or when a required field cannot be found.
    """
    user = dict(user or {})
    by_lower = {c.lower(): c for c in columns}
    for c in columns:
        by_lower.setdefault(to_simplified(c).lower(), c)
    mapping = FieldMapping(kind)
    fields = _schema_fields(kind)
    for key, src in user.items():
        if key not in fields:
            raise MappingError(f"`map` {key}=...: {kind} has no field {key!r} (fields: {', '.join(fields)})")
        if src.lower() not in by_lower:
            raise MappingError(f"`map` {key}={src}: the source has no field {src!r} (fields: {', '.join(columns)})")
        mapping.fields[key] = by_lower[src.lower()]
        mapping.how[key] = "--map"
    taken = set(mapping.fields.values())
    for key, aliases in FIELD_ALIASES.get(kind, {}).items():
        if key in mapping.fields:
            continue
        for alias in aliases:
            if alias.lower() in by_lower and by_lower[alias.lower()] not in taken:
                mapping.fields[key] = by_lower[alias.lower()]
                mapping.how[key] = "alias"
                taken.add(mapping.fields[key])
                break
    mapping.values = _resolve_value_maps(kind, mapping, values or {})
    missing = [f for f in REQUIRED[kind] if f not in mapping.fields]
    if kind == "control_units" and missing == ["category"]:
        missing = []  # may be derived from regular unit codes, checked in apply_mapping
    if missing:
        raise MappingError(
            f"cannot find the {', '.join(missing)} field of {kind} among: {', '.join(columns)}; "
            f"name it with `map` {missing[0]}=SRCFIELD"
        )
    return mapping


def _resolve_value_maps(kind: str, mapping: FieldMapping, values: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    by_source = {src.lower(): key for key, src in mapping.fields.items()}
    out: dict[str, dict[str, str]] = {}
    for name, table in values.items():
        key = name if name in _schema_fields(kind) else by_source.get(name.lower())
        if key is None:
            raise MappingError(
                f"`map_value` {name}:...: {kind} has no field {name!r} and no source field of that name is mapped "
                f"(fields: {', '.join(_schema_fields(kind))})"
            )
        out.setdefault(key, {}).update(table)
    return out


def _value_mapper(table: dict[str, str]):
    """A function applying a value map: exact text first, then NFKC/Simplified-folded text."""
    from .vocab import _clean

    folded = {_clean(k): v for k, v in table.items()}

    def apply(value: object) -> object:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return value
        text = str(value).strip()
        if text in table:
            return table[text]
        return folded.get(_clean(text), value)

    return apply


def _text(series: pd.Series) -> pd.Series:
    return series.map(lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v).strip())


def apply_mapping(gdf: gpd.GeoDataFrame, mapping: FieldMapping) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Build a frame in the store schema, keeping the other source attributes as they came.

    Returns
    -------
    frame : GeoDataFrame
        Schema columns first, then unmapped source columns (renamed ``src_<name>``
        only where a name collides with a schema column).
    warnings : list of str

    Raises
    ------
    MappingError
        Naming the value and the source field, for an unknown category/zone/level.
    """
    kind = mapping.kind
    warnings: list[str] = []
    out = pd.DataFrame(index=gdf.index)
    raw_cols: dict[str, pd.Series] = {}
    for key in _schema_fields(kind):
        src = mapping.fields.get(key)
        if src is None:
            out[key] = ""
            continue
        raw = gdf[src]
        if key in mapping.values:
            raw = raw.map(_value_mapper(mapping.values[key]))
        raw_cols[key] = raw
        out[key] = _text(raw)
    for key in OPTIONAL_CODED.get(kind, ()):
        if key in raw_cols:
            out[key] = _coded(raw_cols[key], key, mapping.fields[key], allow_empty=True)
    coded = CODED_FIELD.get(kind)
    if coded:
        key, label_col = coded
        src = mapping.fields.get(key)
        if src is None and kind == "protected_areas":  # whole-reserve outlines without internal zones
            out[key] = UNZONED
            out[label_col] = ZONE_LABELS_ZH[UNZONED]
            warnings.append(_unzoned_warning(len(out), "the source has no zone field"))
        elif src is None and kind == "urban_boundary":  # the boundary as one outline, without planning zones
            out[key] = _URBAN_UNZONED
            out[label_col] = URBAN_ZONE_LABELS_ZH[_URBAN_UNZONED]
            warnings.append(f"{len(out)} urban-boundary feature(s) imported with zone 'boundary' (the source has no "
                            "planning-zone field): a site inside is judged as if it could lie in any of them")
        elif src is None:  # control units without a category field: from regular codes
            codes = out["code"]
            if not codes.map(unit_code_is_regular).all():
                raise MappingError(
                    "cannot find the category field of control_units and the unit codes do not "
                    "all follow ZH+county+category digit; name it with `map` category=SRCFIELD"
                )
            out[key] = codes.str[8].map({"1": "priority", "2": "key", "3": "general"})
            warnings.append("unit category derived from the category digit of the unit codes")
        else:
            raw = raw_cols[key]
            if kind == "protected_areas":  # an outline row with an empty zone is an unzoned reserve
                empty = _text(raw) == ""
                if empty.any():
                    raw = raw.where(~empty, UNZONED)
                    warnings.append(_unzoned_warning(int(empty.sum()), f"empty zone field {src!r}"))
            if kind == "urban_boundary":  # an outline row with an empty zone: the boundary without planning zones
                empty = _text(raw) == ""
                if empty.any():
                    raw = raw.where(~empty, _URBAN_UNZONED)
            out[key] = _coded(raw, CODED_VOCAB.get(kind, key), src)
            if label_col:
                labels = _text(raw).map(to_simplified)
                fallback = ZONE_LABELS_BY_KIND.get(kind) or (ZONE_LABELS_ZH if key == "zone" else LEVEL_LABELS_ZH)
                ascii_or_digit = labels.map(lambda s: s.isascii())
                out[label_col] = labels.where(~ascii_or_digit, out[key].map(fallback))
    if kind == "control_units":
        empty = out["code"] == ""
        if empty.any():
            raise MappingError(f"{int(empty.sum())} control unit(s) have an empty code (field {mapping.fields['code']!r})")
        out.loc[out["name"] == "", "name"] = out["code"]
        regular = [unit_code_is_regular(c, k) for c, k in zip(out["code"], out["category"])]
        odd = out[[not r for r in regular]]
        if len(odd):
            warnings.append(
                f"{len(odd)} unit code(s) do not follow ZH+county code+category digit+serial, e.g. {odd['code'].iloc[0]!r}"
            )
        no_county = out["county"] == ""
        out.loc[no_county, "county"] = out.loc[no_county, "code"].map(
            lambda c: c[2:8] if unit_code_is_regular(c) else ""
        )
    elif kind == "basic_farmland":  # a patch is named by its number (图斑编号), else by what it is
        nameless = out["name"] == ""
        out.loc[nameless, "name"] = out.loc[nameless, "code"].where(out.loc[nameless, "code"] != "", "永久基本农田")
    elif kind == "urban_boundary":  # a planning zone is named by what it is (城镇集中建设区 ...)
        out.loc[out["name"] == "", "name"] = out["zone_label"]
    elif kind in _DEFAULT_NAMES:
        out.loc[out["name"] == "", "name"] = _DEFAULT_NAMES[kind]
    used = set(mapping.fields.values())
    taken = {c.lower() for c in _schema_fields(kind)} | {"feature_id", "area_m2", "area_gk_m2", "geometry", "fid"}
    for col in gdf.columns:
        if col == gdf.geometry.name or col in used:
            continue
        name = f"src_{col}" if col.lower() in taken else col
        out[name] = gdf[col].values
    frame = gpd.GeoDataFrame(out, geometry=gdf.geometry.values, crs=gdf.crs)
    return frame, warnings


def _unzoned_warning(n: int, why: str) -> str:
    return (
        f"{n} protected-area feature(s) imported with zone 'unzoned' ({why}): the store does not know "
        "their internal zoning; a hit counts as the strictest zone of the area type (a nature reserve's core zone)"
    )


def _coded(raw: pd.Series, key: str, src: str, allow_empty: bool = False) -> list[str]:
    """Normalise each distinct value of a coded field once (an optional field may stay empty)."""
    cache: dict[object, str] = {}
    values = []
    for v in raw:
        if v not in cache:
            blank = v is None or (isinstance(v, float) and pd.isna(v)) or str(v).strip() == ""
            cache[v] = "" if (blank and allow_empty) else normalise_value(key, v, src)
        values.append(cache[v])
    return values


def layer_mapping(kind: str, *, mapping=None, value_maps=None, mapping_file=None, mapping_from=None) -> MappingSpec:
    """The field and value maps of one import or check: options over the YAML file over the store's.

    Parameters
    ----------
    kind : str
        The layer kind (which maps a store recorded).
    mapping, value_maps : dict, optional
        ``--map`` and ``--map-value`` as parsed.
    mapping_file : path, optional
        A ``--mapping`` YAML file.
    mapping_from : path, optional
        A store whose recorded maps for ``kind`` are reused.
    """
    return combine_mappings(
        mapping_from_store(mapping_from, kind) if mapping_from else None,
        read_mapping_file(mapping_file) if mapping_file else None,
        MappingSpec(dict(mapping or {}), dict(value_maps or {})),
    )
