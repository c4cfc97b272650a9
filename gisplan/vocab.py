"""The store's fixed schema and the vocabularies that official deliveries use.

Value tables turn what provinces deliver (Chinese labels, the digits 1/2/3 of
ZHGKDYFL, English codes) into the store's codes; field alias tables name the
pinyin-abbreviated fields seen in deployed systems, so ``--map`` is needed only
for the unusual ones.
"""

from __future__ import annotations

import functools
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
    "OPTIONAL",
    "PA_TYPE_LABELS_ZH",
    "PA_TYPE_GROUP",
    "PA_LEVEL_LABELS_ZH",
    "UNZONED",
    "UNZONED_STRICTEST_ZONE",
    "strictest_zone_for_unzoned",
    "to_simplified",
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

#: Optional fields per kind: filled when the delivery has them, empty otherwise
#: (older stores may lack the columns altogether).
OPTIONAL: dict[str, tuple[str, ...]] = {
    "control_units": (),
    "eco_redline": (),
    "protected_areas": ("pa_type", "pa_level"),
    "water_sources": (),
}

#: Schema fields that must be present after mapping (others may be filled in).
REQUIRED: dict[str, tuple[str, ...]] = {
    "control_units": ("code", "category"),
    "eco_redline": (),
    "protected_areas": (),  # no zone field: whole-reserve outlines, zone "unzoned"
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
        # type and level: field names of the national protected-area databases and
        # provincial deliveries (pinyin initials of 保护地类型/类别, 保护地级别, 级别)
        "pa_type": ("pa_type", "BHDLX", "ZRBHDLX", "BHDLB", "BHQLX", "BHDZL", "LX", "LB", "保护地类型",
                    "自然保护地类型", "保护地类别", "类型", "类别"),
        "pa_level": ("pa_level", "BHDJB", "ZRBHDJB", "BHQJB", "JB", "JIBIE", "保护地级别", "自然保护地级别",
                     "级别"),
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

#: Optional coded fields (vocabulary, no label column): checked when the delivery has them.
OPTIONAL_CODED: dict[str, tuple[str, ...]] = {"protected_areas": ("pa_type", "pa_level")}

#: Zone of protected-area outlines delivered without their internal zones.
UNZONED = "unzoned"

CATEGORY_LABELS_ZH = {"priority": "优先保护单元", "key": "重点管控单元", "general": "一般管控单元"}
ZONE_LABELS_ZH = {
    "core": "核心区",
    "buffer": "缓冲区",
    "experimental": "实验区",
    "core_protection": "核心保护区",
    "general_control": "一般控制区",
    "unzoned": "未分区",
}
#: Protected-area types of the 2019 system (national park, nature reserve, nature park and its kinds).
PA_TYPE_LABELS_ZH = {
    "national_park": "国家公园",
    "nature_reserve": "自然保护区",
    "nature_park": "自然公园",
    "forest_park": "森林公园",
    "wetland_park": "湿地公园",
    "scenic_area": "风景名胜区",
    "geopark": "地质公园",
    "marine_park": "海洋公园",
    "desert_park": "沙漠公园",
    "grassland_park": "草原公园",
}
#: Each type's group in the system: national park, nature reserve or nature park.
PA_TYPE_GROUP = {
    "national_park": "national_park",
    "nature_reserve": "nature_reserve",
    **{k: "nature_park" for k in PA_TYPE_LABELS_ZH if k not in ("national_park", "nature_reserve")},
}
PA_LEVEL_LABELS_ZH = {"national": "国家级", "provincial": "省级", "municipal": "市级", "county": "县级"}
#: Strictest zone per protected-area group: what a hit on an ``unzoned`` outline is treated as.
#: National parks are zoned core protection / general control since the 2019 reform and nature
#: parks are managed as general control zones as a whole; a nature reserve (or an outline of
#: unknown type) counts as core zone.
UNZONED_STRICTEST_ZONE = {"national_park": "core_protection", "nature_reserve": "core", "nature_park": "general_control"}
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
        "unzoned": "unzoned", "未分区": "unzoned", "不分区": "unzoned", "无分区": "unzoned",
        "整体": "unzoned", "全域": "unzoned",
    },
    "pa_type": {
        **{k: k for k in PA_TYPE_LABELS_ZH},
        **{v: k for k, v in PA_TYPE_LABELS_ZH.items()},
        "national park": "national_park", "nature reserve": "nature_reserve", "nature park": "nature_park",
        "forest park": "forest_park", "wetland park": "wetland_park", "scenic area": "scenic_area",
        "保护区": "nature_reserve", "风景区": "scenic_area", "风景名胜": "scenic_area",
        "地质遗迹保护区": "geopark", "海洋特别保护区": "marine_park", "湿地": "wetland_park",
        "国家湿地公园": "wetland_park", "国家森林公园": "forest_park", "国家地质公园": "geopark",
        "国家海洋公园": "marine_park", "国家沙漠公园": "desert_park", "国家草原公园": "grassland_park",
    },
    "pa_level": {
        **{k: k for k in PA_LEVEL_LABELS_ZH},
        **{v: k for k, v in PA_LEVEL_LABELS_ZH.items()},
        "国家": "national", "省": "provincial", "市": "municipal", "地市级": "municipal",
        "市州级": "municipal", "州级": "municipal", "县": "county", "县市级": "county", "县区级": "county",
        "1": "national", "2": "provincial", "3": "municipal", "4": "county",
    },
    "level": {
        "level1": "level1", "level2": "level2", "quasi": "quasi",
        "一级保护区": "level1", "一级": "level1", "一级区": "level1",
        "二级保护区": "level2", "二级": "level2", "二级区": "level2",
        "准保护区": "quasi", "准保护": "quasi",
    },
}


@functools.lru_cache(maxsize=1)
def _t2s():
    from opencc import OpenCC  # opencc-python-reimplemented (pure Python) or the official opencc

    return OpenCC("t2s")


@functools.lru_cache(maxsize=4096)
def to_simplified(text: str) -> str:
    """``text`` with Traditional characters converted to Simplified (OpenCC ``t2s``).

    Examples
    --------
    >>> to_simplified("一級保護區")
    '一级保护区'
    """
    if text.isascii():
        return text
    return _t2s().convert(text)


_LEVEL_PREFIX = re.compile(r"^(国家级|省级|市级|县级|地方级|国家|省)(?=.)")


def _clean(value: object) -> str:
    text = to_simplified(unicodedata.normalize("NFKC", str(value)).strip())
    if re.fullmatch(r"\d+\.0+", text):  # 1.0 from a float dbf column
        text = text.split(".")[0]
    return text.lower() if text.isascii() else text


def normalise_value(field: str, value: object, source_field: str | None = None) -> str:
    """Map a delivered category / zone / level value onto the store's code.

    Parameters
    ----------
    field : {"category", "zone", "level", "pa_type", "pa_level"}
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
    >>> normalise_value("zone", "緩衝區")  # Traditional characters too
    'buffer'
    """
    table = _VALUES[field]
    cleaned = _clean(value)
    code = table.get(cleaned)
    if code is None and field == "pa_type":  # 国家级自然保护区, 省级森林公园 ...: the level is a separate field
        code = table.get(_LEVEL_PREFIX.sub("", cleaned))
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


def strictest_zone_for_unzoned(pa_type: str | None = None) -> str:
    """The zone a hit on an ``unzoned`` protected-area outline is treated as.

    Parameters
    ----------
    pa_type : str, optional
        The area's type code (``nature_reserve``, ``forest_park`` ...); empty or
        unknown counts as a nature reserve, the strictest.

    Returns
    -------
    str
        ``core`` for a nature reserve (or unknown type), ``core_protection`` for a
        national park (the 2019 two-zone scheme), ``general_control`` for a
        nature park (managed as a general control zone as a whole).

    Examples
    --------
    >>> strictest_zone_for_unzoned("wetland_park")
    'general_control'
    >>> strictest_zone_for_unzoned("")
    'core'
    """
    group = PA_TYPE_GROUP.get(str(pa_type or ""), "nature_reserve")
    return UNZONED_STRICTEST_ZONE[group]
