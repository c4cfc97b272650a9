"""A demo access list (生态环境准入清单) for the synthetic Yanbian units. NOT OFFICIAL.

Written in the style of published lists, in the tiers Jilin uses (province,
basin, prefecture, county, unit) plus per-category requirements, from the
requirements of the seed plans (Yanbian's and Liaoyuan's 14th Five-Year
ecological plans, Yanbian's 2021 pollution-prevention work plan): 严把"两高"
项目准入关口, 重金属"减量置换", 尾矿库"只减不增", 建设用地土壤污染风险管控,
清洁化改造 of 农副食品加工/造纸/钢铁/印染/制药. Every clause carries
"（示例）" in its text and source and ``demo = 1``.

Most clauses are text for a reviewer (decision ``review``); those that name
industries carry ``applies_to`` and ``decision`` so the verdict can show a
machine-judged clause next to them. A machine-judged clause applies to the
whole of its scope (or of its element zone), so its words name no narrower
place (a river bank, a built-up area) that the data cannot locate.
"""

from __future__ import annotations

import pandas as pd

from ..rules.access_list import COLUMNS

__all__ = ["demo_access_list", "DEMO_ORIGIN"]

DEMO_ORIGIN = "demo:yanbian"
_PROV = "吉林省生态环境准入清单（省级总体管控要求）（示例，非官方）"
_SONGHUA = "吉林省松花江流域生态环境准入清单（示例，非官方）"
_TUMEN = "图们江流域生态环境准入要求（示例，非官方）"
_YB = "延边州生态环境分区管控实施方案及准入清单（示例，非官方）"
_UNIT = "延边州环境管控单元生态环境准入清单（示例，非官方）"
_SONGHUA_COUNTIES = "222403;222426"
_TUMEN_COUNTIES = "222401;222402;222404;222405;222406;222424;222426"

S, P, R, E = "spatial_layout", "pollutant_emission", "risk_prevention", "resource_efficiency"

# (id, tier, scope, scope_name, category, admin_codes, dimension, text, source, article, applies_to, decision
#  [, element_zone]): a clause with an element zone applies only where the site touches that zone
_CLAUSES = [
    # -- province (1) ---------------------------------------------------------
    ("JL-01", "province", "220000", "吉林省", "", "", S,
     ("生态保护红线内，自然保护地核心保护区原则上禁止人为活动，其他区域严格禁止开发性、生产性建设活动，"
      "在符合现行法律法规前提下，仅允许对生态功能不造成破坏的有限人为活动。"), _PROV, "一、1", "", ""),
    ("JL-02", "province", "220000", "吉林省", "", "", S,
     "严把高耗能高排放项目准入关口，对不符合规划控制、产业政策、“三线一单”、清洁生产等要求的“两高”项目坚决不予审批。",
     _PROV, "一、2", "@heavy_polluting", "restricted"),
    ("JL-03", "province", "220000", "吉林省", "", "", S,
     "严禁新增钢铁、水泥熟料、平板玻璃、电解铝等行业产能，确有必要建设的须严格执行产能置换。", _PROV, "一、3",
     "C3011;C3041;C311;C312;C3216;有色金属冶炼", "restricted"),
    ("JL-04", "province", "220000", "吉林省", "", "", P,
     "新建、改建、扩建“两高”项目须落实主要污染物区域削减要求，实施等量或减量替代。", _PROV, "二、1",
     "@heavy_polluting", "restricted"),
    ("JL-05", "province", "220000", "吉林省", "", "", P,
     "坚持重金属污染物排放“减量置换”或“等量替换”原则，严格涉重金属企业环境准入管理。", _PROV, "二、2",
     "@heavy_metal", "restricted"),
    ("JL-06", "province", "220000", "吉林省", "", "", R,
     "严格新建（改、扩建）尾矿库环境准入，在保证紧缺和战略性矿产矿山正常建设开发前提下，尾矿库数量原则上“只减不增”。",
     _PROV, "三、1", "尾矿库", "restricted"),
    ("JL-07", "province", "220000", "吉林省", "", "", R,
     "对涉及有毒有害物质可能造成土壤污染的新（改、扩）建项目，依法进行环境影响评价，提出并落实土壤和地下水污染防治要求。",
     _PROV, "三、2", "", ""),
    ("JL-08", "province", "220000", "吉林省", "", "", E,
     "新建“两高”项目能效须达到国内先进水平，落实煤炭消费等量或减量替代。", _PROV, "四、1", "@heavy_polluting", "restricted"),
    ("JL-09", "province", "220000", "吉林省", "", "", E,
     "高污染燃料禁燃区内禁止新建、扩建燃用高污染燃料的设施，已建成的应在规定期限内改用清洁能源。", _PROV, "四、2",
     "@burns_high_pollution_fuel", "prohibited", "resource:no_burn"),
    # -- province, element zones (要素分区): each applies only inside its zone -------------
    ("JL-A1", "province", "220000", "吉林省", "", "", S,
     "大气环境受体敏感重点管控区内禁止新建、扩建涉挥发性有机物（VOCs）排放的工业项目。", _PROV, "五、1",
     "@voc", "prohibited", "air:key_receptor"),
    ("JL-A2", "province", "220000", "吉林省", "", "", P,
     "大气环境高排放、弱扩散、布局敏感重点管控区内新建排放大气污染物的项目实行区域削减，主要大气污染物排放倍量替代。",
     _PROV, "五、2", "", "", "air:key_high_emission;air:key_weak_diffusion;air:key_layout_sensitive"),
    ("JL-W1", "province", "220000", "吉林省", "", "", P,
     "水环境工业污染重点管控区内新建、改建、扩建排放水污染物的项目，主要水污染物实行等量或减量置换。", _PROV, "五、3",
     "@discharges_water", "restricted", "water:key_industrial"),
    ("JL-S1", "province", "220000", "吉林省", "", "", R,
     "农用地优先保护区内严格控制新建有色金属冶炼、石油加工、化工、焦化、电镀、制革等行业企业。", _PROV, "五、4",
     "@heavy_metals;C25;C26;C19;电镀", "restricted", "soil:agri_priority"),
    ("JL-S2", "province", "220000", "吉林省", "", "", R,
     "建设用地污染风险重点管控区内，未完成土壤污染状况调查、风险评估的地块，不得开工建设与风险管控和修复无关的项目。",
     _PROV, "五、5", "", "", "soil:construction_risk"),
    ("JL-R1", "province", "220000", "吉林省", "", "", E,
     "地下水禁采区内禁止新建取用地下水的项目。", _PROV, "五、6",
     "@uses_groundwater", "prohibited", "resource:groundwater_no_extraction"),
    # -- basins (2) -------------------------------------------------------------
    ("SH-01", "basin", "松花江流域", "松花江流域", "", _SONGHUA_COUNTIES, S,
     "松花江干流及主要支流岸线一公里范围内禁止新建、扩建化工园区和化工项目。", _SONGHUA, "一、1", "", ""),
    ("SH-02", "basin", "松花江流域", "松花江流域", "", _SONGHUA_COUNTIES, P,
     "流域内新建、改建、扩建涉水建设项目，化学需氧量、氨氮排放实行等量或减量替代。", _SONGHUA, "二、1",
     "@pollutes_water", "restricted"),
    ("SH-03", "basin", "松花江流域", "松花江流域", "", _SONGHUA_COUNTIES, R,
     "沿江化工、医药、涉重金属企业应编制突发环境事件应急预案，设置事故应急池，落实水环境风险三级防控措施。",
     _SONGHUA, "三、1", "", ""),
    ("TM-01", "basin", "图们江流域", "图们江流域", "", _TUMEN_COUNTIES, S,
     "图们江流域内严格控制新建化工、造纸、制革、印染等高耗水、高污染项目。", _TUMEN, "一、1",
     "C26;C22;C191;C171;印染", "restricted"),
    ("TM-02", "basin", "图们江流域", "图们江流域", "", _TUMEN_COUNTIES, P,
     "流域内城镇污水处理厂出水执行《城镇污水处理厂污染物排放标准》（GB 18918—2002）一级A标准。", _TUMEN, "二、1",
     "D462", "restricted"),
    ("TM-03", "basin", "图们江流域", "图们江流域", "", _TUMEN_COUNTIES, R,
     "加强图们江跨界河流水环境风险防控，沿江企业建立“企业—园区—流域”三级环境风险防控体系。", _TUMEN, "三、1", "", ""),
    # -- prefecture (11) ----------------------------------------------------------
    ("YB-01", "city", "222400", "延边朝鲜族自治州", "", "", S,
     "严格落实“三线一单”环境管控要求，按照环境管控单元和生态环境准入清单实施分类管理，对不符合生态环境准入清单要求的企业一律禁止准入。",
     _YB, "一、1", "", ""),
    ("YB-02", "city", "222400", "延边朝鲜族自治州", "", "", P,
     "农副食品加工、造纸、钢铁、印染、制药等行业新建项目清洁生产水平须达到国内先进水平，配套建设污染治理设施。",
     _YB, "二、1", "C13;C22;C31;C171;C27;印染", "restricted"),
    ("YB-03", "city", "222400", "延边朝鲜族自治州", "", "", R,
     "严格重点区域涉重金属建设项目环境准入，重点区域禁止新建、扩建增加重金属污染物排放的项目。", _YB, "三、1",
     "@heavy_metal", "restricted"),
    ("YB-04", "city", "222400", "延边朝鲜族自治州", "", "", R,
     ("从严管控农药、化工等行业中的重度污染地块规划用途，确需开发利用的，鼓励用于拓展生态空间；"
      "未达到风险管控、修复目标的地块，不得开工建设与风险管控、修复无关的项目。"), _YB, "三、2", "", ""),
    ("YB-05", "city", "222400", "延边朝鲜族自治州", "", "", E,
     "城市建成区内禁止新建每小时35蒸吨以下燃煤锅炉，新建供热项目优先采用清洁能源。", _YB, "四、1", "", ""),
    # -- per category (Yanbian-wide) ------------------------------------------------
    ("YB-P1", "city", "222400", "延边州优先保护单元", "priority", "", S,
     "优先保护单元以生态保护为主，依法禁止或限制大规模、高强度的工业和城镇开发建设；生态保护红线内按生态保护红线管理要求执行。",
     _YB, "五、（一）1", "", ""),
    ("YB-P2", "city", "222400", "延边州优先保护单元", "priority", "", S,
     "一般生态空间内禁止新建、扩建工业项目和矿产资源开发项目，已有项目逐步退出。", _YB, "五、（一）2",
     "C;@mining", "prohibited"),
    ("YB-P3", "city", "222400", "延边州优先保护单元", "priority", "", P,
     "优先保护单元内不得新设入河排污口。", _YB, "五、（一）3", "@sewage_outfall", "prohibited"),
    ("YB-P4", "city", "222400", "延边州优先保护单元", "priority", "", E,
     "严格控制开发强度，禁止毁林开荒、非法采砂，保护森林、湿地等生态资源。", _YB, "五、（一）4", "", ""),
    ("YB-K1", "city", "222400", "延边州重点管控单元", "key", "", S,
     "产业园区重点管控单元优先布局符合园区规划及规划环评的产业，新建工业项目原则上进入园区。", _YB, "五、（二）1", "", ""),
    ("YB-K2", "city", "222400", "延边州重点管控单元", "key", "", P,
     "重点管控单元内新建项目污染物排放须满足总量控制要求，有特别排放限值要求的执行特别排放限值。", _YB, "五、（二）2",
     "C;B;D44", "restricted"),
    ("YB-K3", "city", "222400", "延边州重点管控单元", "key", "", R,
     "涉及有毒有害物质的企业须开展土壤和地下水污染隐患排查，落实防渗措施。", _YB, "五、（二）3", "", ""),
    ("YB-G1", "city", "222400", "延边州一般管控单元", "general", "", S,
     "一般管控单元执行区域生态环境保护基本要求，原则上不新建“两高”项目（符合规划和产业政策的除外）。", _YB, "五、（三）1",
     "@heavy_polluting", "restricted"),
    ("YB-G2", "city", "222400", "延边州一般管控单元", "general", "", E,
     "落实用水总量和强度控制要求，推进农业面源污染防治和化肥农药减量。", _YB, "五、（三）2", "", ""),
    # -- counties ----------------------------------------------------------------------
    ("YJ-01", "county", "222401", "延吉市", "", "", S,
     "延吉市行政区域内禁止新建、扩建化工、水泥、钢铁等重污染项目。", _YB, "六、延吉市1",
     "C26;C3011;C31", "prohibited"),
    ("DH-01", "county", "222403", "敦化市", "", "", S,
     "雁鸣湖、牡丹江源头区域限制发展规模化水产养殖和畜禽养殖。", _YB, "六、敦化市1", "", ""),
    ("HC-01", "county", "222404", "珲春市", "", "", R,
     "珲春市涉及图们江跨境河段的建设项目须落实跨界水环境风险应急措施。", _YB, "六、珲春市1", "", ""),
    # -- units (1233 in the real list; key units here) -------------------------------------
    ("U-YJ04-1", "unit", "ZH22240120004", "延吉市产业园区重点管控单元1（示例）", "", "", S,
     "园区主导产业为医药健康、食品加工、装备制造，禁止引入不符合园区主导产业定位的化工项目。", _UNIT, "ZH22240120004-空间布局约束1",
     "C26", "prohibited"),
    ("U-YJ04-2", "unit", "ZH22240120004", "延吉市产业园区重点管控单元1（示例）", "", "", P,
     "园区企业废水经预处理达到间接排放标准后排入城市污水处理厂集中处理，不得直排布尔哈通河。", _UNIT,
     "ZH22240120004-污染物排放管控1", "", ""),
    ("U-YJ04-3", "unit", "ZH22240120004", "延吉市产业园区重点管控单元1（示例）", "", "", R,
     "园区建立“企业—园区—区域”三级环境风险防控体系，涉危险化学品企业编制突发环境事件应急预案并备案。", _UNIT,
     "ZH22240120004-环境风险防控1", "", ""),
    ("U-YJ04-4", "unit", "ZH22240120004", "延吉市产业园区重点管控单元1（示例）", "", "", E,
     "新建项目单位产品能耗、水耗须达到国内先进水平，园区再生水利用率逐步提高。", _UNIT,
     "ZH22240120004-资源开发效率要求1", "", ""),
    ("U-TM02-1", "unit", "ZH22240220002", "图们市产业园区重点管控单元1（示例）", "", "", S,
     "禁止新建制浆造纸项目；现有企业不得扩大产能。", _UNIT, "ZH22240220002-空间布局约束1", "C221;纸浆制造", "prohibited"),
    ("U-DH02-1", "unit", "ZH22240320002", "敦化市产业园区重点管控单元1（示例）", "", "", S,
     "禁止新建焦化项目，新建医药、食品项目须符合园区规划环评。", _UNIT, "ZH22240320002-空间布局约束1", "C252;炼焦", "prohibited"),
    ("U-HC04-1", "unit", "ZH22240420004", "珲春市产业园区重点管控单元1（示例）", "", "", P,
     "印染工序须集中布局，配套建设专用污水处理设施，废水不得进入城镇污水处理厂。", _UNIT, "ZH22240420004-污染物排放管控1",
     "C171;印染", "restricted"),
    ("U-YJ01-1", "unit", "ZH22240110001", "延吉市延河水库饮用水水源保护区优先保护单元（示例）", "", "", S,
     "单元内饮用水水源保护区按《中华人民共和国水污染防治法》《吉林省城镇饮用水水源保护条例》管理，禁止新建、改建、扩建排放污染物的建设项目。",
     _UNIT, "ZH22240110001-空间布局约束1", "@discharges_pollutants;@pollutes_water", "prohibited"),
]


def demo_access_list() -> pd.DataFrame:
    """The demo clauses in the store's access-list schema (:data:`~gisplan.rules.access_list.COLUMNS`)."""
    rows = []
    for i, clause in enumerate(_CLAUSES, 1):
        cid, tier, scope, name, cat, admin, dim, text, source, article, applies, decision = clause[:12]
        rows.append({"element_zone": clause[12] if len(clause) > 12 else "","clause_id": f"demo:{cid}", "tier": tier, "scope": scope, "scope_name": name, "category": cat,
                     "admin_codes": admin, "dimension": dim, "text": f"{text}（示例）", "source": source,
                     "article": article, "applies_to": applies, "decision": decision, "demo": 1,
                     "origin": DEMO_ORIGIN, "source_row": i})
    return pd.DataFrame(rows, columns=COLUMNS)
