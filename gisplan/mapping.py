"""Map a delivered layer's fields and values onto the store's fixed schema (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from .errors import MappingError
from .vocab import (
    CODED_FIELD,
    FIELD_ALIASES,
    LEVEL_LABELS_ZH,
    REQUIRED,
    SCHEMA,
    ZONE_LABELS_ZH,
    normalise_value,
    unit_code_is_regular,
)

__all__ = ["FieldMapping", "resolve_mapping", "apply_mapping", "parse_map_options"]

_DEFAULT_NAMES = {
    "eco_redline": "生态保护红线",
    "protected_areas": "自然保护地",
    "water_sources": "饮用水水源保护区",
}


@dataclass
class FieldMapping:
    """Which source field feeds each schema field, and how it was decided."""

    kind: str
    fields: dict[str, str] = field(default_factory=dict)
    how: dict[str, str] = field(default_factory=dict)  # schema field -> "--map" | "alias"

    def describe(self) -> str:
        """One line such as ``code<-HJGKDYBM (alias), category<-GKDYLB (--map)``."""
        if not self.fields:
            return "no fields mapped"
        return ", ".join(f"{k}<-{v} ({self.how[k]})" for k, v in self.fields.items())


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
            raise MappingError(f"--map expects FIELD=SRCFIELD, got {opt!r}")
        key, src = (s.strip() for s in opt.split("=", 1))
        out[key] = src
    return out


def resolve_mapping(kind: str, columns: list[str], user: dict[str, str] | None = None) -> FieldMapping:
    """Decide which source column feeds each schema field of ``kind``.

    User mappings (``--map``) win; otherwise the first alias found (case-insensitive).

    Raises
    ------
    MappingError
        For a ``--map`` naming an unknown schema field or a missing source field,
        or when a required field cannot be found.
    """
    user = dict(user or {})
    by_lower = {c.lower(): c for c in columns}
    mapping = FieldMapping(kind)
    for key, src in user.items():
        if key not in SCHEMA[kind]:
            raise MappingError(f"--map {key}=...: {kind} has no field {key!r} (fields: {', '.join(SCHEMA[kind])})")
        if src.lower() not in by_lower:
            raise MappingError(f"--map {key}={src}: the source has no field {src!r} (fields: {', '.join(columns)})")
        mapping.fields[key] = by_lower[src.lower()]
        mapping.how[key] = "--map"
    for key, aliases in FIELD_ALIASES.get(kind, {}).items():
        if key in mapping.fields:
            continue
        for alias in aliases:
            if alias.lower() in by_lower:
                mapping.fields[key] = by_lower[alias.lower()]
                mapping.how[key] = "alias"
                break
    missing = [f for f in REQUIRED[kind] if f not in mapping.fields]
    if kind == "control_units" and missing == ["category"]:
        missing = []  # may be derived from regular unit codes, checked in apply_mapping
    if missing:
        raise MappingError(
            f"cannot find the {', '.join(missing)} field of {kind} among: {', '.join(columns)}; "
            f"name it with --map {missing[0]}=SRCFIELD"
        )
    return mapping


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
    for key in SCHEMA[kind]:
        src = mapping.fields.get(key)
        out[key] = _text(gdf[src]) if src else ""
    coded = CODED_FIELD.get(kind)
    if coded:
        key, label_col = coded
        src = mapping.fields.get(key)
        if src is None:  # control units without a category field: from regular codes
            codes = out["code"]
            if not codes.map(unit_code_is_regular).all():
                raise MappingError(
                    "cannot find the category field of control_units and the unit codes do not "
                    "all follow ZH+county+category digit; name it with --map category=SRCFIELD"
                )
            out[key] = codes.str[8].map({"1": "priority", "2": "key", "3": "general"})
            warnings.append("unit category derived from the category digit of the unit codes")
        else:
            raw = gdf[src]
            cache: dict[object, str] = {}
            values = []
            for v in raw:
                if v not in cache:
                    cache[v] = normalise_value(key, v, src)
                values.append(cache[v])
            out[key] = values
            if label_col:
                labels = _text(raw)
                fallback = (ZONE_LABELS_ZH if key == "zone" else LEVEL_LABELS_ZH)
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
    elif kind in _DEFAULT_NAMES:
        out.loc[out["name"] == "", "name"] = _DEFAULT_NAMES[kind]
    used = set(mapping.fields.values())
    taken = {c.lower() for c in SCHEMA[kind]} | {"feature_id", "area_m2", "area_gk_m2", "geometry", "fid"}
    for col in gdf.columns:
        if col == gdf.geometry.name or col in used:
            continue
        name = f"src_{col}" if col.lower() in taken else col
        out[name] = gdf[col].values
    frame = gpd.GeoDataFrame(out, geometry=gdf.geometry.values, crs=gdf.crs)
    return frame, warnings
