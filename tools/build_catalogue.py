"""Parse the 2021 EIA classification catalogue and rebuild its rows of industries.csv.

Source: ``docs/reference/eia_catalogue_2021.txt`` (pdftotext -layout of
建设项目环境影响评价分类管理名录（2021年版）, see docs/reference/README.md).

The table of the catalogue has four columns (项目类别, 报告书, 报告表, 登记表) and
a fifth for the sensitive areas; pdftotext keeps them side by side. An item
starts with its number (1-173) at the left margin; its name (项目类别) sits in
the narrow first column, vertically centred on that number, broken over as
many lines as it needs. This script

1. finds the 55 section headings (一、 .. 五十五、) and the 173 item numbers;
2. cuts the first-column fragment out of every line (text that starts within
   the first few columns, up to the next column);
3. gives each fragment to the item whose number line is nearest (the name cell
   is centred on the number), then repairs by hand (``NAME_FIXES``) the few
   cells the layout breaks;
4. reads the GB/T 4754-2017 codes printed after the names (``陆上风力发电 4415``
   -> ``D4415``) and adds the section letter;
5. emits one row per item (code ``EIA2021-<n>``, scheme ``eia2021``) with
   aliases and attribute flags (curated here, see ``ITEM_FLAGS`` and
   ``ALIASES``), plus gisplan's own kinds that are not catalogue items
   (scheme ``gisplan``), and rewrites ``gisplan/rules/data/industries.csv``
   keeping its GB/T 4754 rows.

Run from the repository root::

    python tools/build_catalogue.py          # rewrite the CSV
    python tools/build_catalogue.py --check  # exit 1 if the CSV is out of date
    python tools/build_catalogue.py --show   # print item, section, name, codes
"""

from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEXT = ROOT / "docs" / "reference" / "eia_catalogue_2021.txt"
CSV_PATH = ROOT / "gisplan" / "rules" / "data" / "industries.csv"

N_ITEMS = 173
N_SECTIONS = 55
CJK_NUM = "一二三四五六七八九十"
_SECTION_RE = re.compile(rf"^([{CJK_NUM}]+)、\s*(.+?)\s*$")
_ITEM_RE = re.compile(r"^(\d{1,3})(\s+|$)")
# A GB/T 4754 group (3 digits) or class (4 digits) printed after a name: followed
# by "*", "；", "（", "、" or the end of the cell ("陆上风力发电 4415；", "谷物磨制 131*；").
_CODE_RE = re.compile(r"(?<![\d.])(\d{3,4})(\*?)(?=[；（、]|$)")

# --------------------------------------------------------------------------- parsing


def _first_column(line: str) -> tuple[int | None, str]:
    """The item number at the margin (or None) and the first-column fragment of a line."""
    number = None
    body = line
    m = _ITEM_RE.match(line)
    if m:
        number = int(m.group(1))
        body = " " * m.end(1) + line[m.end(1):]
    stripped = body.lstrip(" ")
    col = len(body) - len(stripped)
    if not stripped or not 3 <= col <= 8:
        return number, ""
    frag = re.split(r"\s{2,}", stripped, maxsplit=1)[0]
    # next column after a single space: "锰矿、 全部（含...", "体 /", "矿 单个泊位..."
    # (spaced-out justified text such as "竹 、 藤 家 具" has single characters between spaces)
    cut = re.search(r" (?=/)|(?<!；) (?=[\u4e00-\u9fff]{2})", frag)
    if cut:
        frag = frag[:cut.start()]
    return number, frag


def _join(fragments: list[str]) -> str:
    """Join the wrapped pieces of one cell, dropping the layout's padding spaces."""
    text = "".join(f.strip() for f in fragments).replace(" ", "")  # 竹 、 藤 -> 竹、藤
    return re.sub(r"(?<=[\u4e00-\u9fff])(?=\d{3,4}\*?(?:[；（、]|$))", " ", text)  # 水力发电 4413


def parse_catalogue(text: str) -> list[dict]:
    """Items of the catalogue: ``{"item", "section", "printed", "line"}`` in order.

    ``printed`` is the 项目类别 cell as printed (wrapped lines joined),
    ``line`` the 1-based line of the text where the item's number stands.
    """
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("一、"))
    end = next(i for i, ln in enumerate(lines) if ln.startswith("说明："))
    sections: list[tuple[int, str]] = []
    numbers: dict[int, int] = {}  # item -> line index
    fragments: list[tuple[int, str]] = []
    expected = 1
    for i in range(start, end):
        ln = lines[i]
        sec = _SECTION_RE.match(ln)
        if sec:
            sections.append((i, section_label(ln)))
            continue
        if ln.strip().startswith("—") or ln.strip() in {"项目类别", "环评类别"} or "报 告 书" in ln:
            continue
        number, frag = _first_column(ln)
        if number is not None:
            if number != expected:
                raise ValueError(f"line {i + 1}: item {number}, expected {expected}")
            numbers[number] = i
            expected += 1
        if frag:
            fragments.append((i, frag))
    if expected != N_ITEMS + 1 or len(sections) != N_SECTIONS:
        raise ValueError(f"found {expected - 1} items and {len(sections)} sections")
    cells: dict[int, list[str]] = {n: [] for n in numbers}
    order = sorted(numbers.items(), key=lambda kv: kv[1])
    for i, frag in fragments:
        # the nearest number line, never across a section heading; a tie goes to
        # the item above (its cell runs on below its number)
        same = [kv for kv in order if not any(min(i, kv[1]) < s < max(i, kv[1]) for s, _ in sections)]
        best = min(same, key=lambda kv: (abs(kv[1] - i), kv[1] > i))
        cells[best[0]].append(frag)
    auto = {n: _join(cells[n]) for n in cells}
    for group in FIX_GROUPS:
        _check_fix(group, "".join(auto[n] for n in group), "".join(NAME_FIXES[n] for n in group))
    items = []
    for n, i in order:
        section = [label for s, label in sections if s < i][-1]
        items.append({"item": n, "section": section, "printed": NAME_FIXES.get(n) or auto[n], "line": i + 1})
    return items


def _check_fix(group: tuple[int, ...], cut: str, fixed: str) -> None:
    rest = iter(cut.replace(" ", ""))
    if not all(ch in rest for ch in fixed.replace(" ", "")):
        raise ValueError(f"NAME_FIXES for items {group} is not text of the catalogue: {fixed!r} vs {cut!r}")


def section_label(heading: str) -> str:
    """``四、煤炭开采和洗选业 06`` -> ``四、煤炭开采和洗选业`` (division codes dropped)."""
    label = re.sub(r"\s*\d{2}(?=、|$)", "", heading.strip())
    return re.sub(r"、\s+", "、", label)


# Cells the layout breaks (a fragment of the neighbouring item, text run into the
# next column): the name exactly as printed in the PDF, checked by eye.
NAME_FIXES: dict[int, str] = {
    44: "基础化学原料制造 261；农药制造 263；涂料、油墨、颜料及类似产品制造 264；合成材料制造 265；"
        "专用化学产品制造 266；炸药、火工及焰火产品制造 267",
    45: "肥料制造 262",
    47: "化学药品原料药制造 271；化学药品制剂制造 272；兽用药品制造 275；生物药品制品制造 276",
    48: "中药饮片加工 273*；中成药生产 274*",
    61: "炼铁 311",
    62: "炼钢 312；铁合金冶炼 314",
    64: "常用有色金属冶炼 321；贵金属冶炼 322；稀有稀土金属冶炼 323；有色金属合金制造 324",
    65: "有色金属压延加工 325",
    75: "摩托车制造 375",
    76: "自行车和残疾人座车制造 376；助动车制造 377；非公路休闲车及零配件制造 378；潜水救捞及其他未列明运输设备制造 379",
    87: "火力发电 4411；热电联产 4412（4411和4412均含掺烧生活垃圾发电、掺烧污泥发电）",
    88: "水力发电 4413",
    102: "医疗废物处置、病死及病害动物无害化处理",
    103: "一般工业固体废物（含污水处理污泥）、建筑施工废弃物处置及综合利用",
    108: "医院 841；专科疾病防治院（所、站）8432；妇幼保健院（所、站）8433；急救中心（站）服务 8434；"
         "采供血机构服务 8435；基层医疗卫生服务 842",
    109: "疾病预防控制中心 8431",
    112: "高尔夫球场、滑雪场、狩猎场、赛车场、跑马场、射击场、水上运动中心等",
    113: "展览馆、博物馆、美术馆、影剧院、音乐厅、文化馆、图书馆、档案馆、纪念馆、体育场、体育馆等（不含村庄文化体育场所）",
    114: "公园（含动物园、主题公园；不含城市公园、植物园、村庄公园）；人工湖、人工湿地",
    115: "旅游开发",
    167: "核动力厂（核电厂、核热电厂、核供汽供热厂等）；反应堆（研究堆、实验堆、临界装置等）；"
         "核燃料生产、加工、贮存、后处理设施；放射性污染治理项目",
    168: "放射性废物贮存、处理、处置设施",
}
# pairs of neighbouring items whose first-column text the layout mixed up: the
# fixed names of a group, read in order, must be a subsequence of the text the
# parser cut out for the group (nothing invented, only foreign text dropped)
FIX_GROUPS = [(44, 45), (47, 48), (61, 62), (64, 65), (75, 76), (87, 88), (102, 103), (108, 109), (112, 113),
              (114, 115), (167, 168)]


def gb_codes(printed: str) -> list[str]:
    """GB/T 4754-2017 codes printed in an item's cell, with their section letter."""
    out = []
    for m in _CODE_RE.finditer(printed.replace(" ", "")):
        code = section_letter(m.group(1)) + m.group(1)
        if code not in out:
            out.append(code)
    return out


def plain_name(printed: str) -> str:
    """The printed cell without its codes and ``*`` marks: ``陆上风力发电；太阳能发电（...）``."""
    return _CODE_RE.sub("", printed.replace(" ", "")).replace("*", "")


def parts(printed: str) -> list[str]:
    """The kinds one item lists, without their qualifiers: ``等级公路``, ``陆上风力发电`` ...."""
    name = plain_name(printed)
    depth, cur, out = 0, "", []
    for ch in name:
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth -= 1
        elif ch == "；" and depth == 0:
            out.append(cur)
            cur = ""
        elif depth == 0:
            cur += ch
    out.append(cur)
    return [p.strip("、，") for p in out if p.strip("、，")]


_DIVISION_SECTIONS = [(1, 5, "A"), (6, 12, "B"), (13, 43, "C"), (44, 46, "D"), (47, 50, "E"), (51, 52, "F"),
                      (53, 60, "G"), (61, 62, "H"), (63, 65, "I"), (66, 69, "J"), (70, 70, "K"), (71, 72, "L"),
                      (73, 75, "M"), (76, 79, "N"), (80, 82, "O"), (83, 83, "P"), (84, 85, "Q"), (86, 90, "R"),
                      (91, 96, "S"), (97, 97, "T")]


def section_letter(code: str) -> str:
    """The GB/T 4754-2017 section (门类) of a numeric code: ``4415`` -> ``D``."""
    division = int(code[:2])
    return next(letter for lo, hi, letter in _DIVISION_SECTIONS if lo <= division <= hi)


# --------------------------------------------------------------------------- curation

#: GB/T 4754-2017 codes for items the catalogue prints without one (gisplan's
#: assignment, checked against a GB/T 4754-2017 table; see each row's gb_note).
SUPPLEMENT_CODES: dict[int, str] = {
    1: "A01", 2: "A01;A02", 67: "C336", 91: "D443", 95: "D462", 97: "K701", 98: "M73", 99: "M747",
    100: "N7722", 101: "N7724", 102: "N7724", 103: "N7723", 105: "N7820", 106: "N7820", 107: "N7820",
    110: "P83;Q851", 111: "L7223", 112: "R89", 113: "R88;R89", 114: "N785;R9020", 115: "N786",
    116: "R8730", 118: "G54;P8391", 119: "F5265;F5266", 120: "O811", 121: "O811", 122: "O8080", 123: "O8222;M7493",
    124: "E4821;E4822;N76", 125: "E4821;N76", 126: "E4821;N7630", 127: "E4822;N7610", 128: "E4822",
    129: "N7630", 130: "E4812;G54", 131: "E4813", 132: "E4811;G53", 133: "E4811;G53", 134: "E4811;G53",
    135: "E4814;G5412", 136: "G5631", 137: "G563", 138: "G5532;E4823", 139: "G5532;E4823", 140: "G5532;E4823",
    141: "G5531;E4823", 142: "G553;E4823", 143: "E4823;G553", 144: "E4823;D4413", 145: "E4823;G553",
    146: "E4852;E4853", 147: "G572;E4852", 148: "G572;E4852", 150: "B0712;B0722;E4831", 151: "D4415;D4419;E4832",
    152: "E4833;E4834", 153: "E4839", 154: "E4839", 155: "E4839", 156: "E4839", 157: "E4839", 158: "E4839",
    159: "E4839", 160: "E4839", 161: "D442;E4851", 162: "I6322", 163: "I6322", 164: "I633", 166: "I631",
    167: "D4414;C2530", 168: "N7725", 169: "B0933", 170: "M7471",
}
#: Items left without a GB code: no class fits without guessing.
NO_CODE_NOTE = {104: "地质灾害治理无对应小类", 117: "胶片洗印未核对到小类", 165: "雷达无对应小类",
                171: "伴生放射性矿随主矿种归类", 172: "核技术利用不限行业", 173: "核技术利用不限行业"}

#: The attributes of items whose GB codes say too little or too much (replaces
#: the attributes derived from their GB rows). Keys are item numbers. Where an
#: item joins kinds the law treats apart, the stricter reading is kept: no
#: ``tourism_facility`` for golf courses, theme parks or artificial lakes (items
#: 112, 114, 155), which are no "moderate tourism" in the sense of 142号.
F = {
    "pw": "pollutes_water", "dp": "discharges_pollutants", "sw": "severe_water_pollution", "hp": "heavy_polluting",
    "hm": "heavy_metal", "li": "linear_infrastructure", "ws": "water_supply_related", "fc": "flood_control",
    "rm": "research_monitoring", "er": "ecological_restoration", "tf": "tourism_facility", "mi": "mining",
    "pf": "production_facility", "so": "sewage_outfall",
}
ITEM_FLAGS: dict[int, str] = {
    90: "pf", 98: "dp", 99: "", 100: "dp", 101: "pw dp sw hp hm", 102: "pw dp sw hp", 103: "pw dp", 104: "",
    105: "pw dp", 106: "pw dp sw hp", 107: "pw dp sw", 108: "pw dp", 109: "pw dp", 110: "dp", 111: "dp",
    112: "pw dp", 113: "dp", 114: "dp", 115: "tf", 116: "dp", 117: "pw dp pf", 118: "dp", 119: "dp",
    120: "pw dp", 121: "dp", 122: "dp", 123: "pw dp", 124: "fc", 125: "", 126: "ws", 127: "fc", 128: "fc er",
    129: "", 130: "li", 131: "li", 132: "li", 133: "li", 134: "dp", 135: "li", 136: "dp pf", 137: "dp",
    138: "pw dp", 139: "dp", 140: "dp", 141: "dp", 142: "dp", 143: "", 144: "pf", 145: "dp", 146: "li",
    147: "li", 148: "li", 149: "dp pf", 150: "pw dp mi pf", 151: "pf", 152: "li", 153: "li", 154: "",
    155: "dp", 156: "", 157: "dp pf", 158: "er", 159: "pw dp so", 160: "", 161: "li", 162: "", 163: "",
    164: "", 165: "", 166: "", 167: "pw dp pf", 168: "pw dp sw", 169: "pw dp hp hm mi pf", 170: "",
    171: "pw dp hp mi pf", 172: "", 173: "",
}
#: 自然资发〔2022〕142号 part 二: types that may be national major projects
#: (energy and mineral exploitation, hydropower, nuclear power, power grid,
#: roads, railways, airports, ports, oil and gas pipelines, reservoirs, water
#: diversion, flood control). Urban roads and rail, waterways, fishing ports,
#: wind and solar power are left out on purpose.
NATIONAL_MAJOR = {6, 7, 8, 9, 10, 88, 124, 126, 127, 130, 132, 133, 134, 136, 137, 138, 139, 140, 141, 142, 144,
                  147, 150, 153, 161, 167, 169}
MINERAL_EXPLORATION = {99, 170}
AQUACULTURE = {4, 5}
SEWAGE_TREATMENT = {95}
#: Planting and forestry bases: non-point farming, no discharging construction project in the sense of
#: 水污染防治法 art. 66 para. 1 (art. 73 is the route for planting in a protection zone).
NONPOINT_FARMING = {1, 2}
#: Facilities that store explosive, flammable, radioactive, toxic or corrosive goods by what they are
#: (风景名胜区条例 art. 26 (二)): refineries and coking, chemical raw materials (basic chemicals, pesticides,
#: paints, synthetic materials, special chemicals, explosives) and fertilisers, gas works, hazardous-waste
#: disposal, filling and gas stations, hazardous-goods stores, nuclear power and radioactive-waste stores.
HAZARDOUS_GOODS_STORAGE = {42, 44, 45, 92, 101, 119, 149, 167, 168}
#: Buildings by what they are (风景名胜区条例 art. 27: 宾馆、招待所、培训中心、疗养院以及……其他建筑物):
#: housing, hotels, offices and standard factories, laboratories, hospitals, schools, markets, museums and
#: halls, film bases, bus stations and car parks, repair shops, funeral homes, animal hospitals.
BUILDINGS = {97, 98, 108, 109, 110, 111, 113, 116, 118, 121, 122, 123}
#: The same attributes for GB/T 4754 rows (code -> attributes).
GB_NEW_FLAGS = {
    "national_major_eligible": {"B06", "B061", "B07", "B071", "B072", "B08", "B081", "B09", "B091", "B092",
                                "D4413", "D4414", "D442", "G53", "G57", "G571", "G572", "G553", "E481", "E482",
                                "N7610"},
    "mineral_exploration": {"M747"},
    "aquaculture": {"A041"},
    "not_construction": {"A", "A01", "A011", "A02", "A03", "A031", "A0313", "A032", "A04", "A041"},
    "sewage_treatment": {"D462"},
    "nonpoint_farming": {"A01", "A011", "A02"},
    "hazardous_goods_storage": {"C25", "C251", "C252", "C26", "C261", "C262", "C263", "C264", "C265", "C266",
                                "D45", "D451"},
    "building": {"E47", "H61", "K70", "K701", "K7010", "P83", "Q84"},
}
NEW_FLAGS = ("national_major_eligible", "mineral_exploration", "aquaculture", "not_construction", "sewage_treatment",
             "nonpoint_farming", "hazardous_goods_storage", "building")
#: Attributes of GB/T 4754 rows set wrongly in earlier tables: a sewage works is not a sewage outfall
#: (水污染防治法 arts. 65/66 decide a sewage works, art. 64 an outfall).
GB_FLAG_FIXES = {"D462": {"sewage_outfall": "0"}}
#: Corrections and additions to the GB/T 4754-2017 rows (checked against a GB/T 4754-2017 table).
GB_RENAME = {"K701": "房地产开发经营"}
GB_ADD = [
    # code, name, scheme, flags, aliases
    ("G553", "水上运输辅助活动", "gb4754_group", "dp", "港口运营"),
    ("M747", "地质勘查", "gb4754_group", "", ""),
    ("N7610", "防洪除涝设施管理", "gb4754_class", "fc", ""),
    ("K7010", "房地产开发经营", "gb4754_class", "dp", ""),
]
GB_DROP_ALIASES = {"A0313": "生猪养殖"}  # a pig farm is catalogue item 3, not the farming activity

#: What users type. ``光伏@D4416`` narrows the entry's GB codes to the part meant.
ALIASES: dict[int, str] = {
    3: "畜禽养殖;畜禽养殖场;养殖场;养猪场;养牛场;养鸡场;生猪养殖;规模化畜禽养殖",
    6: "煤矿;煤炭开采;采煤;洗煤;煤炭洗选;煤炭开采和洗选",
    7: "石油开采;油田", 8: "天然气开采;气田;页岩气开采;煤层气开采",
    9: "铁矿;铁矿开采;黑色金属矿采选;尾矿库", 10: "有色金属矿采选;铜矿;铅锌矿;钼矿;金矿;稀土矿;尾矿库",
    11: "采石;采石场;砂石开采;砂石料开采;采砂", 15: "粮食及饲料加工;粮食加工@C131", 18: "屠宰;屠宰场;肉类加工",
    20: "淀粉及淀粉制品制造@C139;淀粉制造@C139", 46: "日用化学品制造",
    50: "化学纤维制造;化纤", 36: "家具制造",
    25: "酿酒;白酒制造;啤酒制造;酒厂", 28: "印染;纺织品印染;印染精加工;纺织品制造;纺织", 30: "制革;皮革鞣制;鞣革",
    34: "人造板", 37: "造纸厂;制浆", 42: "炼油@C251;石油炼制@C251;原油加工@C251;石油化工@C251;煤化工@C2522+C2523;煤制油@C2523;煤制气@C2522;"
    "炼焦@C2521;焦化@C2521",
    44: "化工;化工厂;化学原料制造;化学原料和化学制品制造;基础化学原料;煤制烯烃@C261;涂料制造@C264;油墨制造@C264;"
        "颜料制造@C264", 45: "化肥制造",
    47: "制药;原料药@C271", 48: "中成药;中药加工;中药饮片加工及中成药制造", 52: "轮胎制造",
    54: "水泥;水泥制造@C3011;水泥厂@C3011;水泥熟料@C3011;石灰窑@C3012;石灰和石膏制造@C3012", 55: "商品混凝土;混凝土搅拌站",
    56: "砖厂;砖瓦制造", 57: "平板玻璃@C3041;平板玻璃制造@C3041;玻璃", 59: "陶瓷", 61: "钢铁", 62: "钢铁", 63: "轧钢",
    64: "有色金属冶炼;铜冶炼@C321;铅锌冶炼@C321;电解铝@C321", 67: "电镀;电镀加工;金属表面处理",
    71: "汽车制造;整车制造@C361", 77: "锂电池@C384;铅蓄电池@C384", 81: "半导体;电子元件",
    85: "废旧资源回收加工;废弃资源综合利用",
    87: "火电@D4411;燃煤电厂@D4411;燃煤发电@D4411;燃气发电@D4411",
    88: "水电站;水电;抽水蓄能", 89: "垃圾焚烧发电;生物质发电",
    90: "风电@D4415;风电场@D4415;风力发电@D4415;陆上风电@D4415;光伏@D4416;光伏发电@D4416;光伏电站@D4416;"
        "地面光伏@D4416;太阳能光伏@D4416;地热发电@D4419",
    91: "供热;锅炉房;燃煤锅炉;燃气锅炉;锅炉及热力生产", 92: "燃气;燃气生产和供应", 94: "自来水厂;水厂;供水工程",
    95: "污水处理;污水处理厂;中水回用", 97: "房地产;房地产开发;住宅小区;商品房;商业综合体;宾馆;酒店;标准厂房",
    98: "实验室;研发基地", 99: "地质勘查;矿产勘查;地质勘探;油气勘探;矿产资源勘查",
    101: "危险废物处置;危废处置;危险废物焚烧;危险废物填埋", 102: "医疗废物处置",
    103: "一般工业固体废物处置;一般固废处置;工业固废填埋;建筑垃圾处置", 105: "垃圾转运站",
    106: "生活垃圾处理;垃圾填埋场;生活垃圾填埋;生活垃圾焚烧", 108: "医院;医疗机构;卫生院",
    110: "学校;养老院", 112: "高尔夫球场;滑雪场;赛车场;跑马场", 114: "主题公园;人工湖",
    115: "旅游景区;景区建设;旅游基础设施;生态旅游;缆车;索道", 119: "加油站;加气站;加油加气站",
    122: "殡仪馆;公墓;陵园", 124: "水库工程", 126: "调水工程;输水工程",
    127: "防洪;防洪工程;堤防;防洪除涝", 128: "河道整治;河道治理", 130: "公路;高速公路;国道;省道;县道;公路工程;道路",
    131: "市政道路", 132: "铁路;高速铁路;铁路工程;新建铁路", 135: "地铁;轻轨",
    136: "民用机场;通用机场", 138: "码头;港口;油气码头", 139: "码头;港口;散货码头;通用码头", 140: "码头;港口",
    141: "码头;港口;客运码头", 142: "码头;港口", 143: "航道", 146: "燃气管道;城市管网;综合管廊",
    147: "输油管道;输油管;原油管道;成品油管道;石油管道;输气管道;输气管;天然气管道;油气管道",
    148: "危险化学品管道;危化品管道", 149: "油库;储油库;危险化学品仓库;油气仓储", 151: "海上风电",
    159: "排海管道", 161: "输变电;送变电;输电线路;变电站;电网", 166: "通信基站;基站",
    167: "核电;核电站;核电厂;核力发电@D4414", 169: "铀矿",
}

#: gisplan's own kinds: what the statutory rules need and the catalogue has no item for.
GISPLAN_KINDS = [
    # code, name, gb codes, flags, new flags, aliases, note
    ("GP-outfall", "入河排污口", "", "pw dp so", "", "排污口;入河排污口设置",
     "名录无此条目"),
    ("GP-restoration", "生态修复", "N771;E4863", "er", "", "生态保护修复;矿山生态修复;造林",
     "名录无陆域生态修复条目（第158项为海洋生态修复工程）"),
    ("GP-research", "科研监测设施", "M73;M746", "rm", "", "科学研究;监测站;生态监测;水文监测;环境监测站",
     "名录第98项为专业实验室、研发基地，不含野外科研监测设施"),
    ("GP-telecom", "通信线路", "E4851;I631", "li", "", "光缆;通信光缆;通讯线路;通讯设施",
     "名录第146项不含光纤，第166项为无线通讯"),
    ("GP-river-sand", "河道采砂", "B101", "pw mi", "", "河道挖砂;采砂",
     "名录第11项土砂石开采明确不含河道采砂项目，名录未作规定"),
    ("GP-residents", "原住居民种植、放牧、捕捞、养殖", "A01;A03;A04", "", "not_construction",
     "种植;放牧;捕捞;居民生产生活", "生产活动，非建设项目"),
    ("GP-archaeology", "考古调查发掘和文物保护", "R8840", "", "", "考古;考古发掘;文物保护",
     "名录无此条目"),
]
GISPLAN_LABEL = "gisplan 自定类别（非名录条目）"

COLUMNS = ["code", "name", "scheme", "section", "gb_codes", "aliases", "eia_section", "catalogue_item",
           "catalogue_section", "catalogue_text", "gb_note", *F.values(), *NEW_FLAGS]


def _flags(short: str) -> set[str]:
    """``"pw dp"`` -> ``{"pollutes_water", "discharges_pollutants"}``."""
    return {F[s] for s in short.split()}


def _gb_rows(existing: list[dict]) -> list[dict]:
    """The GB/T 4754 rows of the current table, corrected and completed."""
    rows = []
    for row in existing:
        if not row["scheme"].startswith("gb4754_"):
            continue
        row = {k: row.get(k, "") for k in COLUMNS}
        row["name"] = GB_RENAME.get(row["code"], row["name"])
        if row["code"] in GB_DROP_ALIASES:
            drop = set(GB_DROP_ALIASES[row["code"]].split(";"))
            row["aliases"] = ";".join(a for a in row["aliases"].split(";") if a and a not in drop)
        rows.append(row)
    have = {r["code"] for r in rows}
    for code, name, scheme, flags, aliases in GB_ADD:
        if code not in have:
            row = dict.fromkeys(COLUMNS, "")
            row.update(code=code, name=name, scheme=scheme, section=code[0], gb_codes=code, aliases=aliases)
            row.update({f: "1" if f in _flags(flags) else "0" for f in F.values()})
            rows.append(row)
    for row in rows:
        for flag in NEW_FLAGS:
            row[flag] = "1" if row["code"] in GB_NEW_FLAGS.get(flag, ()) else "0"
        for flag in F.values():
            row[flag] = row[flag] or "0"
        row.update(GB_FLAG_FIXES.get(row["code"], {}))
    return rows


def _derived_flags(codes: list[str], gb: dict[str, dict]) -> set[str]:
    """Attributes of the most specific GB row above each code, joined."""
    out: set[str] = set()
    for code in codes:
        for n in range(len(code), 0, -1):
            row = gb.get(code[:n])
            if row:
                out |= {f for f in F.values() if row[f] == "1"}
                break
    return out


def _part_aliases(printed: str) -> list[str]:
    """Each named part of a multi-part item, narrowed to its own codes (``太阳能发电@D4416``)."""
    pieces = [p for p in re.split(r"；(?![^（]*）)", printed.replace(" ", "")) if p]
    out = []
    if len(pieces) < 2:
        return out
    for piece in pieces:
        name = parts(piece)
        codes = gb_codes(piece)
        if name and codes:
            out.append(f"{name[0]}@{'+'.join(codes)}")
    return out


def catalogue_rows(items: list[dict], gb: dict[str, dict]) -> list[dict]:
    """One row per catalogue item."""
    rows = []
    for it in items:
        n, printed = it["item"], it["printed"]
        codes = gb_codes(printed)
        note = ""
        if not codes and n in SUPPLEMENT_CODES:
            codes = SUPPLEMENT_CODES[n].split(";")
            note = "名录未印行业代码；gisplan 按 GB/T 4754-2017 归入"
        elif not codes:
            note = "名录未印行业代码；" + NO_CODE_NOTE[n]
        name = plain_name(printed)
        aliases = [p for p in parts(printed) if p != name] if len(parts(printed)) == 1 else []
        aliases += _part_aliases(printed)
        aliases += [a for a in ALIASES.get(n, "").split(";") if a]
        flags = _flags(ITEM_FLAGS[n]) if n in ITEM_FLAGS else _derived_flags(codes, gb)
        row = dict.fromkeys(COLUMNS, "")
        row.update(code=f"EIA2021-{n}", name=name, scheme="eia2021", section=codes[0][0] if codes else "",
                   gb_codes=";".join(codes), aliases=";".join(dict.fromkeys(aliases)),
                   eia_section=it["section"].split("、", 1)[1], catalogue_item=str(n),
                   catalogue_section=it["section"], catalogue_text=printed, gb_note=note)
        row.update({f: "1" if f in flags else "0" for f in F.values()})
        new = {"national_major_eligible": n in NATIONAL_MAJOR, "mineral_exploration": n in MINERAL_EXPLORATION,
               "aquaculture": n in AQUACULTURE, "not_construction": False, "sewage_treatment": n in SEWAGE_TREATMENT,
               "nonpoint_farming": n in NONPOINT_FARMING, "hazardous_goods_storage": n in HAZARDOUS_GOODS_STORAGE,
               "building": n in BUILDINGS}
        row.update({f: "1" if v else "0" for f, v in new.items()})
        rows.append(row)
    return rows


def gisplan_rows() -> list[dict]:
    """One row per kind of gisplan's own (scheme ``gisplan``, no catalogue item)."""
    rows = []
    for code, name, codes, flags, new, aliases, note in GISPLAN_KINDS:
        row = dict.fromkeys(COLUMNS, "")
        row.update(code=code, name=name, scheme="gisplan", section=codes[:1], gb_codes=codes, aliases=aliases,
                   gb_note=note)
        row.update({f: "1" if f in _flags(flags) else "0" for f in F.values()})
        row.update({f: "1" if f in new.split() else "0" for f in NEW_FLAGS})
        rows.append(row)
    return rows


def build_table() -> str:
    """The whole industries.csv (UTF-8 with BOM)."""
    existing = list(csv.DictReader(CSV_PATH.read_text(encoding="utf-8-sig").splitlines()))
    gb_rows = _gb_rows(existing)
    gb = {r["code"]: r for r in gb_rows}
    items = parse_catalogue(TEXT.read_text(encoding="utf-8"))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in [*gb_rows, *catalogue_rows(items, gb), *gisplan_rows()]:
        writer.writerow(row)
    return "\ufeff" + out.getvalue()


def main(argv: list[str]) -> int:
    if "--show" in argv:
        for it in parse_catalogue(TEXT.read_text(encoding="utf-8")):
            print(it["item"], it["section"], "|", it["printed"], "|", ";".join(gb_codes(it["printed"])),
                  "|", " / ".join(parts(it["printed"])))
        return 0
    table = build_table()
    if "--check" in argv:
        same = CSV_PATH.read_text(encoding="utf-8") == table
        print("industries.csv is up to date" if same else "industries.csv is out of date: run tools/build_catalogue.py")
        return 0 if same else 1
    CSV_PATH.write_text(table, encoding="utf-8")
    print(f"wrote {CSV_PATH.relative_to(ROOT)}: {table.count(chr(10)) - 1} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
