"""The 2021 EIA catalogue in the industry table, checked against the catalogue's own text.

The text is docs/reference/eia_catalogue_2021.txt (pdftotext -layout of the
official PDF). These tests find an item's number line in that text themselves
(not through tools/build_catalogue.py) and compare it with the table.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gisplan.errors import InputError
from gisplan.rules.industry import CATALOGUE_ITEMS, FLAGS, catalogue_label, industries, match_industry

ROOT = Path(__file__).resolve().parents[1]
TEXT = (ROOT / "docs" / "reference" / "eia_catalogue_2021.txt").read_text(encoding="utf-8")
LINES = TEXT.splitlines()
CSV_PATH = ROOT / "gisplan" / "rules" / "data" / "industries.csv"
HEADING = re.compile(r"^([一二三四五六七八九十]+)、")


def catalogue() -> dict[int, object]:
    return {i.catalogue_item: i for i in industries() if i.catalogue_item is not None}


def number_line(n: int) -> int:
    """Index of the line where item n's number stands at the left margin (after the preamble)."""
    start = next(i for i, ln in enumerate(LINES) if ln.startswith("一、"))
    hits = [i for i, ln in enumerate(LINES) if i > start and re.match(rf"^{n}(\s|$)", ln)]
    assert len(hits) == 1, (n, hits)
    return hits[0]


def heading_above(i: int) -> str:
    """The section heading above line i, as printed (division codes dropped)."""
    line = next(LINES[j] for j in range(i, -1, -1) if HEADING.match(LINES[j]))
    return re.sub(r"、\s+", "、", re.sub(r"\s*\d{2}(?=、|$)", "", line.strip()))


def window(n: int) -> str:
    """Text between the number lines of items n-1 and n+1, spaces removed."""
    lo = number_line(n - 1) if n > 1 else number_line(1) - 12
    hi = number_line(n + 1) if n < CATALOGUE_ITEMS else len(LINES)
    return "".join(LINES[lo + 1:hi]).replace(" ", "")


def is_subsequence(short: str, long: str) -> bool:
    rest = iter(long)
    return all(ch in rest for ch in short)


# ----------------------------------------------------------------------------- every item once


def test_every_item_once_with_number_and_section():
    rows = [i for i in industries() if i.scheme == "eia2021"]
    assert sorted(i.catalogue_item for i in rows) == list(range(1, 174))
    assert CATALOGUE_ITEMS == 173
    for i in rows:
        assert i.code == f"EIA2021-{i.catalogue_item}"
        assert i.catalogue_section == heading_above(number_line(i.catalogue_item)), i.code
        assert i.name and i.catalogue_text
    assert len({i.catalogue_section for i in rows}) == 55
    assert all(i.catalogue_item is None for i in industries() if i.scheme != "eia2021")


def test_every_printed_name_is_text_of_its_own_item():
    for n, entry in catalogue().items():
        assert is_subsequence(entry.catalogue_text.replace(" ", ""), window(n)), (n, entry.catalogue_text)


@pytest.mark.parametrize("n, words, section", [
    (130, "等级公路", "五十二、交通运输业、管道运输业"),
    (112, "高尔夫球场、滑雪场", "五十、社会事业与服务业"),
    (115, "旅游开发", "五十、社会事业与服务业"),
    (119, "加油、加气站", "五十、社会事业与服务业"),
    (161, "输变电工程", "五十五、核与辐射"),
    (167, "核动力厂", "五十五、核与辐射"),
    (25, "酒的制造151*", "十二、酒、饮料制造业"),
    (95, "污水处理及其再生利", "四十三、水的生产和供应业"),
    (11, "土砂石开采101（不", "八、非金属矿采选业"),
])
def test_known_items_against_the_text(n, words, section):
    i = number_line(n)
    near = "".join(LINES[i - 6:i + 7]).replace(" ", "")
    assert words in near  # the catalogue prints it at item n
    assert heading_above(i) == section
    entry = catalogue()[n]
    assert entry.catalogue_section == section
    assert words.split("（")[0].rstrip("0123456789*").replace("再生利", "再生利用") in entry.name


def test_item_11_excludes_river_sand():
    assert is_subsequence("土砂石开采101（不含河道采砂项目）", window(11))
    quarry = catalogue()[11]
    assert "不含河道采砂项目" in quarry.name
    river = match_industry("河道采砂").industry
    assert river.catalogue_item is None and river.scheme == "gisplan" and "mining" in river.flags
    with pytest.raises(InputError, match="ambiguous") as exc:
        match_industry("采砂")  # a quarry or a river: the user has to say
    assert "EIA2021-11" in str(exc.value) and "GP-river-sand" in str(exc.value)


# ----------------------------------------------------------------------------- GB codes


def test_printed_codes_are_in_the_text_and_the_right_section():
    divisions = {i.code for i in industries() if i.scheme == "gb4754_division"}
    for n, entry in catalogue().items():
        if entry.gb_note:  # not printed: gisplan's assignment, said so
            assert "名录未印行业代码" in entry.gb_note
            assert not re.search(r"\d{3,4}\*?(?=[；（、]|$)", entry.catalogue_text.replace(" ", ""))
            continue
        assert entry.gb_codes, n
        for code in entry.gb_codes:
            assert re.search(rf"{code[1:]}(?!\d)", window(n)), (n, code)
            assert code[:3] in divisions, (n, code)


def test_gb_rows_carry_the_names_the_catalogue_prints_for_their_codes():
    gb = {i.code: i for i in industries() if i.scheme.startswith("gb4754")}
    checked = 0
    for n, entry in catalogue().items():
        if entry.gb_note:
            continue
        text = entry.catalogue_text.replace(" ", "")
        for code in entry.gb_codes:
            m = re.search(rf"([^；（）]+?){code[1:]}\*?(?=[；（、]|$)", text)
            if code in gb and m:
                printed = m.group(1).removeprefix("陆上")  # 陆上风力发电 4415: the catalogue narrows the class
                assert gb[code].name == printed, (n, code, printed, gb[code].name)
                checked += 1
    assert checked >= 25


@pytest.mark.parametrize("n, codes", [
    (90, ("D4415", "D4416", "D4419")), (25, ("C151",)), (88, ("D4413",)), (6, ("B061", "B062", "B069")),
    (87, ("D4411", "D4412")), (44, ("C261", "C263", "C264", "C265", "C266", "C267")), (149, ("G594",)),
])
def test_printed_codes(n, codes):
    assert catalogue()[n].gb_codes == codes


def test_gb_fixes():
    by_code = {i.code: i for i in industries()}
    assert by_code["K701"].name == "房地产开发经营" and by_code["K7010"].name == "房地产开发经营"
    assert by_code["G553"].name == "水上运输辅助活动" and by_code["N7610"].name == "防洪除涝设施管理"
    ports = [catalogue()[n] for n in range(138, 143)]
    assert all(any(c.startswith("G553") for c in p.gb_codes) for p in ports)
    assert not any(c.startswith("G552") for i in industries() for c in i.gb_codes)
    assert "N7610" in catalogue()[127].gb_codes and not any("N762" in c for c in catalogue()[127].gb_codes)
    assert "K701" in catalogue()[97].gb_codes
    coal_chem = match_industry("煤化工").industry
    assert coal_chem.catalogue_item == 42 and "C2524" not in coal_chem.gb_codes
    assert not any(c.startswith("C2524") for i in industries() if i.scheme != "gb4754_class" for c in i.gb_codes)


# ----------------------------------------------------------------------------- matching


@pytest.mark.parametrize("query", ["EIA-001", "EIA-064", "EIA-092", "eia-020", "EIA-999"])
def test_old_codes_are_refused(query):
    with pytest.raises(InputError) as exc:
        match_industry(query)
    msg = str(exc.value)
    assert "old numbering" in msg and "EIA2021-130" in msg and "\n" not in msg


@pytest.mark.parametrize("query", ["名录第130项", "名录130", "第130项", "EIA2021-130", "eia2021-130", "名录第130"])
def test_item_references(query):
    m = match_industry(query)
    assert m.industry.catalogue_item == 130 and m.matched_by in ("code", "catalogue item")


@pytest.mark.parametrize("query", ["名录第0项", "名录第174项", "第999项"])
def test_item_references_out_of_range(query):
    with pytest.raises(InputError, match="1-173"):
        match_industry(query)


@pytest.mark.parametrize("query, item, codes", [
    ("公路", 130, None), ("高速公路", 130, None), ("国道", 130, None), ("道路", 130, None),
    ("化工", 44, None), ("化工厂", 44, None), ("火电", 87, ("D4411",)), ("燃煤电厂", 87, ("D4411",)),
    ("光伏", 90, ("D4416",)), ("风电", 90, ("D4415",)), ("风力发电", 90, ("D4415",)), ("太阳能发电", 90, ("D4416",)),
    ("水电站", 88, None), ("水力发电", 88, None), ("核电", 167, None), ("污水处理厂", 95, None),
    ("煤矿", 6, None), ("煤炭开采", 6, None), ("采石", 11, None), ("房地产", 97, None), ("加油站", 119, None),
    ("输变电", 161, None), ("水库", 124, None), ("防洪", 127, None), ("输油管道", 147, None),
    ("水泥制造", 54, ("C3011",)), ("酒的制造", 25, None), ("旅游开发", 115, None), ("高尔夫球场", 112, None),
])
def test_aliases(query, item, codes):
    m = match_industry(query)
    assert m.industry.catalogue_item == item, m.describe()
    assert m.industry.gb_codes == (codes or catalogue()[item].gb_codes)


@pytest.mark.parametrize("query, item", [
    ("粮食及饲料加工", 15), ("淀粉及淀粉制品制造", 20), ("纺织品制造", 28), ("家具制造", 36), ("煤制油", 42),
    ("涂料制造", 44), ("日用化学品制造", 46), ("中药饮片加工及中成药制造", 48), ("化学纤维制造", 50), ("化纤", 50),
    ("平板玻璃制造", 57), ("燃气生产和供应", 92), ("畜禽养殖", 3), ("印染", 28), ("电镀", 67), ("垃圾填埋场", 106),
])
def test_names_of_the_old_table_still_work(query, item):
    assert match_industry(query).industry.catalogue_item == item


def test_kinds_that_are_no_catalogue_items():
    for query, code in [("入河排污口", "GP-outfall"), ("生态修复", "GP-restoration"), ("科研监测设施", "GP-research"),
                        ("通信线路", "GP-telecom")]:
        i = match_industry(query).industry
        assert (i.code, i.scheme, i.catalogue_item) == (code, "gisplan", None)
        assert i.scheme_label == "gisplan 自定类别（非名录条目）"
    aqua = match_industry("水产养殖").industry  # the catalogue has 海水养殖 (4) and 内陆养殖 (5), no 水产养殖
    assert aqua.code == "A041" and {"aquaculture", "not_construction"} <= aqua.flags
    assert not any("水产养殖" in i.name for i in catalogue().values())


# ----------------------------------------------------------------------------- attributes


def test_every_row_has_every_flag_as_0_or_1():
    text = CSV_PATH.read_bytes()
    assert text.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    rows = list(csv.DictReader(text.decode("utf-8-sig").splitlines()))
    assert len(rows) == len(industries())
    for row in rows:
        for flag in FLAGS:
            assert row[flag] in ("0", "1"), (row["code"], flag)
    assert "EIA-064" not in {r["code"] for r in rows}


def test_new_attributes():
    cat = catalogue()
    major = {n for n, i in cat.items() if "national_major_eligible" in i.flags}
    assert {6, 7, 8, 9, 10, 88, 124, 126, 127, 130, 132, 136, 139, 147, 161, 167} <= major
    assert not major & {90, 97, 44, 115, 131, 11}
    assert {n for n, i in cat.items() if "mineral_exploration" in i.flags} == {99, 170}
    assert {n for n, i in cat.items() if "aquaculture" in i.flags} == {4, 5}
    assert not any("not_construction" in i.flags for i in cat.values())
    assert {i.code for i in industries() if "sewage_treatment" in i.flags} == {"EIA2021-95", "D462"}
    assert "not_construction" in match_industry("放牧").industry.flags
    assert "not_construction" not in match_industry("畜禽养殖").industry.flags
    assert "linear_infrastructure" in match_industry("公路").industry.flags
    assert "production_facility" in match_industry("光伏").industry.flags
    assert "discharges_pollutants" not in match_industry("光伏").industry.flags
    assert "tourism_facility" in match_industry("旅游开发").industry.flags
    assert "tourism_facility" not in match_industry("高尔夫球场").industry.flags  # no "moderate tourism"


# ----------------------------------------------------------------------------- reports


def test_json_fields_and_labels():
    from gisplan.report import verdict_lines
    from gisplan.rules.decide import SiteOverlaps, decide
    from gisplan.verdict import VerdictEngine

    v = json.loads(json.dumps(decide(SiteOverlaps(has_units=False), VerdictEngine(None, "公路")), ensure_ascii=False))
    ind = v["industry"]
    assert ind["catalogue_item"] == 130 and ind["catalogue_section"] == "五十二、交通运输业、管道运输业"
    assert ind["code"] == "EIA2021-130" and ind["query"] == "公路"
    assert catalogue_label(ind) == "名录第130项（五十二、交通运输业、管道运输业）"
    assert catalogue_label(ind, "en") == "catalogue item 130 (五十二、交通运输业、管道运输业)"
    assert any("名录第130项（五十二、交通运输业、管道运输业）" in line for line in verdict_lines(v))
    gb = match_industry("C26")
    assert gb.to_dict()["catalogue_item"] is None and gb.to_dict()["catalogue_section"] == ""
    assert catalogue_label(gb.industry) == ""
    road = match_industry("公路")
    assert "名录第130项" in road.describe() and "catalogue item 130" in road.describe("en")


def test_table_is_rebuilt_from_the_text():
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "build_catalogue.py"), "--check"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
