"""The library's warnings in a report's Chinese (the API keeps its English messages; a report never shows them).

:func:`warning_text` renders one warning of :attr:`ScreeningResult.warnings`
for the DOCX and PDF reports. Warnings the report already says at the top (the
site outside the store's data) are left out; a warning without a Chinese
wording here is not printed as it is but counted, and the report points to the
JSON report that holds it.
"""

from __future__ import annotations

import re

from ..vocab import KIND_LABELS_ZH

__all__ = ["warning_text", "report_warnings"]

#: (pattern, Chinese wording or None to leave the warning out). Groups are filled in by name.
_PATTERNS: list[tuple[re.Pattern, str | None]] = [
    (re.compile(r"^the site lies wholly outside the store's control units"), None),
    (re.compile(r"^[\d.]+ ha \([\d.]+%\) of the site lies outside the store's control units$"), None),
    (re.compile(r"^control units overlap each other under the site"),
     "库内环境管控单元在项目范围内相互重叠（各单元占用面积之和大于项目面积），请核查图层。"),
    (re.compile(r"^the store has no control_units layer"),
     "图层库无环境管控单元图层：单元统计为空，结论须人工核对。"),
    (re.compile(r"^the store has no (?P<kind>\w+) layer: the verdict is review$"),
     "图层库缺少{kind}图层，无法判定项目与其关系，结论须人工核对。"),
    (re.compile(r"^raster (?P<name>\S+): 0\.00 ha \(0\.0%\) of the site lies outside the raster"), None),
    (re.compile(r"^raster (?P<name>\S+): (?P<ha>[\d.]+) ha \((?P<pct>[\d.]+%)\) of the site lies outside the raster "
                r"or on its nodata cells"),
     "栅格图层 {name}：项目有 {ha} ha（{pct}）位于栅格范围外或无数据像元上，未计入统计。"),
    (re.compile(r"^project code '(?P<code>.*)' does not have the shape of an investment project code"),
     "项目代码「{code}」不符合投资项目统一代码的格式（年份-行政区划代码-行业代码-项目类型-流水号，"
     "如 2020-222403-44-01-012345），已按填写内容保留，请核对。"),
    (re.compile(r"^(?P<n>\d+) ring\(s\) not closed in the table"),
     "坐标表中 {n} 个地块的末点与首点不一致，已自动闭合。"),
    (re.compile(r"^(?P<n>\d+) duplicate consecutive point\(s\) dropped"), "坐标表中 {n} 个连续重复点已删除。"),
    (re.compile(r"^rows 1-(?P<n>\d+) above the (?:header|coordinates) ignored"), "坐标表上方第 1-{n} 行（标题）未读取。"),
    (re.compile(r"^rows without coordinates ignored: (?P<rows>.*)$"), "坐标表中无坐标的行未读取：第 {rows} 行。"),
    (re.compile(r"^CSV text is not UTF-8: decoded as GB18030"), "坐标表文本非 UTF-8 编码，已按 GB18030（GBK）读取。"),
    (re.compile(r"^column (?P<a>\S+) holds eastings and (?P<b>\S+) northings"),
     "坐标表 {a} 列为东坐标、{b} 列为北坐标，与测量惯例（X 为北坐标）相反，已按数值识别，请核对坐标表。"),
    (re.compile(r"^no header: "), "坐标表无表头，按测量惯例读取（点号、X 北坐标、Y 东坐标），请核对。"),
]


def warning_text(warning: str) -> str | None:
    """One warning in Chinese; ``""`` when the report says it elsewhere; None when there is no wording for it.

    Examples
    --------
    >>> warning_text("the store has no water_sources layer: the verdict is review")
    '图层库缺少饮用水水源保护区图层，无法判定项目与其关系，结论须人工核对。'
    >>> warning_text("60.04 ha (52.4%) of the site lies outside the store's control units")
    ''
    >>> warning_text("something new") is None
    True
    """
    for pattern, wording in _PATTERNS:
        m = pattern.search(str(warning))
        if m:
            if wording is None:
                return ""
            values = m.groupdict()
            if "kind" in values:
                values["kind"] = KIND_LABELS_ZH.get(values["kind"], "所需")
            return wording.format(**values)
    return None


def report_warnings(warnings, lang: str = "zh") -> list[str]:
    """The lines of a report's notes section: each warning in the report's language, the rest counted.

    Examples
    --------
    >>> report_warnings(["something new", "the store has no eco_redline layer: the verdict is review"])
    ['图层库缺少生态保护红线图层，无法判定项目与其关系，结论须人工核对。', '另有 1 条技术提示未在此列出，详见随附的 JSON 报告。']
    """
    if lang != "zh":
        return [str(w) for w in warnings or []]
    lines, other = [], 0
    for w in warnings or []:
        text = warning_text(w)
        if text is None:
            other += 1
        elif text:
            lines.append(text)
    lines = list(dict.fromkeys(lines))
    if other:
        lines.append(f"另有 {other} 条技术提示未在此列出，详见随附的 JSON 报告。")
    return lines
