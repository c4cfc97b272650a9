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


def main(argv: list[str]) -> int:
    items = parse_catalogue(TEXT.read_text(encoding="utf-8"))
    if "--show" in argv:
        for it in items:
            print(it["item"], it["section"], "|", it["printed"], "|", ";".join(gb_codes(it["printed"])),
                  "|", " / ".join(parts(it["printed"])))
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
