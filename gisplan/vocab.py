"""The store's fixed schema and the vocabularies that official deliveries use.

Value tables turn what provinces deliver (Chinese labels, the digits 1/2/3 of
ZHGKDYFL, English codes) into the store's codes; field alias tables name the
pinyin-abbreviated fields seen in deployed systems, so ``--map`` is needed only
for the unusual ones.
"""

from __future__ import annotations

import re
import unicodedata

from .errors import MappingError

__all__ = [
    "KINDS",
    "SCHEMA",
    "FIELD_ALIASES",
    "CATEGORY_LABELS_ZH",
    "ZONE_LABELS_ZH",
    "LEVEL_LABELS_ZH",
    "KIND_LABELS_ZH",
    "normalise_value",
    "unit_code_is_regular",
]

KINDS = ("control_units", "eco_redline", "protected_areas", "water_sources")

#: Store columns per kind (besides geometry); the first is the feature's name or code.
SCHEMA: dict[str, tuple[str, ...]] = {
    "control_units": ("code", "name", "category", "county"),
    "eco_redline": ("name",),
    "protected_areas": ("name", "zone", "zone_label"),
    "water_sources": ("name", "level", "level_label"),
}

#: Schema fields that must be present after mapping (others may be filled in).
REQUIRED: dict[str, tuple[str, ...]] = {
    "control_units": ("code", "category"),
    "eco_redline": (),
    "protected_areas": ("zone",),
    "water_sources": ("level",),
}

#: Source field names seen in provincial deliveries, per schema field (case-insensitive).
FIELD_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "control_units": {
        "code": ("code", "HJGKDYBM", "HJZHGKDYBM", "GKDYBM", "DYBM", "YSGKDYBM", "单元编码", "管控单元编码", "环境管控单元编码"),
        "name": ("name", "HJGKDYMC", "HJZHGKDYMC", "GKDYMC", "DYMC", "单元名称", "管控单元名称", "环境管控单元名称"),
        "category": ("category", "GKDYLB", "ZHGKDYFL", "GKDYFL", "DYLB", "GKLB", "单元类别", "管控单元类别", "管控单元分类"),
        "county": ("county", "AREA", "COUNTY", "XZQMC", "QXMC", "XIAN", "区县", "县区"),
    },
    "eco_redline": {
        "name": ("name", "HXMC", "STHXMC", "BHHXMC", "MC", "NAME", "红线名称", "名称"),
    },
    "protected_areas": {
        "name": ("name", "BHDMC", "ZRBHDMC", "BHQMC", "MC", "NAME", "保护地名称", "名称"),
        "zone": ("zone", "GNFQ", "GNQ", "FQ", "FQMC", "GNFQMC", "功能分区", "分区"),
    },
    "water_sources": {
        "name": ("name", "SYDMC", "SYMC", "MC", "NAME", "水源地名称", "名称"),
        "level": ("level", "BHQJB", "BHQLB", "JB", "BHQMC", "保护区级别", "保护区类别", "级别"),
    },
}

#: Which schema field carries a coded vocabulary, per kind, and its label column.
CODED_FIELD: dict[str, tuple[str, str | None]] = {
    "control_units": ("category", None),
    "protected_areas": ("zone", "zone_label"),
    "water_sources": ("level", "level_label"),
}

CATEGORY_LABELS_ZH = {"priority": "优先保护单元", "key": "重点管控单元", "general": "一般管控单元"}
ZONE_LABELS_ZH = {
    "core": "核心区",
    "buffer": "缓冲区",
    "experimental": "实验区",
    "core_protection": "核心保护区",
    "general_control": "一般控制区",
}
LEVEL_LABELS_ZH = {"level1": "一级保护区", "level2": "二级保护区", "quasi": "准保护区"}
KIND_LABELS_ZH = {
    "control_units": "环境管控单元",
    "eco_redline": "生态保护红线",
    "protected_areas": "自然保护地",
    "water_sources": "饮用水水源保护区",
}

_VALUES: dict[str, dict[str, str]] = {
    "category": {
        "priority": "priority", "key": "key", "general": "general",
        "1": "priority", "2": "key", "3": "general",
        "优先保护单元": "priority", "优先保护": "priority", "优先保护类": "priority", "优先": "priority",
        "重点管控单元": "key", "重点管控": "key", "重点管控类": "key", "重点": "key",
        "一般管控单元": "general", "一般管控": "general", "一般管控类": "general", "一般": "general",
    },
    "zone": {
        "core": "core", "buffer": "buffer", "experimental": "experimental",
        "core_protection": "core_protection", "general_control": "general_control",
        "核心区": "core", "缓冲区": "buffer", "实验区": "experimental",
        "核心保护区": "core_protection", "一般控制区": "general_control",
    },
    "level": {
        "level1": "level1", "level2": "level2", "quasi": "quasi",
        "一级保护区": "level1", "一级": "level1", "一级区": "level1",
        "二级保护区": "level2", "二级": "level2", "二级区": "level2",
        "准保护区": "quasi", "准保护": "quasi",
    },
}


def _clean(value: object) -> str:
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if re.fullmatch(r"\d+\.0+", text):  # 1.0 from a float dbf column
        text = text.split(".")[0]
    return text.lower() if text.isascii() else text


def normalise_value(field: str, value: object, source_field: str | None = None) -> str:
    """Map a delivered category / zone / level value onto the store's code.

    Parameters
    ----------
    field : {"category", "zone", "level"}
        The schema field.
    value : object
        The value as delivered (Chinese label, digit, English code).
    source_field : str, optional
        The source field's name, for the error message.

    Raises
    ------
    MappingError
        Naming the value and the field, when the value is unknown.

    Examples
    --------
    >>> normalise_value("category", "重点管控单元")
    'key'
    >>> normalise_value("category", 3)
    'general'
    """
    table = _VALUES[field]
    code = table.get(_clean(value))
    if code is None:
        where = f"field {source_field!r}" if source_field else f"the {field} field"
        allowed = sorted({k for k in table if not k.isascii()} | set(table.values()))
        raise MappingError(
            f"unknown {field} value {value!r} in {where}; expected one of: {', '.join(allowed)}"
        )
    return code


_UNIT_CODE = re.compile(r"^ZH\d{6}[123]\d{4}$")


def unit_code_is_regular(code: str, category: str | None = None) -> bool:
    """True when ``code`` follows ZH + 6-digit county code + category digit + 4-digit serial."""
    if not _UNIT_CODE.match(str(code)):
        return False
    if category is None:
        return True
    return str(code)[8] == {"priority": "1", "key": "2", "general": "3"}[category]
