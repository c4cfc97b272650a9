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
    "BASE_KINDS",
    "ELEMENT_KINDS",
    "ELEMENTS",
    "ELEMENT_ZONE_LABELS_ZH",
    "ELEMENT_TILING",
    "PLANNING_KINDS",
    "THREE_LINES",
    "URBAN_ZONE_LABELS_ZH",
    "FARMLAND_ZONE",
    "URBAN_OUTSIDE_ZONE",
    "CODED_VOCAB",
    "ZONE_LABELS_BY_KIND",
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

#: The four kinds every screening needs (a store without one of them gives ``review``).
BASE_KINDS = ("control_units", "eco_redline", "protected_areas", "water_sources")
#: Element zones (要素分区) of the quality baseline and the resource limit: optional layers beside the units.
ELEMENT_KINDS = ("air_zones", "water_zones", "soil_zones", "resource_zones")
#: The planning kinds of the three control lines (三条控制线) beside the redline: permanent basic farmland
#: (永久基本农田) and the urban development boundary (城镇开发边界). Optional layers, as the element zones.
PLANNING_KINDS = ("basic_farmland", "urban_boundary")
KINDS = BASE_KINDS + ELEMENT_KINDS + PLANNING_KINDS
#: The three control lines of territorial spatial planning (三条控制线), in the order plans list them.
THREE_LINES = ("eco_redline", "basic_farmland", "urban_boundary")
#: The zone code every basic-farmland feature carries (as the redline's ``redline``).
FARMLAND_ZONE = "farmland"
#: The zone code of a site's part outside every urban-boundary feature (no feature holds it).
URBAN_OUTSIDE_ZONE = "outside"
#: The element (as an access-list clause's ``element_zone`` tag names it: ``air:key_receptor``) of each kind.
ELEMENTS = {"air": "air_zones", "water": "water_zones", "soil": "soil_zones", "resource": "resource_zones"}
#: Element kinds whose zones tile the area they were delivered for (priority / key / general): the
#: layer's union is its coverage. Resource-limit zones (no-burn, groundwater, shoreline) cover parts only.
ELEMENT_TILING = ("air_zones", "water_zones", "soil_zones")

#: Store columns per kind (besides geometry); the first is the feature's name or code.
SCHEMA: dict[str, tuple[str, ...]] = {
    "control_units": ("code", "name", "category", "county"),
    "eco_redline": ("name",),
    "protected_areas": ("name", "zone", "zone_label"),
    "water_sources": ("name", "level", "level_label"),
    **{k: ("name", "zone", "zone_label", "code") for k in ELEMENT_KINDS},
    # a basic-farmland feature: its code (图斑编号 / 保护片块编号, also its name when it has none),
    # land class (地类: 水田, 旱地, 水浇地) and township (乡镇 / 座落单位)
    "basic_farmland": ("name", "code", "land_class", "township"),
    "urban_boundary": ("name", "zone", "zone_label", "code"),
}

#: Optional fields per kind: filled when the delivery has them, empty otherwise
#: (older stores may lack the columns altogether).
OPTIONAL: dict[str, tuple[str, ...]] = {
    "control_units": (),
    "eco_redline": (),
    "protected_areas": ("pa_type", "pa_level"),
    "water_sources": (),
    **{k: () for k in ELEMENT_KINDS},
    **{k: () for k in PLANNING_KINDS},
}

#: Schema fields that must be present after mapping (others may be filled in).
REQUIRED: dict[str, tuple[str, ...]] = {
    "control_units": ("code", "category"),
    "eco_redline": (),
    "protected_areas": (),  # no zone field: whole-reserve outlines, zone "unzoned"
    "water_sources": ("level",),
    **{k: ("zone",) for k in ELEMENT_KINDS},
    "basic_farmland": (),
    "urban_boundary": (),  # no zone field: the boundary as one outline, zone "boundary"
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
    # element zones: the national data specification is not public; these are the pinyin initials
    # of 要素管控分区编码/名称/类型 (YSGKFQBM ...), of 分区类型/管控分区类别 (FQLX, GKFQLB ...) and
    # the Chinese headers seen in provincial tables (an assumption, not a verified list)
    **{k: {
        "zone": ("zone", "FQLX", "GKFQLX", "GKFQLB", "YSFQLX", "YSGKFQLX", "YSFQLB", "FQLB", "GKLX",
                 "分区类型", "管控分区类型", "管控分区类别", "要素分区类型", "分区类别", "管控类型", "管控分区"),
        "name": ("name", "YSGKFQMC", "YSFQMC", "GKFQMC", "FQMC", "QYMC", "MC", "NAME", "分区名称", "管控分区名称", "要素管控分区名称", "名称"),
        "code": ("code", "YSGKFQBM", "YSFQBM", "GKFQBM", "FQBM", "YSBM", "BM", "分区编码", "管控分区编码",
                 "要素管控分区编码", "编码"),
    } for k in ELEMENT_KINDS},
    # permanent basic farmland as the land-survey and planning databases deliver it: the layers
    # YJJBNTBHTB / JBNTBHTB (保护图斑) and JBNTBHPK (保护片块) with YJJBNTTBBH / JBNTTBBH (图斑编号),
    # TBBH, DLBM / DLMC (地类编码 / 名称), ZLDWMC / QSDWMC (座落 / 权属单位名称), XZQMC; the piece
    # numbers BHPKBH / JBNTBHPKBH are the pinyin initials of 保护片块编号 (an assumption, not seen in a delivery)
    "basic_farmland": {
        "code": ("code", "YJJBNTTBBH", "JBNTTBBH", "BHPKBH", "JBNTBHPKBH", "PKBH", "TBBH", "永久基本农田图斑编号",
                 "基本农田图斑编号", "图斑编号", "保护片块编号", "片块编号", "编号"),
        "name": ("name", "MC", "NAME", "PKMC", "名称", "片块名称", "保护片块名称"),
        "land_class": ("land_class", "DLMC", "地类名称", "地类", "DLBM", "地类编码"),
        "township": ("township", "ZLDWMC", "QSDWMC", "XZMC", "XZQMC", "XIANG", "乡镇", "乡镇名称", "座落单位名称",
                     "坐落单位名称", "权属单位名称", "行政区名称"),
    },
    # the urban development boundary (城镇开发边界, layer CZKFBJ of the planning databases) with its
    # planning zones in GHFQMC / GHFQDM (规划分区名称 / 代码): 城镇集中建设区, 城镇弹性发展区, 特别用途区
    "urban_boundary": {
        "zone": ("zone", "GHFQMC", "GHFQDM", "FQMC", "FQLX", "GHFQ", "规划分区名称", "规划分区", "分区名称", "分区类型",
                 "分区"),
        "name": ("name", "CZKFBJMC", "KFBJMC", "MC", "NAME", "名称", "边界名称"),
        "code": ("code", "BSM", "CZKFBJBM", "BM", "标识码", "编码"),
    },
}

#: Which schema field carries a coded vocabulary, per kind, and its label column.
CODED_FIELD: dict[str, tuple[str, str | None]] = {
    "control_units": ("category", None),
    "protected_areas": ("zone", "zone_label"),
    "water_sources": ("level", "level_label"),
    **{k: ("zone", "zone_label") for k in ELEMENT_KINDS},
    "urban_boundary": ("zone", "zone_label"),
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
    "core_scenic": "核心景区",
    "other_scenic": "其他景区",
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
    "air_zones": "大气环境管控分区",
    "water_zones": "水环境管控分区",
    "soil_zones": "土壤环境管控分区",
    "resource_zones": "资源利用管控分区",
    "basic_farmland": "永久基本农田",
    "urban_boundary": "城镇开发边界",
}
#: Planning zones of the urban development boundary (城镇开发边界内的规划分区); ``boundary`` is an outline
#: delivered without them, ``outside`` the site's part outside every boundary feature.
URBAN_ZONE_LABELS_ZH = {
    "concentrated": "城镇集中建设区",
    "flexible": "城镇弹性发展区",
    "special": "特别用途区",
    "boundary": "城镇开发边界（未分区）",
}
#: Zone codes of each element kind and their labels, as deployed 三线一单 systems name the layers
#: (大气环境受体敏感重点管控区, 水环境工业污染重点管控区, 建设用地污染风险重点管控区, 高污染燃料禁燃区 ...).
ELEMENT_ZONE_LABELS_ZH: dict[str, dict[str, str]] = {
    "air_zones": {
        "priority": "大气环境优先保护区",
        "key_high_emission": "大气环境高排放重点管控区",
        "key_layout_sensitive": "大气环境布局敏感重点管控区",
        "key_weak_diffusion": "大气环境弱扩散重点管控区",
        "key_receptor": "大气环境受体敏感重点管控区",
        "general": "大气环境一般管控区",
    },
    "water_zones": {
        "priority": "水环境优先保护区",
        "key_industrial": "水环境工业污染重点管控区",
        "key_urban": "水环境城镇生活污染重点管控区",
        "key_agricultural": "水环境农业污染重点管控区",
        "general": "水环境一般管控区",
    },
    "soil_zones": {
        "agri_priority": "农用地优先保护区",
        "agri_risk": "农用地污染风险重点管控区",
        "construction_risk": "建设用地污染风险重点管控区",
        "general": "土壤环境一般管控区",
    },
    "resource_zones": {
        "no_burn": "高污染燃料禁燃区",
        "groundwater_no_extraction": "地下水禁采区",
        "groundwater_limited_extraction": "地下水限采区",
        "eco_water_supply": "生态用水补给区",
        "shoreline_priority": "岸线优先保护区",
        "shoreline_key": "岸线重点管控区",
        "shoreline_general": "岸线一般管控区",
    },
}

def _element_values(kind: str, extra: dict[str, str]) -> dict[str, str]:
    """Codes, full labels, labels without the element prefix and ``extra`` synonyms of one element kind."""
    labels = ELEMENT_ZONE_LABELS_ZH[kind]
    out = {k: k for k in labels} | {v: k for k, v in labels.items()}
    for prefix in ("大气环境", "水环境", "土壤环境", "土壤") if kind != "resource_zones" else ():
        out |= {v[len(prefix):]: k for k, v in labels.items() if v.startswith(prefix) and len(v) > len(prefix) + 2}
    return out | extra


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
        # scenic areas (风景名胜区条例 arts. 15, 27: 核心景区 and 其他景区)
        "core_scenic": "core_scenic", "other_scenic": "other_scenic", "核心景区": "core_scenic",
        "其他景区": "other_scenic", "一般景区": "other_scenic", "非核心景区": "other_scenic",
        "核心景区外": "other_scenic", "核心景区以外": "other_scenic",
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
    # element zones: one vocabulary per kind (the store's ``zone`` column of that kind)
    "air_zone": _element_values("air_zones", {
        "优先保护区": "priority", "一般管控区": "general",
        "高排放区": "key_high_emission", "高排放重点管控区": "key_high_emission", "大气环境高排放区": "key_high_emission",
        "布局敏感区": "key_layout_sensitive", "布局敏感重点管控区": "key_layout_sensitive",
        "大气环境布局敏感区": "key_layout_sensitive",
        "弱扩散区": "key_weak_diffusion", "弱扩散重点管控区": "key_weak_diffusion", "大气环境弱扩散区": "key_weak_diffusion",
        "受体敏感区": "key_receptor", "受体敏感重点管控区": "key_receptor", "大气环境受体敏感区": "key_receptor",
        "1": "priority", "3": "general",
    }),
    "water_zone": _element_values("water_zones", {
        "优先保护区": "priority", "一般管控区": "general",
        "工业污染重点管控区": "key_industrial", "水环境工业污染重点管控区": "key_industrial",
        "城镇生活污染重点管控区": "key_urban", "城镇生活重点管控区": "key_urban", "水环境城镇生活重点管控区": "key_urban",
        "农业污染重点管控区": "key_agricultural", "水环境农业污染重点管控区": "key_agricultural",
        "1": "priority", "3": "general",
    }),
    "soil_zone": _element_values("soil_zones", {
        "农用地优先保护": "agri_priority", "优先保护类农用地": "agri_priority", "农用地优先保护区": "agri_priority",
        "农用地污染风险重点管控区": "agri_risk", "农用地风险重点管控区": "agri_risk", "农用地重点管控区": "agri_risk",
        "建设用地污染风险重点管控区": "construction_risk", "建设用地风险重点管控区": "construction_risk",
        "建设用地重点管控区": "construction_risk", "污染地块": "construction_risk",
        "一般管控区": "general", "土壤一般管控区": "general",
    }),
    "resource_zone": _element_values("resource_zones", {
        "禁燃区": "no_burn", "高污染燃料禁燃区": "no_burn", "散煤禁燃区": "no_burn",
        "地下水禁止开采区": "groundwater_no_extraction", "禁采区": "groundwater_no_extraction",
        "地下水限制开采区": "groundwater_limited_extraction", "限采区": "groundwater_limited_extraction",
        "地下水超采区": "groundwater_limited_extraction",
        "生态用水补给区": "eco_water_supply",
        "岸线资源优先保护区": "shoreline_priority", "岸线资源重点管控区": "shoreline_key",
        "岸线资源一般管控区": "shoreline_general", "岸线保护区": "shoreline_priority",
    }),
    "urban_zone": {
        **{k: k for k in URBAN_ZONE_LABELS_ZH}, **{v: k for k, v in URBAN_ZONE_LABELS_ZH.items()},
        "集中建设区": "concentrated", "城镇集中建设区": "concentrated",
        "弹性发展区": "flexible", "城镇弹性发展区": "flexible",
        "特别用途区": "special", "城镇特别用途区": "special",
        "城镇开发边界": "boundary", "开发边界": "boundary", "未分区": "boundary", "整体": "boundary",
    },
}
#: The vocabulary (key of the value tables) of each element kind's ``zone`` field.
ELEMENT_VOCAB = {"air_zones": "air_zone", "water_zones": "water_zone", "soil_zones": "soil_zone",
                 "resource_zones": "resource_zone"}
#: The vocabulary of every kind whose ``zone`` field has one of its own (element zones, urban boundary).
CODED_VOCAB = {**ELEMENT_VOCAB, "urban_boundary": "urban_zone"}
#: Zone labels of the kinds with a vocabulary of their own.
ZONE_LABELS_BY_KIND: dict[str, dict[str, str]] = {**ELEMENT_ZONE_LABELS_ZH, "urban_boundary": URBAN_ZONE_LABELS_ZH}


@functools.lru_cache(maxsize=1)
def _t2s():
    from opencc import OpenCC  # the official OpenCC wheels (pyproject.toml says why not the pure-Python port)

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


@functools.cache
def _cleaned_table(field: str) -> dict[str, str]:
    """The value table of ``field`` keyed the way delivered values are cleaned (NFKC: （） becomes ())."""
    table = _VALUES[field]
    return table | {_clean(k): v for k, v in table.items()}


def normalise_value(field: str, value: object, source_field: str | None = None) -> str:
    """Map a delivered category / zone / level value onto the store's code.

    Parameters
    ----------
    field : {"category", "zone", "level", "pa_type", "pa_level", "air_zone", "water_zone", "soil_zone", "resource_zone", \
"urban_zone"}
        The schema field (or, for element zones and the urban boundary, the vocabulary of the kind:
        :data:`CODED_VOCAB`).
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
    table = _cleaned_table(field)
    cleaned = _clean(value)
    code = table.get(cleaned)
    if code is None and field == "pa_type":  # 国家级自然保护区, 省级森林公园 ...: the level is a separate field
        code = table.get(_LEVEL_PREFIX.sub("", cleaned))
    if code is None:
        where = f"field {source_field!r}" if source_field else f"the {field} field"
        allowed = sorted({k for k in _VALUES[field] if not k.isascii()} | set(table.values()))
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
