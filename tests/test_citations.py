"""Every citation the statutory rules mark verified quotes its document word for word.

The originals are kept in docs/reference/ (README there says where each came
from). A quote counts as found when it occurs in the reference text after both
are normalised: HTML markup and entities removed, NFKC (full-width punctuation
becomes half-width), whitespace dropped. A quote with "……" must have each of its
pieces in the text, in order.
"""

from __future__ import annotations

import html
import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from gisplan.rules.statutory import default_rules

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "docs" / "reference"


def normalise(text: str) -> str:
    text = re.sub(r"<[^>]+>", "", text)
    text = html.unescape(text)
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", text)


def occurs(quote: str, text: str) -> bool:
    pos = 0
    # split before normalising: NFKC turns "……" into "......"
    for piece in (normalise(p) for p in quote.split("……") if normalise(p)):
        pos = text.find(piece, pos)
        if pos < 0:
            return False
        pos += len(piece)
    return True


def _verified_cites():
    rules = default_rules()
    out = []
    for rule in rules.all_rules():
        for cite in rule.cites:
            if cite.verified:
                out.append(pytest.param(rule.id, cite, id=f"{rule.id}:{cite.article}"))
    return out


@pytest.mark.parametrize("rule_id, cite", _verified_cites())
def test_verified_quote_is_in_the_reference_text(rule_id, cite):
    path = REFERENCE / cite.reference
    assert path.is_file(), f"{rule_id}: reference text {cite.reference} missing from docs/reference"
    assert cite.quote, rule_id
    assert occurs(cite.quote, normalise(path.read_text(encoding="utf-8"))), (rule_id, cite.article, cite.quote)


def test_the_check_can_fail():
    text = normalise((REFERENCE / "water_pollution_law.md").read_text(encoding="utf-8"))
    assert occurs("在饮用水水源保护区内，禁止设置排污口。", text)
    # the clause the old rules added to art. 65 is not in the law
    assert not occurs("须经水源地主管部门同意", text)
    assert not occurs("禁止在饮用水水源准保护区内设置排污口", text)


def test_every_rule_quotes_and_says_whether_it_was_checked():
    raw = yaml.safe_load((REPO / "gisplan" / "rules" / "data" / "statutory_rules.yaml").read_text(encoding="utf-8"))
    documents = raw["documents"]
    rules = default_rules()
    everything = rules.all_rules()
    assert len(everything) > 40
    for rule in everything:
        assert rule.cites, f"{rule.id} has no citations"
        for cite in rule.cites:
            assert cite.quote and cite.document and cite.article and cite.edition, rule.id
            assert isinstance(cite.verified, bool)
    # a document without a reference text can only be cited unverified
    unchecked = {key for key, doc in documents.items() if not doc.get("reference")}
    assert {"redline_2017", "pa_2019", "np_2022", "water_regs"} <= unchecked
    for rule in everything:
        for cite in rule.cites:
            if cite.doc_id in unchecked:
                assert not cite.verified, rule.id


def test_known_texts_are_cited_as_they_are():
    rules = default_rules()
    by_id = {r.id: r for r in rules.all_rules()}
    # 厅字〔2017〕2号 "原则上按禁止开发区域的要求进行管理" is not 142号 一、（一）: cited to its own document, unverified
    summary = rules.get("eco_redline", "redline").summary
    principle = [c for c in summary.cites if "禁止开发区域" in c.quote]
    assert principle and all("厅字〔2017〕2号" in c.document and not c.verified for c in principle)
    # no consent clause in art. 65 or art. 32, no approval step in art. 29
    for rule_id in ("water.level1.supply", "reserve.experimental.default", "reserve.experimental.tourism"):
        assert "同意" not in by_id[rule_id].text and "经批准" not in by_id[rule_id].text, rule_id
    # the special chapter on crossing is practice, not 142号
    assert "非本通知条文" in by_id["redline.linear"].text
    # 142号 does not govern inside protected areas
    assert all("142号" not in c.document for c in by_id["pa.general_control.limited"].cites)
    # the national-park measures govern national parks only, and are cited unverified
    assert any("国家公园管理暂行办法" in c.document and not c.verified for c in by_id["pa.general_control.national_park"].cites)
    for rule in rules.all_rules():
        if any("国家公园管理暂行办法" in c.document for c in rule.cites):
            assert rule.id.endswith(".national_park"), rule.id
    assert all("（十二）" not in c.article for r in rules.all_rules() for c in r.cites)


def test_every_art_26_quote_keeps_its_proviso():
    quotes = [(r.id, c.quote) for r in default_rules().all_rules() for c in r.cites
              if "自然保护区条例" in c.document and c.article.startswith("第二十六条")]
    assert len(quotes) >= 6
    for rule_id, quote in quotes:
        assert quote.endswith("；但是，法律、行政法规另有规定的除外。"), rule_id


def test_texts_now_at_hand_are_cited_verified():
    rules = default_rules()
    by_id = {r.id: r for r in rules.all_rules()}
    for rule_id in ("scenic.mining", "scenic.hazardous_goods", "scenic.core_buildings", "scenic.construction",
                    "air.no_burn.fuel", "groundwater.no_extraction.use", "groundwater.limited_extraction.use"):
        assert by_id[rule_id].verified, rule_id
    assert any("大气污染防治法" in c.document and c.article == "第一百零七条第一款" for c in by_id["air.no_burn.fuel"].cites)
    assert any("湿地保护法" in c.document and c.verified for c in by_id["wetland_park.default"].cites)
    # what has no original here stays unverified
    for doc in ("redline_2017", "pa_2019", "np_2022", "forest_parks", "wetland_parks", "water_regs"):
        assert not rules.documents[doc]["reference"], doc
    part_two = [c for r in rules.all_rules() for c in r.cites if "142号" in c.document and c.article in ("二", "一、（一）第6项",
                                                                                                       "一、（一）第7项", "一、（一）第8项")]
    assert part_two and not any(c.verified for c in part_two)


def _industries_and_places():
    from gisplan.rules.industry import industries, with_element_attributes
    from gisplan.rules.industry import IndustryMatch

    entries = [with_element_attributes(IndustryMatch(e.name, e, "name")) for e in industries()]
    places = [(t, lvl, z) for t in ("", "nature_reserve", "national_park", "scenic_area", "forest_park", "wetland_park",
                                    "grassland_park", "geopark")
              for lvl in ("", "national", "provincial") for z in ("", "core_scenic", "other_scenic", "unzoned")]
    return entries, places


def test_no_rule_resting_on_unverified_text_alone_prohibits_or_allows():
    rules = default_rules()
    # the rules themselves
    for rule in rules.all_rules():
        if rule.cites and not any(c.verified for c in rule.cites):
            assert rule.decision not in ("prohibited", "allowed"), rule.id
    # and every decision the rules give, for every entry of the industry table, type, level, zone and answer
    entries, places = _industries_and_places()
    seen = set()
    for zr in rules.zones.values():
        for industry in entries:
            for pa_type, level, zone in ([p for p in places if zr.applies(p[0])] if zr.kind == "protected_areas"
                                         else [("", "", "")]):
                for answer in (None, True, False):
                    rule = zr.decide(industry, answer, level or None, pa_type=pa_type or None, zone=zone or None)
                    key = (zr.kind, zr.zone, rule.id)
                    if key in seen:
                        continue
                    seen.add(key)
                    if not any(c.verified for c in rule.cites):
                        assert rule.decision not in ("prohibited", "allowed"), key
                    if zr.zone == "quasi":
                        assert rule.decision != "allowed", key
                    if rule.decision in ("prohibited", "restricted"):
                        assert rule.follow_up, key
    assert len(seen) > 60


def test_every_follow_up_says_where_it_comes_from():
    rules = default_rules()
    texts = [(r.id, r.follow_up) for r in rules.all_rules() if r.follow_up]
    texts += [(f"default.{src}.{d}", t) for src, by in rules.follow_up.items() for d, t in by.items()]
    assert len(texts) > 25
    for rule_id, text in texts:
        cited = re.search(r"第[一二三四五六七八九十百零]+[条项]", text) or "通知" in text or "条款" in text
        assert cited or "实践" in text, (rule_id, text)
        assert not re.search(r"[A-Za-z_]{3,}", text), (rule_id, text)  # no internal tokens
    for decision in ("prohibited", "restricted"):
        assert rules.access_follow_up(decision) and rules.follow_up["statutory"][decision]
    assert rules.access_follow_up("review") == "" and rules.access_follow_up("not_applicable") == ""


def test_the_land_texts_are_quoted_as_they_are():
    """Issue 26: the farmland rules quote the land law, its regulations, the basic-farmland regulations, the
    black-soil and soil-pollution laws word for word; the urban-boundary notices are not at hand (unverified)."""
    rules = default_rules()
    by_id = {r.id: r for r in rules.all_rules()}
    for rule_id in ("farmland.destructive", "farmland.orchards_fishponds", "farmland.soil_pollution", "farmland.default",
                    "farmland.national_major", "farmland.national_major.unknown", "farmland.national_major.other",
                    "farmland.grain", "farmland.agriculture", "farmland.restoration"):
        assert by_id[rule_id].verified, rule_id
    for doc in ("land_law", "land_regs", "farmland_regs", "black_soil_law", "soil_law"):
        assert (REFERENCE / rules.documents[doc]["reference"]).is_file(), doc
        shared = REPO.parent.parent / "shared" / "reference" / rules.documents[doc]["reference"]
        if shared.is_file():  # the copy kept here is the shared original, byte for byte
            assert shared.read_bytes() == (REFERENCE / rules.documents[doc]["reference"]).read_bytes(), doc
    for doc in ("spatial_plan_2019", "urban_boundary_2022"):
        assert not rules.documents[doc]["reference"], doc
        assert all(not c.verified for r in rules.all_rules() for c in r.cites if c.doc_id == doc)
    # art. 17 bans these eight; the quote keeps them in the order of the text
    text = normalise((REFERENCE / "basic_farmland_regulations_2011.md").read_text(encoding="utf-8"))
    assert occurs(by_id["farmland.destructive"].cites[0].quote, text)
    assert not occurs("禁止任何单位和个人在基本农田保护区内建设光伏电站", text)  # the check can fail here too
    assert "第十七条第一款" in by_id["farmland.destructive"].citation


def test_rule_texts_speak_to_a_reviewer_not_to_the_command_line():
    """A rule's words reach the page, the DOCX and the PDF: no command-line flag in them (zh or en)."""
    flag = re.compile(r"--[a-z][a-z-]+")
    rules = default_rules()
    bad = [(r.id, t) for r in rules.all_rules() for t in (r.text, r.text_en) if flag.search(t or "")]
    assert bad == []
